"""API for workspaces (members, invitations, audit log) and projects (shares).

Each view checks access through `PolicyViewSet` and changes things only through
`projects.services`, the same workflows the pages use.
"""

from django.contrib.auth import get_user_model
from django.db.models import Count, OuterRef, Q, Subquery
from django.http import Http404
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.filters import OrderingFilter
from rest_framework.response import Response

from automl_site.api import PolicyFilterBackend, PolicyViewSet, SearchFilter

from . import services
from .filters import AuditEventFilter, ProjectFilter
from .models import AuditEvent, Invitation, Membership, Project, Workspace
from .serializers import (
    AuditEventSerializer,
    InvitationCreatedSerializer,
    InvitationSerializer,
    InviteSerializer,
    MemberRoleSerializer,
    MemberSerializer,
    ProjectCreateSerializer,
    ProjectSerializer,
    ShareCreateSerializer,
    ShareSerializer,
    WorkspaceSerializer,
)


def _my_role(user, workspace_ref: str) -> Subquery:
    """The requesting user's role in the workspace at `workspace_ref`, for annotations."""
    roles = Membership.objects.filter(workspace=OuterRef(workspace_ref), user=user).values("role")[:1]
    return Subquery(roles)


# --- Workspaces -----------------------------------------------------------------------


@extend_schema(tags=["workspaces"])
class WorkspaceViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
    PolicyViewSet,
):
    """Workspaces you belong to. Creating one makes you its owner; deleting is a soft delete."""

    serializer_class = WorkspaceSerializer
    policy_actions = {"partial_update": "change", "destroy": "delete", "leave": "leave"}
    above_projects = True

    def get_queryset(self):
        queryset = Workspace.objects.all()
        if getattr(self, "swagger_fake_view", False):
            return queryset
        return queryset.annotate(
            role=_my_role(self.request.user, "pk"),
            member_count=Count("memberships", distinct=True),
            project_count=Count("projects", filter=Q(projects__deleted_at__isnull=True), distinct=True),
        ).order_by("name", "id")  # aggregation drops Meta.ordering, and pages need a stable order

    def perform_create(self, serializer):
        workspace = services.create_workspace(actor=self.request.user, **serializer.validated_data)
        serializer.instance = self.get_queryset().get(pk=workspace.pk)

    def perform_update(self, serializer):
        services.update_workspace(actor=self.request.user, workspace=serializer.instance, **serializer.validated_data)

    def perform_destroy(self, instance):
        services.delete_workspace(actor=self.request.user, workspace=instance)

    @extend_schema(request=None, responses={204: None}, summary="Leave the workspace")
    @action(detail=True, methods=["post"])
    def leave(self, request, pk=None):
        services.leave_workspace(user=request.user, workspace=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)


class WorkspaceChildViewSet(PolicyViewSet):
    """Rows nested under /workspaces/{workspace_pk}/, vetted through the workspace."""

    parent_model = Workspace
    parent_url_kwarg = "workspace_pk"
    parent_field = "workspace"
    above_projects = True


@extend_schema(tags=["workspaces"])
class MemberViewSet(mixins.ListModelMixin, WorkspaceChildViewSet):
    """Members of a workspace. Everyone in it may list them; admins and owners manage them."""

    queryset = Membership.objects.select_related("user")
    serializer_class = MemberSerializer
    lookup_field = lookup_url_kwarg = "user_id"
    policy_actions = {"create": "manage_members", "partial_update": "manage_members", "destroy": "manage_members"}

    @extend_schema(
        request=InviteSerializer, responses={201: InvitationCreatedSerializer}, summary="Invite someone by email"
    )
    def create(self, request, *args, **kwargs):
        params = InviteSerializer(data=request.data)
        params.is_valid(raise_exception=True)
        invitation, raw = services.invite_member(
            actor=request.user, workspace=self.get_parent(), request=request, **params.validated_data
        )
        invitation.accept_url = services.invitation_url(raw, request)
        return Response(InvitationCreatedSerializer(invitation).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=MemberRoleSerializer, responses=MemberSerializer, summary="Change a member's role")
    def partial_update(self, request, *args, **kwargs):
        membership = self.get_object()
        params = MemberRoleSerializer(data=request.data)
        params.is_valid(raise_exception=True)
        membership = services.change_role(actor=request.user, membership=membership, **params.validated_data)
        return Response(MemberSerializer(membership).data)

    @extend_schema(responses={204: None}, summary="Remove a member")
    def destroy(self, request, *args, **kwargs):
        services.remove_member(actor=request.user, membership=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)


@extend_schema(tags=["workspaces"])
class InvitationViewSet(mixins.ListModelMixin, WorkspaceChildViewSet):
    """Pending invitations, for those who manage members."""

    serializer_class = InvitationSerializer
    policy_actions = {"list": "manage_members", "destroy": "manage_members"}

    def get_queryset(self):
        # Built per request: "pending" compares with the current time.
        return Invitation.objects.pending().select_related("invited_by")

    @extend_schema(responses={204: None}, summary="Revoke an invitation")
    def destroy(self, request, *args, **kwargs):
        services.revoke_invitation(actor=request.user, invitation=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)


@extend_schema(tags=["workspaces"])
class AuditViewSet(mixins.ListModelMixin, WorkspaceChildViewSet):
    """The workspace's audit log, newest first (admins and owners)."""

    queryset = AuditEvent.objects.all()
    serializer_class = AuditEventSerializer
    filter_backends = [PolicyFilterBackend, DjangoFilterBackend]
    filterset_class = AuditEventFilter
    policy_actions = {"list": "view_audit"}


# --- Projects -------------------------------------------------------------------------


@extend_schema(tags=["projects"])
class ProjectViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
    PolicyViewSet,
):
    """Projects in your workspaces and projects shared with you."""

    filter_backends = [PolicyFilterBackend, DjangoFilterBackend, SearchFilter, OrderingFilter]
    filterset_class = ProjectFilter
    search_fields = ["name"]
    ordering_fields = ["name", "created_at", "updated_at", "status"]
    policy_actions = {"partial_update": "change", "destroy": "delete", "archive": "change", "unarchive": "change"}

    def get_queryset(self):
        queryset = Project.objects.select_related("workspace", "created_by")
        if getattr(self, "swagger_fake_view", False):
            return queryset
        return queryset.annotate(member_role=_my_role(self.request.user, "workspace_id"))

    def get_serializer_class(self):
        return ProjectCreateSerializer if self.action == "create" else ProjectSerializer

    @extend_schema(request=ProjectCreateSerializer, responses={201: ProjectSerializer})
    def create(self, request, *args, **kwargs):
        return super().create(request, *args, **kwargs)

    def perform_create(self, serializer):
        fields = dict(serializer.validated_data)
        project = services.create_project(actor=self.request.user, workspace=fields.pop("workspace"), **fields)
        serializer.instance = self.get_queryset().get(pk=project.pk)

    def perform_update(self, serializer):
        services.update_project(actor=self.request.user, project=serializer.instance, **serializer.validated_data)

    def perform_destroy(self, instance):
        services.delete_project(actor=self.request.user, project=instance)

    def _set_archived(self, archived: bool) -> Response:
        project = services.set_project_archived(actor=self.request.user, project=self.get_object(), archived=archived)
        return Response(ProjectSerializer(project, context=self.get_serializer_context()).data)

    @extend_schema(request=None, responses=ProjectSerializer, summary="Archive the project")
    @action(detail=True, methods=["post"])
    def archive(self, request, pk=None):
        return self._set_archived(True)

    @extend_schema(request=None, responses=ProjectSerializer, summary="Bring the project back from the archive")
    @action(detail=True, methods=["post"])
    def unarchive(self, request, pk=None):
        return self._set_archived(False)


@extend_schema(tags=["projects"])
class ShareViewSet(PolicyViewSet):
    """People outside the workspace a project is shared with (admins and owners manage them)."""

    serializer_class = ShareSerializer
    parent_model = Project
    parent_url_kwarg = "project_pk"
    lookup_url_kwarg = "user_id"
    policy_actions = {"list": "share", "create": "share", "destroy": "share"}

    def get_queryset(self):
        # Shares are the service's list for the parent, not a queryset; only the browsable
        # API's filter form asks for one.
        return get_user_model().objects.none()

    def _shares(self) -> list[dict]:
        return [{"user": user, "role": role} for user, role in services.project_shares(self.get_parent())]

    def list(self, request, *args, **kwargs):
        page = self.paginate_queryset(self._shares())
        return self.get_paginated_response(ShareSerializer(page, many=True).data)

    @extend_schema(request=ShareCreateSerializer, responses={201: ShareSerializer}, summary="Share the project")
    def create(self, request, *args, **kwargs):
        params = ShareCreateSerializer(data=request.data)
        params.is_valid(raise_exception=True)
        user = services.share_project(actor=request.user, project=self.get_parent(), **params.validated_data)
        share = {"user": user, "role": params.validated_data["role"]}
        return Response(ShareSerializer(share).data, status=status.HTTP_201_CREATED)

    @extend_schema(responses={204: None}, summary="Stop sharing the project with someone")
    def destroy(self, request, *args, **kwargs):
        user_id = kwargs[self.lookup_url_kwarg]
        share = next((s for s in self._shares() if s["user"].pk == user_id), None)
        if share is None:
            raise Http404("This project is not shared with that user.")
        services.unshare_project(actor=request.user, project=self.get_parent(), user=share["user"])
        return Response(status=status.HTTP_204_NO_CONTENT)
