"""The end of a search: the ensemble, the refit on every search row, saving the model and
evaluating it. Everything here happens after the search phase and shares one time allowance
(`Budget.finish_remaining`), so the job ends inside its contract."""

from __future__ import annotations

import logging
import os
import tempfile
import time

from . import evaluation, finish, fork, splits
from .assess import assess
from .data import DataError
from .metrics import CLASSIFICATION, CLUSTERING
from .schema import input_schema
from .trials import TrialRecord

log = logging.getLogger("training.automl")
EXPLAIN_FLOOR_S = 5.0


def _result(search):
    from .search import SearchResult

    result = SearchResult(
        task=search.config.task,
        metric=search.metric.name,
        leaderboard=search.records,
        best=None,
        features=search.prepared.features,
        classes=search.prepared.classes,
        positive_class=search.prepared.positive_class,
        notes=search.notes,
        stopped=search.budget.stop_request(),
        validation=search.validation.describe() if search.config.task != CLUSTERING else "",
        rows={"search": len(search.search_rows), "holdout": len(search.test_rows)},
    )
    result.seconds["search"] = search.budget.elapsed
    result.input_schema = input_schema(search.prepared.X, search.prepared.features)
    return result


def conclude(search):
    """Build the search's result from a finished `search.Search`."""
    result = _result(search)
    if result.stopped == "discard":
        log.info("Stopped on request; nothing is kept.")
        return result
    best = search._best_single()
    if best is None:
        raise DataError("No candidate could be trained on this data. The trials' errors say why.")
    final, members = _ensemble(search, best)
    result.best = final
    started = time.monotonic()
    if not _refit_and_save(search, result, final, best, members):
        return result
    result.seconds["refit"] = time.monotonic() - started
    _assess(search, result, result.best)
    return result


def conclude_candidate(search, number: int):
    """A leaderboard candidate other than the kept model, made into a model as the kept one was:
    refitted on every search row (an ensemble: its members, with its weights), saved, evaluated
    on the same holdout. `search` is prepared (same data and seed) but not run; its records are
    the job's leaderboard."""
    result = _result(search)
    by_number = {r.number: r for r in search.records}
    final = by_number.get(number)
    if final is None or not final.complete:
        raise DataError("This candidate did not finish its trial; there is nothing to refit.")
    members = [(by_number[int(k)], w) for k, w in final.weights.items() if int(k) in by_number] or [(final, 1.0)]
    result.best = final
    if _refit_and_save(search, result, final, final, members):
        _assess(search, result, final)
    return result


def _ensemble(search, best: TrialRecord) -> tuple[TrialRecord, list[tuple[TrialRecord, float]]]:
    members = [(best, 1.0)]
    if not (search.config.ensemble and search.config.task != CLUSTERING and len(search.oof) >= 2):
        return best, members
    search._step(0.9, "Building the ensemble")
    built = finish.build_ensemble(
        search.records,
        search.oof,
        search.data.y,
        search.splits,
        search.metric,
        search.config.task,
        len(search.records) + 1,
        seed=search.config.seed,
    )
    if built is None:
        return best, members
    final, pred = built
    search.oof[final.number] = pred
    by_number = {r.number: r for r in search.records}
    search.records.append(final)
    search.events.trial(final.as_dict())
    log.info(
        "Ensemble of %d models: %s %.4f (best single %.4f).",
        len(final.weights),
        search.metric.label,
        final.score,
        best.score,
    )
    return final, [(by_number[k], w) for k, w in final.weights.items()]


def _refit_and_save(search, result, final: TrialRecord, best: TrialRecord, members) -> bool:
    """Refit the members on every search row and save the model; False if a discard came."""
    search._step(0.92, "Refitting on all the data")
    log.info("Refitting %s on all %s search rows.", final.name, f"{len(search.data.X):,}")
    budget = search.budget
    with tempfile.TemporaryDirectory(dir=search.out_dir) as folder:
        refitted = finish.refit_members(search.data, members, folder=folder, budget=budget, n_jobs=search.config.n_jobs)
        if not refitted and final is not best and not budget.discarded():
            log.warning("The ensemble could not be refitted; falling back to %s.", best.name)
            final = result.best = best
            refitted = finish.refit_members(
                search.data, [(best, 1.0)], folder=folder, budget=budget, n_jobs=search.config.n_jobs
            )
        if budget.discarded():
            result.stopped = "discard"
            result.best = None
            return False
        if not refitted:
            raise DataError("The best model could not be refitted on all the data in the time left; see the log.")
        if len(refitted) < len(members):
            kept = {r.number for r, _, _ in refitted}
            final.weights = {k: w for k, w in final.weights.items() if k in kept}
        result.member_labels = [f"{record.name} #{record.number}" for record, _, _ in refitted]
        path = os.path.join(search.out_dir, "model.joblib")
        saved = fork.run_one(
            finish.assemble_and_save,
            refitted,
            path,
            task=search.config.task,
            features=search.prepared.features,
            classes=search.prepared.classes,
            positive_class=search.prepared.positive_class,
            metric=search.metric.name,
            name=final.name,
            cap=budget.finish_remaining(),
        )
    if not saved.ok:
        raise DataError(f"The model could not be saved in the time left ({saved.status}).")
    result.model_path, result.sha256, result.size = path, saved.value["sha256"], saved.value["size"]
    result.model_summary = saved.value["summary"]
    return True


def _assess(search, result, final: TrialRecord) -> None:
    started = time.monotonic()
    search._step(0.96, "Evaluating on the holdout" if len(search.test_rows) else "Evaluating")
    holdout = None
    if len(search.test_rows):
        y = search.prepared.y[search.test_rows] if search.prepared.y is not None else None
        holdout = (search.prepared.X.iloc[search.test_rows].reset_index(drop=True), y)
    # Explanations may use what is left before the deadline; the evaluation itself may run into
    # the shared allowance.
    outcome = fork.run_one(
        assess,
        result.model_path,
        result.sha256,
        holdout=holdout,
        train=(search.data.X, search.data.y),
        metric_name=search.metric.name,
        explain_model=search.config.explain,
        # A few seconds of the allowance at least, or a tight budget leaves nothing to explain with.
        time_limit=max(search.budget.remaining, min(EXPLAIN_FLOOR_S, search.budget.finish_remaining() / 3)),
        seed=search.config.seed,
        cap=search.budget.finish_remaining(),
        threads=search.config.n_jobs,
    )
    if outcome.ok:
        result.evaluation = outcome.value["evaluation"]
        result.importance = outcome.value["importance"]
        result.learning_curves = outcome.value["learning_curves"]
        for curve in result.learning_curves:
            if 0 <= curve.get("member", -1) < len(result.member_labels):
                curve["model"] = result.member_labels[curve["member"]]
    else:
        log.warning("The evaluation did not finish (%s); the model is kept without it.", outcome.status)
    if result.evaluation is None and search.config.task != CLUSTERING:
        result.evaluation = _oof_evaluation(search, final)
    value = ((result.evaluation or {}).get("metrics") or {}).get(search.metric.name)
    if value is not None:
        source = result.evaluation.get("source", "holdout")
        log.info("%s on the %s: %s %.4f.", final.name, source, search.metric.label, value)
    result.seconds["evaluation"] = time.monotonic() - started


def _oof_evaluation(search, final: TrialRecord) -> dict | None:
    """Without a holdout (or when its evaluation failed): the evaluation of the out-of-fold predictions."""
    pred = search.oof.get(final.number)
    if pred is None:
        return None
    covered = splits.covered_rows(search.splits, len(search.data.X))
    y = search.data.y[covered]
    if search.config.task == CLASSIFICATION:
        out = evaluation.classification(y, pred[covered], search.prepared.classes)
    else:
        out = evaluation.regression(y, pred[covered])
    out["source"] = "cross-validation"
    return out
