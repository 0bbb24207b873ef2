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
from django.conf import settings

from datasets import storage

from .automl.compiled import CompiledModel, compile_model
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
    about the same (the time goes to fixed per-call overhead, not to arithmetic), and threads
    that each ran their own call would only take turns holding the interpreter."""

    def __init__(self, call):
        self.call = call  # (checked values by column, row count) -> one array row per input row
        self._queue_lock = threading.Lock()
        self._pending: list[_Waiting] = []
        self._running = threading.Lock()

    def __call__(self, values: dict[str, list], count: int) -> np.ndarray:
        mine = _Waiting(values, count)
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
            if len(taken) == 1:
                out = self.call(taken[0].values, taken[0].count)
            else:
                joined = {name: [v for w in taken for v in w.values[name]] for name in taken[0].values}
                out = self.call(joined, sum(w.count for w in taken))
        except Exception as exc:
            if len(taken) == 1:
                taken[0].finish(error=exc)
                return
            for waiting in taken:  # one request's trouble must not fail the others
                self._run([waiting])
            return
        start = 0
        for waiting in taken:
            waiting.finish(result=out[start : start + waiting.count])
            start += waiting.count


class _Waiting:
    def __init__(self, values: dict[str, list], count: int):
        self.values = values
        self.count = count
        self.done = False
        self.result = None
        self.error: Exception | None = None

    def finish(self, *, result=None, error=None) -> None:
        self.result, self.error, self.done = result, error, True


@dataclass
class Served:
    """A version ready to predict: the model, the checker of its inputs, the model's compiled
    form when it has one (the same numbers as its pipeline, several times faster on a few rows),
    and the batcher that lets concurrent requests share model calls."""

    version_id: int
    sha256: str
    model: TrainedModel
    checker: InputChecker
    schema: list[dict]
    cost: int
    compiled: CompiledModel | None
    batcher: Batcher


def _model_call(model: TrainedModel, checker: InputChecker, compiled: CompiledModel | None):
    """The batcher's call: the compiled form's scores, else the model on a frame of the values."""
    method = model.predict_proba if model.task == CLASSIFICATION else model.predict

    def call(values: dict[str, list], count: int) -> np.ndarray:
        if compiled is not None:
            return compiled.scores(values, count)
        return method(checker.as_frame(values, count))

    return call


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
        checker = InputChecker(version.input_schema)
        compiled = compile_model(model)
        entry = Served(
            version_id=version.pk,
            sha256=version.artifact_sha256,
            model=model,
            checker=checker,
            schema=version.input_schema,
            cost=max(1, version.artifact_size) * MEMORY_PER_ARTIFACT_BYTE,
            compiled=compiled,
            batcher=Batcher(_model_call(model, checker, compiled)),
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
    values = entry.checker.values(rows)
    model = entry.model
    body: dict = {"model_version": version.number, "model_id": version.pk}
    if model.task == CLASSIFICATION:
        proba = entry.batcher(values, len(rows))
        chosen = labels_from_proba(proba, model.threshold)
        body["predictions"] = [_plain(model.classes[i]) for i in chosen]
        keys = [str(_plain(c)) for c in model.classes]
        body["probabilities"] = [dict(zip(keys, (round(float(p), 6) for p in row), strict=True)) for row in proba]
    else:
        body["predictions"] = [_plain(v) for v in entry.batcher(values, len(rows))]
    if explain:
        frame = entry.checker.as_frame(values, len(rows))
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
