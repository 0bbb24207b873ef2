"""The last step of a search, run in a child: load the saved model (hash checked), evaluate it
on the holdout and explain it."""

from __future__ import annotations

import time

import numpy as np
import pandas as pd

from . import evaluation, explain
from .metrics import CLASSIFICATION, CLUSTERING, REGRESSION, cluster_scores, get_metric
from .model import load


def assess(
    model_path: str,
    sha256: str,
    *,
    holdout: tuple[pd.DataFrame, np.ndarray | None] | None,
    train: tuple[pd.DataFrame, np.ndarray | None],
    metric_name: str,
    explain_model: bool,
    time_limit: float,
    seed: int = 0,
) -> dict:
    started = time.monotonic()
    model = load(model_path, sha256)
    metric = get_metric(metric_name)
    out: dict = {"evaluation": None, "importance": {}, "learning_curves": []}
    if model.task == CLUSTERING:
        frame = model.prepare(train[0])
        pipeline = model.members[0][0]
        labels = np.asarray(pipeline.predict(frame))
        matrix = pipeline.named_steps["prep"].transform(frame)
        scores = cluster_scores(matrix, labels)
        out["evaluation"] = {**evaluation.clustering(matrix, labels, scores, frame, seed), "source": "all rows"}
        if explain_model:
            out["importance"]["permutation"] = explain.permutation_importance(
                model, frame, None, metric, seed=seed, time_limit=max(1.0, time_limit - (time.monotonic() - started))
            )
        return out
    if holdout is not None and len(holdout[0]):
        frame = model.prepare(holdout[0])
        y = np.asarray(holdout[1])
        scores = model._scores(frame)
        if model.task == CLASSIFICATION:
            out["evaluation"] = evaluation.classification(y, scores, model.classes, model.threshold)
        else:
            out["evaluation"] = evaluation.regression(y, scores)
        out["evaluation"]["source"] = "holdout"
        explain_frame, explain_y = frame, y
    else:
        explain_frame, explain_y = model.prepare(train[0]), np.asarray(train[1])
    if explain_model:
        remaining = max(1.0, time_limit - (time.monotonic() - started))
        native = out["importance"]["native"] = explain.native_importance(model)
        out["importance"]["permutation"] = explain.permutation_importance(
            model,
            explain_frame,
            explain_y,
            metric,
            seed=seed,
            time_limit=remaining * 0.7,
            order=[row["feature"] for row in native.get("rows", [])],
        )
        out["importance"]["permutation"]["on"] = (
            "holdout" if holdout is not None and len(holdout[0]) else "training rows"
        )
        if model.task in (CLASSIFICATION, REGRESSION):
            out["learning_curves"] = explain.learning_curves(
                model, train, holdout if holdout is not None and len(holdout[0]) else None, metric
            )
    out["seconds"] = time.monotonic() - started
    return out
