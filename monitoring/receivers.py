"""Logging predictions as the training app reports them (training never imports monitoring).

Requests to the prediction API are many and small: their log rows are kept in memory and written
in bulk by a background thread every `AUTOML_PREDICTION_LOG_FLUSH_S` seconds, so a request never
waits for the database (with SQLite, eight concurrent writers would mostly wait for each other's
locks). The form and batch predictions are written at once. A process that stops flushes what it
holds; one that is killed loses at most that interval of log rows, never a prediction."""

from __future__ import annotations

import atexit
import logging
import os
import random
import threading

from django.conf import settings
from django.db import DatabaseError, connection

from .models import PredictionLog

log = logging.getLogger(__name__)
BUFFERED_SOURCES = frozenset({"api", "project"})
FLUSH_ROWS = 500


def log_prediction(sender, *, version, rows, result, source, actor, alias="", **kwargs) -> None:
    """Keep the request (a sample of them, by AUTOML_PREDICTION_LOG_SAMPLE); a file's batch comes
    with a sample of its rows and its `total_rows`. A failure to log is reported, never passed on:
    the prediction was made and answers the user either way."""
    rate = settings.PREDICTION_LOG_SAMPLE
    if rate <= 0 or (rate < 1 and random.random() >= rate):  # noqa: S311 - sampling, not security
        return
    outputs = {"predictions": result.get("predictions", [])}
    if "probabilities" in result:
        outputs["probabilities"] = result["probabilities"]
    entry = PredictionLog(
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
    if settings.PREDICTION_LOG_FLUSH_S > 0 and source in BUFFERED_SOURCES:
        buffer.add(entry)
        return
    try:
        entry.save()
    except DatabaseError:
        log.exception("Could not log a prediction of model version %s", version.pk)


class LogBuffer:
    """Log rows waiting to be written, and the thread that writes them."""

    def __init__(self):
        self._rows: list[PredictionLog] = []
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None
        self._pid = 0

    def add(self, entry: PredictionLog) -> None:
        with self._lock:
            self._rows.append(entry)
            full = len(self._rows) >= FLUSH_ROWS
            # A forked child (a Celery pool process) inherits the list but not the thread.
            if self._thread is None or self._pid != os.getpid() or not self._thread.is_alive():
                self._pid = os.getpid()
                self._thread = threading.Thread(target=self._run, name="prediction-log", daemon=True)
                self._thread.start()
        if full:
            self._wake.set()

    def _run(self) -> None:
        while True:
            self._wake.wait(settings.PREDICTION_LOG_FLUSH_S)
            self._wake.clear()
            self.flush()

    def flush(self) -> int:
        """Write what is held; the number of rows written."""
        with self._lock:
            rows, self._rows = self._rows, []
        if not rows:
            return 0
        try:
            PredictionLog.objects.bulk_create(rows, batch_size=FLUSH_ROWS)
        except DatabaseError:
            log.exception("Could not write %d prediction log rows", len(rows))
            return 0
        finally:
            if threading.current_thread() is self._thread:
                connection.close()  # the writer thread's own connection, opened again next time
        return len(rows)


buffer = LogBuffer()
atexit.register(buffer.flush)
