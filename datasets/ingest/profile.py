"""Profile a typed Arrow table: per-column statistics, duplicates, correlations, the target and
its associations, warnings, a target suggestion and a small sample for scatter plots.

Pure: no Django. Fast by construction: every column is converted once to a numpy shape
(profile_data), statistics run on whole arrays, per-column statistics and duplicates use all
rows, and the pairwise statistics (correlations, associations) use a seeded row sample when
the table has more than `sample_rows` rows. The result is plain JSON (NaN and inf become None).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa

from .profile_advice import column_warnings, dataset_warnings, suggest_target, target_warnings
from .profile_columns import iso_times, profile_column
from .profile_correlations import RankCache, correlation_columns, correlations
from .profile_data import BOOLEAN, DATETIME, NUMERIC, STRING, UNTRAINED_ROLES, ColumnData, prepare_column
from .profile_math import clean
from .profile_target import associations, target_summary

__all__ = ["profile_table"]

TYPES = ("numeric", "categorical", "boolean", "datetime", "text", "identifier")
ROLES = ("feature", "target", "ignore", "identifier", "time")
SCATTER_ROWS = 2_000
SCATTER_COLUMNS = 40
SCATTER_MAX_CATEGORIES = 30

_GOLDEN = 0x9E3779B97F4A7C15
_MIX_1 = np.uint64(0xBF58476D1CE4E5B9)
_MIX_2 = np.uint64(0x94D049BB133111EB)
_COMBINE = np.uint64(0x100000001B3)
_NULL_WORD = np.uint64(0x7FF8DEADBEEF0001)


def profile_table(
    table: pa.Table,
    columns: list[dict],
    *,
    sample_rows: int = 250_000,
    max_corr_columns: int = 40,
    seed: int = 0,
) -> dict:
    """Profile `table`, whose columns are described in order by `columns` (name, type, role).

    `sample_rows` bounds the rows used for pairwise statistics, `max_corr_columns` the size of
    the correlation matrices, and `seed` makes every sample reproducible.
    """
    if len(columns) != table.num_columns:
        raise ValueError(f"{len(columns)} column descriptions for a table of {table.num_columns} columns")
    if sample_rows < 1:
        raise ValueError("sample_rows must be positive")
    n = table.num_rows
    data = [prepare_column(i, table.column(i), spec) for i, spec in enumerate(columns)]
    profiles = [profile_column(cd, seed) for cd in data]
    dataset = _dataset(table, data)
    for cd, profile in zip(data, profiles, strict=True):
        if profile.get("infinite"):
            # Infinities have their own count; in pairwise statistics they would turn every
            # sum into NaN, so from here on they count as missing.
            cd.values = np.where(np.isinf(cd.values), np.nan, cd.values)

    rows = np.sort(np.random.default_rng(seed).choice(n, sample_rows, replace=False)) if n > sample_rows else None
    sampled_columns: dict[int, ColumnData] = {}

    def sampled(cd: ColumnData) -> ColumnData:
        if rows is None:
            return cd
        if cd.index not in sampled_columns:
            sampled_columns[cd.index] = cd.take(rows)
        return sampled_columns[cd.index]

    ranks = RankCache()
    chosen, omitted = correlation_columns(data, max_corr_columns)
    correlation = correlations([sampled(cd) for cd in chosen], omitted, ranks)

    target = next((cd for cd in data if cd.role == "target"), None)
    summary, leaks = None, []
    if target is not None:
        summary = target_summary(target, profiles[target.index])
        others = [sampled(cd) for cd in data if cd is not target]
        found, leaks = associations(others, sampled(target), summary["problem_type"], ranks) if n else ([], [])
        summary["associations"] = found

    warnings = dataset_warnings(dataset) + target_warnings(summary, leaks)
    for cd, profile in zip(data, profiles, strict=True):
        warnings.extend(column_warnings(cd, profile))

    statistics = []
    if rows is not None:
        statistics = ["correlations"] + (["associations", "target_leakage"] if target is not None else [])
    result = {
        "dataset": dataset,
        "columns": profiles,
        "correlations": correlation,
        "target": summary,
        "suggestions": suggest_target(data),
        "warnings": warnings,
        "sample": {
            "sampled": rows is not None,
            "rows": n if rows is None else len(rows),
            "total_rows": n,
            "statistics": statistics,
        },
        "scatter_sample": _scatter_sample(data, n, seed),
    }
    return clean(result)


def _dataset(table: pa.Table, data: list[ColumnData]) -> dict:
    n, m = table.num_rows, table.num_columns
    missing = sum(cd.missing for cd in data)
    duplicates = _duplicate_rows(data, n)
    types = dict.fromkeys(TYPES, 0)
    roles = dict.fromkeys(ROLES, 0)
    for cd in data:
        types[cd.type] = types.get(cd.type, 0) + 1
        roles[cd.role] = roles.get(cd.role, 0) + 1
    return {
        "n_rows": n,
        "n_columns": m,
        "memory_bytes": table.nbytes,
        "duplicate_rows": duplicates,
        "duplicate_share": duplicates / n if n else 0.0,
        "missing_cells": missing,
        "missing_share": missing / (n * m) if n and m else 0.0,
        "types": types,
        "roles": roles,
    }


def _duplicate_rows(data: list[ColumnData], n: int) -> int:
    """Rows equal to an earlier row in every column (missing equal to missing).

    Each row is reduced to a 64-bit hash combining one mixed word per column, and the hashes
    are counted with a hash table: linear in rows, with no per-row Python and no string
    comparisons. Two different rows collide with probability about n² / 2⁶⁵ (3e-8 for a
    million rows), which we accept as exact.
    """
    if n == 0 or not data:
        return 0
    hashes = np.zeros(n, dtype=np.uint64)
    for position, cd in enumerate(data):
        words = _row_words(cd)
        words += np.uint64(((position + 1) * _GOLDEN) % (1 << 64))
        _mix(words)
        hashes ^= words
        hashes *= _COMBINE
    return n - len(pd.unique(hashes))


def _row_words(cd: ColumnData) -> np.ndarray:
    """One uint64 per row that is equal exactly when the column's values are equal."""
    if cd.codes is not None:
        return cd.codes.astype(np.uint64)
    # Adding 0.0 turns -0.0 into 0.0, which compare equal but differ in bits.
    words = cd.ticks.view(np.uint64).copy() if cd.ticks is not None else (cd.values + 0.0).view(np.uint64)
    if cd.missing:
        words[np.isnan(cd.values)] = _NULL_WORD
    return words


def _mix(words: np.ndarray) -> None:
    """The splitmix64 finaliser, in place: spreads every input bit over the whole word."""
    words ^= words >> np.uint64(30)
    words *= _MIX_1
    words ^= words >> np.uint64(27)
    words *= _MIX_2
    words ^= words >> np.uint64(31)


def _scatter_sample(data: list[ColumnData], n: int, seed: int) -> dict:
    """A few rows of the plottable columns, so the browser can scatter any pair by itself."""
    plottable = [cd for cd in data if _plottable(cd)]
    plottable.sort(key=lambda cd: (cd.role != "target", cd.index))
    plottable = sorted(plottable[:SCATTER_COLUMNS], key=lambda cd: cd.index)
    size = min(n, SCATTER_ROWS)
    rows = (
        np.sort(np.random.default_rng([seed, 1]).choice(n, size, replace=False)) if n else np.array([], dtype=np.int64)
    )
    return {
        "columns": [cd.name for cd in plottable],
        "types": [cd.type for cd in plottable],
        "rows": [list(row) for row in zip(*(_scatter_values(cd, rows) for cd in plottable), strict=True)],
    }


def _plottable(cd: ColumnData) -> bool:
    if cd.role in UNTRAINED_ROLES or cd.present == 0:
        return False
    if cd.kind in (NUMERIC, DATETIME, BOOLEAN):
        return True
    return cd.kind == STRING and cd.type == "categorical" and cd.distinct <= SCATTER_MAX_CATEGORIES


def _scatter_values(cd: ColumnData, rows: np.ndarray) -> list:
    if cd.kind == NUMERIC:
        values = cd.values[rows]
        if cd.integral:
            return [None if v != v else int(v) for v in values.tolist()]
        return values.tolist()
    if cd.kind == DATETIME:
        missing = np.isnan(cd.values[rows])
        stamps = iso_times(cd.ticks[rows], cd, date_only=False)
        return [None if gone else stamp for gone, stamp in zip(missing.tolist(), stamps, strict=True)]
    codes = cd.codes[rows]
    labels = cd.labels.take(pa.array(np.maximum(codes, 0), type=pa.int32())).to_pylist()
    return [None if code < 0 else label for code, label in zip(codes.tolist(), labels, strict=True)]
