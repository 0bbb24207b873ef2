"""Admin screens for users (email login) and their API tokens.

Users and tokens belong to no workspace, so the workspace permission policy has nothing to say
about them: Django's model permissions apply, and only superusers may hand out staff or
superuser status. The memberships inline on the user screen is added by `projects.admin`,
because accounts must not import projects.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.contrib.auth import admin as auth_admin
from django.contrib.auth import forms as auth_forms
from django.utils import timezone

from .models import ApiToken, User


def _unique_email(form: forms.ModelForm) -> str:
    # Sign-in looks addresses up case-insensitively, so two spellings must not both exist.
    email = form.cleaned_data["email"].strip().lower()
    if User.objects.filter(email__iexact=email).exclude(pk=form.instance.pk).exists():
        raise forms.ValidationError("A user with this email address already exists.")
    return email


class UserCreationForm(auth_forms.AdminUserCreationForm):
    class Meta:
        model = User
        fields = ("email", "full_name")

    def clean_email(self) -> str:
        return _unique_email(self)


class UserChangeForm(auth_forms.UserChangeForm):
    class Meta:
        model = User
        fields = "__all__"

    def clean_email(self) -> str:
        return _unique_email(self)


class ApiTokenInline(admin.TabularInline):
    """The user's tokens at a glance; revoking happens on the token screen."""

    model = ApiToken
    fields = ("name", "prefix", "status", "created_at", "last_used_at", "expires_at")
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True

    @admin.display(description="status")
    def status(self, obj) -> str:
        return obj.status

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(User)
class UserAdmin(auth_admin.UserAdmin):
    form = UserChangeForm
    add_form = UserCreationForm
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        ("Profile", {"fields": ("full_name", "theme", "timezone")}),
        ("Permissions", {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")}),
        ("Important dates", {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (
            None,
            {"classes": ("wide",), "fields": ("email", "full_name", "usable_password", "password1", "password2")},
        ),
    )
    list_display = ("email", "full_name", "is_staff", "is_active", "date_joined")
    list_filter = ("is_staff", "is_superuser", "is_active", "groups")
    search_fields = ("email", "full_name")
    ordering = ("email",)
    readonly_fields = ("last_login", "date_joined")
    inlines = [ApiTokenInline]

    def get_inlines(self, request, obj):
        # A user being added has no tokens or memberships to show yet.
        return self.inlines if obj is not None else []

    def get_readonly_fields(self, request, obj=None):
        readonly = tuple(super().get_readonly_fields(request, obj))
        if request.user.is_superuser:
            return readonly
        # Staff who may edit users must not be able to raise anyone's privileges, their own included.
        return (*readonly, "is_staff", "is_superuser", "groups", "user_permissions")


class TokenStatusFilter(admin.SimpleListFilter):
    title = "status"
    parameter_name = "status"

    def lookups(self, request, model_admin):
        return [("active", "Active"), ("expired", "Expired"), ("revoked", "Revoked")]

    def queryset(self, request, queryset):
        now = timezone.now()
        if self.value() == "active":
            return queryset.active()
        if self.value() == "expired":
            return queryset.filter(revoked_at__isnull=True, expires_at__lte=now)
        if self.value() == "revoked":
            return queryset.filter(revoked_at__isnull=False)
        return queryset


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    """Tokens are issued by the app or `manage.py create_api_token`, which show the plain text
    once; the admin can only rename, change the expiry, revoke or delete them."""

    list_display = ("name", "user", "prefix", "status", "created_at", "last_used_at", "expires_at")
    list_filter = (TokenStatusFilter, "created_at")
    list_select_related = ("user",)
    search_fields = ("name", "prefix", "user__email")
    # key_hash is deliberately absent everywhere: it is a credential and useless to read.
    fields = ("name", "user", "prefix", "status", "created_at", "last_used_at", "expires_at", "revoked_at")
    readonly_fields = ("user", "prefix", "status", "created_at", "last_used_at", "revoked_at")
    actions = ["revoke_selected"]
    date_hierarchy = "created_at"

    @admin.display(description="status")
    def status(self, obj) -> str:
        return obj.status

    def has_add_permission(self, request):
        return False

    @admin.action(description="Revoke selected tokens", permissions=["change"])
    def revoke_selected(self, request, queryset):
        revoked = 0
        for token in queryset.filter(revoked_at__isnull=True):
            token.revoke()
            self.log_change(request, token, "Revoked")
            revoked += 1
        if revoked:
            self.message_user(request, f"{revoked} token{'s' if revoked != 1 else ''} revoked.", messages.SUCCESS)
        else:
            self.message_user(request, "The selected tokens were already revoked.", messages.WARNING)
