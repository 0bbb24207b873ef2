"""The algorithm catalog: big enough, described for people, and every entry really fits and
predicts on a tiny dataset of its task.

Fits run in a forked child (training.automl.fork), as in the engine: the test process must not
start OpenMP's thread pools, which do not survive a fork (see fork.py)."""

import numpy as np
import pandas as pd
import pytest

from training.automl import catalog, fork
from training.automl.catalog.base import FAMILIES, INTERPRETABILITY, SPEEDS
from training.automl.data import prepare
from training.automl.work import Candidate, SearchData, fit_clusters, fit_fold


def test_the_catalog_holds_at_least_20_classifiers_20_regressors_and_6_clustering_methods():
    counts = {task: len(catalog.for_task(task)) for task in ("classification", "regression", "clustering")}
    assert counts["classification"] >= 20
    assert counts["regression"] >= 20
    assert counts["clustering"] >= 6
    assert sum(counts.values()) >= 50


def test_every_entry_describes_itself_with_family_speed_interpretability_and_search_space():
    for algorithm in catalog.CATALOG.values():
        info = algorithm.describe()
        assert info["family"] in FAMILIES, algorithm.key
        assert info["speed"] in SPEEDS
        assert info["interpretability"] in INTERPRETABILITY
        assert info["description"].endswith("."), algorithm.key
        if algorithm.family != "baseline":
            assert info["search_space"], f"{algorithm.key} has nothing to tune"
        for name in info["defaults"]:
            assert isinstance(name, str)


def _tiny(task: str) -> tuple[pd.DataFrame, pd.Series | None, dict]:
    rng = np.random.default_rng(0)
    n = 90
    frame = pd.DataFrame(
        {
            "a": rng.normal(size=n),
            "b": rng.normal(size=n),
            "c": rng.choice(["x", "y", "z"], n),
            "d": pd.to_datetime("2024-01-01") + pd.to_timedelta(rng.integers(0, 300, n), unit="D"),
            "t": rng.choice(["good value", "bad value here", "fine"], n),
        }
    )
    frame.loc[::9, "a"] = np.nan
    types = {"a": "numeric", "b": "numeric", "c": "categorical", "d": "datetime", "t": "text"}
    if task == "classification":
        y = pd.Series(np.where(frame["b"] > 0, "up", np.where(frame["b"] < -0.8, "down", "flat")))
    elif task == "regression":
        y = pd.Series(5 + 2 * frame["b"] + rng.normal(0, 0.1, n) ** 2 + 3)
    else:
        y = None
    return frame, y, types


def _fit_all(task: str) -> dict[str, str]:
    """Child: fit every algorithm of `task` on the tiny data; return key -> problem ("" if fine)."""
    frame, y, types = _tiny(task)
    prepared = prepare(frame, y, task=task, column_types=types)
    data = SearchData(
        prepared.X,
        prepared.y,
        task,
        prepared.features,
        prepared.n_classes,
        positive_target=task == "regression",
    )
    rows = np.arange(len(prepared.X))
    train, valid = rows[:70], rows[70:]
    problems = {}
    for algorithm in catalog.for_task(task):
        try:
            if task == "clustering":
                out = fit_clusters(data, Candidate(algorithm.key, {}))
                assert sum(out["sizes"].values()) == len(rows)
            else:
                out = fit_fold(data, Candidate(algorithm.key, {}), train, valid)
                pred = out["pred"]
                assert len(pred) == len(valid)
                assert np.isfinite(pred).all()
                if task == "classification":
                    assert pred.shape == (len(valid), prepared.n_classes)
                    assert np.allclose(pred.sum(axis=1), 1, atol=1e-6)
            problems[algorithm.key] = ""
        except Exception as exc:  # collect every failure, not only the first
            problems[algorithm.key] = f"{type(exc).__name__}: {exc}"
    return problems


@pytest.mark.parametrize("task", ["classification", "regression", "clustering"])
def test_every_algorithm_fits_and_predicts_on_a_tiny_dataset(task):
    outcome = fork.run_one(_fit_all, task, cap=600)
    assert outcome.ok, outcome.error or outcome.status
    failed = {key: problem for key, problem in outcome.value.items() if problem}
    assert not failed, failed
    assert set(outcome.value) == {a.key for a in catalog.for_task(task)}
