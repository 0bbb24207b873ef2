"""The home page after signing in."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.views.decorators.http import require_GET

from .. import permissions, services
from ..context_processors import current_workspace
from ..models import Project

RECENT_PROJECTS = 6


@login_required
@require_GET
def dashboard(request):
    user = request.user
    workspace = current_workspace(request)
    visible = permissions.restrict(Project.objects.select_related("workspace"), user, "view")
    recent = []
    if workspace is not None:
        recent = list(visible.filter(workspace=workspace).order_by("-updated_at")[:RECENT_PROJECTS])
    # Shared with me: visible only through a share, in workspaces the user is not part of.
    shared = list(visible.exclude(workspace__memberships__user=user).order_by("-updated_at"))
    invitations = list(services.invitations_addressed_to(user).pending().exclude(workspace__memberships__user=user))
    context = {
        "workspace": workspace,
        "role": permissions.role_in(user, workspace) if workspace else None,
        "recent_projects": recent,
        "shared_projects": shared,
        "invitations": invitations,
        "can_create": workspace is not None and permissions.can(user, "create_project", workspace),
        "has_any_project": visible.exists(),
    }
    return render(request, "projects/dashboard.html", context)
