"""The current workspace and the workspace switcher, for every page."""

from . import permissions
from .models import Workspace

SESSION_KEY = "workspace_id"


def current_workspace(request):
    """The workspace the user is working in: the one in the session, else their first."""
    user = request.user
    if not user.is_authenticated:
        return None
    visible = permissions.restrict(Workspace.objects.all(), user, "view")
    workspace_id = request.session.get(SESSION_KEY)
    workspace = visible.filter(pk=workspace_id).first() if workspace_id else None
    return workspace or visible.order_by("-is_personal", "name").first()


def workspace_context(request):
    if not getattr(request, "user", None) or not request.user.is_authenticated:
        return {}
    workspaces = list(permissions.restrict(Workspace.objects.all(), request.user, "view").order_by("name"))
    current = current_workspace(request)
    return {
        "current_workspace": current,
        "current_role": permissions.role_in(request.user, current) if current else None,
        "user_workspaces": workspaces,
    }
