"""Greedy ensemble selection (Caruana et al., 2004) on out-of-fold predictions.

Start from the best single candidate; at each round add (with replacement) the candidate whose
addition gives the best metric of the averaged predictions, even when that is the current
leader again (which shifts weight towards it). The best ensemble seen along the way wins, and
counts become weights. The predictions are out-of-fold, so the ensemble is judged on rows
none of its members saw.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .metrics import Metric, safe_score


@dataclass
class Ensemble:
    weights: dict[int, float]  # trial number -> weight (sums to 1)
    score: float
    pred: np.ndarray


def select(
    predictions: dict[int, np.ndarray], y: np.ndarray, metric: Metric, *, rounds: int = 40, max_members: int = 8
) -> Ensemble | None:
    """The ensemble of `predictions` (trial number -> OOF predictions), or None if fewer than two
    candidates can be scored."""
    scores = {k: safe_score(metric, y, p) for k, p in predictions.items()}
    keys = [k for k in predictions if scores[k] is not None]
    if len(keys) < 2:
        return None
    first = min(keys, key=lambda k: (metric.loss(scores[k]), k))
    counts = {first: 1}
    total = np.array(predictions[first], dtype=float)
    best = (metric.loss(scores[first]), dict(counts), total.copy())
    for _ in range(rounds - 1):
        n = sum(counts.values())
        choice, choice_loss = None, float("inf")
        for k in keys:
            if k not in counts and len(counts) >= max_members:
                continue
            loss = metric.loss(safe_score(metric, y, (total + predictions[k]) / (n + 1)))
            # Ties go to a model already in (fewer members), then to the earlier trial.
            if loss < choice_loss - 1e-12 or (
                abs(loss - choice_loss) <= 1e-12 and k in counts and choice not in counts
            ):
                choice, choice_loss = k, loss
        if choice is None:
            break
        counts[choice] = counts.get(choice, 0) + 1
        total += predictions[choice]
        if choice_loss < best[0] - 1e-12:
            best = (choice_loss, dict(counts), total.copy())
    _, chosen, summed = best
    n = sum(chosen.values())
    weights = {k: c / n for k, c in sorted(chosen.items())}
    pred = summed / n
    score = safe_score(metric, y, pred)
    return Ensemble(weights=weights, score=score if score is not None else float("nan"), pred=pred)


def select_bagged(
    predictions: dict[int, np.ndarray],
    y: np.ndarray,
    metric: Metric,
    *,
    seed: int = 0,
    bags: int = 5,
    share: float = 0.6,
    max_rows: int = 5000,
) -> Ensemble | None:
    """Ensemble selection on several random subsets of the rows, weights averaged (Caruana et
    al., 2006: bagged ensemble selection). One subset's lucky streak cannot decide the weights
    alone, so the ensemble overfits the out-of-fold rows less, which matters on small data."""
    rng = np.random.default_rng(seed)
    n = len(y)
    size = min(max_rows, max(2, int(n * share)))
    totals: dict[int, float] = {}
    done = 0
    for _ in range(bags):
        rows = np.sort(rng.choice(n, size, replace=False))
        chosen = select({k: p[rows] for k, p in predictions.items()}, y[rows], metric, rounds=20)
        if chosen is None:
            continue
        done += 1
        for k, w in chosen.weights.items():
            totals[k] = totals.get(k, 0.0) + w
    if not done:
        return None
    weights = {k: w / done for k, w in sorted(totals.items()) if w / done >= 0.01}
    scale = sum(weights.values())
    weights = {k: w / scale for k, w in weights.items()}
    pred = sum(predictions[k] * w for k, w in weights.items())
    score = safe_score(metric, y, pred)
    return Ensemble(weights=weights, score=score if score is not None else float("nan"), pred=pred)
