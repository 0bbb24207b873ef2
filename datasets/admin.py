"""The operators' screens for datasets, their versions and SQL connections.

Every screen goes through the permission policy (`projects.admin_mixins`), like the pages and
the API. Datasets and connections are created and renamed in the app, where the services
check files, names and URLs; the admin lists them, and soft-deletes and restores datasets (and
deletes connections) through the services. Versions are a read-only record. Connections show
only their masked URL: the encrypted one is a credential.
"""

from __future__ import annotations

from django.contrib import admin

from projects import permissions
from projects.admin_mixins import PolicyAdminMixin, PolicyInlineMixin, SoftDeleteAdminMixin

from . import services
from .models import Dataset, DatasetVersion, SqlConnection

VERSION_FIELDS = (
    "dataset",
    "number",
    "status",
    "source",
    "original_name",
    "file_format",
    "size_bytes",
    "sha256",
    "n_rows",
    "n_columns",
    "memory_bytes",
    "progress",
    "stage",
    "error",
    "read_options",
    "detected",
    "columns",
    "warnings",
    "connection",
    "query",
    "storage_prefix",
    "created_by",
    "created_at",
    "started_at",
    "finished_at",
    "heartbeat_at",
)


class VersionInline(PolicyInlineMixin, admin.TabularInline):
    model = DatasetVersion
    fk_name = "dataset"
    fields = ("number", "status", "original_name", "n_rows", "n_columns", "error", "created_at")
    readonly_fields = fields
    ordering = ("-number",)


@admin.register(Dataset)
class DatasetAdmin(SoftDeleteAdminMixin, PolicyAdminMixin, admin.ModelAdmin):
    list_display = ("name", "project", "status", "version", "rows", "updated_at", "deleted")
    list_filter = (("project", admin.RelatedOnlyFieldListFilter), "updated_at")
    list_select_related = ("project", "latest_version")
    search_fields = ("name", "description", "project__name")
    fields = ("project", "name", "description", "latest_version", "created_by", "created_at", "updated_at")
    readonly_fields = fields
    inlines = [VersionInline]
    date_hierarchy = "created_at"

    def has_add_permission(self, request):
        # Created in the app, where the file is checked, stored under a server key and processed.
        return False

    def has_change_permission(self, request, obj=None):
        # Renamed in the app, where the name is checked against the project's other datasets.
        return False

    @admin.display(description="status", ordering="latest_version__status")
    def status(self, obj) -> str:
        return obj.status

    @admin.display(description="version", ordering="latest_version__number")
    def version(self, obj):
        return obj.latest_version.number if obj.latest_version_id else None

    @admin.display(description="rows", ordering="latest_version__n_rows")
    def rows(self, obj):
        return obj.latest_version.n_rows if obj.latest_version_id else None

    def soft_delete_one(self, request, obj) -> None:
        services.delete_dataset(actor=request.user, dataset=obj)

    def restore_one(self, request, obj) -> None:
        services.restore_dataset(actor=request.user, dataset=obj)


@admin.register(DatasetVersion)
class DatasetVersionAdmin(PolicyAdminMixin, admin.ModelAdmin):
    """Read-only: versions are written by uploads, imports and the worker."""

    list_display = ("dataset", "number", "status", "n_rows", "n_columns", "source", "created_at")
    list_filter = ("status", "source", "file_format", "created_at")
    list_select_related = ("dataset",)
    search_fields = ("dataset__name", "original_name", "sha256")
    fields = VERSION_FIELDS
    readonly_fields = VERSION_FIELDS
    date_hierarchy = "created_at"

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        if permissions.is_operator(request.user):
            return queryset
        # The policy follows the project; a soft-deleted dataset hides its versions too.
        return queryset.filter(dataset__deleted_at__isnull=True)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        # A version's files and history go with its dataset; deleting one would leave gaps.
        return False


@admin.register(SqlConnection)
class SqlConnectionAdmin(PolicyAdminMixin, admin.ModelAdmin):
    """Read-only but for deleting: connections are added in the app, which checks the URL and
    encrypts it. `encrypted_url` is never shown: it is a credential."""

    list_display = ("name", "project", "dialect", "display_url", "created_by", "last_tested_at")
    list_filter = ("dialect", ("project", admin.RelatedOnlyFieldListFilter))
    list_select_related = ("project", "created_by")
    search_fields = ("name", "display_url", "project__name")
    fields = ("project", "name", "dialect", "display_url", "created_by", "created_at", "last_tested_at")
    readonly_fields = fields
    # The policy lets editors manage connections (they create them in the app).
    policy_actions = {"view": "view", "change": "change", "delete": "change"}

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def get_actions(self, request):
        actions = super().get_actions(request)
        # Deleting goes through the service one by one, so each deletion is audited.
        actions.pop("delete_selected", None)
        return actions

    def delete_model(self, request, obj):
        services.delete_connection(actor=request.user, connection=obj)
