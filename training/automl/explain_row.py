"""Explaining single predictions: how each input column pushed a row's prediction.

- Exact, where the model allows it (a single model, no transformed target): a boosted-trees
  model's own SHAP contributions ("tree"), or a linear model's coefficient × (value − typical
  value) ("linear"), both on the model's raw score (log-odds for most classifiers) and summed
  over the encoded columns each input became.
- Otherwise, model-agnostic ("occlusion"): how much the prediction moves when that column alone
  is set back to a typical value (the training median or most frequent value). All the replaced
  copies go through the model in one call."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .estimators import _BoostedXGB
from .metrics import CLASSIFICATION, CLUSTERING
from .model import TrainedModel
from .preprocess import source_columns


def typical_row(schema: list[dict]) -> dict:
    """The reference value of each column (schema.py's "typical", or the middle of its range)."""
    out = {}
    for column in schema:
        value = column.get("typical")
        if value is None and column.get("min") is not None and column["kind"] == "numeric":
            value = (column["min"] + column["max"]) / 2
        out[column["name"]] = _as_input(value, column["kind"])
    return out


def _as_input(value, kind: str):
    """The reference in the type `inputs.InputChecker` gives that column."""
    if value is None:
        return None
    if kind in ("numeric", "boolean"):
        return float(value)
    if kind == "datetime":
        return pd.Timestamp(value)
    return str(value)


@dataclass
class Explained:
    """Explanations of many rows at once: what each row's explanation is about (a class, or the
    value), that output, and a (rows × columns) matrix of each input column's push on it."""

    classes: list
    output: np.ndarray
    method: str
    scale: str
    columns: list[str]
    values: np.ndarray


def explain(model: TrainedModel, frame: pd.DataFrame, schema: list[dict]) -> Explained:
    """Every row's explanation as arrays (for files of many rows). `frame` holds the schema's
    columns, typed."""
    if model.task == CLUSTERING:
        raise ValueError("Cluster assignments are not explained column by column.")
    reference = typical_row(schema)
    names = [c["name"] for c in schema]
    n = len(frame)
    if model.task == CLASSIFICATION:
        proba = model._scores(model.prepare(frame))
        if len(model.classes) == 2:
            positive = 1 if model.positive_class is None else model.classes.index(model.positive_class)
            chosen = np.full(n, positive)
        else:
            chosen = proba.argmax(axis=1)
        base = proba[np.arange(n), chosen]
        explained = [model.classes[c] for c in chosen]
    else:
        chosen = None
        base = np.asarray(model.predict_encoded(frame), dtype=float)
        explained = [None] * n
    exact = _exact(model, frame, reference, chosen, names)
    if exact is not None:
        method, scale, values = exact
    else:
        method, scale = "occlusion", "probability" if model.task == CLASSIFICATION else "value"
        values = _occlusion(model, frame, reference, names, base, chosen)
    # Rounded: float noise (1e-17 for an unchanged column) would read as a push.
    return Explained(explained, base, method, scale, names, np.round(values, 9))


def contributions(model: TrainedModel, frame: pd.DataFrame, schema: list[dict]) -> list[dict]:
    """Per row: what is explained (a class's probability, or the value), its value, and each
    column's push on it, largest first."""
    found = explain(model, frame, schema)
    rows = []
    for i in range(len(frame)):
        pushes = [{"column": name, "contribution": float(found.values[i, j])} for j, name in enumerate(found.columns)]
        pushes.sort(key=lambda p: -abs(p["contribution"]))
        rows.append(
            {
                "class": found.classes[i],
                "output": float(found.output[i]),
                "method": found.method,
                "scale": found.scale,
                "columns": pushes,
            }
        )
    return rows


def _occlusion(model: TrainedModel, frame: pd.DataFrame, reference: dict, names: list, base, chosen) -> np.ndarray:
    """(rows × columns): output − output with that column set to its reference, in one model call."""
    n = len(frame)
    if not names:
        return np.zeros((n, 0))
    copies = pd.concat([frame] * len(names), ignore_index=True)
    for j, name in enumerate(names):
        copies.loc[j * n : (j + 1) * n - 1, name] = reference[name]
    if chosen is not None:
        moved = model._scores(model.prepare(copies))[np.arange(len(copies)), np.tile(chosen, len(names))]
    else:
        moved = np.asarray(model.predict_encoded(copies), dtype=float)
    return np.asarray(base, dtype=float)[:, None] - np.asarray(moved, dtype=float).reshape(len(names), n).T


def _exact(model: TrainedModel, frame: pd.DataFrame, reference: dict, chosen, names: list) -> tuple | None:
    """(method, scale, rows × columns contributions) for models explained exactly, else None."""
    if len(model.members) != 1:
        return None
    pipeline = model.members[0][0]
    if list(pipeline.named_steps) != ["prep", "model"] or hasattr(pipeline.named_steps["model"], "regressor_"):
        return None  # a transformed target is not additive in the output
    prep, estimator = pipeline.named_steps["prep"], pipeline.named_steps["model"]
    sources = source_columns(prep, model.features)
    matrix = _dense(prep.transform(model.prepare(frame)))
    if len(sources) != matrix.shape[1]:
        return None
    classes = list(getattr(pipeline, "classes_", []))
    index = None if chosen is None else [classes.index(c) if c in classes else None for c in chosen]
    if index is not None and any(i is None for i in index):
        return None
    scale = "score" if model.task == CLASSIFICATION else "value"
    if isinstance(estimator, _BoostedXGB):
        values, method = _tree_contributions(estimator, matrix, index), "tree"
    elif hasattr(estimator, "coef_") and hasattr(estimator, "intercept_"):
        typical = _dense(prep.transform(model.prepare(pd.DataFrame([reference]))))[0]
        values, method = _linear_contributions(estimator, matrix - typical, index), "linear"
    else:
        return None
    if values is None:
        return None
    # Each encoded column adds to the input column it came from.
    position = {name: j for j, name in enumerate(names)}
    totals = np.zeros((len(matrix), len(names)))
    for k, source in enumerate(sources):
        if source in position:
            totals[:, position[source]] += values[:, k]
    return method, scale, totals


def _tree_contributions(estimator: _BoostedXGB, matrix: np.ndarray, index):
    import xgboost

    booster = estimator.model_.get_booster()
    best = getattr(estimator.model_, "best_iteration", None)  # only set by early stopping
    rounds = (0, int(best) + 1) if best is not None else (0, 0)
    contribs = np.asarray(booster.predict(xgboost.DMatrix(matrix), pred_contribs=True, iteration_range=rounds))
    if contribs.ndim == 3:  # several classes: (rows, classes, columns + bias)
        contribs = contribs[np.arange(len(matrix)), np.asarray(index)]
    elif index is not None and len(estimator.classes_) == 2:
        # One score for two classes: it is the second class's; the first's is its opposite.
        contribs = contribs * np.where(np.asarray(index) == 1, 1.0, -1.0)[:, None]
    return contribs[:, :-1]  # the last column is the bias


def _linear_contributions(estimator, centred: np.ndarray, index):
    coef = np.atleast_2d(np.asarray(estimator.coef_, dtype=float))
    if index is None or coef.shape[0] == 1:
        sign = 1.0 if index is None else np.where(np.asarray(index) == 1, 1.0, -1.0)[:, None]
        return centred * coef[0] * sign
    return centred * coef[np.asarray(index)]


def _dense(matrix) -> np.ndarray:
    return np.asarray(matrix.toarray() if hasattr(matrix, "toarray") else matrix, dtype=float)
