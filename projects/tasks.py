"""Periodic housekeeping for workspaces."""

from celery import shared_task
from django.utils import timezone

from .models import Invitation


@shared_task(name="projects.tasks.expire_invitations")
def expire_invitations() -> int:
    """Mark invitations past their expiry as revoked so they stop showing as pending."""
    return Invitation.objects.filter(
        accepted_at__isnull=True, revoked_at__isnull=True, expires_at__lte=timezone.now()
    ).update(revoked_at=timezone.now())
