"""How rows are split: a holdout the search never sees (for the final evaluation), and the
validation folds of the search itself.

Strategies: ``kfold`` (stratified for classification), ``holdout`` (one validation split),
``time`` (ordered by a date column: validation always after training, the holdout last) and
``group`` (rows of one group never on both sides, e.g. one customer's many rows).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from sklearn.model_selection import (
    GroupKFold,
    GroupShuffleSplit,
    KFold,
    StratifiedGroupKFold,
    StratifiedKFold,
    train_test_split,
)

from .data import DataError
from .metrics import CLASSIFICATION

STRATEGIES = ("kfold", "holdout", "time", "group")


@dataclass(frozen=True)
class Validation:
    strategy: str = "kfold"
    folds: int = 5
    holdout_fraction: float = 0.2  # validation share for the ``holdout`` strategy
    column: str = ""  # the date column (``time``) or group column (``group``)

    def describe(self) -> str:
        if self.strategy == "kfold":
            return f"{self.folds}-fold cross-validation"
        if self.strategy == "holdout":
            return f"one validation split ({self.holdout_fraction:.0%} of the rows)"
        if self.strategy == "time":
            return f"{self.folds} time-ordered splits by “{self.column}”"
        return f"{self.folds}-fold cross-validation grouped by “{self.column}”"


def _stratify(y, task):
    if task != CLASSIFICATION or y is None:
        return None
    counts = np.bincount(y)
    return y if counts[counts > 0].min() >= 2 else None


def test_split(
    n: int,
    y: np.ndarray | None,
    *,
    task: str,
    fraction: float,
    validation: Validation,
    seed: int,
    order: np.ndarray | None = None,
    groups: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """(search rows, holdout rows). With `fraction` 0 every row is searched and none held out."""
    rows = np.arange(n)
    if fraction <= 0:
        return rows, np.empty(0, dtype=int)
    n_test = int(round(n * fraction))
    if n_test < 1 or n - n_test < 10:
        return rows, np.empty(0, dtype=int)
    if validation.strategy == "time":
        ranked = np.argsort(order, kind="stable")
        return np.sort(ranked[:-n_test]), np.sort(ranked[-n_test:])
    if validation.strategy == "group":
        splitter = GroupShuffleSplit(n_splits=1, test_size=fraction, random_state=seed)
        search, test = next(splitter.split(rows, groups=groups))
        return np.sort(search), np.sort(test)
    search, test = train_test_split(rows, test_size=n_test, random_state=seed, stratify=_stratify(y, task))
    return np.sort(search), np.sort(test)


def folds(
    y: np.ndarray | None,
    *,
    n: int,
    task: str,
    validation: Validation,
    seed: int,
    order: np.ndarray | None = None,
    groups: np.ndarray | None = None,
) -> list[tuple[np.ndarray, np.ndarray]]:
    """The validation splits of the search rows: a list of (training rows, validation rows)."""
    rows = np.arange(n)
    k = validation.folds
    strategy = validation.strategy
    if strategy == "holdout":
        train, valid = train_test_split(
            rows, test_size=validation.holdout_fraction, random_state=seed, stratify=_stratify(y, task)
        )
        return [(np.sort(train), np.sort(valid))]
    if strategy == "time":
        return _time_folds(order, k)
    if strategy == "group":
        n_groups = len(np.unique(groups))
        if n_groups < 2:
            raise DataError(f"Grouped validation needs at least two groups in “{validation.column}”.")
        k = min(k, n_groups)
        if task == CLASSIFICATION and _stratify(y, task) is not None:
            splitter = StratifiedGroupKFold(n_splits=k, shuffle=True, random_state=seed)
            return [(t, v) for t, v in splitter.split(rows, y, groups)]
        return [(t, v) for t, v in GroupKFold(n_splits=k, shuffle=True, random_state=seed).split(rows, groups=groups)]
    if task == CLASSIFICATION and y is not None:
        smallest = np.bincount(y)[np.bincount(y) > 0].min()
        k = max(2, min(k, smallest))
        return [(t, v) for t, v in StratifiedKFold(k, shuffle=True, random_state=seed).split(rows, y)]
    return [(t, v) for t, v in KFold(k, shuffle=True, random_state=seed).split(rows)]


def _time_folds(order: np.ndarray, k: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """Expanding windows: fold i trains on the oldest blocks and validates on the next one."""
    ranked = np.argsort(order, kind="stable")
    blocks = np.array_split(ranked, k + 1)
    out = []
    for i in range(1, k + 1):
        train = np.sort(np.concatenate(blocks[:i]))
        valid = np.sort(blocks[i])
        if len(train) and len(valid):
            out.append((train, valid))
    return out


def covered_rows(splits: list[tuple[np.ndarray, np.ndarray]], n: int) -> np.ndarray:
    """Rows that are validated in some fold (all of them, except the first block of time splits)."""
    mask = np.zeros(n, dtype=bool)
    for _, valid in splits:
        mask[valid] = True
    return np.flatnonzero(mask)
