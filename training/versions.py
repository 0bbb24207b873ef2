"""The model registry: versions of a project's model and the aliases that point at them.

A `ModelVersion` is a trained model kept for use: its artifact (the fitted pipeline with its
preprocessing, a file only the platform writes, loaded only when its SHA-256 matches), what it
expects as input and gives as output, its metrics, and where it came from (dataset version, job,
trial, who). Versions are numbered within their project. A `ModelAlias` is a name
(`production`, `staging`, `challenger` or any other) pointing at one version: moving it
promotes, moving it back rolls back, and every move goes to the audit log.
"""

from __future__ import annotations

import re
import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone

ALIAS_PATTERN = re.compile(r"^[a-z][a-z0-9_-]{0,39}$")
SUGGESTED_ALIASES = ("production", "staging", "challenger")


class ModelVersion(models.Model):
    """One registered model of a project."""

    project = models.ForeignKey("projects.Project", on_delete=models.CASCADE, related_name="model_versions")
    number = models.PositiveIntegerField(help_text="The version's number within its project.")
    name = models.CharField(max_length=200, help_text="What the model is, e.g. “Ensemble of 5 models”.")
    job = models.ForeignKey("training.TrainingJob", on_delete=models.CASCADE, related_name="model_versions")
    trial = models.ForeignKey(
        "training.Trial", null=True, blank=True, on_delete=models.SET_NULL, related_name="model_versions"
    )
    dataset_version = models.ForeignKey(
        "datasets.DatasetVersion", on_delete=models.CASCADE, related_name="model_versions"
    )
    problem_type = models.CharField(max_length=20)
    target = models.CharField(max_length=255, blank=True)
    metric = models.CharField(max_length=30)
    score = models.FloatField(null=True, blank=True, help_text="The search's score (cross-validation).")
    metrics = models.JSONField(default=dict, blank=True, help_text="Metrics on the holdout (or all rows).")
    artifact_key = models.CharField(max_length=255)
    artifact_sha256 = models.CharField(max_length=64)
    artifact_size = models.BigIntegerField()
    artifact_format = models.CharField(max_length=20, default="joblib")
    evaluation_key = models.CharField(
        max_length=255, blank=True, help_text="Its own evaluation (a candidate refitted later); else its job's."
    )
    input_schema = models.JSONField(default=list, blank=True, help_text="Columns, kinds, categories, ranges.")
    output_schema = models.JSONField(default=dict, blank=True, help_text="Classes, or a value, or clusters.")
    library_versions = models.JSONField(default=dict, blank=True)
    notes = models.TextField(blank=True, help_text="Intended use, limits, anything a user of the model should know.")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-number"]
        constraints = [
            models.UniqueConstraint(fields=["project", "number"], name="unique_model_version_number"),
            # One version per stored model: registering the same job's model twice gives it back.
            models.UniqueConstraint(fields=["job", "artifact_key"], name="unique_model_version_artifact"),
        ]

    def __str__(self) -> str:
        return f"{self.project.name} model v{self.number}"

    @property
    def workspace(self):
        return self.project.workspace

    @property
    def metric_label(self) -> str:
        from .automl.metrics import METRICS

        return METRICS[self.metric].label if self.metric in METRICS else self.metric

    @property
    def alias_names(self) -> list[str]:
        return sorted(a.name for a in self.aliases.all())


class ModelAlias(models.Model):
    """A name pointing at one version of the project's model."""

    project = models.ForeignKey("projects.Project", on_delete=models.CASCADE, related_name="model_aliases")
    name = models.CharField(max_length=40)
    version = models.ForeignKey(ModelVersion, on_delete=models.CASCADE, related_name="aliases")
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["project", "name"], name="unique_model_alias")]

    def __str__(self) -> str:
        return f"{self.name} → v{self.version.number}"

    @property
    def workspace(self):
        return self.project.workspace


class TrafficSplit(models.Model):
    """How a project's predictions are served when no alias is asked for: by `alias`, except a
    `challenger_percent` share of requests answered by `challenger_alias` (0: none)."""

    project = models.OneToOneField("projects.Project", on_delete=models.CASCADE, related_name="traffic_split")
    alias = models.CharField(max_length=40, default="production")
    challenger_alias = models.CharField(max_length=40, blank=True)
    challenger_percent = models.PositiveSmallIntegerField(default=0)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        if self.challenger_alias and self.challenger_percent:
            return (
                f"{self.alias} {100 - self.challenger_percent} % / {self.challenger_alias} {self.challenger_percent} %"
            )
        return f"{self.alias} 100 %"

    @property
    def workspace(self):
        return self.project.workspace


class WorkerRun(models.Model):
    """What a run on a worker needs, shared by batch predictions and candidate refits: the token of
    its queued message (a duplicate delivery finds it taken), who started it, its times and the
    worker's heartbeat, and the moves between states, each one UPDATE so two writers cannot both
    make it."""

    QUEUED, RUNNING, SUCCEEDED, FAILED = "queued", "running", "succeeded", "failed"
    ACTIVE = (QUEUED, RUNNING)

    token = models.CharField(max_length=64, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        abstract = True
        ordering = ["-created_at", "-id"]

    @property
    def is_active(self) -> bool:
        return self.status in self.ACTIVE

    @property
    def duration(self):
        if self.started_at and self.finished_at:
            return self.finished_at - self.started_at
        return None

    @classmethod
    def claim(cls, pk: int, token: str, **fields) -> bool:
        """Take the queued run: only the current token, and only once."""
        now = timezone.now()
        return bool(
            cls.objects.filter(pk=pk, token=token, status=cls.QUEUED).update(
                status=cls.RUNNING, started_at=now, heartbeat_at=now, **fields
            )
        )

    def finish(self, status: str, **fields) -> bool:
        """End the running run with `status` and `fields`; False if it was not running any more."""
        return bool(
            type(self)
            .objects.filter(pk=self.pk, status=self.RUNNING)
            .update(status=status, finished_at=timezone.now(), **fields)
        )

    @classmethod
    def reap(cls, cutoff, *, resend, reason: str, **fields) -> int:
        """Beat: send again the runs queued before `cutoff` and never started (their message was
        lost), and fail the running ones whose worker has been silent since then."""
        for run in cls.objects.filter(status=cls.QUEUED, heartbeat_at__lt=cutoff):
            cls.objects.filter(pk=run.pk).update(heartbeat_at=timezone.now())
            resend(run)
        return cls.objects.filter(status=cls.RUNNING, heartbeat_at__lt=cutoff).update(
            status=cls.FAILED, error=reason, finished_at=timezone.now(), **fields
        )


def new_batch_prefix() -> str:
    return f"predictions/{uuid.uuid4().hex}/"


class BatchPrediction(WorkerRun):
    """Predictions for a whole file (or a dataset version of the project), made by a worker and
    kept as a downloadable CSV or Parquet file."""

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed"

    class Format(models.TextChoices):
        CSV = "csv", "CSV"
        PARQUET = "parquet", "Parquet"

    project = models.ForeignKey("projects.Project", on_delete=models.CASCADE, related_name="batch_predictions")
    version = models.ForeignKey(ModelVersion, on_delete=models.CASCADE, related_name="batch_predictions")
    alias = models.CharField(max_length=40, blank=True, help_text="The alias the version was chosen by, if any.")
    source_name = models.CharField(max_length=255, help_text="The file's name (a label only).")
    source_key = models.CharField(max_length=255, help_text="The stored input (an upload, or a dataset's copy).")
    source_size = models.BigIntegerField(default=0)
    read_options = models.JSONField(default=dict, blank=True)
    dataset_version = models.ForeignKey(
        "datasets.DatasetVersion", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    output_format = models.CharField(max_length=10, choices=Format.choices, default=Format.CSV)
    explain = models.BooleanField(default=False)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED, db_index=True)
    progress = models.PositiveSmallIntegerField(default=0)
    stage = models.CharField(max_length=200, blank=True)
    error = models.TextField(blank=True)
    problems = models.JSONField(default=list, blank=True, help_text="Rows and columns that could not be used.")
    rows = models.BigIntegerField(null=True, blank=True)
    storage_prefix = models.CharField(max_length=100, default=new_batch_prefix, editable=False)
    result_key = models.CharField(max_length=255, blank=True)
    result_size = models.BigIntegerField(null=True, blank=True)

    class Meta(WorkerRun.Meta):
        indexes = [models.Index(fields=["status", "heartbeat_at"])]

    def __str__(self) -> str:
        return f"Predictions for {self.source_name} (model v{self.version.number})"

    @property
    def workspace(self):
        return self.project.workspace


class CandidateRefit(WorkerRun):
    """Registering a leaderboard candidate other than the model a job kept: the candidate is
    refitted on the job's data by a worker (as the kept model was), then registered."""

    permission_project_path = "job__project"

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Refitting"
        SUCCEEDED = "succeeded", "Registered"
        FAILED = "failed", "Failed"

    job = models.ForeignKey("training.TrainingJob", on_delete=models.CASCADE, related_name="refits")
    trial = models.ForeignKey("training.Trial", on_delete=models.CASCADE, related_name="refits")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED, db_index=True)
    error = models.TextField(blank=True)
    version = models.ForeignKey(ModelVersion, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta(WorkerRun.Meta):
        pass

    def __str__(self) -> str:
        return f"Registering #{self.trial.number} of job #{self.job.number}"
