"""Workflows on workspaces, members, invitations and projects.

Pages, the API, admin actions and management commands all call these. Each checks the
permission policy for its actor (so no door can skip it), keeps the invariants (a workspace
always has an owner) and writes the audit log. Business-rule violations raise
`django.core.exceptions.ValidationError` with a message meant for the user.
"""

from __future__ import annotations

import logging

from allauth.account.models import EmailAddress
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from guardian.shortcuts import assign_perm, get_users_with_perms, remove_perm

from . import permissions
from .models import AuditEvent, Invitation, Membership, Project, Role, Workspace, hash_invitation_token

User = get_user_model()
log = logging.getLogger(__name__)


def _require(actor, action: str, obj, *, operator_may: bool = False) -> None:
    # Operators (superusers) act from the admin on workspaces they are not members of.
    if operator_may and permissions.is_operator(actor):
        return
    if not permissions.can(actor, action, obj):
        raise PermissionDenied(f"You may not {action.replace('_', ' ')} here.")


def audit(
    *,
    actor,
    action: str,
    target,
    workspace: Workspace | None = None,
    changes: dict | None = None,
    ip: str | None = None,
) -> AuditEvent:
    """Record one audit event about `target` (a model instance)."""
    if workspace is None:
        workspace = target if isinstance(target, Workspace) else getattr(target, "workspace", None)
    real_actor = actor if getattr(actor, "is_authenticated", False) else None
    event = AuditEvent.objects.create(
        workspace=workspace,
        actor=real_actor,
        actor_email=real_actor.email if real_actor else "",
        action=action,
        target_type=target._meta.model_name,
        target_id=str(target.pk),
        target_repr=str(target)[:255],
        changes=changes or {},
        ip_address=ip,
    )
    if workspace is not None:
        transaction.on_commit(lambda: _broadcast(event))
    return event


def _broadcast(event: AuditEvent) -> None:
    """Tell the workspace's live audit page. Losing this message loses nothing: the row is stored."""
    from .consumers import activity_group

    try:
        async_to_sync(get_channel_layer().group_send)(
            activity_group(event.workspace_id), {"type": "audit.event", "event_id": event.pk}
        )
    except Exception as exc:  # the request must not fail because Redis is briefly away
        log.warning("Could not broadcast audit event %s: %s", event.pk, exc)


def _diff(obj, data: dict) -> dict:
    """Apply `data` to `obj`, returning {field: [old, new]} for the fields that changed."""
    changes = {}
    for field, value in data.items():
        old = getattr(obj, field)
        if old != value:
            changes[field] = [old, value]
            setattr(obj, field, value)
    return changes


# --- Workspaces -----------------------------------------------------------------------


@transaction.atomic
def create_workspace(*, actor, name: str, description: str = "", is_personal: bool = False) -> Workspace:
    """Create a workspace with `actor` as its owner."""
    name = name.strip()
    if not name:
        raise ValidationError({"name": "A workspace needs a name."})
    workspace = Workspace.objects.create(name=name, description=description, is_personal=is_personal, created_by=actor)
    Membership.objects.create(workspace=workspace, user=actor, role=Role.OWNER)
    audit(actor=actor, action=AuditEvent.Action.CREATE, target=workspace)
    return workspace


def create_personal_workspace(*, user) -> Workspace:
    label = user.get_short_name()
    return create_workspace(actor=user, name=f"{label}'s workspace", is_personal=True)


@transaction.atomic
def update_workspace(*, actor, workspace: Workspace, **data) -> Workspace:
    _require(actor, "change", workspace)
    allowed = {k: v for k, v in data.items() if k in {"name", "description"}}
    if "name" in allowed and not allowed["name"].strip():
        raise ValidationError({"name": "A workspace needs a name."})
    changes = _diff(workspace, allowed)
    if changes:
        workspace.save()
        audit(actor=actor, action=AuditEvent.Action.UPDATE, target=workspace, changes=changes)
    return workspace


@transaction.atomic
def delete_workspace(*, actor, workspace: Workspace) -> None:
    """Soft delete: hidden everywhere, restorable by an operator in the admin."""
    _require(actor, "delete", workspace, operator_may=True)
    workspace.soft_delete(by=actor)
    audit(actor=actor, action=AuditEvent.Action.DELETE, target=workspace)


@transaction.atomic
def restore_workspace(*, actor, workspace: Workspace) -> None:
    """Undo a soft delete. Only operators (superusers) may, from the admin."""
    if not permissions.is_operator(actor):
        raise PermissionDenied("Only an operator may restore a workspace.")
    workspace.restore()
    audit(actor=actor, action=AuditEvent.Action.RESTORE, target=workspace)


# --- Members and invitations ----------------------------------------------------------


def _check_role(actor, workspace: Workspace, role: str) -> None:
    if role not in Role.values:
        raise ValidationError({"role": f"Unknown role {role!r}. Choose one of: {', '.join(Role.values)}."})
    if role not in permissions.assignable_roles(actor, workspace):
        raise PermissionDenied(f"You may not give the {role} role.")


def invitation_url(raw_token: str, request=None) -> str:
    path = reverse("invitation_accept", args=[raw_token])
    return request.build_absolute_uri(path) if request is not None else path


@transaction.atomic
def invite_member(*, actor, workspace: Workspace, email: str, role: str, request=None) -> tuple[Invitation, str]:
    """Invite someone by email. Returns the invitation and its link's secret token.

    An existing user and a person without an account are invited the same way: the link
    works before and after sign-up.
    """
    _require(actor, "manage_members", workspace)
    _check_role(actor, workspace, role)
    email = (email or "").strip().lower()
    if not email or "@" not in email:
        raise ValidationError({"email": "Enter a valid email address."})
    if workspace.memberships.filter(user__email__iexact=email).exists():
        raise ValidationError({"email": f"{email} is already a member of this workspace."})
    # A new invitation replaces any pending one for the same address.
    workspace.invitations.pending().filter(email=email).update(revoked_at=timezone.now())
    invitation, raw = Invitation.new(workspace=workspace, email=email, role=role, invited_by=actor)
    audit(actor=actor, action=AuditEvent.Action.INVITE, target=invitation, workspace=workspace, changes={"role": role})
    link = invitation_url(raw, request)
    transaction.on_commit(lambda: _send_invitation_email(invitation, link))
    return invitation, raw


def _send_invitation_email(invitation: Invitation, link: str) -> None:
    context = {"invitation": invitation, "link": link, "site_name": settings.SITE_NAME}
    send_mail(
        subject=f"[{settings.SITE_NAME}] You are invited to {invitation.workspace.name}",
        message=render_to_string("projects/email/invitation.txt", context),
        from_email=None,
        recipient_list=[invitation.email],
        fail_silently=True,
    )


def addresses_of(user) -> set[str]:
    """The addresses that prove who `user` is: the account's email and any verified one."""
    verified = EmailAddress.objects.filter(user=user, verified=True).values_list("email", flat=True)
    return {user.email.lower(), *(email.lower() for email in verified)}


def invitations_addressed_to(user):
    """Invitations the user may accept without the link's token: the address is the proof."""
    return Invitation.objects.select_related("workspace", "invited_by").filter(
        email__in=addresses_of(user), workspace__deleted_at__isnull=True
    )


def find_invitation(raw_token: str) -> Invitation | None:
    return (
        Invitation.objects.select_related("workspace", "invited_by")
        .filter(token_hash=hash_invitation_token(raw_token), workspace__deleted_at__isnull=True)
        .first()
    )


@transaction.atomic
def accept_invitation(*, user, invitation: Invitation) -> Membership:
    """Join the workspace. Holding the link's token is the proof; the signed-in account may
    use another address than the one invited (people often have several)."""
    invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
    if not invitation.is_pending:
        raise ValidationError(f"This invitation is {invitation.status}. Ask for a new one.")
    membership, created = Membership.objects.get_or_create(
        workspace=invitation.workspace, user=user, defaults={"role": invitation.role}
    )
    invitation.accepted_at = timezone.now()
    invitation.accepted_by = user
    invitation.save(update_fields=["accepted_at", "accepted_by"])
    if created:
        audit(
            actor=user,
            action=AuditEvent.Action.JOIN,
            target=membership,
            workspace=invitation.workspace,
            changes={"role": invitation.role, "invited_by": getattr(invitation.invited_by, "email", "")},
        )
    return membership


@transaction.atomic
def revoke_invitation(*, actor, invitation: Invitation) -> None:
    _require(actor, "manage_members", invitation.workspace)
    if invitation.is_pending:
        invitation.revoked_at = timezone.now()
        invitation.save(update_fields=["revoked_at"])
        audit(actor=actor, action=AuditEvent.Action.INVITE_REVOKE, target=invitation, workspace=invitation.workspace)


def _locked_owner_count(workspace: Workspace) -> int:
    # Lock the owners' rows so that two concurrent demotions cannot both pass the check.
    return len(list(workspace.memberships.select_for_update().filter(role=Role.OWNER).values_list("pk", flat=True)))


def ensure_an_owner_remains(membership: Membership, *, new_role: str | None = None, message: str = "") -> None:
    """Refuse to demote or remove (new_role=None) the last owner of a workspace.

    Call inside a transaction: the owners' rows stay locked until it ends."""
    if membership.role != Role.OWNER or new_role == Role.OWNER:
        return
    if _locked_owner_count(membership.workspace) <= 1:
        raise ValidationError(message or "A workspace must keep at least one owner: make someone else an owner first.")


@transaction.atomic
def change_role(*, actor, membership: Membership, role: str) -> Membership:
    workspace = membership.workspace
    _require(actor, "manage_members", workspace)
    if membership.user_id == actor.pk:
        raise PermissionDenied("You cannot change your own role; ask another owner or admin.")
    if not permissions.can_manage_member(actor, membership):
        raise PermissionDenied("Admins cannot change an owner's role.")
    _check_role(actor, workspace, role)
    membership = Membership.objects.select_for_update().get(pk=membership.pk)
    old = membership.role
    if old == role:
        return membership
    try:
        ensure_an_owner_remains(membership, new_role=role)
    except ValidationError as exc:
        raise ValidationError({"role": exc.messages}) from None
    membership.role = role
    membership.save(update_fields=["role", "updated_at"])
    audit(
        actor=actor,
        action=AuditEvent.Action.ROLE_CHANGE,
        target=membership,
        workspace=workspace,
        changes={"role": [old, role], "user": membership.user.email},
    )
    return membership


@transaction.atomic
def remove_member(*, actor, membership: Membership) -> None:
    workspace = membership.workspace
    if membership.user_id == actor.pk:
        return leave_workspace(user=actor, workspace=workspace)
    _require(actor, "manage_members", workspace)
    if not permissions.can_manage_member(actor, membership):
        raise PermissionDenied("Admins cannot remove an owner.")
    ensure_an_owner_remains(membership)
    audit(
        actor=actor,
        action=AuditEvent.Action.MEMBER_REMOVE,
        target=membership,
        workspace=workspace,
        changes={"user": membership.user.email, "role": membership.role},
    )
    membership.delete()


@transaction.atomic
def leave_workspace(*, user, workspace: Workspace) -> None:
    membership = Membership.objects.select_for_update().filter(workspace=workspace, user=user).first()
    if membership is None:
        raise ValidationError("You are not a member of this workspace.")
    ensure_an_owner_remains(membership, message="You are the last owner: make someone else an owner before you leave.")
    audit(
        actor=user,
        action=AuditEvent.Action.LEAVE,
        target=membership,
        workspace=workspace,
        changes={"role": membership.role},
    )
    membership.delete()


# --- Projects -------------------------------------------------------------------------

PROJECT_FIELDS = {"name", "description", "problem_type", "target_column"}


@transaction.atomic
def create_project(*, actor, workspace: Workspace, name: str, **data) -> Project:
    _require(actor, "create_project", workspace)
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": "A project needs a name."})
    fields = {k: v for k, v in data.items() if k in PROJECT_FIELDS - {"name"}}
    project = Project(workspace=workspace, name=name, created_by=actor, **fields)
    project.full_clean(exclude=["workspace", "created_by", "deleted_by"])
    project.save()
    audit(actor=actor, action=AuditEvent.Action.CREATE, target=project)
    return project


@transaction.atomic
def update_project(*, actor, project: Project, **data) -> Project:
    _require(actor, "change", project)
    data = {k: v for k, v in data.items() if k in PROJECT_FIELDS}
    if "name" in data and not (data["name"] or "").strip():
        raise ValidationError({"name": "A project needs a name."})
    changes = _diff(project, data)
    if changes:
        try:
            project.full_clean(exclude=["workspace", "created_by", "deleted_by"])
        except ValidationError:
            # The caller's instance must not keep a change that was refused.
            project.refresh_from_db()
            raise
        project.save()
        audit(actor=actor, action=AuditEvent.Action.UPDATE, target=project, changes=changes)
    return project


@transaction.atomic
def set_project_archived(*, actor, project: Project, archived: bool) -> Project:
    _require(actor, "change", project)
    if archived and project.status != Project.Status.ARCHIVED:
        project.archive()
        audit(actor=actor, action=AuditEvent.Action.ARCHIVE, target=project)
    elif not archived and project.status != Project.Status.ACTIVE:
        project.unarchive()
        audit(actor=actor, action=AuditEvent.Action.UNARCHIVE, target=project)
    return project


@transaction.atomic
def delete_project(*, actor, project: Project) -> None:
    """Soft delete: hidden everywhere, restorable by an operator in the admin."""
    _require(actor, "delete", project, operator_may=True)
    project.soft_delete(by=actor)
    audit(actor=actor, action=AuditEvent.Action.DELETE, target=project)


@transaction.atomic
def restore_project(*, actor, project: Project) -> None:
    if not permissions.is_operator(actor):
        raise PermissionDenied("Only an operator may restore a project.")
    project.restore()
    audit(actor=actor, action=AuditEvent.Action.RESTORE, target=project)


def project_shares(project: Project) -> list[tuple]:
    """[(user, 'viewer'|'editor')] for the people the project is shared with directly."""
    users = get_users_with_perms(project, attach_perms=True, with_superusers=False, with_group_users=False)
    shares = []
    for user, perms in users.items():
        role = "editor" if "change_project" in perms else "viewer" if "view_project" in perms else None
        if role:
            shares.append((user, role))
    return sorted(shares, key=lambda pair: pair[0].email)


@transaction.atomic
def share_project(*, actor, project: Project, email: str, role: str) -> object:
    """Share a project with an existing user outside its workspace, as viewer or editor."""
    _require(actor, "share", project)
    if role not in permissions.SHARE_ROLES:
        raise ValidationError({"role": "Share as 'viewer' or 'editor'."})
    user = User.objects.filter(email__iexact=(email or "").strip(), is_active=True).first()
    if user is None:
        raise ValidationError({"email": "No user has this email address. Invite them to the workspace instead."})
    if project.workspace.memberships.filter(user=user).exists():
        raise ValidationError({"email": f"{user.email} is already a member of this workspace."})
    for perm in ("view_project", "change_project"):
        remove_perm(f"projects.{perm}", user, project)
    for perm in permissions.SHARE_ROLES[role]:
        assign_perm(f"projects.{perm}", user, project)
    audit(actor=actor, action=AuditEvent.Action.SHARE, target=project, changes={"user": user.email, "role": role})
    return user


@transaction.atomic
def unshare_project(*, actor, project: Project, user) -> None:
    _require(actor, "share", project)
    for perm in ("view_project", "change_project"):
        remove_perm(f"projects.{perm}", user, project)
    audit(actor=actor, action=AuditEvent.Action.UNSHARE, target=project, changes={"user": user.email})


# --- Demo data ------------------------------------------------------------------------


@transaction.atomic
def ensure_demo_workspace(*, email: str = "demo@example.com", password: str = "demo-password") -> tuple:  # noqa: S107  (printed on first run)
    """Create the demo user and workspace on the first run. Returns (user, created)."""
    user = User.objects.filter(email__iexact=email).first()
    if user is not None:
        return user, False
    user = User.objects.create_user(email=email, password=password, full_name="Demo User")
    workspace = create_workspace(actor=user, name="Demo workspace", description="A place to try the platform.")
    create_project(
        actor=user,
        workspace=workspace,
        name="Customer churn",
        description="Predict which customers will leave next quarter.",
        problem_type="classification",
        target_column="churned",
    )
    return user, True
