"""A trained model's preprocessing turned into lookups and arithmetic, for predictions of a few
rows: the pipeline's numbers without pandas and scikit-learn's per-call input checks, which cost
a single-row prediction many times the model's own work.

How each part of a member's column transformer becomes plain work:
- a categorical encoder (one-hot, ordinal or target encoding, with scalers after it) gives each
  column an output that depends on that column's category alone, so every category's output is
  computed once, by the fitted part itself, and looked up;
- numbers passed through, imputed (with missing indicators) and standardised are the same
  arithmetic on a float array;
- anything else (dates, text) is applied by its own fitted transformer, on a frame of its columns.
The model step then runs as fitted, or through a faster stand-in that gives the same numbers
(compiled_models.py). `compile_model` checks the result against the pipeline on a probe of every
known category, missing values and sample numbers, and gives None for a model whose compiled
form does not match (or cannot be built): such a model is served by its pipeline.
"""

from __future__ import annotations

import logging
import warnings
from itertools import cycle, islice
from typing import NamedTuple

import numpy as np
import pandas as pd
from scipy import sparse
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import FunctionTransformer, OneHotEncoder, OrdinalEncoder, StandardScaler, TargetEncoder

from .compiled_models import model_step, openmp_on_one_thread
from .data import MISSING, Feature, _is_missing, clean_frame
from .metrics import CLASSIFICATION, REGRESSION

log = logging.getLogger("training.automl")

UNSEEN = "\x00unseen\x00"  # a category no training set holds, to learn how unknown ones encode
NUMBER_KINDS = ("numeric", "boolean")
PROBE_NUMBERS = [0.0, 1.0, -2.5, None, 37.0, 1e5, 0.125]
PROBE_ROWS_MAX = 256


class Columns:
    """Checked input values (column → list, as `InputChecker.values` gives them), cleaned as
    `data.clean_frame` cleans a frame, one column at a time and only when a part asks for it."""

    def __init__(self, features: list[Feature], values: dict[str, list], count: int):
        self.features = {f.name: f for f in features}
        self.values = values
        self.count = count
        self._numbers: dict[str, np.ndarray] = {}
        self._texts: dict[str, list[str]] = {}

    def _raw(self, name: str) -> list:
        return self.values.get(name) or [None] * self.count

    def numbers(self, names: list[str]) -> np.ndarray:
        columns = []
        for name in names:
            if name not in self._numbers:
                self._numbers[name] = np.array([np.nan if v is None else v for v in self._raw(name)], dtype=float)
            columns.append(self._numbers[name])
        return np.column_stack(columns) if columns else np.empty((self.count, 0))

    def texts(self, name: str) -> list[str]:
        if name not in self._texts:
            missing = MISSING if self.features[name].kind == "categorical" else ""
            raw = self._raw(name)
            self._texts[name] = [missing if _is_missing(v) else v if isinstance(v, str) else str(v) for v in raw]
        return self._texts[name]

    def frame(self, names: list[str]) -> pd.DataFrame:
        raw = pd.DataFrame({n: self._raw(n) for n in names}, index=pd.RangeIndex(self.count))
        return clean_frame(raw, [self.features[n] for n in names])


class Member(NamedTuple):
    """One member pipeline, compiled: its column transformer's parts in order, its model step
    (or the step's stand-in), the method that scores, and whether the step takes sparse input."""

    parts: list
    step: object
    method: str
    sparse: bool


class CompiledModel:
    """`scores(values, count)` equals `model._scores(model.prepare(frame of those values))`."""

    def __init__(self, model, members: list[Member]):
        self.model = model
        self.members = members

    def scores(self, values: dict[str, list], count: int) -> np.ndarray:
        openmp_on_one_thread()
        return self._scores(values, count)

    def _scores(self, values: dict[str, list], count: int) -> np.ndarray:
        columns = Columns(self.model.features, values, count)
        outputs = []
        for member in self.members:
            blocks = [part(columns) for part in member.parts]
            X = np.hstack(blocks) if blocks else np.empty((count, 0))
            outputs.append(getattr(member.step, member.method)(sparse.csr_matrix(X) if member.sparse else X))
        return self.model.blend(outputs, count)


def compile_model(model) -> CompiledModel | None:
    """The model's compiled form, or None when some part cannot be compiled or the result does
    not give the pipeline's numbers."""
    if model.task not in (CLASSIFICATION, REGRESSION):
        return None
    features = {f.name: f for f in model.features}
    method = "predict_proba" if model.task == CLASSIFICATION else "predict"
    members = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for pipeline, _ in model.members:
            steps = getattr(pipeline, "named_steps", None)
            if steps is None or list(steps) != ["prep", "model"] or not isinstance(steps["prep"], ColumnTransformer):
                return None
            parts = [_compile_part(part, columns, features) for part, columns in _parts(steps["prep"])]
            as_sparse = bool(getattr(steps["prep"], "sparse_output_", False))
            members.append(Member(parts, model_step(steps["model"]), method, as_sparse))
        compiled = CompiledModel(model, members)
        if not _matches(compiled, model):
            log.warning("The compiled form of %s differs from its pipeline, which serves it instead.", model.name)
            return None
    return compiled


def _parts(transformer: ColumnTransformer):
    for _, part, columns in transformer.transformers_:
        if isinstance(part, str) and part == "drop":
            continue
        columns = [columns] if isinstance(columns, str) else list(columns)
        if columns:
            yield part, columns


def _compile_part(part, columns: list[str], features: dict[str, Feature]):
    kinds = {features[c].kind if c in features else None for c in columns}
    if kinds <= set(NUMBER_KINDS):
        steps = _arithmetic(part)
        if steps is not None:
            return lambda data: _apply(steps, data.numbers(columns))
    if kinds == {"categorical"}:
        lookup = _Lookup.build(part, columns)
        if lookup is not None:
            return lookup
    return _Fallback(part, columns)


def _arithmetic(part) -> list | None:
    """The part as a list of imputers and scalers applied in turn (empty: passed through), or
    None when some step is not one of those."""
    steps = [s for _, s in part.steps] if isinstance(part, Pipeline) else [part]
    # A fitted column transformer keeps "passthrough" as a FunctionTransformer without a function.
    steps = [s for s in steps if not (isinstance(s, FunctionTransformer) and s.func is None)]
    for step in steps:
        if isinstance(step, SimpleImputer):
            if not (isinstance(step.missing_values, float) and np.isnan(step.missing_values)):
                return None
        elif not isinstance(step, StandardScaler):
            return None
    return steps


def _apply(steps: list, X: np.ndarray) -> np.ndarray:
    for step in steps:
        X = _impute(step, X) if isinstance(step, SimpleImputer) else _scale(step, X)
    return X


def _impute(imputer: SimpleImputer, X: np.ndarray) -> np.ndarray:
    """SimpleImputer.transform on dense floats: columns without a statistic are dropped (unless
    kept empty), missing values filled, then the missing indicators of the columns it tracks."""
    statistics = np.asarray(imputer.statistics_, dtype=float)
    missing = np.isnan(X)
    keep = slice(None) if imputer.keep_empty_features else ~np.isnan(statistics)
    out = np.where(missing[:, keep], statistics[keep], X[:, keep])
    if imputer.add_indicator:
        out = np.hstack([out, missing[:, imputer.indicator_.features_].astype(float)])
    return out


def _scale(scaler: StandardScaler, X: np.ndarray) -> np.ndarray:
    if scaler.with_mean:
        X = X - scaler.mean_
    if scaler.with_std:
        X = X / scaler.scale_
    return X


class _Lookup:
    """A categorical part as one table per column: each known category's (and the missing
    marker's, and an unknown category's) output block, as the fitted part computed it."""

    def __init__(self, columns, tables, fallback):
        self.columns = columns
        self.tables = tables  # per column: (category → row of the block, block, row for unknown or None)
        self.fallback = fallback

    @classmethod
    def build(cls, part, columns: list[str]) -> _Lookup | None:
        steps = [s for _, s in part.steps] if isinstance(part, Pipeline) else [part]
        if not all(isinstance(s, StandardScaler) for s in steps[1:]):
            return None
        widths = _widths(steps[0], len(columns))
        if widths is None:
            return None
        categories = [list(c) for c in steps[0].categories_]
        if any(not c for c in categories):
            return None
        tables, start = [], 0
        for i, column in enumerate(columns):
            known = list(dict.fromkeys([*categories[i], MISSING]))
            out, unknown = _probe(part, columns, categories, column, known)
            if out is None:
                return None
            index = {value: row for row, value in enumerate(known)}
            tables.append((index, out[:, start : start + widths[i]], unknown))
            start += widths[i]
            if start > out.shape[1]:
                return None
        if start != out.shape[1]:
            return None
        return cls(columns, tables, _Fallback(part, columns))

    def __call__(self, data: Columns) -> np.ndarray:
        blocks = []
        for column, (index, block, unknown) in zip(self.columns, self.tables, strict=True):
            rows = [index.get(value, unknown) for value in data.texts(column)]
            if None in rows:  # a category the part refuses: let it say so itself
                return self.fallback(data)
            blocks.append(block[rows])
        return np.hstack(blocks)


def _widths(encoder, n_columns: int) -> list[int] | None:
    """How many output columns each input column of a fitted encoder gives."""
    if isinstance(encoder, OneHotEncoder):
        widths = getattr(encoder, "_n_features_outs", None)
        return list(widths) if widths is not None and len(widths) == n_columns else None
    if isinstance(encoder, OrdinalEncoder):
        return [1] * n_columns
    if isinstance(encoder, TargetEncoder):
        return [len(encoder.classes_) if encoder.target_type_ == "multiclass" else 1] * n_columns
    return None


def _probe(part, columns, categories, column, known) -> tuple[np.ndarray | None, int | None]:
    """The part's output with `column` taking each value of `known` and then an unseen one, the
    other columns a fixed known category; and the row of the unseen one (None when refused)."""

    def frame(values):
        return pd.DataFrame(
            {c: values if c == column else [cats[0]] * len(values) for c, cats in zip(columns, categories, strict=True)}
        )

    try:
        return _dense(part.transform(frame([*known, UNSEEN]))), len(known)
    except ValueError:
        pass
    try:
        return _dense(part.transform(frame(known))), None
    except ValueError:
        return None, None


def _dense(out) -> np.ndarray:
    return np.asarray(out.toarray() if hasattr(out, "toarray") else out, dtype=float)


class _Fallback:
    """A part applied by its own fitted transformer to a frame of its columns."""

    def __init__(self, part, columns: list[str]):
        self.part = part
        self.columns = columns

    def __call__(self, data: Columns) -> np.ndarray:
        return _dense(self.part.transform(data.frame(self.columns))).reshape(data.count, -1)


def _matches(compiled: CompiledModel, model) -> bool:
    """Whether the compiled form gives the pipeline's numbers on a probe of every category seen
    by an encoder, missing values and sample values of every other kind."""
    seen: dict[str, list] = {}
    for member in compiled.members:
        for part in member.parts:
            if isinstance(part, _Lookup):
                for column, (index, _, _) in zip(part.columns, part.tables, strict=True):
                    seen.setdefault(column, list(index))
    samples = {f.name: _samples(f, seen.get(f.name)) for f in model.features}
    count = min(PROBE_ROWS_MAX, max([len(s) for s in samples.values()] + [1]))
    values = {name: list(islice(cycle(s), count)) for name, s in samples.items()}
    try:
        fast = compiled._scores(values, count)  # the calling thread keeps its OpenMP threads
        slow = model._scores(model.prepare(pd.DataFrame(values, index=pd.RangeIndex(count))))
    except Exception as exc:  # noqa: BLE001 - any trouble means: serve this model by its pipeline
        log.warning("The compiled form of %s failed its probe (%s).", model.name, type(exc).__name__)
        return False
    return fast.shape == slow.shape and bool(np.allclose(fast, slow, rtol=1e-9, atol=1e-12, equal_nan=True))


def _samples(feature: Feature, categories: list | None) -> list:
    if feature.kind in NUMBER_KINDS:
        return PROBE_NUMBERS if feature.kind == "numeric" else [1.0, 0.0, None]
    if feature.kind == "datetime":
        return [pd.Timestamp("2020-01-31"), None, pd.Timestamp("1999-12-01 13:45")]
    if feature.kind == "text":
        return ["", "some words here", None, "word"]
    return [*(v for v in (categories or ["a"]) if v != MISSING), None]
