"""Advice before a job starts: which algorithm families suit this data, each scored for
expected accuracy, speed and interpretability (1–5), and how the budget is likely to be spent.

From the shape of the data only (rows, feature kinds, classes) and the catalog's metadata; it
does not fit anything, so it answers instantly in the wizard.
"""

from __future__ import annotations

import math

from . import catalog
from .catalog.base import Context

INTERPRETABILITY = {"high": 5, "medium": 3, "low": 1}


def _stars(value: float) -> int:
    return int(max(1, min(5, round(value))))


def _accuracy(family: str, best_prior: float, n_rows: int, kinds: dict[str, int], task: str) -> tuple[float, str]:
    score = best_prior * 5
    reason = ""
    if family in ("gradient_boosting", "tree_ensemble"):
        if kinds.get("categorical", 0) or kinds.get("datetime", 0):
            reason = "handles mixed numbers, categories and dates well"
        if n_rows < 500:
            score -= 0.6
            reason = "may overfit so few rows"
    elif family in ("linear", "svm", "discriminant", "gaussian_process", "kernel"):
        if n_rows < 2000:
            score += 0.8
            reason = "strong on small data"
        if kinds.get("text", 0) and family == "linear":
            score += 0.5
            reason = "good with text features"
    elif family == "neighbors" and kinds.get("numeric", 0) < sum(kinds.values()) / 2:
        score -= 0.5
        reason = "distances mean little with many categories"
    if task == "clustering":
        reason = reason or "groups rows without a target"
    return score, reason


def _speed(seconds: float, budget: float) -> int:
    share = seconds / max(budget, 1e-9)
    if share < 0.005:
        return 5
    if share < 0.03:
        return 4
    if share < 0.1:
        return 3
    if share < 0.3:
        return 2
    return 1


def recommend(
    *,
    task: str,
    n_rows: int,
    kinds: dict[str, int],
    n_classes: int = 0,
    budget_s: float = 60,
    n_jobs: int = 2,
    folds: int = 5,
) -> dict:
    """Family advice and a time estimate for a search on data of this shape."""
    n_features = max(1, sum(kinds.values()))
    ctx = Context(task=task, n_rows=n_rows, n_features=n_features, n_classes=n_classes)
    fold_rows = int(n_rows * (1 - 1 / max(folds, 2)))
    rounds = math.ceil(folds / n_jobs)
    families = []
    for family in catalog.families_for(task):
        algorithms = [a for a in catalog.for_task(task) if a.family == family]
        usable = [a for a in algorithms if a.applicable(ctx) is None]
        if not usable:
            families.append(
                {
                    "family": family,
                    "label": catalog.FAMILIES.get(family, family),
                    "algorithms": len(algorithms),
                    "usable": 0,
                    "accuracy": 1,
                    "speed": 1,
                    "interpretability": max(INTERPRETABILITY[a.interpretability] for a in algorithms),
                    "recommended": False,
                    "reason": algorithms[0].applicable(ctx) or "not suited to this data",
                }
            )
            continue
        best_prior = max(a.prior for a in usable)
        accuracy, reason = _accuracy(family, best_prior, n_rows, kinds, task)
        fastest = min(a.estimated_seconds(fold_rows, n_features) for a in usable) * rounds
        families.append(
            {
                "family": family,
                "label": catalog.FAMILIES.get(family, family),
                "algorithms": len(algorithms),
                "usable": len(usable),
                "accuracy": _stars(accuracy),
                "speed": _speed(fastest, budget_s),
                "interpretability": max(INTERPRETABILITY[a.interpretability] for a in usable),
                "recommended": False,
                "reason": reason,
                "trial_s": round(fastest, 2),
            }
        )
    ranked = sorted(
        (f for f in families if f["usable"]), key=lambda f: (-(f["accuracy"] * 2 + f["speed"]), f["family"])
    )
    for f in ranked[:4]:
        if f["accuracy"] >= 3:
            f["recommended"] = True
    families.sort(key=lambda f: (not f["recommended"], -f["accuracy"], -f["speed"], f["label"]))
    return {"families": families, "estimate": _estimate(task, ctx, fold_rows, n_features, rounds, budget_s)}


def _estimate(task: str, ctx: Context, fold_rows: int, n_features: int, rounds: int, budget_s: float) -> dict:
    """When the first real model should be ready, how long a typical trial takes, how many
    fit in the budget, and when the job should end."""
    key = {"classification": "hgb_classifier", "regression": "hgb_regressor", "clustering": "kmeans"}[task]
    probe = catalog.get(key)
    if task == "clustering":
        trial = probe.estimated_seconds(ctx.n_rows, n_features) * 9
    else:
        trial = probe.estimated_seconds(fold_rows, n_features) * rounds
    overhead = 1.5
    first = trial + overhead
    trials = max(1, int(budget_s * 0.85 / max(trial * 1.5, 0.2)))
    return {
        "first_model_s": round(first, 1),
        "trial_s": round(trial, 1),
        "trials": trials,
        "end_s": round(budget_s, 1),  # the search fills its budget; refit and evaluation fit inside it
        "too_short": first > budget_s * 0.5,
    }
