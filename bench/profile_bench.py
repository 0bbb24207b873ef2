"""Benchmark of the profiler on a seeded 1,000,000 x 20 table shaped like a customer dataset.

Run with `python -m bench.profile_bench [--rows N] [--repeat K]`. Prints the seconds of each
run and the peak resident memory of the process (before and after profiling).
"""

from __future__ import annotations

import argparse
import resource
import sys
import threading
import time

import numpy as np
import psutil
import pyarrow as pa
import pyarrow.compute as pc

from datasets.ingest.profile import profile_table

WORDS = [
    "good",
    "bad",
    "fast",
    "slow",
    "price",
    "quality",
    "support",
    "delivery",
    "late",
    "broken",
    "great",
    "love",
    "hate",
    "refund",
    "order",
    "app",
    "screen",
    "battery",
    "size",
    "colour",
    "cheap",
    "expensive",
    "return",
    "staff",
    "friendly",
    "rude",
    "again",
    "never",
    "always",
]


def _with_nulls(values: np.ndarray, share: float, rng: np.random.Generator) -> pa.Array:
    return pa.array(values, mask=rng.random(len(values)) < share)


def _labels(prefix: str, cardinality: int, rows: int, rng: np.random.Generator, missing: float) -> pa.Array:
    vocabulary = pa.array([f"{prefix}_{i}" for i in range(cardinality)])
    # Zipf-like frequencies, as real categories have a few common and many rare values.
    weights = 1.0 / np.arange(1, cardinality + 1)
    codes = rng.choice(cardinality, rows, p=weights / weights.sum())
    return vocabulary.take(_with_nulls(codes, missing, rng))


def make_table(rows: int, seed: int = 0) -> tuple[pa.Table, list[dict]]:
    """The benchmark table and its column descriptions."""
    rng = np.random.default_rng(seed)
    income = rng.lognormal(10, 0.8, rows)
    tenure = rng.integers(0, 120, rows)
    churn_score = -0.02 * tenure + rng.normal(0, 1, rows) - 0.00001 * income
    churn = np.where(churn_score > np.quantile(churn_score, 0.8), "yes", "no")
    start = np.datetime64("2015-01-01T00:00:00", "s").astype(np.int64)
    signup = start + rng.integers(0, 9 * 365 * 86_400, rows)
    word_codes = rng.integers(0, len(WORDS), (3, rows))
    vocabulary = pa.array(WORDS)
    comment = pc.binary_join_element_wise(*(vocabulary.take(pa.array(c)) for c in word_codes), " ")
    columns = {
        "age": ("numeric", _with_nulls(rng.integers(18, 90, rows), 0.03, rng)),
        "income": ("numeric", _with_nulls(income, 0.05, rng)),
        "balance": ("numeric", _with_nulls(rng.normal(1_000, 5_000, rows), 0.01, rng)),
        "tenure_months": ("numeric", pa.array(tenure)),
        "visits": ("numeric", pa.array(rng.poisson(3, rows))),
        "score": ("numeric", _with_nulls(rng.uniform(0, 1, rows), 0.2, rng)),
        "spend": ("numeric", _with_nulls(np.where(rng.random(rows) < 0.01, 1e6, rng.gamma(2, 50, rows)), 0.02, rng)),
        "rating": ("numeric", _with_nulls(rng.integers(1, 6, rows).astype(np.float64), 0.6, rng)),
        "plan": ("categorical", _labels("plan", 3, rows, rng, 0.0)),
        "region": ("categorical", _labels("region", 12, rows, rng, 0.01)),
        "city": ("categorical", _labels("city", 400, rows, rng, 0.05)),
        "device": ("categorical", _labels("device", 2_000, rows, rng, 0.1)),
        "referrer": ("categorical", _labels("ref", 60_000, rows, rng, 0.3)),
        "signup": ("datetime", _with_nulls(signup, 0.02, rng).cast(pa.timestamp("s"))),
        "last_seen": (
            "datetime",
            pa.array(signup * 1_000_000 + rng.integers(0, 10**13, rows)).cast(pa.timestamp("us")),
        ),
        "newsletter": ("boolean", _with_nulls(rng.random(rows) < 0.3, 0.05, rng)),
        "customer_id": ("identifier", pa.array(np.char.add("C", np.arange(rows).astype(str)))),
        "comment": ("text", comment),
        "churn": ("categorical", pa.array(churn)),
    }
    columns["notes_code"] = ("categorical", _labels("note", 5, rows, rng, 0.5))
    table = pa.table({name: array for name, (_, array) in columns.items()})
    roles = {"customer_id": "identifier", "churn": "target"}
    specs = [{"name": name, "type": kind, "role": roles.get(name, "feature")} for name, (kind, _) in columns.items()]
    return table, specs


def _peak_rss_mb() -> float:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    # Linux reports kilobytes, macOS bytes.
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


class RssWatcher:
    """Polls the resident memory in a thread: ru_maxrss only knows the peak of the whole
    process, which the table generation already set higher than the profiler reaches."""

    def __init__(self, interval: float = 0.005) -> None:
        self.process = psutil.Process()
        self.interval = interval
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)

    def _watch(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, self.process.memory_info().rss)
            time.sleep(self.interval)

    def __enter__(self) -> RssWatcher:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)

    table, specs = make_table(args.rows, args.seed)
    rss_before = psutil.Process().memory_info().rss / 2**20
    print(f"table: {table.num_rows:,} rows x {table.num_columns} columns, {table.nbytes / 2**20:.0f} MiB in Arrow")
    for run in range(args.repeat):
        with RssWatcher() as watcher:
            started = time.perf_counter()
            result = profile_table(table, specs, seed=args.seed)
            elapsed = time.perf_counter() - started
        print(f"run {run + 1}: {elapsed:.2f} s, peak RSS {watcher.peak / 2**20:.0f} MiB")
    print(f"RSS before profiling: {rss_before:.0f} MiB; process peak RSS (ru_maxrss): {_peak_rss_mb():.0f} MiB")
    print(f"extra peak memory while profiling: {watcher.peak / 2**20 - rss_before:.0f} MiB")
    print(f"warnings: {', '.join(sorted({w['code'] for w in result['warnings']}))}")


if __name__ == "__main__":
    main()
