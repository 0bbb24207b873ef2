"""Bearer and session authentication, /me/, and personal API tokens."""

from datetime import timedelta

from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import ApiToken
from tests import factories

from .conftest import api_url


def bearer(raw: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    return client


# --- Authentication -------------------------------------------------------------------


def test_bearer_token_reads_me(owner, workspace):
    response = bearer(factories.make_token(owner)).get(api_url("me-detail"))
    assert response.status_code == 200
    body = response.json()
    assert body["email"] == "owner@example.com"
    assert body["full_name"] == "Olive Owner"
    assert body["workspaces"] == [
        {"id": workspace.pk, "name": "Acme analytics", "slug": workspace.slug, "role": "owner"}
    ]


def test_me_lists_only_live_workspaces(owner, workspace, outsider):
    client = bearer(factories.make_token(owner))
    gone = factories.make_workspace(owner, "Gone")
    gone.soft_delete(by=owner)
    names = [w["name"] for w in client.get(api_url("me-detail")).json()["workspaces"]]
    assert names == ["Acme analytics"]


def test_anonymous_gets_401_with_bearer_challenge(api_client, db):
    response = api_client.get(api_url("me-detail"))
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Bearer"
    assert "detail" in response.json()


def test_revoked_expired_and_garbage_tokens_are_refused(owner):
    revoked, revoked_raw = ApiToken.issue(user=owner, name="revoked")
    revoked.revoke()
    expired, expired_raw = ApiToken.issue(user=owner, name="expired", expires_in_days=1)
    ApiToken.objects.filter(pk=expired.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    for raw in [revoked_raw, expired_raw, "aml_garbage", "not even a token", ""]:
        response = bearer(raw).get(api_url("me-detail"))
        assert response.status_code == 401, raw
        assert response["WWW-Authenticate"] == "Bearer"


def test_malformed_authorization_headers_are_401_not_500(db):
    for header in ["Bearer", "Bearer a b", "Bearer \u00e9\u00e9", "Basic Zm9vOmJhcg=="]:
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=header)
        assert client.get(api_url("me-detail")).status_code == 401, header


def test_token_of_inactive_user_is_refused(owner):
    raw = factories.make_token(owner)
    owner.is_active = False
    owner.save()
    assert bearer(raw).get(api_url("me-detail")).status_code == 401


def test_session_authentication_works_too(owner):
    client = APIClient()
    assert client.login(email=owner.email, password=factories.PASSWORD)
    assert client.get(api_url("me-detail")).json()["email"] == owner.email


# --- /me/ -----------------------------------------------------------------------------


def test_patch_me_updates_preferences_but_not_email(owner, as_user):
    client = as_user(owner)
    response = client.patch(
        api_url("me-detail"),
        {"full_name": "Olivia Owner", "theme": "dark", "timezone": "Europe/Paris", "email": "hacker@example.com"},
        format="json",
    )
    assert response.status_code == 200, response.json()
    owner.refresh_from_db()
    assert (owner.full_name, owner.theme, owner.timezone, owner.email) == (
        "Olivia Owner",
        "dark",
        "Europe/Paris",
        "owner@example.com",
    )


def test_patch_me_rejects_unknown_theme_and_timezone(owner, as_user):
    response = as_user(owner).patch(api_url("me-detail"), {"theme": "neon", "timezone": "Mars/Base"}, format="json")
    assert response.status_code == 400
    assert set(response.json()) == {"theme", "timezone"}


# --- Tokens ---------------------------------------------------------------------------


def test_create_token_returns_it_once_and_stores_only_a_hash(owner, as_user):
    client = as_user(owner)
    response = client.post(api_url("token-list"), {"name": "CI", "expires_in_days": 7}, format="json")
    assert response.status_code == 201
    body = response.json()
    raw = body["token"]
    assert raw.startswith("aml_") and body["prefix"] == raw[:12] and body["status"] == "active"
    assert "key_hash" not in body

    # The plain token is in no column of any token row.
    for row in ApiToken.objects.values():
        assert all(raw not in str(value) for value in row.values())

    listed = client.get(api_url("token-list")).json()["results"]
    created = next(t for t in listed if t["id"] == body["id"])
    assert set(created) == {
        "id",
        "name",
        "prefix",
        "scope",
        "project",
        "created_at",
        "last_used_at",
        "expires_at",
        "status",
    }

    # And it works.
    assert bearer(raw).get(api_url("me-detail")).status_code == 200


def test_token_expiry_defaults_to_the_configured_ttl(owner, as_user, settings):
    response = as_user(owner).post(api_url("token-list"), {"name": "default"}, format="json")
    token = ApiToken.objects.get(pk=response.json()["id"])
    expected = timezone.now() + timedelta(days=settings.API_TOKEN_DEFAULT_TTL_DAYS)
    assert abs(token.expires_at - expected) < timedelta(minutes=1)


def test_token_create_validates_input(owner, as_user):
    client = as_user(owner)
    for payload, field in [
        ({}, "name"),
        ({"name": ""}, "name"),
        ({"name": "x" * 101}, "name"),
        ({"name": "t", "expires_in_days": 0}, "expires_in_days"),
        ({"name": "t", "expires_in_days": 10**12}, "expires_in_days"),
        ({"name": "t", "expires_in_days": "soon"}, "expires_in_days"),
    ]:
        response = client.post(api_url("token-list"), payload, format="json")
        assert response.status_code == 400, payload
        assert field in response.json(), payload


def test_tokens_list_only_your_own(owner, viewer, as_user):
    ApiToken.issue(user=viewer, name="viewer's")
    names = {t["name"] for t in as_user(owner).get(api_url("token-list")).json()["results"]}
    assert "viewer's" not in names


def test_revoke_own_token_and_not_others(owner, viewer, as_user):
    mine, mine_raw = ApiToken.issue(user=owner, name="mine")
    theirs, _ = ApiToken.issue(user=viewer, name="theirs")
    client = as_user(owner)

    assert client.delete(api_url("token-detail", pk=theirs.pk)).status_code == 404
    theirs.refresh_from_db()
    assert theirs.status == "active"

    assert client.delete(api_url("token-detail", pk=mine.pk)).status_code == 204
    mine.refresh_from_db()
    assert mine.status == "revoked"
    assert bearer(mine_raw).get(api_url("me-detail")).status_code == 401
    listed = {t["id"]: t["status"] for t in client.get(api_url("token-list")).json()["results"]}
    assert listed[mine.pk] == "revoked"
