"""What every workspace-side admin screen shares: the permission policy and soft deletion.

The admin is one more door, so it asks `projects.permissions` like the pages and the API do:

- Django's model permissions still decide which admin *pages* a non-superuser staff member
  may open (an operator grants them through groups);
- the policy decides which *rows* they see there and what they may do to each one;
- operators (active superusers) see every row, soft-deleted ones included, so they can restore.
"""

from __future__ import annotations

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils.text import capfirst

from . import permissions
from .models import Workspace

# Admin verbs → policy actions. None means "operators only".
DEFAULT_POLICY_ACTIONS: dict[str, str | None] = {"view": "view", "change": "change", "delete": "delete"}


class PolicyAdminMixin:
    """Filters the admin queryset and answers object permissions from the policy.

    Models the policy governs directly (workspaces, memberships, projects and anything inside a
    project) need nothing more. For other workspace-owned models (invitations, audit events)
    set `policy_workspace_field` and the policy is asked about that workspace instead.
    """

    policy_actions: dict[str, str | None] = DEFAULT_POLICY_ACTIONS
    policy_workspace_field: str | None = None

    def policy_restrict(self, queryset, user, action: str):
        if self.policy_workspace_field is None:
            return permissions.restrict(queryset, user, action)
        workspaces = permissions.restrict(Workspace.objects.all(), user, action)
        return queryset.filter(**{f"{self.policy_workspace_field}__in": workspaces})

    def policy_can(self, user, action: str, obj) -> bool:
        if self.policy_workspace_field is not None:
            obj = getattr(obj, self.policy_workspace_field)
        return permissions.can(user, action, obj)

    def get_queryset(self, request):
        user = request.user
        if permissions.is_operator(user) and hasattr(self.model, "all_objects"):
            # The default manager hides soft-deleted rows; operators need them to restore.
            queryset = self.model.all_objects.get_queryset()
            ordering = self.get_ordering(request)
            return queryset.order_by(*ordering) if ordering else queryset
        queryset = super().get_queryset(request)
        if permissions.is_operator(user):
            return queryset
        action = self.policy_actions.get("view")
        return self.policy_restrict(queryset, user, action) if action else queryset.none()

    def _policy_allows(self, request, verb: str, obj, model_level: bool) -> bool:
        if not model_level:
            return False
        if permissions.is_operator(request.user):
            return True
        action = self.policy_actions.get(verb)
        if action is None:
            return False
        return obj is None or self.policy_can(request.user, action, obj)

    def has_view_permission(self, request, obj=None):
        return self._policy_allows(request, "view", obj, super().has_view_permission(request, obj))

    def has_change_permission(self, request, obj=None):
        return self._policy_allows(request, "change", obj, super().has_change_permission(request, obj))

    def has_delete_permission(self, request, obj=None):
        return self._policy_allows(request, "delete", obj, super().has_delete_permission(request, obj))

    def has_add_permission(self, request, *args):
        # A new row has no object to ask the policy about, so only operators add from the admin;
        # members create things in the app, where the services set owners and write the audit log.
        return permissions.is_operator(request.user) and super().has_add_permission(request, *args)


class PolicyInlineMixin:
    """A read-only inline whose rows are filtered by the policy, like its parent's."""

    extra = 0
    can_delete = False
    show_change_link = True

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        if permissions.is_operator(request.user):
            return queryset
        return permissions.restrict(queryset, request.user, "view")

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class DeletedFilter(admin.SimpleListFilter):
    title = "deleted"
    parameter_name = "deleted"

    def lookups(self, request, model_admin):
        return [("no", "No"), ("yes", "Yes")]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(deleted_at__isnull=False)
        if self.value() == "no":
            return queryset.filter(deleted_at__isnull=True)
        return queryset


class SoftDeleteAdminMixin:
    """Deleting from the admin is a soft delete through the services, so it is audited and an
    operator can undo it with the "restore" action. Subclasses say which services to call in
    `soft_delete_one` and `restore_one`."""

    actions = ["soft_delete_selected", "restore_selected"]

    def soft_delete_one(self, request, obj) -> None:
        raise NotImplementedError

    def restore_one(self, request, obj) -> None:
        raise NotImplementedError

    @admin.display(description="deleted", ordering="deleted_at", empty_value="")
    def deleted(self, obj):
        # The date rather than a yes/no icon: a green tick next to a deleted row reads as "fine".
        return obj.deleted_at

    def get_list_filter(self, request):
        filters = tuple(super().get_list_filter(request))
        # Only operators ever see soft-deleted rows, so only they need the filter.
        return (DeletedFilter, *filters) if permissions.is_operator(request.user) else filters

    def get_actions(self, request):
        actions = super().get_actions(request)
        # Django's own "delete selected" confirms by listing cascades that a soft delete never
        # performs; our action says what really happens.
        actions.pop("delete_selected", None)
        return actions

    def has_delete_permission(self, request, obj=None):
        if obj is not None and obj.is_deleted:
            return False
        return super().has_delete_permission(request, obj)

    def has_restore_permission(self, request) -> bool:
        return permissions.is_operator(request.user)

    def get_deleted_objects(self, objs, request):
        # Nothing cascades: the rows stay, hidden, and can be restored.
        opts = self.model._meta
        listed = [f"{capfirst(opts.verbose_name)}: {obj} (hidden, restorable by an operator)" for obj in objs]
        return listed, {opts.verbose_name_plural: len(listed)}, set(), []

    def delete_model(self, request, obj):
        if not obj.is_deleted:
            self.soft_delete_one(request, obj)

    def delete_queryset(self, request, queryset):
        for obj in queryset:
            self.delete_model(request, obj)

    @admin.action(description="Soft delete selected %(verbose_name_plural)s", permissions=["delete"])
    def soft_delete_selected(self, request, queryset):
        allowed, refused = [], []
        for obj in queryset:
            if obj.is_deleted:
                continue
            (allowed if self.has_delete_permission(request, obj) else refused).append(obj)
        done = self._run_each(request, allowed, self.delete_model, "Soft-deleted")
        self._report(request, done, refused, "soft-deleted")

    @admin.action(description="Restore selected %(verbose_name_plural)s", permissions=["restore"])
    def restore_selected(self, request, queryset):
        done = self._run_each(request, [obj for obj in queryset if obj.is_deleted], self.restore_one, "Restored")
        self._report(request, done, [], "restored")

    def _run_each(self, request, objs, operation, log_message: str) -> list:
        done = []
        for obj in objs:
            try:
                operation(request, obj)
            except (PermissionDenied, ValidationError) as exc:
                reason = " ".join(getattr(exc, "messages", [])) or str(exc) or "not allowed"
                self.message_user(request, f"{obj}: {reason}", messages.ERROR)
                continue
            self.log_change(request, obj, log_message)
            done.append(obj)
        return done

    def _report(self, request, done: list, refused: list, verb: str) -> None:
        opts = self.model._meta
        if done:
            names = opts.verbose_name if len(done) == 1 else opts.verbose_name_plural
            self.message_user(request, f"{len(done)} {names} {verb}.", messages.SUCCESS)
        if refused:
            listed = ", ".join(str(obj) for obj in refused)
            self.message_user(request, f"You may not delete: {listed}.", messages.ERROR)
        if not done and not refused:
            self.message_user(request, f"Nothing to do: none of the selected rows can be {verb}.", messages.WARNING)


def form_changes(form) -> dict:
    """{field: [old, new]} for the fields an admin form changed, in a JSON-friendly shape."""

    def plain(value):
        return value if value is None or isinstance(value, str | int | float | bool) else str(value)

    return {name: [plain(form.initial.get(name)), plain(form.cleaned_data.get(name))] for name in form.changed_data}
