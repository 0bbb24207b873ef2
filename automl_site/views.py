"""Site-wide views: the health check and the friendly error pages."""

import redis
from django.conf import settings
from django.db import connection
from django.http import HttpResponse, JsonResponse
from django.shortcuts import render
from django.template import loader
from django.views.decorators.cache import never_cache


@never_cache
def health(request):
    """For load balancers and operators: is the database and Redis reachable? No secrets."""
    checks = {}
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        checks["database"] = "ok"
    except Exception as exc:  # report, never raise: this page must answer when things are down
        checks["database"] = f"error: {type(exc).__name__}"
    try:
        redis.Redis.from_url(settings.REDIS_URL, socket_timeout=2).ping()
        checks["redis"] = "ok"
    except Exception as exc:
        checks["redis"] = f"error: {type(exc).__name__}"
    healthy = all(v == "ok" for v in checks.values())
    return JsonResponse({"status": "ok" if healthy else "degraded", "checks": checks}, status=200 if healthy else 503)


def _error(request, status: int, title: str, message: str):
    wants_json = request.path.startswith("/api/")
    if wants_json:
        return JsonResponse({"detail": message}, status=status)
    return render(request, "errors/error.html", {"status": status, "title": title, "message": message}, status=status)


def bad_request(request, exception=None):
    return _error(
        request, 400, "Bad request", "The request could not be understood. Check what you sent and try again."
    )


def permission_denied(request, exception=None):
    detail = str(exception) if exception and str(exception) else ""
    message = detail or "You do not have permission to do this. Ask an owner or admin of the workspace."
    return _error(request, 403, "Not allowed", message)


def page_not_found(request, exception=None):
    return _error(request, 404, "Page not found", "This page does not exist, or you do not have access to it.")


def server_error(request):
    # Rendered without the request, so no context processor runs: the database may be what failed.
    wants_json = request.path.startswith("/api/")
    if wants_json:
        return JsonResponse({"detail": "Something went wrong on our side. It has been logged."}, status=500)
    return HttpResponse(loader.get_template("errors/500.html").render(), status=500)
