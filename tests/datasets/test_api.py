"""Datasets, versions and SQL connections through the REST API, with real files, the real
processing run (in-process), and this machine's PostgreSQL for the SQL parts."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from django.test import Client
from rest_framework.test import APIClient

from datasets.models import Dataset, DatasetVersion, SqlConnection
from projects.services import set_project_archived
from tests import factories
from tests.api.conftest import api_url
from tests.conftest import token_client

from .conftest import multipart_body

PG_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
SECRET = "s3cret-Pa55word"
PG_URL_WITH_PASSWORD = f"postgresql://postgres:{SECRET}@127.0.0.1:5432/postgres"

DATASET_FIELDS = {
    "id",
    "name",
    "description",
    "project",
    "status",
    "version",
    "ready_version",
    "n_rows",
    "n_columns",
    "columns",
    "error",
    "warnings",
    "source",
    "file_name",
    "size_bytes",
    "progress",
    "stage",
    "created_by",
    "created_at",
    "updated_at",
    "url",
    "preview_url",
    "profile_url",
    "versions_url",
}
SAMPLE_COLUMNS = ["customer_id", "age", "plan", "monthly_fee", "signup_date", "churned"]


# --- Helpers shared with the bad-input tests ---------------------------------------------


@pytest.fixture(autouse=True)
def media(settings, tmp_path) -> Path:
    """A media folder of this test's own, so "nothing was stored" can be checked exactly."""
    root = tmp_path / "media"
    settings.MEDIA_ROOT = str(root)
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": str(root)}},
    }
    return root


def stored_files(root: Path) -> list[str]:
    folder = root / "datasets"
    return sorted(str(p.relative_to(root)) for p in folder.rglob("*") if p.is_file()) if folder.exists() else []


def post_file(client, url: str, filename: str, content: bytes | str, method: str = "post", **fields):
    """A multipart upload built by hand, so the file name arrives exactly as given (test
    clients would strip a path from it)."""
    boundary = uuid.uuid4().hex
    data = content.encode() if isinstance(content, str) else content
    body = multipart_body({k: str(v) for k, v in fields.items()}, filename, data, boundary)
    return getattr(client, method)(url, body, content_type=f"multipart/form-data; boundary={boundary}")


def upload(client, project, content: bytes | str = factories.SAMPLE_CSV, filename: str = "customers.csv", **fields):
    return post_file(client, api_url("dataset-list"), filename, content, project=project.pk, **fields)


def latest(dataset_id: int) -> DatasetVersion:
    return Dataset.objects.get(pk=dataset_id).latest_version


def process(dataset_id: int) -> DatasetVersion:
    version = latest(dataset_id)
    factories.process_now(version)
    return version


# --- Upload and read ----------------------------------------------------------------------


def test_upload_then_processing_makes_the_dataset_ready(project, editor, media):
    client = token_client(editor)
    response = upload(client, project)

    assert response.status_code == 201, response.json()
    body = response.json()
    assert set(body) == DATASET_FIELDS
    assert (body["name"], body["status"], body["version"], body["source"]) == ("customers", "processing", 1, "upload")
    assert (body["project"], body["file_name"], body["created_by"]) == (project.pk, "customers.csv", editor.email)
    assert body["size_bytes"] == len(factories.SAMPLE_CSV.encode())
    assert body["url"].endswith(f"/api/v1/datasets/{body['id']}/")
    assert body["versions_url"].endswith(f"/api/v1/datasets/{body['id']}/versions/")
    version = latest(body["id"])
    assert [version.raw_key] == stored_files(media)
    assert version.raw_key.startswith(version.storage_prefix)

    process(body["id"])
    ready = client.get(body["url"]).json()

    assert (ready["status"], ready["ready_version"], ready["n_rows"], ready["n_columns"]) == ("ready", 1, 120, 6)
    assert [c["name"] for c in ready["columns"]] == SAMPLE_COLUMNS
    churned = next(c for c in ready["columns"] if c["name"] == "churned")
    assert churned["role"] == "target"  # the project's target column
    assert set(churned) == {"name", "type", "role", "inferred_type", "inferred_role"}
    assert (ready["progress"], ready["error"]) == (100, "")


def test_upload_options_and_explicit_name(project, owner):
    content = "a;b\n1,5;x\n2,5;y\n"
    response = upload(
        token_client(owner), project, content, "semi.csv", name="  Semicolons ", delimiter=";", decimal=","
    )
    assert response.status_code == 201, response.json()
    assert response.json()["name"] == "Semicolons"
    version = process(response.json()["id"])
    assert version.status == "ready", version.error
    assert version.read_options == {"delimiter": ";", "decimal": ","}
    assert [c["name"] for c in version.columns] == ["a", "b"]


def test_who_may_upload(project, viewer, outsider, sharee, editor):
    for user in (viewer, sharee):
        refused = upload(token_client(user), project)
        assert refused.status_code == 400
        assert "role does not allow" in refused.json()["project"][0]
    hidden = upload(token_client(outsider), project)
    assert hidden.status_code == 400 and "Invalid pk" in hidden.json()["project"][0]
    assert upload(APIClient(), project).status_code == 401
    assert not Dataset.objects.exists()
    assert upload(token_client(editor), project).status_code == 201


def test_upload_errors_are_per_field(project, owner):
    client = token_client(owner)
    url = api_url("dataset-list")
    no_file = client.post(url, {"project": project.pk, "name": "x"}, format="multipart")
    assert no_file.status_code == 400 and no_file.json() == {"file": ["No file was sent."]}
    as_json = client.post(url, {"project": project.pk}, format="json")
    assert as_json.status_code == 400 and "file" in as_json.json()
    assert upload(client, project, delimiter="ab").status_code == 400
    upload(client, project, name="Customers")
    taken = upload(client, project, name="customers")
    assert taken.status_code == 400 and "already has a dataset" in taken.json()["name"][0]
    set_project_archived(actor=owner, project=project, archived=True)
    archived = upload(client, project, name="Later")
    assert archived.status_code == 400 and "archived" in str(archived.json())
    assert Dataset.objects.count() == 1


def test_session_auth_works_too(project, owner):
    dataset = factories.make_dataset(project, owner, "Customers")
    client = Client()
    client.force_login(owner)
    assert client.get(api_url("dataset-detail", pk=dataset.pk)).json()["status"] == "ready"


def test_list_filter_search_and_order(workspace, project, owner, outsider):
    other = factories.make_project(workspace, owner, "Fraud")
    a = factories.make_dataset(project, owner, "Alpha")
    b = factories.make_dataset(other, owner, "Beta")
    pending = factories.make_dataset(project, owner, "Gamma", process=False)
    factories.make_dataset(outsider.workspaces.get().projects.create(name="Theirs"), outsider, "Not yours")
    client = token_client(owner)
    url = api_url("dataset-list")

    def names(**params):
        response = client.get(url, params)
        assert response.status_code == 200, response.json()
        return [row["name"] for row in response.json()["results"]]

    assert set(names()) == {"Alpha", "Beta", "Gamma"}
    assert set(names(project=project.pk)) == {"Alpha", "Gamma"}
    assert names(project=other.pk) == ["Beta"]
    assert names(status="processing") == ["Gamma"]
    assert names(search="alp") == ["Alpha"]
    assert names(ordering="name") == ["Alpha", "Beta", "Gamma"]
    assert names(ordering="-name", project=project.pk) == ["Gamma", "Alpha"]
    assert names(project=outsider.workspaces.get().projects.get().pk) == []
    for bad in ({"project": "abc"}, {"project": 10**30}, {"status": "gone"}):
        assert client.get(url, bad).status_code == 400, bad
    assert {a.pk, b.pk, pending.pk} == {row["id"] for row in client.get(url).json()["results"]}
    assert token_client(outsider).get(url).json()["count"] == 1


def test_rename_and_describe(project, owner, editor, viewer):
    dataset = factories.make_dataset(project, owner, "Customers")
    url = api_url("dataset-detail", pk=dataset.pk)
    response = token_client(editor).patch(url, {"name": "Clients", "description": "From the CRM"}, format="json")
    assert response.status_code == 200, response.json()
    assert (response.json()["name"], response.json()["description"]) == ("Clients", "From the CRM")
    assert token_client(viewer).patch(url, {"name": "Mine"}, format="json").status_code == 403
    blank = token_client(editor).patch(url, {"name": "   "}, format="json")
    assert blank.status_code == 400 and "name" in blank.json()
    assert Dataset.objects.get(pk=dataset.pk).name == "Clients"


def test_a_schema_sent_to_the_dataset_is_refused_not_dropped(project, owner):
    dataset = factories.make_dataset(project, owner, "Customers")
    body = {"columns": [{"name": "age", "role": "target"}]}
    response = token_client(owner).patch(api_url("dataset-detail", pk=dataset.pk), body, format="json")
    assert response.status_code == 400
    assert "/schema/" in response.json()["columns"][0]


def test_delete_needs_an_admin(project, owner, admin_user, editor, outsider):
    dataset = factories.make_dataset(project, owner, "Customers")
    url = api_url("dataset-detail", pk=dataset.pk)
    assert token_client(outsider).delete(url).status_code == 404
    assert token_client(editor).delete(url).status_code == 403
    assert token_client(admin_user).delete(url).status_code == 204
    assert token_client(owner).get(url).status_code == 404
    assert Dataset.all_objects.get(pk=dataset.pk).is_deleted


def test_outsider_sees_nothing_and_anonymous_is_asked_to_sign_in(project, owner, outsider):
    dataset = factories.make_dataset(project, owner, "Customers")
    for name in ("dataset-detail", "dataset-preview", "dataset-profile"):
        assert token_client(outsider).get(api_url(name, pk=dataset.pk)).status_code == 404, name
        assert APIClient().get(api_url(name, pk=dataset.pk)).status_code == 401, name
    versions = api_url("dataset-version-list", dataset_pk=dataset.pk)
    assert token_client(outsider).get(versions).status_code == 404


# --- Preview and profile ------------------------------------------------------------------


def test_preview_pages_and_sorts(project, viewer, owner):
    dataset = factories.make_dataset(project, owner, "Customers")
    client = token_client(viewer)
    url = api_url("dataset-preview", pk=dataset.pk)

    first = client.get(url).json()
    assert (first["version"], first["status"], first["total"], first["offset"], first["limit"]) == (
        1,
        "ready",
        120,
        0,
        50,
    )
    assert [c["name"] for c in first["columns"]] == SAMPLE_COLUMNS
    # customer_id is typed as an identifier, so its values are shown as text.
    assert len(first["rows"]) == 50 and first["rows"][0][0] == "1"

    page = client.get(url, {"offset": 110, "limit": 20}).json()
    assert [int(row[0]) for row in page["rows"]] == list(range(111, 121))
    assert client.get(url, {"offset": 10**12}).json()["rows"] == []
    assert len(client.get(url, {"limit": 500}).json()["rows"]) == 120

    by_age = client.get(url, {"sort": "age", "desc": "true", "limit": 5}).json()
    ages = [row[1] for row in by_age["rows"]]
    assert ages == sorted(ages, reverse=True) and ages[0] == 69
    assert by_age["sort"] == "age" and by_age["descending"] is True


@pytest.mark.parametrize(
    "params, field",
    [
        ({"limit": 501}, "limit"),
        ({"limit": 0}, "limit"),
        ({"offset": -1}, "offset"),
        ({"offset": "abc"}, "offset"),
        ({"limit": "1.5"}, "limit"),
        ({"offset": 10**30}, "offset"),
        ({"sort": "nope"}, "sort"),
        ({"desc": "perhaps"}, "desc"),
        ({"version": 9}, "version"),
        ({"version": "x"}, "version"),
        ({"version": 10**12}, "version"),
    ],
)
def test_bad_preview_parameters_are_400s(project, owner, params, field):
    dataset = factories.make_dataset(project, owner, "Customers")
    response = token_client(owner).get(api_url("dataset-preview", pk=dataset.pk), params)
    assert response.status_code == 400, response.content
    assert field in response.json()


def test_preview_and_profile_of_a_version_not_ready_are_409s(project, owner):
    dataset = factories.make_dataset(project, owner, "Customers", process=False)
    client = token_client(owner)
    for name in ("dataset-preview", "dataset-profile"):
        response = client.get(api_url(name, pk=dataset.pk))
        assert response.status_code == 409
        assert response.json()["status"] == "processing" and "processed" in response.json()["detail"]

    broken = factories.make_dataset(project, owner, "Broken", content="a,b\n1,2\n", process=False)
    broken.latest_version.mark_failed("The file could not be read.")
    response = client.get(api_url("dataset-preview", pk=broken.pk))
    assert response.status_code == 409
    assert response.json()["status"] == "failed" and "could not be read" in response.json()["detail"]


def test_profile(project, viewer, owner):
    dataset = factories.make_dataset(project, owner, "Customers")
    response = token_client(viewer).get(api_url("dataset-profile", pk=dataset.pk))
    assert response.status_code == 200
    profile = response.json()
    assert (profile["version"], profile["status"]) == (1, "ready")
    assert profile["dataset"]["n_rows"] == 120
    assert {c["name"] for c in profile["columns"]} == set(SAMPLE_COLUMNS)
    assert token_client(viewer).get(api_url("dataset-profile", pk=dataset.pk), {"version": 2}).status_code == 400


# --- Schema -------------------------------------------------------------------------------


def test_schema_change_reprocesses_with_the_override(project, editor, owner, viewer):
    dataset = factories.make_dataset(project, owner, "Customers")
    url = api_url("dataset-schema", pk=dataset.pk)
    changes = {"columns": [{"name": "age", "type": "categorical"}, {"name": "plan", "role": "ignore"}]}

    assert token_client(viewer).patch(url, changes, format="json").status_code == 403
    response = token_client(editor).patch(url, changes, format="json")

    assert response.status_code == 202, response.json()
    assert response.json()["status"] == "processing"
    version = process(dataset.pk)
    assert version.status == "ready"
    by_name = {c["name"]: c for c in version.columns}
    assert (by_name["age"]["type"], by_name["age"]["inferred_type"]) == ("categorical", "numeric")
    assert by_name["plan"]["role"] == "ignore"
    shown = token_client(editor).get(api_url("dataset-detail", pk=dataset.pk)).json()
    assert {c["name"]: c["type"] for c in shown["columns"]}["age"] == "categorical"
    profile = token_client(editor).get(api_url("dataset-profile", pk=dataset.pk)).json()
    assert {c["name"]: c["type"] for c in profile["columns"]}["age"] == "categorical"
    unchanged = token_client(editor).patch(url, changes, format="json")
    assert unchanged.status_code == 200 and unchanged.json()["status"] == "ready"


@pytest.mark.parametrize(
    "body, field, text",
    [
        ({"columns": [{"name": "age", "type": "astrology"}]}, "columns", "Unknown type"),
        ({"columns": [{"name": "nope", "role": "feature"}]}, "columns", "no such column"),
        ({"columns": [{"name": "age", "role": "boss"}]}, "columns", "Unknown role"),
        ({"columns": []}, "columns", ""),
        ({"columns": "age"}, "columns", ""),
        ({}, "columns", ""),
        ({"columns": [{"name": "age", "type": "text"}], "version": 7}, "version", "no version 7"),
    ],
)
def test_bad_schema_changes_are_400s(project, owner, body, field, text):
    dataset = factories.make_dataset(project, owner, "Customers")
    response = token_client(owner).patch(api_url("dataset-schema", pk=dataset.pk), body, format="json")
    assert response.status_code == 400, response.content
    assert field in response.json() and text in str(response.json())
    assert latest(dataset.pk).status == "ready"


def test_schema_change_waits_for_a_ready_version(project, owner):
    dataset = factories.make_dataset(project, owner, "Customers", process=False)
    body = {"columns": [{"name": "age", "type": "text"}]}
    response = token_client(owner).patch(api_url("dataset-schema", pk=dataset.pk), body, format="json")
    assert response.status_code == 400 and "version" in response.json()


# --- Versions -----------------------------------------------------------------------------


def test_versions_list_retrieve_and_new_file_version(project, owner, editor, viewer):
    dataset = factories.make_dataset(project, owner, "Customers")
    url = api_url("dataset-version-list", dataset_pk=dataset.pk)
    assert post_file(token_client(viewer), url, "more.csv", "a,b\n1,2\n").status_code == 403

    created = post_file(token_client(editor), url, "more.csv", "a,b\n1,2\n3,4\n", delimiter=",")

    assert created.status_code == 201, created.json()
    new = created.json()
    assert (new["number"], new["status"], new["file_name"], new["read_options"]) == (
        2,
        "processing",
        "more.csv",
        {"delimiter": ","},
    )
    factories.process_now(DatasetVersion.objects.get(dataset=dataset, number=2))
    listed = token_client(viewer).get(url).json()["results"]
    assert [v["number"] for v in listed] == [2, 1]
    detail = token_client(viewer).get(api_url("dataset-version-detail", dataset_pk=dataset.pk, number=2)).json()
    assert (detail["status"], detail["n_rows"], detail["n_columns"], detail["source"]) == ("ready", 2, 2, "upload")
    assert len(detail["sha256"]) == 64 and detail["created_by"] == editor.email
    assert detail["url"].endswith(f"/datasets/{dataset.pk}/versions/2/")
    assert token_client(viewer).get(api_url("dataset-detail", pk=dataset.pk)).json()["n_rows"] == 2
    old = token_client(viewer).get(api_url("dataset-preview", pk=dataset.pk), {"version": 1}).json()
    assert old["total"] == 120
    for number in (3, 10**12, 10**30):
        missing = token_client(viewer).get(f"/api/v1/datasets/{dataset.pk}/versions/{number}/")
        assert missing.status_code == 404 and missing["Content-Type"] == "application/json"


@pytest.fixture
def pg_connection(project, owner):
    from datasets import services

    return services.create_connection(actor=owner, project=project, name="Local PG", url=PG_URL)


def test_new_version_from_sql(project, owner, pg_connection):
    dataset = factories.make_dataset(project, owner, "Customers")
    url = api_url("dataset-version-list", dataset_pk=dataset.pk)
    body = {"connection": pg_connection.pk, "query": "SELECT n AS id, n * 2 AS doubled FROM generate_series(1, 5) n"}
    response = token_client(owner).post(url, body, format="json")
    assert response.status_code == 201, response.json()
    assert (response.json()["source"], response.json()["number"], response.json()["connection"]) == (
        "sql",
        2,
        pg_connection.pk,
    )
    version = process(dataset.pk)
    assert version.status == "ready", version.error
    assert (version.n_rows, [c["name"] for c in version.columns]) == (5, ["id", "doubled"])
    bad = token_client(owner).post(url, {"connection": pg_connection.pk, "query": "DELETE FROM x"}, format="json")
    assert bad.status_code == 400 and "query" in bad.json()
    assert token_client(owner).post(url, {}, format="json").json().keys() == {"connection", "query"}


# --- SQL connections and imports ------------------------------------------------------------


def test_connections_never_show_the_password(project, editor, viewer):
    client = token_client(editor)
    body = {"project": project.pk, "name": "Warehouse", "url": PG_URL_WITH_PASSWORD}
    created = client.post(api_url("sql-connection-list"), body, format="json")

    assert created.status_code == 201, created.json()
    assert created.json()["display_url"] == "postgresql://postgres:***@127.0.0.1:5432/postgres"
    assert "url" not in created.json() and created.json()["dialect"] == "postgresql"
    connection = SqlConnection.objects.get()
    assert SECRET not in connection.encrypted_url
    responses = [
        created,
        token_client(viewer).get(api_url("sql-connection-list")),
        token_client(viewer).get(api_url("sql-connection-list"), {"project": project.pk}),
        token_client(viewer).get(api_url("sql-connection-detail", pk=connection.pk)),
        client.get(api_url("sql-connection-list"), HTTP_ACCEPT="text/html"),
    ]
    for response in responses:
        assert response.status_code == 200 or response.status_code == 201
        assert SECRET not in response.content.decode()
    assert token_client(viewer).get(api_url("sql-connection-list")).json()["count"] == 1


def test_connection_validation(project, owner, viewer, outsider):
    client = token_client(owner)
    url = api_url("sql-connection-list")
    for body, field in [
        ({"project": project.pk, "name": "X", "url": "sqlite:///etc/passwd"}, "url"),
        ({"project": project.pk, "name": "X", "url": ""}, "url"),
        ({"project": project.pk, "name": "  ", "url": PG_URL}, "name"),
        ({"project": project.pk, "url": PG_URL}, "name"),
    ]:
        response = client.post(url, body, format="json")
        assert response.status_code == 400 and field in response.json(), (body, response.json())
    body = {"project": project.pk, "name": "X", "url": PG_URL}
    assert "role does not allow" in token_client(viewer).post(url, body, format="json").json()["project"][0]
    assert "Invalid pk" in token_client(outsider).post(url, body, format="json").json()["project"][0]
    assert not SqlConnection.objects.exists()


def test_testing_connections_against_the_real_database(project, editor, viewer, pg_connection):
    client = token_client(editor)
    ok = client.post(api_url("sql-connection-test-url"), {"project": project.pk, "url": PG_URL}, format="json")
    assert ok.status_code == 200, ok.json()
    assert ok.json()["ok"] is True and ok.json()["message"].startswith("Connected to PostgreSQL")

    wrong_port = PG_URL_WITH_PASSWORD.replace("5432", "1")
    refused = client.post(api_url("sql-connection-test-url"), {"project": project.pk, "url": wrong_port}, format="json")
    assert refused.status_code == 400
    assert "127.0.0.1:1" in refused.json()["url"][0] and SECRET not in refused.content.decode()

    saved = client.post(api_url("sql-connection-test", pk=pg_connection.pk))
    assert saved.status_code == 200 and saved.json()["message"].startswith("Connected to")
    pg_connection.refresh_from_db()
    assert pg_connection.last_tested_at is not None
    assert token_client(viewer).post(api_url("sql-connection-test", pk=pg_connection.pk)).status_code == 403
    blocked = token_client(viewer).post(
        api_url("sql-connection-test-url"), {"project": project.pk, "url": PG_URL}, format="json"
    )
    assert blocked.status_code == 400 and "project" in blocked.json()


def test_delete_connection(project, editor, viewer, outsider, pg_connection):
    url = api_url("sql-connection-detail", pk=pg_connection.pk)
    assert token_client(outsider).delete(url).status_code == 404
    assert token_client(viewer).delete(url).status_code == 403
    assert token_client(editor).delete(url).status_code == 204
    assert not SqlConnection.objects.exists()


def test_import_sql_creates_a_processing_dataset(project, editor, pg_connection):
    body = {"project": project.pk, "name": "From PG", "connection": pg_connection.pk, "query": "SELECT 1 AS one"}
    response = token_client(editor).post(api_url("dataset-import-sql"), body, format="json")
    assert response.status_code == 201, response.json()
    assert (response.json()["status"], response.json()["source"], response.json()["file_name"]) == (
        "processing",
        "sql",
        "Local PG",
    )
    version = process(response.json()["id"])
    assert (version.status, version.n_rows) == ("ready", 1)


def test_import_sql_with_someone_elses_connection_leaks_nothing(workspace, project, owner, outsider, pg_connection):
    from datasets import services

    theirs = outsider.workspaces.get().projects.create(name="Theirs")
    foreign = services.create_connection(actor=outsider, project=theirs, name="Theirs", url=PG_URL)
    client = token_client(owner)

    def attempt(connection_id):
        body = {"project": project.pk, "name": "Sneaky", "connection": connection_id, "query": "SELECT 1"}
        return client.post(api_url("dataset-import-sql"), body, format="json")

    foreign_answer = attempt(foreign.pk)
    missing_answer = attempt(999_999)
    assert foreign_answer.status_code == missing_answer.status_code == 400
    assert "Invalid pk" in foreign_answer.json()["connection"][0]
    assert foreign_answer.json()["connection"][0].replace(str(foreign.pk), "N") == missing_answer.json()["connection"][
        0
    ].replace("999999", "N")
    assert "Theirs" not in foreign_answer.content.decode()

    sibling = factories.make_project(workspace, owner, "Sibling")
    other_project = services.create_connection(actor=owner, project=sibling, name="Sibling PG", url=PG_URL)
    answer = attempt(other_project.pk)
    assert answer.status_code == 400 and "this project" in answer.json()["connection"][0]
    assert not Dataset.objects.filter(name="Sneaky").exists()


# --- Whatever a client sends --------------------------------------------------------------

BAD_VALUES = [None, True, 1.5, -1, 0, 10**30, "", " ", "x" * 100_000, "\x00", [], ["a"], {}, {"a": 1}, [{"a": 1}]]


@pytest.fixture
def writable_urls(project, owner, pg_connection):
    dataset = factories.make_dataset(project, owner, "Customers")
    return [
        ("patch", api_url("dataset-detail", pk=dataset.pk), ["name", "description"]),
        ("patch", api_url("dataset-schema", pk=dataset.pk), ["columns", "version"]),
        ("post", api_url("dataset-import-sql"), ["project", "name", "connection", "query"]),
        ("post", api_url("dataset-version-list", dataset_pk=dataset.pk), ["connection", "query"]),
        ("post", api_url("dataset-list"), ["project", "name", "file"]),
        ("post", api_url("sql-connection-list"), ["project", "name", "url"]),
        ("post", api_url("sql-connection-test-url"), ["project", "url"]),
    ]


def test_wrong_types_and_malformed_bodies_are_400s(owner, writable_urls):
    client = token_client(owner)
    for method, url, fields in writable_urls:
        for body in ['{"name": ', "[1, 2", "null", "[]", '"text"', "1e999999"]:
            response = getattr(client, method)(url, body, content_type="application/json")
            assert response.status_code == 400, (url, body, response.content[:200])
        for field in fields:
            for value in BAD_VALUES:
                response = getattr(client, method)(url, {field: value}, format="json")
                # Some values are valid for some fields (1.5 as a name): never a 5xx.
                assert response.status_code < 500, (method, url, field, value, response.content[:200])
                assert response["Content-Type"] == "application/json"
    assert Dataset.objects.count() == 1 and SqlConnection.objects.count() == 1


# --- The schema and the browsable API ---------------------------------------------------------


def test_openapi_schema_documents_the_dataset_endpoints(db):
    paths = Client().get("/api/schema/", HTTP_ACCEPT="application/json").json()["paths"]
    for path in (
        "/api/v1/datasets/",
        "/api/v1/datasets/{id}/preview/",
        "/api/v1/datasets/{id}/profile/",
        "/api/v1/datasets/{id}/schema/",
        "/api/v1/datasets/import-sql/",
        "/api/v1/datasets/{dataset_pk}/versions/{number}/",
        "/api/v1/sql-connections/{id}/test/",
        "/api/v1/sql-connections/test/",
    ):
        assert path in paths, path
    assert "multipart/form-data" in paths["/api/v1/datasets/"]["post"]["requestBody"]["content"]


def test_browsable_api_and_options_render(project, owner, pg_connection):
    dataset = factories.make_dataset(project, owner, "Customers")
    client = token_client(owner)
    for url in [
        api_url("dataset-list"),
        api_url("dataset-detail", pk=dataset.pk),
        api_url("dataset-preview", pk=dataset.pk),
        api_url("dataset-profile", pk=dataset.pk),
        api_url("dataset-version-list", dataset_pk=dataset.pk),
        api_url("dataset-version-detail", dataset_pk=dataset.pk, number=1),
        api_url("sql-connection-list"),
        api_url("sql-connection-detail", pk=pg_connection.pk),
    ]:
        assert client.get(url, HTTP_ACCEPT="text/html").status_code == 200, url
        assert client.options(url).status_code == 200, url
