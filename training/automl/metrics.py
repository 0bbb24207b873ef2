"""Metrics the search optimises and the evaluation reports, computed from predictions.

Classification predictions are class probabilities (n rows × K classes, columns in the order of
the encoded labels 0..K-1; for binary tasks column 1 is the positive class); regression
predictions are values; clustering "predictions" are cluster labels scored against the features.
Everything here is plain NumPy/scikit-learn metrics and runs in the search's parent process.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from sklearn import metrics as skm

CLASSIFICATION = "classification"
REGRESSION = "regression"
CLUSTERING = "clustering"
TASKS = (CLASSIFICATION, REGRESSION, CLUSTERING)

EPS = 1e-15


@dataclass(frozen=True)
class Metric:
    name: str
    label: str
    task: str
    greater_is_better: bool
    fn: Callable
    binary_only: bool = False

    def score(self, y_true, pred) -> float:
        return float(self.fn(y_true, pred))

    def better(self, a: float | None, b: float | None) -> bool:
        """Is score `a` strictly better than `b` (None is worst)?"""
        if a is None or not np.isfinite(a):
            return False
        if b is None or not np.isfinite(b):
            return True
        return a > b if self.greater_is_better else a < b

    def loss(self, value: float | None) -> float:
        """The value as something to minimise (inf when missing)."""
        if value is None or not np.isfinite(value):
            return float("inf")
        return -value if self.greater_is_better else value


def labels_from_proba(proba: np.ndarray, threshold: float = 0.5) -> np.ndarray:
    proba = np.asarray(proba)
    if proba.ndim == 2 and proba.shape[1] == 2:
        return (proba[:, 1] >= threshold).astype(int)
    return np.argmax(proba, axis=1)


def _n_classes(proba: np.ndarray) -> int:
    return proba.shape[1]


def _accuracy(y, p):
    return skm.accuracy_score(y, labels_from_proba(p))


def _balanced_accuracy(y, p):
    return skm.balanced_accuracy_score(y, labels_from_proba(p))


def _average(p) -> str:
    return "binary" if _n_classes(p) == 2 else "macro"


def _f1(y, p):
    return skm.f1_score(y, labels_from_proba(p), average=_average(p), zero_division=0)


def _f1_macro(y, p):
    return skm.f1_score(y, labels_from_proba(p), average="macro", zero_division=0)


def _f1_weighted(y, p):
    return skm.f1_score(y, labels_from_proba(p), average="weighted", zero_division=0)


def _precision(y, p):
    return skm.precision_score(y, labels_from_proba(p), average=_average(p), zero_division=0)


def _recall(y, p):
    return skm.recall_score(y, labels_from_proba(p), average=_average(p), zero_division=0)


def _present_columns(y, p):
    """Classes present in y_true (a fold of a small dataset can miss a rare class)."""
    present = np.unique(y)
    return present, p[:, present]


def _roc_auc(y, p):
    if _n_classes(p) == 2:
        if len(np.unique(y)) < 2:
            return float("nan")
        return skm.roc_auc_score(y, p[:, 1])
    present, sub = _present_columns(y, p)
    if len(present) < 2:
        return float("nan")
    onehot = (np.asarray(y)[:, None] == present[None, :]).astype(int)
    return skm.roc_auc_score(onehot, sub, average="macro")


def _pr_auc(y, p):
    if _n_classes(p) == 2:
        return skm.average_precision_score(y, p[:, 1])
    present, sub = _present_columns(y, p)
    onehot = (np.asarray(y)[:, None] == present[None, :]).astype(int)
    return skm.average_precision_score(onehot, sub, average="macro")


def _log_loss(y, p):
    p = np.clip(np.asarray(p, dtype=float), EPS, 1 - EPS)
    p = p / p.sum(axis=1, keepdims=True)
    return skm.log_loss(y, p, labels=np.arange(p.shape[1]))


def _mcc(y, p):
    return skm.matthews_corrcoef(y, labels_from_proba(p))


def _rmse(y, p):
    return float(np.sqrt(np.mean((np.asarray(y, float) - np.asarray(p, float)) ** 2)))


def _mae(y, p):
    return skm.mean_absolute_error(y, p)


def _r2(y, p):
    return skm.r2_score(y, p)


def _mape(y, p):
    return skm.mean_absolute_percentage_error(y, p)


def _median_ae(y, p):
    return skm.median_absolute_error(y, p)


def _silhouette(x, labels):
    return skm.silhouette_score(x, labels, sample_size=min(len(labels), 5000), random_state=0)


def _davies_bouldin(x, labels):
    return skm.davies_bouldin_score(x, labels)


def _calinski_harabasz(x, labels):
    return skm.calinski_harabasz_score(x, labels)


METRICS: dict[str, Metric] = {
    m.name: m
    for m in (
        Metric("roc_auc", "ROC AUC", CLASSIFICATION, True, _roc_auc),
        Metric("log_loss", "Log loss", CLASSIFICATION, False, _log_loss),
        Metric("accuracy", "Accuracy", CLASSIFICATION, True, _accuracy),
        Metric("balanced_accuracy", "Balanced accuracy", CLASSIFICATION, True, _balanced_accuracy),
        Metric("f1", "F1", CLASSIFICATION, True, _f1),
        Metric("f1_macro", "F1 (macro)", CLASSIFICATION, True, _f1_macro),
        Metric("f1_weighted", "F1 (weighted)", CLASSIFICATION, True, _f1_weighted),
        Metric("precision", "Precision", CLASSIFICATION, True, _precision),
        Metric("recall", "Recall", CLASSIFICATION, True, _recall),
        Metric("pr_auc", "PR AUC", CLASSIFICATION, True, _pr_auc),
        Metric("mcc", "Matthews correlation", CLASSIFICATION, True, _mcc),
        Metric("rmse", "RMSE", REGRESSION, False, _rmse),
        Metric("mae", "MAE", REGRESSION, False, _mae),
        Metric("r2", "R²", REGRESSION, True, _r2),
        Metric("mape", "MAPE", REGRESSION, False, _mape),
        Metric("median_ae", "Median absolute error", REGRESSION, False, _median_ae),
        Metric("silhouette", "Silhouette", CLUSTERING, True, _silhouette),
        Metric("davies_bouldin", "Davies–Bouldin", CLUSTERING, False, _davies_bouldin),
        Metric("calinski_harabasz", "Calinski–Harabasz", CLUSTERING, True, _calinski_harabasz),
    )
}

# The metrics a holdout evaluation reports for each task (clustering ones need the features).
REPORTED = {
    CLASSIFICATION: (
        "accuracy",
        "balanced_accuracy",
        "precision",
        "recall",
        "f1",
        "f1_macro",
        "f1_weighted",
        "roc_auc",
        "pr_auc",
        "log_loss",
        "mcc",
    ),
    REGRESSION: ("rmse", "mae", "r2", "mape", "median_ae"),
    CLUSTERING: ("silhouette", "davies_bouldin", "calinski_harabasz"),
}


def default_metric(task: str, n_classes: int = 2) -> str:
    """ROC AUC for binary, log loss for multiclass, RMSE for regression, silhouette for clustering."""
    if task == CLASSIFICATION:
        return "roc_auc" if n_classes <= 2 else "log_loss"
    return {REGRESSION: "rmse", CLUSTERING: "silhouette"}[task]


def metrics_for(task: str) -> list[Metric]:
    return [m for m in METRICS.values() if m.task == task]


def get_metric(name: str) -> Metric:
    return METRICS[name]


def safe_score(metric: Metric, y_true, pred) -> float | None:
    """The score, or None when it cannot be computed (a class missing from a fold, NaNs)."""
    try:
        value = metric.score(y_true, pred)
    except (ValueError, ZeroDivisionError, FloatingPointError):
        return None
    return value if np.isfinite(value) else None


def report(task: str, y_true, pred) -> dict[str, float | None]:
    """Every reported metric of a supervised task for these predictions."""
    return {name: safe_score(METRICS[name], y_true, pred) for name in REPORTED[task]}


def cluster_scores(matrix, labels) -> dict[str, float | None]:
    """Every clustering metric on the features the model saw, over every row.

    Noise rows (-1, from DBSCAN-style methods) are scored as members of their nearest cluster
    (by centroid), so the scores judge a partition of all the rows: left out, a method could
    score well by calling the hard part of the data noise."""
    dense = matrix.toarray() if hasattr(matrix, "toarray") else np.asarray(matrix, dtype=float)
    labels = np.asarray(labels)
    keep = labels != -1
    found = np.unique(labels[keep])
    scores: dict[str, float | None] = dict.fromkeys(REPORTED[CLUSTERING])
    if len(found) < 2 or keep.sum() <= len(found):
        return scores
    labels = _noise_to_nearest(dense, labels, found)
    for name in REPORTED[CLUSTERING]:
        value = float(METRICS[name].score(dense, labels))
        scores[name] = value if np.isfinite(value) else None
    return scores


def _noise_to_nearest(dense: np.ndarray, labels: np.ndarray, found: np.ndarray) -> np.ndarray:
    noise = labels == -1
    if not noise.any():
        return labels
    centroids = np.vstack([dense[labels == k].mean(axis=0) for k in found])
    distances = ((dense[noise][:, None, :] - centroids[None, :, :]) ** 2).sum(axis=2)
    out = labels.copy()
    out[noise] = found[distances.argmin(axis=1)]
    return out
