"""Loaded early (`-p tests.embedded_services`): before Django reads its settings, start a
private Redis for the suite when REDIS_URL is not set, exactly as the launcher does for
`make run`. With REDIS_URL set (CI), the real server is used instead.

Under pytest-xdist every test process gets a Redis database of its own: the worker tests of
two processes would otherwise share one Celery queue and channel groups, and a worker started
by one would run the other's tasks against the wrong test database."""

import os
import shutil
import tempfile
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest

_server = {}


def _own_database(url: str, worker: str) -> str:
    """`url` pointing at database N+1 for xdist process gwN (database 0 stays the serial run's)."""
    db = int(worker.removeprefix("gw") or 0) + 1
    if url.startswith("unix://"):
        return f"{url.split('?', 1)[0]}?db={db}"
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, f"/{db}", parts.query, parts.fragment))


@pytest.hookimpl(tryfirst=True)
def pytest_load_initial_conftests(early_config, parser, args):
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if os.environ.get("REDIS_URL"):
        if worker:
            os.environ["REDIS_URL"] = _own_database(os.environ["REDIS_URL"], worker)
        return
    from automl_site import embedded_redis

    # A short path of its own: Unix socket paths are limited to ~100 characters, and the
    # suite must not share a Redis with a `make run` going on in the same checkout.
    socket_path = Path(tempfile.mkdtemp(prefix="automl-redis-")) / "redis.sock"
    _server["proc"] = embedded_redis.start(socket_path)
    _server["socket"] = socket_path
    os.environ["REDIS_URL"] = f"unix://{socket_path}"
    if worker:
        os.environ["REDIS_URL"] = _own_database(os.environ["REDIS_URL"], worker)


def pytest_unconfigure(config):
    if "proc" in _server:
        from automl_site import embedded_redis

        embedded_redis.stop(_server.pop("proc"), _server["socket"])
        shutil.rmtree(_server["socket"].parent, ignore_errors=True)
