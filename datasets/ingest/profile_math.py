"""Vectorised numeric helpers shared by the profiler: quantiles and histograms on sorted arrays,
average ranks, pairwise-complete correlation, contingency measures and JSON cleaning.

scipy would provide some of these, but it is a large wheel for a few dozen lines of numpy.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

HISTOGRAM_BINS = 30
CORRELATION_BLOCK_ROWS = 65_536


def quantiles(sorted_values: np.ndarray, qs: Sequence[float]) -> np.ndarray:
    """Linear-interpolated quantiles of an already sorted, non-empty array (numpy's default)."""
    n = len(sorted_values)
    pos = np.asarray(qs, dtype=np.float64) * (n - 1)
    lo = np.floor(pos).astype(np.int64)
    hi = np.minimum(lo + 1, n - 1)
    a = sorted_values[lo].astype(np.float64)
    b = sorted_values[hi].astype(np.float64)
    return a + (b - a) * (pos - lo)


def weighted_quantile(values: np.ndarray, weights: np.ndarray, q: float) -> float:
    """The quantile of `values` repeated `weights` times, without materialising the repeat."""
    order = np.argsort(values, kind="stable")
    sorted_values = values[order]
    cumulative = np.cumsum(weights[order])
    total = int(cumulative[-1])
    pos = q * (total - 1)
    lo = math.floor(pos)
    hi = min(lo + 1, total - 1)
    a = float(sorted_values[np.searchsorted(cumulative, lo, side="right")])
    b = float(sorted_values[np.searchsorted(cumulative, hi, side="right")])
    return a + (b - a) * (pos - lo)


def histogram_edges(low: float, high: float, integral: bool, bins: int = HISTOGRAM_BINS) -> np.ndarray:
    """Bin edges over [low, high]: one bin per integer when integers span fewer than `bins`
    values (so counts 0..5 do not show empty gaps), one unit-wide bin for a constant."""
    if low == high:
        return np.array([low - 0.5, high + 0.5])
    if integral and high - low < bins:
        return np.arange(low - 0.5, high + 1.0, 1.0)
    return np.linspace(low, high, bins + 1)


def histogram_sorted(sorted_values: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """Counts per bin of a sorted array; bins are half-open except the last, like numpy's."""
    positions = np.searchsorted(sorted_values, edges, side="left")
    positions[-1] = np.searchsorted(sorted_values, edges[-1], side="right")
    return np.diff(positions)


def average_ranks(x: np.ndarray) -> np.ndarray:
    """1-based ranks of the non-NaN entries, ties sharing their average rank; NaN stays NaN."""
    out = np.full(x.shape, np.nan)
    valid = ~np.isnan(x)
    v = x[valid]
    if len(v) == 0:
        return out
    # Tied values share one average rank, so the sort need not be stable (and is much faster).
    order = np.argsort(v)
    sorted_v = v[order]
    new_value = np.empty(len(v), dtype=bool)
    new_value[0] = True
    np.not_equal(sorted_v[1:], sorted_v[:-1], out=new_value[1:])
    dense = np.cumsum(new_value)
    bounds = np.append(np.flatnonzero(new_value), len(v))
    ranks = np.empty(len(v))
    ranks[order] = 0.5 * (bounds[dense] + bounds[dense - 1] + 1)
    out[valid] = ranks
    return out


def pearson(x: np.ndarray, y: np.ndarray) -> float | None:
    """Pearson correlation of two complete arrays; None when either is constant."""
    if len(x) < 2:
        return None
    dx = x - x.mean()
    dy = y - y.mean()
    denominator = math.sqrt(float(np.dot(dx, dx)) * float(np.dot(dy, dy)))
    if denominator <= 0:
        return None
    return max(-1.0, min(1.0, float(np.dot(dx, dy)) / denominator))


def pairwise_pearson(matrix: np.ndarray) -> np.ndarray:
    """Pearson correlation of every pair of columns over the rows where both are present.

    Done with four matrix products accumulated over row blocks (bounded memory) instead of
    one loop per pair: N = rows present in both, S = sums of x_i over those rows,
    Q = sums of squares, P = cross products. Columns are centred first to avoid cancellation.
    """
    n, k = matrix.shape
    valid_all = ~np.isnan(matrix)
    counts = valid_all.sum(axis=0)
    means = np.where(counts > 0, np.nansum(matrix, axis=0) / np.maximum(counts, 1), 0.0)
    pair_n = np.zeros((k, k))
    sums = np.zeros((k, k))
    squares = np.zeros((k, k))
    products = np.zeros((k, k))
    for start in range(0, n, CORRELATION_BLOCK_ROWS):
        valid = valid_all[start : start + CORRELATION_BLOCK_ROWS].astype(np.float64)
        centred = np.where(valid > 0, matrix[start : start + CORRELATION_BLOCK_ROWS] - means, 0.0)
        pair_n += valid.T @ valid
        sums += centred.T @ valid
        squares += (centred * centred).T @ valid
        products += centred.T @ centred
    with np.errstate(divide="ignore", invalid="ignore"):
        covariance = products - sums * sums.T / pair_n
        variance = squares - sums * sums / pair_n
        # A column constant over the rows it shares with another has no correlation with it;
        # "constant" is relative to the column's own spread so rounding noise does not count.
        flat = variance <= 1e-12 * np.diag(squares)[:, None]
        denominator = np.sqrt(np.clip(variance, 0, None) * np.clip(variance.T, 0, None))
        r = covariance / denominator
    r[(pair_n < 2) | flat | flat.T] = np.nan
    r = np.clip(r, -1.0, 1.0)
    np.fill_diagonal(r, np.where(counts > 1, 1.0, np.nan))
    return r


def correlation_ratio(groups: np.ndarray, values: np.ndarray, n_groups: int) -> float | None:
    """Correlation ratio η of numeric `values` across `groups` (codes 0..n_groups-1).

    Bias-corrected like adjusted R²: η² is shrunk by the groups' degrees of freedom, so a
    column with one group per row (an identifier) scores 0 instead of a meaningless 1.
    """
    n = len(values)
    if n < 2:
        return None
    mean = float(values.mean())
    deviations = values - mean
    total = float(np.dot(deviations, deviations))
    if total <= 0:
        return None
    counts = np.bincount(groups, minlength=n_groups)
    sums = np.bincount(groups, weights=values, minlength=n_groups)
    present = counts > 0
    group_means = sums[present] / counts[present]
    between = float(np.dot(counts[present], (group_means - mean) ** 2))
    eta2 = min(1.0, between / total)
    k = int(present.sum())
    if n - k <= 0:
        return 0.0
    if eta2 >= 1.0 - 1e-12:
        return 1.0
    adjusted = 1.0 - (1.0 - eta2) * (n - 1) / (n - k)
    return math.sqrt(max(0.0, adjusted))


def contingency(a: np.ndarray, b: np.ndarray, n_a: int, n_b: int) -> dict | None:
    """Measures of the contingency table of two code arrays (non-negative ints).

    Only the non-empty cells are materialised (bincount when the full table is small, a sort
    when not), which is all chi² needs: chi² = n (Σ n_ij² / (r_i c_j) - 1).
    Returns n, the bias-corrected Cramér's V (Bergsma 2013), the purity (share of rows in
    their row's majority column) and Goodman-Kruskal λ (how much knowing `a` reduces errors
    in guessing `b`), and the number of non-empty rows.
    """
    n = len(a)
    if n < 2:
        return None
    combined = a.astype(np.int64) * n_b + b
    cells = n_a * n_b
    if cells <= max(4 * n, 1 << 20):
        table = np.bincount(combined, minlength=cells)
        cell_ids = np.flatnonzero(table)
        cell_counts = table[cell_ids].astype(np.float64)
    else:
        cell_ids, raw_counts = np.unique(combined, return_counts=True)
        cell_counts = raw_counts.astype(np.float64)
    rows = cell_ids // n_b
    cols = cell_ids % n_b
    row_totals = np.bincount(rows, weights=cell_counts, minlength=n_a)
    col_totals = np.bincount(cols, weights=cell_counts, minlength=n_b)
    chi2 = n * (float(np.sum(cell_counts * cell_counts / (row_totals[rows] * col_totals[cols]))) - 1.0)
    r = int(np.count_nonzero(row_totals))
    k = int(np.count_nonzero(col_totals))
    starts = np.flatnonzero(np.r_[True, rows[1:] != rows[:-1]])
    purity_rows = float(np.maximum.reduceat(cell_counts, starts).sum())
    majority = float(col_totals.max())
    return {
        "n": n,
        "cramers_v": _cramers_v(chi2, n, r, k),
        "purity": purity_rows / n,
        "lambda": (purity_rows - majority) / (n - majority) if n > majority else 0.0,
        "row_groups": r,
    }


def _cramers_v(chi2: float, n: int, r: int, k: int) -> float:
    if r < 2 or k < 2:
        return 0.0
    phi2 = max(0.0, chi2 / n)
    phi2_corrected = max(0.0, phi2 - (k - 1) * (r - 1) / (n - 1))
    r_corrected = r - (r - 1) ** 2 / (n - 1)
    k_corrected = k - (k - 1) ** 2 / (n - 1)
    denominator = min(k_corrected - 1, r_corrected - 1)
    if denominator <= 0:
        return 0.0
    return min(1.0, math.sqrt(phi2_corrected / denominator))


def clean(value: object) -> object:
    """A JSON-safe copy: numpy scalars to Python, NaN and infinities to None, tuples to lists."""
    if isinstance(value, dict):
        return {str(k): clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [clean(v) for v in value]
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if value is None or isinstance(value, str | bool | int):
        return value
    if isinstance(value, np.ndarray):
        return clean(value.tolist())
    if isinstance(value, np.bool_):
        return bool(value)
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return clean(float(value))
    return str(value)


def format_number(value: float) -> str:
    """A value label for a number: integers without '.0', others in shortest round-trip form."""
    if math.isfinite(value) and value == math.floor(value) and abs(value) < 1e15:
        return str(int(value))
    return repr(float(value))
