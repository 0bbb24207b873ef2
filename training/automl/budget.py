"""The budget as a contract: wall-clock deadlines, cancel requests, and the memory estimate
that refuses a job before it starts when it cannot fit."""

from __future__ import annotations

import time

from .config import Events

POLL_S = 0.5
# After "stop and keep", the refit, saving and evaluation of the best so far get at most this
# long (the platform's forced cancel waits a little longer before it kills the job).
KEEP_ALLOWANCE_S = 60.0
FINISH_SLACK_S = 10.0


class Budget:
    """The job's clock.

    The search may run until `deadline - reserve`; the reserve is what the refit and the
    evaluation are expected to need, re-estimated as trials finish. Whatever runs after the
    deadline (a refit that took longer than expected, the evaluation) shares one allowance
    that ends at `hard_end` = deadline + 10 % of the budget + 10 s, inside the contract
    (budget + 10 % + 15 s). `deadline_epoch` pins the deadline to the wall clock, so time spent
    before the search (starting the process, reading the data) counts too."""

    def __init__(self, seconds: float, events: Events, *, deadline_epoch: float | None = None):
        self.seconds = float(seconds)
        self.started = time.monotonic()
        left = deadline_epoch - time.time() if deadline_epoch else self.seconds
        self.deadline = self.started + left
        self.hard_end = self.deadline + 0.1 * self.seconds + FINISH_SLACK_S
        self.reserve = 0.0
        self.events = events
        self._stop: str | None = None
        self._polled = 0.0

    @property
    def elapsed(self) -> float:
        return time.monotonic() - self.started

    @property
    def span(self) -> float:
        """Seconds from the search's start to its deadline (for progress)."""
        return max(self.deadline - self.started, 1e-9)

    @property
    def remaining(self) -> float:
        return self.deadline - time.monotonic()

    @property
    def search_remaining(self) -> float:
        return self.remaining - self.reserve

    def finish_remaining(self) -> float:
        """What is left of the shared allowance for the steps after the search."""
        return max(0.5, self.hard_end - time.monotonic())

    def stop_request(self) -> str | None:
        """ "keep" or "discard" once a cancel was asked for (polled at most twice a second).

        A "keep" shortens the deadline to what the refit and the evaluation need (at most
        KEEP_ALLOWANCE_S); a later "discard" still wins over it."""
        if self._stop != "discard" and time.monotonic() - self._polled >= POLL_S:
            self._polled = time.monotonic()
            asked = self.events.should_stop()
            if asked == "keep" and self._stop is None:
                now = time.monotonic()
                self.deadline = min(self.deadline, now + min(max(10.0, self.reserve), KEEP_ALLOWANCE_S))
                self.hard_end = min(self.hard_end, self.deadline + FINISH_SLACK_S)
            if asked in ("keep", "discard"):
                self._stop = "discard" if "discard" in (asked, self._stop) else asked
        return self._stop

    def search_over(self) -> bool:
        return self.stop_request() is not None or self.search_remaining <= 0

    def discarded(self) -> bool:
        return self.stop_request() == "discard"


# Width of one column after preprocessing, in numbers per row (the widest style counts).
KIND_WIDTH = {"numeric": 2, "boolean": 1, "datetime": 7, "text": 40}
BYTES_PER_CELL = 8
OBJECT_BYTES = 60  # a short Python string in an object column
WORKING_COPIES = 4  # fold copy, transformed matrix, model internals, predictions


def estimate_memory(n_rows: int, columns: list[tuple[str, int]], *, n_jobs: int) -> int:
    """Bytes a search is expected to need at its peak: the table once in the search process,
    plus, per parallel child, its fold's rows and their transformed matrix several times over.

    `columns` holds (kind, distinct values) for each feature."""
    table = 0
    width = 0
    for kind, distinct in columns:
        if kind in ("categorical", "text"):
            table += OBJECT_BYTES
        else:
            table += BYTES_PER_CELL
        width += min(max(distinct, 1), 33) if kind == "categorical" else KIND_WIDTH.get(kind, 2)
    table *= n_rows
    per_child = n_rows * width * BYTES_PER_CELL * WORKING_COPIES
    return int(2 * table + n_jobs * per_child + 300 * 1024**2)


def memory_message(needed: int, available: int) -> str:
    gib = 1024**3
    return (
        f"This job would need about {needed / gib:.1f} GB of memory, but only {available / gib:.1f} GB is "
        "available for training. Use fewer rows (a sample) or fewer columns (set some to “ignore”), "
        "or ask an operator for a larger training worker."
    )
