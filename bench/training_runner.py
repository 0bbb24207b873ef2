"""One contestant of the training benchmark on one fold, in a process of its own.

    python -m bench.training_runner {engine|hgb} FOLDER

FOLDER holds `train.parquet`, `test.parquet` and `meta.json` (target, task, metric, budget,
seed, classes); the runner writes `pred.npy` (class probabilities in the order of `classes`, or
values) and `result.json` (seconds). Each contestant runs in a fresh process so that none
inherits another's threads or memory.

The engine sees the data as the platform does: the training rows become an Arrow table whose
column types are inferred by the datasets engine and applied before training.
"""

from __future__ import annotations

import json
import logging
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa


def _typed(frame: pd.DataFrame, columns: list[dict] | None = None) -> tuple[pd.DataFrame, list[dict]]:
    from datasets.ingest import apply_types, infer_columns

    table = pa.Table.from_pandas(frame, preserve_index=False)
    columns = columns or infer_columns(table)
    typed, _ = apply_types(table, columns)
    return typed.to_pandas(), columns


def run_engine(folder: Path, meta: dict) -> np.ndarray:
    from training.automl import SearchConfig, load, run

    train = pd.read_parquet(folder / "train.parquet")
    test = pd.read_parquet(folder / "test.parquet")
    y = train.pop(meta["target"])
    X, columns = _typed(train)
    X_test, _ = _typed(test.drop(columns=[meta["target"]]), columns)
    types = {c["name"]: c["type"] for c in columns}
    config = SearchConfig(
        task=meta["engine_task"],
        metric=meta["metric"],
        time_budget_s=meta["budget"],
        seed=meta["seed"],
        test_fraction=0.0,  # the benchmark's own test fold is the holdout
        explain=False,
    )
    with tempfile.TemporaryDirectory() as out:
        started = time.monotonic()
        result = run(X, y, column_types=types, config=config, out_dir=out)
        meta["seconds"] = time.monotonic() - started
        meta["trials"] = len(result.leaderboard)
        meta["model"] = result.best.name if result.best else ""
        model = load(result.model_path, result.sha256)
    if meta["task"] == "regression":
        return model.predict(X_test).astype(float)
    proba = model.predict_proba(X_test)
    order = [str(c) for c in model.classes]
    return proba[:, [order.index(c) for c in meta["classes"]]]


def run_hgb(folder: Path, meta: dict) -> np.ndarray:
    from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor

    train = pd.read_parquet(folder / "train.parquet")
    test = pd.read_parquet(folder / "test.parquet")
    y = train.pop(meta["target"])
    test = test.drop(columns=[meta["target"]])
    for column in train.columns:
        if not pd.api.types.is_numeric_dtype(train[column]):
            categories = pd.Index(train[column].dropna().astype(str).unique())
            train[column] = pd.Categorical(train[column].astype("string"), categories=categories)
            test[column] = pd.Categorical(test[column].astype("string"), categories=categories)
    started = time.monotonic()
    if meta["task"] == "regression":
        model = HistGradientBoostingRegressor(categorical_features="from_dtype", random_state=meta["seed"]).fit(
            train, y
        )
        pred = model.predict(test)
    else:
        model = HistGradientBoostingClassifier(categorical_features="from_dtype", random_state=meta["seed"])
        model.fit(train, y.astype(str))
        proba = model.predict_proba(test)
        order = [str(c) for c in model.classes_]
        pred = proba[:, [order.index(c) for c in meta["classes"]]]
    meta["seconds"] = time.monotonic() - started
    return pred


def main() -> int:
    logging.basicConfig(level=logging.INFO, format="%(relativeCreated)7.0f ms %(message)s")
    which, folder = sys.argv[1], Path(sys.argv[2])
    meta = json.loads((folder / "meta.json").read_text())
    pred = {"engine": run_engine, "hgb": run_hgb}[which](folder, meta)
    np.save(folder / f"pred-{which}.npy", np.asarray(pred, dtype=float))
    (folder / f"result-{which}.json").write_text(json.dumps({k: meta.get(k) for k in ("seconds", "trials", "model")}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
