"""Shared pieces of the dataset integration tests that run real processes: a small HTTP client
for the live API (bearer token), generated CSV files, a look at the local media folder, and a
local S3-compatible server (moto's server mode) for the S3 storage path."""

from __future__ import annotations

import http.client
import json
import time
import uuid
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.conf import settings

from tests import factories, processes

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


# --- The live API ---------------------------------------------------------------------


def multipart_body(fields: dict[str, str], filename: str, content: bytes, boundary: str) -> bytes:
    """A multipart/form-data body with text fields and one `file` part, as a browser sends it."""
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
        for name, value in fields.items()
    ]
    parts.append(multipart_file_header(filename, boundary) + content + b"\r\n")
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts)


def multipart_file_header(filename: str, boundary: str) -> bytes:
    return (
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{filename}"\r\n'
        "Content-Type: text/csv\r\n\r\n"
    ).encode()


class LiveApi:
    """Talks to the API of a running web server as one user, with a real bearer token."""

    def __init__(self, base_url: str, user):
        self.base_url = base_url
        self.token = factories.make_token(user)
        parts = urlsplit(base_url)
        self.host, self.port = parts.hostname, parts.port

    @property
    def auth_header(self) -> str:
        return f"Bearer {self.token}"

    def request(self, method: str, path: str, body: bytes | None = None, headers: dict | None = None):
        """(status, decoded JSON or text) of one request."""
        conn = http.client.HTTPConnection(self.host, self.port, timeout=30)
        try:
            conn.request(method, path, body=body, headers={"Authorization": self.auth_header, **(headers or {})})
            response = conn.getresponse()
            raw = response.read()
        finally:
            conn.close()
        if response.getheader("Content-Type", "").startswith("application/json") and raw:
            return response.status, json.loads(raw)
        return response.status, raw.decode(errors="replace")

    def get(self, path: str):
        return self.request("GET", path)

    def upload(self, project_id: int, name: str, content: bytes, filename: str = "data.csv"):
        """POST /api/v1/datasets/ with the file, as the issue describes the API."""
        boundary = uuid.uuid4().hex
        body = multipart_body({"project": str(project_id), "name": name}, filename, content, boundary)
        return self.request(
            "POST",
            "/api/v1/datasets/",
            body=body,
            headers={"Content-Type": f"multipart/form-data; boundary={boundary}", "Accept": "application/json"},
        )

    def create(self, project_id: int, name: str, content: bytes, filename: str = "data.csv") -> int:
        """Upload and return the new dataset's id (the upload must be accepted)."""
        status, answer = self.upload(project_id, name, content, filename)
        assert status == 201, (status, answer)
        return answer["id"]

    def wait_finished(self, dataset_id: int, timeout: float = 60) -> dict:
        """Poll the dataset until its latest version is no longer processing."""
        deadline = time.monotonic() + timeout
        while True:
            status, answer = self.get(f"/api/v1/datasets/{dataset_id}/")
            assert status == 200, (status, answer)
            if answer["status"] != "processing":
                return answer
            if time.monotonic() > deadline:
                raise AssertionError(f"Dataset {dataset_id} still processing after {timeout} s: {answer}")
            time.sleep(0.2)


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
