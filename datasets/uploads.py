"""Upload handling: every file goes straight to a temporary file on disk, within a size limit.

Django's default handlers keep small files in memory; readers need a path, and a file over
the limit must be refused without storing it. `RequestSizeGuard` refuses bodies whose declared
length is over the limit before a byte is read, and chunked bodies (no declared length) as soon
as they pass it; the handler catches the rest (a file over the limit in a body of allowed
length, the form around it having some slack) while streaming.
"""

from __future__ import annotations

import json
import os
import tempfile

from django.conf import settings
from django.core.files.uploadhandler import StopUpload, TemporaryFileUploadHandler
from django.http import QueryDict
from django.utils.datastructures import MultiValueDict

# Room for the multipart envelope and the other form fields around the file.
ENVELOPE_SLACK = 1024 * 1024
# Django names the temporary file after the upload's extension; a longer one is cut.
MAX_EXTENSION = 32
REPLAY_CHUNK = 64 * 1024


def limit_message() -> str:
    limit = settings.DATASET_MAX_UPLOAD_BYTES / 1024**2
    return f"The file is larger than the {limit:,.0f} MB limit. Compress it (gzip or zip) or import it with SQL."


class SizeLimitedUploadHandler(TemporaryFileUploadHandler):
    """Streams each file to a temporary file and stops the upload once it passes the limit.

    The view finds `request.upload_refused` set and answers with the reason."""

    def new_file(self, field_name, file_name, *args, **kwargs):
        # A hostile 300-character "extension" would make the temporary file's name too long
        # for the file system (an OSError, so a 500); the name is only a label anyway.
        stem, extension = os.path.splitext(file_name or "")
        if len(extension) > MAX_EXTENSION:
            file_name = stem + extension[:MAX_EXTENSION]
        return super().new_file(field_name, file_name, *args, **kwargs)

    def handle_raw_input(self, input_data, META, content_length, boundary, encoding=None):
        if content_length and content_length > settings.DATASET_MAX_UPLOAD_BYTES + ENVELOPE_SLACK:
            self.request.upload_refused = limit_message()
            # Returning a result ends the parsing without reading the body. (StopUpload raised
            # here is not caught by Django's parser, which would make it a 500.)
            return QueryDict(encoding=encoding), MultiValueDict()
        return super().handle_raw_input(input_data, META, content_length, boundary, encoding)

    def receive_data_chunk(self, raw_data, start):
        if start + len(raw_data) > settings.DATASET_MAX_UPLOAD_BYTES:
            self.request.upload_refused = limit_message()
            self.file.close()
            raise StopUpload(connection_reset=False)
        return super().receive_data_chunk(raw_data, start)


class RequestSizeGuard:
    """ASGI middleware: a 413 for bodies declared larger than the limit, before reading them,
    and for chunked bodies once they pass it.

    Under ASGI, Django spools the whole body to disk before a view (or an upload handler)
    runs, so without this a 50 GB upload would fill the disk before being refused."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] == "http" and scope.get("method") in {"POST", "PUT", "PATCH"}:
            headers = dict(scope.get("headers") or [])
            limit = settings.DATASET_MAX_UPLOAD_BYTES + ENVELOPE_SLACK
            length = headers.get(b"content-length", b"")
            if length.isdigit() and int(length) > limit:
                await self._refuse(scope, send)
                return
            if not length and b"chunked" in headers.get(b"transfer-encoding", b"").lower():
                await self._chunked(scope, receive, send, limit)
                return
        await self.app(scope, receive, send)

    async def _chunked(self, scope, receive, send, limit):
        """A body sent without a length (chunked). Django's multipart parser reads nothing of
        such a body (it needs CONTENT_LENGTH) and nothing else would stop it at the limit: spool
        it here, refuse it as soon as it passes the limit, then pass it on with its length."""
        memory = settings.FILE_UPLOAD_MAX_MEMORY_SIZE
        with tempfile.SpooledTemporaryFile(max_size=memory, dir=settings.FILE_UPLOAD_TEMP_DIR) as body:
            size = 0
            while True:
                message = await receive()
                if message["type"] == "http.disconnect":
                    return
                chunk = message.get("body", b"")
                size += len(chunk)
                if size > limit:
                    await self._refuse(scope, send)
                    return
                body.write(chunk)
                if not message.get("more_body", False):
                    break
            body.seek(0)
            headers = [(k, v) for k, v in scope["headers"] if k not in (b"transfer-encoding", b"content-length")]
            scope = {**scope, "headers": [*headers, (b"content-length", str(size).encode())]}
            await self.app(scope, _replay(body, size, receive), send)

    async def _refuse(self, scope, send):
        accept = dict(scope.get("headers") or []).get(b"accept", b"").decode("latin-1")
        wants_json = scope.get("path", "").startswith("/api/") or "application/json" in accept
        message = limit_message()
        if wants_json:
            body, kind = json.dumps({"file": [message]}).encode(), b"application/json"
        else:
            body, kind = f"<!doctype html><title>File too large</title><p>{message}</p>".encode(), b"text/html"
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [
                    (b"content-type", kind),
                    (b"content-length", str(len(body)).encode()),
                    (b"connection", b"close"),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})


def _replay(body, size: int, receive):
    """An ASGI `receive` that gives a spooled body again (at least one message, even when it is
    empty), then the client's own messages: Django listens for the disconnect after the body."""
    started = False

    async def replay():
        nonlocal started
        if started and body.tell() >= size:
            return await receive()
        started = True
        chunk = body.read(REPLAY_CHUNK)
        return {"type": "http.request", "body": chunk, "more_body": body.tell() < size}

    return replay
