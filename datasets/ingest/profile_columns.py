"""Per-column statistics on all rows, one function per working kind.

Numbers and datetimes are sorted once; quantiles, distinct count, outliers, box whiskers,
histograms and small value counts are all read off that sorted array with searchsorted.
Strings are dictionary-encoded once; counts per label give top values, the bar, lengths and
words without touching the rows again.
"""

from __future__ import annotations

import math

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from .profile_data import BOOLEAN, DATETIME, NUMERIC, TICKS_PER_SECOND, ColumnData
from .profile_math import (
    format_number,
    histogram_edges,
    histogram_sorted,
    quantiles,
    weighted_quantile,
)

TOP_VALUES = 10
BAR_VALUES = 30
NUMERIC_TOP_MAX_DISTINCT = 20
TOP_WORDS = 20
WORDS_EXACT_MAX_LABELS = 50_000
WORDS_SAMPLE_ROWS = 20_000
SECONDS_PER_DAY = 86_400
NUMBER_PATTERN = r"^\s*[-+]?(\d+([.,]\d*)?|[.,]\d+)([eE][-+]?\d+)?\s*$"
WORD_SPLIT = r"[^\pL\pN_']+"
STOP_WORDS = pa.array(
    [
        "a",
        "an",
        "and",
        "are",
        "as",
        "at",
        "be",
        "but",
        "by",
        "for",
        "from",
        "has",
        "have",
        "he",
        "her",
        "his",
        "i",
        "in",
        "is",
        "it",
        "its",
        "of",
        "on",
        "or",
        "our",
        "she",
        "that",
        "the",
        "their",
        "them",
        "they",
        "this",
        "to",
        "was",
        "we",
        "were",
        "will",
        "with",
        "you",
        "your",
        "not",
        "no",
        "so",
        "if",
    ]
)


def profile_column(cd: ColumnData, seed: int = 0) -> dict:
    """The profile of one column on all rows; also records its distinct count on `cd`."""
    if cd.kind == NUMERIC:
        stats = _numeric(cd)
    elif cd.kind == DATETIME:
        stats = _datetime(cd)
    else:
        stats = _labelled(cd, seed)
    present = cd.present
    base = {
        "name": cd.name,
        "type": cd.type,
        "role": cd.role,
        "missing": cd.missing,
        "missing_share": cd.missing / cd.n_rows if cd.n_rows else None,
        "distinct": cd.distinct,
        "distinct_share": cd.distinct / present if present else None,
        "top_values": [],
    }
    base.update(stats)
    return base


def _top_from_sorted(sorted_values: np.ndarray, label) -> list[dict]:
    starts = np.flatnonzero(np.r_[True, sorted_values[1:] != sorted_values[:-1]])
    counts = np.diff(np.append(starts, len(sorted_values)))
    order = np.argsort(-counts, kind="stable")[:TOP_VALUES]
    return [{"value": label(sorted_values[starts[i]]), "count": int(counts[i])} for i in order]


def _distinct_sorted(sorted_values: np.ndarray) -> int:
    if len(sorted_values) == 0:
        return 0
    return int(np.count_nonzero(sorted_values[1:] != sorted_values[:-1])) + 1


def _empty_histogram() -> dict:
    return {"edges": [], "counts": []}


def _numeric(cd: ColumnData) -> dict:
    ordered = np.sort(cd.values)[: cd.present]
    cd.distinct = _distinct_sorted(ordered)
    negatives = int(np.searchsorted(ordered, 0.0, side="left"))
    stats: dict = dict.fromkeys(("mean", "std", "min", "p5", "p25", "median", "p75", "p95", "max", "skew"))
    stats.update(
        zeros=int(np.searchsorted(ordered, 0.0, side="right")) - negatives,
        negatives=negatives,
        infinite=0,
        outliers=0,
        outlier_bounds=None,
        histogram=_empty_histogram(),
        box=None,
    )
    if cd.distinct <= NUMERIC_TOP_MAX_DISTINCT and len(ordered):
        stats["top_values"] = _top_from_sorted(ordered, lambda v: format_number(float(v)))
    finite = ordered[np.searchsorted(ordered, -np.inf, side="right") : np.searchsorted(ordered, np.inf, side="left")]
    stats["infinite"] = len(ordered) - len(finite)
    n = len(finite)
    if n == 0:
        return stats
    cd.integral = bool(cd.is_integer or np.array_equal(finite, np.floor(finite)))
    p5, q1, median, q3, p95 = quantiles(finite, [0.05, 0.25, 0.5, 0.75, 0.95])
    mean = float(finite.mean())
    deviations = finite - mean
    m2 = float(np.dot(deviations, deviations)) / n
    stats.update(
        mean=mean,
        std=math.sqrt(m2 * n / (n - 1)) if n > 1 else None,
        min=float(finite[0]),
        p5=p5,
        p25=q1,
        median=median,
        p75=q3,
        p95=p95,
        max=float(finite[-1]),
        skew=_skew(deviations, m2, n),
    )
    iqr = q3 - q1
    low, high = q1 - 1.5 * iqr, q3 + 1.5 * iqr
    first_inside = int(np.searchsorted(finite, low, side="left"))
    last_inside = int(np.searchsorted(finite, high, side="right")) - 1
    stats["outliers"] = first_inside + (n - 1 - last_inside)
    stats["outlier_bounds"] = {"low": low, "high": high}
    stats["box"] = {
        "q1": q1,
        "median": median,
        "q3": q3,
        "whisker_low": float(finite[first_inside]),
        "whisker_high": float(finite[last_inside]),
    }
    edges = histogram_edges(float(finite[0]), float(finite[-1]), cd.integral)
    stats["histogram"] = {"edges": edges.tolist(), "counts": histogram_sorted(finite, edges).tolist()}
    return stats


def _skew(deviations: np.ndarray, m2: float, n: int) -> float | None:
    """Adjusted Fisher-Pearson skewness (the one pandas reports); 0 for a constant column."""
    if n < 3:
        return None
    if m2 <= 0:
        return 0.0
    m3 = float(np.dot(deviations * deviations, deviations)) / n
    return m3 / m2**1.5 * math.sqrt(n * (n - 1)) / (n - 2)


def iso_times(ticks: np.ndarray, cd: ColumnData, date_only: bool) -> list[str]:
    """ISO 8601 strings for ticks of the column's unit ('Z' suffix when the column has a zone)."""
    stamps = np.asarray(ticks, dtype=np.int64).astype(f"datetime64[{cd.unit}]")
    unit = "D" if date_only else "s"
    return np.datetime_as_string(stamps, unit=unit, timezone="UTC" if cd.tz and not date_only else "naive").tolist()


def _datetime(cd: ColumnData) -> dict:
    present = ~np.isnan(cd.values) if cd.missing else slice(None)
    ordered = np.sort(cd.ticks[present])
    cd.distinct = _distinct_sorted(ordered)
    stats = {"min": None, "max": None, "range_days": None, "histogram": _empty_histogram()}
    if len(ordered) == 0:
        return stats
    per_second = TICKS_PER_SECOND[cd.unit]
    date_only = bool(np.all(ordered % (per_second * SECONDS_PER_DAY) == 0))
    first, last = iso_times(ordered[[0, -1]], cd, date_only)
    if cd.distinct <= NUMERIC_TOP_MAX_DISTINCT:
        stats["top_values"] = _top_from_sorted(ordered, lambda t: iso_times(np.array([t]), cd, date_only)[0])
    seconds = ordered / per_second
    low, high = float(seconds[0]), float(seconds[-1])
    edges = np.linspace(low, high, 31) if high > low else np.array([low, high])
    counts = histogram_sorted(seconds, edges) if high > low else np.array([len(seconds)])
    edge_ticks = np.round(edges * per_second).astype(np.int64)
    stats.update(
        min=first,
        max=last,
        range_days=(high - low) / SECONDS_PER_DAY,
        histogram={"edges": iso_times(edge_ticks, cd, date_only=False), "counts": counts.tolist()},
        date_only=date_only,
    )
    return stats


def top_codes(counts: np.ndarray, k: int) -> np.ndarray:
    """Codes of the k largest counts, largest first, ties in dictionary (first seen) order."""
    if len(counts) > 4 * k and len(counts) > 4096:
        # Linear instead of a full sort: everything above the k-th largest count, then the
        # first codes that equal it, so ties still go to the values seen first.
        kth = np.partition(counts, len(counts) - k)[len(counts) - k]
        above = np.flatnonzero(counts > kth)
        tied = np.flatnonzero(counts == kth)[: k - len(above)]
        candidates = np.concatenate([above, tied])
        candidates = candidates[np.lexsort((candidates, -counts[candidates]))]
    else:
        candidates = np.argsort(-counts, kind="stable")[:k]
    return candidates[counts[candidates] > 0]


def _labelled(cd: ColumnData, seed: int) -> dict:
    counts = cd.counts
    cd.distinct = int(np.count_nonzero(counts))
    n_top = BAR_VALUES if cd.type == "categorical" else TOP_VALUES
    top = top_codes(counts, n_top)
    top_labels = cd.labels.take(pa.array(top, type=pa.int64())).to_pylist()
    top_counts = counts[top].tolist()
    stats: dict = {
        "top_values": [{"value": v, "count": c} for v, c in zip(top_labels, top_counts, strict=True)][:TOP_VALUES]
    }
    if cd.kind == BOOLEAN:
        present = cd.present
        stats["true_share"] = int(counts[1]) / present if present else None
        return stats
    lengths = np.asarray(pc.utf8_length(cd.labels).to_numpy(zero_copy_only=False), dtype=np.int64)
    stats["empty"] = int(counts[lengths == 0].sum()) if len(lengths) else 0
    stats["numeric_share"] = numeric_share(cd)
    if cd.type == "categorical":
        other = int(cd.present - sum(top_counts))
        stats["bar"] = {
            "labels": top_labels + (["Other"] if other else []),
            "counts": top_counts + ([other] if other else []),
        }
    elif cd.type == "text":
        stats["length"] = _lengths(lengths, counts)
        stats.update(_top_words(cd, seed))
    return stats


def numeric_share(cd: ColumnData) -> float | None:
    """Share of the non-blank values of a string column that read as numbers."""
    if cd.labels is None or len(cd.labels) == 0:
        return None
    blank = np.asarray(pc.equal(pc.utf8_trim_whitespace(cd.labels), "").to_numpy(zero_copy_only=False), dtype=bool)
    considered = int(cd.counts[~blank].sum())
    if considered == 0:
        return None
    numeric = np.asarray(pc.match_substring_regex(cd.labels, NUMBER_PATTERN).to_numpy(zero_copy_only=False), dtype=bool)
    return int(cd.counts[numeric].sum()) / considered


def _lengths(lengths: np.ndarray, counts: np.ndarray) -> dict:
    used = counts > 0
    if not used.any():
        return {"min": None, "mean": None, "median": None, "max": None, "histogram": _empty_histogram()}
    values, weights = lengths[used], counts[used]
    low, high = int(values.min()), int(values.max())
    edges = histogram_edges(low, high, integral=True)
    bins = np.clip(np.searchsorted(edges, values, side="right") - 1, 0, len(edges) - 2)
    return {
        "min": low,
        "mean": float(np.dot(values, weights)) / float(weights.sum()),
        "median": weighted_quantile(values, weights, 0.5),
        "max": high,
        "histogram": {
            "edges": edges.tolist(),
            "counts": np.bincount(bins, weights=weights, minlength=len(edges) - 1).astype(np.int64).tolist(),
        },
    }


def _top_words(cd: ColumnData, seed: int) -> dict:
    """Most frequent words; exact (labels weighted by their counts) unless there are many
    distinct texts, then on a seeded sample of rows."""
    sampled = len(cd.labels) > WORDS_EXACT_MAX_LABELS
    if sampled:
        rows = np.flatnonzero(cd.codes >= 0)
        if len(rows) > WORDS_SAMPLE_ROWS:
            rows = np.random.default_rng(seed).choice(rows, WORDS_SAMPLE_ROWS, replace=False)
        texts = cd.labels.take(pa.array(cd.codes[rows], type=pa.int32()))
        weights = np.ones(len(rows))
    else:
        texts, weights = cd.labels, cd.counts.astype(np.float64)
    words = pc.split_pattern_regex(pc.utf8_lower(texts), WORD_SPLIT)
    flat = pc.list_flatten(words)
    if len(flat) == 0:
        return {"top_words": [], "top_words_sampled": sampled}
    parents = np.asarray(pc.list_parent_indices(words).to_numpy(), dtype=np.int64)
    encoded = pc.dictionary_encode(flat)
    codes = np.asarray(encoded.indices.to_numpy(zero_copy_only=False), dtype=np.int64)
    word_counts = np.bincount(codes, weights=weights[parents], minlength=len(encoded.dictionary))
    dictionary = encoded.dictionary
    keep = pc.and_(pc.greater(pc.utf8_length(dictionary), 1), pc.invert(pc.is_in(dictionary, value_set=STOP_WORDS)))
    word_counts = np.where(np.asarray(keep.to_numpy(zero_copy_only=False), dtype=bool), word_counts, 0)
    best = top_codes(word_counts, TOP_WORDS)
    chosen = dictionary.take(pa.array(best, type=pa.int64())).to_pylist()
    return {
        "top_words": [{"word": w, "count": int(word_counts[i])} for w, i in zip(chosen, best, strict=True)],
        "top_words_sampled": sampled,
    }
