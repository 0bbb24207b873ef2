"""The target: its problem type, its distribution, and how strongly every other column is
associated with it (which is also where leakage shows up).

Measures by pair of kinds, all in [0, 1]:
- number with numeric target: max(|Pearson|, |Spearman|) over rows where both are present;
- labels with class target: bias-corrected Cramér's V, missing values counted as a label
  (missingness that tracks the target is itself a signal, and a common leak);
- number with class target, or labels with numeric target: bias-corrected correlation ratio η.
Datetimes count as numbers (seconds), booleans as labels.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from .profile_data import DATETIME, NUMERIC, UNTRAINED_ROLES, ColumnData
from .profile_math import average_ranks, contingency, correlation_ratio, format_number, pearson

CLASSIFICATION_MAX_INTEGER_CLASSES = 20
LISTED_CLASSES = 100
LEAKAGE_SCORE = 0.98
LEAKAGE_PURITY = 0.99
LEAKAGE_LAMBDA = 0.9
LEAKAGE_MIN_ROWS_PER_VALUE = 5
PURITY_MAX_NUMERIC_DISTINCT = 50
PURITY_QUANTILE_BINS = 100


def problem_type(cd: ColumnData) -> str | None:
    """Classification for labels and for integers with few distinct values that repeat (on
    average twice or more), else regression; None for a datetime, which is not predicted."""
    if cd.kind == DATETIME:
        return None
    if cd.kind != NUMERIC:
        return "classification"
    if cd.integral and cd.distinct <= CLASSIFICATION_MAX_INTEGER_CLASSES and 2 * cd.distinct <= cd.present:
        return "classification"
    return "regression"


def target_summary(cd: ColumnData, profile: dict) -> dict:
    """Distribution of the target on all rows: classes with shares, or the histogram."""
    kind = problem_type(cd)
    summary = {
        "name": cd.name,
        "type": cd.type,
        "problem_type": kind,
        "missing": cd.missing,
        "classes": None,
        "n_classes": None,
        "imbalance_ratio": None,
        "minority_share": None,
        "histogram": None,
    }
    if kind != "classification":
        summary["histogram"] = profile.get("histogram")
        summary.update({k: profile.get(k) for k in ("mean", "std", "min", "median", "max")})
        return summary
    labels, counts = _class_counts(cd)
    present = int(counts.sum())
    order = np.argsort(-counts, kind="stable")
    summary["classes"] = [
        {"value": labels[i], "count": int(counts[i]), "share": int(counts[i]) / present} for i in order[:LISTED_CLASSES]
    ]
    summary["n_classes"] = len(counts)
    if len(counts) >= 2:
        summary["imbalance_ratio"] = int(counts.max()) / int(counts.min())
        summary["minority_share"] = int(counts.min()) / present
    return summary


def _class_counts(cd: ColumnData) -> tuple[list[str], np.ndarray]:
    if cd.kind == NUMERIC:
        values = cd.values[~np.isnan(cd.values)]
        unique, counts = np.unique(values, return_counts=True)
        return [format_number(float(v)) for v in unique], counts
    used = np.flatnonzero(cd.counts)
    return [str(v) for v in cd.labels.take(used).to_pylist()], cd.counts[used]


def target_codes(cd: ColumnData) -> tuple[np.ndarray, int]:
    """Class codes of a (sampled) classification target, -1 where missing."""
    if cd.kind == NUMERIC:
        present = ~np.isnan(cd.values)
        codes = np.full(cd.n_rows, -1, dtype=np.int64)
        unique, inverse = np.unique(cd.values[present], return_inverse=True)
        codes[present] = inverse
        return codes, len(unique)
    return cd.codes.astype(np.int64), cd.n_codes


def associations(
    features: list[ColumnData],
    target: ColumnData,
    kind: str | None,
    ranks_of: Callable[[ColumnData], np.ndarray],
) -> tuple[list[dict], list[dict]]:
    """Association of every other column with the target, strongest first, and the leak
    suspects among the columns a model would train on. All inputs are the sampled columns.
    """
    if kind is None:
        return [
            {"column": cd.name, "type": cd.type, "role": cd.role, "score": None, "measure": None} for cd in features
        ], []
    scorer = _ClassScorer(target, ranks_of) if kind == "classification" else _NumberScorer(target, ranks_of)
    scored, leaks = [], []
    for cd in features:
        entry = scorer.score(cd)
        leak = entry.pop("leak", None)
        scored.append({"column": cd.name, "type": cd.type, "role": cd.role, **entry})
        if leak and cd.role not in UNTRAINED_ROLES:
            leaks.append({"column": cd.name, "reason": leak, "score": entry["score"]})
    scored.sort(key=lambda e: -1.0 if e["score"] is None else e["score"], reverse=True)
    return scored, leaks


def _labels_with_missing(cd: ColumnData) -> tuple[np.ndarray, int]:
    """Codes with missing as one more label (code 0), shifted to be non-negative."""
    return cd.codes.astype(np.int64) + 1, cd.n_codes + 1


class _ClassScorer:
    def __init__(self, target: ColumnData, ranks_of: Callable[[ColumnData], np.ndarray]) -> None:
        self.ranks_of = ranks_of
        codes, self.n_classes = target_codes(target)
        self.present = codes >= 0
        self.classes = codes[self.present]

    def score(self, cd: ColumnData) -> dict:
        if cd.kind in (NUMERIC, DATETIME):
            return self._number(cd)
        labels, n_labels = _labels_with_missing(cd)
        table = contingency(labels[self.present], self.classes, n_labels, self.n_classes)
        if table is None:
            return {"score": None, "measure": "cramers_v", "rows": int(self.present.sum())}
        return {
            "score": table["cramers_v"],
            "measure": "cramers_v",
            "rows": table["n"],
            "leak": _leak_reason(table["cramers_v"], table),
        }

    def _number(self, cd: ColumnData) -> dict:
        values = cd.values[self.present]
        both = ~np.isnan(values)
        x, groups = values[both], self.classes[both]
        eta = correlation_ratio(groups, x, self.n_classes)
        entry = {"score": eta, "measure": "correlation_ratio", "rows": len(x)}
        table = None
        if len(x) >= 2:
            bins, n_bins = self._bins(cd, x, both)
            table = contingency(bins, groups, n_bins, self.n_classes)
        entry["leak"] = _leak_reason(eta, table)
        return entry

    def _bins(self, cd: ColumnData, x: np.ndarray, both: np.ndarray) -> tuple[np.ndarray, int]:
        """The values themselves when few, else quantile bins: a number that separates the
        classes by thresholds (not just linearly) then shows up as pure bins."""
        if cd.distinct <= PURITY_MAX_NUMERIC_DISTINCT:
            unique, inverse = np.unique(x, return_inverse=True)
            return inverse, len(unique)
        ranks = self.ranks_of(cd)[self.present][both]
        n_valid = int(np.count_nonzero(~np.isnan(cd.values)))
        bins = ((ranks - 1) * PURITY_QUANTILE_BINS / n_valid).astype(np.int64)
        return np.minimum(bins, PURITY_QUANTILE_BINS - 1), PURITY_QUANTILE_BINS


class _NumberScorer:
    def __init__(self, target: ColumnData, ranks_of: Callable[[ColumnData], np.ndarray]) -> None:
        self.target = target
        self.ranks_of = ranks_of
        self.present = ~np.isnan(target.values)
        self.y = target.values[self.present]

    def score(self, cd: ColumnData) -> dict:
        if cd.kind in (NUMERIC, DATETIME):
            return self._number(cd)
        labels, n_labels = _labels_with_missing(cd)
        eta = correlation_ratio(labels[self.present], self.y, n_labels)
        return {"score": eta, "measure": "correlation_ratio", "rows": len(self.y), "leak": _leak_reason(eta, None)}

    def _number(self, cd: ColumnData) -> dict:
        both = self.present & ~np.isnan(cd.values)
        x, y = cd.values[both], self.target.values[both]
        linear = pearson(x, y)
        if both.all():
            x_ranks, y_ranks = self.ranks_of(cd), self.ranks_of(self.target)
        else:
            x_ranks, y_ranks = average_ranks(x), average_ranks(y)
        monotone = pearson(x_ranks, y_ranks)
        candidates = [(abs(v), name) for v, name in ((linear, "pearson"), (monotone, "spearman")) if v is not None]
        if not candidates:
            return {"score": None, "measure": "pearson", "rows": len(x)}
        score, measure = max(candidates)
        return {"score": score, "measure": measure, "rows": len(x), "leak": _leak_reason(score, None)}


def _leak_reason(score: float | None, table: dict | None) -> str | None:
    """Why a column looks like it leaks the target, or None.

    Either its association is near perfect, or its values (each seen often enough that this
    is not just uniqueness) almost always map to one class and remove most of the errors of
    guessing the majority class.
    """
    if score is not None and score >= LEAKAGE_SCORE:
        return "association"
    if (
        table is not None
        and table["purity"] >= LEAKAGE_PURITY
        and table["lambda"] >= LEAKAGE_LAMBDA
        and table["n"] >= LEAKAGE_MIN_ROWS_PER_VALUE * table["row_groups"]
    ):
        return "purity"
    return None
