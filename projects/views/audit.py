"""The workspace audit log, with new events arriving live over a WebSocket."""

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import render
from django.views.decorators.http import require_GET

from .. import permissions
from ..forms import AuditFilterForm
from ..models import AuditEvent, Workspace
from .common import wants_fragment, workspace_page_context

EVENTS_PER_PAGE = 50


@login_required
@require_GET
def workspace_audit(request, pk):
    workspace = permissions.get_object_for_user(request.user, Workspace.objects.all(), "view_audit", pk=pk)
    filters = AuditFilterForm(request.GET)
    events = AuditEvent.objects.filter(workspace=workspace).select_related("actor")
    action = filters.cleaned_data.get("action") if filters.is_valid() else ""
    if action:
        events = events.filter(action=action)
    page = Paginator(events, EVENTS_PER_PAGE).get_page(request.GET.get("page"))
    context = {
        **workspace_page_context(request.user, workspace),
        "filters": filters,
        "action": action,
        "page": page,
        # New events are prepended live only where they belong: the first, unfiltered page.
        "live": page.number == 1 and not action,
    }
    if wants_fragment(request, "audit-table"):
        return render(request, "projects/audit_log.html#audit-table", context)
    return render(request, "projects/audit_log.html", context)
