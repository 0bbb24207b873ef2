"""Uploads at the transport level, against a real uvicorn: clients that hang up mid-upload,
bodies declared too large, and chunked bodies (no Content-Length) that run over the limit.

Raw sockets, because an HTTP library would neither stop half-way through a body nor send a
Content-Length that does not match what follows.
"""

from __future__ import annotations

import http.client
import json
import socket
import threading
import time
import uuid
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.conf import settings

from datasets.models import Dataset, DatasetVersion
from tests import processes

from .conftest import live_csv, media_files, multipart_body, multipart_file_header

# The web server and worker outlive each test's flush; reset sequences so the content types
# they cached keep their ids on PostgreSQL (guardian refuses a stale one).
pytestmark = pytest.mark.django_db(transaction=True, reset_sequences=True)

MB = 1024 * 1024


@pytest.fixture(scope="module")
def server(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock(), processes.web_server() as url:
        yield url


@pytest.fixture(scope="module")
def small_server(django_db_setup, django_db_blocker):
    """A server whose upload limit is 1 MB."""
    with django_db_blocker.unblock(), processes.web_server(env={"AUTOML_MAX_UPLOAD_MB": "1"}) as url:
        yield url


def _address(url: str) -> tuple[str, int]:
    parts = urlsplit(url)
    return parts.hostname, parts.port


def _head(url: str, api, boundary: str, framing: str) -> bytes:
    return (
        "POST /api/v1/datasets/ HTTP/1.1\r\n"
        f"Host: {urlsplit(url).netloc}\r\n"
        f"Authorization: {api.auth_header}\r\n"
        "Accept: application/json\r\n"
        f"Content-Type: multipart/form-data; boundary={boundary}\r\n"
        f"{framing}\r\n"
        "\r\n"
    ).encode()


def _chunked(body: bytes, size: int = 64 * 1024):
    for start in range(0, len(body), size):
        piece = body[start : start + size]
        yield f"{len(piece):x}\r\n".encode() + piece + b"\r\n"
    yield b"0\r\n\r\n"


def _exchange(url: str, head: bytes, pieces=()) -> tuple[int, dict | str]:
    """Send the request head, then the body pieces from another thread, and read the answer
    as soon as it comes (the server may answer, and hang up, before the body is all sent)."""
    with socket.create_connection(_address(url), timeout=15) as sock:
        sock.sendall(head)

        def send_body():
            try:
                for piece in pieces:
                    sock.sendall(piece)
            except OSError:
                pass  # the server refused the rest: that is the point

        sender = threading.Thread(target=send_body, daemon=True)
        sender.start()
        response = http.client.HTTPResponse(sock)
        response.begin()
        raw = response.read()
        sender.join(timeout=15)
    if response.getheader("Content-Type", "").startswith("application/json"):
        return response.status, json.loads(raw)
    return response.status, raw.decode(errors="replace")


def _dataset_folders() -> set[str]:
    root = Path(settings.MEDIA_ROOT) / "datasets"
    return {path.name for path in root.iterdir()} if root.exists() else set()


def _temp_uploads() -> set[str]:
    return {path.name for path in Path(settings.FILE_UPLOAD_TEMP_DIR).iterdir()}


def test_a_client_that_hangs_up_mid_upload_leaves_nothing(server, live_api, project, owner):
    api = live_api(server, owner)
    folders, temps = _dataset_folders(), _temp_uploads()
    boundary = uuid.uuid4().hex
    fields = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="project"\r\n\r\n{project.pk}\r\n'
        f'--{boundary}\r\nContent-Disposition: form-data; name="name"\r\n\r\nCut short\r\n'
    ).encode()
    head = _head(server, api, boundary, f"Content-Length: {10 * MB}")
    with socket.create_connection(_address(server), timeout=15) as sock:
        sock.sendall(head + fields + multipart_file_header("big.csv", boundary))
        sock.sendall(live_csv(30_000)[:MB])
    time.sleep(1)

    assert not Dataset.all_objects.filter(name="Cut short").exists()
    assert not DatasetVersion.objects.exists()
    assert _dataset_folders() == folders
    assert _temp_uploads() <= temps

    # The server goes on serving: the next upload works.
    status, answer = api.upload(project.pk, "Whole", live_csv(100), "whole.csv")
    assert status == 201, answer


def test_a_body_declared_over_the_limit_is_refused_before_it_is_sent(small_server, live_api, project, owner):
    api = live_api(small_server, owner)
    head = _head(small_server, api, uuid.uuid4().hex, f"Content-Length: {5 * MB}")
    started = time.monotonic()
    status, answer = _exchange(small_server, head)
    assert time.monotonic() - started < 5
    assert status == 413
    message = "The file is larger than the 1 MB limit. Compress it (gzip or zip) or import it with SQL."
    assert answer == {"file": [message]}
    assert not Dataset.all_objects.exists()


def test_a_file_over_the_limit_in_a_body_of_allowed_length_is_refused(small_server, live_api, project, owner):
    """The declared length passes the early check (it allows for the form around the file);
    the upload handler counts the file's bytes and stops it."""
    api = live_api(small_server, owner)
    temps = _temp_uploads()
    status, answer = api.upload(project.pk, "Too big", live_csv(60_000)[: int(1.5 * MB)], "big.csv")
    assert status == 413, answer
    assert "larger than the 1 MB limit" in answer["file"][0]
    assert not Dataset.all_objects.exists()
    assert _temp_uploads() <= temps


def test_a_chunked_body_over_the_limit_is_refused(small_server, live_api, project, owner):
    api = live_api(small_server, owner)
    boundary = uuid.uuid4().hex
    body = multipart_body({"project": str(project.pk), "name": "Chunked"}, "big.csv", live_csv(120_000), boundary)
    assert len(body) > 3 * MB
    head = _head(small_server, api, boundary, "Transfer-Encoding: chunked")
    status, answer = _exchange(small_server, head, _chunked(body))
    assert status == 413, answer
    assert "larger than the 1 MB limit" in answer["file"][0]
    assert not Dataset.all_objects.exists()


def test_a_chunked_body_within_the_limit_is_accepted(small_server, live_api, project, owner):
    api = live_api(small_server, owner)
    boundary = uuid.uuid4().hex
    content = live_csv(1_000)
    body = multipart_body({"project": str(project.pk), "name": "Chunked"}, "small.csv", content, boundary)
    head = _head(small_server, api, boundary, "Transfer-Encoding: chunked")
    status, answer = _exchange(small_server, head, _chunked(body, size=4096))
    assert status == 201, answer
    version = DatasetVersion.objects.get(dataset_id=answer["id"])
    assert version.size_bytes == len(content)
    assert media_files(version.storage_prefix) == [version.raw_key]
