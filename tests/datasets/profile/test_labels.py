"""Categorical, boolean, identifier and text columns."""

import pytest

from .helpers import column, run


def test_categorical_top_values_in_count_order_ties_first_seen():
    values = ["b", "a", "c", "a", "b", "a", None, "d"]
    city = column(run(city=("categorical", values)), "city")
    assert city["missing"] == 1
    assert city["distinct"] == 4
    assert city["distinct_share"] == pytest.approx(4 / 7)
    assert city["top_values"] == [
        {"value": "a", "count": 3},
        {"value": "b", "count": 2},
        {"value": "c", "count": 1},
        {"value": "d", "count": 1},
    ]
    assert city["bar"] == {"labels": ["a", "b", "c", "d"], "counts": [3, 2, 1, 1]}


def test_bar_keeps_thirty_values_and_an_other_bucket():
    # Value i appears 100 - i times, for 40 values.
    values = [f"v{i:02d}" for i in range(40) for _ in range(100 - i)]
    profile = column(run(c=("categorical", values)), "c")
    assert len(profile["top_values"]) == 10
    assert profile["top_values"][0] == {"value": "v00", "count": 100}
    assert profile["bar"]["labels"][:2] == ["v00", "v01"]
    assert profile["bar"]["labels"][-1] == "Other"
    assert len(profile["bar"]["labels"]) == 31
    assert profile["bar"]["counts"][-1] == sum(100 - i for i in range(30, 40))
    assert sum(profile["bar"]["counts"]) == len(values)


def test_top_values_of_many_distinct_values_are_exact_and_stable():
    # More distinct values than the linear top-k path's threshold, with ties everywhere.
    values = [f"id{i}" for i in range(10_000)] + ["id5000"] * 3 + ["id7"] * 2
    profile = column(run(c=("categorical", values)), "c")
    assert profile["distinct"] == 10_000
    assert profile["top_values"][:3] == [
        {"value": "id5000", "count": 4},
        {"value": "id7", "count": 3},
        {"value": "id0", "count": 1},
    ]
    assert [v["value"] for v in profile["top_values"][3:]] == [f"id{i}" for i in (1, 2, 3, 4, 5, 6, 8)]


def test_boolean():
    flag = column(run(flag=("boolean", [True, False, True, None, True])), "flag")
    assert flag["missing"] == 1
    assert flag["distinct"] == 2
    assert flag["top_values"] == [{"value": "true", "count": 3}, {"value": "false", "count": 1}]
    assert flag["true_share"] == 0.75


def test_identifier_has_counts_but_no_bar():
    ident = column(run(ident=("identifier", ["a1", "a2", "a3"], "identifier")), "ident")
    assert ident["distinct"] == 3
    assert ident["distinct_share"] == 1.0
    assert "bar" not in ident
    assert len(ident["top_values"]) == 3


def test_text_lengths_and_words():
    texts = ["Good service", "bad service, slow", "good", None, "Good service"]
    note = column(run(note=("text", texts)), "note")
    length = note["length"]
    # Lengths 12, 17, 4, 12 (the missing row does not count).
    assert length["min"] == 4
    assert length["max"] == 17
    assert length["mean"] == pytest.approx(45 / 4)
    assert length["median"] == 12.0
    assert sum(length["histogram"]["counts"]) == 4
    assert note["top_words"][:2] == [{"word": "good", "count": 3}, {"word": "service", "count": 3}]
    assert {"word": "slow", "count": 1} in note["top_words"]
    assert note["top_words_sampled"] is False


def test_text_words_skip_stop_words_and_single_letters():
    note = column(run(note=("text", ["the cat and a dog", "the cat"])), "note")
    assert [w["word"] for w in note["top_words"]] == ["cat", "dog"]


def test_numeric_share_of_string_columns():
    code = column(run(code=("categorical", ["1", "2.5", " 3 ", "-4e2", "x", "", None])), "code")
    # Blanks are left out: 4 of the 5 non-blank values read as numbers.
    assert code["numeric_share"] == pytest.approx(4 / 5)
    assert code["empty"] == 1
