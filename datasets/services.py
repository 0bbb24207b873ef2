"""Workflows on datasets, versions, schemas and SQL connections.

Pages, the API, the admin and commands call these. Each checks the permission policy for its
actor, validates what the user sent before anything is stored, and enqueues processing on
commit. A file that fails the quick check is refused with a readable message: a new dataset is
then not created at all; a new version of an existing dataset is recorded as failed (with the
reason, and without files) so the attempt shows in its history.
"""

from __future__ import annotations

import logging
import os
import re
import uuid
from contextlib import contextmanager
from pathlib import PurePosixPath

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone

from projects.models import AuditEvent, Project
from projects.services import _require, audit

from . import crypto, sql, storage
from .ingest import IngestError, inspect_file
from .ingest.formats import EXTENSIONS
from .models import ColumnRole, ColumnType, Dataset, DatasetVersion, SqlConnection
from .uploads import limit_message

log = logging.getLogger(__name__)

MAX_NAME = 200


def _strip_controls(text: str) -> str:
    """Text without control characters (NUL, newlines, escapes): names are shown in pages and logs."""
    return re.sub(r"[\x00-\x1f\x7f]", "", text or "").strip()


def clean_label(name: str, *, fallback: str = "upload") -> str:
    """A user's file name as a harmless label: no path, no control characters, bounded length.

    Storage keys never come from it; this only decides what the page shows."""
    name = (name or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = _strip_controls(name).lstrip(".")
    if len(name) > 255:
        stem, dot, ext = name.rpartition(".")
        name = (stem[: 250 - len(ext)] + dot + ext) if dot and len(ext) <= 10 else name[:255]
    return name or fallback


def default_name(filename: str) -> str:
    """The dataset name a file suggests: its cleaned label without extensions (sales.csv.gz → sales)."""
    stem = clean_label(filename, fallback="Dataset")
    for _ in range(2):  # at most a compression and a format extension
        path = PurePosixPath(stem)
        if path.suffix.lower() in {*EXTENSIONS, ".gz", ".zip"} and path.stem:
            stem = path.stem
    return stem[:MAX_NAME] or "Dataset"


def _clean_name(name: str) -> str:
    name = _strip_controls(name)
    if not name:
        raise ValidationError({"name": "A dataset needs a name."})
    if len(name) > MAX_NAME:
        raise ValidationError({"name": f"Keep the name under {MAX_NAME} characters."})
    return name


def _name_taken(name: str) -> ValidationError:
    return ValidationError(
        {"name": f"This project already has a dataset named “{name}”. Upload a new version to it instead."}
    )


def _check_name_free(project: Project, name: str, *, exclude: int | None = None) -> None:
    taken = Dataset.objects.filter(project=project, name__iexact=name)
    if exclude:
        taken = taken.exclude(pk=exclude)
    if taken.exists():
        raise _name_taken(name)


@contextmanager
def _unique_name(name: str):
    """A transaction in which the database's unique-name constraint reads as the usual message
    (two requests that both passed `_check_name_free`)."""
    try:
        with transaction.atomic():
            yield
    except IntegrityError as exc:
        if "unique_live_dataset_name" in str(exc) or "datasets_dataset" in str(exc):
            raise _name_taken(name) from exc
        raise


def _check_editable(project: Project) -> None:
    if project.status == Project.Status.ARCHIVED:
        raise ValidationError("This project is archived; unarchive it to change its datasets.")


def upload_path(upload) -> str:
    """A local path to the uploaded bytes. Uploads arrive as temporary files (see uploads.py)."""
    if hasattr(upload, "temporary_file_path"):
        return upload.temporary_file_path()
    raise ValidationError({"file": "The upload could not be read; please try again."})


def _read_options(options: dict | None) -> dict:
    """Keep only the reading options a user may set, as plain strings and booleans."""
    allowed = {"delimiter", "encoding", "decimal", "header", "sheet"}
    clean = {}
    for key, value in (options or {}).items():
        if key not in allowed or value in (None, ""):
            continue
        if key == "header":
            clean[key] = value if isinstance(value, bool) else str(value).lower() in {"1", "true", "yes", "on"}
        else:
            clean[key] = str(value)[:64]
    return clean


def _inspect(path: str, label: str, options: dict) -> dict:
    size = os.path.getsize(path)
    if size > settings.DATASET_MAX_UPLOAD_BYTES:
        raise IngestError(limit_message(), code="too_large")
    return inspect_file(path, label, options, max_columns=settings.DATASET_MAX_COLUMNS)


def _next_number(dataset: Dataset) -> int:
    return (dataset.versions.aggregate(n=Max("number"))["n"] or 0) + 1


def _store_upload(version: DatasetVersion, path: str, detected: dict) -> None:
    fmt = detected.get("format", "")
    suffix = {"gzip": ".gz", "zip": ".zip"}.get(detected.get("compression") or "", "")
    version.raw_key = version.key(f"source.{fmt}{suffix}")
    storage.save_file(version.raw_key, path)
    version.size_bytes = os.path.getsize(path)
    version.sha256 = _sha256(path)


def _sha256(path: str) -> str:
    import hashlib

    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(storage.CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _enqueue(version: DatasetVersion) -> None:
    """Queue processing once the transaction commits; a token makes duplicate deliveries no-ops."""
    from .tasks import process_version

    token = uuid.uuid4().hex
    # heartbeat_at is "queued at" until a worker starts: the reaper sends lost messages again.
    DatasetVersion.objects.filter(pk=version.pk).update(
        task_id=token, started_at=None, heartbeat_at=timezone.now(), status=DatasetVersion.Status.PROCESSING
    )
    version.task_id = token
    transaction.on_commit(lambda: process_version.delay(version.pk, token))


def create_dataset(
    *, actor, project: Project, name: str, upload, options: dict | None = None, description: str = ""
) -> Dataset:
    """A new dataset from an uploaded file. Nothing is created if the file is refused."""
    _require(actor, "change", project)
    _check_editable(project)
    name = _clean_name(name)
    _check_name_free(project, name)
    label = clean_label(getattr(upload, "name", ""))
    options = _read_options(options)
    try:
        detected = _inspect(upload_path(upload), label, options)
    except IngestError as exc:
        raise ValidationError({"file": exc.message}) from exc
    version = DatasetVersion(
        number=1, original_name=label, file_format=detected.get("format", ""), read_options=options, detected=detected
    )
    _store_upload(version, upload_path(upload), detected)
    try:
        with _unique_name(name):
            dataset = Dataset.objects.create(project=project, name=name, description=description, created_by=actor)
            version.dataset = dataset
            version.created_by = actor
            version.save()
            dataset.latest_version = version
            dataset.save(update_fields=["latest_version", "updated_at"])
            _enqueue(version)
            audit(actor=actor, action=AuditEvent.Action.CREATE, target=dataset, changes={"file": label})
    except BaseException:
        storage.delete_keys([version.raw_key])
        raise
    return dataset


def add_version(*, actor, dataset: Dataset, upload, options: dict | None = None) -> DatasetVersion:
    """A new version of `dataset` from an uploaded file.

    A refused file is recorded as a failed version (no files kept) and raises ValidationError."""
    _require(actor, "change", dataset)
    _check_editable(dataset.project)
    label = clean_label(getattr(upload, "name", ""))
    options = _read_options(options)
    with transaction.atomic():
        Dataset.objects.select_for_update().filter(pk=dataset.pk).first()
        version = DatasetVersion(
            dataset=dataset, number=_next_number(dataset), original_name=label, read_options=options, created_by=actor
        )
        try:
            version.detected = _inspect(upload_path(upload), label, options)
        except IngestError as exc:
            version.status = DatasetVersion.Status.FAILED
            version.error = exc.message
            version.stage = "Failed"
            version.finished_at = timezone.now()
            version.save()
            _point_latest(dataset, version)
            failure = exc
        else:
            failure = None
            version.file_format = version.detected.get("format", "")
            _store_upload(version, upload_path(upload), version.detected)
            try:
                version.save()
            except BaseException:
                storage.delete_keys([version.raw_key])
                raise
            _point_latest(dataset, version)
            _enqueue(version)
        audit(
            actor=actor,
            action=AuditEvent.Action.UPDATE,
            target=dataset,
            changes={"version": version.number, "file": label, **({"error": failure.message} if failure else {})},
        )
    if failure is not None:
        raise ValidationError({"file": failure.message})
    return version


def _point_latest(dataset: Dataset, version: DatasetVersion) -> None:
    dataset.latest_version = version
    dataset.save(update_fields=["latest_version", "updated_at"])


# --- SQL ------------------------------------------------------------------------------


def _sql_error(exc: sql.SqlImportError, field: str) -> ValidationError:
    return ValidationError({field: exc.message})


def create_connection(*, actor, project: Project, name: str, url: str) -> SqlConnection:
    """Save a database connection; the URL (with its password) is encrypted at rest."""
    _require(actor, "change", project)
    _check_editable(project)
    name = _strip_controls(name)
    if not name:
        raise ValidationError({"name": "Give the connection a name."})
    if len(name) > 120:
        raise ValidationError({"name": "Keep the name under 120 characters."})
    if SqlConnection.objects.filter(project=project, name__iexact=name).exists():
        raise ValidationError({"name": f"This project already has a connection named “{name}”."})
    try:
        dialect, display = sql.parse_url(url)
    except sql.SqlImportError as exc:
        raise _sql_error(exc, "url") from exc
    with transaction.atomic():
        connection = SqlConnection.objects.create(
            project=project,
            name=name,
            dialect=dialect,
            display_url=display[:500],
            encrypted_url=crypto.encrypt(url.strip()),
            created_by=actor,
        )
        audit(actor=actor, action=AuditEvent.Action.CREATE, target=connection, workspace=project.workspace)
    return connection


def delete_connection(*, actor, connection: SqlConnection) -> None:
    # Operators delete from the admin in workspaces they are not members of.
    _require(actor, "change", connection, operator_may=True)
    with transaction.atomic():
        audit(actor=actor, action=AuditEvent.Action.DELETE, target=connection, workspace=connection.project.workspace)
        connection.delete()


def connection_url(connection: SqlConnection) -> str:
    try:
        return crypto.decrypt(connection.encrypted_url)
    except ValueError as exc:
        raise ValidationError({"connection": str(exc)}) from exc


def test_connection(*, actor, project: Project, url: str = "", connection: SqlConnection | None = None) -> str:
    """Try the URL (typed, or a saved connection's): its message, or a ValidationError with a
    readable reason, also when a driver fails in a way sql.py does not translate."""
    _require(actor, "change", project)
    if connection is not None:
        if connection.project_id != project.pk:
            raise ValidationError({"connection": "Choose a connection of this project."})
        url = connection_url(connection)
    try:
        message = sql.test_connection(url, timeout_s=min(settings.SQL_TIMEOUT_S, 15))
    except sql.SqlImportError as exc:
        raise _sql_error(exc, "url") from exc
    except Exception as exc:
        log.warning("Connection test failed unexpectedly: %r", exc)
        raise ValidationError(
            {"url": "The connection failed unexpectedly. Check the host, port and database name, then try again."}
        ) from exc
    if connection is not None:
        SqlConnection.objects.filter(pk=connection.pk).update(last_tested_at=timezone.now())
    return message


def _sql_version(*, actor, dataset: Dataset, connection: SqlConnection, query: str) -> DatasetVersion:
    version = DatasetVersion.objects.create(
        dataset=dataset,
        number=_next_number(dataset),
        source=DatasetVersion.Source.SQL,
        original_name=connection.name,
        file_format="sql",
        connection=connection,
        query=query,
        created_by=actor,
    )
    _point_latest(dataset, version)
    _enqueue(version)
    return version


def _check_connection(project: Project, connection: SqlConnection, query: str) -> str:
    if connection.project_id != project.pk:
        raise ValidationError({"connection": "Choose a connection of this project."})
    try:
        return sql.validate_query(query, connection.dialect)
    except sql.SqlImportError as exc:
        raise _sql_error(exc, "query") from exc


def import_sql(*, actor, project: Project, name: str, connection: SqlConnection, query: str) -> Dataset:
    """A new dataset from one SELECT on a saved connection (run by a worker)."""
    _require(actor, "change", project)
    _check_editable(project)
    name = _clean_name(name)
    _check_name_free(project, name)
    query = _check_connection(project, connection, query)
    with _unique_name(name):
        dataset = Dataset.objects.create(project=project, name=name, created_by=actor)
        _sql_version(actor=actor, dataset=dataset, connection=connection, query=query)
        audit(actor=actor, action=AuditEvent.Action.CREATE, target=dataset, changes={"sql": connection.name})
    return dataset


def add_sql_version(*, actor, dataset: Dataset, connection: SqlConnection, query: str) -> DatasetVersion:
    _require(actor, "change", dataset)
    _check_editable(dataset.project)
    query = _check_connection(dataset.project, connection, query)
    with transaction.atomic():
        Dataset.objects.select_for_update().filter(pk=dataset.pk).first()
        version = _sql_version(actor=actor, dataset=dataset, connection=connection, query=query)
        audit(actor=actor, action=AuditEvent.Action.UPDATE, target=dataset, changes={"version": version.number})
    return version


# --- Schema, renaming, deletion -------------------------------------------------------


def update_schema(*, actor, version: DatasetVersion, changes: list[dict]) -> DatasetVersion:
    """Override column types and roles of a version, then profile it again.

    `changes` is a list of {"name", "type"?, "role"?}. At most one column may be the target;
    making a column the target demotes the previous one to a feature."""
    _require(actor, "change", version)
    _check_editable(version.dataset.project)
    if version.status != DatasetVersion.Status.READY:
        raise ValidationError("The schema can be changed once this version is ready.")
    columns = [dict(c) for c in version.columns]
    by_name = {c["name"]: c for c in columns}
    errors: dict[str, str] = {}
    if not isinstance(changes, list) or not changes:
        raise ValidationError({"columns": "Send at least one column change."})
    new_target = None
    for change in changes:
        if not isinstance(change, dict) or not isinstance(change.get("name"), str):
            raise ValidationError({"columns": "Each change needs a column name."})
        name = change["name"]
        column = by_name.get(name)
        if column is None:
            errors[name] = "There is no such column."
            continue
        if "type" in change:
            if change["type"] not in ColumnType.values:
                errors[name] = f"Unknown type “{change['type']}”; choose one of {', '.join(ColumnType.values)}."
                continue
            column["type"] = change["type"]
        if "role" in change:
            if change["role"] not in ColumnRole.values:
                errors[name] = f"Unknown role “{change['role']}”; choose one of {', '.join(ColumnRole.values)}."
                continue
            column["role"] = change["role"]
            if change["role"] == ColumnRole.TARGET:
                if new_target and new_target != name:
                    errors[name] = "Only one column can be the target."
                new_target = name
    if errors:
        raise ValidationError({"columns": [f"{name}: {message}" for name, message in errors.items()]})
    if new_target:
        for column in columns:
            if column["role"] == ColumnRole.TARGET and column["name"] != new_target:
                column["role"] = ColumnRole.FEATURE
    before = {c["name"]: (c["type"], c["role"]) for c in version.columns}
    diff = {
        c["name"]: [list(before[c["name"]]), [c["type"], c["role"]]]
        for c in columns
        if before[c["name"]] != (c["type"], c["role"])
    }
    if not diff:
        return version
    with transaction.atomic():
        version.columns = columns
        version.progress = 0
        version.stage = "Waiting to profile again"
        version.save(update_fields=["columns", "progress", "stage"])
        _enqueue(version)
        audit(
            actor=actor,
            action=AuditEvent.Action.UPDATE,
            target=version.dataset,
            changes={"schema": diff, "version": version.number},
        )
    version.status = DatasetVersion.Status.PROCESSING
    return version


def update_dataset(*, actor, dataset: Dataset, **data) -> Dataset:
    _require(actor, "change", dataset)
    _check_editable(dataset.project)
    changes = {}
    if "name" in data:
        name = _clean_name(data["name"])
        _check_name_free(dataset.project, name, exclude=dataset.pk)
        if name != dataset.name:
            changes["name"] = [dataset.name, name]
            dataset.name = name
    if "description" in data and data["description"] != dataset.description:
        changes["description"] = [dataset.description, data["description"]]
        dataset.description = data["description"]
    if changes:
        with _unique_name(dataset.name):
            dataset.save()
            audit(actor=actor, action=AuditEvent.Action.UPDATE, target=dataset, changes=changes)
    return dataset


def delete_dataset(*, actor, dataset: Dataset) -> None:
    """Soft-delete: the dataset disappears everywhere; an operator may restore it in the admin.
    Its files go when the row is finally deleted (see signals)."""
    # Operators delete from the admin in workspaces they are not members of.
    _require(actor, "delete", dataset, operator_may=True)
    with transaction.atomic():
        dataset.soft_delete(by=actor)
        audit(actor=actor, action=AuditEvent.Action.DELETE, target=dataset)


def restore_dataset(*, actor, dataset: Dataset) -> None:
    _require(actor, "delete", dataset, operator_may=True)
    with _unique_name(dataset.name):
        _check_name_free(dataset.project, dataset.name, exclude=dataset.pk)
        dataset.restore()
        audit(actor=actor, action=AuditEvent.Action.RESTORE, target=dataset)
