"""The operators' screen for the prediction log: a read-only record, through the permission policy."""

from django.contrib import admin

from projects.admin_mixins import PolicyAdminMixin

from .models import PredictionLog


@admin.register(PredictionLog)
class PredictionLogAdmin(PolicyAdminMixin, admin.ModelAdmin):
    list_display = ("__str__", "project", "version", "source", "rows", "latency_ms", "actor", "created_at")
    list_filter = ("source", ("project", admin.RelatedOnlyFieldListFilter), "created_at")
    list_select_related = ("project", "version__project", "actor")
    readonly_fields = [f.name for f in PredictionLog._meta.fields]
    date_hierarchy = "created_at"

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False
