"""What a job's page receives live: log lines, progress, the leaderboard and state changes, as
small JSON messages carrying server-rendered HTML. The WebSocket consumer and the polling
fallback build them here, so both paths show exactly the same thing."""

from __future__ import annotations

import zoneinfo
from datetime import datetime

from django.template.loader import render_to_string
from django.utils.html import format_html

from projects import permissions

from .models import JobEvent, TrainingJob
from .reporter import event_payload
from .views.common import leaderboard_context


def user_zone(user):
    try:
        return zoneinfo.ZoneInfo(getattr(user, "timezone", "") or "UTC")
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo("UTC")


def event_message(event: dict, user, zone=None) -> dict:
    """One console line from an event payload (see reporter.event_payload). Built here rather
    than with a template: a long job's page replays thousands of lines."""
    created = datetime.fromisoformat(event["created_at"]).astimezone(zone or user_zone(user))
    html = format_html(
        '<div class="log-line log-{} log-{}" data-event-id="{}"><time class="log-time">{}</time>'
        '<span class="log-text">{}</span></div>',
        event["level"],
        event["kind"],
        event["id"],
        created.strftime("%H:%M:%S"),
        event["message"],
    )
    return {"type": "event", "id": event["id"], "html": html}


def progress_message(job: TrainingJob) -> dict:
    return {
        "type": "progress",
        "status": job.status,
        "progress": job.progress,
        "stage": job.stage,
        "elapsed": round(job.elapsed_s, 1),
        "budget": job.time_budget_s,
        "started_at": job.started_at.isoformat() if job.started_at else None,
    }


def leaderboard_message(job: TrainingJob, user) -> dict:
    html = render_to_string("training/includes/leaderboard.html", leaderboard_context(job, user))
    return {"type": "leaderboard", "html": html}


def state_message(job: TrainingJob) -> dict:
    return {"type": "state", "status": job.status, "finished": job.is_finished}


def replay(job: TrainingJob, user, after: int = 0) -> list[dict]:
    """Everything a page that has seen events up to `after` needs to be current."""
    events = JobEvent.objects.filter(job=job, id__gt=after).order_by("id").iterator(chunk_size=1000)
    zone = user_zone(user)
    messages = [event_message(event_payload(e), user, zone) for e in events]
    messages += [progress_message(job), leaderboard_message(job, user), state_message(job)]
    return messages


def visible_job(user, job_id: int) -> TrainingJob | None:
    """The job if it exists and `user` may view it (the one policy), else None."""
    job = TrainingJob.objects.select_related("project__workspace", "dataset").filter(pk=job_id).first()
    return job if permissions.can(user, "view", job) else None
