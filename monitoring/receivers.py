"""Logging predictions as the training app reports them (training never imports monitoring)."""

from __future__ import annotations

import logging
import random

from django.conf import settings
from django.db import DatabaseError

from .models import PredictionLog

log = logging.getLogger(__name__)


def log_prediction(sender, *, version, rows, result, source, actor, alias="", **kwargs) -> None:
    """Keep the request (a sample of them, by AUTOML_PREDICTION_LOG_SAMPLE); a file's batch comes
    with a sample of its rows and its `total_rows`. A failure to log is
    reported, never passed on: the prediction was made and answers the user either way."""
    rate = settings.PREDICTION_LOG_SAMPLE
    if rate <= 0 or (rate < 1 and random.random() >= rate):  # noqa: S311 - sampling, not security
        return
    outputs = {"predictions": result.get("predictions", [])}
    if "probabilities" in result:
        outputs["probabilities"] = result["probabilities"]
    try:
        PredictionLog.objects.create(
            project_id=version.project_id,
            version=version,
            source=source,
            alias=alias,
            rows=kwargs.get("total_rows") or len(rows),
            inputs=rows,
            outputs=outputs,
            latency_ms=result.get("latency_ms", 0.0),
            actor=actor if getattr(actor, "is_authenticated", False) else None,
        )
    except DatabaseError:
        log.exception("Could not log a prediction of model version %s", version.pk)
