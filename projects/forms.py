"""Forms for the workspace and project pages.

They only validate input and offer choices; saving is always a service call, so these are
plain forms rather than model forms. Choice fields are narrowed by the permission policy
(e.g. the roles a user may hand out) so a page never offers what the service would refuse.
"""

from django import forms
from django.core.exceptions import ValidationError

from . import permissions
from .models import AuditEvent, ProblemType, Project, Role, Workspace


def apply_service_errors(form: forms.Form, exc: ValidationError) -> None:
    """Show a service's ValidationError on `form`: on the field it names when the form has
    that field, otherwise at the top of the form. Call after `form.is_valid()`."""
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)


class WorkspaceForm(forms.Form):
    name = forms.CharField(max_length=Workspace._meta.get_field("name").max_length)
    description = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="What the team works on here.",
    )


class WorkspaceDeleteForm(forms.Form):
    """Deleting a workspace is confirmed by typing its name, so a slip of the mouse cannot."""

    confirm_name = forms.CharField(label="Type the workspace name to confirm", max_length=200)

    def __init__(self, *args, workspace: Workspace, **kwargs):
        super().__init__(*args, **kwargs)
        self.workspace = workspace

    def clean_confirm_name(self) -> str:
        value = self.cleaned_data["confirm_name"].strip()
        if value != self.workspace.name.strip():
            raise ValidationError(f"Type “{self.workspace.name}” exactly to delete this workspace.")
        return value


class ProjectForm(forms.Form):
    name = forms.CharField(max_length=Project._meta.get_field("name").max_length)
    description = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="The question this project answers, in a sentence.",
    )
    problem_type = forms.ChoiceField(
        choices=ProblemType.choices,
        initial=ProblemType.AUTO,
        help_text="Leave on auto-detect to let the platform decide from the target column.",
    )
    target_column = forms.CharField(
        required=False,
        max_length=Project._meta.get_field("target_column").max_length,
        help_text="The column to predict. You can set it later, once data is uploaded.",
    )

    @classmethod
    def initial_for(cls, project: Project) -> dict:
        return {field: getattr(project, field) for field in cls.base_fields}


class ProjectFilterForm(forms.Form):
    """The search box and status filter above a workspace's project list."""

    STATUS_CHOICES = [("active", "Active"), ("archived", "Archived"), ("all", "All")]

    q = forms.CharField(required=False, max_length=120, label="Search projects")
    status = forms.ChoiceField(required=False, choices=STATUS_CHOICES, label="Status")

    @property
    def status_value(self) -> str:
        """The chosen status; invalid input falls back to the default, active projects."""
        return (self.is_valid() and self.cleaned_data.get("status")) or "active"

    @property
    def query_value(self) -> str:
        return (self.is_valid() and self.cleaned_data.get("q", "").strip()) or ""

    def filter(self, queryset):
        if self.status_value != "all":
            queryset = queryset.filter(status=self.status_value)
        if self.query_value:
            queryset = queryset.filter(name__icontains=self.query_value)
        return queryset


class InvitationForm(forms.Form):
    email = forms.EmailField(label="Email address", max_length=254)
    role = forms.ChoiceField(choices=())

    def __init__(self, *args, user, workspace: Workspace, **kwargs):
        super().__init__(*args, **kwargs)
        allowed = permissions.assignable_roles(user, workspace)
        self.fields["role"].choices = [(value, label) for value, label in Role.choices if value in allowed]
        self.fields["role"].initial = Role.EDITOR


class RoleForm(forms.Form):
    """The inline role select of one member. Any known role is accepted here: whether this
    user may give it is the service's (and the policy's) decision, answered with 403."""

    role = forms.ChoiceField(choices=Role.choices)


class ShareForm(forms.Form):
    email = forms.EmailField(
        label="Email address",
        max_length=254,
        help_text="Someone who already has an account and is not a member of this workspace.",
    )
    role = forms.ChoiceField(
        choices=[("viewer", "Viewer — can look"), ("editor", "Editor — can change")],
        initial="viewer",
    )


class AuditFilterForm(forms.Form):
    action = forms.ChoiceField(required=False, choices=[("", "All actions"), *AuditEvent.Action.choices])
