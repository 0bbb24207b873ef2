"""Numeric and datetime column statistics against hand-computed values."""

import math
from datetime import datetime

import numpy as np
import pandas as pd
import pytest

from .helpers import column, run


@pytest.fixture(scope="module")
def small():
    # Values 1, 2, 3, 4, 100 and one missing.
    return column(run(x=("numeric", [1, 2, None, 3, 4, 100])), "x")


def test_counts(small):
    assert small["missing"] == 1
    assert small["missing_share"] == pytest.approx(1 / 6)
    assert small["distinct"] == 5
    assert small["distinct_share"] == 1.0
    assert small["zeros"] == 0
    assert small["negatives"] == 0


def test_moments_and_quantiles(small):
    assert small["mean"] == 22.0
    # Deviations -21, -20, -19, -18, 78: squares sum to 7610, over n - 1 = 4.
    assert small["std"] == pytest.approx(math.sqrt(7610 / 4))
    assert small["min"] == 1.0
    assert small["max"] == 100.0
    assert small["median"] == 3.0
    assert small["p25"] == 2.0
    assert small["p75"] == 4.0
    # Linear interpolation: position 0.05 * 4 = 0.2 between 1 and 2; 0.95 * 4 = 3.8 between 4 and 100.
    assert small["p5"] == pytest.approx(1.2)
    assert small["p95"] == pytest.approx(80.8)
    assert small["skew"] == pytest.approx(pd.Series([1, 2, 3, 4, 100]).skew())


def test_outliers_and_box(small):
    # IQR = 2, so the fences are 2 - 3 = -1 and 4 + 3 = 7: only 100 is outside.
    assert small["outliers"] == 1
    assert small["outlier_bounds"] == {"low": -1.0, "high": 7.0}
    assert small["box"] == {"q1": 2.0, "median": 3.0, "q3": 4.0, "whisker_low": 1.0, "whisker_high": 4.0}


def test_histogram_of_wide_range(small):
    histogram = small["histogram"]
    assert len(histogram["edges"]) == 31
    assert histogram["edges"][0] == 1.0
    assert histogram["edges"][-1] == 100.0
    # Bins are 3.3 wide: 1, 2, 3 and 4 fall in the first, 100 in the last (closed) one.
    assert histogram["counts"][0] == 4
    assert histogram["counts"][-1] == 1
    assert sum(histogram["counts"]) == 5


def test_small_integer_range_gets_one_bin_per_value():
    x = column(run(x=("numeric", [0, 0, 1, 2, 2, 2, -1])), "x")
    assert x["histogram"] == {"edges": [-1.5, -0.5, 0.5, 1.5, 2.5], "counts": [1, 2, 1, 3]}
    assert x["zeros"] == 2
    assert x["negatives"] == 1
    assert x["top_values"][:2] == [{"value": "2", "count": 3}, {"value": "0", "count": 2}]


def test_histogram_matches_numpy_on_random_floats():
    values = np.random.default_rng(3).normal(size=10_000)
    x = column(run(x=("numeric", values)), "x")
    counts, edges = np.histogram(values, bins=30)
    assert x["histogram"]["edges"] == pytest.approx(edges.tolist())
    assert x["histogram"]["counts"] == counts.tolist()
    expected = np.percentile(values, [5, 25, 50, 75, 95])
    got = [x[k] for k in ("p5", "p25", "median", "p75", "p95")]
    assert got == pytest.approx(expected.tolist())
    assert x["std"] == pytest.approx(values.std(ddof=1))


def test_constant_numeric_column():
    x = column(run(x=("numeric", [5.0, 5.0, 5.0])), "x")
    assert x["std"] == 0.0
    assert x["skew"] == 0.0
    assert x["histogram"] == {"edges": [4.5, 5.5], "counts": [3]}
    assert x["top_values"] == [{"value": "5", "count": 3}]


def test_infinities_are_counted_apart_and_nan_is_missing():
    x = column(run(x=("numeric", [1.0, float("inf"), float("nan"), 3.0, -float("inf")])), "x")
    assert x["missing"] == 1
    assert x["infinite"] == 2
    assert x["mean"] == 2.0
    assert x["max"] == 3.0


def test_fractional_top_values_keep_their_digits():
    x = column(run(x=("numeric", [0.5, 0.5, 1.25])), "x")
    assert x["top_values"] == [{"value": "0.5", "count": 2}, {"value": "1.25", "count": 1}]


def test_datetime_statistics():
    stamps = [datetime(2024, 1, 1), datetime(2024, 1, 11), None, datetime(2024, 1, 31), datetime(2024, 1, 11)]
    when = column(run(when=("datetime", stamps)), "when")
    assert when["missing"] == 1
    assert when["distinct"] == 3
    assert when["min"] == "2024-01-01"
    assert when["max"] == "2024-01-31"
    assert when["date_only"] is True
    assert when["range_days"] == 30.0
    assert when["histogram"]["edges"][0] == "2024-01-01T00:00:00"
    assert when["histogram"]["edges"][-1] == "2024-01-31T00:00:00"
    assert len(when["histogram"]["counts"]) == 30
    assert sum(when["histogram"]["counts"]) == 4
    assert when["top_values"][0] == {"value": "2024-01-11", "count": 2}


def test_datetime_with_time_of_day_keeps_seconds():
    stamps = [datetime(2024, 1, 1, 8, 30), datetime(2024, 1, 2, 9, 15, 5)]
    when = column(run(when=("datetime", stamps)), "when")
    assert when["min"] == "2024-01-01T08:30:00"
    assert when["max"] == "2024-01-02T09:15:05"
    assert when["date_only"] is False
