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

from django.conf import settings
from django.db import models

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
