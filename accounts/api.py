"""API for the signed-in user: their profile (`/me/`) and their personal API tokens."""

from django.conf import settings
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status
from rest_framework.response import Response

from automl_site.api import PolicyViewSet
from projects.models import Membership
from projects.permissions import restrict

from .models import ApiToken, User
from .serializers import MeSerializer, TokenCreatedSerializer, TokenCreateSerializer, TokenSerializer


@extend_schema(tags=["account"])
class MeViewSet(mixins.RetrieveModelMixin, mixins.UpdateModelMixin, PolicyViewSet):
    """The signed-in user's profile and preferences, with the workspaces they belong to."""

    queryset = User.objects.all()
    serializer_class = MeSerializer
    owner_field = "pk"

    def get_object(self):
        # A singleton: the one row the owner filter leaves is the user themself.
        user = self.filter_queryset(self.get_queryset()).get()
        self.check_object_permissions(self.request, user)
        return user

    def get_serializer_context(self):
        context = super().get_serializer_context()
        user = self.request.user
        if user.is_authenticated:
            memberships = Membership.objects.filter(user=user).select_related("workspace")
            context["memberships"] = restrict(memberships, user, "view").order_by("workspace__name")
        else:
            context["memberships"] = Membership.objects.none()
        return context


@extend_schema(tags=["account"])
class TokenViewSet(mixins.ListModelMixin, mixins.DestroyModelMixin, PolicyViewSet):
    """Personal API tokens. Only their hash is stored; the token is shown once, on creation."""

    queryset = ApiToken.objects.all()
    serializer_class = TokenSerializer
    owner_field = "user"

    @extend_schema(request=TokenCreateSerializer, responses={201: TokenCreatedSerializer})
    def create(self, request, *args, **kwargs):
        params = TokenCreateSerializer(data=request.data, context=self.get_serializer_context())
        params.is_valid(raise_exception=True)
        data = params.validated_data
        days = data.get("expires_in_days") or settings.API_TOKEN_DEFAULT_TTL_DAYS
        token, raw = ApiToken.issue(
            user=request.user,
            name=data["name"],
            expires_in_days=days,
            scope=data["scope"],
            project=data.get("project"),
        )
        token.token = raw
        return Response(TokenCreatedSerializer(token).data, status=status.HTTP_201_CREATED)

    @extend_schema(summary="Revoke a token", responses={204: None})
    def destroy(self, request, *args, **kwargs):
        # Revoked rather than deleted, so the list still shows when it stopped working.
        self.get_object().revoke()
        return Response(status=status.HTTP_204_NO_CONTENT)
