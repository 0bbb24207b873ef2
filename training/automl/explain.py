"""Explanations of the chosen model: permutation importance on the holdout, the model's own
(native) importances, and learning curves of boosted models. Runs in a child (fork.py)."""

from __future__ import annotations

import time

import numpy as np
import pandas as pd
from sklearn.metrics import adjusted_rand_score

from . import evaluation
from .metrics import CLASSIFICATION, CLUSTERING, Metric, safe_score
from .model import TrainedModel
from .preprocess import source_columns
from .work import unwrap

MAX_ROWS = 3000
BATCH_CELLS = 2_000_000  # input cells per model call when measuring permutation importance
CURVE_POINTS = 25


def _scores(model: TrainedModel, frame: pd.DataFrame) -> np.ndarray:
    """Probabilities or values; cluster numbers for clustering."""
    if model.task == CLUSTERING:
        return np.asarray(model.members[0][0].predict(frame))
    return model._scores(frame)


def permutation_importance(
    model: TrainedModel,
    frame: pd.DataFrame,
    y,
    metric: Metric,
    *,
    seed: int = 0,
    time_limit: float = 30.0,
    repeats: int = 3,
    order: list[str] | None = None,
) -> dict:
    """How much the score drops when one input column is shuffled (mean and std over repeats).

    For clustering, the drop is in agreement (adjusted Rand index) with the unshuffled clusters.
    Columns are measured in `order` (the likeliest to matter first) and stop when `time_limit`
    runs out; `complete` tells whether every column was measured."""
    started = time.monotonic()
    rng = np.random.default_rng(seed)
    picks = evaluation._sample(len(frame), MAX_ROWS, seed)
    frame = frame.iloc[picks].reset_index(drop=True)
    base_pred = _scores(model, frame)
    if model.task == CLUSTERING:

        def score(pred):
            return adjusted_rand_score(base_pred, pred)
    else:
        y = np.asarray(y)[picks]

        def score(pred):
            value = safe_score(metric, y, pred)
            return np.nan if value is None else value

    base = score(base_pred)
    sign = 1.0 if (model.task == CLUSTERING or metric.greater_is_better) else -1.0
    columns = [c for c in (order or []) if c in frame.columns]
    columns += [c for c in frame.columns if c not in columns]
    # Shuffled copies of several columns go through the model in one call: with small data the
    # cost of a call (every member's preprocessing) outweighs the rows, so one call per copy
    # would measure only a few columns in the time an evaluation has.
    per_call = max(1, BATCH_CELLS // (len(frame) * repeats * max(1, len(frame.columns))))
    rows = []
    for start in range(0, len(columns), per_call):
        if time.monotonic() - started > time_limit:
            break
        batch = columns[start : start + per_call]
        copies = []
        for column in batch:
            for _ in range(repeats):
                shuffled = frame.copy()
                shuffled[column] = rng.permutation(shuffled[column].to_numpy())
                copies.append(shuffled)
        predicted = _scores(model, pd.concat(copies, ignore_index=True))
        for i, column in enumerate(batch):
            drops = [
                sign * (base - score(predicted[(i * repeats + r) * len(frame) : (i * repeats + r + 1) * len(frame)]))
                for r in range(repeats)
            ]
            rows.append({"feature": column, "importance": _r(np.nanmean(drops)), "std": _r(np.nanstd(drops))})
    rows.sort(key=lambda r: -(r["importance"] or 0))
    return {
        "rows": rows,
        "rows_used": len(frame),
        "repeats": repeats,
        "complete": len(rows) == len(columns),
        "columns": len(columns),
        "baseline": _r(base),
    }


def _r(value) -> float | None:
    return round(float(value), 6) if value is not None and np.isfinite(value) else None


def native_importance(model: TrainedModel) -> dict:
    """The heaviest member's own importances (split gains, or |coefficients| on scaled inputs),
    summed per input column."""
    for pipeline, _ in sorted(model.members, key=lambda m: -m[1]):
        estimator = unwrap(pipeline.named_steps["model"])
        values = _raw_importances(estimator)
        if values is None:
            continue
        prep = pipeline.named_steps["prep"]
        sources = source_columns(prep, model.features)
        if len(sources) != len(values):
            continue
        totals: dict[str, float] = {}
        for source, value in zip(sources, values, strict=True):
            totals[source] = totals.get(source, 0.0) + float(value)
        scale = sum(totals.values()) or 1.0
        rows = [{"feature": k, "importance": round(v / scale, 6)} for k, v in totals.items()]
        rows.sort(key=lambda r: -r["importance"])
        kind = "coefficients" if not hasattr(estimator, "feature_importances_") else "gain"
        return {"model": type(estimator).__name__, "kind": kind, "rows": rows}
    return {}


def _raw_importances(estimator):
    inner = getattr(estimator, "estimator_", None)
    if hasattr(estimator, "feature_importances_"):
        try:
            return np.asarray(estimator.feature_importances_, dtype=float)
        except (AttributeError, ValueError):
            return None
    if hasattr(estimator, "coef_"):
        coef = np.abs(np.asarray(estimator.coef_, dtype=float))
        return coef.sum(axis=0) if coef.ndim > 1 else coef
    if inner is not None:
        return _raw_importances(inner)
    return None


def learning_curves(model: TrainedModel, train, holdout, metric: Metric) -> list[dict]:
    """Metric by boosting round on a sample of the training rows and on the holdout, for each
    boosted member."""
    curves = []
    for member, (pipeline, weight) in enumerate(model.members):
        wrapper = pipeline.named_steps["model"]
        estimator = unwrap(wrapper)
        staged = _staged(estimator, getattr(wrapper, "inverse_func", None))
        if staged is None:
            continue
        sets = {}
        for label, (frame, y) in (("train", train), ("holdout", holdout)):
            if frame is None or len(frame) == 0:
                continue
            picks = evaluation._sample(len(frame), MAX_ROWS)
            matrix = pipeline.named_steps["prep"].transform(model.prepare(frame.iloc[picks]))
            sets[label] = (matrix, np.asarray(y)[picks])
        if not sets:
            continue
        rounds, values = staged(sets, metric, model)
        if not rounds:
            continue
        curves.append(
            {
                "model": type(estimator).__name__,
                "member": member,
                "weight": round(weight, 4),
                "rounds": rounds,
                **values,
            }
        )
    return curves


def _staged(estimator, inverse=None):
    """A function giving (rounds, {label: scores}) for a boosted estimator, or None. `inverse`
    maps predictions back from a transformed target scale."""

    def back(pred):
        return inverse(np.asarray(pred, dtype=float)) if inverse is not None else pred

    if hasattr(estimator, "staged_predict") and hasattr(estimator, "model_"):  # BoostedXGB
        total = int(getattr(estimator, "n_iter_", 0) or 0)

        def by_rounds(sets, metric, model):
            rounds = _points(total)
            out = {label: [] for label in sets}
            for r in rounds:
                for label, (matrix, y) in sets.items():
                    pred = back(estimator.staged_predict(matrix, r))
                    out[label].append(_r(safe_score(metric, y, _align(model, estimator, pred))))
            return rounds, out

        return by_rounds
    name = "staged_predict_proba" if hasattr(estimator, "staged_predict_proba") else "staged_predict"
    if not hasattr(estimator, name):
        return None

    def by_stages(sets, metric, model):
        out = {label: [] for label in sets}
        total = int(getattr(estimator, "n_iter_", None) or len(estimator.estimators_))
        rounds = _points(total)
        wanted = set(rounds)
        for label, (matrix, y) in sets.items():
            for i, pred in enumerate(getattr(estimator, name)(matrix), start=1):
                if i in wanted:
                    out[label].append(_r(safe_score(metric, y, _align(model, estimator, back(pred)))))
        return rounds, out

    return by_stages


def _points(total: int) -> list[int]:
    if total <= 0:
        return []
    return sorted({int(v) for v in np.linspace(1, total, min(CURVE_POINTS, total)).round()})


def _align(model: TrainedModel, estimator, pred):
    if model.task != CLASSIFICATION:
        return np.asarray(pred, dtype=float)
    out = np.zeros((len(pred), len(model.classes)))
    out[:, np.asarray(estimator.classes_, dtype=int)] = pred
    return out
