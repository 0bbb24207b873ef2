"""A training job's run on a worker: claim it, load its data, run the engine with a reporter,
store the model and its evaluation, and end the job in exactly one final state."""

from __future__ import annotations

import json
import logging
import os
import shutil
import socket
import tempfile
from pathlib import Path

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.utils import timezone

from datasets import storage
from datasets.processing import Heartbeat

from .automl import DataError
from .automl.model import artifact_format
from .automl.process import EngineProcess
from .columns import feature_columns
from .models import JobEvent, TrainingJob, Trial, stalled_jobs
from .reporter import ENGINE_LOGGER, JobReporter, announce_status, record_event

log = logging.getLogger(__name__)
ENGINE_LOG = logging.getLogger(ENGINE_LOGGER)
ENGINE_LEVELS = {"debug": logging.DEBUG, "info": logging.INFO, "warning": logging.WARNING, "error": logging.ERROR}


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def cores() -> int:
    available = len(os.sched_getaffinity(0))
    return min(available, settings.TRAINING_CORES) if settings.TRAINING_CORES else available


def execute(*, job_id: int, token: str) -> None:
    job = TrainingJob.objects.select_related("dataset_version__dataset", "project").filter(pk=job_id).first()
    if job is None:
        log.info("Training job %s no longer exists; nothing to do.", job_id)
        return
    if not job.claim(token, worker_name()):
        log.info("Training job %s (run %s) was already taken, cancelled or superseded; nothing to do.", job_id, token)
        return
    announce_status(job, f"Started on a worker with a budget of {job.time_budget_s} s.")
    with Heartbeat(job.pk, every=settings.TRAINING_HEARTBEAT_S, model=TrainingJob), JobReporter(job) as reporter:
        _execute(job, reporter)


def _execute(job: TrainingJob, reporter: JobReporter) -> None:
    _sweep_work_dir()
    folder = Path(tempfile.mkdtemp(prefix=f"job-{job.pk}-", dir=_work_dir()))
    try:
        spec = engine_spec(job, str(folder))
        with EngineProcess(spec, workdir=str(folder)) as engine:
            outcome = _follow(job, reporter, engine)
        _conclude(job, outcome)
    except DataError as exc:
        _end_failed(job, str(exc))
    except SoftTimeLimitExceeded:
        _end_failed(
            job,
            f"The job ran past its time limit ({job.time_budget_s} s budget plus the allowed margin) and was stopped.",
        )
    except Exception as exc:
        log.exception("Training job %s failed", job.pk)
        _end_failed(
            job, f"The job stopped on an unexpected error ({type(exc).__name__}). The worker's log has the details."
        )
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _work_dir() -> Path:
    path = Path(settings.VAR_DIR) / "cache" / "training"
    path.mkdir(parents=True, exist_ok=True)
    return path


def _sweep_work_dir() -> None:
    """Remove the folders of jobs that are no longer running: a worker killed mid-job (a forced
    cancel, the hard time limit, out of memory) had no chance to clean up after itself."""
    folders = {}
    for folder in _work_dir().glob("job-*-*"):
        number = folder.name.split("-")[1]
        if number.isdigit():
            folders.setdefault(int(number), []).append(folder)
    running = set(
        TrainingJob.objects.filter(pk__in=folders, status=TrainingJob.Status.RUNNING).values_list("pk", flat=True)
    )
    for pk, paths in folders.items():
        if pk not in running:
            for path in paths:
                shutil.rmtree(path, ignore_errors=True)


def engine_spec(job: TrainingJob, out_dir: str) -> dict:
    """What the engine process needs to run this job."""
    version = job.dataset_version
    if not version.is_ready or not version.parquet_key:
        raise DataError(f"Version {version.number} of the dataset is not ready; it cannot be trained on.")
    try:
        parquet = _private_copy(storage.local_path(version.parquet_key), Path(out_dir))
    except OSError as exc:
        raise DataError("The dataset's stored data cannot be read; upload the file again.") from exc
    return build_spec(
        parquet=str(parquet),
        columns=version.columns,
        target=job.target,
        task=job.problem_type,
        metric=job.metric,
        budget_s=job.time_budget_s,
        options=job.options,
        out_dir=out_dir,
        # The budget started at the claim: loading the data and starting the engine count too.
        deadline_epoch=job.started_at.timestamp() + job.time_budget_s,
    )


def _private_copy(path: Path, folder: Path) -> Path:
    """A link to the data in the job's folder, so the storage cache may evict its copy of a
    remote file while the engine still reads it (the link keeps the bytes)."""
    target = folder / "data.parquet"
    try:
        os.link(path, target)
    except OSError:
        shutil.copyfile(path, target)
    return target


def build_spec(
    *,
    parquet: str,
    columns: list[dict],
    target: str,
    task: str,
    metric: str,
    budget_s: int,
    options: dict,
    out_dir: str,
    deadline_epoch: float | None = None,
) -> dict:
    """The engine's spec: the Parquet file and the schema's columns it needs (features, target,
    the validation column), and the search settings."""
    validation = options.get("validation", {})
    extra = validation.get("column") or ""
    strategy = validation.get("strategy", "kfold")
    features = feature_columns(columns, target, validation)
    wanted = {c["name"] for c in features} | ({target, extra} - {""})
    return {
        "data": {
            "parquet": parquet,
            "columns": [c for c in columns if c["name"] in wanted],
            "features": [c["name"] for c in features],
            "target": target,
            "order_column": extra if strategy == "time" else "",
            "group_column": extra if strategy == "group" else "",
        },
        "column_types": {c["name"]: c["type"] for c in features},
        "config": {
            "task": task,
            "metric": metric,
            "time_budget_s": budget_s,
            "seed": options.get("seed", 0),
            "validation": {"strategy": strategy, "folds": validation.get("folds", 5), "column": extra},
            "test_fraction": options.get("test_fraction", 0.2),
            "families": options.get("families") or [],
            "algorithms": options.get("algorithms") or [],
            "max_trials": options.get("max_trials"),
            "ensemble": options.get("ensemble", True),
            "balance": options.get("balance", "auto"),
            "positive_class": options.get("positive_class"),
            "n_jobs": cores(),
            "deadline": deadline_epoch,
        },
        "out_dir": out_dir,
        "memory_limit": settings.TRAINING_MEMORY_BYTES,
    }


def _follow(job: TrainingJob, reporter: JobReporter, engine: EngineProcess) -> dict:
    """Relay the engine's events to the reporter until it ends; pass on a cancel request."""
    outcome: dict = {"event": "exit", "code": None, "signal": ""}
    for event in engine.events():
        kind = event["event"]
        if kind == "log":
            # Through the engine's logger: the job's reporter (a logging handler) stores and
            # streams the line, and the worker's own log shows it too.
            ENGINE_LOG.log(ENGINE_LEVELS.get(event["level"], logging.INFO), event["message"])
        elif kind == "progress":
            reporter.progress(event["fraction"], event["step"])
        elif kind == "trial":
            reporter.trial(event["record"])
        elif kind in ("result", "error", "exit"):
            outcome = event
        if kind in ("tick", "progress", "trial") and engine.stopped != "discard":
            mode = reporter.should_stop()
            if mode and mode != engine.stopped:
                engine.stop(mode)
    return outcome


def _conclude(job: TrainingJob, outcome: dict) -> None:
    kind = outcome["event"]
    if kind == "result":
        _store(job, json.loads(Path(outcome["path"]).read_text()))
    elif kind == "error":
        if outcome.get("kind") == "internal":
            log.error("The engine of job %s failed: %s", job.pk, outcome["message"])
            _end_failed(job, "The search stopped on an unexpected error. The worker's log has the details.")
        elif outcome.get("kind") == "memory":
            _end_failed(job, "The worker ran out of memory. Train on fewer rows or columns, or use a larger worker.")
        else:
            _end_failed(job, outcome["message"])
    elif outcome.get("signal") == "SIGKILL":
        _end_failed(
            job,
            "The training process was killed, most likely because it ran out of memory. "
            "Train on fewer rows or columns.",
        )
    else:
        detail = f" (signal {outcome['signal']})" if outcome.get("signal") else f" (exit code {outcome.get('code')})"
        _end_failed(job, f"The training process stopped unexpectedly{detail}. The worker's log has the details.")


def _store(job: TrainingJob, result: dict) -> None:
    summary = {
        "notes": result["notes"],
        "validation": result["validation"],
        "rows": result["rows"],
        "seconds": result["seconds"],
        "features": result["features"],
        "classes": result["classes"],
        "positive_class": result["positive_class"],
        "model": result["model_summary"],
        "stopped": result["stopped"],
        "trials": len(result["leaderboard"]),
        "input_schema": result.get("input_schema", []),
    }
    if result["stopped"] == "discard" or not result["model_path"]:
        if job.mark_cancelled("Stopped on request; nothing was kept.", only_from=(TrainingJob.Status.RUNNING,)):
            TrainingJob.objects.filter(pk=job.pk).update(summary=summary)
            announce_status(job, "Stopped on request; the results were discarded.", level="warning")
        return
    artifact_key = job.key(f"model.{artifact_format(result['model_path'])}")
    evaluation_key = job.key("evaluation.json")
    storage.save_file(artifact_key, result["model_path"])
    payload = {
        "evaluation": result["evaluation"],
        "importance": result["importance"],
        "learning_curves": result["learning_curves"],
    }
    storage.save_stream(evaluation_key, [json.dumps(payload, allow_nan=False).encode()])
    best = Trial.objects.filter(job=job, number=result["best"]).first() if result["best"] else None
    kept = result["stopped"] == "keep"
    stored = job.finish_with_model(
        status=TrainingJob.Status.CANCELLED if kept else TrainingJob.Status.SUCCEEDED,
        reason="Stopped on request; the best model so far was kept." if kept else "",
        artifact_key=artifact_key,
        artifact_sha256=result["sha256"],
        artifact_size=result["size"],
        evaluation_key=evaluation_key,
        best_trial=best,
        summary=summary,
    )
    if not stored:
        # Ended meanwhile (a forced cancel, the reaper): what was stored belongs to nobody.
        storage.delete_keys([artifact_key, evaluation_key])
        return
    seconds = (job.finished_at - job.started_at).total_seconds()
    _register(job)
    if kept:
        announce_status(
            job, f"Stopped on request after {seconds:.0f} s; the best model so far was kept.", level="warning"
        )
    else:
        name = best.name if best else "the best model"
        announce_status(job, f"Finished in {seconds:.0f} s: {name} is the best of {len(result['leaderboard'])} trials.")


def _end_failed(job: TrainingJob, reason: str) -> None:
    if job.mark_failed(reason):
        announce_status(job, f"Failed: {reason}", level="error")


def fail_stalled() -> int:
    """Beat: fail running jobs whose worker went silent, so no page spins forever; send again
    the queued jobs whose message was lost (the claim makes a duplicate harmless)."""
    from datetime import timedelta

    from .tasks import enqueue

    now = timezone.now()
    count = 0
    for job in stalled_jobs(now - timedelta(seconds=settings.TRAINING_STALE_AFTER_S)):
        reason = (
            "The worker running this job stopped responding (it was stopped, killed, or ran out of memory). "
            "Start the job again."
        )
        if job.mark_failed(reason):
            announce_status(job, f"Failed: {reason}", level="error")
            count += 1
    # Queued long ago and never started: the message may have been lost (Redis restarted before
    # a worker took it). Send it again, once; a job merely waiting behind others is not harmed.
    lost = TrainingJob.objects.filter(
        status=TrainingJob.Status.QUEUED, queued_at__lt=now - timedelta(seconds=settings.TRAINING_REQUEUE_AFTER_S)
    )
    for job in lost:
        if job.summary.get("requeued"):
            continue
        TrainingJob.objects.filter(pk=job.pk).update(summary={**job.summary, "requeued": now.isoformat()})
        record_event(
            job, "Still waiting for a worker; the job was queued again.", kind=JobEvent.Kind.STATUS, level="warning"
        )
        enqueue(job)
    return count


def _register(job: TrainingJob) -> None:
    """The kept model becomes the project's next model version. The job has ended well either
    way: if this fails, a user can register it from the job page."""
    from .registry import register_job_model

    try:
        version = register_job_model(job=job, actor=job.created_by)
    except Exception:  # noqa: BLE001 - the job's result is stored; registering can be redone
        log.exception("Registering the model of job %s failed", job.pk)
        record_event(job, "The model could not be registered; register it from this page.", level="warning")
        return
    record_event(job, f"Registered as version {version.number} of the project's model.")
