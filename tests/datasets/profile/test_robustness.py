"""Arrow type variants and unusual targets: the profile must come back, never crash."""

import decimal
from datetime import UTC, date, datetime

import numpy as np
import pyarrow as pa
import pytest

from .helpers import column, run


def test_arrow_type_variants():
    result = run(
        i32=("numeric", pa.array([1, 2, 3, None], type=pa.int32())),
        f32=("numeric", pa.array([0.5, 1.5, None, 2.5], type=pa.float32())),
        dec=("numeric", pa.array([decimal.Decimal("1.10"), None, decimal.Decimal("2.20"), decimal.Decimal("3.30")])),
        day=("datetime", pa.array([date(2024, 1, 1), date(2024, 3, 1), None, date(2024, 2, 1)])),
        utc=("datetime", pa.array([datetime(2024, 1, 1, 12, tzinfo=UTC)] * 4, type=pa.timestamp("ms", "UTC"))),
        large=("categorical", pa.array(["a", "b", "a", None], type=pa.large_string())),
        coded=("categorical", pa.array(["x", "y", "x", "x"]).dictionary_encode()),
        flag_text=("categorical", pa.array([True, False, True, None])),
    )
    assert column(result, "i32")["mean"] == 2.0
    assert column(result, "f32")["median"] == 1.5
    assert column(result, "dec")["max"] == pytest.approx(3.3)
    assert column(result, "day")["min"] == "2024-01-01"
    assert column(result, "day")["max"] == "2024-03-01"
    assert column(result, "utc")["min"] == "2024-01-01T12:00:00Z"
    assert column(result, "large")["top_values"][0] == {"value": "a", "count": 2}
    assert column(result, "coded")["top_values"][0] == {"value": "x", "count": 3}
    assert column(result, "flag_text")["top_values"][0] == {"value": "true", "count": 2}


@pytest.mark.parametrize(
    ("kind", "values"),
    [
        ("categorical", [None] * 40),
        ("categorical", ["only"] * 40),
        ("numeric", [3.0] * 40),
        ("numeric", [None] * 40),
        ("boolean", [True, False] * 20),
        ("datetime", [datetime(2024, 1, i % 28 + 1) for i in range(40)]),
        ("text", [f"words number {i}" for i in range(40)]),
        ("identifier", [f"id{i}" for i in range(40)]),
    ],
)
def test_odd_targets_still_profile(kind, values):
    rng = np.random.default_rng(0)
    result = run(
        x=("numeric", rng.normal(size=40)),
        c=("categorical", rng.choice(["a", "b"], 40)),
        when=("datetime", [datetime(2023, 1, 1 + i % 28) for i in range(40)]),
        flag=("boolean", rng.random(40) < 0.5),
        y=(kind, values, "target"),
    )
    target = result["target"]
    assert target["name"] == "y"
    assert len(target["associations"]) == 4
    for entry in target["associations"]:
        assert entry["score"] is None or 0.0 <= entry["score"] <= 1.0


def test_numeric_target_with_missing_values():
    rng = np.random.default_rng(0)
    x = rng.normal(size=200)
    y = x * 3 + rng.normal(size=200)
    y[::7] = np.nan
    result = run(x=("numeric", x), g=("categorical", rng.choice(["a", "b"], 200)), y=("numeric", y, "target"))
    entry = next(a for a in result["target"]["associations"] if a["column"] == "x")
    assert entry["rows"] == 200 - len(y[::7])
    assert entry["score"] > 0.9
