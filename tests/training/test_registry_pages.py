"""The registry's pages: the project's versions, the model card (summary, lineage, inputs,
charts' data, aliases and their history, notes, the snippet), promoting and rolling back from
the page, and the links from the job and project pages."""

from django.test import Client
from django.urls import reverse

from training import registry


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_the_model_card_shows_what_a_user_needs_to_trust_and_use_the_model(finished_job, viewer):
    version = finished_job.model_versions.get()
    client = signed_in(viewer)
    html = client.get(reverse("model_detail", args=[version.pk])).content.decode()
    assert f"Version {version.number}" in html and version.name in html
    assert "Lineage" in html and f"Job #{finished_job.number}" in html and "Buyers v1" in html
    for column in ("income", "plan", "region", "signup_date"):
        assert column in html
    assert '<script id="evaluation-data" type="application/json">' in html and "chart-permutation" in html
    assert version.artifact_sha256 in html  # the snippet checks the hash before loading
    assert version.artifact_format == "skops" and "in skops's format" in html and "joblib" not in html
    assert "Promote to production" not in html and "<textarea" not in html  # a viewer only reads
    listing = client.get(reverse("model_list", args=[finished_job.project_id])).content.decode()
    assert reverse("model_detail", args=[version.pk]) in listing
    job_page = client.get(reverse("job_detail", args=[finished_job.pk])).content.decode()
    assert f"Model version {version.number}" in job_page
    project_page = client.get(reverse("project_detail", args=[finished_job.project_id])).content.decode()
    assert reverse("model_detail", args=[version.pk]) in project_page


def test_promote_and_roll_back_from_the_page(engine_run, project, owner, editor, buyers):
    from tests.training import jobs

    folder, result, _ = engine_run
    v1 = jobs.finish_job(jobs.make_job(project, owner, buyers), result, folder).model_versions.get()
    v2 = jobs.finish_job(jobs.make_job(project, owner, buyers), result, folder).model_versions.get()
    client = signed_in(editor)
    assert "Promote to production" in client.get(reverse("model_detail", args=[v1.pk])).content.decode()
    client.post(reverse("model_alias", args=[v1.pk]), {"alias": "production"})
    page = client.post(reverse("model_alias", args=[v2.pk]), {"alias": "production"}, follow=True).content.decode()
    assert "now points at version 2" in page and "v1 → v2" in page
    back = client.post(reverse("model_alias", args=[v1.pk]), {"alias": "production"}, follow=True).content.decode()
    assert "v2 → v1" in back
    assert v1.alias_names == ["production"] and v2.alias_names == []
    refused = client.post(reverse("model_alias", args=[v1.pk]), {"alias": "no way"}, follow=True).content.decode()
    assert "lower-case letters" in refused
    removed = client.post(reverse("model_alias_remove", args=[v1.pk]), {"alias": "production"}, follow=True)
    assert "removed" in removed.content.decode() and v1.alias_names == []


def test_notes_from_the_page(finished_job, editor, viewer):
    version = finished_job.model_versions.get()
    page = signed_in(editor).post(
        reverse("model_notes", args=[version.pk]), {"notes": "Scores leads weekly.\nNot for pricing."}, follow=True
    )
    assert "Notes saved." in page.content.decode()
    html = signed_in(viewer).get(reverse("model_detail", args=[version.pk])).content.decode()
    assert "Scores leads weekly.\nNot for pricing." in html


def test_registering_again_from_the_job_page(finished_job, editor):
    finished_job.model_versions.all().delete()
    client = signed_in(editor)
    assert "Register as a model version" in client.get(reverse("job_detail", args=[finished_job.pk])).content.decode()
    page = client.post(reverse("job_register", args=[finished_job.pk]), follow=True)
    assert "Registered as version 1." in page.content.decode()
    assert registry.register_job_model(job=finished_job, actor=editor).number == 1


def test_the_prediction_form_predicts_and_explains(finished_job, viewer):
    from training import predict

    predict.clear_cache()
    version = finished_job.model_versions.get()
    client = signed_in(viewer)
    form = client.get(reverse("model_predict", args=[version.pk])).content.decode()
    assert 'name="plan"' in form and '<option value="pro"' in form and 'name="income"' in form
    row = {"income": "80", "plan": "team", "region": "north", "signup_date": "2024-06-01"}
    page = client.post(
        reverse("model_predict", args=[version.pk]), row, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="prediction-result"
    )
    assert page.status_code == 200
    html = page.content.decode()
    assert html.lstrip().startswith('<section class="card" id="prediction-result"')  # the partial only
    assert "Probability of each class" in html and '<script id="explanation-data"' in html
    refused = client.post(reverse("model_predict", args=[version.pk]), {**row, "plan": "gold", "income": "many"})
    assert refused.status_code == 400
    text = refused.content.decode()
    assert "never seen in training" in text and "Expected a number" in text
    assert 'value="many"' in text  # what the user typed stays in the form


def test_a_prediction_no_column_moves_says_so_instead_of_an_empty_chart(finished_job, viewer):
    from training import predict

    version = finished_job.model_versions.get()
    typical = {c["name"]: c.get("typical") for c in version.input_schema}
    answer = predict.predict(version, [typical], explain=True)["explanations"][0]
    assert answer["method"] in ("linear", "occlusion")  # compared with the typical values: all zero
    assert not any(c["contribution"] for c in answer["columns"])
    html = (
        signed_in(viewer)
        .post(
            reverse("model_predict", args=[version.pk]),
            {k: "" if v is None else str(v) for k, v in typical.items()},
            HTTP_HX_REQUEST="true",
            HTTP_HX_TARGET="prediction-result",
        )
        .content.decode()
    )
    assert "No column pushes this prediction" in html and 'id="chart-explanation"' not in html
