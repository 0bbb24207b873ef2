"""Whatever a client sends, the API answers with JSON and never with a 500; the schema and
its docs pages work, and the docs load nothing from outside the platform."""

import re

import pytest
from django.core.management import call_command
from django.test import Client

from .conftest import api_url

HUGE_ID = 10**30
BAD_VALUES = [None, True, 1.5, -1, 0, HUGE_ID, "", " ", "x" * 100_000, "\x00", [], ["a"], {}, {"a": 1}]


def assert_json_client_error(response, *allowed):
    assert response.status_code in (allowed or (400,)), (response.status_code, response.content[:300])
    assert response["Content-Type"].startswith("application/json"), response["Content-Type"]
    assert isinstance(response.json(), dict)


@pytest.fixture
def writable_urls(workspace, project, editor):
    """(method, url, field names) for every endpoint that takes a body."""
    return [
        ("patch", api_url("me-detail"), ["full_name", "theme", "timezone"]),
        ("post", api_url("token-list"), ["name", "expires_in_days"]),
        ("post", api_url("workspace-list"), ["name", "description"]),
        ("patch", api_url("workspace-detail", pk=workspace.pk), ["name", "description"]),
        ("post", api_url("workspace-member-list", workspace_pk=workspace.pk), ["email", "role"]),
        ("patch", api_url("workspace-member-detail", workspace_pk=workspace.pk, user_id=editor.pk), ["role"]),
        ("post", api_url("project-list"), ["workspace", "name", "problem_type", "description", "target_column"]),
        ("patch", api_url("project-detail", pk=project.pk), ["name", "problem_type", "description", "target_column"]),
        ("post", api_url("project-share-list", project_pk=project.pk), ["email", "role"]),
    ]


def test_malformed_json_is_a_400(owner, writable_urls, as_user):
    client = as_user(owner)
    for method, url, _ in writable_urls:
        for body in ['{"name": ', "[1, 2", "\xff\xfe", "null", "[]", '"just a string"', "1e999999"]:
            response = getattr(client, method)(url, body, content_type="application/json")
            assert_json_client_error(response, 400)


def test_wrong_types_and_huge_values_are_400s(owner, writable_urls, as_user):
    client = as_user(owner)
    for method, url, fields in writable_urls:
        for field in fields:
            for value in BAD_VALUES:
                response = getattr(client, method)(url, {field: value}, format="json")
                # Some values are valid for some fields (e.g. "" for a description): never a 5xx.
                assert response.status_code < 500, (method, url, field, value)
                assert response["Content-Type"].startswith("application/json")


def test_missing_fields_get_a_message_per_field(owner, as_user):
    response = as_user(owner).post(api_url("project-list"), {}, format="json")
    assert_json_client_error(response)
    assert set(response.json()) == {"workspace", "name"}
    assert all(isinstance(messages, list) and messages for messages in response.json().values())


def test_form_encoded_and_unsupported_media_types(owner, workspace, as_user):
    client = as_user(owner)
    form = client.post(api_url("project-list"), {"workspace": workspace.pk, "name": "Form"})
    assert form.status_code == 201
    xml = client.post(api_url("project-list"), "<project/>", content_type="application/xml")
    assert_json_client_error(xml, 415)


def test_ids_that_cannot_exist_are_404s(owner, workspace, project, as_user):
    client = as_user(owner)
    for url in [
        f"/api/v1/projects/{HUGE_ID}/",
        f"/api/v1/workspaces/{HUGE_ID}/",
        f"/api/v1/workspaces/{HUGE_ID}/members/",
        f"/api/v1/workspaces/{workspace.pk}/members/{HUGE_ID}/",
        f"/api/v1/workspaces/{workspace.pk}/invitations/{HUGE_ID}/",
        f"/api/v1/projects/{HUGE_ID}/shares/",
        f"/api/v1/projects/{project.pk}/shares/{HUGE_ID}/",
        f"/api/v1/tokens/{HUGE_ID}/",
        "/api/v1/projects/abc/",
        "/api/v1/projects/-1/",
        "/api/v1/workspaces/1.5/members/",
        "/api/v1/nowhere/",
    ]:
        for method in ("get", "patch", "delete"):
            response = getattr(client, method)(url, {}, format="json")
            assert_json_client_error(response, 404, 405)


def test_bad_query_parameters(owner, project, as_user):
    client = as_user(owner)
    url = api_url("project-list")
    for params in [{"workspace": HUGE_ID}, {"workspace": "abc"}, {"workspace": "1.5"}, {"status": "gone"}]:
        assert_json_client_error(client.get(url, params))
    for params in [{"page": "abc"}, {"page": 0}, {"page": HUGE_ID}]:
        assert_json_client_error(client.get(url, params), 404)
    for params in [{"ordering": "password"}, {"ordering": "-nonsense,name"}, {"search": "x" * 10_000}]:
        assert client.get(url, params).status_code == 200, params
    null_search = client.get(url, {"search": "\x00"})
    assert_json_client_error(null_search)
    assert "search" in null_search.json()


def test_unsupported_method_is_405_json(owner, workspace, as_user):
    response = as_user(owner).put(api_url("workspace-detail", pk=workspace.pk), {"name": "X"}, format="json")
    assert_json_client_error(response, 405)


# --- Schema and docs ------------------------------------------------------------------


def test_schema_generates_without_warnings(tmp_path, db):
    # --fail-on-warn turns any warning of drf-spectacular into an error.
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "schema.yml"))
    assert "/api/v1/projects/" in (tmp_path / "schema.yml").read_text()


def test_schema_endpoint(db):
    response = Client().get("/api/schema/", HTTP_ACCEPT="application/json")
    assert response.status_code == 200
    paths = response.json()["paths"]
    assert "/api/v1/workspaces/{workspace_pk}/members/{user_id}/" in paths
    assert paths["/api/v1/projects/{id}/"]["get"]["parameters"][0]["schema"]["type"] == "integer"


@pytest.mark.parametrize("page", ["/api/docs/", "/api/redoc/"])
def test_docs_pages_load_assets_from_our_own_static_files(page, db):
    client = Client()
    response = client.get(page)
    assert response.status_code == 200
    html = response.content.decode()
    assets = re.findall(r"""(?:src|href)\s*=\s*["']([^"']+)["']""", html)
    assert assets, "expected the page to load scripts and styles"
    assert not re.search(r"""(?:src|href)\s*=\s*["'](?:https?:)?//""", html), "external asset"
    assert not re.search(r"https?://", html), "external URL in the page"
    for asset in assets:
        assert asset.startswith("/static/"), asset
        served = client.get(asset)
        assert served.status_code == 200, asset
        if hasattr(served, "close"):
            served.close()


def test_browsable_api_and_options_render(owner, workspace, project, sharee, as_user):
    # The HTML renderer asks views for things JSON clients never do (forms, filter forms).
    client = as_user(owner)
    for url in [
        api_url("me-detail"),
        api_url("token-list"),
        api_url("workspace-list"),
        api_url("workspace-detail", pk=workspace.pk),
        api_url("workspace-member-list", workspace_pk=workspace.pk),
        api_url("workspace-invitation-list", workspace_pk=workspace.pk),
        api_url("workspace-audit-list", workspace_pk=workspace.pk),
        api_url("project-list"),
        api_url("project-detail", pk=project.pk),
        api_url("project-share-list", project_pk=project.pk),
    ]:
        assert client.get(url, HTTP_ACCEPT="text/html").status_code == 200, url
        assert client.options(url).status_code == 200, url
