"""The worker's part of a batch prediction: read the file with the dataset readers, check every
row against the model's inputs, predict in chunks (progress after each), and write the input's
columns followed by the prediction, class probabilities and, when asked, each column's
contribution. CSV output neutralises spreadsheet formulas. The result is stored only when
complete: a failed run leaves no partial file behind."""

from __future__ import annotations

import json
import logging
import os
import tempfile
import time

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.db import connection
from django.utils import timezone

from datasets import storage
from datasets.ingest import IngestError, read_table
from datasets.processing import Heartbeat

from .automl.explain_row import explain as explain_rows
from .automl.inputs import InvalidInput
from .automl.metrics import CLASSIFICATION, labels_from_proba
from .automl.model import ArtifactError
from .models import BatchPrediction, ModelVersion
from .predict import served
from .signals import prediction_made

log = logging.getLogger(__name__)

CHUNK_ROWS = 100_000
# Explaining by occlusion scores one copy of the chunk per column: smaller chunks keep memory flat.
EXPLAIN_CELLS = 2_000_000
LOG_SAMPLE_ROWS = 1_000
# A cell starting with one of these is a formula to a spreadsheet (OWASP's list).
FORMULA_START = r"^[=+\-@\t\r]"


def run(*, batch_id: int, token: str) -> None:
    if not BatchPrediction.claim(batch_id, token, stage="Starting"):
        log.info("Batch prediction %s run %s already taken or gone; nothing to do.", batch_id, token)
        return
    batch = BatchPrediction.objects.select_related("version", "project").get(pk=batch_id)
    with Heartbeat(batch.pk, model=BatchPrediction):
        try:
            _run(batch)
        except InvalidInput as exc:
            _fail(batch, _problems_message(exc), problems=[p.as_dict() for p in exc.problems])
        except SoftTimeLimitExceeded:
            limit = settings.BATCH_TIME_LIMIT_S
            _fail(batch, f"Stopped after the {limit // 60:,}-minute limit (AUTOML_BATCH_TIME_LIMIT_S); split the file.")
        except (IngestError, ArtifactError, FileNotFoundError) as exc:
            _fail(batch, str(exc) if not isinstance(exc, FileNotFoundError) else "The input file is gone.")
        except Exception:
            log.exception("Batch prediction %s failed", batch.pk)
            _fail(batch, "An unexpected error stopped the predictions; the worker's log has the details.")
        finally:
            connection.close()


def _progress(batch: BatchPrediction, percent: float, stage: str) -> None:
    batch.progress, batch.stage = int(percent), stage[:200]
    BatchPrediction.objects.filter(pk=batch.pk, status=BatchPrediction.Status.RUNNING).update(
        progress=batch.progress, stage=batch.stage, heartbeat_at=timezone.now()
    )


def _run(batch: BatchPrediction) -> None:
    version = batch.version
    _progress(batch, 2, "Loading the model")
    entry = served(version)
    _progress(batch, 5, "Reading the file")
    label = "data.parquet" if batch.dataset_version_id else batch.source_name
    table, _, _ = read_table(
        str(storage.local_path(batch.source_key)), label, batch.read_options, max_columns=settings.DATASET_MAX_COLUMNS
    )
    if table.num_rows == 0:
        raise IngestError("The file has no rows to predict.")
    _progress(batch, 15, f"Checking {table.num_rows:,} rows")
    frame = entry.checker.table(table)
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(dir=storage.cache_dir()) as folder:
        path = os.path.join(folder, f"predictions.{batch.output_format}")
        writer = Writer(path, batch.output_format)
        step = _chunk_rows(batch, len(entry.schema))
        sample = None
        for start in range(0, table.num_rows, step):
            part = frame.iloc[start : start + step]
            extra, shown = _predict_chunk(entry.model, part, entry.schema, batch.explain, table.column_names)
            writer.write(_joined(table.slice(start, len(part)), extra))
            if sample is None:
                sample = (part.head(LOG_SAMPLE_ROWS), shown[:LOG_SAMPLE_ROWS])
            done = min(start + step, table.num_rows)
            _progress(batch, 20 + 75 * done / table.num_rows, f"Predicted {done:,} of {table.num_rows:,} rows")
        writer.close()
        elapsed_ms = (time.perf_counter() - started) * 1000
        _progress(batch, 97, "Storing the file")
        key = f"{batch.storage_prefix}predictions.{batch.output_format}"
        storage.save_file(key, path)
        size = os.path.getsize(path)
    finished = batch.finish(
        BatchPrediction.SUCCEEDED, progress=100, stage="Done", rows=table.num_rows, result_key=key, result_size=size
    )
    if not finished:  # deleted or failed meanwhile: keep nothing
        storage.delete_keys([key])
        return
    _log(batch, version, sample, table.num_rows, elapsed_ms)


def _chunk_rows(batch: BatchPrediction, columns: int) -> int:
    if batch.explain:
        return max(1_000, min(CHUNK_ROWS, EXPLAIN_CELLS // (columns + 1)))
    return CHUNK_ROWS


def _predict_chunk(model, part: pd.DataFrame, schema: list[dict], explain: bool, taken: list[str]):
    """The new columns for one chunk (name → Arrow array, in order), and the predictions as a list."""
    names = set(taken)
    out: dict[str, pa.Array] = {}
    if model.task == CLASSIFICATION:
        proba = model.predict_proba(part)
        labels = np.asarray(model.classes, dtype=object)[labels_from_proba(proba, model.threshold)]
        predictions = [_plain(v) for v in labels]
        out[_free("prediction", names)] = pa.array(predictions)
        for j, cls in enumerate(model.classes):
            out[_free(f"probability_{cls}", names)] = pa.array(proba[:, j], pa.float64())
    else:
        predictions = [_plain(v) for v in model.predict(part)]
        out[_free("prediction", names)] = pa.array(predictions)
    if explain:
        found = explain_rows(model, part, schema)
        if model.task == CLASSIFICATION:
            out[_free("explained_class", names)] = pa.array([_plain(c) for c in found.classes])
        for j, column in enumerate(found.columns):
            out[_free(f"contribution_{column}", names)] = pa.array(found.values[:, j], pa.float64())
    return out, predictions


def _free(name: str, taken: set[str]) -> str:
    """`name`, or `name_2`, `name_3`… when the input already has a column of that name."""
    candidate, n = name, 1
    while candidate in taken:
        n += 1
        candidate = f"{name}_{n}"
    taken.add(candidate)
    return candidate


def _joined(inputs: pa.Table, extra: dict[str, pa.Array]) -> pa.Table:
    for name, values in extra.items():
        inputs = inputs.append_column(name, values)
    return inputs


class Writer:
    """Writes chunks to one CSV or Parquet file with the first chunk's column types."""

    def __init__(self, path: str, output_format: str):
        self.path, self.format = path, output_format
        self.schema: pa.Schema | None = None
        self._writer = None

    def write(self, table: pa.Table) -> None:
        if self.format == BatchPrediction.Format.CSV:
            table = neutralise(table)
        if self._writer is None:
            self.schema = table.schema
            if self.format == BatchPrediction.Format.CSV:
                self._writer = pacsv.CSVWriter(self.path, self.schema)
            else:
                self._writer = pq.ParquetWriter(self.path, self.schema)
        elif table.schema != self.schema:
            table = table.cast(self.schema)
        self._writer.write_table(table)

    def close(self) -> None:
        if self._writer is not None:
            self._writer.close()


def neutralise(table: pa.Table) -> pa.Table:
    """Text cells a spreadsheet would run as a formula get a leading apostrophe."""
    columns = []
    for column in table.columns:
        if pa.types.is_dictionary(column.type):
            column = column.cast(column.type.value_type)
        if pa.types.is_string(column.type) or pa.types.is_large_string(column.type):
            risky = pc.match_substring_regex(column, FORMULA_START)
            column = pc.if_else(risky, pc.binary_join_element_wise("'", column, ""), column)
        columns.append(column)
    return pa.Table.from_arrays(columns, names=table.column_names)


def _plain(value):
    return value.item() if isinstance(value, np.generic) else value


def _problems_message(exc: InvalidInput) -> str:
    first = exc.problems[0]
    where = f"row {first.row + 1:,}, " if first.row >= 0 else ""
    column = f"column “{first.column}”: " if first.column else ""
    more = f" ({len(exc.problems)} problems listed below)" if len(exc.problems) > 1 else ""
    return f"Some values cannot be used{more}. First: {where}{column}{first.message}"


def _fail(batch: BatchPrediction, reason: str, *, problems: list | None = None) -> None:
    batch.finish(BatchPrediction.FAILED, stage="Failed", error=reason, problems=problems or [])


def _log(batch: BatchPrediction, version: ModelVersion, sample, rows: int, elapsed_ms: float) -> None:
    """One prediction-log entry for the file: its row count and a sample of its rows."""
    frame, predictions = sample
    inputs = json.loads(frame.to_json(orient="records", date_format="iso"))
    prediction_made.send(
        sender=ModelVersion,
        version=version,
        rows=inputs,
        result={"predictions": predictions, "latency_ms": round(elapsed_ms, 2)},
        source="batch",
        actor=batch.created_by,
        alias=batch.alias,
        total_rows=rows,
    )
