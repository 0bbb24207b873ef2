"""Predicting through a project's aliases: the alias asked for, or the traffic split between the
serving alias and a challenger; the answer and the log say which alias and version answered."""

import pytest
from django.core.exceptions import ValidationError

from monitoring.models import PredictionLog
from tests.api.conftest import api_url
from tests.conftest import token_client
from tests.training import jobs
from training import predict, registry

ROW = {"income": 72.5, "plan": "pro", "region": "north", "signup_date": "2024-03-01"}


@pytest.fixture
def two_versions(engine_run, project, owner, buyers):
    predict.clear_cache()
    folder, result, _ = engine_run
    v1 = jobs.finish_job(jobs.make_job(project, owner, buyers), result, folder).model_versions.get()
    v2 = jobs.finish_job(jobs.make_job(project, owner, buyers), result, folder).model_versions.get()
    registry.set_alias(version=v1, name="production", actor=owner)
    registry.set_alias(version=v2, name="challenger", actor=owner)
    return v1, v2


def test_the_alias_asked_for_answers(two_versions, project, viewer):
    v1, v2 = two_versions
    client = token_client(viewer)
    url = api_url("project-predict-list", project_pk=project.pk)
    default = client.post(url, {"rows": [ROW]}, format="json").json()
    assert (default["alias"], default["model_version"]) == ("production", v1.number)
    asked = client.post(f"{url}?alias=challenger", {"rows": [ROW]}, format="json").json()
    assert (asked["alias"], asked["model_version"]) == ("challenger", v2.number)
    missing = client.post(f"{url}?alias=staging", {"rows": [ROW]}, format="json")
    assert missing.status_code == 400 and "staging" in str(missing.json())
    logged = list(PredictionLog.objects.order_by("id").values_list("alias", "version__number", "source"))
    assert logged == [("production", 1, "project"), ("challenger", 2, "project")]


def test_the_split_sends_the_challenger_its_share(two_versions, project, owner, editor):
    registry.set_traffic_split(
        project=project, alias="production", challenger_alias="challenger", challenger_percent=25, actor=editor
    )
    answered = [registry.route(project, None, draw / 100)[0] for draw in range(100)]
    assert answered.count("challenger") == 25 and answered.count("production") == 75
    client = token_client(owner)
    url = api_url("project-predict-list", project_pk=project.pk)
    seen = {client.post(url, {"rows": [ROW]}, format="json").json()["alias"] for _ in range(40)}
    assert seen == {"production", "challenger"}  # 40 draws at 25 %: both answer (p of not ≈ 1e-5)
    split = client.get(api_url("project-traffic-list", project_pk=project.pk)).json()
    assert (split["alias"], split["challenger_alias"], split["challenger_percent"]) == ("production", "challenger", 25)


@pytest.mark.parametrize(
    "params, field",
    [
        ({"alias": "production", "challenger_alias": "", "challenger_percent": 10}, "challenger_alias"),
        ({"alias": "production", "challenger_alias": "production", "challenger_percent": 10}, "challenger_alias"),
        ({"alias": "Bad Name", "challenger_alias": "", "challenger_percent": 0}, "alias"),
    ],
)
def test_a_split_that_makes_no_sense_is_refused(project, owner, params, field):
    with pytest.raises(ValidationError) as caught:
        registry.set_traffic_split(project=project, actor=owner, **params)
    assert field in caught.value.message_dict
    response = token_client(owner).post(api_url("project-traffic-list", project_pk=project.pk), params, format="json")
    assert response.status_code == 400 and field in response.json()


def test_the_split_is_set_from_the_models_page(two_versions, project, editor):
    from django.test import Client
    from django.urls import reverse

    client = Client()
    client.force_login(editor)
    form = {"alias": "production", "challenger_alias": "challenger", "challenger_percent": "10"}
    page = client.post(reverse("model_traffic", args=[project.pk]), form, follow=True).content.decode()
    assert "Traffic split saved." in page and "except 10 % answered by" in page
    bad = client.post(reverse("model_traffic", args=[project.pk]), {**form, "challenger_percent": "lots"}, follow=True)
    assert "0 to 100" in bad.content.decode()
    assert registry.traffic_split(project).challenger_percent == 10
