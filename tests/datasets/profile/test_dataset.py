"""Whole-table figures, degenerate tables and the JSON contract."""

import json
from datetime import datetime

import pyarrow as pa
import pytest

from datasets.ingest.profile import profile_table

from .helpers import column, make, run, warnings


def test_duplicate_rows_compare_every_column_and_missing_equals_missing():
    result = run(
        a=("numeric", [1.0, 1.0, None, None, 2.0, 2.0, 0.0, -0.0]),
        b=("categorical", ["x", "x", "y", "y", None, "x", "z", "z"]),
        c=("boolean", [True, True, None, None, False, False, True, True]),
    )
    dataset = result["dataset"]
    # Rows 2, 4 and 8 (-0.0 equals 0.0) repeat an earlier row; rows 5 and 6 differ in b.
    assert dataset["duplicate_rows"] == 3
    assert dataset["duplicate_share"] == pytest.approx(3 / 8)
    [warning] = warnings(result, "duplicated_rows")
    assert warning["severity"] == "warning"
    assert warning["column"] is None
    assert "3 rows are exact duplicates" in warning["message"]


def test_duplicates_see_datetimes_and_nan_as_missing():
    result = run(
        t=("datetime", [datetime(2024, 1, 1), datetime(2024, 1, 1), datetime(2024, 1, 2), None, None]),
        v=("numeric", [1.5, 1.5, 1.5, float("nan"), None]),
    )
    assert result["dataset"]["duplicate_rows"] == 2


def test_no_duplicates_no_warning():
    result = run(a=("numeric", [1, 2, 3]), b=("categorical", ["x", "x", "x"]))
    assert result["dataset"]["duplicate_rows"] == 0
    assert warnings(result, "duplicated_rows") == []


def test_dataset_counts():
    result = run(
        a=("numeric", [1.0, None, 3.0, None]),
        b=("categorical", ["x", None, "y", "z"]),
        c=("boolean", [True, False, None, True]),
        target=("categorical", ["p", "q", "p", "q"], "target"),
    )
    dataset = result["dataset"]
    assert dataset["n_rows"] == 4
    assert dataset["n_columns"] == 4
    assert dataset["missing_cells"] == 4
    assert dataset["missing_share"] == pytest.approx(4 / 16)
    assert dataset["memory_bytes"] > 0
    assert dataset["types"] == {
        "numeric": 1,
        "categorical": 2,
        "boolean": 1,
        "datetime": 0,
        "text": 0,
        "identifier": 0,
    }
    assert dataset["roles"]["target"] == 1
    assert dataset["roles"]["feature"] == 3


def test_zero_row_table_returns_zeros_and_no_statistics():
    table = pa.table(
        {
            "n": pa.array([], type=pa.float64()),
            "i": pa.array([], type=pa.int64()),
            "c": pa.array([], type=pa.string()),
            "b": pa.array([], type=pa.bool_()),
            "d": pa.array([], type=pa.timestamp("s")),
            "t": pa.array([], type=pa.string()),
            "y": pa.array([], type=pa.string()),
        }
    )
    specs = [
        {"name": "n", "type": "numeric", "role": "feature"},
        {"name": "i", "type": "numeric", "role": "feature"},
        {"name": "c", "type": "categorical", "role": "feature"},
        {"name": "b", "type": "boolean", "role": "feature"},
        {"name": "d", "type": "datetime", "role": "feature"},
        {"name": "t", "type": "text", "role": "feature"},
        {"name": "y", "type": "categorical", "role": "target"},
    ]
    result = profile_table(table, specs)
    json.dumps(result, allow_nan=False)
    assert result["dataset"]["n_rows"] == 0
    assert result["dataset"]["duplicate_rows"] == 0
    assert result["dataset"]["missing_share"] == 0.0
    for profile in result["columns"]:
        assert profile["missing"] == 0
        assert profile["distinct"] == 0
        assert profile["missing_share"] is None
        assert profile["top_values"] == []
    assert column(result, "n")["mean"] is None
    assert column(result, "n")["histogram"] == {"edges": [], "counts": []}
    assert column(result, "d")["min"] is None
    assert column(result, "t")["length"]["mean"] is None
    assert result["correlations"]["pearson"] == []
    assert result["target"]["associations"] == []
    assert result["target"]["classes"] == []
    assert result["scatter_sample"]["rows"] == []
    assert [w["code"] for w in result["warnings"]] == ["no_rows"]
    assert result["suggestions"]["target"] == "y"


def test_table_without_columns():
    result = profile_table(pa.table({}), [])
    assert result["dataset"]["n_columns"] == 0
    assert result["columns"] == []
    assert result["target"] is None


def test_all_null_columns_of_every_type():
    n = 30
    result = run(
        n=("numeric", pa.nulls(n, pa.float64())),
        c=("categorical", pa.nulls(n, pa.string())),
        d=("datetime", pa.nulls(n, pa.timestamp("s"))),
        b=("boolean", pa.nulls(n, pa.bool_())),
        untyped=("numeric", pa.nulls(n)),
        keep=("numeric", list(range(n))),
    )
    for name in ("n", "c", "d", "b", "untyped"):
        profile = column(result, name)
        assert profile["missing"] == n
        assert profile["missing_share"] == 1.0
        assert profile["distinct"] == 0
        assert profile["distinct_share"] is None
    assert column(result, "n")["mean"] is None
    assert column(result, "d")["histogram"] == {"edges": [], "counts": []}
    empty = {w["column"] for w in warnings(result, "mostly_missing")}
    assert empty == {"n", "c", "d", "b", "untyped"}
    assert "every value is missing" in warnings(result, "mostly_missing")[0]["message"]
    assert warnings(result, "constant") == []
    assert result["correlations"]["columns"] == ["keep"]


def test_empty_string_only_column():
    result = run(blank=("categorical", [""] * 25), txt=("text", [""] * 25))
    blank = column(result, "blank")
    assert blank["missing"] == 0
    assert blank["distinct"] == 1
    assert blank["empty"] == 25
    assert blank["top_values"] == [{"value": "", "count": 25}]
    assert blank["numeric_share"] is None
    assert column(result, "txt")["length"]["max"] == 0
    assert column(result, "txt")["top_words"] == []
    assert {w["column"] for w in warnings(result, "constant")} == {"blank", "txt"}
    assert warnings(result, "mixed_types") == []


def test_result_is_strict_json_even_with_nan_and_infinity():
    result = run(
        x=("numeric", [float("nan"), float("inf"), -float("inf"), 1.0]),
        y=("numeric", [float("inf"), float("inf"), 2.0, 3.0], "target"),
    )
    text = json.dumps(result, allow_nan=False)
    assert "NaN" not in text
    assert "Infinity" not in text


def test_column_descriptions_must_match_the_table():
    table, specs = make(a=("numeric", [1, 2]), b=("numeric", [1, 2]))
    with pytest.raises(ValueError, match="column descriptions"):
        profile_table(table, specs[:1])


def test_chunked_columns_profile_like_contiguous_ones():
    chunked = pa.chunked_array([pa.array(["a", "b"]), pa.array(["b", None, "c"])])
    table = pa.table({"c": chunked, "n": pa.chunked_array([[1.0, 2.0], [2.0, None, 4.0]])})
    specs = [
        {"name": "c", "type": "categorical", "role": "feature"},
        {"name": "n", "type": "numeric", "role": "feature"},
    ]
    result = profile_table(table, specs)
    assert column(result, "c")["top_values"][0] == {"value": "b", "count": 2}
    assert column(result, "c")["missing"] == 1
    assert column(result, "n")["mean"] == pytest.approx(9 / 4)


def test_mistyped_column_falls_back_to_what_arrow_holds():
    # Declared numeric but still strings: profiled as labels instead of failing.
    result = run(x=("numeric", pa.array(["1", "2", "two"])))
    assert column(result, "x")["top_values"][0]["count"] == 1
    assert column(result, "x")["numeric_share"] == pytest.approx(2 / 3)
