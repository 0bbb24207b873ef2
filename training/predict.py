"""The prediction service: a model version's artifact loaded once (hash checked) and kept in a
size-bounded in-memory cache, rows checked against the version's input schema, predictions
with class probabilities, and, when asked, each row's explanation.

Used by the prediction API, the prediction form and batch predictions alike."""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from dataclasses import dataclass

import numpy as np
import pandas as pd
from django.conf import settings

from datasets import storage

from .automl.explain_row import contributions
from .automl.inputs import InputChecker, InvalidInput, Problem
from .automl.metrics import CLASSIFICATION, CLUSTERING, labels_from_proba
from .automl.model import TrainedModel, load
from .models import ModelVersion
from .signals import prediction_made

# A loaded model takes a few times its compressed file in memory.
MEMORY_PER_ARTIFACT_BYTE = 4

__all__ = ["InvalidInput", "Problem", "Served", "predict", "served"]


class Batcher:
    """Concurrent requests to one model share its calls. While one call runs, the requests that
    arrive wait, then go through the model together: for one row or a few dozen, a call costs
    about the same (the time goes to the preprocessing's fixed overhead, not to arithmetic), and
    threads that each ran their own call would only take turns holding the interpreter."""

    def __init__(self, call):
        self.call = call  # frame -> one array row per frame row
        self._queue_lock = threading.Lock()
        self._pending: list[_Waiting] = []
        self._running = threading.Lock()

    def __call__(self, frame: pd.DataFrame) -> np.ndarray:
        mine = _Waiting(frame)
        with self._queue_lock:
            self._pending.append(mine)
        with self._running:
            if not mine.done:  # nobody took it yet: take it and whatever else is waiting
                with self._queue_lock:
                    taken, self._pending = self._pending, []
                self._run(taken)
        if mine.error is not None:
            raise mine.error
        return mine.result

    def _run(self, taken: list[_Waiting]) -> None:
        try:
            frame = taken[0].frame if len(taken) == 1 else pd.concat([w.frame for w in taken], ignore_index=True)
            out = self.call(frame)
        except Exception as exc:
            if len(taken) == 1:
                taken[0].finish(error=exc)
                return
            for waiting in taken:  # one request's trouble must not fail the others
                self._run([waiting])
            return
        start = 0
        for waiting in taken:
            rows = len(waiting.frame)
            waiting.finish(result=out[start : start + rows])
            start += rows


class _Waiting:
    def __init__(self, frame: pd.DataFrame):
        self.frame = frame
        self.done = False
        self.result = None
        self.error: Exception | None = None

    def finish(self, *, result=None, error=None) -> None:
        self.result, self.error, self.done = result, error, True


@dataclass
class Served:
    """A version ready to predict: the model, the checker of its inputs, and the batcher that
    lets concurrent requests share model calls."""

    version_id: int
    sha256: str
    model: TrainedModel
    checker: InputChecker
    schema: list[dict]
    cost: int
    batcher: Batcher


_cache: OrderedDict[int, Served] = OrderedDict()
_lock = threading.Lock()
_loading: dict[int, threading.Lock] = {}


def served(version: ModelVersion) -> Served:
    """The version's model from the cache, loading it (once, even under concurrent requests)."""
    with _lock:
        hit = _cache.get(version.pk)
        if hit is not None and hit.sha256 == version.artifact_sha256:
            _cache.move_to_end(version.pk)
            return hit
        loading = _loading.setdefault(version.pk, threading.Lock())
    with loading:
        with _lock:
            hit = _cache.get(version.pk)
            if hit is not None and hit.sha256 == version.artifact_sha256:
                return hit
        model = load(storage.local_path(version.artifact_key), version.artifact_sha256)
        entry = Served(
            version_id=version.pk,
            sha256=version.artifact_sha256,
            model=model,
            checker=InputChecker(version.input_schema),
            schema=version.input_schema,
            cost=max(1, version.artifact_size) * MEMORY_PER_ARTIFACT_BYTE,
            batcher=Batcher(model.predict_proba if model.task == CLASSIFICATION else model.predict),
        )
        with _lock:
            _cache[version.pk] = entry
            _evict()
        return entry


def _evict() -> None:
    limit = settings.PREDICT_CACHE_BYTES
    while len(_cache) > 1 and sum(e.cost for e in _cache.values()) > limit:
        _cache.popitem(last=False)


def clear_cache() -> None:
    with _lock:
        _cache.clear()


def predict(
    version: ModelVersion, rows: list, *, explain: bool = False, source: str = "api", actor=None, alias: str = ""
) -> dict:
    """Predictions for `rows` (mappings of column to value). Raises `InvalidInput` listing each
    problem by row and column, or `ValueError` for a request the model cannot answer."""
    if not isinstance(rows, list) or not rows:
        raise InvalidInput([Problem(-1, "", "Send a non-empty list of rows.")])
    if len(rows) > settings.PREDICT_MAX_ROWS:
        raise InvalidInput(
            [Problem(-1, "", f"At most {settings.PREDICT_MAX_ROWS:,} rows per request; predict a file for more.")]
        )
    if explain and version.problem_type == CLUSTERING:
        raise ValueError("Cluster assignments are not explained column by column.")
    started = time.perf_counter()
    entry = served(version)
    frame = entry.checker.frame(rows)
    model = entry.model
    body: dict = {"model_version": version.number, "model_id": version.pk}
    if model.task == CLASSIFICATION:
        proba = entry.batcher(frame)
        chosen = labels_from_proba(proba, model.threshold)
        body["predictions"] = [_plain(model.classes[i]) for i in chosen]
        keys = [str(_plain(c)) for c in model.classes]
        body["probabilities"] = [dict(zip(keys, (round(float(p), 6) for p in row), strict=True)) for row in proba]
    else:
        body["predictions"] = [_plain(v) for v in entry.batcher(frame)]
    if explain:
        body["explanations"] = [
            {**row, "class": _plain(row["class"]) if row["class"] is not None else None}
            for row in contributions(model, frame, entry.schema)
        ]
    body["latency_ms"] = round((time.perf_counter() - started) * 1000, 2)
    prediction_made.send(
        sender=ModelVersion, version=version, rows=rows, result=body, source=source, actor=actor, alias=alias
    )
    return body


def _plain(value):
    """A JSON-native value (numpy scalars become Python ones)."""
    return value.item() if isinstance(value, np.generic) else value
