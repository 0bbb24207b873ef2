"""The prediction API's fast lane (training/serving.py), through a real uvicorn: bearer-token
predictions by version or by a project's alias, answered in front of Django, give the same
answers and the same refusals as the API views, and an alias moved is followed at once. The
server forgets who may predict at once here (AUTOML_PREDICT_AUTH_CACHE_S=0), so a
revoked token is refused on its next request."""

from __future__ import annotations

import json
import urllib.error
import urllib.request

import pytest

from accounts.models import ApiToken
from tests import factories, processes
from tests.api.conftest import api_url
from tests.conftest import token_client
from training import predict

from .jobs import finish_job, make_job, ready_buyers

pytestmark = pytest.mark.django_db(transaction=True, reset_sequences=True)
ROW = {"income": 72.5, "plan": "pro", "region": "north", "signup_date": "2024-03-01"}


@pytest.fixture(scope="module")
def server(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock(), processes.web_server(env={"AUTOML_PREDICT_AUTH_CACHE_S": "0"}) as url:
        yield url


@pytest.fixture
def version(server, engine_run, project, owner):
    folder, result, _ = engine_run
    predict.clear_cache()
    job = finish_job(make_job(project, owner, ready_buyers(project, owner)), result, folder)
    return job.model_versions.get()


def post(server, path: str, token: str | None, body: bytes) -> tuple[int, dict, dict]:
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    request = urllib.request.Request(server + path, data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request) as response:
            return response.status, json.loads(response.read()), {k.lower(): v for k, v in response.headers.items()}
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"{}"), {k.lower(): v for k, v in error.headers.items()}


def test_the_fast_lane_answers_as_the_api_view_does(server, version, viewer):
    token = factories.make_token(viewer)
    rows = [ROW, {**ROW, "income": 12.0, "plan": "basic", "signup_date": None}]
    path = f"/api/v1/models/{version.pk}/predict/"
    code, body, headers = post(server, path, token, json.dumps({"rows": rows}).encode())
    assert code == 200, body
    assert headers["server-timing"].startswith("app;dur=")
    view = token_client(viewer).post(api_url("model-predict", pk=version.pk), {"rows": rows}, format="json").json()
    assert body["predictions"] == view["predictions"] and body["probabilities"] == view["probabilities"]
    assert body["model_version"] == view["model_version"] == 1


def test_refusals_are_the_api_views(server, version, viewer, outsider, owner, workspace):
    path = f"/api/v1/models/{version.pk}/predict/"
    good = json.dumps({"rows": [ROW]}).encode()
    code, body, headers = post(server, path, "aml_nonsense", good)
    assert (code, body["detail"], headers["www-authenticate"]) == (401, "Invalid token.", "Bearer")
    reader = ApiToken.issue(user=viewer, name="r", scope="read")[1]
    assert post(server, path, reader, good)[:2] == (403, {"detail": "This token is read-only."})
    elsewhere = factories.make_project(workspace, owner, "Elsewhere")
    limited = ApiToken.issue(user=owner, name="l", project=elsewhere)[1]
    assert post(server, path, limited, good)[0] == 404
    assert post(server, path, factories.make_token(outsider), good)[0] == 404
    token = factories.make_token(viewer)
    assert post(server, "/api/v1/models/999999/predict/", token, good)[0] == 404
    assert post(server, path, token, b"{not json")[0] == 400
    code, body, _ = post(server, path, token, json.dumps({"rows": [{**ROW, "plan": "platinum"}]}).encode())
    assert code == 400 and body["rows"][0]["column"] == "plan"
    assert post(server, path, token, b"")[1] == {"rows": ["This field is required."]}
    # Revoked: refused on the next request.
    ApiToken.objects.filter(user=viewer).update(revoked_at="2026-01-01T00:00:00Z")
    assert post(server, path, token, good)[:2] == (401, {"detail": "Token revoked."})


def test_a_project_is_answered_by_its_alias_and_a_promotion_or_rollback_counts_at_once(
    server, version, viewer, owner, outsider, project, engine_run
):
    from training import registry

    folder, result, _ = engine_run
    dataset = version.dataset_version.dataset
    second = finish_job(make_job(project, owner, dataset), result, folder).model_versions.get()
    token = factories.make_token(viewer)
    path = f"/api/v1/projects/{project.pk}/predict/"
    good = json.dumps({"rows": [ROW]}).encode()
    # No alias yet: the view's refusal, word for word.
    view = token_client(viewer).post(
        api_url("project-predict-list", project_pk=project.pk), {"rows": [ROW]}, format="json"
    )
    assert post(server, path, token, good)[:2] == (400, view.json())
    registry.set_alias(version=version, name="production", actor=owner)
    registry.set_alias(version=second, name="staging", actor=owner)
    code, body, headers = post(server, path, token, good)
    assert code == 200 and (body["alias"], body["model_version"]) == ("production", 1)
    assert headers["server-timing"].startswith("app;dur=")
    view = token_client(viewer).post(
        api_url("project-predict-list", project_pk=project.pk), {"rows": [ROW]}, format="json"
    )
    assert body["probabilities"] == view.json()["probabilities"] and view.json()["alias"] == "production"
    assert post(server, path + "?alias=Staging", token, good)[1]["model_version"] == 2
    registry.set_alias(version=second, name="production", actor=owner)  # promoted: the next request
    assert post(server, path, token, good)[1]["model_version"] == 2
    registry.set_alias(version=version, name="production", actor=owner)  # rolled back
    assert post(server, path, token, good)[1]["model_version"] == 1
    assert post(server, path, token, json.dumps({"rows": [{**ROW, "plan": "platinum"}]}).encode())[0] == 400
    assert post(server, path, ApiToken.issue(user=viewer, name="r", scope="read")[1], good)[0] == 403
    assert post(server, path, factories.make_token(outsider), good)[0] == 404
    assert post(server, "/api/v1/projects/999999/predict/", token, good)[0] == 404


def test_connections_the_database_dropped_are_opened_again_without_a_failed_request(server, version, viewer, owner):
    from django.db import connection

    from training import registry

    if connection.vendor != "postgresql":
        pytest.skip("needs a database server that can drop the web server's connections")
    registry.set_alias(version=version, name="production", actor=owner)
    paths = [f"/api/v1/projects/{version.project_id}/predict/", f"/api/v1/models/{version.pk}/predict/"]
    token, good = factories.make_token(viewer), json.dumps({"rows": [ROW]}).encode()
    for _ in range(8):  # every thread of the server's pool has its connection open
        assert all(post(server, path, token, good)[0] == 200 for path in paths)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        assert cursor.fetchone()[0] >= 1
    codes = [post(server, path, token, good)[0] for _ in range(8) for path in paths]
    assert codes == [200] * 16
