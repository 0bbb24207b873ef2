"""API for the SQL connections a project imports from.

A connection's URL goes in once and never comes back out: responses show `display_url`, whose
password is masked. Testing a URL (typed or saved) answers with the server's greeting or a
readable reason, never with the password.
"""

from __future__ import annotations

from django_filters import rest_framework as filters
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.response import Response

from automl_site.api import IdFilter, PolicyFilterBackend, PolicyViewSet

from . import services
from .models import SqlConnection
from .serializers import (
    ConnectionTestResultSerializer,
    ConnectionTestSerializer,
    SqlConnectionCreateSerializer,
    SqlConnectionSerializer,
)


class SqlConnectionFilter(filters.FilterSet):
    project = IdFilter(field_name="project_id", help_text="Only connections of this project.")

    class Meta:
        model = SqlConnection
        fields = ["project"]


@extend_schema(tags=["datasets"])
class SqlConnectionViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, PolicyViewSet):
    """Saved database connections of the projects you can see; editors and above manage them."""

    queryset = SqlConnection.objects.select_related("project", "created_by")
    filter_backends = [PolicyFilterBackend, filters.DjangoFilterBackend]
    filterset_class = SqlConnectionFilter
    policy_actions = {"destroy": "change", "test": "change"}

    def get_serializer_class(self):
        return SqlConnectionCreateSerializer if self.action == "create" else SqlConnectionSerializer

    def filter_queryset(self, queryset):
        if self.action == "list":
            return super().filter_queryset(queryset)
        return PolicyFilterBackend().filter_queryset(self.request, queryset, self)

    @extend_schema(request=SqlConnectionCreateSerializer, responses={201: SqlConnectionSerializer})
    def create(self, request, *args, **kwargs):
        params = SqlConnectionCreateSerializer(data=request.data, context=self.get_serializer_context())
        params.is_valid(raise_exception=True)
        connection = services.create_connection(actor=request.user, **params.validated_data)
        body = SqlConnectionSerializer(connection, context=self.get_serializer_context()).data
        return Response(body, status=status.HTTP_201_CREATED)

    @extend_schema(responses={204: None}, summary="Delete a connection (its imported datasets stay)")
    def destroy(self, request, *args, **kwargs):
        services.delete_connection(actor=request.user, connection=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(request=None, responses=ConnectionTestResultSerializer, summary="Test a saved connection")
    @action(detail=True, methods=["post"])
    def test(self, request, pk=None):
        connection = self.get_object()
        message = services.test_connection(actor=request.user, project=connection.project, connection=connection)
        return Response({"ok": True, "message": message})

    @extend_schema(
        operation_id="sql_connections_test_url",
        request=ConnectionTestSerializer,
        responses=ConnectionTestResultSerializer,
        summary="Test a URL before saving it",
    )
    @action(detail=False, methods=["post"], url_path="test", url_name="test-url")
    def test_url(self, request):
        params = ConnectionTestSerializer(data=request.data, context=self.get_serializer_context())
        params.is_valid(raise_exception=True)
        message = services.test_connection(actor=request.user, **params.validated_data)
        return Response({"ok": True, "message": message})
