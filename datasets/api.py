"""API for datasets: upload, SQL import, reading rows and profiles, schema changes, versions.

Every view checks access through `PolicyViewSet` and changes things only through
`datasets.services`, the same workflows the pages use. SQL connections live in
`api_connections` and are re-exported here for the URL configuration.
"""

from __future__ import annotations

import logging

from django.core.files.uploadhandler import StopUpload
from django.http import Http404
from django_filters import rest_framework as filters
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.filters import OrderingFilter
from rest_framework.response import Response

from automl_site.api import IdFilter, PolicyFilterBackend, PolicyViewSet, SearchFilter

from . import preview, services
from .api_connections import SqlConnectionViewSet
from .models import Dataset, DatasetVersion
from .serializers import (
    MAX_VERSION,
    DatasetCreateSerializer,
    DatasetSerializer,
    DatasetUpdateSerializer,
    DatasetVersionSerializer,
    NotReadySerializer,
    PreviewParamsSerializer,
    PreviewSerializer,
    SchemaChangeSerializer,
    SqlImportSerializer,
    SqlVersionSerializer,
    UploadSerializer,
    VersionParamSerializer,
    read_options,
)
from .uploads import limit_message

__all__ = ["DatasetVersionViewSet", "DatasetViewSet", "SqlConnectionViewSet"]

NOT_READY = OpenApiResponse(NotReadySerializer, description="The version is still processing, or it failed.")
TOO_LARGE = OpenApiResponse(OpenApiTypes.OBJECT, description='The file is over the size limit: {"file": ["..."]}.')

log = logging.getLogger(__name__)


class UploadRefusalMixin:
    """Answers an upload the size guard stopped (see `datasets.uploads`) with a 413.

    The guard ends parsing before the body is read, or drops the file while streaming it; either
    way `request.upload_refused` holds the reason, which goes back under "file". A StopUpload
    that escapes Django's parser is answered the same way rather than as a 500."""

    def handle_exception(self, exc):
        if isinstance(exc, StopUpload):
            return self.upload_refused_response()
        return super().handle_exception(exc)

    def upload_refused_response(self) -> Response:
        message = getattr(self.request, "upload_refused", None) or limit_message()
        return Response({"file": [message]}, status=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE)

    def upload_refused(self, request) -> bool:
        """Whether the size guard stopped this request's upload (reading its data first)."""
        request.data  # noqa: B018 - parsing the body is what runs the guard
        return bool(getattr(request, "upload_refused", None))


def version_by_number(dataset: Dataset, number: int | None) -> DatasetVersion | None:
    """`?version=N` (a 400 when there is no such version), else the newest ready version,
    else the latest one (processing or failed)."""
    version = dataset.version_to_show(number)
    if version is None and number is not None:
        raise ValidationError({"version": [f"This dataset has no version {number}."]})
    return version


def not_ready_response(version: DatasetVersion | None) -> Response:
    if version is None:
        body = {"detail": "This dataset has no data yet.", "version": None, "status": "empty"}
    elif version.status == DatasetVersion.Status.FAILED:
        detail = f"Version {version.number} failed: {version.error or 'processing stopped.'} Upload a new version."
        body = {"detail": detail, "version": version.number, "status": version.status}
    else:
        detail = f"Version {version.number} is still being processed ({version.progress}%). Try again when it is ready."
        body = {"detail": detail, "version": version.number, "status": version.status}
    return Response(body, status=status.HTTP_409_CONFLICT)


class DatasetFilter(filters.FilterSet):
    # A project the user cannot see yields no rows, the same as one that does not exist.
    project = IdFilter(field_name="project_id", help_text="Only datasets of this project.")
    status = filters.ChoiceFilter(
        field_name="latest_version__status",
        choices=DatasetVersion.Status.choices,
        help_text="The latest version's status.",
    )

    class Meta:
        model = Dataset
        fields = ["project", "status"]


@extend_schema(tags=["datasets"])
class DatasetViewSet(UploadRefusalMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, PolicyViewSet):
    """Datasets of the projects you can see. Uploading needs editor rights on the project;
    deleting (a soft delete an operator can undo) needs admin rights."""

    serializer_class = DatasetSerializer
    filter_backends = [PolicyFilterBackend, filters.DjangoFilterBackend, SearchFilter, OrderingFilter]
    filterset_class = DatasetFilter
    search_fields = ["name"]
    ordering_fields = ["name", "created_at", "updated_at"]
    policy_actions = {"partial_update": "change", "destroy": "delete", "change_schema": "change"}

    def get_queryset(self):
        return Dataset.objects.select_related("project", "latest_version", "created_by").with_ready_version()

    def filter_queryset(self, queryset):
        if self.action == "list":
            return super().filter_queryset(queryset)
        # One object: only the policy applies; list filters must not turn it into a 404 or 400.
        return PolicyFilterBackend().filter_queryset(self.request, queryset, self)

    def get_serializer_class(self):
        return DatasetCreateSerializer if self.action == "create" else DatasetSerializer

    def represent(self, dataset: Dataset) -> dict:
        fresh = self.get_queryset().get(pk=dataset.pk)
        return DatasetSerializer(fresh, context=self.get_serializer_context()).data

    @extend_schema(
        request={"multipart/form-data": DatasetCreateSerializer},
        responses={201: DatasetSerializer, 413: TOO_LARGE},
        summary="Upload a file as a new dataset",
        description="The file is checked at once (format, size, archive limits); a refused file creates "
        "nothing. Processing then runs in the background: poll the dataset until `status` is `ready`.",
    )
    def create(self, request, *args, **kwargs):
        if self.upload_refused(request):
            return self.upload_refused_response()
        params = DatasetCreateSerializer(data=request.data, context=self.get_serializer_context())
        params.is_valid(raise_exception=True)
        fields = params.validated_data
        upload = fields["file"]
        dataset = services.create_dataset(
            actor=request.user,
            project=fields["project"],
            name=fields.get("name") or services.default_name(upload.name),
            upload=upload,
            options=read_options(fields),
            description=fields.get("description", ""),
        )
        return Response(self.represent(dataset), status=status.HTTP_201_CREATED)

    @extend_schema(request=DatasetUpdateSerializer, responses=DatasetSerializer, summary="Rename or describe")
    def partial_update(self, request, *args, **kwargs):
        dataset = self.get_object()
        params = DatasetUpdateSerializer(data=request.data)
        params.is_valid(raise_exception=True)
        services.update_dataset(actor=request.user, dataset=dataset, **params.validated_data)
        return Response(self.represent(dataset))

    @extend_schema(responses={204: None}, summary="Delete the dataset (an operator can restore it)")
    def destroy(self, request, *args, **kwargs):
        services.delete_dataset(actor=request.user, dataset=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        request=SqlImportSerializer,
        responses={201: DatasetSerializer},
        summary="Import a new dataset from a SQL query",
        description="The query runs in the background on a saved connection of the project.",
    )
    @action(detail=False, methods=["post"], url_path="import-sql", url_name="import-sql")
    def import_sql(self, request):
        params = SqlImportSerializer(data=request.data, context=self.get_serializer_context())
        params.is_valid(raise_exception=True)
        dataset = services.import_sql(actor=request.user, **params.validated_data)
        return Response(self.represent(dataset), status=status.HTTP_201_CREATED)

    @extend_schema(
        parameters=[PreviewParamsSerializer],
        responses={200: PreviewSerializer, 409: NOT_READY},
        summary="A page of rows",
        description="At most 500 rows per page. Sorting orders the whole dataset by one column.",
    )
    @action(detail=True, methods=["get"])
    def preview(self, request, pk=None):
        dataset = self.get_object()
        params = PreviewParamsSerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        query = params.validated_data
        version = version_by_number(dataset, query.get("version"))
        if version is None or not version.is_ready:
            return not_ready_response(version)
        sort = query["sort"]
        if sort and sort not in {column["name"] for column in version.columns}:
            raise ValidationError({"sort": [f"There is no column named “{sort}” to sort by."]})
        try:
            page = preview.read_page(
                version, offset=query["offset"], limit=query["limit"], sort=sort, descending=query["desc"]
            )
        except (OSError, ValueError) as exc:  # PreviewError, or a stored file gone missing or unreadable
            if not isinstance(exc, preview.PreviewError):
                log.warning("Preview of dataset version %s failed: %r", version.pk, exc)
            return not_ready_response(version)
        return Response({"version": version.number, "status": version.status, **page})

    @extend_schema(
        parameters=[VersionParamSerializer],
        responses={200: OpenApiTypes.OBJECT, 409: NOT_READY},
        summary="The profile: statistics per column, correlations, target analysis, warnings",
    )
    @action(detail=True, methods=["get"])
    def profile(self, request, pk=None):
        dataset = self.get_object()
        params = VersionParamSerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        version = version_by_number(dataset, params.validated_data.get("version"))
        try:
            profile = preview.load_profile(version) if version is not None and version.is_ready else None
        except (OSError, ValueError) as exc:  # the stored profile gone missing or unreadable
            log.warning("Profile of dataset version %s could not be read: %r", version.pk, exc)
            profile = None
        if profile is None:
            return not_ready_response(version)
        return Response({**profile, "version": version.number, "status": version.status})

    @extend_schema(
        request=SchemaChangeSerializer,
        responses={202: DatasetSerializer, 200: DatasetSerializer},
        summary="Change column types and roles",
        description="The version is profiled again in the background (202). Nothing changed: 200.",
    )
    # Not named `schema`: that attribute of a DRF view is its OpenAPI schema generator.
    @action(detail=True, methods=["patch"], url_path="schema", url_name="schema")
    def change_schema(self, request, pk=None):
        dataset = self.get_object()
        params = SchemaChangeSerializer(data=request.data)
        params.is_valid(raise_exception=True)
        number = params.validated_data.get("version")
        version = version_by_number(dataset, number) if number else dataset.ready_version()
        if version is None:
            raise ValidationError({"version": ["No version of this dataset is ready yet."]})
        changes = [dict(change) for change in params.validated_data["columns"]]
        version = services.update_schema(actor=request.user, version=version, changes=changes)
        code = status.HTTP_202_ACCEPTED if version.is_processing else status.HTTP_200_OK
        return Response(self.represent(dataset), status=code)


@extend_schema(tags=["datasets"])
class DatasetVersionViewSet(UploadRefusalMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, PolicyViewSet):
    """The versions of a dataset, newest first, addressed by their number."""

    serializer_class = DatasetVersionSerializer
    parent_model = Dataset
    parent_url_kwarg = "dataset_pk"
    parent_field = "dataset"
    lookup_field = "number"
    policy_actions = {"create": "change"}

    def get_queryset(self):
        return DatasetVersion.objects.select_related("created_by").order_by("-number")

    def get_object(self):
        if int(self.kwargs["number"]) > MAX_VERSION:
            raise Http404("No such version.")
        return super().get_object()

    @extend_schema(
        request={"multipart/form-data": UploadSerializer, "application/json": SqlVersionSerializer},
        responses={201: DatasetVersionSerializer, 413: TOO_LARGE},
        summary="Add a version from a file (multipart) or a SQL query (JSON)",
        description="A refused file is a 400, and the attempt is kept in the history as a failed version; "
        "the previous versions stay readable.",
    )
    def create(self, request, *args, **kwargs):
        dataset = self.get_parent()
        if not request.content_type.startswith("multipart/"):
            params = SqlVersionSerializer(data=request.data, context=self.get_serializer_context())
            params.is_valid(raise_exception=True)
            version = services.add_sql_version(actor=request.user, dataset=dataset, **params.validated_data)
        else:
            if self.upload_refused(request):
                return self.upload_refused_response()
            params = UploadSerializer(data=request.data)
            params.is_valid(raise_exception=True)
            fields = params.validated_data
            version = services.add_version(
                actor=request.user, dataset=dataset, upload=fields["file"], options=read_options(fields)
            )
        serializer = DatasetVersionSerializer(version, context=self.get_serializer_context())
        return Response(serializer.data, status=status.HTTP_201_CREATED)
