"""Loaded early (`-p tests.embedded_services`): before Django reads its settings, start a
private Redis for the suite when REDIS_URL is not set, exactly as the launcher does for
`make run`. With REDIS_URL set (CI), the real server is used instead."""

import os
import shutil
import tempfile
from pathlib import Path

import pytest

_server = {}


@pytest.hookimpl(tryfirst=True)
def pytest_load_initial_conftests(early_config, parser, args):
    if os.environ.get("REDIS_URL"):
        return
    from automl_site import embedded_redis

    # A short path of its own: Unix socket paths are limited to ~100 characters, and the
    # suite must not share a Redis with a `make run` going on in the same checkout.
    socket_path = Path(tempfile.mkdtemp(prefix="automl-redis-")) / "redis.sock"
    _server["proc"] = embedded_redis.start(socket_path)
    _server["socket"] = socket_path
    os.environ["REDIS_URL"] = f"unix://{socket_path}"


def pytest_unconfigure(config):
    if "proc" in _server:
        from automl_site import embedded_redis

        embedded_redis.stop(_server.pop("proc"), _server["socket"])
        shutil.rmtree(_server["socket"].parent, ignore_errors=True)
