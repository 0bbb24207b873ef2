"""Explanations of a saved model and clustering scores: permutation importance finds the column
that matters, measures the likeliest columns first and says when time cut it short; learning
curves name their member; rows called noise do not flatter a clustering's scores."""

import numpy as np
import pandas as pd
import pytest

from training.automl import explain, fork
from training.automl.data import prepare
from training.automl.metrics import METRICS
from training.automl.model import TrainedModel
from training.automl.work import Candidate, SearchData, build_pipeline, fit_rows


def _model_and_rows(key: str = "logistic_regression", columns: int = 12, rows: int = 600):
    """A model fitted on `columns` numeric inputs where only `signal` decides the class."""
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({f"noise_{i}": rng.normal(size=rows) for i in range(columns - 1)})
    frame["signal"] = rng.normal(size=rows)
    y = pd.Series(np.where(frame["signal"] + 0.2 * rng.normal(size=rows) > 0, "yes", "no"))
    prepared = prepare(frame, y, task="classification", column_types=dict.fromkeys(frame.columns, "numeric"))
    data = SearchData(prepared.X, prepared.y, "classification", prepared.features, 2)
    candidate = Candidate(key, {})
    pipeline = fit_rows(build_pipeline(candidate, data, n_rows=rows), candidate, data, np.arange(rows))
    model = TrainedModel(task="classification", features=prepared.features, members=[(pipeline, 1.0)], classes=[0, 1])
    return model, prepared.X, prepared.y


def _importance(time_limit: float, order=None) -> dict:
    model, X, y = _model_and_rows()
    return explain.permutation_importance(model, X, y, METRICS["roc_auc"], time_limit=time_limit, order=order)


def _curves():
    model, X, y = _model_and_rows("xgboost_classifier", columns=4, rows=300)
    return explain.learning_curves(model, (X, y), (X.iloc[:100], y[:100]), METRICS["roc_auc"])


def test_permutation_importance_ranks_the_deciding_column_first_and_measures_every_column():
    outcome = fork.run_one(_importance, 60.0, cap=120)
    assert outcome.ok, outcome.error
    result = outcome.value
    assert result["complete"] and result["columns"] == 12 and len(result["rows"]) == 12
    first, *rest = result["rows"]
    assert first["feature"] == "signal" and first["importance"] > 0.2
    assert all(abs(row["importance"]) < 0.05 for row in rest)


def test_permutation_importance_cut_short_by_time_says_so():
    outcome = fork.run_one(_importance, 0.0, ["signal"], cap=120)
    assert outcome.ok, outcome.error
    result = outcome.value
    assert result["complete"] is False and result["columns"] == 12
    assert len(result["rows"]) < 12


def test_learning_curves_say_which_member_they_belong_to():
    outcome = fork.run_one(_curves, cap=120)
    assert outcome.ok, outcome.error
    (curve,) = outcome.value
    assert curve["member"] == 0
    assert len(curve["rounds"]) == len(curve["train"]) == len(curve["holdout"]) > 1


def _cluster_scores_with_the_hard_rows_as_noise():
    from sklearn.cluster import KMeans
    from sklearn.datasets import make_blobs
    from sklearn.metrics import silhouette_samples

    from training.automl.metrics import cluster_scores

    X, _ = make_blobs(600, centers=3, cluster_std=2.0, random_state=0)
    labels = KMeans(3, n_init=10, random_state=0).fit_predict(X)
    hardest = np.argsort(silhouette_samples(X, labels))[: int(0.4 * len(labels))]
    noisy = labels.copy()
    noisy[hardest] = -1
    return cluster_scores(X, labels), cluster_scores(X, noisy)


def test_calling_the_hard_rows_noise_gains_nothing_over_clustering_them():
    outcome = fork.run_one(_cluster_scores_with_the_hard_rows_as_noise, cap=120)
    assert outcome.ok, outcome.error
    everyone, noisy = outcome.value
    assert noisy == pytest.approx(everyone, rel=0.02)


def _row_explanations(key: str):
    from training.automl.explain_row import contributions
    from training.automl.schema import input_schema

    model, X, y = _model_and_rows(key, columns=4, rows=400)
    schema = input_schema(X, model.features)
    rows = X.iloc[:5].reset_index(drop=True)
    pipeline = model.members[0][0]
    matrix = pipeline.named_steps["prep"].transform(model.prepare(rows))
    estimator = pipeline.named_steps["model"]
    if hasattr(estimator, "decision_function"):
        typical = pd.DataFrame([{c["name"]: c["typical"] for c in schema}])
        typical_matrix = pipeline.named_steps["prep"].transform(model.prepare(typical))
        expected = estimator.decision_function(matrix) - estimator.decision_function(typical_matrix)[0]
    else:
        import xgboost

        booster = estimator.model_.get_booster()
        margin = booster.predict(xgboost.DMatrix(np.asarray(matrix)), output_margin=True)
        bias = booster.predict(xgboost.DMatrix(np.asarray(matrix)), pred_contribs=True)[:, -1]
        expected = margin - bias
    return contributions(model, rows, schema), list(expected)


@pytest.mark.parametrize("key, method", [("logistic_regression", "linear"), ("xgboost_classifier", "tree")])
def test_single_models_are_explained_exactly_on_their_score(key, method):
    outcome = fork.run_one(_row_explanations, key, cap=120)
    assert outcome.ok, outcome.error
    explanations, expected = outcome.value
    for explanation, total in zip(explanations, expected, strict=True):
        assert (explanation["method"], explanation["scale"]) == (method, "score")
        assert sum(c["contribution"] for c in explanation["columns"]) == pytest.approx(total, abs=1e-4)
        assert explanation["columns"][0]["column"] == "signal"  # the column that decides, first
