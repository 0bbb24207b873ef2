"""The operators' screens for training jobs, their trials and events, and the model registry.

Every screen goes through the permission policy (`projects.admin_mixins`). Jobs are started in
the app, where the services check the data and queue the run; here they are a read-only record
with one action, cancelling (through the same service as the pages and the API).
"""

from __future__ import annotations

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError

from projects.admin_mixins import PolicyAdminMixin, PolicyInlineMixin

from . import services
from .models import BatchPrediction, CandidateRefit, JobEvent, ModelAlias, ModelVersion, TrainingJob, Trial

JOB_FIELDS = (
    "project",
    "number",
    "dataset",
    "dataset_version",
    "target",
    "problem_type",
    "requested_problem_type",
    "metric",
    "time_budget_s",
    "options",
    "status",
    "progress",
    "stage",
    "error",
    "cancel_requested",
    "cancel_requested_at",
    "token",
    "worker",
    "estimated_memory",
    "best_trial",
    "artifact_key",
    "artifact_sha256",
    "artifact_size",
    "evaluation_key",
    "summary",
    "created_by",
    "created_at",
    "queued_at",
    "started_at",
    "finished_at",
    "heartbeat_at",
)


class TrialInline(PolicyInlineMixin, admin.TabularInline):
    model = Trial
    fields = ("number", "name", "phase", "status", "score", "score_std", "fit_time", "error")
    readonly_fields = fields
    ordering = ("number",)
    show_change_link = True


class ReadOnlyAdmin(PolicyAdminMixin, admin.ModelAdmin):
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(TrainingJob)
class TrainingJobAdmin(ReadOnlyAdmin):
    list_display = (
        "__str__",
        "project",
        "status",
        "problem_type",
        "metric",
        "time_budget_s",
        "best_trial",
        "created_at",
    )
    list_filter = ("status", "problem_type", ("project", admin.RelatedOnlyFieldListFilter), "created_at")
    list_select_related = ("project", "dataset", "best_trial")
    search_fields = ("dataset__name", "project__name", "target", "error")
    fields = JOB_FIELDS
    readonly_fields = JOB_FIELDS
    inlines = [TrialInline]
    date_hierarchy = "created_at"
    actions = ["cancel_keep", "cancel_discard"]

    def _cancel(self, request, queryset, mode: str) -> None:
        done = 0
        for job in queryset.filter(status__in=TrainingJob.ACTIVE):
            try:
                services.cancel_job(actor=request.user, job=job, mode=mode)
                done += 1
            except (ValidationError, PermissionDenied) as exc:
                self.message_user(
                    request, f"Job {job}: {' '.join(getattr(exc, 'messages', [str(exc)]))}", messages.ERROR
                )
        self.message_user(request, f"Asked {done} job(s) to stop.", messages.SUCCESS)

    @admin.action(description="Stop and keep the best model so far")
    def cancel_keep(self, request, queryset):
        self._cancel(request, queryset, TrainingJob.Cancel.KEEP)

    @admin.action(description="Stop and discard")
    def cancel_discard(self, request, queryset):
        self._cancel(request, queryset, TrainingJob.Cancel.DISCARD)


@admin.register(Trial)
class TrialAdmin(ReadOnlyAdmin):
    list_display = ("job", "number", "name", "phase", "status", "score", "duration")
    list_filter = ("status", "phase", "family")
    list_select_related = ("job__project",)
    search_fields = ("name", "algorithm", "job__project__name")
    readonly_fields = [f.name for f in Trial._meta.fields]


@admin.register(JobEvent)
class JobEventAdmin(ReadOnlyAdmin):
    list_display = ("job", "created_at", "kind", "level", "message")
    list_filter = ("kind", "level")
    list_select_related = ("job__project",)
    search_fields = ("message",)
    readonly_fields = [f.name for f in JobEvent._meta.fields]


@admin.register(ModelVersion)
class ModelVersionAdmin(ReadOnlyAdmin):
    """Versions are registered by the app (from a job's kept model) and never edited here: their
    artifact and hash must stay as the platform wrote them."""

    list_display = ("__str__", "project", "name", "problem_type", "metric", "score", "created_by", "created_at")
    list_filter = ("problem_type", ("project", admin.RelatedOnlyFieldListFilter), "created_at")
    list_select_related = ("project", "created_by")
    search_fields = ("name", "project__name", "target")
    readonly_fields = [f.name for f in ModelVersion._meta.fields]


@admin.register(ModelAlias)
class ModelAliasAdmin(ReadOnlyAdmin):
    """Aliases move through the app or the API, where every move is audited."""

    list_display = ("name", "project", "version", "updated_by", "updated_at")
    list_select_related = ("project", "version__project", "updated_by")
    search_fields = ("name", "project__name")
    readonly_fields = [f.name for f in ModelAlias._meta.fields]


@admin.register(BatchPrediction)
class BatchPredictionAdmin(ReadOnlyAdmin):
    """Files scored by a model; started from the app or the API, shown here to follow them."""

    list_display = ("__str__", "project", "status", "rows", "output_format", "created_by", "created_at")
    list_filter = ("status", "output_format", ("project", admin.RelatedOnlyFieldListFilter), "created_at")
    list_select_related = ("project", "version__project", "created_by")
    search_fields = ("source_name", "project__name")
    readonly_fields = [f.name for f in BatchPrediction._meta.fields]


@admin.register(CandidateRefit)
class CandidateRefitAdmin(ReadOnlyAdmin):
    """Candidates being refitted for registration; started from the job page or the API."""

    list_display = ("__str__", "status", "version", "created_by", "created_at")
    list_filter = ("status", "created_at")
    list_select_related = ("job__project", "trial", "version__project", "created_by")
    readonly_fields = [f.name for f in CandidateRefit._meta.fields]
