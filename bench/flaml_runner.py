"""FLAML on one fold of the training benchmark, run by the Python of FLAML's own virtual
environment (FLAML pins xgboost<3, the platform uses xgboost 3). Standalone on purpose: it
imports nothing of the platform.

    var/bench/flaml-venv/bin/python bench/flaml_runner.py FOLDER
"""

import json
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd


def main() -> int:
    from flaml import AutoML

    folder = Path(sys.argv[1])
    meta = json.loads((folder / "meta.json").read_text())
    train = pd.read_parquet(folder / "train.parquet")
    test = pd.read_parquet(folder / "test.parquet")
    y = train.pop(meta["target"])
    test = test.drop(columns=[meta["target"]])
    for frame in (train, test):
        for column in frame.columns:
            if not pd.api.types.is_numeric_dtype(frame[column]):
                frame[column] = frame[column].astype("object")
    automl = AutoML()
    task = "regression" if meta["task"] == "regression" else "classification"
    started = time.monotonic()
    automl.fit(
        train,
        y if task == "regression" else y.astype(str),
        task=task,
        metric=meta["metric"],
        time_budget=meta["budget"],
        seed=meta["seed"],
        n_jobs=meta["n_jobs"],
        verbose=0,
    )
    seconds = time.monotonic() - started
    if task == "regression":
        pred = automl.predict(test)
    else:
        proba = automl.predict_proba(test)
        order = [str(c) for c in automl.classes_]
        pred = proba[:, [order.index(c) for c in meta["classes"]]]
    np.save(folder / "pred-flaml.npy", np.asarray(pred, dtype=float))
    result = {"seconds": seconds, "model": str(automl.best_estimator), "trials": None}
    (folder / "result-flaml.json").write_text(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
