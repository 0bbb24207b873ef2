"""What a search is asked to do, and how it reports back while it works."""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from .splits import Validation


@dataclass(frozen=True)
class SearchConfig:
    task: str
    metric: str
    time_budget_s: float = 60.0
    seed: int = 0
    validation: Validation = field(default_factory=Validation)
    test_fraction: float = 0.2  # holdout for the final evaluation; 0 = none (evaluate out of fold)
    families: tuple[str, ...] = ()  # empty = all families
    algorithms: tuple[str, ...] = ()  # catalog keys; empty = every algorithm of the allowed families
    max_trials: int | None = None  # stop after this many trials even with time left
    ensemble: bool = True
    balance: str = "auto"  # auto | weights | off
    positive_class: object = None
    n_jobs: int = field(default_factory=lambda: max(1, len(os.sched_getaffinity(0))))
    trial_cap_s: float | None = None  # each trial's own limit; default a quarter of the budget
    explain: bool = True  # permutation importance and learning curves after the search
    deadline_epoch: float | None = None  # the budget's end on the wall clock (time.time()), if it started earlier

    @property
    def trial_cap(self) -> float:
        return self.trial_cap_s or max(10.0, self.time_budget_s * 0.25)


class Events:
    """What the search tells its caller besides log lines (which go through `logging`).

    The platform's job reporter implements these to store and stream them; the default does
    nothing, for scripts and tests."""

    def progress(self, fraction: float, step: str) -> None:
        """Share of the work done (0..1) and the current step, in words."""

    def trial(self, record: dict) -> None:
        """A trial finished (any status); `record` is its leaderboard row."""

    def should_stop(self) -> str | None:
        """None to go on; "keep" to stop and keep the best so far; "discard" to stop at once."""
        return None
