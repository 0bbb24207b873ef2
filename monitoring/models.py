"""What monitoring keeps: a log of answered prediction requests, the ground for drift and
performance reports. Rows are written by `monitoring.receivers` when the training app says a
prediction was made; a sampling rate (AUTOML_PREDICTION_LOG_SAMPLE) bounds their number."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class PredictionLog(models.Model):
    """One answered prediction request: its inputs, outputs, latency and the version that answered."""

    project = models.ForeignKey("projects.Project", on_delete=models.CASCADE, related_name="prediction_logs")
    version = models.ForeignKey("training.ModelVersion", on_delete=models.CASCADE, related_name="prediction_logs")
    source = models.CharField(max_length=20, help_text="Where the request came from: api, form, …")
    alias = models.CharField(max_length=40, blank=True, help_text="The alias a project-level request was routed by.")
    rows = models.PositiveIntegerField()
    inputs = models.JSONField(help_text="The rows as sent.")
    outputs = models.JSONField(help_text="Predictions, and probabilities for classifiers.")
    latency_ms = models.FloatField()
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["version", "created_at"], name="prediction_log_version_time")]

    def __str__(self) -> str:
        return f"{self.rows} row(s) by v{self.version.number} at {self.created_at:%Y-%m-%d %H:%M:%S}"

    @property
    def workspace(self):
        return self.project.workspace
