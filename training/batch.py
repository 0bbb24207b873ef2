"""Batch predictions: a file (or a dataset version of the project) scored by a model version on a
worker, giving a downloadable CSV or Parquet file. Pages and the API start, list and delete them
here; the worker's part is `batch_run.py`.

A file is checked before anything is stored (its format, and that it holds the model's input
columns), so a wrong file is refused at once instead of failing on the worker minutes later."""

from __future__ import annotations

import logging
import os
import uuid
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from datasets import storage
from datasets.ingest import IngestError, inspect_file
from datasets.models import DatasetVersion
from datasets.services import clean_label, upload_path
from datasets.uploads import limit_message

from .models import BatchPrediction, ModelVersion

log = logging.getLogger(__name__)

# A run whose heartbeat is older than this lost its worker (the run beats every minute).
STALE_AFTER = timedelta(minutes=10)


def start(
    *,
    actor,
    version: ModelVersion,
    upload=None,
    dataset_version: DatasetVersion | None = None,
    output_format: str = BatchPrediction.Format.CSV,
    explain: bool = False,
    alias: str = "",
) -> BatchPrediction:
    """Queue predictions for an uploaded file or a dataset version. Nothing is stored or queued
    when the request is refused (a `ValidationError` naming the field)."""
    if (upload is None) == (dataset_version is None):
        raise ValidationError({"file": "Choose one file to predict, or one dataset version of this project."})
    if output_format not in BatchPrediction.Format.values:
        raise ValidationError({"output_format": "Choose CSV or Parquet."})
    if explain and version.problem_type == "clustering":
        raise ValidationError({"explain": "Cluster assignments are not explained column by column."})
    batch = BatchPrediction(
        project=version.project,
        version=version,
        alias=alias,
        output_format=output_format,
        explain=bool(explain),
        created_by=actor if getattr(actor, "is_authenticated", False) else None,
    )
    if upload is not None:
        path = upload_path(upload)
        label = clean_label(getattr(upload, "name", ""))
        detected = _inspect(path, label)
        _check_columns(version, detected.get("columns"), "file")
        suffix = {"gzip": ".gz", "zip": ".zip"}.get(detected.get("compression") or "", "")
        batch.source_name = label
        batch.source_key = f"{batch.storage_prefix}input.{detected.get('format', 'csv')}{suffix}"
        batch.source_size = os.path.getsize(path)
        storage.save_file(batch.source_key, path)
    else:
        _check_dataset(version, dataset_version)
        batch.dataset_version = dataset_version
        batch.source_name = f"{dataset_version.dataset.name} (version {dataset_version.number})"
        batch.source_key = dataset_version.parquet_key
        batch.source_size = dataset_version.size_bytes or 0
    try:
        with transaction.atomic():
            batch.save()
            _enqueue(batch)
    except Exception:
        if upload is not None:
            storage.delete_keys([batch.source_key])
        raise
    return batch


def _inspect(path: str, label: str) -> dict:
    if os.path.getsize(path) > settings.DATASET_MAX_UPLOAD_BYTES:
        raise ValidationError({"file": limit_message()})
    try:
        return inspect_file(path, label, max_columns=settings.DATASET_MAX_COLUMNS)
    except IngestError as exc:
        raise ValidationError({"file": str(exc)}) from exc


def _check_columns(version: ModelVersion, columns, field: str) -> None:
    """Refuse a source that lacks some of the model's input columns (when its columns are known
    before reading it all; the worker checks again in any case)."""
    if not columns:
        return
    present = set(columns)
    missing = [c["name"] for c in version.input_schema if c["name"] not in present]
    if missing:
        shown = ", ".join(f"“{name}”" for name in missing[:10]) + (", …" if len(missing) > 10 else "")
        raise ValidationError({field: f"The model needs columns this data does not have: {shown}."})


def _check_dataset(version: ModelVersion, dataset_version: DatasetVersion) -> None:
    if dataset_version.dataset.project_id != version.project_id or dataset_version.dataset.deleted_at:
        raise ValidationError({"dataset_version": "Choose a dataset version of this model's project."})
    if not dataset_version.is_ready or not dataset_version.parquet_key:
        raise ValidationError({"dataset_version": "This dataset version is not ready yet."})
    _check_columns(version, [c["name"] for c in dataset_version.columns or []], "dataset_version")


def _enqueue(batch: BatchPrediction) -> None:
    """Queue the run once the transaction commits; a token makes a duplicate delivery a no-op."""
    from .tasks import predict_batch

    token = uuid.uuid4().hex
    # heartbeat_at is "queued at" until a worker starts: the reaper sends lost messages again.
    BatchPrediction.objects.filter(pk=batch.pk).update(token=token, heartbeat_at=timezone.now())
    batch.token = token
    transaction.on_commit(lambda: predict_batch.delay(batch.pk, token))


def delete(*, actor, batch: BatchPrediction) -> None:
    """Forget a finished batch and its files (a running one finishes first)."""
    if batch.is_active:
        raise ValidationError("These predictions are still being made; delete them once they finish.")
    keys = [batch.result_key] + ([] if batch.dataset_version_id else [batch.source_key])
    batch.delete()
    transaction.on_commit(lambda: storage.delete_keys(keys))


def fail_stalled() -> int:
    """Beat: send lost messages again, and fail the runs whose worker went silent."""
    from .tasks import predict_batch

    return BatchPrediction.reap(
        timezone.now() - STALE_AFTER,
        resend=lambda batch: predict_batch.delay(batch.pk, batch.token),
        reason="The worker making these predictions stopped responding. Start them again.",
        stage="Failed",
    )
