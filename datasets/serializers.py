"""API representations of datasets, their versions and SQL connections, and the shapes of
what clients send (uploads, SQL imports, schema changes, preview parameters).

Serializers check shapes and types only. What a file may contain, what a column may become
and who may do what stay in `datasets.services`, so the pages and the API refuse the same
things with the same messages.
"""

from __future__ import annotations

from django.conf import settings
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from automl_site.api import MAX_ID, NamedChoiceField, PolicyRelatedField
from projects.models import Project

from .models import ColumnRole, ColumnType, Dataset, DatasetVersion, SqlConnection

DESCRIPTION_MAX_LENGTH = 5000
# Version numbers are a 32-bit column; a larger number cannot exist.
MAX_VERSION = 2**31 - 1
STATUS_CHOICES = [*DatasetVersion.Status.values]
DATASET_STATUS_CHOICES = [*STATUS_CHOICES, "empty"]


# --- Pieces of a version ----------------------------------------------------------------


class ColumnSerializer(serializers.Serializer):
    """One column of a version's schema: the type and role in use, and what was inferred."""

    name = serializers.CharField(read_only=True)
    type = NamedChoiceField(enum_name="ColumnTypeEnum", choices=ColumnType.values, read_only=True)
    role = NamedChoiceField(enum_name="ColumnRoleEnum", choices=ColumnRole.values, read_only=True)
    inferred_type = NamedChoiceField(enum_name="ColumnTypeEnum", choices=ColumnType.values, read_only=True)
    inferred_role = NamedChoiceField(enum_name="ColumnRoleEnum", choices=ColumnRole.values, read_only=True)


class DataWarningSerializer(serializers.Serializer):
    """Something worth knowing about the data (re-encoded text, renamed columns, ...)."""

    code = serializers.CharField(read_only=True)
    column = serializers.CharField(read_only=True, allow_null=True)
    message = serializers.CharField(read_only=True)
    severity = serializers.CharField(read_only=True, required=False)
    stage = serializers.CharField(read_only=True, required=False, help_text="read, types or profile")


def _absolute(request, name: str, **kwargs) -> str:
    url = reverse(f"api:{name}", kwargs=kwargs)
    return request.build_absolute_uri(url) if request is not None else url


# --- Datasets ---------------------------------------------------------------------------


class DatasetSerializer(serializers.ModelSerializer):
    """A dataset as shown and renamed. The data fields describe its latest version;
    `ready_version` names the newest version whose data can be read."""

    project = serializers.PrimaryKeyRelatedField(read_only=True)
    description = serializers.CharField(max_length=DESCRIPTION_MAX_LENGTH, required=False, allow_blank=True)
    status = NamedChoiceField(
        enum_name="DatasetStatusEnum",
        choices=DATASET_STATUS_CHOICES,
        read_only=True,
        help_text="The latest version's status ('empty' only before its first version).",
    )
    version = serializers.IntegerField(source="latest_version.number", read_only=True, allow_null=True)
    ready_version = serializers.SerializerMethodField(
        help_text="The newest version that is ready, whose rows and profile can be read (null if none)."
    )
    n_rows = serializers.IntegerField(source="latest_version.n_rows", read_only=True, allow_null=True)
    n_columns = serializers.IntegerField(source="latest_version.n_columns", read_only=True, allow_null=True)
    columns = ColumnSerializer(source="latest_version.columns", many=True, read_only=True)
    error = serializers.CharField(
        source="latest_version.error", read_only=True, default="", help_text="Why the latest version failed."
    )
    warnings = DataWarningSerializer(source="latest_version.warnings", many=True, read_only=True)
    source = NamedChoiceField(
        enum_name="DatasetSourceEnum",
        choices=DatasetVersion.Source.values,
        source="latest_version.source",
        read_only=True,
        allow_null=True,
    )
    file_name = serializers.CharField(source="latest_version.original_name", read_only=True, default="")
    size_bytes = serializers.IntegerField(source="latest_version.size_bytes", read_only=True, allow_null=True)
    progress = serializers.IntegerField(source="latest_version.progress", read_only=True, allow_null=True)
    stage = serializers.CharField(source="latest_version.stage", read_only=True, default="")
    created_by = serializers.EmailField(source="created_by.email", read_only=True, allow_null=True)
    url = serializers.HyperlinkedIdentityField(view_name="api:dataset-detail")
    preview_url = serializers.HyperlinkedIdentityField(view_name="api:dataset-preview")
    profile_url = serializers.HyperlinkedIdentityField(view_name="api:dataset-profile")
    versions_url = serializers.HyperlinkedIdentityField(
        view_name="api:dataset-version-list", lookup_url_kwarg="dataset_pk"
    )

    class Meta:
        model = Dataset
        fields = [
            "id",
            "name",
            "description",
            "project",
            "status",
            "version",
            "ready_version",
            "n_rows",
            "n_columns",
            "columns",
            "error",
            "warnings",
            "source",
            "file_name",
            "size_bytes",
            "progress",
            "stage",
            "created_by",
            "created_at",
            "updated_at",
            "url",
            "preview_url",
            "profile_url",
            "versions_url",
        ]
        read_only_fields = ["created_at", "updated_at"]

    def get_ready_version(self, dataset) -> int | None:
        # The viewset annotates `ready_number`, so a list costs no query per row.
        if hasattr(dataset, "ready_number"):
            return dataset.ready_number
        ready = dataset.ready_version()
        return ready.number if ready else None


class DatasetUpdateSerializer(serializers.Serializer):
    # The name is checked by the service (length, uniqueness in the project).
    name = serializers.CharField(required=False)
    description = serializers.CharField(max_length=DESCRIPTION_MAX_LENGTH, required=False, allow_blank=True)

    def validate(self, attrs):
        # A schema sent here would otherwise be dropped silently with a 200.
        if "columns" in self.initial_data:
            raise serializers.ValidationError(
                {"columns": ["Change the schema with PATCH /api/v1/datasets/{id}/schema/."]}
            )
        return attrs


READ_OPTIONS = ("delimiter", "encoding", "decimal", "header", "sheet")


def read_options(validated_data: dict) -> dict:
    """The reading options a client set (left-out and blank ones are detected instead)."""
    return {key: value for key in READ_OPTIONS if (value := validated_data.get(key)) not in (None, "")}


class ReadOptionsSerializer(serializers.Serializer):
    """How to read a file; everything is detected when left out. The ingestion engine checks
    the values (a one-character delimiter, a known encoding, ...)."""

    delimiter = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=8,
        trim_whitespace=False,
        help_text="One character; 'tab' or 'space' also work. Detected when left out.",
    )
    encoding = serializers.CharField(required=False, allow_blank=True, max_length=40, help_text="e.g. utf-8, cp1252.")
    decimal = serializers.CharField(
        required=False, allow_blank=True, max_length=1, trim_whitespace=False, help_text="'.' or ','."
    )
    header = serializers.BooleanField(
        required=False, allow_null=True, default=None, help_text="Whether the first row holds the column names."
    )
    sheet = serializers.CharField(required=False, allow_blank=True, max_length=100, help_text="Excel sheet name.")


class UploadSerializer(ReadOptionsSerializer):
    file = serializers.FileField(
        use_url=False,
        # An empty file is the service's to refuse, with its own message.
        allow_empty_file=True,
        error_messages={"required": "No file was sent.", "invalid": "No file was sent."},
        help_text="CSV, TSV, Excel (.xlsx), Parquet, JSON or JSON Lines, optionally .gz or .zip.",
    )


class DatasetCreateSerializer(UploadSerializer):
    project = PolicyRelatedField(
        policy_action="change",
        queryset=Project.objects.all(),
        help_text="A project where you may add data (editor or above).",
    )
    name = serializers.CharField(
        required=False, allow_blank=True, help_text="Defaults to the file's name without its extension."
    )
    description = serializers.CharField(max_length=DESCRIPTION_MAX_LENGTH, required=False, allow_blank=True)


class SqlVersionSerializer(serializers.Serializer):
    connection = PolicyRelatedField(
        policy_action="change",
        queryset=SqlConnection.objects.all(),
        help_text="A saved connection of the dataset's project.",
    )
    query = serializers.CharField(help_text="One SELECT (or WITH … SELECT) statement.", trim_whitespace=False)


class SqlImportSerializer(SqlVersionSerializer):
    project = PolicyRelatedField(
        policy_action="change",
        queryset=Project.objects.all(),
        help_text="A project where you may add data (editor or above).",
    )
    name = serializers.CharField()


class ColumnChangeSerializer(serializers.Serializer):
    # Types and roles are plain strings here: the service names the valid ones in its message.
    name = serializers.CharField(trim_whitespace=False, max_length=10_000)
    type = serializers.CharField(required=False, max_length=40, help_text=f"One of {', '.join(ColumnType.values)}.")
    role = serializers.CharField(required=False, max_length=40, help_text=f"One of {', '.join(ColumnRole.values)}.")


class SchemaChangeSerializer(serializers.Serializer):
    columns = ColumnChangeSerializer(many=True, allow_empty=False, max_length=settings.DATASET_MAX_COLUMNS)
    version = serializers.IntegerField(
        required=False, min_value=1, max_value=MAX_VERSION, help_text="Defaults to the newest ready version."
    )


class PreviewParamsSerializer(serializers.Serializer):
    offset = serializers.IntegerField(required=False, default=0, min_value=0, max_value=MAX_ID)
    limit = serializers.IntegerField(required=False, default=50, min_value=1, max_value=500)
    sort = serializers.CharField(required=False, allow_blank=True, default="", trim_whitespace=False, max_length=10_000)
    desc = serializers.BooleanField(required=False, default=False, help_text="Sort in descending order.")
    version = serializers.IntegerField(
        required=False, min_value=1, max_value=MAX_VERSION, help_text="Defaults to the newest ready version."
    )


class VersionParamSerializer(serializers.Serializer):
    version = serializers.IntegerField(
        required=False, min_value=1, max_value=MAX_VERSION, help_text="Defaults to the newest ready version."
    )


class PreviewColumnSerializer(serializers.Serializer):
    name = serializers.CharField()
    type = NamedChoiceField(enum_name="ColumnTypeEnum", choices=ColumnType.values)
    role = NamedChoiceField(enum_name="ColumnRoleEnum", choices=ColumnRole.values)


class PreviewSerializer(serializers.Serializer):
    """A page of rows, with the schema's types applied; each row lists values in column order."""

    version = serializers.IntegerField()
    status = NamedChoiceField(enum_name="DatasetVersionStatusEnum", choices=STATUS_CHOICES)
    columns = PreviewColumnSerializer(many=True)
    rows = serializers.ListField(child=serializers.ListField(child=serializers.JSONField()))
    offset = serializers.IntegerField()
    limit = serializers.IntegerField()
    total = serializers.IntegerField()
    sort = serializers.CharField()
    descending = serializers.BooleanField()


class NotReadySerializer(serializers.Serializer):
    detail = serializers.CharField()
    version = serializers.IntegerField(allow_null=True)
    status = NamedChoiceField(enum_name="DatasetStatusEnum", choices=DATASET_STATUS_CHOICES)


# --- Versions ---------------------------------------------------------------------------


class DatasetVersionSerializer(serializers.ModelSerializer):
    status = NamedChoiceField(enum_name="DatasetVersionStatusEnum", choices=STATUS_CHOICES, read_only=True)
    source = NamedChoiceField(enum_name="DatasetSourceEnum", choices=DatasetVersion.Source.values, read_only=True)
    file_name = serializers.CharField(source="original_name", read_only=True)
    columns = ColumnSerializer(many=True, read_only=True)
    warnings = DataWarningSerializer(many=True, read_only=True)
    read_options = serializers.JSONField(read_only=True, help_text="The reading options the uploader chose.")
    detected = serializers.JSONField(read_only=True, help_text="What was detected: format, encoding, delimiter, ...")
    created_by = serializers.EmailField(source="created_by.email", read_only=True, allow_null=True)
    url = serializers.SerializerMethodField()

    class Meta:
        model = DatasetVersion
        fields = [
            "number",
            "dataset",
            "status",
            "source",
            "file_name",
            "file_format",
            "size_bytes",
            "sha256",
            "n_rows",
            "n_columns",
            "memory_bytes",
            "columns",
            "warnings",
            "error",
            "progress",
            "stage",
            "read_options",
            "detected",
            "connection",
            "query",
            "created_by",
            "created_at",
            "started_at",
            "finished_at",
            "url",
        ]
        read_only_fields = fields

    @extend_schema_field(OpenApiTypes.URI)
    def get_url(self, version) -> str:
        return _absolute(
            self.context.get("request"), "dataset-version-detail", dataset_pk=version.dataset_id, number=version.number
        )


# --- SQL connections ----------------------------------------------------------------------


class SqlConnectionSerializer(serializers.ModelSerializer):
    """A saved connection. The URL is write-only: responses show `display_url`, whose password
    is masked; the real one is stored encrypted and never leaves the server."""

    project = serializers.PrimaryKeyRelatedField(read_only=True)
    dialect = NamedChoiceField(enum_name="SqlDialectEnum", choices=SqlConnection.Dialect.values, read_only=True)
    created_by = serializers.EmailField(source="created_by.email", read_only=True, allow_null=True)

    class Meta:
        model = SqlConnection
        fields = ["id", "project", "name", "dialect", "display_url", "created_by", "created_at", "last_tested_at"]
        read_only_fields = fields


class SqlConnectionCreateSerializer(SqlConnectionSerializer):
    project = PolicyRelatedField(
        policy_action="change",
        queryset=Project.objects.all(),
        help_text="A project where you may add data (editor or above).",
    )
    # The service checks the name (blank, length, unique in the project) with its own messages.
    name = serializers.CharField(allow_blank=True)
    url = serializers.CharField(
        write_only=True,
        allow_blank=True,
        max_length=2000,
        trim_whitespace=False,
        help_text="postgresql://user:password@host:5432/database or mysql://user:password@host:3306/database",
    )

    class Meta(SqlConnectionSerializer.Meta):
        fields = [*SqlConnectionSerializer.Meta.fields, "url"]
        read_only_fields = ["id", "dialect", "display_url", "created_by", "created_at", "last_tested_at"]


class ConnectionTestSerializer(serializers.Serializer):
    project = PolicyRelatedField(
        policy_action="change",
        queryset=Project.objects.all(),
        help_text="The project the connection is for (editor or above).",
    )
    url = serializers.CharField(allow_blank=True, max_length=2000, trim_whitespace=False)


class ConnectionTestResultSerializer(serializers.Serializer):
    ok = serializers.BooleanField()
    message = serializers.CharField()
