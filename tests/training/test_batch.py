"""Batch predictions up to the queue: what is refused at once (and leaves nothing behind), the
pages that start one and follow it, formula neutralising, and the reaper of silent runs.
Scoring on a real worker is in test_batch_worker.py."""

from __future__ import annotations

from datetime import timedelta

import pyarrow as pa
import pytest
from django.utils import timezone

from datasets import storage
from tests import factories
from tests.api.conftest import api_url
from tests.conftest import token_client
from training import batch as batches
from training.batch_run import neutralise
from training.models import BatchPrediction

from . import data
from .test_pages import signed_in

GOOD = data.csv(data.buyers(rows=20, seed=3).drop(columns=["bought"]))


@pytest.fixture
def version(finished_job):
    return finished_job.model_versions.get()


def post(client, **fields):
    return client.post(api_url("batch-prediction-list"), fields, format="multipart")


def stored_files() -> set:
    """Files under the batch predictions' folder (shared by every test: compare before and after)."""
    folder = storage.Path(storage.default_storage.path("predictions"))
    return {path for path in folder.rglob("*") if path.is_file()} if folder.exists() else set()


def nothing_stored(before: set):
    assert not BatchPrediction.objects.exists()
    assert stored_files() == before


@pytest.mark.parametrize(
    "fields, field, words",
    [
        (lambda v: {"model": v.pk}, "file", "one file"),
        (lambda v: {"file": factories.uploaded_file(GOOD, "a.csv")}, "model", "either a model"),
        (
            lambda v: {"model": v.pk, "file": factories.uploaded_file(GOOD), "dataset_version": v.dataset_version.pk},
            "file",
            "one file",
        ),
        (
            lambda v: {"model": v.pk, "file": factories.uploaded_file("customer_id,income\n1,3\n", "a.csv")},
            "file",
            "“plan”",
        ),
        (lambda v: {"model": v.pk, "file": factories.uploaded_file(b"%PDF-1.4 nope", "a.csv")}, "file", "PDF"),
        (
            lambda v: {"model": v.pk, "file": factories.uploaded_file(GOOD), "output_format": "xlsx"},
            "output_format",
            "",
        ),
        (lambda v: {"project": v.project_id, "alias": "staging", "file": factories.uploaded_file(GOOD)}, "alias", ""),
    ],
)
def test_a_request_that_cannot_work_is_refused_at_once_and_stores_nothing(version, viewer, fields, field, words):
    before = stored_files()
    response = post(token_client(viewer), **fields(version))
    assert response.status_code == 400, response.content
    assert words in " ".join(response.json()[field])
    nothing_stored(before)


def test_clusters_are_not_explained(version, owner):
    clusters = factories.make_model_version(version.job, owner, problem_type="clustering")
    response = post(token_client(owner), model=clusters.pk, file=factories.uploaded_file(GOOD), explain="true")
    assert response.status_code == 400 and "not explained" in response.json()["explain"][0]


def test_a_dataset_of_another_project_is_refused(version, owner, workspace):
    other = factories.make_project(workspace, owner, "Other")
    dataset = factories.make_dataset(other, owner, "Elsewhere")
    response = post(token_client(owner), model=version.pk, dataset_version=dataset.latest_version.pk)
    assert response.status_code == 400 and "this model's project" in response.json()["dataset_version"][0]


def test_the_page_starts_a_batch_and_follows_it(version, viewer):
    client = signed_in(viewer)
    page = client.get(f"/models/{version.pk}/batch/")
    assert page.status_code == 200 and b"Score a file" in page.content and b"probability_True" in page.content
    response = client.post(
        f"/models/{version.pk}/batch/", {"file": factories.uploaded_file(GOOD, "march.csv"), "output_format": "csv"}
    )
    created = BatchPrediction.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/predictions/{created.pk}/"
    assert created.source_name == "march.csv" and storage.default_storage.exists(created.source_key)
    detail = client.get(response["Location"])
    # Queued: the status card polls itself until the batch ends.
    assert b"Waiting for a worker" in detail.content and b'hx-trigger="every 1s"' in detail.content
    fragment = client.get(response["Location"], HTTP_HX_REQUEST="true", HTTP_HX_TARGET="batch-status")
    assert fragment.content.strip().startswith(b"<section") and b"<html" not in fragment.content


def test_the_page_shows_why_a_file_was_refused(version, viewer):
    before = stored_files()
    response = signed_in(viewer).post(
        f"/models/{version.pk}/batch/",
        {"file": factories.uploaded_file("customer_id\n1\n", "a.csv"), "output_format": "csv"},
    )
    assert response.status_code == 400 and "the model needs columns" in response.content.decode().lower()
    nothing_stored(before)


def test_a_finished_batch_shows_its_result_or_its_problems(version, viewer, owner):
    done = factories.make_batch(version, owner, content=b"id,prediction\n1,true\n")
    page = signed_in(viewer).get(f"/predictions/{done.pk}/")
    assert b"Download CSV" in page.content and b"hx-trigger" not in page.content
    assert signed_in(viewer).get(f"/predictions/{done.pk}/download/").getvalue() == b"id,prediction\n1,true\n"
    done.status, done.error = BatchPrediction.Status.FAILED, "Some values cannot be used."
    done.problems = [{"row": 4, "column": "income", "message": "Expected a number, got “lots”."}]
    done.save()
    page = signed_in(viewer).get(f"/predictions/{done.pk}/").content.decode()
    assert "Expected a number, got “lots”." in page and ">5<" in page  # rows shown from 1
    assert signed_in(viewer).get(f"/predictions/{done.pk}/download/").status_code == 404


def test_deleting_removes_the_files_but_not_while_running(version, owner, django_capture_on_commit_callbacks):
    done = factories.make_batch(version, owner)
    with django_capture_on_commit_callbacks(execute=True):
        batches.delete(actor=owner, batch=done)
    assert not storage.default_storage.exists(done.result_key)
    running = factories.make_batch(version, owner)
    BatchPrediction.objects.filter(pk=running.pk).update(status=BatchPrediction.Status.RUNNING)
    running.refresh_from_db()
    with pytest.raises(Exception, match="still being made"):
        batches.delete(actor=owner, batch=running)


def test_a_run_whose_worker_went_silent_is_failed(version, owner):
    batch = factories.make_batch(version, owner)
    BatchPrediction.objects.filter(pk=batch.pk).update(
        status=BatchPrediction.Status.RUNNING, heartbeat_at=timezone.now() - timedelta(minutes=11)
    )
    fresh = factories.make_batch(version, owner)
    BatchPrediction.objects.filter(pk=fresh.pk).update(
        status=BatchPrediction.Status.RUNNING, heartbeat_at=timezone.now()
    )
    assert batches.fail_stalled() == 1
    batch.refresh_from_db()
    fresh.refresh_from_db()
    assert batch.status == "failed" and "stopped responding" in batch.error and fresh.status == "running"


def test_text_a_spreadsheet_would_run_gets_an_apostrophe():
    table = pa.table(
        {
            "text": ["=1+2", "+x", "-y", "@SUM(A1)", "\tq", "\rr", "safe", None, "a=b"],
            "number": [-1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0],
        }
    )
    out = neutralise(table)
    assert out.column("text").to_pylist() == ["'=1+2", "'+x", "'-y", "'@SUM(A1)", "'\tq", "'\rr", "safe", None, "a=b"]
    assert out.column("number").to_pylist() == table.column("number").to_pylist()
