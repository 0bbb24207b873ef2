"""Registering any leaderboard candidate, not only the model a job kept.

The kept model is registered at once (its artifact exists). Any other candidate that finished its
trial is refitted by a worker on the job's data, in a fresh engine process, exactly as the kept
model was (the same preparation, split and refit on every search row, evaluated on the same
holdout), then registered as the project's next version with its own evaluation."""

from __future__ import annotations

import json
import logging
import shutil
import tempfile
import time
import uuid
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from datasets import storage
from datasets.processing import Heartbeat

from . import registry, runner
from .automl.data import DataError
from .automl.model import artifact_format
from .automl.process import EngineProcess
from .models import CandidateRefit, ModelVersion, TrainingJob, Trial

log = logging.getLogger(__name__)
STALE_AFTER = timedelta(minutes=10)


def accepts(job: TrainingJob) -> bool:
    """Whether `job`'s candidates can be registered: once it has ended, and not for clustering."""
    return job.is_finished and job.problem_type != TrainingJob.ProblemType.CLUSTERING


def register(*, job: TrainingJob, number: int, actor) -> ModelVersion | CandidateRefit:
    """Candidate `number` of `job` as a model version: the version at once when it exists or is
    the kept model, else the queued refit that will make it."""
    trial = Trial.objects.filter(job=job, number=number).first()
    if trial is None:
        raise ValidationError({"trial": f"Job #{job.number} has no candidate #{number}."})
    if job.has_model and job.best_trial_id == trial.pk:
        return registry.register_job_model(job=job, actor=actor)
    existing = ModelVersion.objects.filter(job=job, trial=trial).first()
    if existing:
        return existing
    if job.is_active:
        raise ValidationError({"trial": "The job is still running; register candidates once it has ended."})
    if trial.status != Trial.Status.SUCCEEDED or trial.phase == "baseline":
        raise ValidationError({"trial": f"Candidate #{number} did not finish its trial; there is no model to refit."})
    if job.problem_type == TrainingJob.ProblemType.CLUSTERING:
        raise ValidationError({"trial": "Clustering candidates cannot be registered yet; only the kept one."})
    version = job.dataset_version
    if not version.is_ready or not version.parquet_key:
        raise ValidationError({"trial": "The job's dataset version is no longer available to refit on."})
    with transaction.atomic():
        active = CandidateRefit.objects.select_for_update().filter(trial=trial, status__in=CandidateRefit.ACTIVE)
        refit = active.first()
        if refit is not None:
            return refit
        refit = CandidateRefit.objects.create(
            job=job, trial=trial, token=uuid.uuid4().hex, created_by=actor, heartbeat_at=timezone.now()
        )
        transaction.on_commit(lambda: _enqueue(refit))
    return refit


def _enqueue(refit: CandidateRefit) -> None:
    from .tasks import refit_candidate

    refit_candidate.apply_async(args=[refit.pk, refit.token], queue=settings.TRAINING_QUEUE)


def run(*, refit_id: int, token: str) -> None:
    """The worker's part: refit in an engine process, store the model and its evaluation, register."""
    if not CandidateRefit.claim(refit_id, token):
        log.info("Candidate refit %s (run %s) already taken or gone; nothing to do.", refit_id, token)
        return
    refit = CandidateRefit.objects.select_related("job__dataset_version", "job__project", "trial").get(pk=refit_id)
    folder = Path(tempfile.mkdtemp(prefix=f"refit-{refit.pk}-", dir=runner._work_dir()))
    try:
        with Heartbeat(refit.pk, every=settings.TRAINING_HEARTBEAT_S, model=CandidateRefit):
            version = _refit(refit, folder)
    except DataError as exc:
        refit.finish(CandidateRefit.FAILED, error=str(exc))
    except Exception as exc:
        log.exception("Refitting candidate %s failed", refit.pk)
        refit.finish(CandidateRefit.FAILED, error=f"The refit stopped on an unexpected error ({type(exc).__name__}).")
    else:
        refit.finish(CandidateRefit.SUCCEEDED, version=version)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _refit(refit: CandidateRefit, folder: Path) -> ModelVersion:
    job, trial = refit.job, refit.trial
    spec = runner.engine_spec(job, str(folder))
    # A fresh allowance: the job's budget again, from now (only the refit and evaluation run).
    spec["config"]["deadline"] = time.time() + job.time_budget_s
    spec["config"]["explain"] = True
    spec["refit"] = {"records": [t.as_record() for t in job.trials.all()], "number": trial.number}
    outcome: dict = {"event": "exit"}
    with EngineProcess(spec, workdir=str(folder)) as engine:
        for event in engine.events():
            if event["event"] == "log":
                log.info("Refit %s: %s", refit.pk, event["message"])
            elif event["event"] in ("result", "error", "exit"):
                outcome = event
    if outcome["event"] == "error":
        raise DataError(
            outcome["message"] if outcome.get("kind") == "data" else "The refit failed; see the worker's log."
        )
    if outcome["event"] != "result":
        raise DataError("The refit process stopped unexpectedly; see the worker's log.")
    result = json.loads(Path(outcome["path"]).read_text())
    if not result.get("model_path"):
        raise DataError("The candidate could not be refitted in the time allowed.")
    artifact_key = job.key(f"candidate-{trial.number}-{refit.pk}.{artifact_format(result['model_path'])}")
    evaluation_key = job.key(f"candidate-{trial.number}-{refit.pk}-evaluation.json")
    storage.save_file(artifact_key, result["model_path"])
    payload = {key: result[key] for key in ("evaluation", "importance", "learning_curves")}
    storage.save_stream(evaluation_key, [json.dumps(payload, allow_nan=False).encode()])
    return registry.create_version(
        job=job,
        trial=trial,
        name=trial.name,
        metrics=((result.get("evaluation") or {}).get("metrics")) or {},
        artifact=(artifact_key, result["sha256"], result["size"]),
        input_schema=result.get("input_schema") or [],
        library_versions=(result.get("model_summary") or {}).get("versions", {}),
        actor=refit.created_by,
        evaluation_key=evaluation_key,
    )


def fail_stalled() -> int:
    """Beat: resend refits whose message was lost; fail those whose worker went silent."""
    return CandidateRefit.reap(
        timezone.now() - STALE_AFTER,
        resend=_enqueue,
        reason="The worker refitting this candidate stopped responding. Register it again.",
    )
