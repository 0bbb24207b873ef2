"""First-run setup for `make run`: the site's domain and a demo workspace.

Prints how to sign in the first time only; later runs are silent, so a second `make run`
reuses everything that exists.
"""

import secrets

from django.conf import settings
from django.contrib.sites.models import Site
from django.core.management.base import BaseCommand

from projects import services


class Command(BaseCommand):
    help = "Create the demo user and workspace if they do not exist yet."

    def add_arguments(self, parser):
        parser.add_argument("--domain", default="localhost:8000", help="Domain used in emailed links.")

    def handle(self, *args, domain: str, **options):
        Site.objects.update_or_create(pk=settings.SITE_ID, defaults={"domain": domain, "name": settings.SITE_NAME})
        if not settings.DEMO_WORKSPACE:
            return
        password = secrets.token_urlsafe(9)
        user, created = services.ensure_demo_workspace(password=password)
        if created:
            self.stdout.write(
                "First run: a demo workspace is ready.\n"
                f"  Sign in as {user.email} with password {password}\n"
                "  (shown only this once; change it under Profile), or create your own account."
            )
