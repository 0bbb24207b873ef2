"""A private, throwaway platform for benchmarks: its own var dir (SQLite, media), an embedded
Redis, `manage.py migrate`, uvicorn and one Celery worker, as `make run` starts them, plus a
sampler of a process tree's memory.

`private_environment()` must run before Django is imported; `Platform.stop()` ends only the
processes it started (each in its own session, so a Ctrl-C reaches the benchmark first).
"""

from __future__ import annotations

import http.client
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import psutil

from automl_site.web import web_workers

BASE = Path(__file__).resolve().parent.parent

# Variables that would point the run at a real database, Redis or bucket: the benchmark
# always uses its own private ones.
PRIVATE_ENV_DROPS = (
    "DATABASE_URL",
    "REDIS_URL",
    "CELERY_BROKER_URL",
    "MEDIA_ROOT",
    "AWS_STORAGE_BUCKET_NAME",
    "DJANGO_SETTINGS_MODULE",
)


class BenchError(RuntimeError):
    """The run itself broke (a server did not start, processing failed)."""


def private_environment(var_dir: Path) -> None:
    """Point this process (and the processes it starts) at a private var dir; must run before
    Django is imported."""
    for name in PRIVATE_ENV_DROPS:
        os.environ.pop(name, None)
    os.environ.update(
        AUTOML_VAR_DIR=str(var_dir),
        DJANGO_SETTINGS_MODULE="automl_site.settings",
        DJANGO_DEBUG="0",
        ACCOUNT_RATE_LIMITS_ENABLED="0",
        PYTHONUNBUFFERED="1",
    )


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_http(url: str, proc: subprocess.Popen, timeout: float = 90) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            return False
        try:
            host, port = url.removeprefix("http://").split(":")
            conn = http.client.HTTPConnection(host, int(port), timeout=2)
            conn.request("GET", "/healthz/")
            conn.getresponse().read()
            return True
        except OSError:
            time.sleep(0.2)
    return False


class Platform:
    """The processes of one private run; `stop()` ends only the ones started here."""

    def __init__(self, var_dir: Path):
        self.var_dir = var_dir
        self.logs = var_dir / "logs"
        self.logs.mkdir(parents=True, exist_ok=True)
        self.procs: dict[str, subprocess.Popen] = {}
        self.redis = None
        self.socket = None

    def _spawn(self, name: str, args: list[str]) -> subprocess.Popen:
        log = open(self.logs / f"{name}.log", "wb")  # noqa: SIM115  (closed with the process)
        proc = subprocess.Popen(
            args, cwd=BASE, env=dict(os.environ), stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        log.close()
        self.procs[name] = proc
        return proc

    def start(self, queues: str = "default") -> None:
        from django.conf import settings

        from automl_site import embedded_redis

        self.socket = settings.EMBEDDED_REDIS_SOCKET
        self.redis = embedded_redis.start(self.socket)
        migrate = subprocess.run(
            [sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"], cwd=BASE, capture_output=True, text=True
        )
        if migrate.returncode:
            raise BenchError(f"manage.py migrate failed:\n{migrate.stdout}{migrate.stderr}")
        port = _free_port()
        self.url = f"http://127.0.0.1:{port}"
        web = self._spawn(
            "web",
            [sys.executable, "-m", "uvicorn", "automl_site.asgi:application", "--host", "127.0.0.1",
             "--port", str(port), "--log-level", "warning", "--workers", web_workers()],
        )  # fmt: skip
        self.worker_name = f"bench-{uuid.uuid4().hex[:6]}@{socket.gethostname()}"
        worker = self._spawn(
            "worker",
            [sys.executable, "-m", "celery", "-A", "automl_site", "worker", "-l", "info", "-n", self.worker_name,
             "-Q", queues, "--concurrency", "1", "--without-gossip", "--without-mingle"],
        )  # fmt: skip
        if not _wait_http(self.url, web):
            raise BenchError(f"The web server did not start; see {self.logs / 'web.log'}")
        from automl_site.celery import app

        deadline = time.monotonic() + 90
        while not app.control.ping(destination=[self.worker_name], timeout=0.5):
            if worker.poll() is not None or time.monotonic() > deadline:
                raise BenchError(f"The worker did not start; see {self.logs / 'worker.log'}")

    def stop(self) -> None:
        for proc in self.procs.values():
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        # Short grace: a worker in the middle of a task would otherwise finish it first, and
        # nothing here is worth keeping.
        deadline = time.monotonic() + 5
        for proc in self.procs.values():
            try:
                proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
        if self.socket is not None:
            from automl_site import embedded_redis

            embedded_redis.stop(self.redis, self.socket)


class MemorySampler(threading.Thread):
    """Samples the resident memory of a process and all its children every `interval` s."""

    def __init__(self, pid: int, interval: float = 0.05):
        super().__init__(daemon=True)
        self.root = psutil.Process(pid)
        self.interval = interval
        self.peak_total = 0
        self.peak_at = 0.0  # time.time() of the sampled peak
        self.peak_by_pid: dict[int, int] = {}
        self._halt = threading.Event()

    def _sample(self, procs: list[psutil.Process]) -> None:
        total = 0
        for proc in procs:
            try:
                rss = proc.memory_info().rss
            except psutil.Error:
                continue
            total += rss
            self.peak_by_pid[proc.pid] = max(self.peak_by_pid.get(proc.pid, 0), rss)
        if total > self.peak_total:
            self.peak_total, self.peak_at = total, time.time()

    def run(self) -> None:
        procs, count = [self.root], 0
        while not self._halt.is_set():
            if count % 20 == 0:  # finding the children costs more than sampling them
                try:
                    procs = [self.root, *self.root.children(recursive=True)]
                except psutil.Error:
                    procs = [self.root]
            self._sample(procs)
            count += 1
            self._halt.wait(self.interval)

    def stop(self) -> None:
        self._halt.set()
        self.join()

    def kernel_peak(self) -> int:
        """The kernel's high-water mark (VmHWM) summed over the worker and its children: it
        also catches a spike shorter than the sampling interval."""
        total = 0
        try:
            procs = [self.root, *self.root.children(recursive=True)]
        except psutil.Error:
            return 0
        for proc in procs:
            try:
                status = Path(f"/proc/{proc.pid}/status").read_text()
            except OSError:
                continue
            match = re.search(r"VmHWM:\s+(\d+) kB", status)
            total += int(match.group(1)) * 1024 if match else 0
        return total
