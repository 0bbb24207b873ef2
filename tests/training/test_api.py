"""The training API: start, list, read, cancel, events, trials, evaluation, advice, catalog.
Bad input gets a 4xx with a message per field, never a 500."""

import pytest

from tests.api.conftest import api_url
from tests.conftest import token_client
from training.models import JobEvent, TrainingJob


def test_start_a_job_and_read_it_back(project, owner, buyers):
    client = token_client(owner)
    body = {
        "project": project.pk,
        "dataset": buyers.pk,
        "target": "bought",
        "time_budget_s": 30,
        "seed": 7,
        "validation": {"strategy": "kfold", "folds": 3},
        "families": ["gradient_boosting", "linear"],
    }
    response = client.post(api_url("job-list"), body, format="json")
    assert response.status_code == 201, response.content
    job = response.json()
    for field in (
        "id",
        "project",
        "dataset",
        "status",
        "progress",
        "leaderboard",
        "best_model",
        "error",
        "started_at",
        "finished_at",
    ):
        assert field in job
    assert (job["status"], job["progress"], job["leaderboard"], job["best_model"]) == ("queued", 0, [], None)
    assert job["options"]["seed"] == 7 and job["options"]["validation"]["folds"] == 3
    assert job["metric"] == "roc_auc" and job["problem_type"] == "classification"
    listed = client.get(api_url("job-list"), {"project": project.pk}).json()
    assert [j["id"] for j in listed["results"]] == [job["id"]]
    assert client.get(api_url("job-detail", pk=job["id"])).json()["id"] == job["id"]


def test_options_may_be_nested_as_the_job_shows_them(project, owner, buyers):
    body = {
        "project": project.pk,
        "dataset": buyers.pk,
        "target": "bought",
        "options": {"validation": {"strategy": "holdout"}, "families": ["linear"], "seed": 7, "ensemble": False},
    }
    response = token_client(owner).post(api_url("job-list"), body, format="json")
    assert response.status_code == 201, response.content
    options = response.json()["options"]
    assert options["validation"]["strategy"] == "holdout"
    assert (options["families"], options["seed"], options["ensemble"]) == (["linear"], 7, False)


def test_a_finished_job_has_its_leaderboard_best_model_and_evaluation(finished_job, owner):
    client = token_client(owner)
    job = client.get(api_url("job-detail", pk=finished_job.pk)).json()
    assert job["status"] == "succeeded" and job["progress"] == 100
    board = job["leaderboard"]
    assert board and {"name", "score", "metric"} <= set(board[0])
    assert board == sorted(board, key=lambda row: -row["score"])  # ROC AUC: higher first
    best = job["best_model"]
    assert best["trial"] == finished_job.best_trial.number and best["metric"] == "roc_auc"
    assert best["holdout"]["roc_auc"] is not None and len(best["artifact_sha256"]) == 64
    evaluation = client.get(api_url("job-evaluation", pk=finished_job.pk)).json()
    assert evaluation["evaluation"]["kind"] == "classification" and "threshold" in evaluation["evaluation"]
    trials = client.get(api_url("job-trials", pk=finished_job.pk)).json()
    assert [t["number"] for t in trials] == sorted(t["number"] for t in trials)
    assert {"params", "fold_scores", "metrics", "fit_time", "predict_time", "status", "error"} <= set(trials[0])


def test_events_are_read_after_an_id(finished_job, owner):
    client = token_client(owner)
    first = client.get(api_url("job-events", pk=finished_job.pk), {"limit": 2}).json()
    assert len(first["events"]) == 2 and first["finished"]
    rest = client.get(api_url("job-events", pk=finished_job.pk), {"after": first["last_id"]}).json()
    ids = [e["id"] for e in first["events"] + rest["events"]]
    assert ids == sorted(ids) and len(ids) == JobEvent.objects.filter(job=finished_job).count()
    nothing = client.get(api_url("job-events", pk=finished_job.pk), {"after": rest["last_id"]}).json()
    assert nothing["events"] == [] and nothing["last_id"] == rest["last_id"]


def test_cancel_a_queued_job(queued_job, editor):
    response = token_client(editor).post(api_url("job-cancel", pk=queued_job.pk), {"mode": "discard"}, format="json")
    assert response.status_code == 200
    assert response.json()["status"] == "cancelled"
    again = token_client(editor).post(api_url("job-cancel", pk=queued_job.pk), {}, format="json")
    assert again.status_code == 400 and "already cancelled" in str(again.json())


def test_the_evaluation_of_an_unfinished_job_is_a_409(queued_job, owner):
    response = token_client(owner).get(api_url("job-evaluation", pk=queued_job.pk))
    assert response.status_code == 409 and "no results yet" in response.json()["detail"]


@pytest.mark.parametrize(
    "body, field",
    [
        ({}, "project"),
        ({"dataset": 10**30}, "dataset"),
        ({"target": "nope"}, "target"),
        ({"time_budget_s": 1}, "time_budget_s"),
        ({"time_budget_s": 10**7}, "time_budget_s"),
        ({"metric": "rmse"}, "metric"),
        ({"metric": "vibes"}, "metric"),
        ({"validation": {"strategy": "time"}}, "validation"),
        ({"validation": "kfold"}, "validation"),
        ({"families": "linear"}, "families"),
        ({"families": ["astrology"]}, "families"),
        ({"dataset_version": 99}, "dataset_version"),
        ({"seed": -3}, "seed"),
        ({"problem_type": 5}, "problem_type"),
        ({"target": "x\x00y"}, "target"),
        ({"folds": 3}, "folds"),  # not a field: validation.folds is
        ({"options": "fast"}, "options"),
        ({"options": {"speed": "max"}}, "options"),
        ({"seed": 1, "options": {"seed": 2}}, "options"),
    ],
)
def test_bad_input_gets_a_400_naming_the_field(project, owner, buyers, body, field):
    payload = {"project": project.pk, "dataset": buyers.pk, "target": "bought", **body}
    if "project" not in body and body == {}:
        payload.pop("project")
    response = token_client(owner).post(api_url("job-list"), payload, format="json")
    assert response.status_code == 400, response.content
    assert field in response.json(), response.json()
    assert not TrainingJob.objects.exists()


def test_advice_before_starting(buyers, owner):
    response = token_client(owner).post(
        api_url("job-advice"), {"dataset": buyers.pk, "target": "bought"}, format="json"
    )
    assert response.status_code == 200
    advice = response.json()
    assert advice["task"] == "classification" and advice["families"] and advice["estimate"]["trials"] >= 1


def test_the_catalog_is_listed_filtered_and_described(owner):
    client = token_client(owner)
    everything = client.get(api_url("algorithm-list")).json()
    assert everything["count"] >= 50
    classifiers = client.get(api_url("algorithm-list"), {"task": "classification"}).json()
    assert classifiers["count"] >= 20 and {a["task"] for a in classifiers["results"]} == {"classification"}
    one = client.get(api_url("algorithm-detail", pk="hgb_classifier")).json()
    assert one["family"] == "gradient_boosting" and "learning_rate" in one["search_space"]
    assert client.get(api_url("algorithm-detail", pk="nope")).status_code == 404


def test_the_openapi_schema_documents_the_training_routes(client):
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/json").content.decode()
    for path in ("/api/v1/jobs/", "/api/v1/jobs/{id}/cancel/", "/api/v1/jobs/{id}/events/", "/api/v1/algorithms/"):
        assert path in schema
