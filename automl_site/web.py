"""How many web server processes `make run` (and the benchmarks, which serve as it does) start."""

import os


def web_workers() -> str:
    """WEB_CONCURRENCY, else one process per core, at most 4: a request's Python holds the
    interpreter, so one process serves one request at a time, whatever its threads."""
    return os.environ.get("WEB_CONCURRENCY") or str(max(1, min(4, len(os.sched_getaffinity(0)))))
