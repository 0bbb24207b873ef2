"""The registry API: list and read versions, notes, aliases (promote, roll back, remove),
the artifact download, and registering a job's model. Bad input is a 400 naming the field."""

import hashlib

from tests.api.conftest import api_url
from tests.conftest import token_client


def test_read_a_version_and_find_it_by_project_and_alias(finished_job, owner, viewer):
    version = finished_job.model_versions.get()
    client = token_client(viewer)
    body = client.get(api_url("model-detail", pk=version.pk)).json()
    assert body["version"] == 1 and body["job"] == finished_job.pk and body["aliases"] == []
    assert body["artifact_sha256"] == finished_job.artifact_sha256 and body["metric"] == "roc_auc"
    assert {c["name"] for c in body["input_schema"]} == {"income", "plan", "region", "signup_date"}
    assert body["output_schema"]["kind"] == "classes"
    listed = client.get(api_url("model-list"), {"project": finished_job.project_id}).json()
    assert [m["id"] for m in listed["results"]] == [version.pk]
    owner_client = token_client(owner)
    assert owner_client.post(api_url("model-aliases", pk=version.pk), {"alias": "production"}).status_code == 200
    by_alias = client.get(api_url("model-list"), {"alias": "production"}).json()["results"]
    assert [m["id"] for m in by_alias] == [version.pk] and by_alias[0]["aliases"] == ["production"]
    assert client.get(api_url("model-list"), {"alias": "staging"}).json()["results"] == []


def test_aliases_and_notes_through_the_api(finished_job, editor):
    version = finished_job.model_versions.get()
    client = token_client(editor)
    set_alias = client.post(api_url("model-aliases", pk=version.pk), {"alias": "staging"}, format="json")
    assert set_alias.status_code == 200 and set_alias.json()["aliases"] == ["staging"]
    bad = client.post(api_url("model-aliases", pk=version.pk), {"alias": "Not OK!"}, format="json")
    assert bad.status_code == 400 and "alias" in bad.json()
    missing = client.delete(api_url("model-remove-alias", pk=version.pk, alias="production"))
    assert missing.status_code == 400 and "does not point" in str(missing.json())
    assert client.delete(api_url("model-remove-alias", pk=version.pk, alias="staging")).status_code == 204
    notes = client.patch(api_url("model-detail", pk=version.pk), {"notes": "Weekly churn scoring."}, format="json")
    assert notes.status_code == 200 and notes.json()["notes"] == "Weekly churn scoring."
    too_long = client.patch(api_url("model-detail", pk=version.pk), {"notes": "x" * 20_001}, format="json")
    assert too_long.status_code == 400 and "notes" in too_long.json()


def test_the_artifact_downloads_as_stored(finished_job, viewer):
    version = finished_job.model_versions.get()
    response = token_client(viewer).get(api_url("model-download", pk=version.pk))
    assert response.status_code == 200
    content = b"".join(response.streaming_content)
    assert hashlib.sha256(content).hexdigest() == version.artifact_sha256
    assert version.artifact_format == "skops"
    assert f'filename="project-{version.project_id}-model-v1.skops"' in response["Content-Disposition"]


def test_registering_a_job_model_through_the_api(finished_job, queued_job, editor):
    client = token_client(editor)
    again = client.post(api_url("job-register", pk=finished_job.pk))
    assert again.status_code == 200 and again.json()["version"] == 1  # the worker registered it already
    finished_job.model_versions.all().delete()
    fresh = client.post(api_url("job-register", pk=finished_job.pk))
    assert fresh.status_code == 201 and fresh.json()["version"] == 1
    nothing = client.post(api_url("job-register", pk=queued_job.pk))
    assert nothing.status_code == 400 and "no model" in str(nothing.json())
