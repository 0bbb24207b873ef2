"""After the search: build the ensemble from out-of-fold predictions, refit the chosen
members on every search row (in parallel children), and assemble the model to save."""

from __future__ import annotations

import logging
import os

import joblib
import numpy as np

from . import catalog, ensemble, fork, work
from .budget import Budget
from .metrics import CLUSTERING, Metric, report, safe_score
from .model import TrainedModel, save
from .trials import TrialRecord

log = logging.getLogger(__name__)

REFIT_GROWTH = 1.15  # more rows than a fold saw: allow a few more boosting rounds
ENSEMBLE_POOL = 12


def build_ensemble(
    records: list[TrialRecord],
    oof: dict[int, np.ndarray],
    y: np.ndarray,
    splits: list,
    metric: Metric,
    task: str,
    number: int,
    seed: int = 0,
) -> tuple[TrialRecord, np.ndarray] | None:
    """An ensemble record (with its OOF predictions) if it beats the best single candidate."""
    complete = [r for r in records if r.complete and r.number in oof and r.family != "baseline"]
    complete.sort(key=lambda r: (metric.loss(r.score), r.number))
    pool = {r.number: oof[r.number] for r in _diverse(complete)}
    covered = np.flatnonzero(~np.isnan(_first_column(next(iter(pool.values()))))) if pool else None
    if covered is None or len(pool) < 2:
        return None
    chosen = ensemble.select_bagged({k: v[covered] for k, v in pool.items()}, y[covered], metric, seed=seed)
    if chosen is None or len(chosen.weights) < 2:
        return None
    best_single = complete[0]
    pred = np.full_like(pool[best_single.number], np.nan, dtype=float)
    pred[covered] = chosen.pred
    fold_scores = [safe_score(metric, y[valid], pred[valid]) for _, valid in splits]
    scores = [s for s in fold_scores if s is not None]
    by_number = {r.number: r for r in complete}
    record = TrialRecord(
        number=number,
        key="ensemble",
        name=f"Ensemble of {len(chosen.weights)} models",
        family="ensemble",
        params={by_number[k].name + f" #{k}": round(w, 3) for k, w in chosen.weights.items()},
        phase="ensemble",
        score=float(np.mean(scores)) if scores else None,
        std=float(np.std(scores)) if scores else None,
        fold_scores=fold_scores,
        fit_time=sum(by_number[k].fit_time or 0 for k in chosen.weights),
        predict_time=sum(by_number[k].predict_time or 0 for k in chosen.weights),
        metrics=report(task, y[covered], chosen.pred),
        weights=chosen.weights,
    )
    # Averaging several models generalises better than one model picked among many on the same
    # rows; prefer the ensemble unless the best single model is clearly (by half a standard
    # error of its fold scores) better.
    folds = max(1, len([s for s in best_single.fold_scores if s is not None]))
    tolerance = 0.5 * (best_single.std or 0.0) / np.sqrt(folds)
    if metric.loss(record.score) > metric.loss(best_single.score) + tolerance:
        log.info(
            "The best ensemble (%s %.4f) does not beat %s alone (%.4f); the single model is kept.",
            metric.label,
            record.score or float("nan"),
            best_single.name,
            best_single.score,
        )
        return None
    return record, pred


def _diverse(ranked: list[TrialRecord]) -> list[TrialRecord]:
    """The ensemble's candidates: the best trial of each algorithm first (tuning tends to fill
    the top of a leaderboard with near-copies of one model, which average to nothing new),
    then the next best trials, up to ENSEMBLE_POOL."""
    seen: set = set()
    firsts, rest = [], []
    for record in ranked:
        kind = (record.key, record.params.get("target_transform", "none"))
        (rest if kind in seen else firsts).append(record)
        seen.add(kind)
    return (firsts + rest)[:ENSEMBLE_POOL]


def _first_column(pred: np.ndarray) -> np.ndarray:
    return pred if pred.ndim == 1 else pred[:, 0]


def refit_candidate(record: TrialRecord) -> work.Candidate:
    """The trial's candidate, with the boosting rounds its folds settled on fixed for the refit."""
    params = dict(record.params)
    algorithm = catalog.get(record.key)
    if algorithm.iterations_param and record.iterations:
        params[algorithm.iterations_param] = max(1, int(round(record.iterations * REFIT_GROWTH)))
    return work.Candidate(record.key, params)


def estimate_refit(record: TrialRecord, n_fold_rows: int, n_rows: int) -> float:
    """Seconds a refit on every row should take, from the trial's mean fold fit time."""
    algorithm = catalog.get(record.key)
    ratio = n_rows / max(n_fold_rows, 1)
    return (record.fit_time or 1.0) * ratio**algorithm.cost_power


def refit_members(
    data: work.SearchData,
    members: list[tuple[TrialRecord, float]],
    *,
    folder: str,
    budget: Budget,
    n_jobs: int,
) -> list[tuple[TrialRecord, float, str]]:
    """Refit each member on all rows, at most `n_jobs` at a time; members that fail or run out
    of time are dropped (the others' weights are renormalised by the caller)."""
    rows = np.arange(len(data.X))
    pending = sorted(members, key=lambda m: -m[1])
    threads = max(1, n_jobs // max(1, min(len(pending), n_jobs)))
    running: list[fork.Child] = []
    done: list[tuple[TrialRecord, float, str]] = []
    while pending or running:
        while pending and len(running) < max(1, n_jobs // threads):
            record, weight = pending.pop(0)
            path = os.path.join(folder, f"member-{record.number}.joblib")
            cap = budget.finish_remaining()
            child = fork.Child(work.refit, data, refit_candidate(record), rows, path, threads, threads=threads, cap=cap)
            child.tag = (record, weight, path)
            running.append(child)
        fork.wait(running, timeout=1.0, should_abort=budget.discarded)
        for child in [c for c in running if c.done]:
            running.remove(child)
            record, weight, path = child.tag
            if child.outcome.ok:
                done.append((record, weight, path))
                log.info(
                    "Refitted %s (#%d) on all %s rows in %.1f s.",
                    record.name,
                    record.number,
                    f"{len(rows):,}",
                    child.outcome.value["fit_time"],
                )
            else:
                log.warning(
                    "Refitting %s (#%d) failed (%s); it is left out.", record.name, record.number, child.outcome.status
                )
    return done


def assemble_and_save(
    refitted: list[tuple[TrialRecord, float, str]],
    path: str,
    *,
    task: str,
    features,
    classes,
    positive_class,
    metric: str,
    name: str,
) -> dict:
    """Child: load the refitted members, build the model and save it to `path`.

    Done in a child because unpickling boosters may start native thread pools, which the
    search process must never do (see fork.py)."""
    total = sum(weight for _, weight, _ in refitted)
    members = [(joblib.load(p), weight / total) for _, weight, p in refitted]  # noqa: S301 - our own files
    model = TrainedModel(
        task=task,
        features=features,
        members=members,
        classes=list(classes) if task != CLUSTERING else [],
        positive_class=positive_class,
        metric=metric,
        name=name,
    )
    sha256 = save(model, path)
    return {"sha256": sha256, "size": os.path.getsize(path), "summary": model.summary()}
