"""Greedy ensemble selection (Caruana et al., 2004) on out-of-fold predictions.

Start from the best single candidate and repeatedly add (with replacement) the candidate whose
addition most improves the metric of the averaged predictions. Counts become weights. The
predictions are out-of-fold, so the ensemble is judged on rows none of its members saw.
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
    """The ensemble of `predictions` (trial number -> OOF predictions), or None if fewer than two."""
    if len(predictions) < 2:
        return None
    keys = list(predictions)
    scores = {k: safe_score(metric, y, predictions[k]) for k in keys}
    keys = [k for k in keys if scores[k] is not None]
    if len(keys) < 2:
        return None
    losses = {k: metric.loss(scores[k]) for k in keys}
    best = min(keys, key=lambda k: (losses[k], k))
    counts = {best: 1}
    total = np.array(predictions[best], dtype=float)
    current = losses[best]
    for _ in range(rounds - 1):
        n = sum(counts.values())
        choice, choice_loss = None, current
        for k in keys:
            if k not in counts and len(counts) >= max_members:
                continue
            candidate = (total + predictions[k]) / (n + 1)
            loss = metric.loss(safe_score(metric, y, candidate))
            if loss < choice_loss - 1e-12:
                choice, choice_loss = k, loss
        if choice is None:
            break
        counts[choice] = counts.get(choice, 0) + 1
        total += predictions[choice]
        current = choice_loss
    n = sum(counts.values())
    weights = {k: c / n for k, c in sorted(counts.items())}
    pred = total / n
    return Ensemble(weights=weights, score=float(safe_score(metric, y, pred)), pred=pred)
