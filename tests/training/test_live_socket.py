"""A job's live WebSocket (/ws/jobs/{id}/): who may connect, the replay of the history (all of
it, or only after a given event), and what the job's reporter pushes while it runs."""

import json

import pytest
from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async

from tests.websocket import connect, disconnect, receive_text, ws_headers
from training.models import JobEvent
from training.reporter import JobReporter


async def _messages_until_state(communicator) -> list[dict]:
    messages = []
    while True:
        message = json.loads(await receive_text(communicator))
        messages.append(message)
        if message["type"] == "state":
            return messages


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    "who, allowed",
    [
        ("owner", True),
        ("admin_user", True),
        ("editor", True),
        ("viewer", True),
        ("sharee", True),
        ("outsider", False),
        ("anonymous", False),
    ],
)
def test_only_people_who_may_view_the_project_may_subscribe(queued_job, who, allowed, request):
    user = None if who == "anonymous" else request.getfixturevalue(who)
    headers = ws_headers(user)

    async def scenario():
        communicator, connected, code = await connect(f"/ws/jobs/{queued_job.pk}/", headers)
        if connected:
            await _messages_until_state(communicator)
        await disconnect(communicator)
        return connected, code

    connected, code = async_to_sync(scenario)()
    assert connected is allowed
    if not allowed:
        assert code == 4403


@pytest.mark.django_db(transaction=True)
def test_a_reconnect_replays_only_what_was_missed(finished_job, viewer):
    ids = list(JobEvent.objects.filter(job=finished_job).order_by("id").values_list("id", flat=True))
    headers = ws_headers(viewer)

    async def replay(after: int):
        communicator, connected, _ = await connect(f"/ws/jobs/{finished_job.pk}/?after={after}", headers)
        assert connected
        messages = await _messages_until_state(communicator)
        await disconnect(communicator)
        return messages

    everything = async_to_sync(replay)(0)
    assert [m["id"] for m in everything if m["type"] == "event"] == ids
    assert [m["type"] for m in everything[-3:]] == ["progress", "leaderboard", "state"]
    assert everything[-1]["finished"] and "data-trial=" in everything[-2]["html"]
    missed = async_to_sync(replay)(ids[-3])
    assert [m["id"] for m in missed if m["type"] == "event"] == ids[-2:]


@pytest.mark.django_db(transaction=True)
def test_log_lines_progress_and_trials_are_pushed_as_the_job_runs(queued_job, viewer):
    headers = ws_headers(viewer)
    queued_job.claim(queued_job.token, "test")
    record = {
        "number": 1,
        "key": "hgb_classifier",
        "name": "Histogram gradient boosting",
        "family": "gradient_boosting",
        "phase": "portfolio",
        "params": {},
        "status": "succeeded",
        "score": 0.91,
        "std": 0.01,
        "fold_scores": [0.9, 0.92],
        "metrics": {},
        "fit_time": 0.2,
        "predict_time": 0.1,
        "duration": 1.0,
        "iterations": 40,
        "weights": {},
        "details": {},
        "error": "",
    }

    async def scenario():
        communicator, connected, _ = await connect(f"/ws/jobs/{queued_job.pk}/", headers)
        assert connected
        await _messages_until_state(communicator)  # the replay
        reporter = JobReporter(queued_job)
        await database_sync_to_async(reporter.log)("#1 Histogram gradient boosting: ROC AUC 0.9100")
        line = json.loads(await receive_text(communicator))
        await database_sync_to_async(reporter.progress)(0.42, "Trial 2: XGBoost")
        progress = json.loads(await receive_text(communicator))
        await database_sync_to_async(reporter.trial)(record)
        board = json.loads(await receive_text(communicator))
        await disconnect(communicator)
        return line, progress, board

    line, progress, board = async_to_sync(scenario)()
    assert line["type"] == "event" and "ROC AUC 0.9100" in line["html"]
    assert (progress["type"], progress["progress"], progress["stage"]) == ("progress", 42, "Trial 2: XGBoost")
    assert (
        board["type"] == "leaderboard" and "Histogram gradient boosting" in board["html"] and "0.9100" in board["html"]
    )
