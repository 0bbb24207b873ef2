"""API errors are JSON: {"detail": "..."} or {"field": ["message", ...], ...}.

Business-rule violations raised by services as Django ValidationError become 400s, and
Django's PermissionDenied/Http404 become 403/404, so no bad input reaches a 500.
"""

from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import exceptions
from rest_framework.views import exception_handler as drf_exception_handler


def validation_body(exc: DjangoValidationError) -> dict:
    """A service's ValidationError as the API's 400 body: messages by field, else under "detail"."""
    if hasattr(exc, "error_dict"):
        return {k: [m for e in v for m in e.messages] for k, v in exc.error_dict.items()}
    return {"detail": exc.messages}


def exception_handler(exc, context):
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(validation_body(exc))
    response = drf_exception_handler(exc, context)
    # A serializer-level error arrives as a bare list; clients expect an object everywhere.
    if response is not None and isinstance(response.data, list):
        response.data = {"detail": response.data}
    return response
