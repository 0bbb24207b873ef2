"""Explaining single predictions, model-agnostically: for each input column, how much the
prediction moves when that column's value is replaced by a typical one (the training median or
most frequent value). All the replaced copies go through the model in one call."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .metrics import CLASSIFICATION, CLUSTERING
from .model import TrainedModel


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


def contributions(model: TrainedModel, frame: pd.DataFrame, schema: list[dict]) -> list[dict]:
    """Per row: what is explained (a class's probability, or the value), its value, and each
    column's push on it, largest first. `frame` holds the schema's columns, typed."""
    if model.task == CLUSTERING:
        raise ValueError("Cluster assignments are not explained column by column.")
    reference = typical_row(schema)
    names = [c["name"] for c in schema]
    n = len(frame)
    copies = pd.concat([frame] * len(names), ignore_index=True)
    for j, name in enumerate(names):
        copies.loc[j * n : (j + 1) * n - 1, name] = reference[name]
    if model.task == CLASSIFICATION:
        proba = model._scores(model.prepare(frame))
        if len(model.classes) == 2:
            positive = 1 if model.positive_class is None else model.classes.index(model.positive_class)
            chosen = np.full(n, positive)
        else:
            chosen = proba.argmax(axis=1)
        base = proba[np.arange(n), chosen]
        moved = model._scores(model.prepare(copies))[np.arange(len(copies)), np.tile(chosen, len(names))]
        explained = [model.classes[c] for c in chosen]
    else:
        base = np.asarray(model.predict_encoded(frame), dtype=float)
        moved = np.asarray(model.predict_encoded(copies), dtype=float)
        explained = [None] * n
    rows = []
    for i in range(n):
        pushes = [{"column": name, "contribution": float(base[i] - moved[j * n + i])} for j, name in enumerate(names)]
        pushes.sort(key=lambda p: -abs(p["contribution"]))
        rows.append({"class": explained[i], "output": float(base[i]), "columns": pushes})
    return rows
