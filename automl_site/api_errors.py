"""API errors are JSON: {"detail": "..."} or {"field": ["message", ...], ...}.

Business-rule violations raised by services as Django ValidationError become 400s, and
Django's PermissionDenied/Http404 become 403/404, so no bad input reaches a 500.
"""

from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import exceptions
from rest_framework.views import exception_handler as drf_exception_handler


def exception_handler(exc, context):
    if isinstance(exc, DjangoValidationError):
        if hasattr(exc, "error_dict"):
            exc = exceptions.ValidationError({k: [m for e in v for m in e.messages] for k, v in exc.error_dict.items()})
        else:
            exc = exceptions.ValidationError({"detail": exc.messages})
    response = drf_exception_handler(exc, context)
    # A serializer-level error arrives as a bare list; clients expect an object everywhere.
    if response is not None and isinstance(response.data, list):
        response.data = {"detail": response.data}
    return response
