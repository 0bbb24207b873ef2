"""Run pieces of work in forked child processes that can be stopped at any moment.

Fitting a model is native code that Python cannot interrupt, so every fit, refit and
evaluation runs in a child forked from the search process and is killed when its time cap, the
job's budget or a cancel says so. Forking shares the data with the child without copying or
pickling it; the child sends its result back through a pipe and exits.

The search process itself never runs OpenMP code (scikit-learn's and XGBoost's thread pools):
GNU OpenMP does not survive a fork once used, so all such work happens in children. Linux only.
"""

from __future__ import annotations

import contextlib
import ctypes
import logging
import os
import pickle
import select
import signal
import time
import traceback
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field

PR_SET_PDEATHSIG = 1
MAX_WARNINGS = 5


@dataclass
class Outcome:
    """How a child ended: `ok` with its value, `error` with a message, `timeout`, `killed`
    (stopped by the search) or `crashed` (it died on its own, e.g. out of memory)."""

    status: str
    value: object = None
    error: str = ""
    error_type: str = ""
    traceback: str = ""
    warnings: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return self.status == "ok"


def _libc():
    try:
        return ctypes.CDLL("libc.so.6", use_errno=True)
    except OSError:
        return None


# Loaded once here, not in a child: loading a library after fork could wait on a lock that a
# thread of the parent held at the time of the fork.
LIBC = _libc()


def die_with_parent(parent: int) -> None:
    """Ask Linux to kill this process when the process that forked it (`parent`) dies, and
    exit at once if it already died before we asked (the race between fork and prctl)."""
    if LIBC is not None:
        with contextlib.suppress(AttributeError):
            LIBC.prctl(PR_SET_PDEATHSIG, int(signal.SIGKILL))
    if os.getppid() != parent:
        os._exit(1)


def _child_main(fn: Callable, args: tuple, kwargs: dict, fd: int, threads: int, parent: int) -> None:
    code = 0
    try:
        die_with_parent(parent)
        for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGUSR1, signal.SIGHUP):
            signal.signal(sig, signal.SIG_DFL)
        # Nothing in a child may log through the parent's handlers (database rows, sockets).
        logging.disable(logging.CRITICAL)
        os.environ["OMP_NUM_THREADS"] = str(threads)
        from threadpoolctl import threadpool_limits

        with threadpool_limits(limits=threads), warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                value = fn(*args, **kwargs)
                messages = _warning_texts(caught)
                payload = pickle.dumps(("ok", value, messages), protocol=pickle.HIGHEST_PROTOCOL)
            except BaseException as exc:  # report everything, including MemoryError
                detail = ("error", type(exc).__name__, str(exc)[:2000], traceback.format_exc(limit=20)[-4000:])
                payload = pickle.dumps(detail)
        view = memoryview(payload)
        while view:
            written = os.write(fd, view)
            view = view[written:]
    except BaseException:
        code = 1
    finally:
        os._exit(code)


def _warning_texts(caught) -> list[str]:
    texts: list[str] = []
    for item in caught:
        text = f"{item.category.__name__}: {str(item.message).splitlines()[0][:300]}"
        if text not in texts:
            texts.append(text)
        if len(texts) >= MAX_WARNINGS:
            break
    return texts


class Child:
    """One forked child running `fn(*args, **kwargs)`; read its pipe with `pump()` until `done`."""

    def __init__(self, fn: Callable, *args, threads: int = 1, cap: float | None = None, tag=None, **kwargs):
        read_fd, write_fd = os.pipe()
        parent = os.getpid()
        pid = os.fork()
        if pid == 0:  # pragma: no cover - the child never returns from here
            os.close(read_fd)
            _child_main(fn, args, kwargs, write_fd, threads, parent)
        os.close(write_fd)
        self.pid = pid
        self.fd = read_fd
        self.tag = tag
        self.started = time.monotonic()
        self.cap = cap
        self.buffer = bytearray()
        self.outcome: Outcome | None = None

    @property
    def done(self) -> bool:
        return self.outcome is not None

    @property
    def elapsed(self) -> float:
        return time.monotonic() - self.started

    def pump(self) -> None:
        """Read what the child has written; when the pipe closes, collect its outcome."""
        if self.done:
            return
        try:
            chunk = os.read(self.fd, 1 << 20)
        except BlockingIOError:
            return
        if chunk:
            self.buffer.extend(chunk)
            return
        self._finish()

    def _finish(self) -> None:
        os.close(self.fd)
        _, status = os.waitpid(self.pid, 0)
        seconds = self.elapsed
        if not self.buffer:
            reason = _exit_reason(status)
            self.outcome = Outcome("crashed", error=f"The process stopped unexpectedly ({reason}).", seconds=seconds)
            return
        message = pickle.loads(bytes(self.buffer))  # noqa: S301 - written by our own child, never by a user
        if message[0] == "ok":
            self.outcome = Outcome("ok", value=message[1], warnings=message[2], seconds=seconds)
        else:
            self.outcome = Outcome(
                "error", error_type=message[1], error=message[2], traceback=message[3], seconds=seconds
            )

    def stop(self, status: str) -> None:
        """Kill the child now and record why (`timeout` or `killed`)."""
        if self.done:
            return
        with contextlib.suppress(ProcessLookupError):
            os.kill(self.pid, signal.SIGKILL)
        os.waitpid(self.pid, 0)
        os.close(self.fd)
        self.outcome = Outcome(status, seconds=self.elapsed)


def _exit_reason(status: int) -> str:
    if os.WIFSIGNALED(status):
        sig = os.WTERMSIG(status)
        if sig == signal.SIGKILL:
            return "killed, most likely for running out of memory"
        return f"signal {signal.Signals(sig).name}"
    return f"exit code {os.WEXITSTATUS(status)}"


def wait(children: list[Child], *, timeout: float, should_abort: Callable[[], bool] | None = None) -> None:
    """Pump the children until one finishes or `timeout` passes, killing any past its cap.

    If `should_abort()` turns true (a cancel, the budget), every child is killed."""
    end = time.monotonic() + max(0.0, timeout)
    while True:
        running = [c for c in children if not c.done]
        if not running:
            return
        now = time.monotonic()
        for child in running:
            if child.cap is not None and child.elapsed > child.cap:
                child.stop("timeout")
        if should_abort is not None and should_abort():
            for child in running:
                child.stop("killed")
            return
        running = [c for c in children if not c.done]
        if not running:
            return
        slice_ = min(0.2, max(0.0, end - now))
        readable, _, _ = select.select([c.fd for c in running], [], [], slice_)
        finished = False
        for child in running:
            if child.fd in readable:
                child.pump()
                finished |= child.done
        if finished or time.monotonic() >= end:
            return


def run_one(fn: Callable, *args, cap: float, threads: int = 1, should_abort=None, **kwargs) -> Outcome:
    """Run a single child to its end (or cap, or abort) and return its outcome."""
    child = Child(fn, *args, threads=threads, cap=cap, **kwargs)
    while not child.done:
        wait([child], timeout=1.0, should_abort=should_abort)
    return child.outcome
