"""The prediction API's fast lane: `POST /api/v1/models/{id}/predict/` and
`POST /api/v1/projects/{id}/predict/` with a bearer token are answered here, in front of Django's
middleware and DRF, by the same parts as the API views: the token authentication (`accounts`),
the token's scope and the permission policy's `can()`, the request checks of `PredictSerializer`
and the prediction service (`registry_api.prediction_result` and `project_prediction`).

Why: a single-row prediction is well under a millisecond of model work, and the general request
path (every middleware, DRF, database queries for the token, the object and the role) costs many
times that; with several clients at once, the threads would mostly wait for each other. Who may
predict with which version or project is remembered for `AUTOML_PREDICT_AUTH_CACHE_S` seconds,
so a request to a version touches no database: a revoked token, a removed member or a deleted
model stops answering within that time. A request to a project still reads its aliases and
traffic split every time, so a promotion or a rollback takes effect at once. Requests without a
bearer token (the browser, with its session and CSRF) and every other route go to Django."""

from __future__ import annotations

import hashlib
import json
import re
import threading
import time
from urllib.parse import parse_qs

from asgiref.sync import sync_to_async
from django.conf import settings
from django.db import DatabaseError, connection
from rest_framework.exceptions import AuthenticationFailed

from automl_site.api import MAX_ID

PATHS = {
    "model": re.compile(r"^/api/v1/models/(\d{1,19})/predict/$"),
    "project": re.compile(r"^/api/v1/projects/(\d{1,19})/predict/$"),
}
SECURITY_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
    (b"x-frame-options", b"DENY"),
]
CACHE_LIMIT = 10_000
UNAVAILABLE = 503, {"detail": "The database did not answer; try again shortly."}, [(b"retry-after", b"5")]


class FastPredict:
    """ASGI middleware: the fast lane for the two prediction routes, everything else passed on to
    `app`."""

    def __init__(self, app):
        self.app = app
        # (token digest, "model" or "project", id) -> (until, user, version or project)
        self._allowed: dict[tuple[str, str, int], tuple[float, object, object]] = {}
        self._lock = threading.Lock()

    async def __call__(self, scope, receive, send):
        route = _route(scope)
        if route is None:
            return await self.app(scope, receive, send)
        authorization = dict(scope.get("headers") or []).get(b"authorization", b"")
        if authorization[:7].lower() != b"bearer ":
            return await self.app(scope, receive, send)
        started = time.perf_counter()
        body = await _read(receive, settings.DATA_UPLOAD_MAX_MEMORY_SIZE)
        code, payload, extra = await self._answer(authorization, route, _alias(scope), body)
        took = (time.perf_counter() - started) * 1000
        await _respond(send, code, payload, [*extra, (b"server-timing", f"app;dur={took:.1f}".encode())])

    async def _answer(self, authorization: bytes, route: tuple[str, int], alias: str | None, body: bytes | None):
        parts = authorization.split()
        if len(parts) != 2:
            return _unauthorized("Authorization header must be 'Bearer <token>'.")
        try:
            raw = parts[1].decode()
        except UnicodeError:
            return _unauthorized("Token contains invalid characters.")
        if route[1] > MAX_ID:
            return 404, {"detail": "Not found."}, []
        key = (hashlib.sha256(raw.encode()).hexdigest(), *route)
        allowed = self._remembered(key)
        if allowed is None:
            try:
                outcome = await sync_to_async(_resolve, thread_sensitive=False)(raw, *route)
            except DatabaseError:
                return UNAVAILABLE
            if outcome[0] != 200:
                return outcome
            allowed = outcome[1]
            self._remember(key, allowed)
        if body is None:
            return 413, {"detail": "The request is too large; send fewer rows per request."}, []
        try:
            data = json.loads(body) if body else {}
        except (ValueError, UnicodeDecodeError) as exc:
            return 400, {"detail": f"JSON parse error - {exc}"}, []
        user, target = allowed
        from .registry_api import prediction_result, project_prediction

        if route[0] == "model":
            code, payload = await sync_to_async(prediction_result, thread_sensitive=False)(target, data, actor=user)
        else:
            answer = _with_database(project_prediction)
            try:
                code, payload = await sync_to_async(answer, thread_sensitive=False)(
                    target, data, actor=user, asked=alias
                )
            except DatabaseError:
                return UNAVAILABLE
        return code, payload, []

    def _remembered(self, key):
        with self._lock:
            hit = self._allowed.get(key)
        if hit is None or hit[0] < time.monotonic():
            return None
        return hit[1], hit[2]

    def _remember(self, key, allowed) -> None:
        with self._lock:
            if len(self._allowed) >= CACHE_LIMIT:
                self._allowed.clear()
            self._allowed[key] = (time.monotonic() + settings.PREDICT_AUTH_CACHE_S, *allowed)


def _route(scope) -> tuple[str, int] | None:
    """("model" or "project", its id) for a prediction POST this lane answers, else None."""
    if scope["type"] != "http" or scope.get("method") != "POST":
        return None
    for kind, pattern in PATHS.items():
        match = pattern.match(scope.get("path", ""))
        if match:
            return kind, int(match[1])
    return None


def _alias(scope) -> str | None:
    """`?alias=` as the API view reads it (the last one given)."""
    asked = parse_qs(scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True).get("alias")
    return asked[-1] if asked else None


def _with_database(fn):
    """`fn`, tried once more on a fresh connection when the database fails it. This lane keeps
    each thread's connection open between requests (opening one costs more than the reads), so a
    connection the database dropped (a restart) is only found out by using it. Trying again is
    safe for what this wraps: the token, the policy and the routing only read, and a prediction
    never raises a database error (its log is written apart)."""

    def wrapped(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except DatabaseError:
            connection.close()
        try:
            return fn(*args, **kwargs)
        except DatabaseError:
            connection.close()
            raise

    return wrapped


@_with_database
def _resolve(raw: str, kind: str, pk: int):
    """(200, (user, version or project)) when this token may predict with it, else the refusal
    exactly as the API view gives it."""
    from django.core.exceptions import PermissionDenied
    from django.http import Http404

    from accounts.authentication import user_for_token
    from projects.models import Project
    from projects.permissions import get_object_for_user

    from .models import ModelVersion

    try:
        user, token = user_for_token(raw)
    except AuthenticationFailed as exc:
        return _unauthorized(str(exc.detail))
    refusal = token.refusal("POST", "predict")
    if refusal:
        return 403, {"detail": refusal}, []
    queryset = (
        ModelVersion.objects.select_related("project__workspace")
        if kind == "model"
        else Project.objects.select_related("workspace")
    )
    try:
        target = get_object_for_user(user, queryset, "predict", pk=pk)
    except Http404:
        return 404, {"detail": "Not found."}, []
    except PermissionDenied as exc:
        return 403, {"detail": str(exc)}, []
    return 200, (user, target), []


def _unauthorized(message: str):
    return 401, {"detail": message}, [(b"www-authenticate", b"Bearer")]


async def _read(receive, limit: int) -> bytes | None:
    """The request body, or None when it passes `limit` (the rest is drained, not kept)."""
    chunks, size, more = [], 0, True
    while more:
        message = await receive()
        if message["type"] == "http.disconnect":
            return b""
        chunk = message.get("body", b"")
        size += len(chunk)
        if size <= limit:
            chunks.append(chunk)
        more = message.get("more_body", False)
    return b"".join(chunks) if size <= limit else None


async def _respond(send, code: int, payload, headers: list) -> None:
    body = json.dumps(payload, allow_nan=False, separators=(",", ":")).encode()
    await send(
        {
            "type": "http.response.start",
            "status": code,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                *SECURITY_HEADERS,
                *headers,
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
