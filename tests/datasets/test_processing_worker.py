"""Dataset processing with the real parts: uploads go through the API of a real uvicorn, a real
Celery worker processes them, and progress reaches a real WebSocket client through Redis.

The worker and the web server live for the whole module; the rows they see are committed by
each test (`transaction=True`). Where a test needs the queue to wait (to connect a socket
first, or to deliver a task twice before anyone takes it) it asks the worker, through Celery's
remote control, to stop and then resume consuming.
"""

from __future__ import annotations

import re
import time
from datetime import timedelta

import psutil
import pyarrow.parquet as pq
import pytest
from django.conf import settings
from django.test import Client
from django.utils import timezone
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect

from datasets import processing
from datasets.models import DatasetVersion
from datasets.tasks import process_version
from tests import processes

from .conftest import live_csv, media_files, ragged_late_csv

# The web server and worker outlive each test's flush; reset sequences so the content types
# they cached keep their ids on PostgreSQL (guardian refuses a stale one).
pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True, reset_sequences=True)]

STAGES = (
    "Reading the file",
    "Inferring column types",
    "Writing the Parquet copy",
    "Applying column types",
    "Profiling",
    "Saving the profile",
)


@pytest.fixture(scope="module")
def worker(django_db_setup, django_db_blocker):
    # Two processes, so two datasets really are processed at the same time.
    with django_db_blocker.unblock(), processes.celery_worker(queues="default", concurrency=2) as proc:
        yield proc


@pytest.fixture(scope="module")
def server(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock(), processes.web_server() as url:
        yield url


def pause(worker) -> None:
    """Stop the worker taking tasks from the queue (they wait there)."""
    processes.pause_queue(worker, "default")


def resume(worker) -> None:
    processes.resume_queue(worker, "default")


def latest(dataset_id: int) -> DatasetVersion:
    return DatasetVersion.objects.filter(dataset_id=dataset_id).order_by("-number").first()


def session_cookie(user) -> str:
    client = Client()
    client.force_login(user)
    return f"sessionid={client.cookies['sessionid'].value}"


def test_upload_is_processed_by_the_worker_with_live_progress(worker, server, live_api, project, owner):
    api = live_api(server, owner)
    pause(worker)
    try:
        dataset_id = api.create(project.pk, "Customers", live_csv(100_000), "customers.csv")
        ws_url = server.replace("http://", "ws://") + f"/ws/datasets/{dataset_id}/progress/"
        cookie = {"Cookie": session_cookie(owner)}
        with connect(ws_url, origin=server, additional_headers=cookie, open_timeout=10) as ws:
            # The state on connect: queued, nothing done yet.
            messages = [ws.recv(timeout=10)]
            resume(worker)
            deadline = time.monotonic() + 60
            while 'data-status="processing"' in messages[-1]:
                messages.append(ws.recv(timeout=max(0.1, deadline - time.monotonic())))
    finally:
        resume(worker)

    # Progress arrived while the worker ran: a stage and its percentage, then the ready state.
    assert "Waiting for a worker" in messages[0] and "0%" in messages[0]
    during = [m for m in messages[1:-1] if any(stage in m for stage in STAGES)]
    assert during, messages
    assert any(re.search(r"\b([1-9]|[1-9]\d)%", m) for m in during), during
    assert 'data-status="ready"' in messages[-1]
    assert "Ready" in messages[-1] and "100,000 rows × 6 columns" in messages[-1]

    status, answer = api.get(f"/api/v1/datasets/{dataset_id}/")
    assert status == 200 and answer["status"] == "ready", answer
    assert answer["n_rows"] == 100_000 and answer["n_columns"] == 6
    types = {c["name"]: c["type"] for c in answer["columns"]}
    assert types["amount"] == "numeric" and types["plan"] == "categorical" and types["signup"] == "datetime"

    status, profile = api.get(f"/api/v1/datasets/{dataset_id}/profile/")
    assert status == 200, profile
    assert profile["dataset"]["n_rows"] == 100_000
    assert {c["name"] for c in profile["columns"]} == set(types)

    version = latest(dataset_id)
    files = media_files(version.storage_prefix)
    assert version.parquet_key in files and version.raw_key in files and version.profile_key in files
    assert version.parquet_key == f"{version.storage_prefix}data.parquet"
    assert pq.read_metadata(settings.MEDIA_ROOT / version.parquet_key).num_rows == 100_000


def test_only_people_who_may_see_the_dataset_can_watch_it(worker, server, live_api, project, owner, outsider):
    dataset_id = live_api(server, owner).create(project.pk, "Private", live_csv(100))
    ws_url = server.replace("http://", "ws://") + f"/ws/datasets/{dataset_id}/progress/"
    with pytest.raises(InvalidStatus) as refused:
        connect(ws_url, origin=server, additional_headers={"Cookie": session_cookie(outsider)}, open_timeout=10)
    assert refused.value.response.status_code == 403
    with pytest.raises(InvalidStatus):
        connect(ws_url, origin=server, open_timeout=10)


def test_a_file_failing_late_fails_alone_and_leaves_no_files(worker, server, live_api, project, owner):
    api = live_api(server, owner)
    bad_id = api.create(project.pk, "Ragged", ragged_late_csv(rows=150_000, short_line=149_000), "ragged.csv")
    good_id = api.create(project.pk, "Fine", live_csv(50_000), "fine.csv")

    bad = api.wait_finished(bad_id)
    good = api.wait_finished(good_id)

    assert bad["status"] == "failed"
    assert re.search(r"Line 149,?000\b", bad["error"]), bad["error"]
    assert "3 fields but the header has 4" in bad["error"]
    assert media_files(latest(bad_id).storage_prefix) == []

    assert good["status"] == "ready" and good["n_rows"] == 50_000 and good["error"] == ""
    assert len(media_files(latest(good_id).storage_prefix)) == 3


def _refusals(worker, version: DatasetVersion) -> int:
    text = worker.log_path.read_text(errors="replace")
    return text.count(f"Version {version.pk} run {version.task_id} already taken or superseded")


def test_a_task_delivered_three_times_is_processed_once(worker, server, live_api, project, owner):
    api = live_api(server, owner)
    pause(worker)
    try:
        dataset_id = api.create(project.pk, "Twice", live_csv(20_000))
        version = latest(dataset_id)
        # The web process queued it once; two more deliveries of the very same task wait with it.
        process_version.delay(version.pk, version.task_id)
        process_version.delay(version.pk, version.task_id)
    finally:
        resume(worker)

    assert api.wait_finished(dataset_id)["status"] == "ready"
    deadline = time.monotonic() + 20
    while _refusals(worker, version) < 2 and time.monotonic() < deadline:
        time.sleep(0.2)
    assert _refusals(worker, version) == 2

    version.refresh_from_db()
    files = media_files(version.storage_prefix)
    profiles = [f for f in files if "/profile-" in f]
    assert profiles == [version.profile_key], files
    assert len(files) == 3


def _kill_tree(proc) -> None:
    """SIGKILL a worker and its pool processes at once, as a crashed machine would."""
    parent = psutil.Process(proc.pid)
    for process in [*parent.children(recursive=True), parent]:
        process.kill()
    proc.wait(timeout=10)


def test_a_version_whose_worker_died_is_failed_by_the_reaper(worker, server, live_api, project, owner):
    api = live_api(server, owner)
    # The module's worker steps aside: the task must go to the worker this test kills.
    pause(worker)
    try:
        with processes.celery_worker(queues="default") as doomed:
            dataset_id = api.create(project.pk, "Doomed", live_csv(400_000), "big.csv")
            # Kill it as soon as it has taken the run (its whole run lasts about a second).
            deadline = time.monotonic() + 30
            while latest(dataset_id).started_at is None and time.monotonic() < deadline:
                time.sleep(0.01)
            _kill_tree(doomed)
            version = latest(dataset_id)
            assert version.started_at is not None, "The worker never took the run"
            assert version.status == DatasetVersion.Status.PROCESSING, "The run ended before the kill"
            assert version.raw_key in media_files(version.storage_prefix)
    finally:
        resume(worker)

    assert processing.fail_stalled() == 0, "A run with a fresh heartbeat is not stalled"

    # Ten minutes of silence later (the beat task runs this every five minutes):
    stale = timezone.now() - processing.STALE_AFTER - timedelta(seconds=1)
    DatasetVersion.objects.filter(pk=version.pk).update(heartbeat_at=stale)
    assert processing.fail_stalled() == 1

    status, answer = api.get(f"/api/v1/datasets/{dataset_id}/")
    assert status == 200 and answer["status"] == "failed"
    assert answer["error"] == "The worker processing this version stopped responding."
    assert media_files(version.storage_prefix) == []
