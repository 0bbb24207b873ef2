"""Row sampling for pairwise statistics, the scatter sample and the target suggestion."""

import numpy as np

from .helpers import column, run, run_with


def wide_table(n: int) -> dict:
    rng = np.random.default_rng(0)
    x = rng.normal(size=n)
    return {
        "x": ("numeric", x),
        "z": ("numeric", x * 2 + rng.normal(size=n)),
        "group": ("categorical", rng.choice(["a", "b", "c"], n)),
        "label": ("categorical", np.where(x > 0, "hi", "lo"), "target"),
    }


def test_sample_flag_and_what_used_it():
    result = run_with({"sample_rows": 500}, **wide_table(2_000))
    assert result["sample"] == {
        "sampled": True,
        "rows": 500,
        "total_rows": 2_000,
        "statistics": ["correlations", "associations", "target_leakage"],
    }
    # Per-column statistics still use every row.
    assert column(result, "x")["missing"] == 0
    assert sum(column(result, "x")["histogram"]["counts"]) == 2_000
    assert result["target"]["associations"][0]["rows"] == 500


def test_no_sample_when_the_table_fits():
    result = run_with({"sample_rows": 2_000}, **wide_table(2_000))
    assert result["sample"] == {"sampled": False, "rows": 2_000, "total_rows": 2_000, "statistics": []}


def test_sampled_results_are_reproducible_and_close_to_the_full_ones():
    first = run_with({"sample_rows": 1_000, "seed": 7}, **wide_table(5_000))
    again = run_with({"sample_rows": 1_000, "seed": 7}, **wide_table(5_000))
    assert first == again
    full = run(**wide_table(5_000))
    sampled_r = first["correlations"]["pearson"][0][1]
    full_r = full["correlations"]["pearson"][0][1]
    assert abs(sampled_r - full_r) < 0.05


def test_scatter_sample_is_small_and_keeps_plottable_columns():
    n = 3_000
    rng = np.random.default_rng(0)
    result = run(
        customer_id=("identifier", [f"c{i}" for i in range(n)], "identifier"),
        x=("numeric", rng.integers(0, 100, n)),
        f=("numeric", rng.normal(size=n)),
        many=("categorical", [f"v{i % 500}" for i in range(n)]),
        few=("categorical", rng.choice(["a", "b"], n)),
        flag=("boolean", rng.random(n) < 0.5),
        y=("categorical", rng.choice(["p", "q"], n), "target"),
    )
    scatter = result["scatter_sample"]
    assert scatter["columns"] == ["x", "f", "few", "flag", "y"]
    assert scatter["types"] == ["numeric", "numeric", "categorical", "boolean", "categorical"]
    assert len(scatter["rows"]) == 2_000
    first = scatter["rows"][0]
    assert isinstance(first[0], int)
    assert isinstance(first[1], float)
    assert first[2] in ("a", "b")
    assert first[3] in ("true", "false")


def test_scatter_sample_keeps_missing_values_as_none():
    result = run(x=("numeric", [1.5, None, 2.5]), c=("categorical", ["a", None, "b"]))
    assert result["scatter_sample"]["rows"] == [[1.5, "a"], [None, None], [2.5, "b"]]


def test_suggestion_prefers_the_target_role():
    result = run(price=("numeric", [1.5, 2.5, 3.5, 4.5]), kind=("categorical", ["a", "b", "a", "b"], "target"))
    assert result["suggestions"]["target"] == "kind"
    assert result["suggestions"]["problem_type"] == "classification"
    assert "target role" in result["suggestions"]["reason"]


def test_suggestion_by_name_then_by_position():
    rng = np.random.default_rng(0)
    named = run(
        sale_price=("numeric", rng.uniform(1, 100, 50)),
        rooms=("numeric", rng.integers(1, 5, 50)),
        notes=("text", ["x"] * 50),
    )
    assert named["suggestions"]["target"] == "sale_price"
    assert named["suggestions"]["problem_type"] == "regression"
    assert "named like a prediction target" in named["suggestions"]["reason"]
    unnamed = run(
        a=("numeric", rng.uniform(1, 100, 50)),
        grade=("numeric", rng.integers(1, 4, 50)),
        ident=("identifier", [f"i{i}" for i in range(50)]),
        when=("datetime", np.arange(50).astype("datetime64[D]").astype("datetime64[s]")),
    )
    assert unnamed["suggestions"]["target"] == "grade"
    assert unnamed["suggestions"]["problem_type"] == "classification"


def test_no_suggestion_when_nothing_can_be_predicted():
    result = run(ident=("identifier", [f"i{i}" for i in range(30)]), same=("numeric", [1] * 30))
    assert result["suggestions"] == {
        "target": None,
        "problem_type": None,
        "reason": "No column looks like a prediction target.",
    }
