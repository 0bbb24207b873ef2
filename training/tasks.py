"""Celery tasks of the training app: thin wrappers that pass ids to the runner and services."""

from __future__ import annotations

from celery import shared_task
from django.conf import settings

from . import runner

# The engine keeps the job within budget + 10 % + 15 s by itself (its deadline starts at the
# claim); these limits only stop a run gone wrong.
SOFT_MARGIN_S = 60
HARD_MARGIN_S = 60


def time_limits(budget_s: int) -> tuple[int, int]:
    soft = int(budget_s * 1.1 + 15 + SOFT_MARGIN_S)
    return soft, soft + HARD_MARGIN_S


@shared_task(name="training.run_job")
def run_job(job_id: int, token: str) -> None:
    """Run one training job (the engine, its reporter, storing the results)."""
    runner.execute(job_id=job_id, token=token)


@shared_task(name="training.enforce_cancel")
def enforce_cancel(job_id: int) -> None:
    """A grace period after a cancel: stop the job's worker process if the job still runs."""
    from .services import force_cancel

    force_cancel(job_id=job_id)


@shared_task(name="training.fail_stalled_jobs")
def fail_stalled_jobs() -> int:
    """Beat task: fail jobs whose worker stopped sending heartbeats."""
    return runner.fail_stalled()


@shared_task(
    name="training.predict_batch",
    soft_time_limit=settings.BATCH_TIME_LIMIT_S,
    time_limit=settings.BATCH_TIME_LIMIT_S + 60,
)
def predict_batch(batch_id: int, token: str) -> None:
    """Score one file with a model version (batch_run.py)."""
    from . import batch_run

    batch_run.run(batch_id=batch_id, token=token)


@shared_task(name="training.fail_stalled_batches")
def fail_stalled_batches() -> int:
    """Beat task: resend lost batch predictions, fail those whose worker went silent."""
    from . import batch

    return batch.fail_stalled()


@shared_task(name="training.refit_candidate")
def refit_candidate(refit_id: int, token: str) -> None:
    """Refit a leaderboard candidate on its job's data and register it (candidates.py)."""
    from . import candidates

    candidates.run(refit_id=refit_id, token=token)


@shared_task(name="training.fail_stalled_refits")
def fail_stalled_refits() -> int:
    """Beat task: resend lost candidate refits, fail those whose worker went silent."""
    from . import candidates

    return candidates.fail_stalled()


def enqueue(job) -> None:
    """Send the job's run to the training queue, with time limits from its budget."""
    soft, hard = time_limits(job.time_budget_s)
    run_job.apply_async(
        args=[job.pk, job.token],
        task_id=job.token,
        queue=settings.TRAINING_QUEUE,
        soft_time_limit=soft,
        time_limit=hard,
    )
