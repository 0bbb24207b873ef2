"""Small factories for tests: real rows through the real services."""

import itertools

from accounts.models import ApiToken, User
from projects import services
from projects.models import Membership, Project, Workspace

_seq = itertools.count(1)
PASSWORD = "correct-horse-battery-staple"


def make_user(email: str | None = None, **extra) -> User:
    email = email or f"user{next(_seq)}@example.com"
    return User.objects.create_user(email=email, password=PASSWORD, **extra)


def make_workspace(owner: User, name: str | None = None) -> Workspace:
    return services.create_workspace(actor=owner, name=name or f"Workspace {next(_seq)}")


def add_member(workspace: Workspace, user: User, role: str) -> Membership:
    return Membership.objects.create(workspace=workspace, user=user, role=role)


def make_project(workspace: Workspace, actor: User, name: str | None = None, **data) -> Project:
    return services.create_project(actor=actor, workspace=workspace, name=name or f"Project {next(_seq)}", **data)


def make_token(user: User, name: str = "test") -> str:
    return ApiToken.issue(user=user, name=name)[1]
