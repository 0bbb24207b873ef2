"""Users (email login), their preferences, and personal API tokens."""

import hashlib
import secrets
import zoneinfo
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone


def validate_timezone(value: str) -> None:
    """Only names the system's time zone database knows, so every page can be rendered."""
    if value not in zoneinfo.available_timezones():
        raise ValidationError("Unknown time zone. Use an IANA name such as 'Europe/Paris' or 'UTC'.")


class UserManager(BaseUserManager):
    use_in_migrations = True

    def _create_user(self, email: str, password: str | None, **extra):
        if not email:
            raise ValueError("An email address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email: str, password: str | None = None, **extra):
        extra.setdefault("is_staff", False)
        extra.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra)

    def create_superuser(self, email: str, password: str | None = None, **extra):
        extra.update(is_staff=True, is_superuser=True)
        return self._create_user(email, password, **extra)

    def get_by_natural_key(self, email: str):
        return self.get(email__iexact=email)


class User(AbstractBaseUser, PermissionsMixin):
    """A person who signs in with an email address. Preferences live on the row."""

    class Theme(models.TextChoices):
        SYSTEM = "system", "System"
        LIGHT = "light", "Light"
        DARK = "dark", "Dark"

    email = models.EmailField("email address", unique=True)
    full_name = models.CharField(max_length=150, blank=True)
    is_staff = models.BooleanField(default=False, help_text="May sign in to the admin site.")
    is_active = models.BooleanField(default=True)
    date_joined = models.DateTimeField(default=timezone.now)
    theme = models.CharField(max_length=10, choices=Theme.choices, default=Theme.SYSTEM)
    timezone = models.CharField(
        max_length=64, default="UTC", validators=[validate_timezone], help_text="Times are shown in this zone."
    )

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    class Meta:
        ordering = ["email"]

    def __str__(self) -> str:
        return self.email

    def get_full_name(self) -> str:
        return self.full_name or self.email

    def get_short_name(self) -> str:
        return self.full_name.split(" ")[0] if self.full_name else self.email.split("@")[0]

    @property
    def display_name(self) -> str:
        return self.get_full_name()

    @property
    def initials(self) -> str:
        source = self.full_name or self.email.split("@")[0]
        parts = [p for p in source.replace(".", " ").replace("_", " ").split() if p]
        return "".join(p[0] for p in parts[:2]).upper() or "?"


TOKEN_PREFIX = "aml_"


def hash_token(raw: str) -> str:
    # Tokens carry 256 bits of randomness, so a fast hash is enough and keeps lookups O(1).
    return hashlib.sha256(raw.encode()).hexdigest()


class ApiTokenQuerySet(models.QuerySet):
    def active(self):
        now = timezone.now()
        return self.filter(revoked_at__isnull=True).filter(
            models.Q(expires_at__isnull=True) | models.Q(expires_at__gt=now)
        )


SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class ApiToken(models.Model):
    """A personal API token. Only its SHA-256 is stored; the plain text is shown once.

    A token acts as its user, within two optional limits: a scope (read only, or read and
    predict: the API refuses other writes) and one project (projects.permissions)."""

    class Scope(models.TextChoices):
        ALL = "all", "Everything my role allows"
        READ = "read", "Read only"
        PREDICT = "predict", "Read and predict"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100)
    scope = models.CharField(max_length=10, choices=Scope.choices, default=Scope.ALL)
    project = models.ForeignKey(
        "projects.Project",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
        help_text="When set, the token reaches this project only.",
    )
    prefix = models.CharField(max_length=16, help_text="First characters, to recognise the token.")
    key_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    objects = ApiTokenQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        verbose_name = "API token"

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @classmethod
    def issue(
        cls, *, user, name: str, expires_in_days: int | None = None, scope: str = Scope.ALL, project=None
    ) -> tuple["ApiToken", str]:
        """Create a token and return it with its plain text, which is never stored."""
        raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
        expires_at = timezone.now() + timedelta(days=expires_in_days) if expires_in_days else None
        token = cls.objects.create(
            user=user,
            name=name,
            prefix=raw[:12],
            key_hash=hash_token(raw),
            expires_at=expires_at,
            scope=scope,
            project=project,
        )
        return token, raw

    @property
    def is_limited(self) -> bool:
        return self.scope != self.Scope.ALL or self.project_id is not None

    def refusal(self, method: str, action: str, *, outside: bool = False) -> str:
        """Why a request (HTTP `method`, policy `action`) is beyond this token's scope, or "".
        `outside`: the request changes something above any project (the user's settings or
        tokens, workspaces), which a limited token may only read (else it could, say, issue
        itself a broader token). Which projects it reaches is the permission policy's part."""
        if method in SAFE_METHODS:
            return ""
        if outside and self.is_limited:
            return "A limited token cannot change account settings, tokens or workspaces; use an unlimited one."
        if self.scope == self.Scope.READ:
            return "This token is read-only."
        if self.scope == self.Scope.PREDICT and action != "predict":
            return "This token may only read and predict."
        return ""

    @property
    def status(self) -> str:
        if self.revoked_at:
            return "revoked"
        if self.expires_at and self.expires_at <= timezone.now():
            return "expired"
        return "active"

    @property
    def is_active(self) -> bool:
        return self.status == "active"

    def revoke(self) -> None:
        if not self.revoked_at:
            self.revoked_at = timezone.now()
            self.save(update_fields=["revoked_at"])

    def touch(self) -> None:
        """Record use, at most once a minute so that busy clients do not write on every call."""
        now = timezone.now()
        if not self.last_used_at or now - self.last_used_at > timedelta(minutes=1):
            ApiToken.objects.filter(pk=self.pk).update(last_used_at=now)
            self.last_used_at = now
