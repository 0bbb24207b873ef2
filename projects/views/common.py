"""Small helpers shared by the page views."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.loader import render_to_string
from django_htmx.http import HttpResponseClientRedirect

from .. import permissions
from ..context_processors import SESSION_KEY


def form_error_status(request: HttpRequest) -> int:
    """The status for a form sent back with errors.

    A full page answers 400. htmx swaps only 2xx answers by default, so a fragment with
    errors answers 200; otherwise the user would not see what to fix.
    """
    return 200 if request.htmx else 400


def redirect_after_post(request: HttpRequest, url: str) -> HttpResponse:
    """After a successful form post: a client-side redirect for htmx, a 302 otherwise."""
    if request.htmx:
        return HttpResponseClientRedirect(url)
    return redirect(url)


def wants_fragment(request: HttpRequest, target: str) -> bool:
    """Did htmx ask for the fragment that replaces the element with id `target`?

    Checking the target (not just `request.htmx`) keeps full pages working when links are
    boosted or a page is loaded into another by htmx.
    """
    return bool(request.htmx) and request.htmx.target == target


def toast_html(message: str, level: str = "success") -> str:
    """A toast to append to a fragment: htmx swaps it out of band into #toasts."""
    return render_to_string("components/toast_oob.html", {"text": message, "level": level})


def use_workspace(request: HttpRequest, workspace) -> None:
    """Make `workspace` the current one for the rest of the session."""
    request.session[SESSION_KEY] = workspace.pk


def forget_workspace(request: HttpRequest, workspace) -> None:
    if request.session.get(SESSION_KEY) == workspace.pk:
        del request.session[SESSION_KEY]


def workspace_page_context(user, workspace) -> dict:
    """What every workspace page needs: the workspace, the user's role in it, and which
    workspace actions they may take (`may.manage_members`, …) to show only usable buttons."""
    return {
        "workspace": workspace,
        "role": permissions.role_in(user, workspace),
        "may": {action: permissions.can(user, action, workspace) for action in permissions.WORKSPACE_ACTIONS},
    }


def project_page_context(user, project) -> dict:
    """The project, its workspace, whether the user is a member of that workspace (or only
    has the project shared with them), and which project actions they may take (`may.change`, …)."""
    return {
        "project": project,
        "workspace": project.workspace,
        "is_member": permissions.role_in(user, project.workspace) is not None,
        "may": {action: permissions.can(user, action, project) for action in permissions.PROJECT_ACTIONS},
    }
