"""Registering any leaderboard candidate, with a real Celery worker: the kept model at once, any
other after the worker refitted it on the job's data; the new version predicts and has its own
evaluation. The worker lives for the whole module; each test commits its rows."""

from __future__ import annotations

import time

import pytest
from django.db import transaction

from tests import processes
from tests.api.conftest import api_url
from tests.conftest import token_client
from training import predict
from training.models import CandidateRefit, ModelVersion

from .jobs import finish_job, make_job, ready_buyers
from .test_pages import signed_in

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True, reset_sequences=True)]


@pytest.fixture(scope="module")
def worker(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock(), processes.celery_worker(queues="training", concurrency=1) as proc:
        yield proc


@pytest.fixture
def job(worker, engine_run, project, owner):
    folder, result, _ = engine_run
    predict.clear_cache()
    dataset = ready_buyers(project, owner)
    # Claimed before the commit sends the job's training task: the module's worker, there for the
    # refits on the same queue, then finds the job taken and leaves it.
    with transaction.atomic():
        job = make_job(project, owner, dataset)
        assert job.claim(job.token, "test-worker")
    return finish_job(job, result, folder)


def other_candidate(job):
    return next(
        t
        for t in job.trials.order_by("-score")
        if t.status == "succeeded" and t.phase not in ("baseline", "ensemble") and t.pk != job.best_trial_id
    )


def wait_done(refit_id: int, timeout: float = 90) -> CandidateRefit:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        refit = CandidateRefit.objects.get(pk=refit_id)
        if not refit.is_active:
            return refit
        time.sleep(0.3)
    raise AssertionError(f"Refit {refit_id} is still {CandidateRefit.objects.get(pk=refit_id).status}")


def test_another_candidate_is_refitted_on_the_worker_and_registered(job, editor, viewer):
    candidate = other_candidate(job)
    client = token_client(editor)
    response = client.post(api_url("job-register", pk=job.pk), {"trial": candidate.number}, format="json")
    assert response.status_code == 202, response.content
    assert response.json()["trial"] == candidate.number and response.json()["status"] == "queued"
    # Asking again while it runs gives the same refit, not a second one.
    again = client.post(api_url("job-register", pk=job.pk), {"trial": candidate.number}, format="json")
    assert again.json()["id"] == response.json()["id"]

    refit = wait_done(response.json()["id"])
    assert refit.status == "succeeded", refit.error
    version = refit.version
    assert version.trial_id == candidate.pk and version.name == candidate.name
    assert version.artifact_key != job.artifact_key and version.evaluation_key
    assert version.metrics.get("roc_auc", 0) > 0.5 and version.input_schema
    # It predicts, and its card shows its own evaluation.
    row = {"income": 70.0, "plan": "pro", "region": "north", "signup_date": "2024-03-01"}
    answer = token_client(viewer).post(api_url("model-predict", pk=version.pk), {"rows": [row]}, format="json")
    assert answer.status_code == 200, answer.content
    card = signed_in(viewer).get(f"/models/{version.pk}/")
    assert card.status_code == 200 and candidate.name in card.content.decode()
    # The job's best-model card still leads to the kept model's version, not the newest one.
    kept = ModelVersion.objects.get(job=job, trial=job.best_trial)
    page = signed_in(viewer).get(f"/jobs/{job.pk}/").content.decode()
    assert f'href="/models/{kept.pk}/">Model version {kept.number}</a>' in page
    listed = client.get(api_url("job-refits", pk=job.pk)).json()
    assert listed[0]["model"] == version.pk and listed[0]["status"] == "succeeded"
    # Registered once: asking again returns the version.
    repeat = client.post(api_url("job-register", pk=job.pk), {"trial": candidate.number}, format="json")
    assert repeat.status_code == 200 and repeat.json()["id"] == version.pk


def test_the_kept_model_at_once_and_nonsense_refused(job, editor):
    client = token_client(editor)
    kept = client.post(api_url("job-register", pk=job.pk), {"trial": job.best_trial.number}, format="json")
    assert kept.status_code in (200, 201) and kept.json()["id"] == ModelVersion.objects.get(job=job).pk
    missing = client.post(api_url("job-register", pk=job.pk), {"trial": 999}, format="json")
    assert missing.status_code == 400 and "no candidate #999" in missing.json()["trial"][0]
    baseline = job.trials.get(phase="baseline")
    refused = client.post(api_url("job-register", pk=job.pk), {"trial": baseline.number}, format="json")
    assert refused.status_code == 400 and "did not finish" in refused.json()["trial"][0]
    assert not CandidateRefit.objects.exists()


def test_the_leaderboard_offers_register_buttons_to_editors(job, editor, viewer):
    candidate = other_candidate(job)
    page = signed_in(editor).get(f"/jobs/{job.pk}/").content.decode()
    assert 'form="register-form"' in page and f'value="{candidate.number}"' in page
    assert 'form="register-form"' not in signed_in(viewer).get(f"/jobs/{job.pk}/").content.decode()
    response = signed_in(editor).post(f"/jobs/{job.pk}/register/", {"trial": candidate.number})
    assert response.status_code == 302
    refit = CandidateRefit.objects.get()
    page = signed_in(editor).get(f"/jobs/{job.pk}/").content.decode()
    assert "Candidates being registered" in page
    assert wait_done(refit.pk).status == "succeeded"
