"""The processing run of a dataset version, executed by a worker.

First run: read the source (an uploaded file or a SQL query), infer the schema, write the one
Parquet copy that every later read uses, and profile. After a schema change: profile again
from the Parquet copy. The Parquet copy keeps the values as read; types are applied on every
read, so overriding a type never loses data.
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
import threading
import uuid
from datetime import timedelta

import pyarrow as pa
import pyarrow.parquet as pq
from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.db import connection
from django.db.models import Q
from django.utils import timezone

from . import sql, storage
from .ingest import IngestError, apply_types, infer_columns, read_table
from .ingest.profile import profile_table
from .models import ColumnRole, DatasetVersion
from .progress import ProgressReporter, broadcast

log = logging.getLogger(__name__)

# A run whose heartbeat is older than this is presumed dead (its worker was lost), so a
# redelivered task may take it over and the reaper may fail it.
STALE_AFTER = timedelta(minutes=10)
HEARTBEAT_EVERY_S = 60.0
PARQUET_ROW_GROUP = 65_536


class ProcessingFailed(Exception):
    """A failure to report to the user as is."""


class Heartbeat:
    """Keeps a row's heartbeat fresh from a thread while a run works, so that one long step
    (reading a huge file, profiling, fitting a model) is not mistaken for a dead worker by the
    reaper. Dataset versions use it; training jobs too (with `model`)."""

    def __init__(self, pk: int, *, every: float = HEARTBEAT_EVERY_S, model=DatasetVersion):
        self.pk = pk
        self.every = every
        self.model = model
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._beat, name=f"heartbeat-{model.__name__}-{pk}", daemon=True)

    def __enter__(self) -> Heartbeat:
        self._thread.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self._stop.set()
        self._thread.join()

    def _beat(self) -> None:
        try:
            while not self._stop.wait(self.every):
                try:
                    self.model.objects.filter(pk=self.pk).update(heartbeat_at=timezone.now())
                except Exception as exc:  # a database blip must not end the beating
                    log.warning("Heartbeat of %s %s failed: %s", self.model.__name__, self.pk, exc)
        finally:
            connection.close()  # this thread's own database connection


def claim(version_id: int, token: str) -> bool:
    """Atomically take the run: only the current token, and only once (unless it went stale)."""
    now = timezone.now()
    return bool(
        DatasetVersion.objects.filter(pk=version_id, task_id=token, status=DatasetVersion.Status.PROCESSING)
        .filter(Q(started_at__isnull=True) | Q(heartbeat_at__lt=now - STALE_AFTER))
        .update(started_at=now, heartbeat_at=now, error="")
    )


def run(*, version_id: int, token: str) -> None:
    if not claim(version_id, token):
        log.info("Version %s run %s already taken or superseded; nothing to do.", version_id, token)
        return
    version = DatasetVersion.objects.select_related("dataset__project", "connection").get(pk=version_id)
    report = ProgressReporter(version)
    first_run = not version.parquet_key
    with Heartbeat(version_id):
        _run(version, report, first_run=first_run)


def _run(version: DatasetVersion, report: ProgressReporter, *, first_run: bool) -> None:
    try:
        if first_run:
            table = _ingest(version, report)
        else:
            report(5, "Loading the Parquet copy")
            table = pq.read_table(storage.local_path(version.parquet_key), memory_map=True)
            version.warnings = [w for w in version.warnings if w.get("stage") == "read"]
        _profile(version, table, report)
        version.mark_ready()
    except Exception as exc:
        if not DatasetVersion.objects.filter(pk=version.pk).exists():
            _forget(version, first_run=first_run)
            return
        _fail(version, exc, first_run=first_run)
    else:
        broadcast(version)


def _forget(version: DatasetVersion, *, first_run: bool) -> None:
    """The version was deleted while it was processed: drop what this run wrote, quietly."""
    log.info("Dataset version %s was deleted during processing; its new files are removed.", version.pk)
    storage.delete_keys([version.parquet_key, version.profile_key] + ([version.raw_key] if first_run else []))


def _ingest(version: DatasetVersion, report: ProgressReporter) -> pa.Table:
    if version.source == DatasetVersion.Source.SQL:
        table, warnings = _read_sql(version, report)
    else:
        report(2, "Reading the file")
        path = storage.local_path(version.raw_key)
        table, detected, warnings = read_table(
            str(path), version.original_name, version.read_options, max_columns=settings.DATASET_MAX_COLUMNS
        )
        version.detected = {**version.detected, **detected}
        # The source is read only once: a cached copy of a remote one would only fill the disk.
        storage.drop_cached(version.raw_key)
    for warning in warnings:
        warning["stage"] = "read"
    version.warnings = warnings
    report(40, "Inferring column types")
    version.columns = _with_target(infer_columns(table), version.dataset.project.target_column)
    version.n_rows = table.num_rows
    version.n_columns = table.num_columns
    version.memory_bytes = table.nbytes
    report(45, "Writing the Parquet copy")
    version.parquet_key = version.key("data.parquet")
    _write_parquet(table, version.parquet_key)
    version.save(
        update_fields=["detected", "warnings", "columns", "n_rows", "n_columns", "memory_bytes", "parquet_key"]
    )
    return table


def _read_sql(version: DatasetVersion, report: ProgressReporter) -> tuple[pa.Table, list[dict]]:
    from .services import connection_url

    if version.connection is None:
        raise ProcessingFailed("The connection this import used was deleted.")
    report(2, "Running the query")
    try:
        url = connection_url(version.connection)
    except Exception as exc:
        raise ProcessingFailed("The connection's stored credentials cannot be read; save it again.") from exc
    cap = settings.SQL_ROW_CAP

    def rows_read(count: int) -> None:
        report(2 + int(36 * min(count, cap) / cap), f"Fetched {count:,} rows")

    return sql.read_query(url, version.query, timeout_s=settings.SQL_TIMEOUT_S, row_cap=cap, progress=rows_read)


def _with_target(columns: list[dict], target: str) -> list[dict]:
    """Mark the project's target column, when the project names one that this data has."""
    for column in columns:
        if target and column["name"] == target:
            column["role"] = column["inferred_role"] = ColumnRole.TARGET
    return columns


def _write_parquet(table: pa.Table, key: str) -> None:
    with tempfile.NamedTemporaryFile(dir=storage.cache_dir(), suffix=".parquet", delete=False) as tmp:
        path = tmp.name
    try:
        pq.write_table(table, path, row_group_size=PARQUET_ROW_GROUP, compression="snappy")
        storage.save_file(key, path)
    finally:
        os.unlink(path)


def _profile(version: DatasetVersion, table: pa.Table, report: ProgressReporter) -> None:
    report(60, "Applying column types")
    typed, cast_warnings = apply_types(table, version.columns)
    report(65, "Profiling")
    profile = profile_table(typed, version.columns, sample_rows=settings.DATASET_PROFILE_SAMPLE_ROWS)
    report(95, "Saving the profile")
    old_key = version.profile_key
    version.profile_key = version.key(f"profile-{uuid.uuid4().hex[:12]}.json")
    storage.save_stream(version.profile_key, [json.dumps(profile, allow_nan=False).encode()])
    profile_warnings = [{**w, "stage": "profile"} for w in profile.get("warnings", [])]
    version.warnings = [*version.warnings, *({**w, "stage": "types"} for w in cast_warnings), *profile_warnings]
    if old_key:
        storage.delete_keys([old_key])


def _fail(version: DatasetVersion, exc: BaseException, *, first_run: bool) -> None:
    if isinstance(exc, IngestError | sql.SqlImportError):
        reason = exc.message
    elif isinstance(exc, ProcessingFailed):
        reason = str(exc)
    elif isinstance(exc, SoftTimeLimitExceeded):
        minutes = settings.DATASET_TIME_LIMIT_S / 60
        reason = f"Processing took longer than the {minutes:.0f}-minute limit and was stopped."
    elif isinstance(exc, MemoryError):
        reason = "The dataset did not fit in the worker's memory. Import fewer rows or columns."
    else:
        log.exception("Processing of dataset version %s failed", version.pk)
        reason = f"Processing stopped on an unexpected error ({type(exc).__name__}). The worker's log has the details."
    if first_run:
        # A version that never became ready keeps no files: nothing half-written remains.
        storage.delete_keys([version.raw_key, version.parquet_key, version.profile_key])
        version.raw_key = version.parquet_key = version.profile_key = ""
        version.save(update_fields=["raw_key", "parquet_key", "profile_key"])
        version.mark_failed(reason)
    else:
        # Profiling again after a schema change failed: the data and the last profile are intact.
        version.warnings = [
            *version.warnings,
            {"code": "profile_failed", "column": None, "severity": "warning", "message": reason, "stage": "profile"},
        ]
        version.save(update_fields=["warnings"])
        version.mark_ready()
    broadcast(version)


def fail_stalled() -> int:
    """Fail the runs whose worker went silent (it died, or was killed), so no page spins forever.

    Runs queued long ago but never started (the message was lost, e.g. Redis was down when the
    upload committed) are sent again; a claim makes a duplicate harmless."""
    from .tasks import process_version

    cutoff = timezone.now() - STALE_AFTER
    unstarted = DatasetVersion.objects.filter(
        status=DatasetVersion.Status.PROCESSING, started_at__isnull=True, heartbeat_at__lt=cutoff
    )
    for version_id, token in unstarted.values_list("pk", "task_id"):
        DatasetVersion.objects.filter(pk=version_id).update(heartbeat_at=timezone.now())
        process_version.delay(version_id, token)
    stalled = DatasetVersion.objects.filter(
        status=DatasetVersion.Status.PROCESSING, started_at__isnull=False, heartbeat_at__lt=cutoff
    )
    count = 0
    for version in stalled.select_related("dataset"):
        lost = ProcessingFailed("The worker processing this version stopped responding.")
        _fail(version, lost, first_run=not version.profile_key)
        count += 1
    return count
