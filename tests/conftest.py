"""Shared fixtures, named by role: one workspace with an owner, admin, editor and viewer; an
outsider who owns another workspace; a sharee outside the workspace with whom one project
is shared (as viewer); and anonymous."""

import pytest
from rest_framework.test import APIClient

from projects import services

from . import factories


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(items):
    """The engine's tests run first. They fork children that run OpenMP (as the engine does in
    its own process); once another test has predicted with a model in this process, OpenMP's
    thread pool is up, and a forked child that uses it hangs. pytest-django would otherwise put
    these database-free tests last."""
    forking = [item for item in items if "/training/engine/" in item.path.as_posix()]
    chosen = set(forking)
    items[:] = forking + [item for item in items if item not in chosen]


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    # Real hashing costs ~0.3 s per user; tests create many users and test no hashing.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def prediction_logs_at_once(settings):
    # A test's rows are in its own transaction, which the log writer's thread cannot see; the
    # buffered writer has a test of its own (tests/monitoring).
    settings.PREDICTION_LOG_FLUSH_S = 0


@pytest.fixture
def owner(db):
    return factories.make_user("owner@example.com", full_name="Olive Owner")


@pytest.fixture
def workspace(owner):
    return factories.make_workspace(owner, "Acme analytics")


@pytest.fixture
def admin_user(workspace):
    user = factories.make_user("admin@example.com", full_name="Adam Admin")
    factories.add_member(workspace, user, "admin")
    return user


@pytest.fixture
def editor(workspace):
    user = factories.make_user("editor@example.com", full_name="Edith Editor")
    factories.add_member(workspace, user, "editor")
    return user


@pytest.fixture
def viewer(workspace):
    user = factories.make_user("viewer@example.com", full_name="Victor Viewer")
    factories.add_member(workspace, user, "viewer")
    return user


@pytest.fixture
def outsider(db):
    user = factories.make_user("outsider@example.com", full_name="Oscar Outsider")
    factories.make_workspace(user, "Other company")
    return user


@pytest.fixture
def project(workspace, owner):
    return factories.make_project(workspace, owner, "Churn", problem_type="classification", target_column="churned")


@pytest.fixture
def sharee(project, owner):
    user = factories.make_user("sharee@example.com", full_name="Sam Sharee")
    services.share_project(actor=owner, project=project, email=user.email, role="viewer")
    return user


@pytest.fixture
def api_client():
    return APIClient()


def token_client(user) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {factories.make_token(user)}")
    return client
