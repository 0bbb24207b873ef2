"""Datasets, their immutable versions (files, schema, profile) and SQL connections.

A `Dataset` is a name inside a project. Each upload or SQL import makes a new
`DatasetVersion`; the bytes of a version never change once it is ready, only its schema
overrides (types and roles) do. Every file of a version lives under a server-generated storage
prefix; the user's file name is only a label.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import OuterRef, Q, Subquery
from django.db.models.functions import Lower
from django.utils import timezone

from projects.models import AliveManager, Project, SoftDeleteModel, SoftDeleteQuerySet


class ColumnType(models.TextChoices):
    NUMERIC = "numeric", "Numeric"
    CATEGORICAL = "categorical", "Categorical"
    BOOLEAN = "boolean", "Boolean"
    DATETIME = "datetime", "Date/time"
    TEXT = "text", "Text"
    IDENTIFIER = "identifier", "Identifier"


class ColumnRole(models.TextChoices):
    FEATURE = "feature", "Feature"
    TARGET = "target", "Target"
    IGNORE = "ignore", "Ignore"
    IDENTIFIER = "identifier", "Identifier"
    TIME = "time", "Time"


class DatasetQuerySet(SoftDeleteQuerySet):
    def with_ready_version(self):
        """Annotate the newest ready version's number and shape (`ready_number`, `ready_rows`,
        `ready_columns`): the data a user can work with, even while a newer upload is
        processing or after one failed. One query for a whole list."""
        ready = DatasetVersion.objects.filter(dataset=OuterRef("pk"), status=DatasetVersion.Status.READY)
        ready = ready.order_by("-number")
        return self.annotate(
            ready_number=Subquery(ready.values("number")[:1]),
            ready_rows=Subquery(ready.values("n_rows")[:1]),
            ready_columns=Subquery(ready.values("n_columns")[:1]),
        )


class DatasetManager(AliveManager.from_queryset(DatasetQuerySet)):
    pass


class Dataset(SoftDeleteModel):
    """A named table inside a project; its data is in its versions."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="datasets")
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    latest_version = models.ForeignKey(
        "DatasetVersion", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = DatasetManager()
    all_objects = models.Manager.from_queryset(DatasetQuerySet)()

    class Meta:
        ordering = ["-updated_at", "-id"]
        constraints = [
            # Services check first, with a friendly message; this catches two requests at once.
            models.UniqueConstraint(
                Lower("name"), "project", condition=Q(deleted_at__isnull=True), name="unique_live_dataset_name"
            )
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def workspace(self):
        return self.project.workspace

    @property
    def status(self) -> str:
        """The status of the latest version ('empty' before the first one)."""
        return self.latest_version.status if self.latest_version_id else "empty"

    def version_to_show(self, number: int | None = None) -> DatasetVersion | None:
        """Version `number` (None if there is no such version), or by default the newest ready
        one, else the latest (processing or failed). Pages and the API show the same one."""
        if number is not None:
            return self.versions.filter(number=number).first()
        return self.ready_version() or self.latest_version

    def ready_version(self) -> DatasetVersion | None:
        """The newest version whose data can be read (the latest may be failed or processing)."""
        if self.latest_version_id and self.latest_version.status == DatasetVersion.Status.READY:
            return self.latest_version
        return self.versions.filter(status=DatasetVersion.Status.READY).order_by("-number").first()


def new_storage_prefix() -> str:
    return f"datasets/{uuid.uuid4().hex}/"


class DatasetVersion(models.Model):
    """One immutable snapshot of a dataset's data, with its schema, profile and processing state."""

    permission_project_path = "dataset__project"

    class Status(models.TextChoices):
        PROCESSING = "processing", "Processing"
        READY = "ready", "Ready"
        FAILED = "failed", "Failed"

    class Source(models.TextChoices):
        UPLOAD = "upload", "Upload"
        SQL = "sql", "SQL query"

    dataset = models.ForeignKey(Dataset, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.PROCESSING, db_index=True)
    source = models.CharField(max_length=10, choices=Source.choices, default=Source.UPLOAD)
    original_name = models.CharField(max_length=255, blank=True, help_text="The uploaded file's name, as a label.")
    file_format = models.CharField(max_length=10, blank=True)
    size_bytes = models.BigIntegerField(default=0)
    sha256 = models.CharField(max_length=64, blank=True)
    storage_prefix = models.CharField(max_length=100, default=new_storage_prefix, editable=False)
    raw_key = models.CharField(max_length=255, blank=True)
    parquet_key = models.CharField(max_length=255, blank=True)
    profile_key = models.CharField(max_length=255, blank=True)
    read_options = models.JSONField(default=dict, blank=True, help_text="Options the user chose.")
    detected = models.JSONField(default=dict, blank=True, help_text="Options found by sniffing the file.")
    connection = models.ForeignKey(
        "SqlConnection", null=True, blank=True, on_delete=models.SET_NULL, related_name="versions"
    )
    query = models.TextField(blank=True)
    n_rows = models.BigIntegerField(null=True, blank=True)
    n_columns = models.IntegerField(null=True, blank=True)
    memory_bytes = models.BigIntegerField(null=True, blank=True)
    columns = models.JSONField(default=list, blank=True)
    warnings = models.JSONField(default=list, blank=True)
    progress = models.PositiveSmallIntegerField(default=0)
    stage = models.CharField(max_length=100, blank=True)
    error = models.TextField(blank=True)
    task_id = models.CharField(max_length=64, blank=True, help_text="Token of the queued processing run.")
    heartbeat_at = models.DateTimeField(null=True, blank=True, help_text="Last sign of life of the worker.")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["dataset", "-number"]
        constraints = [models.UniqueConstraint(fields=["dataset", "number"], name="unique_dataset_version_number")]

    # What a processing run writes besides its state.
    PROCESSED_FIELDS = (
        "detected",
        "warnings",
        "columns",
        "n_rows",
        "n_columns",
        "memory_bytes",
        "raw_key",
        "parquet_key",
        "profile_key",
    )

    def __str__(self) -> str:
        return f"{self.dataset.name} v{self.number}"

    @property
    def project(self) -> Project:
        return self.dataset.project

    @property
    def is_ready(self) -> bool:
        return self.status == self.Status.READY

    @property
    def is_processing(self) -> bool:
        return self.status == self.Status.PROCESSING

    @property
    def duration(self):
        if self.started_at and self.finished_at:
            return self.finished_at - self.started_at
        return None

    @property
    def target(self) -> str | None:
        return next((c["name"] for c in self.columns if c.get("role") == ColumnRole.TARGET), None)

    def reset_change(self, name: str) -> dict:
        """The schema change that puts column `name` back to its inferred type and role."""
        column = next((c for c in self.columns if c["name"] == name), None)
        if column is None:
            return {"name": name}
        return {
            "name": name,
            "type": column.get("inferred_type", column["type"]),
            "role": column.get("inferred_role", column["role"]),
        }

    def key(self, name: str) -> str:
        return f"{self.storage_prefix}{name}"

    def mark_started(self) -> None:
        self.status = self.Status.PROCESSING
        self.started_at = timezone.now()
        self.finished_at = None
        self.error = ""
        self.save(update_fields=["status", "started_at", "finished_at", "error"])

    def set_progress(self, progress: int, stage: str) -> None:
        self.progress = max(0, min(100, int(progress)))
        self.stage = stage[:100]
        self.heartbeat_at = timezone.now()
        DatasetVersion.objects.filter(pk=self.pk).update(
            progress=self.progress, stage=self.stage, heartbeat_at=self.heartbeat_at
        )

    def mark_ready(self) -> None:
        self.status = self.Status.READY
        self.progress = 100
        self.stage = "Ready"
        self.finished_at = timezone.now()
        # Named fields: a row deleted meanwhile raises instead of being inserted again.
        self.save(update_fields=[*self.PROCESSED_FIELDS, "status", "progress", "stage", "finished_at"])

    def mark_failed(self, reason: str) -> None:
        self.status = self.Status.FAILED
        self.error = reason
        self.stage = "Failed"
        self.finished_at = timezone.now()
        self.save(update_fields=["status", "error", "stage", "finished_at"])


class SqlConnection(models.Model):
    """A database a project imports from. The URL (with its password) is stored encrypted."""

    class Dialect(models.TextChoices):
        POSTGRESQL = "postgresql", "PostgreSQL"
        MYSQL = "mysql", "MySQL / MariaDB"

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="sql_connections")
    name = models.CharField(max_length=120)
    dialect = models.CharField(max_length=12, choices=Dialect.choices)
    display_url = models.CharField(max_length=500, help_text="The URL with its password hidden.")
    encrypted_url = models.TextField(editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    last_tested_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["name", "id"]
        constraints = [models.UniqueConstraint(fields=["project", "name"], name="unique_sql_connection_name")]

    def __str__(self) -> str:
        return self.name
