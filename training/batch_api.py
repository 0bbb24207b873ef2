"""API of batch predictions: score a file (or a dataset version) with a model version, chosen by
id or by a project's alias; follow its progress; download the result; delete it."""

from __future__ import annotations

import random

from django.http import FileResponse
from django_filters import rest_framework as filters
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from automl_site.api import IdFilter, NamedChoiceField, PolicyFilterBackend, PolicyRelatedField, PolicyViewSet
from datasets import storage
from datasets.api import UploadRefusalMixin
from datasets.models import DatasetVersion
from datasets.services import default_name
from projects.models import Project

from . import batch, registry
from .models import BatchPrediction, ModelVersion


class BatchSerializer(serializers.ModelSerializer):
    model = serializers.IntegerField(source="version_id", read_only=True)
    model_version = serializers.IntegerField(source="version.number", read_only=True)
    dataset_version = serializers.IntegerField(source="dataset_version_id", read_only=True, allow_null=True)
    created_by = serializers.EmailField(source="created_by.email", read_only=True, allow_null=True, default=None)
    download_url = serializers.SerializerMethodField()

    class Meta:
        model = BatchPrediction
        fields = [
            "id",
            "project",
            "model",
            "model_version",
            "alias",
            "source_name",
            "source_size",
            "dataset_version",
            "output_format",
            "explain",
            "status",
            "progress",
            "stage",
            "error",
            "problems",
            "rows",
            "result_size",
            "download_url",
            "created_by",
            "created_at",
            "started_at",
            "finished_at",
        ]
        read_only_fields = fields

    def get_download_url(self, batch) -> str | None:
        if batch.status != BatchPrediction.Status.SUCCEEDED:
            return None
        request = self.context.get("request")
        path = f"/api/v1/batch-predictions/{batch.pk}/download/"
        return request.build_absolute_uri(path) if request else path


class BatchCreateSerializer(serializers.Serializer):
    model = PolicyRelatedField(
        queryset=ModelVersion.objects.all(), policy_action="predict", required=False, help_text="A model version's id."
    )
    project = PolicyRelatedField(
        queryset=Project.objects.all(),
        policy_action="predict",
        required=False,
        help_text="Instead of `model`: the project whose alias chooses the version.",
    )
    alias = serializers.CharField(
        max_length=40, required=False, default="", help_text="With `project` (default: its traffic split)."
    )
    file = serializers.FileField(required=False, help_text="CSV, TSV, Excel, Parquet, JSON or JSON Lines.")
    dataset_version = PolicyRelatedField(
        queryset=DatasetVersion.objects.all(),
        policy_action="view",
        required=False,
        help_text="Instead of `file`: a dataset version of the model's project (by id).",
    )
    output_format = NamedChoiceField(
        enum_name="BatchOutputFormat", choices=BatchPrediction.Format.values, default="csv"
    )
    explain = serializers.BooleanField(default=False, help_text="Add each column's contribution to every prediction.")

    def validate(self, data):
        if bool(data.get("model")) == bool(data.get("project")):
            raise ValidationError({"model": ["Give either a model version (`model`) or a `project` and its alias."]})
        if bool(data.get("file")) == bool(data.get("dataset_version")):
            raise ValidationError({"file": ["Send one file, or name one `dataset_version`."]})
        return data


class BatchFilter(filters.FilterSet):
    project = IdFilter(field_name="project_id", help_text="Only this project's batch predictions.")
    model = IdFilter(field_name="version_id", help_text="Only those of this model version.")
    status = filters.ChoiceFilter(choices=BatchPrediction.Status.choices)

    class Meta:
        model = BatchPrediction
        fields = ["project", "model", "status"]


@extend_schema(tags=["models"])
class BatchPredictionViewSet(
    UploadRefusalMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.DestroyModelMixin, PolicyViewSet
):
    """Files scored by a model on a worker. Whoever may use a model may score a file with it;
    deleting a result needs editor rights."""

    serializer_class = BatchSerializer
    filter_backends = [PolicyFilterBackend, filters.DjangoFilterBackend]
    filterset_class = BatchFilter
    policy_actions = {"create": "predict", "destroy": "change"}

    def get_queryset(self):
        return BatchPrediction.objects.select_related("version", "created_by").order_by("-created_at", "-id")

    @extend_schema(
        request={"multipart/form-data": BatchCreateSerializer},
        responses={202: BatchSerializer, 400: OpenApiTypes.OBJECT, 413: OpenApiTypes.OBJECT},
        summary="Score a file with a model",
        description="The file is checked at once (format, size, the model's columns); the predictions are then "
        "made in the background: poll the batch until `status` is `succeeded`, then fetch `download_url`. "
        "Rows that cannot be used fail the batch with `problems` naming row (from 0) and column.",
    )
    def create(self, request, *args, **kwargs):
        if self.upload_refused(request):
            return self.upload_refused_response()
        params = BatchCreateSerializer(data=request.data, context=self.get_serializer_context())
        params.is_valid(raise_exception=True)
        data = params.validated_data
        version, alias = data.get("model"), ""
        if version is None:
            alias, version = registry.route(data["project"], data.get("alias"), random.random())  # noqa: S311
        created = batch.start(
            actor=request.user,
            version=version,
            upload=data.get("file"),
            dataset_version=data.get("dataset_version"),
            output_format=data["output_format"],
            explain=data["explain"],
            alias=alias,
        )
        fresh = self.get_queryset().get(pk=created.pk)
        return Response(self.get_serializer(fresh).data, status=status.HTTP_202_ACCEPTED)

    def perform_destroy(self, instance):
        batch.delete(actor=self.request.user, batch=instance)

    @extend_schema(
        responses={
            (200, "application/octet-stream"): OpenApiTypes.BINARY,
            409: OpenApiResponse(OpenApiTypes.OBJECT, description="Not finished, or failed."),
        },
        summary="The predictions file",
    )
    @action(detail=True, methods=["get"])
    def download(self, request, pk=None):
        found = self.get_object()
        if found.status != BatchPrediction.Status.SUCCEEDED:
            return Response(
                {"detail": f"These predictions are {found.get_status_display().lower()}; nothing to download."},
                status=status.HTTP_409_CONFLICT,
            )
        return result_response(found)


def result_response(found: BatchPrediction) -> FileResponse:
    """The result file, named after the input (a label only) and the model version."""
    name = f"{default_name(found.source_name)}-predictions-v{found.version.number}.{found.output_format}"
    path = storage.local_path(found.result_key)
    return FileResponse(open(path, "rb"), as_attachment=True, filename=name)  # noqa: SIM115 - closed by Django
