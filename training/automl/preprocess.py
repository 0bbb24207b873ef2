"""Preprocessing chosen per column kind and per model family, fitted inside each fold.

Every candidate is a scikit-learn Pipeline(preprocessing, model), so whatever the
preprocessing learns (medians, categories, target means, vocabularies) is learnt from the
training rows of a fold only, and the fitted preprocessing is saved with the model: serving
applies exactly what training applied.

Styles (an algorithm names the one it needs in the catalog):
- ``native``: for gradient boosting with native categorical support; low-cardinality
  categories are ordinal codes flagged as categorical, missing values stay missing.
- ``trees``: tree ensembles; one-hot for few categories, ordinal codes for more, missing
  numbers imputed with a missing indicator (``trees_nan`` keeps them missing, for XGBoost).
- ``linear``: scaled numbers with missing indicators, one-hot categories, a sparse TF-IDF
  for text.
- ``dense``: like ``linear`` but dense and compact (distance and kernel models, networks).
High-cardinality categories are target-encoded in every style (cross-fitted within the fold).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.compose import ColumnTransformer
from sklearn.decomposition import TruncatedSVD
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.impute import SimpleImputer
from sklearn.model_selection import KFold, StratifiedKFold
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import OneHotEncoder, OrdinalEncoder, StandardScaler, TargetEncoder

from .data import Feature

STYLES = ("native", "trees", "trees_nan", "linear", "dense")

ONE_HOT_MAX = {"trees": 8, "trees_nan": 8, "linear": 32, "dense": 16}
NATIVE_MAX = 64  # categories HGB handles natively before target encoding takes over
TEXT_FEATURES = {"linear": 2000, "dense": 500}
TEXT_COMPONENTS = 20


class DateParts(TransformerMixin, BaseEstimator):
    """Year, month, day, weekday, day of year, hour (when times vary) and days since epoch."""

    def fit(self, X, y=None):
        frame = pd.DataFrame(X)
        self.columns_ = list(frame.columns)
        self.with_hour_ = {}
        for c in self.columns_:
            values = pd.to_datetime(frame[c], errors="coerce")
            self.with_hour_[c] = bool((values.dt.hour.fillna(0) != 0).any() or (values.dt.minute.fillna(0) != 0).any())
        return self

    def transform(self, X):
        frame = pd.DataFrame(X)
        parts = []
        for c in self.columns_:
            values = pd.to_datetime(frame[c], errors="coerce")
            cols = [values.dt.year, values.dt.month, values.dt.day, values.dt.day_of_week, values.dt.day_of_year]
            if self.with_hour_[c]:
                cols.append(values.dt.hour + values.dt.minute / 60)
            epoch = (values - pd.Timestamp("1970-01-01")) / pd.Timedelta(days=1)
            cols.append(epoch)
            parts.extend(np.asarray(col, dtype=float) for col in cols)
        return np.column_stack(parts) if parts else np.empty((len(frame), 0))

    def get_feature_names_out(self, input_features=None):
        names = []
        for c in self.columns_:
            suffixes = ["year", "month", "day", "weekday", "dayofyear"]
            if self.with_hour_[c]:
                suffixes.append("hour")
            suffixes.append("days")
            names.extend(f"{c}__{s}" for s in suffixes)
        return np.array(names, dtype=object)


class TextVectorizer(TransformerMixin, BaseEstimator):
    """TF-IDF of one text column with a bounded vocabulary, optionally reduced to a few dense
    components (for models that need dense input)."""

    def __init__(self, max_features: int = 1000, components: int = 0, random_state: int = 0):
        self.max_features = max_features
        self.components = components
        self.random_state = random_state

    def _texts(self, X):
        values = np.asarray(X, dtype=object).ravel()
        return ["" if v is None or (isinstance(v, float) and np.isnan(v)) else str(v) for v in values]

    def fit(self, X, y=None):
        texts = self._texts(X)
        self.tfidf_ = TfidfVectorizer(
            max_features=self.max_features, min_df=2 if len(texts) > 50 else 1, sublinear_tf=True
        )
        try:
            matrix = self.tfidf_.fit_transform(texts)
        except ValueError:  # only stop words or empty strings: an empty vocabulary
            self.tfidf_ = None
            self.n_out_ = 0
            return self
        self.svd_ = None
        if self.components:
            n = min(self.components, matrix.shape[1] - 1, matrix.shape[0] - 1)
            if n >= 1:
                self.svd_ = TruncatedSVD(n_components=n, random_state=self.random_state).fit(matrix)
        self.n_out_ = self.svd_.n_components if self.svd_ is not None else matrix.shape[1]
        return self

    def transform(self, X):
        texts = self._texts(X)
        if self.tfidf_ is None:
            return np.zeros((len(texts), 0))
        matrix = self.tfidf_.transform(texts)
        return self.svd_.transform(matrix) if self.svd_ is not None else matrix

    def get_feature_names_out(self, input_features=None):
        base = input_features[0] if input_features is not None and len(input_features) else "text"
        return np.array([f"{base}__t{i}" for i in range(self.n_out_)], dtype=object)


def _target_type(task: str, n_classes: int) -> str:
    if task == "regression":
        return "continuous"
    return "binary" if n_classes <= 2 else "multiclass"


def _target_encoder(task: str, n_classes: int, seed: int) -> TargetEncoder:
    kind = _target_type(task, n_classes)
    splitter = (
        KFold(5, shuffle=True, random_state=seed)
        if kind == "continuous"
        else StratifiedKFold(5, shuffle=True, random_state=seed)
    )
    return TargetEncoder(target_type=kind, cv=splitter)


def _split_categoricals(features: list[Feature], low_max: int) -> tuple[list[str], list[str]]:
    cats = [f for f in features if f.kind == "categorical"]
    return [f.name for f in cats if f.cardinality <= low_max], [f.name for f in cats if f.cardinality > low_max]


def build_preprocessor(
    features: list[Feature], style: str, *, task: str, n_classes: int = 0, seed: int = 0
) -> tuple[ColumnTransformer, int]:
    """The column transformer for `style`, and how many leading output columns are native
    categorical codes (only the ``native`` style has any)."""
    if style not in STYLES:
        raise ValueError(f"Unknown preprocessing style {style!r}")
    numeric = [f.name for f in features if f.kind == "numeric"]
    boolean = [f.name for f in features if f.kind == "boolean"]
    dates = [f.name for f in features if f.kind == "datetime"]
    texts = [f.name for f in features if f.kind == "text"]
    supervised = task in ("classification", "regression")
    low_max = NATIVE_MAX if style == "native" else ONE_HOT_MAX[style]
    low, high = _split_categoricals(features, low_max if supervised else 10_000)
    if not supervised and style != "native":
        # Without a target there is nothing to target-encode: frequent categories one-hot, the rest grouped.
        low, high = low + high, []
    parts: list[tuple] = []
    n_native = 0
    if style == "native":
        if low:
            codes = OrdinalEncoder(
                handle_unknown="use_encoded_value", unknown_value=np.nan, encoded_missing_value=np.nan
            )
            parts.append(("categorical", codes, low))
            n_native = len(low)
        if numeric or boolean:
            parts.append(("numeric", "passthrough", numeric + boolean))
        if dates:
            parts.append(("dates", DateParts(), dates))
    elif style in ("trees", "trees_nan"):
        few = [f.name for f in features if f.kind == "categorical" and f.cardinality <= ONE_HOT_MAX[style]]
        some = [c for c in low if c not in few]
        if few:
            parts.append(("onehot", _one_hot(sparse=False), few))
        if some:
            parts.append(("ordinal", OrdinalEncoder(handle_unknown="use_encoded_value", unknown_value=-1), some))
        number_cols = numeric + boolean
        if style == "trees_nan":
            if number_cols:
                parts.append(("numeric", "passthrough", number_cols))
            if dates:
                parts.append(("dates", DateParts(), dates))
        else:
            if number_cols:
                parts.append(("numeric", SimpleImputer(strategy="median", add_indicator=True), number_cols))
            if dates:
                parts.append(("dates", make_pipeline(DateParts(), SimpleImputer(strategy="median")), dates))
    else:
        if numeric:
            parts.append(("numeric", _scaled_numbers(), numeric))
        if boolean:
            parts.append(("boolean", SimpleImputer(strategy="most_frequent"), boolean))
        if low:
            parts.append(("onehot", _one_hot(sparse=style == "linear"), low))
        if dates:
            parts.append(
                ("dates", make_pipeline(DateParts(), SimpleImputer(strategy="median"), StandardScaler()), dates)
            )
    if high:
        encoder = make_pipeline(_target_encoder(task, n_classes, seed), StandardScaler())
        parts.append(("target_encoded", encoder, high))
    for name in texts:
        if style == "linear":
            vectorizer = TextVectorizer(max_features=TEXT_FEATURES["linear"], random_state=seed)
        else:
            vectorizer = TextVectorizer(
                max_features=TEXT_FEATURES["dense"], components=TEXT_COMPONENTS, random_state=seed
            )
        parts.append((f"text_{len(parts)}", vectorizer, name))
    sparse_threshold = 0.3 if style == "linear" else 0.0
    transformer = ColumnTransformer(parts, remainder="drop", sparse_threshold=sparse_threshold, n_jobs=None)
    return transformer, n_native


def _one_hot(*, sparse: bool) -> OneHotEncoder:
    return OneHotEncoder(handle_unknown="infrequent_if_exist", min_frequency=5, sparse_output=sparse, dtype=np.float64)


def _scaled_numbers() -> Pipeline:
    return make_pipeline(SimpleImputer(strategy="median", add_indicator=True), StandardScaler())


def output_names(transformer: ColumnTransformer) -> list[str]:
    """Readable names of the transformed columns (for native importances)."""
    try:
        return [str(n).split("__", 1)[-1] if "__" in str(n) else str(n) for n in transformer.get_feature_names_out()]
    except (AttributeError, ValueError):
        return []


def source_columns(transformer: ColumnTransformer, features: list[Feature]) -> list[str]:
    """For each transformed column, the input column it came from."""
    sources: list[str] = []
    for name, step, columns in transformer.transformers_:
        if name == "remainder" or step == "drop":
            continue
        cols = [columns] if isinstance(columns, str) else list(columns)
        try:
            out = step.get_feature_names_out(cols) if step != "passthrough" else np.array(cols)
        except (AttributeError, ValueError, TypeError):
            out = np.array(cols)
        for out_name in out:
            text = str(out_name)
            match = next(
                (c for c in sorted(cols, key=len, reverse=True) if text == c or text.startswith(f"{c}_")), None
            )
            if match is None:
                match = next((c for c in cols if c in text), cols[0] if cols else text)
            sources.append(match)
    return sources
