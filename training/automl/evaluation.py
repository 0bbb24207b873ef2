"""Evaluation of the chosen model on rows the search never saw: every metric of the task and
the data behind its charts (plain lists, ready to be stored as JSON and drawn by Plotly)."""

from __future__ import annotations

import numpy as np
from sklearn.calibration import calibration_curve
from sklearn.decomposition import PCA
from sklearn.metrics import confusion_matrix, precision_recall_curve, roc_curve

from .metrics import CLASSIFICATION, REGRESSION, labels_from_proba, report

MAX_POINTS = 200  # per curve
MAX_SCATTER = 2000
MAX_CLASS_CURVES = 10


def _thin(*arrays, limit: int = MAX_POINTS):
    n = len(arrays[0])
    picks = np.arange(n) if n <= limit else np.unique(np.linspace(0, n - 1, limit).round().astype(int))
    return [np.asarray(a)[picks] for a in arrays]


def _round(values, digits: int = 5) -> list:
    return [None if not np.isfinite(v) else round(float(v), digits) for v in np.asarray(values, dtype=float)]


def _sample(n: int, limit: int, seed: int = 0) -> np.ndarray:
    if n <= limit:
        return np.arange(n)
    return np.sort(np.random.default_rng(seed).choice(n, limit, replace=False))


def classification(y: np.ndarray, proba: np.ndarray, classes: list, threshold: float = 0.5) -> dict:
    k = proba.shape[1]
    labels = labels_from_proba(proba, threshold)
    matrix = confusion_matrix(y, labels, labels=np.arange(k))
    with np.errstate(invalid="ignore", divide="ignore"):
        normalised = matrix / matrix.sum(axis=1, keepdims=True)
    out = {
        "kind": CLASSIFICATION,
        "rows": int(len(y)),
        "metrics": report(CLASSIFICATION, y, proba),
        "classes": [str(c) for c in classes],
        "confusion": matrix.tolist(),
        "confusion_normalised": [_round(row, 4) for row in np.nan_to_num(normalised)],
        "roc": [],
        "pr": [],
        "calibration": [],
    }
    targets = [1] if k == 2 else list(range(min(k, MAX_CLASS_CURVES)))
    for c in targets:
        truth = (y == c).astype(int)
        if truth.min() == truth.max():
            continue
        fpr, tpr, _ = roc_curve(truth, proba[:, c])
        fpr, tpr = _thin(fpr, tpr)
        precision, recall, _ = precision_recall_curve(truth, proba[:, c])
        precision, recall = _thin(precision, recall)
        observed, predicted = calibration_curve(truth, np.clip(proba[:, c], 0, 1), n_bins=10, strategy="quantile")
        name = str(classes[c])
        out["roc"].append({"class": name, "fpr": _round(fpr), "tpr": _round(tpr)})
        out["pr"].append({"class": name, "recall": _round(recall), "precision": _round(precision)})
        out["calibration"].append({"class": name, "predicted": _round(predicted), "observed": _round(observed)})
    if k == 2:
        out["threshold"] = threshold_table(y, proba[:, 1])
        out["positive_class"] = str(classes[1])
    return out


def threshold_table(y: np.ndarray, score: np.ndarray, steps: int = 101) -> dict:
    """Counts and rates at each threshold from 0 to 1, so a page can move the threshold live."""
    thresholds = np.linspace(0, 1, steps)
    positive = y == 1
    table = {"threshold": _round(thresholds, 3), "tp": [], "fp": [], "tn": [], "fn": []}
    for t in thresholds:
        predicted = score >= t
        table["tp"].append(int(np.sum(predicted & positive)))
        table["fp"].append(int(np.sum(predicted & ~positive)))
        table["tn"].append(int(np.sum(~predicted & ~positive)))
        table["fn"].append(int(np.sum(~predicted & positive)))
    return table


def regression(y: np.ndarray, pred: np.ndarray) -> dict:
    residuals = y - pred
    picks = _sample(len(y), MAX_SCATTER)
    counts, edges = np.histogram(residuals, bins=30)
    return {
        "kind": REGRESSION,
        "rows": int(len(y)),
        "metrics": report(REGRESSION, y, pred),
        "actual": _round(y[picks]),
        "predicted": _round(pred[picks]),
        "residuals": _round(residuals[picks]),
        "histogram": {"counts": counts.tolist(), "edges": _round(edges)},
    }


def clustering(matrix: np.ndarray, labels: np.ndarray, scores: dict, frame=None, seed: int = 0) -> dict:
    """Cluster sizes, a 2-D projection of a sample, and each cluster's average of the numbers."""
    values, counts = np.unique(labels, return_counts=True)
    picks = _sample(len(labels), MAX_SCATTER, seed)
    sample = matrix[picks]
    dense = sample.toarray() if hasattr(sample, "toarray") else np.asarray(sample, dtype=float)
    n_components = min(2, dense.shape[1], len(picks))
    projected = PCA(n_components=n_components, random_state=seed).fit_transform(dense) if n_components else None
    out = {
        "kind": "clustering",
        "rows": int(len(labels)),
        "metrics": scores,
        "sizes": {str(int(v)): int(c) for v, c in zip(values, counts, strict=True)},
        "projection": {
            "x": _round(projected[:, 0]) if projected is not None else [],
            "y": _round(projected[:, 1]) if projected is not None and n_components > 1 else [],
            "cluster": [int(v) for v in labels[picks]],
        },
        "profiles": {},
    }
    if frame is not None:
        numbers = frame.select_dtypes("number")
        for column in list(numbers.columns)[:12]:
            means = numbers[column].groupby(labels).mean()
            out["profiles"][column] = {
                str(int(k)): (None if not np.isfinite(v) else round(float(v), 5)) for k, v in means.items()
            }
    return out
