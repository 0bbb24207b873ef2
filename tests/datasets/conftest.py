"""Shared pieces of the dataset integration tests that run real processes: a small HTTP client
for the live API (bearer token), generated CSV files, a look at the local media folder, and a
local S3-compatible server (moto's server mode) for the S3 storage path."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from django.conf import settings

from tests import processes
from tests.live import LiveApi, multipart_body, multipart_file_header  # noqa: F401 - used by the dataset tests

# --- Generated files ------------------------------------------------------------------


def live_csv(rows: int) -> bytes:
    """A tidy CSV with numbers, categories, dates and a yes/no target."""
    lines = ["id,amount,plan,score,signup,churned"]
    plans = ("basic", "pro", "team", "enterprise")
    for i in range(rows):
        lines.append(
            f"{i},{(i * 37) % 1000 / 7:.3f},{plans[i % 4]},{(i * 13) % 101},"
            f"2024-{1 + i % 12:02d}-{1 + i % 28:02d},{'yes' if i % 5 == 0 else 'no'}"
        )
    return ("\n".join(lines) + "\n").encode()


def ragged_late_csv(rows: int = 150_000, short_line: int = 149_000) -> bytes:
    """A CSV whose only bad row (two fields instead of four) is far past the quick check's
    sample, so the upload is accepted and only the worker's full read finds it.

    `short_line` is the physical line number of that row (the header is line 1)."""
    lines = ["id,amount,plan,score"]
    for i in range(rows):
        line_number = i + 2
        lines.append(f"{i},{i % 1000},x{i % 7}" if line_number == short_line else f"{i},{i % 1000},x{i % 7},{i % 13}")
    return ("\n".join(lines) + "\n").encode()


# --- The local media folder -----------------------------------------------------------


def media_files(prefix: str) -> list[str]:
    """The files stored under a version's prefix in the local media folder (keys relative to it)."""
    root = Path(settings.MEDIA_ROOT)
    folder = root / prefix
    if not folder.exists():
        return []
    return sorted(str(path.relative_to(root)) for path in folder.rglob("*") if path.is_file())


# The live API client is shared with the training tests (tests/live.py).
@pytest.fixture
def live_api():
    """`live_api(base_url, user)`: an API client of that user against a running server."""
    return LiveApi


# --- S3 -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def s3_server():
    """A local S3-compatible server (moto's server mode, in this process) with one bucket.

    Yields the environment that points the platform's storage at it."""
    import boto3
    from moto.server import ThreadedMotoServer

    port = processes.free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    env = {
        "AWS_STORAGE_BUCKET_NAME": f"automl-test-{uuid.uuid4().hex[:8]}",
        "AWS_S3_ENDPOINT_URL": f"http://127.0.0.1:{port}",
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_S3_REGION_NAME": "us-east-1",
    }
    client = boto3.client(
        "s3",
        endpoint_url=env["AWS_S3_ENDPOINT_URL"],
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        region_name="us-east-1",
    )
    client.create_bucket(Bucket=env["AWS_STORAGE_BUCKET_NAME"])
    try:
        yield {"env": env, "client": client, "bucket": env["AWS_STORAGE_BUCKET_NAME"]}
    finally:
        server.stop()
