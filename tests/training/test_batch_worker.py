"""Batch predictions with the real parts: a file sent to the API is scored by a real Celery
worker; the result is downloaded and compared with the same rows predicted through the REST
API; bad values fail the batch with their rows; a dataset of the project can be scored too.

The worker lives for the whole module; each test commits its rows (`transaction=True`)."""

from __future__ import annotations

import csv
import io
import time

import pyarrow.parquet as pq
import pytest

from datasets import storage
from monitoring.models import PredictionLog
from tests import processes
from tests.api.conftest import api_url
from tests.conftest import token_client
from tests.factories import uploaded_file
from training import predict
from training.models import BatchPrediction

from . import data
from .jobs import finish_job, make_job, ready_buyers

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True, reset_sequences=True)]


@pytest.fixture(scope="module")
def worker(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock(), processes.celery_worker(queues="default", concurrency=1) as proc:
        yield proc


@pytest.fixture
def version(worker, engine_run, project, owner):
    folder, result, _ = engine_run
    dataset = ready_buyers(project, owner)
    job = finish_job(make_job(project, owner, dataset), result, folder)
    predict.clear_cache()
    return job.model_versions.get()


def wait_done(batch_id: int, timeout: float = 60) -> BatchPrediction:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        batch = BatchPrediction.objects.get(pk=batch_id)
        if not batch.is_active:
            return batch
        time.sleep(0.2)
    raise AssertionError(f"Batch {batch_id} is still {BatchPrediction.objects.get(pk=batch_id).status}")


def new_rows(n: int = 150):
    """Fresh customers (another seed), with their id and a note column the model does not use."""
    frame = data.buyers(rows=n, seed=7).drop(columns=["bought"])
    frame["note"] = ['=HYPERLINK("http://x")' if i % 50 == 0 else f"note {i}" for i in range(n)]
    return frame


def send(client, version, content: bytes, name: str = "new.csv", **fields):
    return client.post(
        api_url("batch-prediction-list"),
        {"model": version.pk, "file": uploaded_file(content, name), **fields},
        format="multipart",
    )


def test_a_file_is_scored_on_the_worker_like_the_api_scores_each_row(version, viewer):
    frame = new_rows()
    client = token_client(viewer)
    response = send(client, version, frame.to_csv(index=False).encode())
    assert response.status_code == 202, response.content
    body = response.json()
    assert body["status"] == "queued" and body["model_version"] == 1 and body["download_url"] is None

    batch = wait_done(body["id"])
    assert batch.status == "succeeded", batch.error
    assert batch.rows == len(frame) and batch.progress == 100
    shown = client.get(api_url("batch-prediction-detail", pk=batch.pk)).json()
    download = client.get(shown["download_url"])
    assert download.status_code == 200
    assert "new-predictions-v1.csv" in download["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(b"".join(download.streaming_content).decode())))

    # Every input column comes back, in the file's order, then the predictions.
    assert list(rows[0])[: len(frame.columns)] == list(frame.columns)
    assert [int(r["customer_id"]) for r in rows] == frame["customer_id"].tolist()
    assert {"prediction", "probability_False", "probability_True"} <= set(rows[0])
    # The same numbers as the REST API for the same rows.
    api_rows = [
        {k: (None if v != v else v) for k, v in row.items() if k in ("income", "plan", "region", "signup_date")}
        for row in frame.to_dict("records")[:20]
    ]
    answer = client.post(api_url("model-predict", pk=version.pk), {"rows": api_rows}, format="json").json()
    for row, expected, probabilities in zip(rows, answer["predictions"], answer["probabilities"], strict=False):
        assert row["prediction"] == str(expected).lower()  # CSV booleans are true/false
        assert float(row["probability_True"]) == pytest.approx(probabilities["True"], abs=1e-6)
    # A formula in a text cell reaches a spreadsheet as text.
    assert rows[0]["note"] == '\'=HYPERLINK("http://x")' and rows[1]["note"] == "note 1"
    # The prediction log has the batch: every row counted, a sample of them kept.
    logged = PredictionLog.objects.get(source="batch")
    assert logged.rows == len(frame) and logged.version_id == version.pk and len(logged.inputs) == len(frame)


def test_parquet_with_explanations_gives_each_columns_push(version, viewer):
    frame = new_rows(40)
    client = token_client(viewer)
    response = send(client, version, frame.to_csv(index=False).encode(), output_format="parquet", explain="true")
    assert response.status_code == 202, response.content
    batch = wait_done(response.json()["id"])
    assert batch.status == "succeeded", batch.error
    table = pq.read_table(storage.local_path(batch.result_key)).to_pandas()
    assert len(table) == 40
    contribution_columns = [f"contribution_{c}" for c in ("income", "plan", "region", "signup_date")]
    assert set(contribution_columns) <= set(table.columns) and "explained_class" in table.columns
    first = {k: (None if v != v else v) for k, v in frame.iloc[0].to_dict().items()}
    rows = [{k: first[k] for k in ("income", "plan", "region", "signup_date")}]
    answer = client.post(api_url("model-predict", pk=version.pk), {"rows": rows, "explain": True}, format="json").json()
    pushes = {c["column"]: c["contribution"] for c in answer["explanations"][0]["columns"]}
    for column in ("income", "plan", "region", "signup_date"):
        assert table[f"contribution_{column}"].iloc[0] == pytest.approx(pushes[column], abs=1e-6)


def test_values_the_model_cannot_use_fail_the_batch_naming_rows_and_nothing_is_kept(version, viewer):
    frame = new_rows(30).astype({"income": object})
    frame.loc[2, "income"] = "lots"
    frame.loc[5, "plan"] = "platinum"
    response = send(token_client(viewer), version, frame.to_csv(index=False).encode())
    assert response.status_code == 202, response.content
    batch = wait_done(response.json()["id"])
    assert batch.status == "failed"
    assert "row 3" in batch.error and "income" in batch.error
    problems = {(p["row"], p["column"]) for p in batch.problems}
    assert problems == {(2, "income"), (5, "plan")}
    assert batch.result_key == "" and not storage.default_storage.exists(f"{batch.storage_prefix}predictions.csv")
    download = token_client(viewer).get(api_url("batch-prediction-download", pk=batch.pk))
    assert download.status_code == 409


def test_a_dataset_of_the_project_can_be_scored_through_an_alias(version, owner, viewer):
    token_client(owner).post(api_url("model-aliases", pk=version.pk), {"alias": "production"}, format="json")
    dataset_version = version.dataset_version
    response = token_client(viewer).post(
        api_url("batch-prediction-list"),
        {"project": version.project_id, "alias": "production", "dataset_version": dataset_version.pk},
        format="multipart",
    )
    assert response.status_code == 202, response.content
    assert response.json()["alias"] == "production"
    batch = wait_done(response.json()["id"])
    assert batch.status == "succeeded", batch.error
    assert batch.rows == dataset_version.n_rows
    # The dataset's own file is not the batch's to delete.
    token_client(owner).delete(api_url("batch-prediction-detail", pk=batch.pk))
    assert storage.default_storage.exists(dataset_version.parquet_key)
    assert not BatchPrediction.objects.filter(pk=batch.pk).exists()
