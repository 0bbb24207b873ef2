"""The operators' screens for workspaces, members, invitations, projects and the audit log.

Every screen goes through the permission policy (see `admin_mixins`). Deleting a workspace or
project is a soft delete through the services; operators restore from the change list.
"""

from __future__ import annotations

import json

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.html import format_html
from guardian.admin import AdminGroupObjectPermissionsForm, AdminUserObjectPermissionsForm, GuardedModelAdminMixin
from guardian.shortcuts import get_group_perms, get_user_perms

from accounts.admin import UserAdmin as AccountsUserAdmin
from accounts.models import User

from . import permissions, services
from .admin_mixins import PolicyAdminMixin, PolicyInlineMixin, SoftDeleteAdminMixin, form_changes
from .models import AuditEvent, Invitation, Membership, Project, Workspace

AUDIT_FIELDS = ("created_by", "created_at", "updated_at", "deleted_at", "deleted_by")


class AuditedChangesMixin:
    """Edits saved from a change form land in the workspace's audit log, like the services' do."""

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if change and form.changed_data:
            services.audit(actor=request.user, action=AuditEvent.Action.UPDATE, target=obj, changes=form_changes(form))


class WorkspaceMembershipInline(PolicyInlineMixin, admin.TabularInline):
    model = Membership
    fk_name = "workspace"
    fields = ("user", "role", "created_at")
    readonly_fields = fields
    verbose_name_plural = "members (change roles from the membership page)"


class UserMembershipInline(PolicyInlineMixin, admin.TabularInline):
    model = Membership
    fk_name = "user"
    fields = ("workspace", "role", "created_at")
    readonly_fields = fields
    verbose_name_plural = "workspace memberships"


@admin.register(Workspace)
class WorkspaceAdmin(AuditedChangesMixin, SoftDeleteAdminMixin, PolicyAdminMixin, admin.ModelAdmin):
    list_display = ("name", "slug", "is_personal", "member_count", "project_count", "created_at", "deleted")
    list_filter = ("is_personal", "created_at")
    search_fields = ("name", "slug", "description")
    fields = ("name", "slug", "description", "is_personal", *AUDIT_FIELDS)
    readonly_fields = ("slug", "is_personal", *AUDIT_FIELDS)
    inlines = [WorkspaceMembershipInline]
    date_hierarchy = "created_at"

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .select_related("created_by", "deleted_by")
            .annotate(
                _member_count=Count("memberships", distinct=True),
                _project_count=Count("projects", filter=Q(projects__deleted_at__isnull=True), distinct=True),
            )
        )

    def has_add_permission(self, request):
        # Created in the app, where the creator becomes the owner and the audit log says so.
        return False

    @admin.display(description="members", ordering="_member_count")
    def member_count(self, obj) -> int:
        return obj._member_count

    @admin.display(description="projects", ordering="_project_count")
    def project_count(self, obj) -> int:
        return obj._project_count

    def soft_delete_one(self, request, obj) -> None:
        services.delete_workspace(actor=request.user, workspace=obj)

    def restore_one(self, request, obj) -> None:
        services.restore_workspace(actor=request.user, workspace=obj)


class AuditedUserSharesForm(AdminUserObjectPermissionsForm):
    """Guardian's per-user permission form, writing the change to the audit log."""

    actor = None  # set per request by ProjectAdmin

    def save_obj_perms(self) -> None:
        before = set(get_user_perms(self.user, self.obj))
        super().save_obj_perms()
        after = set(get_user_perms(self.user, self.obj))
        _audit_share(self.actor, self.obj, {"user": self.user.email}, before, after)


class AuditedGroupSharesForm(AdminGroupObjectPermissionsForm):
    actor = None

    def save_obj_perms(self) -> None:
        before = set(get_group_perms(self.group, self.obj))
        super().save_obj_perms()
        after = set(get_group_perms(self.group, self.obj))
        _audit_share(self.actor, self.obj, {"group": self.group.name}, before, after)


def _audit_share(actor, project: Project, who: dict, before: set, after: set) -> None:
    if before == after:
        return
    action = AuditEvent.Action.SHARE if after - before else AuditEvent.Action.UNSHARE
    changes = {**who, "permissions": [sorted(before), sorted(after)]}
    services.audit(actor=actor, action=action, target=project, changes=changes)


@admin.register(Project)
class ProjectAdmin(
    AuditedChangesMixin, SoftDeleteAdminMixin, PolicyAdminMixin, GuardedModelAdminMixin, admin.ModelAdmin
):
    list_display = ("name", "workspace", "problem_type", "status", "created_by", "updated_at", "deleted")
    list_filter = ("status", "problem_type", ("workspace", admin.RelatedOnlyFieldListFilter), "created_at")
    list_select_related = ("workspace", "created_by")
    search_fields = ("name", "description", "target_column", "workspace__name")
    fields = ("workspace", "name", "description", "problem_type", "target_column", "status", *AUDIT_FIELDS)
    readonly_fields = ("workspace", *AUDIT_FIELDS)
    date_hierarchy = "created_at"

    def has_add_permission(self, request):
        # Created in the app, inside a workspace the creator may add projects to.
        return False

    def soft_delete_one(self, request, obj) -> None:
        services.delete_project(actor=request.user, project=obj)

    def restore_one(self, request, obj) -> None:
        services.restore_project(actor=request.user, project=obj)
        if obj.workspace.is_deleted:
            note = f"{obj} is restored but stays hidden until its workspace is restored."
            self.message_user(request, note, messages.WARNING)

    # Guardian's "Object permissions" screens write raw shares. Members share from the app
    # (share_project checks roles); in the admin, only operators may, and it is audited.

    def render_change_form(self, request, context, *args, **kwargs):
        response = super().render_change_form(request, context, *args, **kwargs)
        if not permissions.is_operator(request.user):
            # Django's plain template: no link to the object-permission screens.
            response.template_name = [
                f"admin/{self.opts.app_label}/{self.opts.model_name}/change_form.html",
                f"admin/{self.opts.app_label}/change_form.html",
                "admin/change_form.html",
            ]
        return response

    def _require_operator(self, request) -> None:
        if not permissions.is_operator(request.user):
            raise PermissionDenied("Only operators manage object permissions in the admin.")

    def obj_perms_manage_view(self, request, object_pk):
        self._require_operator(request)
        return super().obj_perms_manage_view(request, object_pk)

    def obj_perms_manage_user_view(self, request, object_pk, user_id):
        self._require_operator(request)
        return super().obj_perms_manage_user_view(request, object_pk, user_id)

    def obj_perms_manage_group_view(self, request, object_pk, group_id):
        self._require_operator(request)
        return super().obj_perms_manage_group_view(request, object_pk, group_id)

    def get_obj_perms_manage_user_form(self, request):
        return type("UserSharesForm", (AuditedUserSharesForm,), {"actor": request.user})

    def get_obj_perms_manage_group_form(self, request):
        return type("GroupSharesForm", (AuditedGroupSharesForm,), {"actor": request.user})


class MembershipAdminForm(forms.ModelForm):
    class Meta:
        model = Membership
        fields = ("workspace", "user", "role")

    def clean_role(self):
        role = self.cleaned_data["role"]
        current = self.instance
        # `instance` still holds the stored role here: the form copies values onto it later.
        if current.pk:
            services.ensure_an_owner_remains(current, new_role=role)
        return role


@admin.register(Membership)
class MembershipAdmin(PolicyAdminMixin, admin.ModelAdmin):
    """Operators fix memberships here (say, a new owner when the only one has left). Members
    change roles from the workspace's members page, whose service checks who may touch whom."""

    # The services' role rules are written for members; until they have an operator path,
    # edits here are for operators only.
    policy_actions = {"view": "view", "change": None, "delete": None}
    form = MembershipAdminForm
    list_display = ("user", "workspace", "role", "created_at", "updated_at")
    list_filter = ("role", ("workspace", admin.RelatedOnlyFieldListFilter))
    list_select_related = ("user", "workspace")
    search_fields = ("user__email", "user__full_name", "workspace__name")
    autocomplete_fields = ("workspace", "user")
    fields = ("workspace", "user", "role", "created_at", "updated_at")
    readonly_fields = ("created_at", "updated_at")

    def get_readonly_fields(self, request, obj=None):
        readonly = super().get_readonly_fields(request, obj)
        return ("workspace", "user", *readonly) if obj is not None else readonly

    def get_actions(self, request):
        actions = super().get_actions(request)
        # Removing a member is audited one by one in delete_model; the bulk action bypasses it.
        actions.pop("delete_selected", None)
        return actions

    def has_delete_permission(self, request, obj=None):
        if obj is not None:
            try:
                services.ensure_an_owner_remains(obj)
            except ValidationError:
                return False
        return super().has_delete_permission(request, obj)

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if not change:
            changes = {"user": obj.user.email, "role": obj.role}
            services.audit(actor=request.user, action=AuditEvent.Action.CREATE, target=obj, changes=changes)
        elif "role" in form.changed_data:
            changes = {**form_changes(form), "user": obj.user.email}
            services.audit(actor=request.user, action=AuditEvent.Action.ROLE_CHANGE, target=obj, changes=changes)

    def delete_model(self, request, obj):
        changes = {"user": obj.user.email, "role": obj.role}
        services.audit(actor=request.user, action=AuditEvent.Action.MEMBER_REMOVE, target=obj, changes=changes)
        super().delete_model(request, obj)


class InvitationStatusFilter(admin.SimpleListFilter):
    title = "status"
    parameter_name = "status"

    def lookups(self, request, model_admin):
        return [(s, s.capitalize()) for s in ("pending", "accepted", "revoked", "expired")]

    def queryset(self, request, queryset):
        now = timezone.now()
        open_ = Q(accepted_at__isnull=True, revoked_at__isnull=True)
        filters = {
            "pending": open_ & Q(expires_at__gt=now),
            "accepted": Q(accepted_at__isnull=False),
            "revoked": Q(accepted_at__isnull=True, revoked_at__isnull=False),
            "expired": open_ & Q(expires_at__lte=now),
        }
        return queryset.filter(filters[self.value()]) if self.value() in filters else queryset


@admin.register(Invitation)
class InvitationAdmin(PolicyAdminMixin, admin.ModelAdmin):
    """Read-only: invitations are sent and revoked from the app, which emails the secret link."""

    policy_workspace_field = "workspace"
    policy_actions = {"view": "manage_members", "change": None, "delete": None}
    list_display = ("email", "workspace", "role", "status", "invited_by", "created_at", "expires_at")
    list_filter = (InvitationStatusFilter, "role", ("workspace", admin.RelatedOnlyFieldListFilter))
    list_select_related = ("workspace", "invited_by")
    search_fields = ("email", "workspace__name")
    # token_hash is deliberately absent: it is a credential and useless to read.
    fields = (
        "workspace",
        "email",
        "role",
        "status",
        "invited_by",
        "created_at",
        "expires_at",
        "accepted_at",
        "accepted_by",
        "revoked_at",
    )
    readonly_fields = fields

    @admin.display(description="status")
    def status(self, obj) -> str:
        return obj.status

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(AuditEvent)
class AuditEventAdmin(PolicyAdminMixin, admin.ModelAdmin):
    """The audit log, read-only for everyone: rows are written by the services and never edited."""

    policy_workspace_field = "workspace"
    policy_actions = {"view": "view_audit", "change": None, "delete": None}
    list_display = ("created_at", "actor_display", "action", "target_display", "workspace")
    list_filter = ("action", ("workspace", admin.RelatedOnlyFieldListFilter))
    list_select_related = ("actor", "workspace")
    search_fields = ("actor_email", "target_type", "target_id", "target_repr")
    date_hierarchy = "created_at"
    fields = (
        "created_at",
        "actor",
        "actor_email",
        "action",
        "workspace",
        "target_type",
        "target_id",
        "target_repr",
        "changes_display",
        "ip_address",
    )
    readonly_fields = fields

    @admin.display(description="actor", ordering="actor_email")
    def actor_display(self, obj) -> str:
        return obj.actor_email or "system"

    @admin.display(description="target", ordering="target_repr")
    def target_display(self, obj) -> str:
        return f"{obj.target_type} {obj.target_repr}".strip()

    @admin.display(description="changes")
    def changes_display(self, obj) -> str:
        return format_html("<pre>{}</pre>", json.dumps(obj.changes, indent=2, ensure_ascii=False, default=str))

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


# The user screen belongs to accounts, which must not import projects (apps depend one way),
# so the memberships inline is attached here.
admin.site.unregister(User)


@admin.register(User)
class UserAdmin(AccountsUserAdmin):
    inlines = [*AccountsUserAdmin.inlines, UserMembershipInline]
