"""Turning a typed table into what the search works on: features by kind, an encoded target.

Column types come from the dataset's schema (numeric, categorical, boolean, datetime, text,
identifier). Identifiers, constant and empty columns are dropped here with a note saying why;
the rest keep their kind, which decides their preprocessing (see preprocess.py).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .metrics import CLASSIFICATION, CLUSTERING, REGRESSION

FEATURE_KINDS = ("numeric", "boolean", "categorical", "datetime", "text")
MISSING = "(missing)"


class DataError(ValueError):
    """The data cannot be trained on as asked; the message says why, for the user."""


@dataclass
class Feature:
    name: str
    kind: str
    cardinality: int = 0  # distinct values, for categorical columns
    missing: bool = False

    def as_dict(self) -> dict:
        return {"name": self.name, "kind": self.kind, "cardinality": self.cardinality, "missing": self.missing}


@dataclass
class Prepared:
    """The search's view of the data: features, the encoded target and its classes."""

    X: pd.DataFrame
    y: np.ndarray | None
    task: str
    features: list[Feature]
    classes: list = field(default_factory=list)  # original labels, index = encoded value
    positive_class: object = None
    notes: list[str] = field(default_factory=list)
    kept_rows: np.ndarray | None = None  # positions of the input rows used (target present)

    @property
    def n_classes(self) -> int:
        return len(self.classes)

    @property
    def n_rows(self) -> int:
        return len(self.X)


def clean_frame(X: pd.DataFrame, features: list[Feature]) -> pd.DataFrame:
    """The features in a fixed order and plain dtypes the preprocessing expects.

    Used on training data and on every prediction input, so serving equals training."""
    out = {}
    for f in features:
        col = X[f.name] if f.name in X.columns else pd.Series([None] * len(X), index=X.index)
        if f.kind == "numeric":
            out[f.name] = pd.to_numeric(col, errors="coerce").astype("float64")
        elif f.kind == "boolean":
            out[f.name] = _as_bool_float(col)
        elif f.kind == "datetime":
            out[f.name] = _as_datetime(col)
        else:
            out[f.name] = _as_text(col, missing=MISSING if f.kind == "categorical" else "")
    return pd.DataFrame(out, index=X.index)


def _as_bool_float(col: pd.Series) -> pd.Series:
    if pd.api.types.is_bool_dtype(col) or pd.api.types.is_numeric_dtype(col):
        return pd.to_numeric(col, errors="coerce").astype("float64")
    mapped = (
        col.astype("string")
        .str.strip()
        .str.lower()
        .map(
            {
                "true": 1.0,
                "yes": 1.0,
                "y": 1.0,
                "t": 1.0,
                "1": 1.0,
                "false": 0.0,
                "no": 0.0,
                "n": 0.0,
                "f": 0.0,
                "0": 0.0,
            }
        )
    )
    return pd.to_numeric(mapped, errors="coerce").astype("float64")


def _as_datetime(col: pd.Series) -> pd.Series:
    if isinstance(col.dtype, pd.DatetimeTZDtype):
        return col.dt.tz_convert("UTC").dt.tz_localize(None)
    if pd.api.types.is_datetime64_any_dtype(col):
        return col
    return pd.to_datetime(col, errors="coerce", format="mixed")


SMALL_FRAME = 1_000


def _as_text(col: pd.Series, *, missing: str) -> pd.Series:
    """Plain strings (object dtype: what scikit-learn's encoders take); a missing value becomes
    `missing`, so "not given" is a category of its own rather than an error."""
    if len(col) < SMALL_FRAME and (col.dtype == object or isinstance(col.dtype, pd.StringDtype)):
        # The same strings without pandas' string arrays, whose set-up dominates a prediction of
        # a few rows.
        values = [missing if _is_missing(v) else v if isinstance(v, str) else str(v) for v in col.tolist()]
        return pd.Series(values, index=col.index, dtype=object)
    values = col.astype("string").fillna(missing)
    return values.astype(object)


def _is_missing(value) -> bool:
    return value is None or value is pd.NA or value is pd.NaT or (isinstance(value, float) and value != value)


def _feature_kind(column_type: str) -> str | None:
    return column_type if column_type in FEATURE_KINDS else None


def select_features(X: pd.DataFrame, column_types: dict[str, str], notes: list[str]) -> list[Feature]:
    features = []
    for name in X.columns:
        kind = _feature_kind(column_types.get(name, "numeric"))
        if kind is None:
            notes.append(f"Column “{name}” is an identifier and is not used as a feature.")
            continue
        col = X[name]
        non_null = col.dropna()
        if non_null.empty:
            notes.append(f"Column “{name}” is empty and is not used.")
            continue
        distinct = int(non_null.astype(str).nunique()) if kind in ("categorical", "text") else int(non_null.nunique())
        if distinct < 2 and not col.isna().any():
            notes.append(f"Column “{name}” has a single value and is not used.")
            continue
        features.append(
            Feature(name, kind, cardinality=distinct if kind == "categorical" else 0, missing=bool(col.isna().any()))
        )
    if not features:
        raise DataError("No usable feature columns: every column is the target, an identifier, empty or constant.")
    return features


AFFIRMATIVE = {"yes", "y", "true", "t", "1", "1.0", "positive", "pos"}


def encode_classes(y: pd.Series, positive_class=None) -> tuple[np.ndarray, list, object]:
    """Labels as 0..K-1 and the original labels. For two classes the positive one is encoded
    as 1, so binary metrics and charts speak of it: the one given, else an affirmative label
    (yes, true, 1…), else the minority class (what is usually being looked for)."""
    values = y.astype("string") if not pd.api.types.is_numeric_dtype(y) else y
    counts = values.value_counts()
    labels = sorted(counts.index.tolist(), key=lambda v: (str(type(v)), v))
    if len(labels) == 2:
        affirmative = [v for v in labels if str(v).strip().lower() in AFFIRMATIVE]
        if positive_class is not None and str(positive_class) in {str(v) for v in labels}:
            positive = next(v for v in labels if str(v) == str(positive_class))
        elif len(affirmative) == 1:
            positive = affirmative[0]
        elif counts[labels[0]] < counts[labels[1]]:
            positive = labels[0]
        else:
            positive = labels[1]
        labels = [v for v in labels if v != positive] + [positive]
    else:
        positive = None
    index = {v: i for i, v in enumerate(labels)}
    encoded = values.map(index).to_numpy(dtype=np.int64)
    return encoded, [_plain(v) for v in labels], _plain(positive)


def _plain(value):
    """A label as a JSON-friendly Python value."""
    if value is None:
        return None
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def prepare(
    X: pd.DataFrame,
    y: pd.Series | None,
    *,
    task: str,
    column_types: dict[str, str],
    positive_class=None,
    min_rows: int = 10,
) -> Prepared:
    notes: list[str] = []
    kept = np.arange(len(X))
    if task != CLUSTERING:
        if y is None:
            raise DataError("A target column is needed for classification and regression.")
        present = np.array(y.notna(), dtype=bool)
        if task == REGRESSION:
            y_num = pd.to_numeric(y, errors="coerce")
            present &= np.isfinite(y_num.to_numpy(dtype=float, na_value=np.nan))
        if not present.all():
            notes.append(f"{int((~present).sum()):,} rows without a target value are left out.")
        kept = np.flatnonzero(present)
        X = X.iloc[kept]
        y = y.iloc[kept]
    if len(X) < min_rows:
        raise DataError(f"Training needs at least {min_rows} rows with a target value; this data has {len(X)}.")
    features = select_features(X, column_types, notes)
    frame = clean_frame(X, features).reset_index(drop=True)
    prepared = Prepared(X=frame, y=None, task=task, features=features, notes=notes, kept_rows=kept)
    if task == CLASSIFICATION:
        encoded, classes, positive = encode_classes(y.reset_index(drop=True), positive_class)
        if len(classes) < 2:
            raise DataError("The target has a single class; classification needs at least two.")
        prepared.y, prepared.classes, prepared.positive_class = encoded, classes, positive
        _drop_singleton_classes(prepared)
    elif task == REGRESSION:
        prepared.y = pd.to_numeric(y, errors="coerce").to_numpy(dtype=float)
    return prepared


def _drop_singleton_classes(prepared: Prepared) -> None:
    """Classes seen once cannot be both trained on and validated: leave their rows out."""
    counts = np.bincount(prepared.y, minlength=prepared.n_classes)
    rare = [i for i, c in enumerate(counts) if c < 2]
    if not rare:
        return
    if prepared.n_classes - len(rare) < 2:
        raise DataError("Every class but one has a single row; classification needs at least two rows per class.")
    keep = ~np.isin(prepared.y, rare)
    names = ", ".join(f"“{prepared.classes[i]}”" for i in rare[:5])
    prepared.notes.append(f"Classes with a single row are left out: {names}.")
    remap = {old: new for new, old in enumerate(i for i in range(prepared.n_classes) if i not in rare)}
    prepared.X = prepared.X[keep].reset_index(drop=True)
    prepared.y = np.array([remap[v] for v in prepared.y[keep]], dtype=np.int64)
    prepared.kept_rows = prepared.kept_rows[keep]
    prepared.classes = [c for i, c in enumerate(prepared.classes) if i not in rare]
    if len(prepared.classes) != 2:
        prepared.positive_class = None
    elif prepared.positive_class not in prepared.classes:
        prepared.positive_class = prepared.classes[1]
