"""Running a search in a fresh process of its own, and talking to it.

Why a fresh interpreter rather than the caller's process: the search forks a child for every
fit (fork.py), and GNU OpenMP breaks in a forked child once the parent has used it. A Celery
worker process may have run anything before (predictions, other jobs), so the search starts
from a clean `python -m training.automl.cli`, which has never run OpenMP code. It also keeps a
crash or a leak of one job away from the worker.

The protocol: the caller writes a spec (data file, schema, config) as JSON; the engine process
writes events as JSON lines to a pipe (log lines, progress, finished trials, then the result
or an error) and reads "keep" or "discard" on its stdin to stop early. The engine process dies
with its caller (Linux parent-death signal), and its children die with it.
"""

from __future__ import annotations

import json
import os
import select
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

from .fork import die_with_parent

ROOT = Path(__file__).resolve().parents[2]


def _dies_with(caller: int):
    """A preexec_fn (run in the child between fork and exec) tying the child's life to `caller`."""

    def preexec() -> None:  # pragma: no cover - runs in the child
        die_with_parent(caller)

    return preexec


class EngineProcess:
    """A running search. Iterate `events()`; call `stop(mode)` to end it early."""

    def __init__(self, spec: dict, *, workdir: str, env: dict | None = None):
        self.spec_path = Path(workdir) / "spec.json"
        self.spec_path.write_text(json.dumps(spec))
        read_fd, write_fd = os.pipe()
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "training.automl.cli", str(self.spec_path), str(write_fd)],
            cwd=ROOT,
            stdin=subprocess.PIPE,
            pass_fds=(write_fd,),
            env={**os.environ, **(env or {}), "PYTHONUNBUFFERED": "1"},
            preexec_fn=_dies_with(os.getpid()),  # only a prctl call: no locks, no Python state
        )
        os.close(write_fd)
        self.fd = read_fd
        self.buffer = b""
        self.stopped = ""

    def stop(self, mode: str) -> None:
        """Ask the search to stop: "keep" (refit and keep the best) or "discard" (which may
        still follow a "keep")."""
        if self.stopped in (mode, "discard") or self.proc.poll() is not None:
            return
        self.stopped = mode
        try:
            self.proc.stdin.write(f"{mode}\n".encode())
            self.proc.stdin.flush()
        except (BrokenPipeError, OSError):
            pass

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()

    def events(self, *, tick: float = 0.5) -> Iterator[dict]:
        """Events as they come; a {"event": "tick"} every `tick` seconds of silence, so the
        caller can look for a cancel request; ends when the process has exited."""
        while True:
            readable, _, _ = select.select([self.fd], [], [], tick)
            if not readable:
                yield {"event": "tick"}
                continue
            chunk = os.read(self.fd, 1 << 16)
            if not chunk:
                break
            self.buffer += chunk
            while b"\n" in self.buffer:
                line, self.buffer = self.buffer.split(b"\n", 1)
                if line.strip():
                    yield json.loads(line)
        self._close()
        self.proc.wait()
        if self.proc.returncode not in (0, None):
            yield {"event": "exit", "code": self.proc.returncode, "signal": _signal_name(self.proc.returncode)}

    def __enter__(self) -> EngineProcess:
        return self

    def _close(self) -> None:
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1

    def __exit__(self, *exc_info) -> None:
        self.kill()
        self._close()


def _signal_name(code: int) -> str:
    if code < 0:
        try:
            return signal.Signals(-code).name
        except ValueError:
            return str(-code)
    return ""
