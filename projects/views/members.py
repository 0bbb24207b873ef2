"""The members page: who is in a workspace, their roles, and invitations."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from .. import permissions, services
from ..forms import InvitationForm, RoleForm, apply_service_errors
from ..models import Invitation, Membership, Workspace
from .common import form_error_status, toast_html, workspace_page_context

# The link of a new invitation is shown once, on the next render of the members page.
NEW_INVITATION_LINK_SESSION_KEY = "new_invitation_link"


def _member_rows(user, workspace) -> list[dict]:
    memberships = workspace.memberships.select_related("user").order_by("user__email")
    return [_member_row(user, membership) for membership in memberships]


def _member_row(user, membership, *, error: str = "") -> dict:
    manageable = permissions.can_manage_member(user, membership)
    roles = permissions.assignable_roles(user, membership.workspace) if manageable else []
    return {"membership": membership, "manageable": manageable, "roles": roles, "error": error}


def _invite_context(request, workspace, *, form=None, new_link: str = "") -> dict:
    return {
        "workspace": workspace,
        "invite_form": form or InvitationForm(user=request.user, workspace=workspace),
        "invitations": workspace.invitations.pending().select_related("invited_by"),
        "new_link": new_link,
    }


def _members_page(request, workspace, *, status=200, error="", invite_form=None):
    context = workspace_page_context(request.user, workspace)
    context.update(rows=_member_rows(request.user, workspace), page_error=error)
    if context["may"]["manage_members"]:
        new_link = request.session.pop(NEW_INVITATION_LINK_SESSION_KEY, "")
        context.update(_invite_context(request, workspace, form=invite_form, new_link=new_link))
    return render(request, "projects/members.html", context, status=status)


@login_required
@require_GET
def workspace_members(request, pk):
    workspace = permissions.get_object_for_user(request.user, Workspace.objects.all(), "view", pk=pk)
    return _members_page(request, workspace)


@login_required
@require_POST
def member_role(request, pk, member_pk):
    """Change one member's role. htmx gets the member's row back; a plain form the page."""
    workspace = permissions.get_object_for_user(request.user, Workspace.objects.all(), "manage_members", pk=pk)
    membership = get_object_or_404(
        Membership.objects.select_related("user", "workspace"), pk=member_pk, workspace=workspace
    )
    form = RoleForm(request.POST)
    error = ""
    if not form.is_valid():
        error = f"Unknown role. Choose one of: {', '.join(permissions.assignable_roles(request.user, workspace))}."
    else:
        try:
            membership = services.change_role(actor=request.user, membership=membership, role=form.cleaned_data["role"])
        except ValidationError as exc:
            error = " ".join(exc.messages)
    if request.htmx:
        membership.refresh_from_db()  # after a refusal the row shows the role actually held
        row = render_to_string(
            "projects/members.html#member-row",
            {"row": _member_row(request.user, membership, error=error), "workspace": workspace},
            request=request,
        )
        if not error:
            row += toast_html(f"{membership.user.email} is now {membership.get_role_display().lower()}.")
        return HttpResponse(row)
    if error:
        return _members_page(request, workspace, status=400, error=error)
    messages.success(request, f"{membership.user.email} is now {membership.get_role_display().lower()}.")
    return redirect("workspace_members", pk=workspace.pk)


@login_required
@require_POST
def member_remove(request, pk, member_pk):
    workspace = permissions.get_object_for_user(request.user, Workspace.objects.all(), "manage_members", pk=pk)
    membership = get_object_or_404(
        Membership.objects.select_related("user", "workspace"), pk=member_pk, workspace=workspace
    )
    if membership.user_id == request.user.pk:
        # Removing oneself is leaving, which lives on the settings page with its own checks.
        return redirect("workspace_settings", pk=workspace.pk)
    try:
        services.remove_member(actor=request.user, membership=membership)
    except ValidationError as exc:
        return _members_page(request, workspace, status=400, error=" ".join(exc.messages))
    messages.success(request, f"{membership.user.email} was removed from the workspace.")
    return redirect("workspace_members", pk=workspace.pk)


@login_required
@require_POST
def invitation_create(request, pk):
    """Invite by email. The link is shown once to the inviter, who can copy it into a chat
    when email is not set up."""
    workspace = permissions.get_object_for_user(request.user, Workspace.objects.all(), "manage_members", pk=pk)
    form = InvitationForm(request.POST, user=request.user, workspace=workspace)
    if form.is_valid():
        try:
            invitation, raw = services.invite_member(
                actor=request.user,
                workspace=workspace,
                email=form.cleaned_data["email"],
                role=form.cleaned_data["role"],
                request=request,
            )
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            link = services.invitation_url(raw, request)
            message = f"Invitation sent to {invitation.email}."
            if request.htmx:
                panel = render_to_string(
                    "projects/members.html#invite-panel",
                    _invite_context(request, workspace, new_link=link),
                    request=request,
                )
                return HttpResponse(panel + toast_html(message))
            request.session[NEW_INVITATION_LINK_SESSION_KEY] = link
            messages.success(request, message)
            return redirect("workspace_members", pk=workspace.pk)
    if request.htmx:
        return render(
            request,
            "projects/members.html#invite-panel",
            _invite_context(request, workspace, form=form),
            status=form_error_status(request),
        )
    return _members_page(request, workspace, status=400, invite_form=form)


@login_required
@require_POST
def invitation_revoke(request, pk, inv_pk):
    workspace = permissions.get_object_for_user(request.user, Workspace.objects.all(), "manage_members", pk=pk)
    invitation = get_object_or_404(Invitation, pk=inv_pk, workspace=workspace)
    services.revoke_invitation(actor=request.user, invitation=invitation)
    messages.success(request, f"The invitation for {invitation.email} was revoked; its link no longer works.")
    return redirect(reverse("workspace_members", args=[workspace.pk]) + "#invitations")
