"""Dataset pages, ingestion side: the list, uploading, versions, live progress, rename, delete.

The SQL import pages live in ingest_sql.py and are re-exported here, because the URLs name
every ingestion view through this module.

Uploads are posted by static/js/upload.js with XMLHttpRequest (for a real progress bar) and
the htmx request headers, so a successful upload answers with an HX-Redirect to the dataset
page, and a refused one with the form fragment showing why. Without JavaScript the same form
posts normally and gets a 302 or the page with its errors. The project page's Datasets card
posts the compact form of the same include to `dataset_upload` (htmx target `project-upload`)
and gets the compact form back when the file is refused.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Count
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from projects import permissions
from projects.forms import apply_service_errors
from projects.views.common import form_error_status, project_page_context, redirect_after_post, wants_fragment

from .. import services
from ..forms import DatasetEditForm, NewVersionForm, SqlVersionForm, UploadForm
from ..models import DatasetVersion
from .common import bind_upload, dataset_for, dataset_page_context, project_for, version_for
from .ingest_sql import connection_create, connection_delete, connection_test, dataset_import_sql

__all__ = [
    "connection_create",
    "connection_delete",
    "connection_test",
    "dataset_delete",
    "dataset_edit",
    "dataset_import_sql",
    "dataset_list",
    "dataset_new_version",
    "dataset_progress",
    "dataset_upload",
    "dataset_versions",
]

# The element whose content the upload form fragment replaces (upload.html, new_version.html).
UPLOAD_TARGET = "upload-form"
# The element holding the compact drop zone on the project page (projects/project_detail.html).
COMPACT_UPLOAD_TARGET = "project-upload"
UPLOAD_FORM_TEMPLATE = "datasets/includes/ingest_upload_form.html"


def _dataset_url(dataset) -> str:
    return reverse("dataset_detail", args=[dataset.pk])


@login_required
@require_GET
def dataset_list(request, pk):
    project = project_for(request, pk, "view")
    datasets = (
        project.datasets.select_related("latest_version", "created_by")
        .with_ready_version()
        .annotate(version_count=Count("versions"))
        .order_by("-updated_at", "-id")
    )
    context = {**project_page_context(request.user, project), "datasets": datasets}
    return render(request, "datasets/dataset_list.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def dataset_upload(request, pk):
    project = project_for(request, pk, "change")
    if request.method == "POST":
        form = bind_upload(request, UploadForm)
        if not form.errors:
            try:
                dataset = services.create_dataset(
                    actor=request.user,
                    project=project,
                    name=form.cleaned_data["name"],
                    upload=form.cleaned_data["file"],
                    options=form.reading_options(),
                )
            except ValidationError as exc:
                apply_service_errors(form, exc)
            else:
                messages.success(request, f"“{dataset.name}” uploaded. It is being read and profiled now.")
                return redirect_after_post(request, _dataset_url(dataset))
    else:
        form = UploadForm()
    context = {**project_page_context(request.user, project), "form": form}
    status = form_error_status(request) if form.errors else 200
    if wants_fragment(request, COMPACT_UPLOAD_TARGET):
        return render(request, UPLOAD_FORM_TEMPLATE, {**context, "compact": True}, status=status)
    if wants_fragment(request, UPLOAD_TARGET):
        return render(request, "datasets/upload.html#upload-form", context, status=status)
    return render(request, "datasets/upload.html", context, status=status)


def _last_sql_version(dataset) -> DatasetVersion | None:
    return dataset.versions.filter(source=DatasetVersion.Source.SQL).select_related("connection").first()


@login_required
@require_http_methods(["GET", "POST"])
def dataset_new_version(request, pk):
    """A new version: upload a file, or (for a dataset imported with SQL) run the query again."""
    dataset = dataset_for(request, pk, "change")
    project = dataset.project
    last_sql = _last_sql_version(dataset)
    sql_initial = {"connection": last_sql.connection_id, "query": last_sql.query} if last_sql else {}
    upload_form = NewVersionForm()
    sql_form = SqlVersionForm(initial=sql_initial, project=project) if last_sql else None
    if request.method == "POST" and request.POST.get("source") == "sql":
        sql_form = SqlVersionForm(request.POST, project=project)
        if sql_form.is_valid():
            try:
                services.add_sql_version(actor=request.user, dataset=dataset, **sql_form.cleaned_data)
            except ValidationError as exc:
                apply_service_errors(sql_form, exc)
            else:
                source = sql_form.cleaned_data["connection"].name
                messages.success(request, f"Importing a new version of “{dataset.name}” from {source}.")
                return redirect_after_post(request, _dataset_url(dataset))
    elif request.method == "POST":
        upload_form = bind_upload(request, NewVersionForm)
        if not upload_form.errors:
            try:
                services.add_version(
                    actor=request.user,
                    dataset=dataset,
                    upload=upload_form.cleaned_data["file"],
                    options=upload_form.reading_options(),
                )
            except ValidationError as exc:
                # A refused file is recorded as a failed version; the versions page lists it.
                apply_service_errors(upload_form, exc)
            else:
                messages.success(request, f"New version of “{dataset.name}” uploaded. It is being processed now.")
                return redirect_after_post(request, _dataset_url(dataset))
    context = {
        **project_page_context(request.user, project),
        "dataset": dataset,
        "form": upload_form,
        "sql_form": sql_form,
        "last_sql": last_sql,
    }
    failed = upload_form.errors or (sql_form is not None and sql_form.errors)
    status = form_error_status(request) if failed else 200
    if wants_fragment(request, UPLOAD_TARGET):
        return render(request, "datasets/new_version.html#upload-form", context, status=status)
    return render(request, "datasets/new_version.html", context, status=status)


@login_required
@require_GET
def dataset_versions(request, pk):
    dataset = dataset_for(request, pk, "view")
    version = version_for(request, dataset)
    context = dataset_page_context(request, dataset, version, tab="versions")
    context["versions"] = dataset.versions.select_related("created_by", "connection").order_by("-number")
    return render(request, "datasets/versions.html", context)


@login_required
@require_GET
def dataset_progress(request, pk):
    """The progress fragment of the latest version: what the page polls when the WebSocket is
    not available (it polls only while the version is processing)."""
    dataset = dataset_for(request, pk, "view")
    version = dataset.latest_version
    may = {"change": permissions.can(request.user, "change", dataset)}
    context = {"dataset": dataset, "version": version, "live": False, "polled": True, "may": may}
    return render(request, "datasets/includes/progress.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def dataset_edit(request, pk):
    dataset = dataset_for(request, pk, "change")
    if request.method == "POST":
        form = DatasetEditForm(request.POST)
        if form.is_valid():
            try:
                services.update_dataset(actor=request.user, dataset=dataset, **form.cleaned_data)
            except ValidationError as exc:
                apply_service_errors(form, exc)
            else:
                messages.success(request, "Dataset saved.")
                return redirect_after_post(request, _dataset_url(dataset))
    else:
        form = DatasetEditForm(initial=DatasetEditForm.initial_for(dataset))
    context = {**project_page_context(request.user, dataset.project), "dataset": dataset, "form": form}
    status = form_error_status(request) if form.errors else 200
    return render(request, "datasets/edit.html", context, status=status)


@login_required
@require_POST
def dataset_delete(request, pk):
    dataset = dataset_for(request, pk, "delete")
    services.delete_dataset(actor=request.user, dataset=dataset)
    messages.success(request, f"Dataset “{dataset.name}” deleted.")
    return redirect_after_post(request, reverse("dataset_list", args=[dataset.project_id]))
