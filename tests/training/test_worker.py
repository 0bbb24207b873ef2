"""Training with the real parts: a job started through the API of a real uvicorn runs on a real
Celery worker (which runs the engine in its own process), while a real WebSocket client
watches it live; duplicate deliveries; cancelling; a worker killed mid-job.

The worker and the web server live for the whole module; each test commits its rows
(`transaction=True`). Where a test needs the queue to wait, it asks the worker to stop and
resume consuming the training queue (Celery remote control)."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import time

import psutil
import pytest
from django.conf import settings
from websockets.sync.client import connect

from tests import processes
from tests.live import LiveApi
from training import runner
from training.models import JobEvent, TrainingJob
from training.tasks import run_job

from .jobs import ready_buyers
from .test_pages import signed_in

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True, reset_sequences=True)]


@pytest.fixture(scope="module")
def worker(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock(), processes.celery_worker(queues="default,training", concurrency=2) as proc:
        yield proc


@pytest.fixture(scope="module")
def server(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock(), processes.web_server() as url:
        yield url


def pause(worker) -> None:
    processes.pause_queue(worker, "training")


def resume(worker) -> None:
    processes.resume_queue(worker, "training")


def wait_finished(job_id: int, timeout: float) -> TrainingJob:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = TrainingJob.objects.get(pk=job_id)
        if job.is_finished:
            return job
        time.sleep(0.3)
    raise AssertionError(f"Job {job_id} is still {TrainingJob.objects.get(pk=job_id).status} after {timeout} s")


def cookie(user) -> dict:
    client = signed_in(user)
    return {"Cookie": f"sessionid={client.cookies['sessionid'].value}"}


def test_a_15_second_job_runs_on_the_worker_while_a_websocket_client_watches(worker, server, project, owner, viewer):
    dataset = ready_buyers(project, owner)
    api = LiveApi(server, owner)
    pause(worker)
    try:
        status, job = api.post_json(
            "/api/v1/jobs/", {"project": project.pk, "dataset": dataset.pk, "target": "bought", "time_budget_s": 15}
        )
        assert status == 201, job
        ws_url = server.replace("http://", "ws://") + f"/ws/jobs/{job['id']}/"
        with connect(ws_url, origin=server, additional_headers=cookie(viewer), open_timeout=10) as ws:
            messages = []
            while not messages or messages[-1]["type"] != "state":  # the replay of a queued job
                messages.append(json.loads(ws.recv(timeout=10)))
            started = time.monotonic()
            resume(worker)
            while not (messages[-1]["type"] == "state" and messages[-1]["finished"]):
                messages.append(json.loads(ws.recv(timeout=60)))
            elapsed = time.monotonic() - started
    finally:
        resume(worker)

    lines = [m["html"] for m in messages if m["type"] == "event"]
    assert any("Queued:" in line for line in lines) and any("Started on" in line for line in lines)
    assert any("#1 Baseline" in line for line in lines) and any("Finished in" in line for line in lines)
    progress = [m["progress"] for m in messages if m["type"] == "progress" and m["status"] == "running"]
    assert len(progress) >= 3 and progress == sorted(progress)
    boards = [m for m in messages if m["type"] == "leaderboard"]
    assert len(boards) >= 3 and boards[-1]["html"].count("data-trial=") > boards[1]["html"].count("data-trial=")
    assert messages[-1]["status"] == "succeeded"
    assert elapsed < 15 * 1.1 + 15 + 10  # the contract, plus the queue and the engine's start-up

    status, done = api.get(f"/api/v1/jobs/{job['id']}/")
    assert done["status"] == "succeeded" and done["leaderboard"] and done["best_model"]["holdout"]["roc_auc"]
    assert (done["finished_at"] > done["started_at"]) and done["progress"] == 100


def test_a_task_delivered_three_times_runs_the_job_once(worker, project, owner):
    dataset = ready_buyers(project, owner)
    pause(worker)
    try:
        job = _start(project, owner, dataset, budget=10)  # queued once, on commit
        for _ in range(2):
            run_job.apply_async(args=[job.pk, job.token], queue=settings.TRAINING_QUEUE)
    finally:
        resume(worker)
    job = wait_finished(job.pk, 60)
    assert job.status == "succeeded"
    started = JobEvent.objects.filter(job=job, kind="status", message__startswith="Started on")
    assert started.count() == 1
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and worker.log_path.read_text().count(f"Training job {job.pk} (run") < 2:
        time.sleep(0.2)
    assert worker.log_path.read_text().count("was already taken, cancelled or superseded") >= 2


def _start(project, owner, dataset, budget: int, **options):
    from training import services

    return services.create_job(
        actor=owner, project=project, dataset=dataset, target="bought", time_budget_s=budget, options=options
    )


def test_stop_and_keep_ends_a_running_job_with_a_model(worker, project, owner):
    dataset = ready_buyers(project, owner)
    job = _start(project, owner, dataset, budget=120)
    _wait_for_trials(job, 3)
    client = signed_in(owner)
    client.post(f"/jobs/{job.pk}/cancel/", {"mode": "keep"})
    job = wait_finished(job.pk, 60)
    assert job.status == "cancelled" and job.has_model and "best model so far was kept" in job.error
    assert job.elapsed_s < 60


def test_stop_and_discard_ends_a_running_job_without_a_model(worker, project, owner):
    dataset = ready_buyers(project, owner)
    job = _start(project, owner, dataset, budget=120)
    _wait_for_trials(job, 2)
    signed_in(owner).post(f"/jobs/{job.pk}/cancel/", {"mode": "discard"})
    job = wait_finished(job.pk, 30)
    assert job.status == "cancelled" and not job.has_model


def _wait_for_trials(job: TrainingJob, count: int, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while job.trials.count() < count:
        assert time.monotonic() < deadline, f"job {job.pk} made no progress: {job.status} {job.error}"
        time.sleep(0.2)


def _engine_processes(worker_pid: int) -> list[psutil.Process]:
    """The engine processes (and their forked children) below this worker."""
    found = []
    for proc in _tree(psutil.Process(worker_pid))[1:]:
        try:
            if "training.automl.cli" in " ".join(proc.cmdline()):
                found.append(proc)
        except psutil.Error:
            continue
    return found


def _tree(process: psutil.Process) -> list[psutil.Process]:
    """The process and its descendants. Trial children come and go while the walk runs; one that
    ends meanwhile is simply not in the list (a second walk is taken if the first trips on it)."""
    for _ in range(5):
        try:
            return [process, *process.children(recursive=True)]
        except psutil.NoSuchProcess:
            continue
    return [process]


def _alive(process: psutil.Process) -> bool:
    try:
        return process.is_running() and process.status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def test_a_worker_killed_mid_job_leaves_it_failed_not_running(django_db_blocker, worker, project, owner, settings):
    dataset = ready_buyers(project, owner)
    # A worker of its own: this test kills it. The module's worker stops taking training jobs
    # meanwhile, or it could be the one to run this job.
    pause(worker)
    try:
        with (
            django_db_blocker.unblock(),
            processes.celery_worker(queues="training", concurrency=1, env={"AUTOML_TRAINING_HEARTBEAT_S": "1"}) as proc,
        ):
            job = _start(project, owner, dataset, budget=120)
            _wait_for_trials(job, 2)
            engines = _engine_processes(proc.pid)
            assert engines, "the engine process should be running"
            # Kill the worker and its pool process, not the engine below them: it must go by itself.
            engine_tree = {p.pid for e in engines for p in _tree(e)}
            family = [p.pid for p in _tree(psutil.Process(proc.pid))]
            for pid in family:
                if pid not in engine_tree:
                    with contextlib.suppress(ProcessLookupError):
                        os.kill(pid, signal.SIGKILL)
        # The engine and its children die with the worker (parent-death signal): nothing is left.
        deadline = time.monotonic() + 10
        while any(_alive(p) for p in engines) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not any(_alive(p) for p in engines)
        assert TrainingJob.objects.get(pk=job.pk).status == "running"  # what a dead worker leaves
        settings.TRAINING_STALE_AFTER_S = 2
        time.sleep(3)
        assert runner.fail_stalled() == 1  # the beat task's reaper
        job.refresh_from_db()
        assert job.status == "failed" and "stopped responding" in job.error
        assert JobEvent.objects.filter(job=job, level="error", message__contains="stopped responding").exists()
    finally:
        resume(worker)
