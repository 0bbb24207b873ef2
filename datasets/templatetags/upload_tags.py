"""What an upload form needs to know before a byte is sent: the size limit and the file types.

A tag rather than view context, so the upload form can be included on any page (the project
page shows a compact drop zone) without that page's view knowing about datasets.
"""

from __future__ import annotations

from django import template
from django.conf import settings

from ..forms import ACCEPT

register = template.Library()


@register.simple_tag
def upload_limits() -> dict:
    """{"max_bytes": the largest file accepted, "accept": the file picker's type filter}."""
    return {"max_bytes": settings.DATASET_MAX_UPLOAD_BYTES, "accept": ACCEPT}
