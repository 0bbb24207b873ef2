"""API of the model registry: list and read model versions, edit their notes, move aliases,
download an artifact. Every route goes through `PolicyViewSet`; changes go through
`training.registry`, the same workflows the pages use."""

from __future__ import annotations

import random

from django.core.exceptions import ValidationError
from django.http import FileResponse
from django_filters import rest_framework as filters
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.filters import OrderingFilter
from rest_framework.response import Response

from automl_site.api import IdFilter, PolicyFilterBackend, PolicyViewSet
from automl_site.api_errors import validation_body
from datasets import storage
from projects.models import Project

from . import predict, registry
from .automl.model import ArtifactError
from .models import ModelVersion


class ModelVersionSerializer(serializers.ModelSerializer):
    version = serializers.IntegerField(source="number", read_only=True)
    aliases = serializers.SerializerMethodField()
    dataset = serializers.IntegerField(source="dataset_version.dataset_id", read_only=True)
    dataset_version = serializers.IntegerField(source="dataset_version.number", read_only=True)
    job = serializers.IntegerField(source="job_id", read_only=True)
    trial = serializers.IntegerField(source="trial.number", read_only=True, allow_null=True, default=None)
    created_by = serializers.EmailField(source="created_by.email", read_only=True, allow_null=True, default=None)
    url = serializers.SerializerMethodField()

    class Meta:
        model = ModelVersion
        fields = [
            "id",
            "project",
            "version",
            "name",
            "aliases",
            "url",
            "problem_type",
            "target",
            "metric",
            "score",
            "metrics",
            "input_schema",
            "output_schema",
            "dataset",
            "dataset_version",
            "job",
            "trial",
            "artifact_sha256",
            "artifact_size",
            "artifact_format",
            "library_versions",
            "notes",
            "created_by",
            "created_at",
        ]
        read_only_fields = [f for f in fields if f != "notes"]

    def get_aliases(self, version) -> list[str]:
        return version.alias_names

    def get_url(self, version) -> str:
        request = self.context.get("request")
        path = f"/models/{version.pk}/"
        return request.build_absolute_uri(path) if request else path


class NotesSerializer(serializers.Serializer):
    notes = serializers.CharField(allow_blank=True, max_length=registry.MAX_NOTES, trim_whitespace=False)


class AliasSerializer(serializers.Serializer):
    alias = serializers.CharField(max_length=40, help_text="production, staging, challenger, or any name.")


class PredictSerializer(serializers.Serializer):
    rows = serializers.ListField(
        child=serializers.JSONField(),
        allow_empty=False,
        help_text="Objects of column name to value; every input column of the model must be present (null allowed).",
    )
    explain = serializers.BooleanField(default=False, help_text="Also say how each column pushed each prediction.")


class ModelFilter(filters.FilterSet):
    project = IdFilter(field_name="project_id", help_text="Only versions of this project.")
    alias = filters.CharFilter(field_name="aliases__name", help_text="Only the version behind this alias.")

    class Meta:
        model = ModelVersion
        fields = ["project", "alias"]


@extend_schema(tags=["models"])
class ModelVersionViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, PolicyViewSet):
    """Registered model versions of the projects you can see. Changing notes and aliases needs
    editor rights."""

    serializer_class = ModelVersionSerializer
    filter_backends = [PolicyFilterBackend, filters.DjangoFilterBackend, OrderingFilter]
    filterset_class = ModelFilter
    ordering_fields = ["created_at", "number"]
    # Whoever may see a model may predict with it ("predict" is its own action so that an API
    # token can be limited to reading and predicting).
    policy_actions = {
        "partial_update": "change",
        "aliases": "change",
        "remove_alias": "change",
        "predict": "predict",
    }

    def get_queryset(self):
        return (
            ModelVersion.objects.select_related("project", "dataset_version", "trial", "created_by")
            .prefetch_related("aliases")
            .order_by("project_id", "-number")
        )

    @extend_schema(request=NotesSerializer, responses={200: ModelVersionSerializer}, summary="Edit the notes")
    def partial_update(self, request, *args, **kwargs):
        version = self.get_object()
        params = NotesSerializer(data=request.data)
        params.is_valid(raise_exception=True)
        registry.update_notes(version=version, notes=params.validated_data["notes"], actor=request.user)
        return self._represent(version)

    @extend_schema(
        request=AliasSerializer,
        responses={200: ModelVersionSerializer},
        summary="Point an alias at this version (promote, or roll back)",
    )
    @action(detail=True, methods=["post"])
    def aliases(self, request, pk=None):
        version = self.get_object()
        params = AliasSerializer(data=request.data)
        params.is_valid(raise_exception=True)
        registry.set_alias(version=version, name=params.validated_data["alias"], actor=request.user)
        return self._represent(version)

    @extend_schema(
        parameters=[OpenApiParameter("alias", str, OpenApiParameter.PATH)],
        request=None,
        responses={204: None},
        summary="Remove an alias from this version",
    )
    @action(detail=True, methods=["delete"], url_path="aliases/<str:alias>")
    def remove_alias(self, request, pk=None, alias=None):
        version = self.get_object()
        registry.remove_alias(project=version.project, name=alias, actor=request.user, version=version)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(responses={(200, "application/octet-stream"): OpenApiTypes.BINARY}, summary="The artifact")
    @action(detail=True, methods=["get"])
    def download(self, request, pk=None):
        version = self.get_object()
        return artifact_response(version)

    @extend_schema(
        request=PredictSerializer,
        responses={200: OpenApiTypes.OBJECT, 400: OpenApiTypes.OBJECT},
        summary="Predict with this version",
        description="Returns `predictions` (one per row), `probabilities` (for classifiers: class → probability "
        "per row) and, with `explain`, each row's `explanations`. Invalid rows are a 400 listing each problem "
        "with its row and column.",
    )
    @action(detail=True, methods=["post"])
    def predict(self, request, pk=None):
        code, body = prediction_result(self.get_object(), request.data, actor=request.user)
        return Response(body, status=code)

    def _represent(self, version: ModelVersion) -> Response:
        fresh = self.get_queryset().get(pk=version.pk)
        return Response(self.get_serializer(fresh).data)


def artifact_response(version: ModelVersion) -> FileResponse:
    """The artifact as a download named after the project and version (never a user's file name)."""
    path = storage.local_path(version.artifact_key)
    name = f"project-{version.project_id}-model-v{version.number}.{version.artifact_format}"
    return FileResponse(open(path, "rb"), as_attachment=True, filename=name)  # noqa: SIM115 - closed by Django


def prediction_result(version: ModelVersion, data, *, actor, source: str = "api", alias: str = "") -> tuple[int, dict]:
    """(status, body) of a prediction request, for the API view and the serving fast lane alike;
    a 400 names each problem by row and column."""
    params = PredictSerializer(data=data)
    if not params.is_valid():
        return status.HTTP_400_BAD_REQUEST, params.errors
    rows = params.validated_data["rows"]
    try:
        body = predict.predict(
            version, rows, explain=params.validated_data["explain"], source=source, actor=actor, alias=alias
        )
    except predict.InvalidInput as error:
        return status.HTTP_400_BAD_REQUEST, {"rows": [p.as_dict() for p in error.problems]}
    except ArtifactError as error:
        return status.HTTP_409_CONFLICT, {"detail": str(error)}
    except ValueError as error:
        return status.HTTP_400_BAD_REQUEST, {"explain": [str(error)]}
    return status.HTTP_200_OK, body


class TrafficSerializer(serializers.Serializer):
    alias = serializers.CharField(max_length=40, default="production", help_text="The alias that serves requests.")
    challenger_alias = serializers.CharField(max_length=40, required=False, allow_blank=True, default="")
    challenger_percent = serializers.IntegerField(min_value=0, max_value=100, default=0)
    updated_at = serializers.DateTimeField(read_only=True, allow_null=True)


@extend_schema(tags=["models"])
class ProjectPredictViewSet(PolicyViewSet):
    """Predicting with a project's model through an alias: `?alias=` picks one (default: the
    project's traffic split, which sends everything to `production` unless a challenger takes a
    share). The answer says which alias and version answered."""

    parent_model = Project
    parent_url_kwarg = "project_pk"
    parent_field = "project"
    serializer_class = PredictSerializer
    policy_actions = {"create": "predict"}

    def get_queryset(self):
        return ModelVersion.objects.none()

    @extend_schema(
        request=PredictSerializer,
        parameters=[OpenApiParameter("alias", str, description="Answer with this alias (default: the split).")],
        responses={200: OpenApiTypes.OBJECT, 400: OpenApiTypes.OBJECT},
        summary="Predict with the project's model (by alias or traffic split)",
    )
    def create(self, request, *args, **kwargs):
        asked = request.query_params.get("alias")
        code, body = project_prediction(self.get_parent(), request.data, actor=request.user, asked=asked)
        return Response(body, status=code)


def project_prediction(project: Project, data, *, actor, asked: str | None) -> tuple[int, dict]:
    """(status, body) of a request to a project's model, for the API view and the serving fast
    lane alike: the alias asked for (else the traffic split's draw) picks the version, which
    answers; the body says which alias did."""
    try:
        alias, version = registry.route(project, asked, random.random())  # noqa: S311 - a traffic share
    except ValidationError as error:
        return status.HTTP_400_BAD_REQUEST, validation_body(error)
    code, body = prediction_result(version, data, actor=actor, source="project", alias=alias)
    return code, ({"alias": alias, **body} if code == status.HTTP_200_OK else body)


@extend_schema(tags=["models"])
class TrafficViewSet(PolicyViewSet):
    """A project's traffic split between its serving alias and a challenger."""

    parent_model = Project
    parent_url_kwarg = "project_pk"
    parent_field = "project"
    serializer_class = TrafficSerializer
    policy_actions = {"create": "change"}

    def get_queryset(self):
        return ModelVersion.objects.none()

    @extend_schema(responses={200: TrafficSerializer}, summary="The traffic split")
    def list(self, request, *args, **kwargs):
        return Response(TrafficSerializer(registry.traffic_split(self.get_parent())).data)

    @extend_schema(request=TrafficSerializer, responses={200: TrafficSerializer}, summary="Set the traffic split")
    def create(self, request, *args, **kwargs):
        project = self.get_parent()
        params = TrafficSerializer(data=request.data)
        params.is_valid(raise_exception=True)
        data = params.validated_data
        split = registry.set_traffic_split(project=project, actor=request.user, **data)
        return Response(TrafficSerializer(split).data)
