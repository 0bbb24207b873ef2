"""Real processes for integration tests: a Celery worker and the ASGI web server (uvicorn),
both pointed at the test database and the suite's Redis."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import uuid
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote

from django.conf import settings
from django.db import connection

from automl_site.launcher import wait_http

BASE = Path(settings.BASE_DIR)


def test_database_url() -> str:
    """The URL of the database the tests are using right now (the test database)."""
    db = connection.settings_dict
    if db["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{db['NAME']}"
    auth = quote(db["USER"] or "")
    if db.get("PASSWORD"):
        auth += ":" + quote(db["PASSWORD"])
    host = db["HOST"] or "localhost"
    return f"postgres://{auth}@{host}:{db['PORT'] or 5432}/{db['NAME']}"


def child_env(**extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(DATABASE_URL=test_database_url(), REDIS_URL=settings.REDIS_URL, PYTHONUNBUFFERED="1")
    env.setdefault("AUTOML_PREDICTION_LOG_FLUSH_S", "0")  # tests read the log right after a request
    env.update(extra)
    return env


def _log_file(name: str):
    folder = Path(settings.VAR_DIR) / "test-logs"
    folder.mkdir(parents=True, exist_ok=True)
    return open(folder / f"{name}.log", "wb")  # noqa: SIM115  (closed when the process stops)


def _stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@contextmanager
def celery_worker(queues: str = "default,training", concurrency: int = 1, env: dict | None = None, control_app=None):
    """Start `celery worker` and wait until it answers a control ping.

    `env` adds environment variables (for example the S3 storage settings) to the worker's;
    `control_app` is the Celery app to ping it through when it uses another broker."""
    from automl_site.celery import app as default_app

    app = control_app or default_app

    name = f"test-{uuid.uuid4().hex[:8]}@{socket.gethostname()}"
    # A log of its own: a test may run two workers at once and read what one of them did.
    log = _log_file(f"worker-{name.split('@')[0]}")
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "automl_site",
            "worker",
            "-l",
            "info",
            "-n",
            name,
            "-Q",
            queues,
            "--concurrency",
            str(concurrency),
            "--without-gossip",
            "--without-mingle",
        ],
        cwd=BASE,
        env=child_env(**(env or {})),
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 60
        while not app.control.ping(destination=[name], timeout=0.5):
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"The test worker did not start; see {log.name}")
        proc.worker_name = name
        proc.log_path = Path(log.name)
        yield proc
    finally:
        _stop(proc)
        log.close()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def web_server(env: dict | None = None):
    """Start the ASGI app under uvicorn, as `make run` does; yields its base URL.

    `env` adds environment variables (storage settings, upload limit...) to the server's."""
    port = free_port()
    log = _log_file(f"web-{port}")
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "automl_site.asgi:application",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--log-level",
            "warning",
        ],
        cwd=BASE,
        env=child_env(**{"ACCOUNT_RATE_LIMITS_ENABLED": "0", **(env or {})}),
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        if not wait_http(url + "/healthz/", proc):
            raise RuntimeError(f"The test web server did not start; see {log.name}")
        yield url
    finally:
        _stop(proc)
        log.close()


def pause_queue(worker, queue: str) -> None:
    """Make a test worker stop taking tasks from `queue` (they wait there)."""
    from automl_site.celery import app

    replies = app.control.cancel_consumer(queue, destination=[worker.worker_name], reply=True, timeout=5)
    assert replies, "The worker did not answer the remote control"


def resume_queue(worker, queue: str) -> None:
    from automl_site.celery import app

    replies = app.control.add_consumer(queue, destination=[worker.worker_name], reply=True, timeout=5)
    assert replies, "The worker did not answer the remote control"
