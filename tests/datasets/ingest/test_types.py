"""Semantic type inference, default roles, and casting to the chosen types."""

import datetime as dt
import uuid

import numpy as np
import pyarrow as pa
import pytest

from datasets.ingest import COLUMN_ROLES, COLUMN_TYPES, apply_types, infer_columns, read_table

N = 500
rng = np.random.default_rng(7)


def inferred(**columns) -> dict[str, tuple[str, str]]:
    return {c["name"]: (c["type"], c["role"]) for c in infer_columns(pa.table(columns))}


def test_column_dicts_have_the_contract_shape():
    columns = infer_columns(pa.table({"a": [1.5, 2.5], "b": ["x", "y"]}))
    assert [c["name"] for c in columns] == ["a", "b"]
    for column in columns:
        assert set(column) == {"name", "type", "role", "inferred_type", "inferred_role", "physical"}
        assert column["type"] == column["inferred_type"] in COLUMN_TYPES
        assert column["role"] == column["inferred_role"] in COLUMN_ROLES
    assert columns[0]["physical"] == "double" and columns[1]["physical"] == "string"


def test_identifiers():
    result = inferred(
        customer_id=list(range(1000, 1000 + N)),
        orderId=[int(x) for x in rng.permutation(10**6)[:N]],
        uuid=[str(uuid.UUID(int=int(x))) for x in rng.integers(0, 2**62, N)],
        code=[f"SKU-{i:05d}" for i in range(N)],
        row=list(range(N)),
        account_key=[float(i) if i % 10 else None for i in range(N)],  # ints exported as floats
    )
    assert all(value == ("identifier", "identifier") for value in result.values()), result


def test_unique_numbers_without_an_id_name_are_numbers():
    result = inferred(population=[int(x) for x in rng.permutation(10**7)[:N]], price=rng.normal(size=N))
    assert result == {"population": ("numeric", "feature"), "price": ("numeric", "feature")}


def test_booleans():
    result = inferred(
        flag=list(rng.choice(["yes", "no"], N)),
        upper=list(rng.choice(["Y", "N"], N)),
        word=list(rng.choice(["True", "FALSE"], N)),
        bits=list(rng.integers(0, 2, N)),
        native=list(rng.choice([True, False], N)),
    )
    assert {k: t for k, (t, _) in result.items()} == dict.fromkeys(result, "boolean")


def test_datetimes_and_the_time_role():
    days = [dt.date(2023, 1, 1) + dt.timedelta(days=int(d)) for d in rng.integers(0, 700, N)]
    assert inferred(created_at=[d.isoformat() for d in days], value=rng.normal(size=N)) == {
        "created_at": ("datetime", "time"),
        "value": ("numeric", "feature"),
    }
    result = inferred(
        order_date=[d.strftime("%d/%m/%Y") for d in days],
        shipped=[f"{d.isoformat()} 10:{i % 60:02d}:00" for i, d in enumerate(days)],
        native=pa.array([dt.datetime(2024, 1, 1)] * N),
    )
    # three datetime columns: none is singled out as the time axis
    assert result == dict.fromkeys(result, ("datetime", "feature"))


def test_years_and_codes_are_not_dates():
    result = inferred(year=[str(y) for y in rng.integers(1990, 2024, N)], version=["1.2", "1.3"] * (N // 2))
    assert result["year"][0] != "datetime" and result["version"][0] != "datetime"


def test_categories_and_integer_codes():
    result = inferred(
        city=list(rng.choice(["Paris", "Berlin", "Rome", "Oslo"], N)),
        rating=list(rng.integers(1, 6, N)),
        zip_code=[f"0{z}" for z in rng.integers(1000, 1100, N)],
        age=list(rng.integers(18, 90, N)),
    )
    assert result == {
        "city": ("categorical", "feature"),
        "rating": ("categorical", "feature"),
        "zip_code": ("categorical", "feature"),
        "age": ("numeric", "feature"),
    }


def test_free_text():
    words = ["good", "bad", "service", "slow", "delivery", "would", "buy", "again", "never", "price"]
    reviews = [" ".join(rng.choice(words, 8)) + f" #{i}" for i in range(N)]
    assert inferred(review=reviews)["review"] == ("text", "feature")


def test_numbers_stored_as_text_with_a_few_junk_values():
    values = [f"{x:.2f}" for x in rng.normal(size=N)]
    values[3] = "?"
    assert inferred(amount=values)["amount"] == ("numeric", "feature")


def test_empty_column_is_ignored():
    assert inferred(nothing=pa.nulls(N), blank=pa.array([None] * N, pa.string()))["nothing"] == (
        "categorical",
        "ignore",
    )


def test_inference_uses_a_deterministic_sample_on_big_tables():
    n = 200_000
    table = pa.table({"id": np.arange(n), "x": rng.normal(size=n), "c": rng.choice(["a", "b", "c"], n)})
    first, second = infer_columns(table), infer_columns(table)
    assert first == second
    assert [c["type"] for c in first] == ["identifier", "numeric", "categorical"]


def test_end_to_end_from_csv(write):
    path = write(
        "people.csv",
        "id,name,signup,plan,active,score\n"
        + "".join(
            f"{i},Person {i},2024-01-{1 + i % 28:02d},{'ab'[i % 2]},{'yn'[i % 2]},{i * 0.5}\n" for i in range(60)
        ),
    )
    table, _, _ = read_table(path, "people.csv")
    types = {c["name"]: c["type"] for c in infer_columns(table)}
    assert types == {
        "id": "identifier",
        "name": "identifier",
        "signup": "datetime",
        "plan": "categorical",
        "active": "boolean",
        "score": "numeric",
    }


# --- apply_types -------------------------------------------------------------------------


def with_types(table: pa.Table, **types: str) -> list[dict]:
    columns = infer_columns(table)
    for column in columns:
        column["type"] = types.get(column["name"], column["type"])
    return columns


def test_apply_inferred_types_casts_to_representations():
    table = pa.table(
        {
            "id": [1, 2, 3],
            "flag": ["Yes", "no", None],
            "when": ["2024-01-02", "2024-02-03", "2024-03-04"],
            "n": ["1", "2", "3"],
            "x": ["1.5", "2", ""],
        }
    )
    columns = with_types(table, id="identifier", flag="boolean", when="datetime", n="numeric", x="numeric")
    cast, warnings = apply_types(table, columns)
    assert warnings == []
    assert cast.column("id").to_pylist() == ["1", "2", "3"]
    assert cast.column("flag").to_pylist() == [True, False, None]
    assert cast.column("when").type == pa.timestamp("us")
    assert cast.column("when")[0].as_py() == dt.datetime(2024, 1, 2)
    assert cast.column("n").type == pa.int64()
    assert cast.column("x").to_pylist() == [1.5, 2.0, None]


def test_numeric_override_coerces_with_a_warning():
    table = pa.table({"x": ["1", "2", "three", "4.5.6", None, "n/a"]})
    cast, warnings = apply_types(table, with_types(table, x="numeric"))
    assert cast.column("x").to_pylist() == [1.0, 2.0, None, None, None, None]
    assert warnings == [
        {
            "code": "coerced",
            "column": "x",
            "message": "3 values in 'x' could not be read as numbers and are treated as missing.",
        }
    ]


def test_decimal_comma_strings_become_numbers():
    table = pa.table({"x": ["1,5", "2,25", "3"]})
    cast, warnings = apply_types(table, with_types(table, x="numeric"))
    assert cast.column("x").to_pylist() == [1.5, 2.25, 3.0] and warnings == []


def test_datetime_override_coerces_with_a_warning():
    table = pa.table({"d": ["03/01/2024", "04/01/2024", "not a date", "15/01/2024"]})
    cast, warnings = apply_types(table, with_types(table, d="datetime"))
    assert cast.column("d").to_pylist() == [
        dt.datetime(2024, 1, 3),
        dt.datetime(2024, 1, 4),
        None,
        dt.datetime(2024, 1, 15),
    ]
    assert warnings[0]["code"] == "coerced" and "1 value in 'd' could not be read as dates" in warnings[0]["message"]


def test_boolean_override_maps_tokens_and_warns_on_others():
    table = pa.table({"b": ["T", "f", "maybe", "1", "0", "YES"], "n": [0, 1, 2, 1, 0, 1]})
    cast, warnings = apply_types(table, with_types(table, b="boolean", n="boolean"))
    assert cast.column("b").to_pylist() == [True, False, None, True, False, True]
    assert cast.column("n").to_pylist() == [False, True, None, True, False, True]
    assert [w["column"] for w in warnings] == ["b", "n"]


def test_categorical_from_numbers_and_ignored_columns_are_kept():
    table = pa.table({"code": [1.0, 2.0, 2.0], "drop_me": [1, 2, 3]})
    columns = with_types(table, code="categorical")
    columns[1]["role"] = "ignore"
    cast, _ = apply_types(table, columns)
    assert cast.column("code").to_pylist() == ["1", "2", "2"]
    assert cast.column_names == ["code", "drop_me"]


def test_dictionary_columns_are_decoded():
    table = pa.table({"c": pa.array(["a", "b", "a"]).dictionary_encode()})
    columns = infer_columns(table)
    assert columns[0]["type"] == "categorical"
    assert apply_types(table, columns)[0].column("c").type == pa.string()


def test_unknown_type_is_refused():
    table = pa.table({"a": [1]})
    with pytest.raises(Exception, match="not a column type"):
        apply_types(table, [{"name": "a", "type": "complex"}])
