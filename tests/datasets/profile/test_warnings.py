"""Column warnings: when each fires, when it stays quiet, and what it says."""

import numpy as np

from .helpers import run, warnings

N = 100


def test_constant_column():
    result = run(same=("categorical", ["x"] * N), varied=("numeric", list(range(N))))
    [warning] = warnings(result, "constant")
    assert warning["column"] == "same"
    assert warning["severity"] == "warning"
    assert warning["message"] == "'same' has a single value ('x'), so it carries no information for a model."


def test_mostly_missing_above_half_only():
    result = run(
        holey=("numeric", [1.0] * 40 + [None] * 60),
        half=("numeric", list(range(50)) + [None] * 50),
    )
    [warning] = warnings(result, "mostly_missing")
    assert warning["column"] == "holey"
    assert warning["message"] == "'holey' is mostly missing (60% of the rows)."


def test_high_cardinality_categorical():
    many = [f"city{i % 60}" for i in range(N * 10)]
    few = [f"plan{i % 5}" for i in range(N * 10)]
    result = run(city=("categorical", many), plan=("categorical", few))
    [warning] = warnings(result, "high_cardinality")
    assert warning["column"] == "city"
    assert "60 distinct values" in warning["message"]
    # 60 distinct values in 100,000 rows is a normal categorical.
    big = run(city=("categorical", [f"city{i % 60}" for i in range(100_000)]))
    assert warnings(big, "high_cardinality") == []


def test_identifier_like_columns():
    result = run(
        customer_id=("identifier", [f"C{i:04d}" for i in range(N)], "identifier"),
        account=("numeric", list(range(1000, 1000 + N))),
        measure=("numeric", np.random.default_rng(0).normal(size=N)),
        review=("text", [f"review number {i}" for i in range(N)]),
        signup=("categorical", [f"s{i}" for i in range(N - 1)] + [None]),
    )
    found = {w["column"]: w for w in warnings(result, "identifier_like")}
    assert set(found) == {"customer_id", "account"}
    assert found["customer_id"]["severity"] == "info"
    assert found["customer_id"]["message"] == (
        "'customer_id' is unique for every row; it looks like an identifier and is ignored for training."
    )
    assert found["account"]["severity"] == "warning"
    assert "Set its role to identifier" in found["account"]["message"]
    # An identifier-like column is not also reported as high-cardinality; one with a missing
    # value is not unique for every row, so it is.
    assert [w["column"] for w in warnings(result, "high_cardinality")] == ["signup"]


def test_tiny_tables_are_not_identifier_like():
    result = run(code=("categorical", ["a", "b", "c"]))
    assert warnings(result, "identifier_like") == []


def test_mixed_types_names_the_odd_values():
    values = [str(i) for i in range(90)] + ["N/A"] * 6 + ["unknown"] * 4
    result = run(income=("categorical", values), pure=("categorical", [str(i) for i in range(N)]))
    [warning] = warnings(result, "mixed_types")
    assert warning["column"] == "income"
    assert "(90%)" in warning["message"]
    assert "'N/A', 'unknown'" in warning["message"]


def test_mostly_text_is_not_mixed_types():
    values = ["red"] * 60 + [str(i) for i in range(40)]
    assert warnings(run(colour=("categorical", values)), "mixed_types") == []


def test_every_warning_has_the_contract_shape():
    result = run(
        same=("categorical", ["x"] * N),
        holey=("numeric", [None] * 90 + list(range(10))),
        y=("categorical", ["a"] * 95 + ["b"] * 5, "target"),
    )
    assert {w["code"] for w in result["warnings"]} >= {"constant", "mostly_missing", "imbalanced_target"}
    for warning in result["warnings"]:
        assert set(warning) == {"code", "column", "severity", "message"}
        assert warning["severity"] in ("info", "warning")
        assert warning["message"].endswith(".")
