"""Predicting through the API with a real trained model: predictions and probabilities, each
row's explanation, and bad input answered with a 400 that names the row and the column.

The model is loaded in this process (as the web server does). Tests that fork children running
OpenMP (tests/training/engine) run before this module, so they never inherit its thread pool."""

import pytest

from tests.api.conftest import api_url
from tests.conftest import token_client
from training import predict

ROW = {"income": 72.5, "plan": "pro", "region": "north", "signup_date": "2024-03-01"}


@pytest.fixture
def version(finished_job):
    predict.clear_cache()
    return finished_job.model_versions.get()


def test_predict_gives_a_class_and_probabilities_per_row(version, viewer):
    rows = [ROW, {**ROW, "income": 12.0, "plan": "basic", "signup_date": None}]
    response = token_client(viewer).post(api_url("model-predict", pk=version.pk), {"rows": rows}, format="json")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["model_version"] == 1 and body["model_id"] == version.pk
    assert len(body["predictions"]) == 2 and set(body["predictions"]) <= {True, False}
    for probabilities in body["probabilities"]:
        assert set(probabilities) == {"False", "True"} and sum(probabilities.values()) == pytest.approx(1, abs=1e-5)
    # A richer, pro customer is likelier to buy than a poor, basic one (what the data says).
    assert body["probabilities"][0]["True"] > body["probabilities"][1]["True"]
    assert "explanations" not in body


def test_answers_come_from_the_compiled_model_and_equal_its_pipelines(version, viewer):
    rows = [ROW, {**ROW, "income": None, "plan": "team", "region": "west"}, dict.fromkeys(ROW)]
    response = token_client(viewer).post(api_url("model-predict", pk=version.pk), {"rows": rows}, format="json")
    assert response.status_code == 200, response.content
    entry = predict.served(version)
    assert entry.compiled is not None  # a model of the catalog's is served by its compiled form
    proba = entry.model.predict_proba(entry.checker.frame(rows))  # the saved pipeline, through pandas
    keys = [str(c) for c in entry.model.classes]
    assert response.json()["probabilities"] == [
        {k: round(float(p), 6) for k, p in zip(keys, row, strict=True)} for row in proba
    ]


def test_an_explanation_says_how_each_column_pushed_the_prediction(version, viewer):
    response = token_client(viewer).post(
        api_url("model-predict", pk=version.pk), {"rows": [ROW], "explain": True}, format="json"
    )
    assert response.status_code == 200, response.content
    (explanation,) = response.json()["explanations"]
    assert explanation["class"] is True  # the positive class of a two-class model
    # Exact on the score for a single linear or boosted model; otherwise on the probability.
    scales = {"occlusion": "probability", "linear": "score", "tree": "score"}
    assert scales[explanation["method"]] == explanation["scale"]
    assert explanation["output"] == pytest.approx(response.json()["probabilities"][0]["True"], abs=1e-6)
    columns = [c["column"] for c in explanation["columns"]]
    assert sorted(columns) == ["income", "plan", "region", "signup_date"]
    pushes = [abs(c["contribution"]) for c in explanation["columns"]]
    assert pushes == sorted(pushes, reverse=True) and pushes[0] > 0


@pytest.mark.parametrize(
    "rows, column, words",
    [
        ([{k: v for k, v in ROW.items() if k != "plan"}], "plan", "missing"),
        ([{**ROW, "income": "lots"}], "income", "Expected a number"),
        ([{**ROW, "income": True}], "income", "Expected a number"),
        ([{**ROW, "plan": "platinum"}], "plan", "never seen in training"),
        ([{**ROW, "signup_date": "yesterday-ish"}], "signup_date", "Expected a date"),
        ([{**ROW, "region": ["north"]}], "region", "single value"),
        (["not a row"], "", "object of column names"),
    ],
)
def test_bad_rows_get_a_400_naming_the_row_and_column(version, viewer, rows, column, words):
    response = token_client(viewer).post(api_url("model-predict", pk=version.pk), {"rows": [ROW, *rows]}, format="json")
    assert response.status_code == 400, response.content
    (problem,) = response.json()["rows"]
    assert problem["row"] == 1 and problem["column"] == column and words in problem["message"]


def test_the_request_itself_must_make_sense(version, viewer, settings):
    client = token_client(viewer)
    url = api_url("model-predict", pk=version.pk)
    assert client.post(url, {"rows": []}, format="json").status_code == 400
    assert client.post(url, {"rows": "all of them"}, format="json").status_code == 400
    assert client.post(url, {}, format="json").status_code == 400
    settings.PREDICT_MAX_ROWS = 3
    many = client.post(url, {"rows": [ROW] * 4}, format="json")
    assert many.status_code == 400 and "At most 3 rows" in str(many.json())


def test_a_changed_artifact_is_refused_not_loaded(version, viewer):
    from datasets import storage

    path = storage.local_path(version.artifact_key)
    blob = bytearray(path.read_bytes())
    blob[-10] ^= 0xFF
    path.write_bytes(bytes(blob))
    response = token_client(viewer).post(api_url("model-predict", pk=version.pk), {"rows": [ROW]}, format="json")
    assert response.status_code == 409 and "does not match" in response.json()["detail"]


def test_each_answered_request_is_logged_for_monitoring(version, viewer, settings):
    from monitoring.models import PredictionLog

    client = token_client(viewer)
    url = api_url("model-predict", pk=version.pk)
    assert client.post(url, {"rows": [ROW, ROW]}, format="json").status_code == 200
    (entry,) = PredictionLog.objects.all()
    assert (entry.version, entry.project, entry.source, entry.rows, entry.actor) == (
        version,
        version.project,
        "api",
        2,
        viewer,
    )
    assert entry.inputs == [ROW, ROW] and len(entry.outputs["predictions"]) == 2 and entry.latency_ms > 0
    assert client.post(url, {"rows": [{"income": 1}]}, format="json").status_code == 400
    assert PredictionLog.objects.count() == 1  # refused requests are not predictions
    settings.PREDICTION_LOG_SAMPLE = 0
    assert client.post(url, {"rows": [ROW]}, format="json").status_code == 200
    assert PredictionLog.objects.count() == 1


def test_concurrent_requests_load_the_model_once_and_agree(version, settings, monkeypatch):
    from concurrent.futures import ThreadPoolExecutor

    settings.PREDICTION_LOG_SAMPLE = 0  # threads have no view of this test's transaction
    loads = []
    real_load = predict.load
    monkeypatch.setattr(predict, "load", lambda *a, **k: loads.append(1) or real_load(*a, **k))
    rows = [{**ROW, "income": float(i)} for i in range(20)]
    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(lambda i: predict.predict(version, rows[i % 20 : i % 20 + 1]), range(64)))
    assert len(loads) == 1
    serial = predict.predict(version, rows)
    for i, answer in enumerate(answers):
        assert answer["probabilities"][0] == serial["probabilities"][i % 20]
