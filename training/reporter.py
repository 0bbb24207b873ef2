"""The job reporter: the engine's voice, stored and streamed.

`JobReporter` is a context manager and a `logging.Handler` at once. While a job runs, it
listens to the engine's logger (`training.automl`; the runner relays there the lines the engine
process sends through its pipe): every line becomes a `JobEvent` row and is pushed to the job's
channel group. It is also the engine's `Events`: progress goes to the job row (and the group),
each finished trial becomes a `Trial` row (and a leaderboard update), and `should_stop` reads
a cancel request from the job row. The rows hold the truth; a lost channel message loses
nothing, because pages replay from the rows.
"""

from __future__ import annotations

import logging
import time

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction

from .automl import Events
from .models import JobEvent, TrainingJob, Trial

log = logging.getLogger(__name__)

ENGINE_LOGGER = "training.automl"
PROGRESS_INTERVAL_S = 0.5
CHANNEL_RETRY_S = 5.0
LEVELS = {logging.DEBUG: "debug", logging.INFO: "info", logging.WARNING: "warning"}


def job_group(job_id: int) -> str:
    return f"job-{job_id}"


def event_payload(event: JobEvent) -> dict:
    return {
        "id": event.pk,
        "kind": event.kind,
        "level": event.level,
        "message": event.message,
        "created_at": event.created_at.isoformat(),
        "data": event.data,
    }


class Broadcaster:
    """Sends to a job's group; while Redis is away it stops trying for a few seconds instead of
    slowing the job down with one failed connection per log line."""

    def __init__(self, job_id: int):
        self.group = job_group(job_id)
        self._down_until = 0.0

    def send(self, message: dict) -> None:
        if time.monotonic() < self._down_until:
            return
        try:
            async_to_sync(get_channel_layer().group_send)(self.group, message)
        except Exception as exc:  # the job must not fail because Redis blinked
            self._down_until = time.monotonic() + CHANNEL_RETRY_S
            log.warning("Could not send live updates of %s: %s", self.group, exc)


def record_event(
    job: TrainingJob,
    message: str,
    *,
    kind: str = "log",
    level: str = "info",
    data=None,
    broadcaster=None,
    on_commit=False,
) -> JobEvent:
    """Store one event of `job` and push it to the job's open pages (once the transaction
    commits, with `on_commit`: a page must not be told of a row it cannot read yet)."""
    event = JobEvent.objects.create(job_id=job.pk, kind=kind, level=level, message=message[:5000], data=data or {})
    send = (broadcaster or Broadcaster(job.pk)).send
    payload = {"type": "job.event", "event": event_payload(event)}
    if on_commit:
        transaction.on_commit(lambda: send(payload))
    else:
        send(payload)
    return event


def announce_status(job: TrainingJob, message: str, *, level: str = "info", on_commit: bool = False) -> None:
    """A status change: an event line, and a nudge for pages to redraw the job's state."""
    broadcaster = Broadcaster(job.pk)
    data = {"status": job.status}
    record_event(
        job, message, kind=JobEvent.Kind.STATUS, level=level, data=data, broadcaster=broadcaster, on_commit=on_commit
    )
    if on_commit:
        transaction.on_commit(lambda: broadcaster.send({"type": "job.state"}))
    else:
        broadcaster.send({"type": "job.state"})


class JobReporter(logging.Handler, Events):
    def __init__(self, job: TrainingJob):
        logging.Handler.__init__(self, level=logging.INFO)
        self.job = job
        self.broadcaster = Broadcaster(job.pk)
        self.setFormatter(logging.Formatter("%(message)s"))
        self._last_progress = 0.0
        self._last_step = ""
        self._logger = logging.getLogger(ENGINE_LOGGER)
        self._old_level = self._logger.level

    def __enter__(self) -> JobReporter:
        self._logger.addHandler(self)
        if self._logger.getEffectiveLevel() > logging.INFO:
            self._logger.setLevel(logging.INFO)
        return self

    def __exit__(self, *exc_info) -> None:
        self._logger.removeHandler(self)
        self._logger.setLevel(self._old_level)

    # --- logging.Handler ---------------------------------------------------------------
    def emit(self, record: logging.LogRecord) -> None:
        try:
            level = LEVELS.get(record.levelno, "error" if record.levelno >= logging.ERROR else "info")
            self.log(self.format(record), level=level)
        except Exception:  # a log line must never break the job
            self.handleError(record)

    def log(self, message: str, *, level: str = "info", data=None) -> JobEvent:
        return record_event(self.job, message, level=level, data=data, broadcaster=self.broadcaster)

    # --- automl.Events -----------------------------------------------------------------
    def progress(self, fraction: float, step: str) -> None:
        now = time.monotonic()
        self.job.set_progress(round(100 * fraction), step)
        if step != self._last_step or now - self._last_progress >= PROGRESS_INTERVAL_S:
            self._last_progress, self._last_step = now, step
            self.broadcaster.send({"type": "job.progress", "progress": self.job.progress, "stage": self.job.stage})

    def trial(self, record: dict) -> None:
        trial, _ = Trial.objects.update_or_create(
            job_id=self.job.pk,
            number=record["number"],
            defaults=Trial.fields_from_record(record),
        )
        self.broadcaster.send({"type": "job.leaderboard", "trial": trial.number})

    def should_stop(self) -> str | None:
        mode = TrainingJob.objects.filter(pk=self.job.pk).values_list("cancel_requested", flat=True).first()
        return mode or None
