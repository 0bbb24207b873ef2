"""Reading a finished job's stored results: its evaluation (holdout metrics and chart data),
importances and learning curves, kept as one JSON file in storage."""

from __future__ import annotations

import json
from functools import lru_cache

from datasets import storage

from .models import TrainingJob


@lru_cache(maxsize=64)
def _read(key: str) -> str:
    return storage.read_bytes(key).decode()


def load_results(job: TrainingJob) -> dict | None:
    """{"evaluation", "importance", "learning_curves"}, or None when the job kept no model.
    Cached by key: results never change once written."""
    if not job.evaluation_key:
        return None
    try:
        return json.loads(_read(job.evaluation_key))
    except (OSError, ValueError):
        return None


def version_results(version) -> dict | None:
    """A model version's results: its own (a candidate refitted after its job), else its job's."""
    if version.evaluation_key:
        try:
            return json.loads(_read(version.evaluation_key))
        except (OSError, ValueError):
            return None
    return load_results(version.job) if version.job.has_model else None


def holdout_metrics(job: TrainingJob) -> dict | None:
    results = load_results(job)
    evaluation = (results or {}).get("evaluation") or {}
    return evaluation.get("metrics")
