"""A small HTTP client for the API of a running web server (uvicorn started by the tests),
signed in with a real bearer token. Used by the dataset and training integration tests."""

from __future__ import annotations

import http.client
import json
import time
import uuid
from urllib.parse import urlsplit

from tests import factories


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

    def post_json(self, path: str, payload: dict):
        body = json.dumps(payload).encode()
        return self.request(
            "POST", path, body=body, headers={"Content-Type": "application/json", "Accept": "application/json"}
        )

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
