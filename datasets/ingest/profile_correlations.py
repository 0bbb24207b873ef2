"""Pearson and Spearman matrices over the numeric and boolean columns.

Spearman is Pearson on average ranks. Each column is ranked once over the rows where it is
present and pairs are then correlated over the rows both share; when two columns miss
different rows this differs slightly from re-ranking every pair, which would cost one sort
per pair instead of one per column.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from .profile_data import BOOLEAN, NUMERIC, ColumnData
from .profile_math import average_ranks, pairwise_pearson

SELECTION_RULE = "target first, then the columns with the fewest missing values and the most distinct values"


def correlation_columns(columns: list[ColumnData], limit: int) -> tuple[list[ColumnData], list[str]]:
    """The numeric and boolean columns to correlate (at most `limit`) and the names left out.

    Constant and empty columns have no correlation with anything and are never chosen.
    """
    eligible = [cd for cd in columns if cd.kind in (NUMERIC, BOOLEAN) and cd.distinct > 1]
    if len(eligible) <= limit:
        return eligible, []
    ranked = sorted(
        eligible,
        key=lambda cd: (cd.role != "target", cd.missing, -cd.distinct, cd.index),
    )
    chosen = {cd.index for cd in ranked[: max(limit, 0)]}
    return (
        [cd for cd in eligible if cd.index in chosen],
        [cd.name for cd in eligible if cd.index not in chosen],
    )


def correlations(
    columns: list[ColumnData],
    omitted: list[str],
    ranks_of: Callable[[ColumnData], np.ndarray],
) -> dict:
    """Both matrices over the given (already sampled) columns, plus which columns were left out."""
    result = {
        "columns": [cd.name for cd in columns],
        "pearson": [],
        "spearman": [],
        "omitted": omitted,
        "selection": SELECTION_RULE if omitted else "all numeric and boolean columns",
    }
    if not columns or columns[0].n_rows == 0:
        return result
    values = np.column_stack([cd.values for cd in columns])
    result["pearson"] = pairwise_pearson(values).tolist()
    del values
    ranks = np.column_stack([ranks_of(cd) for cd in columns])
    result["spearman"] = pairwise_pearson(ranks).tolist()
    return result


class RankCache:
    """Average ranks per column, computed once and shared by correlations and associations."""

    def __init__(self) -> None:
        self._ranks: dict[int, np.ndarray] = {}

    def __call__(self, cd: ColumnData) -> np.ndarray:
        if cd.index not in self._ranks:
            self._ranks[cd.index] = average_ranks(cd.values)
        return self._ranks[cd.index]
