"""Training jobs, their trials (the leaderboard) and their events (the live log).

A `TrainingJob` is one AutoML run on one dataset version: its settings, its state machine
(pending → queued → running → succeeded | failed | cancelled), its progress and, when it
succeeds, the saved model and its evaluation (files in storage under a server-made prefix).
Every state change is a method here; a run is claimed atomically, so a duplicate delivery of
the same task does nothing.
"""

from __future__ import annotations

import uuid
from datetime import timedelta

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from datasets.models import Dataset, DatasetVersion
from projects.models import Project


def new_storage_prefix() -> str:
    return f"training/{uuid.uuid4().hex}/"


class TrainingJob(models.Model):
    """One AutoML run: settings, state, progress, and its model once it succeeds."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed"
        CANCELLED = "cancelled", "Cancelled"

    class ProblemType(models.TextChoices):
        CLASSIFICATION = "classification", "Classification"
        REGRESSION = "regression", "Regression"
        CLUSTERING = "clustering", "Clustering"

    class Cancel(models.TextChoices):
        NONE = "", "Not requested"
        KEEP = "keep", "Stop and keep the best so far"
        DISCARD = "discard", "Stop and discard"

    ACTIVE = (Status.PENDING, Status.QUEUED, Status.RUNNING)
    FINISHED = (Status.SUCCEEDED, Status.FAILED, Status.CANCELLED)

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="training_jobs")
    dataset = models.ForeignKey(Dataset, on_delete=models.CASCADE, related_name="training_jobs")
    dataset_version = models.ForeignKey(DatasetVersion, on_delete=models.CASCADE, related_name="training_jobs")
    number = models.PositiveIntegerField(help_text="The job's number within its project.")
    target = models.CharField(max_length=255, blank=True)
    problem_type = models.CharField(max_length=20, choices=ProblemType.choices)
    requested_problem_type = models.CharField(max_length=20, default="auto")
    metric = models.CharField(max_length=30)
    time_budget_s = models.PositiveIntegerField()
    options = models.JSONField(default=dict, blank=True, help_text="Validation, families, seed and the rest.")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING, db_index=True)
    progress = models.PositiveSmallIntegerField(default=0)
    stage = models.CharField(max_length=200, blank=True)
    error = models.TextField(blank=True)
    cancel_requested = models.CharField(max_length=10, choices=Cancel.choices, blank=True, default=Cancel.NONE)
    cancel_requested_at = models.DateTimeField(null=True, blank=True)
    token = models.CharField(max_length=64, blank=True, help_text="Id of the queued run (the Celery task id).")
    estimated_memory = models.BigIntegerField(null=True, blank=True)
    storage_prefix = models.CharField(max_length=100, default=new_storage_prefix, editable=False)
    artifact_key = models.CharField(max_length=255, blank=True)
    artifact_sha256 = models.CharField(max_length=64, blank=True)
    artifact_size = models.BigIntegerField(null=True, blank=True)
    evaluation_key = models.CharField(max_length=255, blank=True)
    best_trial = models.ForeignKey("Trial", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    summary = models.JSONField(default=dict, blank=True, help_text="Notes, rows, features and timings of the run.")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    queued_at = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True, help_text="Last sign of life of the worker.")
    worker = models.CharField(max_length=200, blank=True, help_text="The worker process running the job.")

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["project", "number"], name="unique_job_number")]
        indexes = [models.Index(fields=["status", "heartbeat_at"])]

    def __str__(self) -> str:
        return f"Job #{self.number} · {self.dataset.name if self.dataset_id else ''}"

    @property
    def workspace(self):
        return self.project.workspace

    @property
    def is_active(self) -> bool:
        return self.status in self.ACTIVE

    @property
    def is_finished(self) -> bool:
        return self.status in self.FINISHED

    @property
    def metric_label(self) -> str:
        from .automl.metrics import METRICS

        return METRICS[self.metric].label if self.metric in METRICS else self.metric

    @property
    def has_model(self) -> bool:
        return bool(self.artifact_key)

    def kept_version(self):
        """The registered version of the model this job kept (its artifact), or None; other
        candidates registered from the job have artifacts of their own."""
        if not self.has_model:
            return None
        return self.model_versions.filter(artifact_key=self.artifact_key).first()

    @property
    def duration(self) -> timedelta | None:
        if self.started_at:
            return (self.finished_at or timezone.now()) - self.started_at
        return None

    @property
    def elapsed_s(self) -> float:
        duration = self.duration
        return duration.total_seconds() if duration else 0.0

    @property
    def remaining_s(self) -> float | None:
        if self.status != self.Status.RUNNING:
            return None
        return max(0.0, self.time_budget_s - self.elapsed_s)

    def key(self, name: str) -> str:
        return f"{self.storage_prefix}{name}"

    def ranked_trials(self) -> list[Trial]:
        """All trials: scored ones best first (ties: the earlier), each with `rank`; then the
        unscored (failed, pruned…) by number, with `rank` None. Pages and the API share it."""
        from .automl.metrics import METRICS

        metric = METRICS[self.metric]
        trials = list(self.trials.all())
        scored = [t for t in trials if t.score is not None and t.status == Trial.Status.SUCCEEDED]
        scored.sort(key=lambda t: (metric.loss(t.score), t.number))
        numbers = {t.number for t in scored}
        others = sorted((t for t in trials if t.number not in numbers), key=lambda t: t.number)
        for rank, trial in enumerate(scored, start=1):
            trial.rank = rank
        return scored + others

    # --- state machine ---------------------------------------------------------------
    def mark_queued(self, token: str) -> None:
        self.status = self.Status.QUEUED
        self.token = token
        self.queued_at = timezone.now()
        self.save(update_fields=["status", "token", "queued_at"])

    def claim(self, token: str, worker: str) -> bool:
        """Take the queued run: only the current token, only once. True if this caller got it."""
        now = timezone.now()
        taken = TrainingJob.objects.filter(pk=self.pk, status=self.Status.QUEUED, token=token).update(
            status=self.Status.RUNNING, started_at=now, heartbeat_at=now, worker=worker[:200], stage="Starting"
        )
        if taken:
            self.refresh_from_db()
        return bool(taken)

    def set_progress(self, progress: float, stage: str) -> None:
        self.progress = max(0, min(100, int(progress)))
        self.stage = stage[:200]
        self.heartbeat_at = timezone.now()
        TrainingJob.objects.filter(pk=self.pk, status=self.Status.RUNNING).update(
            progress=self.progress, stage=self.stage, heartbeat_at=self.heartbeat_at
        )

    def _finish(self, status: str, *, error: str = "", stage: str = "", only_from=ACTIVE, **more) -> bool:
        """Move the job to `status` (with `more` fields) if it is still in one of `only_from`;
        False when it was not (finished meanwhile, or claimed by a worker): one UPDATE decides,
        so two racing writers cannot both finish a job."""
        now = timezone.now()
        fields = {"status": status, "finished_at": now, "error": error, "stage": stage or self.Status(status).label}
        if status == self.Status.SUCCEEDED:
            fields["progress"] = 100
        fields.update(more)
        done = TrainingJob.objects.filter(pk=self.pk, status__in=only_from).update(**fields)
        if done:
            for name, value in fields.items():
                setattr(self, name, value)
        return bool(done)

    def mark_failed(self, reason: str) -> bool:
        return self._finish(self.Status.FAILED, error=reason)

    def mark_cancelled(self, reason: str = "", *, only_from=ACTIVE) -> bool:
        return self._finish(self.Status.CANCELLED, error=reason, only_from=only_from)

    def finish_with_model(self, *, status: str, reason: str = "", **results) -> bool:
        """A running job ends with its model (succeeded, or cancelled with "keep"): the results'
        fields and the final state are written together, or not at all."""
        stage = "Finished" if status == self.Status.SUCCEEDED else ""
        return self._finish(status, error=reason, stage=stage, only_from=(self.Status.RUNNING,), **results)

    def request_cancel(self, mode: str) -> bool:
        """Record a cancel request on a job that has not finished; False if it already has."""
        now = timezone.now()
        asked = TrainingJob.objects.filter(pk=self.pk, status__in=self.ACTIVE).update(
            cancel_requested=mode, cancel_requested_at=now
        )
        if asked:
            self.cancel_requested, self.cancel_requested_at = mode, now
        return bool(asked)


class Trial(models.Model):
    """One candidate the search evaluated: a leaderboard row."""

    permission_project_path = "job__project"

    class Status(models.TextChoices):
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed"
        PRUNED = "pruned", "Pruned"
        TIMEOUT = "timeout", "Over its time limit"
        STOPPED = "stopped", "Stopped"

    job = models.ForeignKey(TrainingJob, on_delete=models.CASCADE, related_name="trials")
    number = models.PositiveIntegerField()
    algorithm = models.CharField(max_length=60, help_text="Catalog key, or 'ensemble'.")
    name = models.CharField(max_length=120)
    family = models.CharField(max_length=40)
    phase = models.CharField(max_length=20, help_text="baseline, portfolio, tuning or ensemble.")
    params = models.JSONField(default=dict, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices)
    score = models.FloatField(null=True, blank=True, help_text="Mean validation score over the folds.")
    score_std = models.FloatField(null=True, blank=True)
    fold_scores = models.JSONField(default=list, blank=True)
    metrics = models.JSONField(default=dict, blank=True, help_text="Every metric of the task, out of fold.")
    fit_time = models.FloatField(null=True, blank=True, help_text="Mean seconds per fold fit.")
    predict_time = models.FloatField(null=True, blank=True, help_text="Seconds per 1,000 rows.")
    duration = models.FloatField(default=0.0)
    iterations = models.PositiveIntegerField(null=True, blank=True)
    weights = models.JSONField(default=dict, blank=True, help_text="Ensembles: trial number → weight.")
    details = models.JSONField(default=dict, blank=True)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["job", "number"]
        constraints = [models.UniqueConstraint(fields=["job", "number"], name="unique_trial_number")]

    def __str__(self) -> str:
        return f"#{self.number} {self.name}"

    rank: int | None = None  # set by TrainingJob.ranked_trials

    # The fields the engine reports for a trial (`TrialRecord.as_dict`), under their names there.
    RECORD_FIELDS = ("algorithm", "name", "family", "phase", "params", "status", "score", "score_std")
    RECORD_FIELDS += ("fold_scores", "metrics", "fit_time", "predict_time", "duration", "iterations")
    RECORD_FIELDS += ("weights", "details", "error")
    RECORD_NAMES = {"algorithm": "key", "score_std": "std"}

    @classmethod
    def fields_from_record(cls, record: dict) -> dict:
        """A reported trial as this model's fields."""
        fields = {name: record[cls.RECORD_NAMES.get(name, name)] for name in cls.RECORD_FIELDS}
        fields["name"] = fields["name"][:120]
        return fields

    def as_record(self) -> dict:
        """The trial as the engine reported it (to give a finished search's leaderboard back to it)."""
        return {"number": self.number, **{self.RECORD_NAMES.get(f, f): getattr(self, f) for f in self.RECORD_FIELDS}}

    @property
    def is_ensemble(self) -> bool:
        return self.algorithm == "ensemble"

    @property
    def family_label(self) -> str:
        from .automl.catalog import FAMILIES

        return "Ensemble" if self.family == "ensemble" else FAMILIES.get(self.family, self.family)


class JobEvent(models.Model):
    """One line of a job's log (or a trial, or a status change), in the order it happened.

    The id orders events; clients ask for those `after` the last id they have."""

    permission_project_path = "job__project"

    class Kind(models.TextChoices):
        LOG = "log", "Log"
        TRIAL = "trial", "Trial"
        STATUS = "status", "Status"

    class Level(models.TextChoices):
        DEBUG = "debug", "Debug"
        INFO = "info", "Info"
        WARNING = "warning", "Warning"
        ERROR = "error", "Error"

    job = models.ForeignKey(TrainingJob, on_delete=models.CASCADE, related_name="events")
    created_at = models.DateTimeField(default=timezone.now)
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.LOG)
    level = models.CharField(max_length=10, choices=Level.choices, default=Level.INFO)
    message = models.TextField()
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["job", "id"]
        indexes = [models.Index(fields=["job", "id"])]

    def __str__(self) -> str:
        return self.message[:80]


def stalled_jobs(cutoff):
    """Running jobs whose worker has been silent since before `cutoff`."""
    return TrainingJob.objects.filter(status=TrainingJob.Status.RUNNING).filter(
        Q(heartbeat_at__lt=cutoff) | Q(heartbeat_at__isnull=True)
    )


from .versions import BatchPrediction, CandidateRefit, ModelAlias, ModelVersion, TrafficSplit  # noqa: E402  (the registry's models, in their own module)

__all__ = [
    "BatchPrediction",
    "CandidateRefit",
    "JobEvent",
    "ModelAlias",
    "ModelVersion",
    "TrafficSplit",
    "TrainingJob",
    "Trial",
]
