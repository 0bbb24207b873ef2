"""Query-string filters for the projects and audit API lists."""

from django_filters import rest_framework as filters

from automl_site.api import IdFilter

from .models import AuditEvent, Project


class ProjectFilter(filters.FilterSet):
    # A plain id filter: a workspace the user cannot see simply yields no rows, the same as
    # one that does not exist, so the filter cannot be used to probe for workspaces.
    workspace = IdFilter(field_name="workspace_id", help_text="Only projects of this workspace.")

    class Meta:
        model = Project
        fields = ["workspace", "status", "problem_type"]


class AuditEventFilter(filters.FilterSet):
    class Meta:
        model = AuditEvent
        fields = ["action"]
