"""The training pages: the wizard (with its advice), the job list, a job's live view and
results, its evaluation, comparison, log download, cancelling, and the catalog."""

import json
import re

from django.test import Client
from django.urls import reverse

from training.models import JobEvent, TrainingJob


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_the_wizard_suggests_the_target_and_advises_before_starting(project, editor, buyers):
    page = signed_in(editor).get(reverse("job_create", args=[project.pk]))
    assert page.status_code == 200
    html = page.content.decode()
    assert '<option value="bought" selected>' in html
    assert "Before you start" in html and "Recommended" in html
    assert "Gradient boosting" in html and "fit in the budget" in html


def test_in_a_clustering_project_the_wizard_starts_without_a_target(project, editor, buyers):
    project.problem_type = "clustering"
    project.save(update_fields=["problem_type"])
    html = signed_in(editor).get(reverse("job_create", args=[project.pk])).content.decode()
    target = re.search(r'<select name="target".*?</select>', html, re.S).group(0)
    assert '<option value="" selected>' in target and "bought" in target  # no target, though the data has one
    kind = re.search(r'<select name="problem_type".*?</select>', html, re.S).group(0)
    assert '<option value="clustering" selected>' in kind
    assert "Clustering" in html.split("Before you start", 1)[1]


def test_the_advice_follows_the_choices(project, editor, buyers):
    client = signed_in(editor)
    url = reverse("job_advice", args=[project.pk])
    regression = client.get(
        url, {"dataset": buyers.pk, "target": "income", "time_budget_s": "600"}, HTTP_HX_REQUEST="true"
    )
    assert regression.status_code == 200
    text = regression.content.decode()
    assert "Regression" in text and "RMSE" in text and 'id="family-choices" hx-swap-oob="true"' in text
    clustering = client.get(url, {"dataset": buyers.pk, "target": ""})
    assert "Clustering" in clustering.content.decode()
    bad = client.get(url, {"dataset": buyers.pk, "target": "customer_id"})
    assert "cannot be predicted" in bad.content.decode()


def test_starting_a_job_from_the_wizard_opens_its_page(project, editor, buyers):
    form = {
        "dataset": buyers.pk,
        "target": "bought",
        "problem_type": "auto",
        "metric": "",
        "time_budget_s": "45",
        "validation": "kfold",
        "folds": "4",
        "test_fraction": "0.2",
        "seed": "1",
        "balance": "auto",
        "ensemble": "on",
        "families": ["gradient_boosting", "linear"],
    }
    response = signed_in(editor).post(reverse("job_create", args=[project.pk]), form)
    job = TrainingJob.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("job_detail", args=[job.pk])
    assert (job.time_budget_s, job.options["validation"]["folds"], job.options["families"]) == (
        45,
        4,
        ["gradient_boosting", "linear"],
    )
    page = signed_in(editor).get(response["Location"])
    assert "Waiting for a worker" in page.content.decode() and "Queued:" in page.content.decode()


def test_a_refused_job_shows_why_on_the_form(project, editor, buyers):
    form = {
        "dataset": buyers.pk,
        "target": "plan",
        "problem_type": "regression",
        "time_budget_s": "5",
        "validation": "time",
        "folds": "5",
        "validation_column": "",
        "test_fraction": "0.2",
        "seed": "0",
        "balance": "auto",
    }
    response = signed_in(editor).post(reverse("job_create", args=[project.pk]), form)
    assert response.status_code == 400
    html = response.content.decode()
    assert "Ensure this value is greater than or equal to 10" in html
    assert not TrainingJob.objects.exists()
    form["time_budget_s"] = "60"
    response = signed_in(editor).post(reverse("job_create", args=[project.pk]), form)
    assert "is not numeric; regression needs a numeric target" in response.content.decode()


def test_the_wizard_without_ready_data_says_to_upload_first(project, editor):
    html = signed_in(editor).get(reverse("job_create", args=[project.pk])).content.decode()
    assert "No ready dataset" in html


def test_the_job_list_and_project_page_show_jobs(project, viewer, finished_job):
    client = signed_in(viewer)
    listing = client.get(reverse("job_list", args=[project.pk])).content.decode()
    assert f"#{finished_job.number}" in listing and finished_job.best_trial.name in listing
    assert "Train a model" not in listing  # viewers may not start jobs
    overview = client.get(reverse("project_detail", args=[project.pk])).content.decode()
    assert f"Job #{finished_job.number}" in overview


def test_a_finished_job_page_shows_the_best_model_leaderboard_and_log(finished_job, viewer):
    html = signed_in(viewer).get(reverse("job_detail", args=[finished_job.pk])).content.decode()
    assert "Best model" in html and finished_job.best_trial.name in html
    assert "rows the search never saw" in html
    assert html.count('class="log-line') == JobEvent.objects.filter(job=finished_job).count()
    assert html.count("data-trial=") == finished_job.trials.count()
    assert "Stop &amp; keep best" not in html  # finished: nothing to stop


def test_only_the_kept_model_is_marked_best_once_the_job_ended(finished_job, viewer):
    client = signed_in(viewer)
    html = client.get(reverse("job_detail", args=[finished_job.pk])).content.decode()
    assert html.count("badge-best") == 1
    best_row = re.search(r'<tr class="is-best[^"]*" data-trial="(\d+)"', html)
    assert best_row and int(best_row.group(1)) == finished_job.best_trial.number
    # Stopped with "discard": the top of the board was not kept, so nothing is called best.
    TrainingJob.objects.filter(pk=finished_job.pk).update(status="cancelled", best_trial=None)
    html = client.get(reverse("job_detail", args=[finished_job.pk])).content.decode()
    assert "badge-best" not in html and "is-best" not in html


def test_the_evaluation_page_embeds_the_chart_data(finished_job, viewer):
    html = signed_in(viewer).get(reverse("job_evaluation", args=[finished_job.pk])).content.decode()
    start = html.index('<script id="evaluation-data" type="application/json">') + len(
        '<script id="evaluation-data" type="application/json">'
    )
    payload = json.loads(html[start : html.index("</script>", start)])
    assert payload["evaluation"]["confusion"] and payload["evaluation"]["roc"]
    assert payload["importance"]["permutation"]["rows"]
    for element in (
        "chart-confusion",
        "chart-roc",
        "chart-pr",
        "chart-calibration",
        "threshold-slider",
        "chart-permutation",
    ):
        assert f'id="{element}"' in html


def test_compare_shows_the_chosen_trials_side_by_side(finished_job, viewer):
    numbers = list(finished_job.trials.filter(status="succeeded").values_list("number", flat=True))[:2]
    url = reverse("job_compare", args=[finished_job.pk])
    html = signed_in(viewer).get(url, {"trials": numbers}).content.decode()
    for number in numbers:
        assert f"#{number} " in html
    assert "Per fold" in html and "Every metric, out of fold" in html
    few = signed_in(viewer).get(url, {"trials": numbers[:1]}).content.decode()
    assert "Pick at least two trials" in few


def test_the_log_downloads_as_text(finished_job, viewer):
    response = signed_in(viewer).get(reverse("job_log", args=[finished_job.pk]))
    assert response["Content-Type"].startswith("text/plain")
    assert "attachment" in response["Content-Disposition"]
    lines = response.content.decode().splitlines()
    assert len(lines) == JobEvent.objects.filter(job=finished_job).count()
    assert "Finished in" in lines[-1]


def test_the_polling_fallback_gives_the_same_messages_as_the_socket(finished_job, viewer):
    last = JobEvent.objects.filter(job=finished_job).order_by("id").values_list("id", flat=True)
    body = signed_in(viewer).get(reverse("job_live", args=[finished_job.pk]), {"after": last[1]}).json()
    kinds = [m["type"] for m in body["messages"]]
    assert kinds.count("event") == len(last) - 2
    assert kinds[-3:] == ["progress", "leaderboard", "state"]
    assert body["messages"][-1] == {"type": "state", "status": "succeeded", "finished": True}


def test_cancelling_from_the_page(queued_job, editor):
    response = signed_in(editor).post(reverse("job_cancel", args=[queued_job.pk]), {"mode": "keep"})
    assert response.status_code == 302
    queued_job.refresh_from_db()
    assert queued_job.status == "cancelled"
    again = signed_in(editor).post(reverse("job_cancel", args=[queued_job.pk]), {"mode": "keep"}, follow=True)
    assert "already cancelled" in again.content.decode()


def test_the_catalog_page_filters_by_task_and_family(owner):
    client = signed_in(owner)
    html = client.get(reverse("algorithm_list")).content.decode()
    assert "XGBoost" in html and "k-means" in html
    html = client.get(reverse("algorithm_list"), {"task": "clustering"}).content.decode()
    assert "k-means" in html and "xgboost_classifier" not in html
    html = client.get(reverse("algorithm_list"), {"task": "regression", "family": "centroid"}).content.decode()
    assert "Nothing matches" in html
