"""Issue a personal API token from the command line, e.g. for a script or a CI job.

The plain token is the last line of stdout, so `TOKEN=$(manage.py create_api_token me@x | tail -1)`
works; the human explanation goes to stderr. Only the token's hash is stored.
"""

from django.core.management.base import BaseCommand, CommandError

from accounts.models import ApiToken, User
from projects.models import Project
from projects.permissions import restrict


class Command(BaseCommand):
    help = "Create an API token for the user with this email address and print it once."

    def add_arguments(self, parser):
        parser.add_argument("email", help="The user's email address.")
        parser.add_argument("--name", default="command line", help="A label to recognise the token by.")
        parser.add_argument(
            "--expires-days", type=int, default=None, help="Days until the token expires (default: never)."
        )
        parser.add_argument(
            "--scope",
            choices=ApiToken.Scope.values,
            default=ApiToken.Scope.ALL,
            help="all (default), read (read only) or predict (read and predict).",
        )
        parser.add_argument("--project", type=int, default=None, help="Limit the token to this project id.")

    def handle(self, *args, email: str, name: str, expires_days: int | None, scope: str, project, **options):
        user = User.objects.filter(email__iexact=email.strip()).first()
        if user is None:
            raise CommandError(f"No user has the email address {email!r}.")
        if not user.is_active:
            raise CommandError(f"{user.email} is deactivated; a token for them would not work.")
        name = name.strip()
        max_length = ApiToken._meta.get_field("name").max_length
        if not name or len(name) > max_length:
            raise CommandError(f"--name must be 1 to {max_length} characters.")
        if expires_days is not None and expires_days < 1:
            raise CommandError("--expires-days must be at least 1 (leave it out for a token that never expires).")

        if project is not None:
            project = restrict(Project.objects.all(), user, "view").filter(pk=project).first()
            if project is None:
                raise CommandError("--project must be the id of a project this user can see.")
        token, raw = ApiToken.issue(user=user, name=name, expires_in_days=expires_days, scope=scope, project=project)
        expiry = f"expires {token.expires_at:%Y-%m-%d %H:%M %Z}" if token.expires_at else "never expires"
        self.stderr.write(
            f"Created token {token.name!r} ({token.prefix}…) for {user.email}; it {expiry}. "
            "Copy it now: it cannot be shown again.",
            style_func=self.style.SUCCESS,
        )
        self.stdout.write(raw)
