"""Starting and cancelling jobs through the services: everything is checked before anything is
queued, with a message per field; nothing is created when something is wrong."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from projects import services as project_services
from projects.models import AuditEvent
from tests import factories
from training import services
from training.models import JobEvent, TrainingJob

from . import data, jobs


def _errors(exc: ValidationError) -> dict:
    return {k: " ".join(m for e in v for m in e.messages) for k, v in exc.error_dict.items()}


def test_a_job_is_queued_with_defaults_from_the_data(project, owner, buyers):
    job = jobs.make_job(project, owner, buyers, options={})
    assert job.status == TrainingJob.Status.QUEUED and job.token
    assert job.problem_type == "classification" and job.metric == "roc_auc"
    assert job.time_budget_s == 20 and job.number == 1
    assert job.dataset_version == buyers.latest_version
    assert job.options["validation"] == {"strategy": "kfold", "folds": 5, "column": ""}
    assert job.estimated_memory > 0
    assert AuditEvent.objects.filter(target_type="trainingjob", target_id=str(job.pk), action="create").exists()
    second = jobs.make_job(project, owner, buyers)
    assert second.number == 2


def test_auto_detection_picks_regression_for_a_continuous_number_and_clustering_without_target(project, owner):
    houses = factories.make_dataset(project, owner, "Houses", content=data.csv(data.prices()), filename="p.csv")
    job = services.create_job(actor=owner, project=project, dataset=houses, target="price")
    assert (job.problem_type, job.metric) == ("regression", "rmse")
    blobs = factories.make_dataset(project, owner, "Blobs", content=data.csv(data.blobs()), filename="b.csv")
    job = services.create_job(actor=owner, project=project, dataset=blobs, target="")
    assert (job.problem_type, job.metric) == ("clustering", "silhouette")


@pytest.mark.parametrize(
    "overrides, field, words",
    [
        ({"target": "nope"}, "target", "no column named"),
        ({"target": "customer_id"}, "target", "cannot be predicted"),
        ({"target": "plan", "problem_type": "regression"}, "target", "not numeric"),
        ({"target": "bought", "problem_type": "clustering"}, "target", "needs no target"),
        ({"metric": "rmse"}, "metric", "not a classification metric"),
        ({"time_budget_s": 5}, "time_budget_s", "between 10"),
        ({"time_budget_s": "soon"}, "time_budget_s", "whole number"),
        ({"options": {"validation": {"strategy": "time", "column": "plan"}}}, "validation", "not a date/time column"),
        ({"options": {"validation": {"strategy": "group"}}}, "validation", "Choose the group column"),
        ({"options": {"validation": {"strategy": "sideways"}}}, "validation", "Unknown validation"),
        ({"options": {"validation": {"folds": 1}}}, "validation", "between 2 and 20"),
        ({"options": {"families": ["centroid"]}}, "families", "Unknown families for classification"),
        ({"options": {"algorithms": ["kmeans"]}}, "algorithms", "Unknown algorithms for classification: kmeans"),
        ({"options": {"seed": -1}}, "seed", "whole number"),
        ({"options": {"test_fraction": 0.9}}, "test_fraction", "from 0 to 0.5"),
        ({"problem_type": "astrology"}, "problem_type", "Choose one of"),
    ],
)
def test_bad_settings_are_refused_with_a_message_on_the_field(project, owner, buyers, overrides, field, words):
    with pytest.raises(ValidationError) as caught:
        jobs.make_job(project, owner, buyers, **overrides)
    assert words in _errors(caught.value)[field]
    assert not TrainingJob.objects.exists()


def test_a_dataset_still_processing_cannot_be_trained_on(project, owner):
    dataset = factories.make_dataset(project, owner, "Later", process=False)
    with pytest.raises(ValidationError) as caught:
        jobs.make_job(project, owner, dataset)
    assert "no ready version" in _errors(caught.value)["dataset"]


def test_a_job_that_cannot_fit_in_memory_is_refused_before_it_starts(project, owner, buyers, settings):
    settings.TRAINING_MEMORY_BYTES = 1024 * 1024
    with pytest.raises(ValidationError) as caught:
        jobs.make_job(project, owner, buyers)
    message = _errors(caught.value)["dataset"]
    assert "would need about" in message and "fewer rows" in message
    assert not TrainingJob.objects.exists()


def test_viewers_and_archived_projects_cannot_start_jobs(project, owner, viewer, buyers):
    with pytest.raises(PermissionDenied):
        jobs.make_job(project, viewer, buyers)
    project_services.set_project_archived(actor=owner, project=project, archived=True)
    with pytest.raises(ValidationError, match="archived"):
        jobs.make_job(project, owner, buyers)


def test_a_dataset_of_another_project_is_refused(workspace, project, owner, buyers):
    other = factories.make_project(workspace, owner, "Other")
    with pytest.raises(ValidationError) as caught:
        jobs.make_job(other, owner, buyers)
    assert "another project" in _errors(caught.value)["dataset"]


def test_cancelling_a_queued_job_ends_it_at_once(queued_job, owner, editor, viewer):
    with pytest.raises(PermissionDenied):
        services.cancel_job(actor=viewer, job=queued_job, mode="keep")
    services.cancel_job(actor=editor, job=queued_job, mode="discard")
    queued_job.refresh_from_db()
    assert queued_job.status == TrainingJob.Status.CANCELLED
    assert queued_job.cancel_requested == "discard"
    with pytest.raises(ValidationError, match="already cancelled"):
        services.cancel_job(actor=owner, job=queued_job, mode="keep")


def test_cancelling_a_running_job_asks_it_to_stop(queued_job, owner):
    assert queued_job.claim(queued_job.token, "test")
    services.cancel_job(actor=owner, job=queued_job, mode="keep")
    queued_job.refresh_from_db()
    assert queued_job.status == TrainingJob.Status.RUNNING and queued_job.cancel_requested == "keep"
    with pytest.raises(ValidationError, match="keep"):
        services.cancel_job(actor=owner, job=queued_job, mode="later")


def test_force_cancel_ends_a_job_that_did_not_stop(queued_job, owner):
    assert queued_job.claim(queued_job.token, "test")
    services.cancel_job(actor=owner, job=queued_job, mode="discard")
    assert services.force_cancel(job_id=queued_job.pk)
    queued_job.refresh_from_db()
    assert queued_job.status == TrainingJob.Status.CANCELLED and "by force" in queued_job.error
    assert JobEvent.objects.filter(job=queued_job, kind="status", message__contains="by force").exists()
    assert not services.force_cancel(job_id=queued_job.pk)  # already finished: nothing to do


def test_a_claim_happens_once_however_often_the_task_is_delivered(queued_job):
    assert queued_job.claim(queued_job.token, "a")
    assert not queued_job.claim(queued_job.token, "b")
    other = TrainingJob.objects.get(pk=queued_job.pk)
    assert not other.claim("not-the-token", "c")


def test_advice_scores_families_and_estimates_time_and_memory(buyers):
    advice = services.advice(version=buyers.latest_version, target="bought", problem_type="auto", budget_s=60)
    assert advice["task"] == "classification" and advice["metric"] == "roc_auc"
    families = {f["family"]: f for f in advice["families"]}
    assert families["gradient_boosting"]["recommended"]
    for family in families.values():
        assert 1 <= family["accuracy"] <= 5 and 1 <= family["speed"] <= 5 and 1 <= family["interpretability"] <= 5
    assert families["linear"]["interpretability"] > families["gradient_boosting"]["interpretability"]
    assert 0 < advice["estimate"]["first_model_s"] < 60 and advice["estimate"]["trials"] >= 1
    assert advice["memory"]["fits"] and advice["n_features"] == 4
