"""`make bench` must keep working: its pieces and one tiny end-to-end run.

Nothing here times anything; the figures are the script's business (benchmarks print, tests
assert behaviour). These tests only make sure the script cannot rot while nobody runs it.
"""

import os
import re
import subprocess
import sys
from pathlib import Path

import pyarrow.csv as pacsv
import pytest

from bench.datasets_bench import bare_read_seconds, generate_csv, percentile
from bench.private_platform import PRIVATE_ENV_DROPS

ROOT = Path(__file__).resolve().parent.parent


def test_the_generated_csv_has_20_columns_of_every_kind_with_missing_values(tmp_path):
    path = tmp_path / "bench.csv"
    size = generate_csv(path, 2_000)

    assert size == path.stat().st_size > 0
    table = pacsv.read_csv(path)
    assert (table.num_rows, table.num_columns) == (2_000, 20)
    assert table.column("customer_id").to_pylist()[:3] == [1, 2, 3]
    assert table.column("income").null_count > 0
    assert "" in table.column("coupon").to_pylist()  # an empty cell: pyarrow keeps strings as ""
    assert str(table.schema.field("signup_date").type).startswith("date")
    assert set(table.column("active").to_pylist()) == {"yes", "no"}
    assert len(set(table.column("product").to_pylist())) > 1000
    counts = table.column("churned").value_counts().to_pylist()
    assert {c["values"] for c in counts} == {"stayed", "churned"}
    # The same seed gives the same file, so runs compare.
    again = tmp_path / "again.csv"
    generate_csv(again, 2_000)
    assert again.read_bytes() == path.read_bytes()


def test_the_bare_read_is_timed_once_per_repeat(tmp_path):
    path = tmp_path / "bench.csv"
    generate_csv(path, 500)
    times = bare_read_seconds(path, repeats=2)
    assert len(times) == 2 and all(t > 0 for t in times)


def test_p95_of_ten_samples_is_the_slowest():
    samples = [float(i) for i in range(1, 11)]
    assert percentile(samples, 0.95) == 10.0
    assert percentile(samples, 0.5) == 5.0


@pytest.mark.worker
def test_a_tiny_benchmark_runs_end_to_end_and_leaves_nothing_behind():
    env = {k: v for k, v in os.environ.items() if k not in PRIVATE_ENV_DROPS and k != "AUTOML_VAR_DIR"}
    result = subprocess.run(
        [sys.executable, "-m", "bench.datasets_bench", "--rows", "2000", "--repeats", "1", "--page-repeats", "2",
         "--report-only"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    for figure in ("bare pyarrow.csv.read_csv", "upload → ready", "worker peak memory", "preview first page"):
        assert figure in result.stdout, output
    # Which stages the 100 ms polling catches depends on timing; that the breakdown prints does not.
    assert "Where the time went" in result.stdout, output
    private = re.search(r"Private folder: (\S+)", result.stdout).group(1)
    assert not Path(private).exists()


# --- The training benchmark -------------------------------------------------------------


def test_the_training_benchmark_scores_ranks_and_reports(capsys):
    import numpy as np

    from bench.training_bench import report, score
    from bench.training_data import BenchDataset

    assert score("binary", ["a", "b", "b"], np.array([[0.9, 0.1], [0.2, 0.8], [0.4, 0.6]]), ["a", "b"]) == 1.0
    assert score("regression", [1.0, 3.0], np.array([2.0, 2.0]), []) == 1.0
    datasets = [BenchDataset("one", "y", "binary", None), BenchDataset("two", "y", "regression", None)]
    results = {
        "one": {"engine": [0.91], "flaml": [0.90], "hgb": [0.89]},  # higher is better
        "two": {"engine": [5.0], "flaml": [4.0], "hgb": [6.0]},  # lower is better
    }

    class Args:
        budget, quick = 60.0, True

    code = report(results, datasets, [(2.0, "one fold 1"), (-1.0, "two fold 1")], [0.5], Args)
    out = capsys.readouterr().out
    assert "Engine against FLAML: 1 wins, 1 losses, 0 ties" in out
    assert "Mean rank: Engine 1.50, FLAML 1.50, HGB default 3.00" in out
    assert "Worst engine budget overrun: +2.0 s (one fold 1)" in out and "quick mode" in out
    assert code == 1  # equal mean ranks: the target (better than FLAML) is missed


@pytest.mark.parametrize("contestant", ["engine", "hgb"])
def test_the_training_benchmark_runs_a_contestant_on_a_fold(tmp_path, contestant):
    import json

    import numpy as np

    from tests.training import data

    frame = data.buyers(300)
    frame.iloc[:240].to_parquet(tmp_path / "train.parquet")
    frame.iloc[240:].to_parquet(tmp_path / "test.parquet")
    meta = {
        "target": "bought",
        "task": "binary",
        "engine_task": "classification",
        "metric": "roc_auc",
        "budget": 10,
        "seed": 0,
        "classes": ["no", "yes"],
        "n_jobs": 2,
    }
    (tmp_path / "meta.json").write_text(json.dumps(meta))
    subprocess.run(
        [sys.executable, "-m", "bench.training_runner", contestant, str(tmp_path)],
        cwd=ROOT,
        check=True,
        timeout=120,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    pred = np.load(tmp_path / f"pred-{contestant}.npy")
    assert pred.shape == (60, 2) and np.allclose(pred.sum(axis=1), 1)
    result = json.loads((tmp_path / f"result-{contestant}.json").read_text())
    assert result["seconds"] < 10 * 1.1 + 15
