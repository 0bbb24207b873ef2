"""Celery tasks of the datasets app: thin wrappers that pass ids to the processing service."""

from celery import shared_task
from django.conf import settings

from . import processing


@shared_task(
    name="datasets.process_version",
    soft_time_limit=settings.DATASET_TIME_LIMIT_S,
    time_limit=settings.DATASET_TIME_LIMIT_S + 60,
)
def process_version(version_id: int, token: str) -> None:
    """Read, convert and profile one dataset version (or only profile it again)."""
    processing.run(version_id=version_id, token=token)


@shared_task(name="datasets.fail_stalled_versions")
def fail_stalled_versions() -> int:
    """Beat task: fail versions whose worker stopped sending heartbeats."""
    return processing.fail_stalled()
