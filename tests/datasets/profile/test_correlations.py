"""Pearson and Spearman matrices, their column cap, and the ranking they rest on."""

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from datasets.ingest.profile import profile_table
from datasets.ingest.profile_math import average_ranks, pairwise_pearson

from .helpers import run, run_with


def matrix(result: dict, kind: str, a: str, b: str) -> float | None:
    names = result["correlations"]["columns"]
    return result["correlations"][kind][names.index(a)][names.index(b)]


def test_spearman_of_a_monotone_non_linear_pair_is_one():
    x = np.arange(1, 50, dtype=float)
    result = run(x=("numeric", x), y=("numeric", np.exp(x / 5)), z=("numeric", -(x**3)))
    assert matrix(result, "spearman", "x", "y") == pytest.approx(1.0)
    assert matrix(result, "spearman", "x", "z") == pytest.approx(-1.0)
    assert matrix(result, "pearson", "x", "y") < 0.9
    assert matrix(result, "pearson", "x", "x") == 1.0


def test_pearson_hand_computed():
    # x = 1, 2, 3 and y = 1, 3, 2: deviations (-1, 0, 1) and (-1, 1, 0) give r = 1 / 2.
    result = run(x=("numeric", [1, 2, 3]), y=("numeric", [1, 3, 2]))
    assert matrix(result, "pearson", "x", "y") == pytest.approx(0.5)
    assert matrix(result, "spearman", "x", "y") == pytest.approx(0.5)


def test_pairwise_complete_pearson_matches_pandas():
    rng = np.random.default_rng(1)
    frame = pd.DataFrame(rng.normal(size=(500, 4)), columns=list("abcd"))
    frame["b"] += frame["a"]
    frame["d"] = frame["c"] ** 3
    for name, share in zip("abcd", (0.1, 0.3, 0.0, 0.5), strict=True):
        frame.loc[rng.random(500) < share, name] = np.nan
    expected = frame.corr(method="pearson").to_numpy()
    assert pairwise_pearson(frame.to_numpy()) == pytest.approx(expected)


def test_spearman_matches_pandas_without_missing_values():
    rng = np.random.default_rng(2)
    x = rng.integers(0, 10, 300).astype(float)  # many ties
    y = x**2 + rng.normal(size=300)
    result = run(x=("numeric", x), y=("numeric", y))
    # pandas' own method="spearman" needs scipy; its rank() is an independent reference.
    expected = pd.Series(x).rank().corr(pd.Series(y).rank())
    assert matrix(result, "spearman", "x", "y") == pytest.approx(expected)


def test_average_ranks_share_ties_and_keep_nan():
    ranks = average_ranks(np.array([10.0, 20.0, 10.0, np.nan, 30.0]))
    assert ranks[:3].tolist() == [1.5, 3.0, 1.5]
    assert np.isnan(ranks[3])
    assert ranks[4] == 4.0


def test_booleans_take_part_as_zero_one_and_constants_do_not():
    result = run(
        x=("numeric", [1, 2, 3, 4]),
        flag=("boolean", [False, False, True, True]),
        same=("numeric", [7, 7, 7, 7]),
        label=("categorical", ["a", "b", "c", "d"]),
    )
    assert result["correlations"]["columns"] == ["x", "flag"]
    assert matrix(result, "pearson", "x", "flag") == pytest.approx(np.corrcoef([1, 2, 3, 4], [0, 0, 1, 1])[0, 1])


def test_pairs_with_too_few_shared_rows_are_none():
    result = run(a=("numeric", [1.0, 2.0, None, None]), b=("numeric", [None, None, 3.0, 4.0]))
    assert matrix(result, "pearson", "a", "b") is None


def test_matrix_is_capped_and_prefers_complete_columns():
    rng = np.random.default_rng(0)
    columns = {f"c{i}": ("numeric", rng.normal(size=40)) for i in range(10)}
    columns["holey"] = ("numeric", [None] * 20 + list(range(20)))
    columns["y"] = ("numeric", pa.array([None] * 30 + list(range(10)), type=pa.float64()), "target")
    result = run_with({"max_corr_columns": 5}, **columns)
    correlation = result["correlations"]
    assert correlation["columns"] == ["c0", "c1", "c2", "c3", "y"]
    assert len(correlation["pearson"]) == 5
    assert "holey" in correlation["omitted"]
    assert len(correlation["omitted"]) == 7
    assert "target first" in correlation["selection"]


def test_five_thousand_narrow_columns_profile_with_a_capped_matrix():
    rng = np.random.default_rng(0)
    n_rows, n_columns = 200, 5_000
    data = {f"f{i}": rng.normal(size=n_rows) for i in range(n_columns)}
    data["label"] = rng.choice(["a", "b"], n_rows)
    table = pa.table(data)
    specs = [{"name": name, "type": "numeric", "role": "feature"} for name in data]
    specs[-1] = {"name": "label", "type": "categorical", "role": "target"}
    result = profile_table(table, specs)
    assert len(result["correlations"]["columns"]) == 40
    assert len(result["correlations"]["omitted"]) == n_columns - 40
    assert len(result["columns"]) == n_columns + 1
    assert len(result["target"]["associations"]) == n_columns
    assert len(result["scatter_sample"]["columns"]) == 40
    assert "label" in result["scatter_sample"]["columns"]
