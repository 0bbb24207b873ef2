"""What a model expects as input: each feature's kind, whether it may be missing, the
categories seen in training and the range of values observed. Saved with a model version, it
drives the prediction form and the validation of prediction requests."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .data import MISSING, Feature

# Beyond this many distinct values a categorical input is "open": any value is accepted (the
# encoders treat an unseen one as unknown) instead of being checked against a list.
MAX_CATEGORIES = 1000


def input_schema(X: pd.DataFrame, features: list[Feature]) -> list[dict]:
    """One entry per feature, from `X` as `data.clean_frame` made it (the training rows)."""
    return [_column(X[f.name], f) for f in features]


def _column(col: pd.Series, feature: Feature) -> dict:
    entry: dict = {"name": feature.name, "kind": feature.kind}
    if feature.kind in ("categorical", "text"):
        present = col[col != MISSING] if feature.kind == "categorical" else col[col != ""]
        entry["missing"] = bool(len(present) < len(col))
    else:
        present = col.dropna()
        entry["missing"] = bool(len(present) < len(col))
    # "typical" is the reference value an explanation compares a row's value with.
    if feature.kind == "numeric" and len(present):
        entry["min"], entry["max"] = _number(present.min()), _number(present.max())
        entry["typical"] = _number(present.median())
        entry["integer"] = bool(np.all(np.mod(present.to_numpy(), 1) == 0))
    elif feature.kind == "boolean" and len(present):
        entry["typical"] = bool(present.mean() >= 0.5)
    elif feature.kind == "datetime" and len(present):
        entry["min"], entry["max"] = present.min().isoformat(), present.max().isoformat()
        entry["typical"] = present.quantile(0.5).isoformat()
    elif feature.kind == "categorical":
        counts = present.value_counts()
        entry["open"] = bool(len(counts) > MAX_CATEGORIES)
        entry["categories"] = [str(v) for v in counts.index[:MAX_CATEGORIES]]
        if len(counts):
            entry["typical"] = str(counts.index[0])
    return entry


def _number(value) -> float | int:
    value = float(value)
    return int(value) if value.is_integer() and abs(value) < 2**53 else value
