"""The catalog of algorithms the search can use, with what each is good for.

`CATALOG` maps a key to its `Algorithm`; `for_task` lists one task's entries. Pages and the API
show `Algorithm.describe()`; the search reads speed, cost, row limits and search spaces.
"""

from __future__ import annotations

from . import clustering, linear, other, trees
from .base import FAMILIES, Algorithm, Context

__all__ = ["CATALOG", "FAMILIES", "Algorithm", "Context", "families_for", "for_task", "get"]


def _build() -> dict[str, Algorithm]:
    entries: list[Algorithm] = []
    for task in ("classification", "regression"):
        entries += trees.entries(task) + linear.entries(task) + other.entries(task)
    entries += clustering.entries()
    catalog = {}
    for entry in entries:
        if entry.key in catalog:
            raise RuntimeError(f"Two catalog entries share the key {entry.key!r}")
        catalog[entry.key] = entry
    return catalog


CATALOG: dict[str, Algorithm] = _build()


def for_task(task: str) -> list[Algorithm]:
    return [a for a in CATALOG.values() if a.task == task]


def families_for(task: str) -> list[str]:
    """Families with at least one algorithm for the task, baselines excluded, in catalog order."""
    seen: list[str] = []
    for algorithm in for_task(task):
        if algorithm.family != "baseline" and algorithm.family not in seen:
            seen.append(algorithm.family)
    return seen


def get(key: str) -> Algorithm:
    return CATALOG[key]
