"""The engine process: `python -m training.automl.cli SPEC.json EVENTS_FD`.

Reads the spec written by `process.EngineProcess`, loads the data (the dataset's Parquet file
with its schema's types applied), runs the search and reports on the events pipe, one JSON
object per line: `log`, `progress`, `trial`, then `result` (with the path of result.json) or
`error`. A line "keep" or "discard" on stdin stops the search early.
"""

from __future__ import annotations

import json
import logging
import os
import select
import sys
import traceback
from pathlib import Path

import numpy as np
import pandas as pd

from .budget import estimate_memory, memory_message
from .config import Events, SearchConfig
from .data import DataError
from .search import refit, run
from .splits import Validation


class PipeEvents(Events):
    def __init__(self, stream):
        self.stream = stream
        self._stop: str | None = None

    def send(self, payload: dict) -> None:
        self.stream.write(json.dumps(payload, default=_plain, allow_nan=False) + "\n")
        self.stream.flush()

    def progress(self, fraction: float, step: str) -> None:
        self.send({"event": "progress", "fraction": fraction, "step": step})

    def trial(self, record: dict) -> None:
        self.send({"event": "trial", "record": _finite(record)})

    def should_stop(self) -> str | None:
        """ "keep" or "discard" once the caller wrote it on stdin ("discard" may follow "keep")."""
        while self._stop != "discard" and select.select([sys.stdin], [], [], 0)[0]:
            line = sys.stdin.readline()
            if not line:  # the caller closed stdin
                break
            if line.strip() in ("keep", "discard"):
                self._stop = line.strip()
        return self._stop


class PipeLogHandler(logging.Handler):
    def __init__(self, events: PipeEvents):
        super().__init__(level=logging.INFO)
        self.events = events

    def emit(self, record: logging.LogRecord) -> None:
        try:
            self.events.send({"event": "log", "level": record.levelname.lower(), "message": record.getMessage()})
        except Exception:
            self.handleError(record)


def _plain(value):
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def _finite(value):
    """JSON has no NaN or infinity: such numbers become null."""
    if isinstance(value, float) and not np.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(v) for v in value]
    if isinstance(value, np.generic):
        return _finite(value.item())
    return value


def load_frame(data: dict) -> tuple[pd.DataFrame, pd.Series | None, np.ndarray | None, np.ndarray | None]:
    """Features, target, time order and groups from the dataset's Parquet file and schema."""
    import pyarrow.parquet as pq

    from datasets.ingest import apply_types

    columns = data["columns"]
    try:
        table = pq.read_table(data["parquet"], columns=[c["name"] for c in columns])
    except OSError as exc:
        raise DataError("The dataset's stored data cannot be read; upload the file again.") from exc
    typed, _ = apply_types(table, columns)
    frame = typed.to_pandas()
    target = data.get("target") or ""
    y = frame.pop(target) if target else None
    order = frame[data["order_column"]].to_numpy() if data.get("order_column") else None
    groups = None
    if data.get("group_column"):
        groups = frame[data["group_column"]].astype("string").fillna("(missing)").to_numpy()
    return frame[data["features"]], y, order, groups


def search_config(config: dict) -> SearchConfig:
    validation = config.get("validation") or {}
    return SearchConfig(
        task=config["task"],
        metric=config["metric"],
        time_budget_s=float(config["time_budget_s"]),
        seed=int(config.get("seed", 0)),
        validation=Validation(
            strategy=validation.get("strategy", "kfold"),
            folds=int(validation.get("folds", 5)),
            holdout_fraction=float(validation.get("holdout_fraction", 0.2)),
            column=validation.get("column", ""),
        ),
        test_fraction=float(config.get("test_fraction", 0.2)),
        families=tuple(config.get("families") or ()),
        algorithms=tuple(config.get("algorithms") or ()),
        max_trials=config.get("max_trials"),
        ensemble=bool(config.get("ensemble", True)),
        balance=config.get("balance", "auto"),
        positive_class=config.get("positive_class"),
        n_jobs=int(config.get("n_jobs") or len(os.sched_getaffinity(0))),
        explain=bool(config.get("explain", True)),
        deadline_epoch=config.get("deadline"),
    )


def _check_memory(X: pd.DataFrame, types: dict, n_jobs: int, limit: int) -> None:
    import psutil

    columns = [(types[c], int(X[c].nunique()) if types[c] == "categorical" else 0) for c in X.columns]
    needed = estimate_memory(len(X), columns, n_jobs=n_jobs)
    available = limit or psutil.virtual_memory().available
    if needed > available:
        raise DataError(memory_message(needed, available))


def result_payload(result) -> dict:
    return _finite(
        {
            "leaderboard": [r.as_dict() for r in result.leaderboard],
            "best": result.best.number if result.best else None,
            "model_path": result.model_path,
            "sha256": result.sha256,
            "size": result.size,
            "model_summary": result.model_summary,
            "evaluation": result.evaluation,
            "importance": result.importance,
            "learning_curves": result.learning_curves,
            "features": [f.as_dict() for f in result.features],
            "input_schema": result.input_schema,
            "classes": result.classes,
            "positive_class": result.positive_class,
            "notes": result.notes,
            "stopped": result.stopped,
            "validation": result.validation,
            "rows": result.rows,
            "seconds": {k: round(v, 3) for k, v in result.seconds.items()},
        }
    )


def main(argv: list[str]) -> int:
    spec = json.loads(Path(argv[0]).read_text())
    events = PipeEvents(os.fdopen(int(argv[1]), "w", buffering=1))
    logger = logging.getLogger("training.automl")
    logger.setLevel(logging.INFO)
    logger.addHandler(PipeLogHandler(events))
    logger.propagate = False
    try:
        config = search_config(spec["config"])
        X, y, order, groups = load_frame(spec["data"])
        _check_memory(X, spec["column_types"], config.n_jobs, int(spec.get("memory_limit") or 0))
        common = {"column_types": spec["column_types"], "config": config, "out_dir": spec["out_dir"]}
        common.update(events=events, order=order, groups=groups)
        if spec.get("refit"):  # one candidate of a finished search, made into a model
            result = refit(X, y, records=spec["refit"]["records"], number=spec["refit"]["number"], **common)
        else:
            result = run(X, y, **common)
        path = Path(spec["out_dir"]) / "result.json"
        path.write_text(json.dumps(result_payload(result), default=_plain, allow_nan=False))
        events.send({"event": "result", "path": str(path)})
        return 0
    except DataError as exc:
        events.send({"event": "error", "kind": "data", "message": str(exc)})
    except MemoryError:
        events.send({"event": "error", "kind": "memory", "message": "The search ran out of memory."})
    except Exception as exc:
        traceback.print_exc()
        events.send({"event": "error", "kind": "internal", "message": f"{type(exc).__name__}: {exc}"[:1000]})
    return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
