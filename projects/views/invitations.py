"""Accepting invitations: from the emailed link (anonymous or signed in), and from the
dashboard for invitations addressed to the signed-in user's own email."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from accounts.adapters import INVITATION_EMAIL_SESSION_KEY

from .. import permissions, services
from ..models import Invitation
from ..signals import INVITATION_TOKEN_SESSION_KEY
from .common import use_workspace

# What each dead invitation tells its visitor, and the status that says it: the link was
# real but is gone for good (410), or it never existed (404).
INVALID_INVITATION = {
    "accepted": (410, "This invitation was already accepted", "Each invitation link works once."),
    "revoked": (410, "This invitation was withdrawn", "The person who invited you cancelled it or sent a newer one."),
    "expired": (410, "This invitation has expired", "Invitation links work for a limited time."),
    "unknown": (404, "This invitation link is not valid", "It may be mistyped or cut short, or the workspace is gone."),
}


def _invalid(request, invitation: Invitation | None, reason: str):
    status, title, text = INVALID_INVITATION[reason]
    context = {"title": title, "text": text, "invitation": invitation, "reason": reason}
    return render(request, "projects/invitation_invalid.html", context, status=status)


def _joined(request, membership):
    use_workspace(request, membership.workspace)
    messages.success(request, f"Welcome to {membership.workspace.name}! You joined as {membership.role}.")
    return redirect("workspace_detail", pk=membership.workspace_id)


@require_http_methods(["GET", "POST"])
def invitation_accept(request, token):
    """The page behind the emailed link. Anonymous visitors are offered sign-up or log-in,
    and the token waits in their session so the invitation survives the detour."""
    invitation = services.find_invitation(token)
    if invitation is None:
        return _invalid(request, None, "unknown")
    already_member = request.user.is_authenticated and permissions.role_in(request.user, invitation.workspace)
    if already_member and invitation.status != "pending":
        # Following an old link after joining: take the member where they were going.
        return redirect("workspace_detail", pk=invitation.workspace_id)
    if not invitation.is_pending:
        return _invalid(request, invitation, invitation.status)

    if not request.user.is_authenticated:
        if request.method == "POST":
            return redirect_to_login(request.get_full_path())
        request.session[INVITATION_TOKEN_SESSION_KEY] = token
        request.session[INVITATION_EMAIL_SESSION_KEY] = invitation.email
        return render(request, "projects/invitation_accept.html", {"invitation": invitation})

    if request.method == "POST":
        request.session.pop(INVITATION_TOKEN_SESSION_KEY, None)
        request.session.pop(INVITATION_EMAIL_SESSION_KEY, None)
        try:
            membership = services.accept_invitation(user=request.user, invitation=invitation)
        except ValidationError:
            # Revoked or accepted between the page load and the click.
            invitation.refresh_from_db()
            return _invalid(request, invitation, invitation.status)
        return _joined(request, membership)
    context = {"invitation": invitation, "already_member": already_member}
    return render(request, "projects/invitation_accept.html", context)


@login_required
@require_POST
def invitation_accept_own(request, pk):
    """Accept, from the dashboard, an invitation addressed to one of the user's emails.

    Without the link's token, the email address is the proof; any other invitation is
    reported as not found so that ids cannot be probed.
    """
    invitation = get_object_or_404(services.invitations_addressed_to(request.user), pk=pk)
    try:
        membership = services.accept_invitation(user=request.user, invitation=invitation)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("dashboard")
    return _joined(request, membership)
