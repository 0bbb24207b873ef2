"""Sign-up hooks: every new user gets a personal workspace, and an invitation they opened
before signing up is accepted as soon as the account exists."""

from allauth.account.signals import user_signed_up
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.dispatch import receiver

from . import services

# The invitation link stores its token here while the visitor signs up or logs in.
INVITATION_TOKEN_SESSION_KEY = "invitation_token"


def accept_invitation_from_session(request, user):
    """Accept the invitation whose token the session holds, if any. Returns the membership."""
    raw = request.session.pop(INVITATION_TOKEN_SESSION_KEY, None)
    request.session.pop("invitation_email", None)
    if not raw:
        return None
    invitation = services.find_invitation(raw)
    if invitation is None:
        return None
    try:
        membership = services.accept_invitation(user=user, invitation=invitation)
    except ValidationError as exc:
        messages.warning(request, " ".join(exc.messages))
        return None
    messages.success(request, f"You joined {membership.workspace.name} as {membership.get_role_display().lower()}.")
    request.session["workspace_id"] = membership.workspace_id
    return membership


@receiver(user_signed_up)
def on_user_signed_up(sender, request, user, **kwargs):
    workspace = services.create_personal_workspace(user=user)
    if request is None:
        return
    request.session["workspace_id"] = workspace.pk
    accept_invitation_from_session(request, user)
