"""The target section: problem type, distribution, associations and leakage."""

import math

import numpy as np
import pytest

from datasets.ingest.profile_math import contingency, correlation_ratio

from .helpers import association, run, warnings


def test_classification_target_distribution():
    result = run(
        x=("numeric", list(range(10))),
        y=("categorical", ["no"] * 7 + ["yes"] * 2 + [None], "target"),
    )
    target = result["target"]
    assert target["name"] == "y"
    assert target["problem_type"] == "classification"
    assert target["missing"] == 1
    assert target["n_classes"] == 2
    assert target["classes"] == [
        {"value": "no", "count": 7, "share": pytest.approx(7 / 9)},
        {"value": "yes", "count": 2, "share": pytest.approx(2 / 9)},
    ]
    assert target["imbalance_ratio"] == 3.5
    assert target["minority_share"] == pytest.approx(2 / 9)


def test_integer_target_with_few_values_is_classification_and_floats_are_regression():
    few = run(x=("numeric", list(range(30))), y=("numeric", [0, 1, 2] * 10, "target"))
    assert few["target"]["problem_type"] == "classification"
    assert [c["value"] for c in few["target"]["classes"]] == ["0", "1", "2"]
    many = run(x=("numeric", list(range(30))), y=("numeric", [v * 1.5 for v in range(30)], "target"))
    assert many["target"]["problem_type"] == "regression"
    assert many["target"]["classes"] is None
    assert sum(many["target"]["histogram"]["counts"]) == 30
    assert many["target"]["imbalance_ratio"] is None


def test_cramers_v_of_a_perfectly_associated_pair_is_one():
    result = run(
        colour=("categorical", ["red", "blue"] * 50),
        y=("categorical", ["p", "q"] * 50, "target"),
    )
    entry = association(result, "colour")
    assert entry["measure"] == "cramers_v"
    assert entry["score"] == pytest.approx(1.0)


def test_cramers_v_of_independent_columns_is_zero():
    # Every colour meets every class equally often: chi² = 0.
    result = run(
        colour=("categorical", ["red", "red", "blue", "blue"] * 25),
        y=("categorical", ["p", "q"] * 50, "target"),
    )
    assert association(result, "colour")["score"] == 0.0


def test_correlation_ratio_hand_computed():
    # x = 1..6 in classes a, a, a, b, b, b: group means 2 and 5 around 3.5, so
    # SS_between = 13.5 and SS_total = 17.5, η² = 27/35. Corrected for 2 groups in 6 rows:
    # 1 - (8/35) * 5/4 = 5/7.
    result = run(x=("numeric", [1, 2, 3, 4, 5, 6]), y=("categorical", list("aaabbb"), "target"))
    entry = association(result, "x")
    assert entry["measure"] == "correlation_ratio"
    assert entry["score"] == pytest.approx(math.sqrt(5 / 7))
    assert warnings(result, "target_leakage") == []


def test_correlation_ratio_of_separated_groups_is_one_and_of_unique_groups_zero():
    values = np.array([1.0, 1.0, 5.0, 5.0])
    assert correlation_ratio(np.array([0, 0, 1, 1]), values, 2) == 1.0
    assert correlation_ratio(np.array([0, 1, 2, 3]), np.array([1.0, 2.0, 3.0, 5.0]), 4) == 0.0


def test_contingency_measures():
    a = np.array([0, 0, 0, 1, 1, 1, 2, 2])
    b = np.array([0, 0, 1, 1, 1, 1, 0, 0])
    table = contingency(a, b, 3, 2)
    # Row majorities 2 + 3 + 2 of 8 rows; guessing the majority class alone gets 4 right.
    assert table["purity"] == pytest.approx(7 / 8)
    assert table["lambda"] == pytest.approx(3 / 4)
    assert table["row_groups"] == 3


def test_regression_associations_take_the_larger_of_pearson_and_spearman():
    x = np.arange(1, 41, dtype=float)
    rng = np.random.default_rng(0)
    result = run(
        x=("numeric", x),
        noise=("numeric", rng.normal(size=40)),
        group=("categorical", ["a", "b"] * 20),
        y=("numeric", np.exp(x / 4), "target"),
    )
    entries = result["target"]["associations"]
    assert entries[0]["column"] == "x"
    assert entries[0]["measure"] == "spearman"
    assert entries[0]["score"] == pytest.approx(1.0)
    assert association(result, "group")["measure"] == "correlation_ratio"
    scores = [e["score"] for e in entries]
    assert scores == sorted(scores, reverse=True)


def test_regression_associations_rank_only_complete_pairs():
    x = [1.0, 2.0, None, 4.0, 5.0, 6.0]
    y = [1.0, 4.0, 100.0, 16.0, None, 36.0]
    result = run(x=("numeric", x), y=("numeric", y, "target"))
    entry = association(result, "x")
    assert entry["rows"] == 4
    assert entry["score"] == pytest.approx(1.0)


def leaky_table(n: int = 1_000, noise: int = 3) -> dict:
    rng = np.random.default_rng(0)
    churn = np.where(rng.random(n) < 0.2, "yes", "no")
    # Several reasons per class, a few rows with the wrong one: not a 1-1 copy of the target.
    reason = np.where(churn == "yes", rng.choice(["price", "service", "moved"], n), rng.choice(["none", "n/a"], n))
    reason[:noise] = "price"
    refund = np.where(churn == "yes", rng.uniform(10, 500, n), 0.0)
    return {
        "customer_id": ("identifier", [f"c{i}" for i in range(n)], "identifier"),
        "region": ("categorical", rng.choice(["north", "south", "east"], n)),
        "age": ("numeric", rng.integers(18, 90, n)),
        "reason": ("categorical", reason),
        "refund": ("numeric", refund),
        "code": ("categorical", [f"k{i}" for i in range(n)]),
        "status": ("categorical", np.where(churn == "yes", "closed", "open"), "ignore"),
        "churn": ("categorical", churn, "target"),
    }


def test_leakage_is_flagged_for_near_perfect_predictors_only():
    result = run(**leaky_table())
    flagged = {w["column"] for w in warnings(result, "target_leakage")}
    # 'refund' is positive exactly for churners: its quantile bins are pure.
    # 'code' and 'customer_id' are unique per row, which predicts nothing; 'status' is a
    # copy of the target but its role already keeps it out of training.
    assert flagged == {"reason", "refund"}
    assert association(result, "status")["score"] == pytest.approx(1.0)
    warning = next(w for w in warnings(result, "target_leakage") if w["column"] == "reason")
    assert warning["severity"] == "warning"
    assert "'reason'" in warning["message"]
    assert "'churn'" in warning["message"]


def test_leakage_by_near_perfect_correlation_with_a_numeric_target():
    rng = np.random.default_rng(0)
    price = rng.uniform(100, 1000, 500)
    result = run(
        tax=("numeric", price * 0.2),
        rooms=("numeric", rng.integers(1, 6, 500)),
        price=("numeric", price, "target"),
    )
    assert {w["column"] for w in warnings(result, "target_leakage")} == {"tax"}


def test_imbalanced_target_warning():
    result = run(x=("numeric", list(range(100))), fraud=("boolean", [True] * 5 + [False] * 95, "target"))
    [warning] = warnings(result, "imbalanced_target")
    assert warning["column"] == "fraud"
    assert "5.0%" in warning["message"]
    assert "'true'" in warning["message"]
    balanced = run(x=("numeric", list(range(100))), fraud=("boolean", [True] * 30 + [False] * 70, "target"))
    assert warnings(balanced, "imbalanced_target") == []


def test_no_target_means_no_target_section():
    result = run(x=("numeric", [1, 2, 3]))
    assert result["target"] is None
