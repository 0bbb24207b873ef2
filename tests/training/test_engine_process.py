"""The engine process (python -m training.automl.cli): what it reports and what it leaves."""

import json
from pathlib import Path

from . import jobs


def test_the_engine_process_reports_logs_progress_trials_and_a_result(engine_run):
    folder, result, events = engine_run
    kinds = [e["event"] for e in events]
    assert kinds[-1] == "result"
    assert "log" in kinds and "progress" in kinds
    trials = [e["record"] for e in events if e["event"] == "trial"]
    assert [t["number"] for t in trials] == [r["number"] for r in result["leaderboard"]]
    fractions = [e["fraction"] for e in events if e["event"] == "progress"]
    assert fractions == sorted(fractions) and fractions[0] >= 0 and fractions[-1] < 1
    assert Path(result["model_path"]).exists() and len(result["sha256"]) == 64
    assert result["evaluation"]["source"] == "holdout"
    assert result["features"] and {f["name"] for f in result["features"]} >= {"income", "plan"}
    assert "customer_id" not in {f["name"] for f in result["features"]}  # an identifier is no feature
    json.dumps(result, allow_nan=False)  # the stored results are strict JSON


def test_a_data_problem_comes_back_as_a_readable_error(tmp_path):
    frame = jobs.data.buyers(5)  # too few rows
    try:
        jobs.run_engine(tmp_path, frame)
    except AssertionError as exc:
        assert "at least 10 rows" in str(exc)
    else:
        raise AssertionError("five rows should be refused")


def test_stop_on_stdin_ends_the_run_early(tmp_path):
    def stop_after_three(engine, event):
        if event["event"] == "trial" and event["record"]["number"] == 3:
            engine.stop("discard")

    result, _ = jobs.run_engine(
        tmp_path, jobs.data.buyers(2000), budget=120, options={"max_trials": None}, on_event=stop_after_three
    )
    assert result["stopped"] == "discard" and not result["model_path"]
    assert len(result["leaderboard"]) <= 5
