"""`make run`: everything the platform needs, in one terminal, stopped by Ctrl-C.

Starts a private Redis (unless REDIS_URL is set), migrates, creates the demo workspace on the
first run, then runs the ASGI web server (uvicorn: HTTP and WebSockets), one Celery worker
and Celery beat. If any of them dies, the others are stopped too, so nothing is left behind.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "automl_site.settings")

from django.conf import settings  # noqa: E402  (needs the settings module set first)

from automl_site import embedded_redis  # noqa: E402
from automl_site.web import web_workers  # noqa: E402

PY = sys.executable
BASE = Path(settings.BASE_DIR)


def _run_checked(*args: str) -> None:
    subprocess.run([PY, "manage.py", *args], cwd=BASE, check=True)


def _spawn(name: str, args: list[str]) -> subprocess.Popen:
    # Own process group each, so Ctrl-C in the terminal reaches us first and we stop them in order.
    return subprocess.Popen(args, cwd=BASE, start_new_session=True)


def wait_http(url: str, proc: subprocess.Popen, timeout: float = 60) -> bool:
    """True once `url` answers; False if `proc` exits or `timeout` passes first."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            return False
        try:
            with urllib.request.urlopen(url, timeout=2):  # noqa: S310  (our own localhost URL)
                return True
        except OSError:
            time.sleep(0.3)
    return False


def _stop(procs: dict[str, subprocess.Popen]) -> None:
    for proc in procs.values():
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
    deadline = time.monotonic() + 15
    for proc in procs.values():
        try:
            proc.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)


def main() -> int:
    host = os.environ.get("HOST", "127.0.0.1")
    port = int(os.environ.get("PORT", "8000"))
    redis_proc = None
    if settings.EMBEDDED_REDIS:
        print(f"Starting the embedded Redis on {settings.EMBEDDED_REDIS_SOCKET}")
        redis_proc = embedded_redis.start(settings.EMBEDDED_REDIS_SOCKET)
    procs: dict[str, subprocess.Popen] = {}
    stopping = False

    def on_signal(signum, frame):
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    try:
        _run_checked("migrate", "--noinput", "-v", "0")
        _run_checked("bootstrap", "--domain", f"{host}:{port}")
        procs["web"] = _spawn(
            "web",
            [
                PY,
                "-m",
                "uvicorn",
                "automl_site.asgi:application",
                "--host",
                host,
                "--port",
                str(port),
                "--log-level",
                "warning",
                "--workers",
                web_workers(),
            ],
        )
        procs["worker"] = _spawn(
            "worker",
            [
                PY,
                "-m",
                "celery",
                "-A",
                "automl_site",
                "worker",
                "-l",
                "info",
                "-n",
                f"worker-{port}@%h",
                "--concurrency",
                os.environ.get("CELERY_CONCURRENCY", "2"),
                "-Q",
                "default,training",
            ],
        )
        procs["beat"] = _spawn(
            "beat",
            [
                PY,
                "-m",
                "celery",
                "-A",
                "automl_site",
                "beat",
                "-l",
                "warning",
                "-s",
                str(settings.CELERY_BEAT_SCHEDULE_FILENAME),
            ],
        )
        url = f"http://{'localhost' if host in ('127.0.0.1', '0.0.0.0') else host}:{port}/"  # noqa: S104
        if wait_http(url + "healthz/", procs["web"]):
            print(f"\n  AutoML is running at {url}\n  Sign in at {url}accounts/login/  ·  Ctrl-C stops everything.\n")
        while not stopping:
            for name, proc in procs.items():
                if proc.poll() is not None:
                    print(f"The {name} process stopped (exit code {proc.returncode}); stopping the rest.")
                    return 1
            time.sleep(0.5)
        print("\nStopping…")
        return 0
    except subprocess.CalledProcessError as exc:
        print(f"Setup failed: {exc}")
        return 1
    finally:
        _stop(procs)
        embedded_redis.stop(redis_proc, settings.EMBEDDED_REDIS_SOCKET)


if __name__ == "__main__":
    sys.exit(main())
