"""The permission policy: the only place that decides who may do what.

Roles live on workspace memberships (owner > admin > editor > viewer). A project can also be
shared with someone outside its workspace through django-guardian object permissions:
`view_project` makes them a viewer of that project, `change_project` an editor. Objects that
belong to a project (datasets, jobs, models) inherit access from it.

Pages, API views, WebSocket consumers, admin screens and downloads use these functions:

- `restrict(queryset, user, action)` filters a queryset to what the user may do `action` on;
- `get_object_for_user(user, queryset, action, **lookup)` fetches one object: 404 when the
  user may not see it, 403 when they may see it but not do `action`;
- `can(user, action, obj)` answers yes or no, for showing buttons and for checks in services.

A request made with an API token limited to one project (accounts.ApiToken) carries the token
as `user.api_token`: it reaches that project's objects only, and its workspace only to view it.
(A token's scope, read only or read and predict, is a limit on the request's method, applied by
the API's `PolicyPermission` before any of this.)
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db import models
from django.http import Http404
from guardian.shortcuts import get_objects_for_user, get_perms

from .models import ROLE_RANK, Membership, Project, Role, Workspace

VIEWER, EDITOR, ADMIN, OWNER = (ROLE_RANK[r] for r in (Role.VIEWER, Role.EDITOR, Role.ADMIN, Role.OWNER))

# The least workspace role needed for each action on a workspace.
WORKSPACE_ACTIONS = {
    "view": VIEWER,
    "leave": VIEWER,
    "create_project": EDITOR,
    "change": ADMIN,
    "manage_members": ADMIN,
    "view_audit": ADMIN,
    "share_projects": ADMIN,
    "delete": OWNER,
}

# The least workspace role needed for each action on a project (or anything inside one), and
# the guardian permissions that grant the same action to someone outside the workspace.
PROJECT_ACTIONS = {
    "view": VIEWER,
    "predict": VIEWER,
    "change": EDITOR,
    "delete": ADMIN,
    "share": ADMIN,
}
SHARE_PERMS = {
    "view": ("view_project", "change_project"),
    "predict": ("view_project", "change_project"),
    "change": ("change_project",),
}
SHARE_ROLES = {"viewer": ("view_project",), "editor": ("view_project", "change_project")}


class UnknownAction(ValueError):
    pass


def _authenticated(user) -> bool:
    return bool(user is not None and getattr(user, "is_authenticated", False) and user.is_active)


def _token(user):
    """The API token the request was made with, when it was (set by BearerTokenAuthentication)."""
    return getattr(user, "api_token", None)


def _token_project(user):
    token = _token(user)
    return token.project if token is not None and token.project_id else None


def _required(table: dict[str, int], action: str) -> int:
    try:
        return table[action]
    except KeyError as exc:
        raise UnknownAction(f"Unknown action {action!r}; known: {', '.join(table)}") from exc


def _roles_at_least(rank: int) -> list[str]:
    return [role for role, r in ROLE_RANK.items() if r >= rank]


def _workspace_ids(user, rank: int):
    return Membership.objects.filter(
        user=user, role__in=_roles_at_least(rank), workspace__deleted_at__isnull=True
    ).values("workspace_id")


def _shared_project_ids(user, action: str):
    perms = SHARE_PERMS.get(action)
    if not perms:
        return Project.objects.none().values("pk")
    shared = get_objects_for_user(
        user,
        [f"projects.{p}" for p in perms],
        klass=Project.objects.all(),
        any_perm=True,
        with_superuser=False,
        accept_global_perms=False,
    )
    return shared.values("pk")


def project_scope(model) -> str | None:
    """The lookup path from `model` to its project, for objects that live inside projects."""
    if model is Project:
        return ""
    path = getattr(model, "permission_project_path", None)
    if path is not None:
        return path
    field_names = {f.name for f in model._meta.get_fields()}
    return "project" if "project" in field_names else None


def restrict(queryset: models.QuerySet, user, action: str = "view") -> models.QuerySet:
    """Only the rows of `queryset` on which `user` may do `action`."""
    if not _authenticated(user):
        return queryset.none()
    model = queryset.model
    only = _token_project(user)
    if model in (Workspace, Membership):
        if only is not None and action != "view":
            return queryset.none()
        field = "pk" if model is Workspace else "workspace_id"
        queryset = queryset.filter(**{f"{field}__in": _workspace_ids(user, _required(WORKSPACE_ACTIONS, action))})
        return queryset.filter(**{field: only.workspace_id}) if only is not None else queryset
    path = project_scope(model)
    if path is None:
        raise UnknownAction(f"{model.__name__} is not governed by the permission policy.")
    rank = _required(PROJECT_ACTIONS, action)
    prefix = f"{path}__" if path else ""
    allowed = models.Q(**{f"{prefix}workspace_id__in": _workspace_ids(user, rank)}) | models.Q(
        **{f"{prefix}pk__in": _shared_project_ids(user, action)}
    )
    alive = {f"{prefix}workspace__deleted_at__isnull": True}
    if path:
        alive[f"{prefix}deleted_at__isnull"] = True
    if only is not None:
        alive[f"{prefix}pk"] = only.pk
    return queryset.filter(allowed, **alive)


def role_in(user, workspace: Workspace) -> str | None:
    """The user's role in the workspace, cached on the user object for one request."""
    if not _authenticated(user):
        return None
    cache = user.__dict__.setdefault("_workspace_roles", {})
    if workspace.pk not in cache:
        cache[workspace.pk] = (
            Membership.objects.filter(user=user, workspace=workspace).values_list("role", flat=True).first()
        )
    return cache[workspace.pk]


def _rank_in(user, workspace: Workspace) -> int:
    role = role_in(user, workspace)
    return ROLE_RANK[role] if role else 0


def share_role(user, project: Project) -> str | None:
    """'editor' or 'viewer' when the project is shared with the user (directly or by group)."""
    if not _authenticated(user):
        return None
    perms = set(get_perms(user, project))
    if "change_project" in perms:
        return "editor"
    if "view_project" in perms:
        return "viewer"
    return None


def can(user, action: str, obj) -> bool:
    """May `user` do `action` on `obj`?"""
    if not _authenticated(user) or obj is None:
        return False
    only = _token_project(user)
    if isinstance(obj, Workspace):
        if only is not None and (action != "view" or obj.pk != only.workspace_id):
            return False
        return not obj.is_deleted and _rank_in(user, obj) >= _required(WORKSPACE_ACTIONS, action)
    if isinstance(obj, Membership):
        return can(user, action, obj.workspace)
    project = obj if isinstance(obj, Project) else _project_of(obj)
    rank = _required(PROJECT_ACTIONS, action)
    if project.is_deleted or project.workspace.is_deleted or (only is not None and project.pk != only.pk):
        return False
    if _rank_in(user, project.workspace) >= rank:
        return True
    perms = SHARE_PERMS.get(action)
    return bool(perms) and bool(set(perms) & set(get_perms(user, project)))


def _project_of(obj) -> Project:
    path = project_scope(type(obj))
    if not path:
        raise UnknownAction(f"{type(obj).__name__} is not governed by the permission policy.")
    for part in path.split("__"):
        obj = getattr(obj, part)
    return obj


def get_object_for_user(user, queryset: models.QuerySet, action: str = "view", **lookup):
    """Fetch one object: Http404 if the user may not see it, PermissionDenied if they may
    see it but not do `action`."""
    # The row by its key, then `can`: the same answer as `restrict(...).filter(...)`, without
    # the membership and sharing subqueries on every page.
    obj = queryset.filter(**lookup).first() if _authenticated(user) else None
    if obj is None or not can(user, "view", obj):
        raise Http404("Not found.")
    if action != "view" and not can(user, action, obj):
        raise PermissionDenied(f"You may not {action.replace('_', ' ')} this {type(obj)._meta.verbose_name}.")
    return obj


def assignable_roles(user, workspace: Workspace) -> list[str]:
    """Roles this user may hand out in the workspace: owners any, admins up to admin."""
    rank = _rank_in(user, workspace)
    if rank < ADMIN:
        return []
    return [role for role, r in ROLE_RANK.items() if r <= rank]


def can_manage_member(user, membership: Membership) -> bool:
    """May `user` change the role of, or remove, this member? Admins cannot touch owners."""
    if membership.user_id == getattr(user, "pk", None):
        return False
    rank = _rank_in(user, membership.workspace)
    return rank >= ADMIN and rank >= ROLE_RANK[membership.role]


def is_operator(user) -> bool:
    """Operators (superusers) see everything in the admin, including soft-deleted rows."""
    return _authenticated(user) and user.is_superuser
