"""The work done inside forked children: build a candidate's pipeline, fit it on some rows,
predict others. The search process only orchestrates (see fork.py for why)."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import joblib
import numpy as np
import pandas as pd
from sklearn.compose import TransformedTargetRegressor
from sklearn.pipeline import Pipeline
from sklearn.utils.class_weight import compute_sample_weight

from . import catalog
from .catalog import Context
from .data import Feature
from .metrics import CLASSIFICATION, CLUSTERING, cluster_scores
from .preprocess import build_preprocessor


@dataclass
class SearchData:
    """Everything a child needs about the data (shared with it by fork, never copied up front)."""

    X: pd.DataFrame
    y: np.ndarray | None
    task: str
    features: list[Feature]
    n_classes: int = 0
    seed: int = 0
    balance: bool = False
    positive_target: bool = False
    skewed_target: bool = False  # positive and right-skewed: worth trying a log scale
    notes: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Candidate:
    """An algorithm with its parameters: what a trial fits."""

    key: str
    params: dict

    @property
    def algorithm(self):
        return catalog.get(self.key)


TARGET_TRANSFORM = "target_transform"  # a parameter of every regressor: "log" fits log(1 + y)


def build_pipeline(candidate: Candidate, data: SearchData, *, n_rows: int, n_jobs: int = 1) -> Pipeline:
    algorithm = candidate.algorithm
    params = dict(candidate.params)
    transform = params.pop(TARGET_TRANSFORM, "none")
    prep, n_native = build_preprocessor(
        data.features, algorithm.style, task=data.task, n_classes=data.n_classes, seed=data.seed
    )
    ctx = Context(
        task=data.task,
        n_rows=n_rows,
        n_features=len(data.features),
        n_classes=data.n_classes,
        n_native=n_native,
        seed=data.seed,
        n_jobs=n_jobs,
        positive_target=data.positive_target,
    )
    model = algorithm.make(params, ctx)
    if transform == "log" and data.task == "regression":
        # Skewed positive targets (prices, counts) are often learnt better on a log scale.
        model = TransformedTargetRegressor(regressor=model, func=np.log1p, inverse_func=np.expm1, check_inverse=False)
    return Pipeline([("prep", prep), ("model", model)])


def unwrap(model):
    """The fitted estimator inside a target transform (or the model itself)."""
    return getattr(model, "regressor_", model)


def oversample(y: np.ndarray, seed: int) -> np.ndarray:
    """Row positions with every class repeated up to the size of the largest (random, seeded)."""
    rng = np.random.default_rng(seed)
    counts = np.bincount(y)
    target = counts.max()
    parts = []
    for cls, count in enumerate(counts):
        rows = np.flatnonzero(y == cls)
        if count == 0:
            continue
        extra = rng.choice(rows, target - count, replace=True) if count < target else np.empty(0, dtype=int)
        parts.append(np.concatenate([rows, extra]))
    return np.sort(np.concatenate(parts))


def fit_rows(pipeline: Pipeline, candidate: Candidate, data: SearchData, rows: np.ndarray) -> Pipeline:
    """Fit on `rows`, weighting or resampling classes when the data is imbalanced."""
    X, y = data.X.iloc[rows], data.y[rows]
    if data.task == CLASSIFICATION and data.balance:
        if candidate.algorithm.weights:
            return pipeline.fit(X, y, model__sample_weight=compute_sample_weight("balanced", y))
        picked = oversample(y, data.seed)
        return pipeline.fit(X.iloc[picked], y[picked])
    return pipeline.fit(X, y)


def predict_scores(pipeline: Pipeline, X: pd.DataFrame, task: str, n_classes: int) -> np.ndarray:
    """Probabilities over all K classes (columns of classes unseen in training are 0), or values."""
    if task == CLASSIFICATION:
        proba = np.asarray(pipeline.predict_proba(X), dtype=float)
        out = np.zeros((len(X), n_classes))
        out[:, np.asarray(pipeline.classes_, dtype=int)] = proba
        bad = ~np.isfinite(out).all(axis=1)
        if bad.any():
            out[bad] = 1.0 / n_classes
        return out
    values = np.asarray(pipeline.predict(X), dtype=float)
    if not np.isfinite(values).all():
        raise ValueError("The model produced invalid (infinite or missing) predictions.")
    return values


def fitted_iterations(pipeline: Pipeline) -> int | None:
    """Boosting rounds a model settled on (early stopping), for the final refit."""
    model = unwrap(pipeline.named_steps["model"])
    value = getattr(model, "n_iter_", None)
    return int(np.max(value)) if value is not None else None


def fit_fold(data: SearchData, candidate: Candidate, train: np.ndarray, valid: np.ndarray) -> dict:
    """Child: fit on the training rows of a fold and predict its validation rows."""
    pipeline = build_pipeline(candidate, data, n_rows=len(train))
    started = time.perf_counter()
    fit_rows(pipeline, candidate, data, train)
    fit_time = time.perf_counter() - started
    started = time.perf_counter()
    pred = predict_scores(pipeline, data.X.iloc[valid], data.task, data.n_classes)
    predict_time = time.perf_counter() - started
    iterations = fitted_iterations(pipeline) if candidate.algorithm.iterations_param else None
    return {"pred": pred, "fit_time": fit_time, "predict_time": predict_time, "iterations": iterations}


def fit_clusters(data: SearchData, candidate: Candidate) -> dict:
    """Child: cluster every row, and score the clustering on the features the model saw."""
    pipeline = build_pipeline(candidate, data, n_rows=len(data.X))
    started = time.perf_counter()
    pipeline.fit(data.X)
    fit_time = time.perf_counter() - started
    started = time.perf_counter()
    labels = np.asarray(pipeline.predict(data.X))
    predict_time = time.perf_counter() - started
    matrix = pipeline.named_steps["prep"].transform(data.X)
    scores = cluster_scores(matrix, labels)
    clustered = labels != -1  # DBSCAN-style noise is not a cluster
    found = np.unique(labels[clustered])
    sizes = {int(k): int(v) for k, v in zip(*np.unique(labels, return_counts=True), strict=True)}
    return {
        "scores": scores,
        "n_clusters": len(found),
        "noise": int((~clustered).sum()),
        "sizes": sizes,
        "fit_time": fit_time,
        "predict_time": predict_time,
    }


def refit(data: SearchData, candidate: Candidate, rows: np.ndarray, path: str, n_jobs: int) -> dict:
    """Child: fit the candidate on `rows` (all search rows) and save the fitted pipeline."""
    pipeline = build_pipeline(candidate, data, n_rows=len(rows), n_jobs=n_jobs)
    started = time.perf_counter()
    if data.task == CLUSTERING:
        pipeline.fit(data.X.iloc[rows])
    else:
        fit_rows(pipeline, candidate, data, rows)
    fit_time = time.perf_counter() - started
    joblib.dump(pipeline, path, compress=3)
    return {"fit_time": fit_time, "path": path}
