"""One trial: a candidate fitted on every validation fold, folds in parallel children, scored
out of fold, stopped early when pruned, over its cap, out of budget or cancelled."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, fields

import numpy as np

from . import fork, work
from .metrics import CLUSTERING, Metric, report, safe_score

SUCCEEDED, FAILED, PRUNED, TIMEOUT, STOPPED = "succeeded", "failed", "pruned", "timeout", "stopped"


@dataclass
class TrialRecord:
    """A leaderboard row."""

    number: int
    key: str
    name: str
    family: str
    params: dict
    phase: str
    status: str = SUCCEEDED
    score: float | None = None
    std: float | None = None
    fold_scores: list = field(default_factory=list)
    fit_time: float | None = None  # mean seconds per fold fit
    predict_time: float | None = None  # seconds per 1,000 rows
    duration: float = 0.0
    iterations: int | None = None
    metrics: dict = field(default_factory=dict)  # every metric of the task, out of fold
    weights: dict = field(default_factory=dict)  # ensemble only: trial number -> weight
    error: str = ""
    warnings: list = field(default_factory=list)
    details: dict = field(default_factory=dict)  # clustering: number of clusters, sizes

    @classmethod
    def from_dict(cls, data: dict) -> TrialRecord:
        """A record as `as_dict` gave it (ensemble weights keyed by trial number again)."""
        known = {f.name for f in fields(cls)}
        values = {k: v for k, v in data.items() if k in known}
        values["weights"] = {int(k): float(w) for k, w in (data.get("weights") or {}).items()}
        return cls(**values)

    def as_dict(self) -> dict:
        out = asdict(self)
        out["params"] = {k: _plain(v) for k, v in self.params.items()}
        out["weights"] = {str(k): v for k, v in self.weights.items()}
        return out

    @property
    def complete(self) -> bool:
        return self.status == SUCCEEDED and self.score is not None


def _plain(value):
    if isinstance(value, np.generic):
        return value.item()
    return value if isinstance(value, (int, float, str, bool, type(None))) else str(value)


@dataclass
class TrialContext:
    """What every trial of one search shares."""

    data: work.SearchData
    splits: list[tuple[np.ndarray, np.ndarray]]
    metric: Metric
    n_jobs: int
    abort: Callable[[], bool]  # cancel requested or the budget is spent


def _mean_std(values: list[float]) -> tuple[float | None, float | None]:
    values = [v for v in values if v is not None]
    if not values:
        return None, None
    return float(np.mean(values)), float(np.std(values))


def run(
    ctx: TrialContext, record: TrialRecord, candidate: work.Candidate, *, cap: float, pruner=None
) -> np.ndarray | None:
    """Fill `record` by running the candidate; return its out-of-fold predictions (None unless
    it succeeded). `pruner(step, value)` may answer True to stop a poor trial after a fold."""
    if ctx.data.task == CLUSTERING:
        return _run_clustering(ctx, record, candidate, cap=cap)
    started = time.monotonic()
    n = len(ctx.data.X)
    oof = np.full((n, ctx.data.n_classes) if ctx.data.n_classes else n, np.nan)
    pending = list(enumerate(ctx.splits))
    running: list[fork.Child] = []
    results: dict[int, dict] = {}
    reported = 0
    warnings: list[str] = []

    def stop_all(status: str, reason: str) -> None:
        for child in running:
            child.stop("killed")
        record.status, record.error = status, reason

    while pending or running:
        while pending and len(running) < ctx.n_jobs:
            index, (train, valid) = pending.pop(0)
            remaining = cap - (time.monotonic() - started)
            running.append(fork.Child(work.fit_fold, ctx.data, candidate, train, valid, cap=remaining, tag=index))
        fork.wait(running, timeout=0.5, should_abort=ctx.abort)
        for child in [c for c in running if c.done]:
            running.remove(child)
            outcome = child.outcome
            warnings.extend(w for w in outcome.warnings if w not in warnings)
            if outcome.status == "ok":
                results[child.tag] = outcome.value
                continue
            if outcome.status == "killed":
                stop_all(STOPPED, "Stopped before it finished (cancelled, or the time budget ran out).")
            elif outcome.status == "timeout":
                stop_all(TIMEOUT, f"Took longer than its {cap:.0f} s limit.")
            else:
                stop_all(FAILED, _error_text(outcome))
            pending = []
        if record.status != SUCCEEDED:
            break
        if time.monotonic() - started > cap:
            stop_all(TIMEOUT, f"Took longer than its {cap:.0f} s limit.")
            break
        while reported in results:
            fold = results[reported]
            valid = ctx.splits[reported][1]
            oof[valid] = fold["pred"]
            record.fold_scores.append(safe_score(ctx.metric, ctx.data.y[valid], fold["pred"]))
            reported += 1
            if pruner is not None and (pending or running) and pruner(reported - 1, _mean_std(record.fold_scores)[0]):
                stop_all(
                    PRUNED, f"Pruned after {reported} of {len(ctx.splits)} folds: clearly worse than earlier trials."
                )
                pending = []
                break
        if record.status != SUCCEEDED:
            break
    record.duration = time.monotonic() - started
    record.warnings = warnings[:5]
    done = [results[i] for i in sorted(results)]
    if done:
        record.fit_time = float(np.mean([f["fit_time"] for f in done]))
        rows = sum(len(ctx.splits[i][1]) for i in results)
        record.predict_time = 1000 * sum(f["predict_time"] for f in done) / max(rows, 1)
        iterations = [f["iterations"] for f in done if f.get("iterations")]
        record.iterations = int(round(np.mean(iterations))) if iterations else None
    record.score, record.std = _mean_std(record.fold_scores)
    if record.status != SUCCEEDED:
        return None
    if record.score is None:
        record.status, record.error = FAILED, "No fold could be scored (its predictions were constant or invalid)."
        return None
    covered = ~np.isnan(oof if oof.ndim == 1 else oof[:, 0])
    record.metrics = report(ctx.data.task, ctx.data.y[covered], oof[covered])
    return oof


def _run_clustering(ctx: TrialContext, record: TrialRecord, candidate: work.Candidate, *, cap: float) -> None:
    outcome = fork.run_one(work.fit_clusters, ctx.data, candidate, cap=cap, threads=ctx.n_jobs, should_abort=ctx.abort)
    record.duration = outcome.seconds
    record.warnings = outcome.warnings[:5]
    if outcome.status == "ok":
        value = outcome.value
        record.metrics = value["scores"]
        record.score = value["scores"].get(ctx.metric.name)
        record.fit_time = value["fit_time"]
        record.predict_time = 1000 * value["predict_time"] / max(len(ctx.data.X), 1)
        record.details = {"n_clusters": value["n_clusters"], "noise": value["noise"], "sizes": value["sizes"]}
        if record.score is None:
            record.status, record.error = FAILED, f"Found {value['n_clusters']} cluster(s): nothing to score."
    elif outcome.status == "timeout":
        record.status, record.error = TIMEOUT, f"Took longer than its {cap:.0f} s limit."
    elif outcome.status == "killed":
        record.status, record.error = STOPPED, "Stopped before it finished (cancelled, or the time budget ran out)."
    else:
        record.status, record.error = FAILED, _error_text(outcome)
    return None


def _error_text(outcome: fork.Outcome) -> str:
    if outcome.status == "crashed":
        return outcome.error
    text = outcome.error.strip().splitlines()[0] if outcome.error.strip() else ""
    return f"{outcome.error_type}: {text}"[:500] if text else outcome.error_type
