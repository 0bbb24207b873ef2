"""API representations of workspaces, members, invitations, the audit log, projects and shares.

Serializers validate shapes and types; the rules (who may, last owner, ...) stay in services.
"""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from automl_site.api import NamedChoiceField, PolicyRelatedField

from . import permissions
from .models import AuditEvent, Invitation, Membership, Project, Role, Workspace

# Text fields are unbounded in the database; an API client still may not send megabytes.
DESCRIPTION_MAX_LENGTH = 5000

SHARE_ROLES = list(permissions.SHARE_ROLES)
ACCESS_CHOICES = [*Role.values, *(f"shared-{role}" for role in SHARE_ROLES)]


class WorkspaceSerializer(serializers.ModelSerializer):
    """`role`, `member_count` and `project_count` are annotated by the viewset's queryset."""

    description = serializers.CharField(max_length=DESCRIPTION_MAX_LENGTH, required=False, allow_blank=True)
    role = serializers.ChoiceField(choices=Role.choices, read_only=True, help_text="Your role here.")
    member_count = serializers.IntegerField(read_only=True)
    project_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = Workspace
        fields = [
            "id",
            "name",
            "slug",
            "description",
            "is_personal",
            "role",
            "member_count",
            "project_count",
            "created_at",
        ]
        read_only_fields = ["slug", "is_personal", "created_at"]


class MemberSerializer(serializers.ModelSerializer):
    user = serializers.IntegerField(source="user_id", read_only=True)
    email = serializers.EmailField(source="user.email", read_only=True)
    full_name = serializers.CharField(source="user.full_name", read_only=True)
    joined = serializers.DateTimeField(source="created_at", read_only=True)

    class Meta:
        model = Membership
        fields = ["user", "email", "full_name", "role", "joined"]
        read_only_fields = fields


class MemberRoleSerializer(serializers.Serializer):
    role = serializers.ChoiceField(choices=Role.choices)


class InviteSerializer(serializers.Serializer):
    email = serializers.EmailField(max_length=254)
    role = serializers.ChoiceField(choices=Role.choices)


class InvitationSerializer(serializers.ModelSerializer):
    status = NamedChoiceField(
        enum_name="InvitationStatusEnum", choices=["pending", "accepted", "revoked", "expired"], read_only=True
    )
    invited_by = serializers.EmailField(source="invited_by.email", read_only=True, allow_null=True)

    class Meta:
        model = Invitation
        fields = ["id", "email", "role", "status", "invited_by", "created_at", "expires_at"]
        read_only_fields = fields


class InvitationCreatedSerializer(InvitationSerializer):
    accept_url = serializers.CharField(
        read_only=True, help_text="The link to send to the invitee. It holds a secret and is shown only once."
    )

    class Meta(InvitationSerializer.Meta):
        fields = [*InvitationSerializer.Meta.fields, "accept_url"]
        read_only_fields = fields


class AuditEventSerializer(serializers.ModelSerializer):
    class Meta:
        model = AuditEvent
        fields = [
            "id",
            "created_at",
            "actor_email",
            "action",
            "target_type",
            "target_id",
            "target_repr",
            "changes",
            "ip_address",
        ]
        read_only_fields = fields


class ProjectSerializer(serializers.ModelSerializer):
    """A project as shown and changed. `member_role` is annotated by the viewset's queryset."""

    workspace = serializers.PrimaryKeyRelatedField(read_only=True)
    status = NamedChoiceField(enum_name="ProjectStatusEnum", choices=Project.Status.choices, read_only=True)
    description = serializers.CharField(max_length=DESCRIPTION_MAX_LENGTH, required=False, allow_blank=True)
    dataset_count = serializers.IntegerField(read_only=True)
    job_count = serializers.IntegerField(read_only=True)
    model_count = serializers.IntegerField(read_only=True)
    created_by = serializers.EmailField(source="created_by.email", read_only=True, allow_null=True)
    access = serializers.SerializerMethodField(help_text="Your role in the workspace, or how it was shared with you.")

    class Meta:
        model = Project
        fields = [
            "id",
            "workspace",
            "name",
            "description",
            "problem_type",
            "target_column",
            "status",
            "dataset_count",
            "job_count",
            "model_count",
            "created_by",
            "created_at",
            "updated_at",
            "access",
        ]
        read_only_fields = ["created_at", "updated_at"]

    @extend_schema_field(NamedChoiceField(enum_name="AccessEnum", choices=ACCESS_CHOICES))
    def get_access(self, project) -> str:
        role = getattr(project, "member_role", None)
        if role:
            return role
        shared = permissions.share_role(self.context["request"].user, project)
        return f"shared-{shared}" if shared else ""


class ProjectCreateSerializer(ProjectSerializer):
    workspace = PolicyRelatedField(
        policy_action="create_project",
        queryset=Workspace.objects.all(),
        help_text="A workspace where you may create projects (editor or above).",
    )


class ShareSerializer(serializers.Serializer):
    """A person outside the workspace with whom a project is shared."""

    user = serializers.IntegerField(source="user.pk", read_only=True)
    email = serializers.EmailField(source="user.email", read_only=True)
    full_name = serializers.CharField(source="user.full_name", read_only=True)
    role = NamedChoiceField(enum_name="ShareRoleEnum", choices=SHARE_ROLES, read_only=True)


class ShareCreateSerializer(serializers.Serializer):
    email = serializers.EmailField(max_length=254)
    role = NamedChoiceField(enum_name="ShareRoleEnum", choices=SHARE_ROLES)
