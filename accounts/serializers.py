"""API representations of the signed-in user and their personal API tokens."""

from django.conf import settings
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from automl_site.api import NamedChoiceField, PolicyRelatedField
from projects.models import Membership, Project, Role

from .models import ApiToken, User

# Computed once: the IANA zone names installed with Python's tzdata.


class MyWorkspaceSerializer(serializers.ModelSerializer):
    """One of the user's workspaces, seen through their membership."""

    id = serializers.IntegerField(source="workspace_id", read_only=True)
    name = serializers.CharField(source="workspace.name", read_only=True)
    slug = serializers.CharField(source="workspace.slug", read_only=True)
    role = serializers.ChoiceField(choices=Role.choices, read_only=True)

    class Meta:
        model = Membership
        fields = ["id", "name", "slug", "role"]


class MeSerializer(serializers.ModelSerializer):
    workspaces = serializers.SerializerMethodField()

    class Meta:
        model = User
        fields = ["id", "email", "full_name", "theme", "timezone", "workspaces"]
        read_only_fields = ["id", "email"]

    @extend_schema_field(MyWorkspaceSerializer(many=True))
    def get_workspaces(self, user) -> list[dict]:
        # The view passes the memberships it chose through the permission policy.
        return MyWorkspaceSerializer(self.context["memberships"], many=True).data


class TokenSerializer(serializers.ModelSerializer):
    """A token as listed: never its hash, and its plain text only once, at creation."""

    status = NamedChoiceField(enum_name="TokenStatusEnum", choices=["active", "expired", "revoked"], read_only=True)

    class Meta:
        model = ApiToken
        fields = ["id", "name", "prefix", "scope", "project", "created_at", "last_used_at", "expires_at", "status"]
        read_only_fields = fields


class TokenCreateSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=100)
    scope = NamedChoiceField(
        enum_name="TokenScopeEnum",
        choices=ApiToken.Scope.values,
        default=ApiToken.Scope.ALL,
        help_text="all: everything your role allows; read: read only; predict: read and predict.",
    )
    project = PolicyRelatedField(
        queryset=Project.objects.all(),
        policy_action="view",
        required=False,
        allow_null=True,
        help_text="Limit the token to this project (by id).",
    )
    expires_in_days = serializers.IntegerField(
        min_value=1,
        max_value=3650,
        required=False,
        allow_null=True,
        help_text=f"Days until the token expires; {settings.API_TOKEN_DEFAULT_TTL_DAYS} when left out.",
    )


class TokenCreatedSerializer(TokenSerializer):
    token = serializers.CharField(read_only=True, help_text="The token itself. Shown only in this response.")

    class Meta(TokenSerializer.Meta):
        fields = [*TokenSerializer.Meta.fields, "token"]
        read_only_fields = fields
