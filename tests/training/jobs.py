"""Training jobs for tests.

`run_engine` runs the real engine process (`python -m training.automl.cli`) on a generated
dataset, read and typed by the datasets engine exactly as an upload would be. Its result is
made once per test session (`engine_result` fixture) and stored onto as many jobs as the
tests need with `finish_job`, through the same code the worker uses (`JobReporter.trial` for
each trial, `runner._store` for the model and evaluation). The worker tests run real jobs end
to end instead."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pyarrow.parquet as pq

from datasets.ingest import infer_columns, read_table
from tests import factories
from training import runner, services
from training.automl.process import EngineProcess
from training.models import TrainingJob
from training.reporter import JobReporter

from . import data

TARGET = "bought"
OPTIONS = {"max_trials": 6, "seed": 0}
BUDGET = 20


def run_engine(
    folder: Path,
    frame=None,
    *,
    target: str = TARGET,
    task: str = "classification",
    metric: str = "roc_auc",
    budget: int = BUDGET,
    options: dict | None = None,
    on_event=None,
) -> tuple[dict, list[dict]]:
    """(result.json's content, the events) of one engine run on `frame` (default: buyers).
    `on_event(engine, event)` sees each event as it arrives (to stop the run, say)."""
    frame = data.buyers() if frame is None else frame
    path = folder / "data.csv"
    path.write_text(data.csv(frame))
    table, _, _ = read_table(str(path), "data.csv", {})
    columns = infer_columns(table)
    for column in columns:
        if column["name"] == target:
            column["role"] = "target"
    pq.write_table(table, folder / "data.parquet")
    out = folder / "out"
    out.mkdir()
    spec = runner.build_spec(
        parquet=str(folder / "data.parquet"),
        columns=columns,
        target=target,
        task=task,
        metric=metric,
        budget_s=budget,
        options={**OPTIONS, **(options or {})},
        out_dir=str(out),
    )
    events = []
    with EngineProcess(spec, workdir=str(folder)) as engine:
        for event in engine.events():
            if event["event"] != "tick":
                events.append(event)
            if on_event is not None:
                on_event(engine, event)
    results = [e for e in events if e["event"] == "result"]
    assert results, f"the engine gave no result: {[e for e in events if e['event'] in ('error', 'exit')]}"
    return json.loads(Path(results[0]["path"]).read_text()), events


def make_job(project, actor, dataset, **overrides) -> TrainingJob:
    """A queued job on `dataset` predicting `bought` (nothing is sent to a worker in tests)."""
    params = {"target": TARGET, "time_budget_s": BUDGET, "options": dict(OPTIONS)}
    params.update(overrides)
    return services.create_job(actor=actor, project=project, dataset=dataset, **params)


def finish_job(job: TrainingJob, result: dict, folder: Path) -> TrainingJob:
    """Store an engine result onto `job` as the worker does: claim (unless the caller did),
    trials, model, evaluation."""
    if job.status != TrainingJob.Status.RUNNING:
        assert job.claim(job.token, "test-worker")
    reporter = JobReporter(job)
    reporter.log("Data: a test run.")
    for record in result["leaderboard"]:
        reporter.trial(record)
    # _store reads the model file: give it a copy so the session's result stays intact.
    copy = folder / f"model-{job.pk}.joblib"
    shutil.copyfile(result["model_path"], copy)
    runner._store(job, {**result, "model_path": str(copy)})
    job.refresh_from_db()
    return job


def buyers_dataset(project, actor, name: str = "Buyers"):
    """The buyers data in `project`, whose target column becomes `bought` (so processing gives
    that column the target role, as it does for a project's own target)."""
    project.target_column = TARGET
    project.save(update_fields=["target_column"])
    return factories.make_dataset(project, actor, name, content=data.csv(data.buyers()), filename="buyers.csv")


def ready_buyers(project, actor, name: str = "Buyers"):
    """`buyers_dataset` when a real worker may also be processing it (transaction tests): the
    upload commits, so either the worker or this process does the work; wait until it is done."""
    import time

    dataset = buyers_dataset(project, actor, name)
    deadline = time.monotonic() + 60
    while dataset.ready_version() is None:
        assert time.monotonic() < deadline, "the dataset did not become ready"
        time.sleep(0.2)
        dataset.refresh_from_db()
    return dataset
