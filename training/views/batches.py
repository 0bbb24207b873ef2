"""Batch prediction pages: score a file (or a dataset of the project) with a model version, watch
its progress, download the result, delete it."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from automl_site.api import MAX_ID
from datasets.views.common import bind_upload
from projects import permissions
from projects.forms import apply_service_errors
from projects.views.common import form_error_status, project_page_context, redirect_after_post, wants_fragment

from .. import batch
from ..batch_api import result_response
from ..forms import BatchForm
from ..models import BatchPrediction
from .models import version_for

RECENT = 20


def batch_for(request, pk: int, action: str = "view") -> BatchPrediction:
    if pk > MAX_ID:
        raise Http404("Not found.")
    queryset = BatchPrediction.objects.select_related("project__workspace", "version", "created_by")
    return permissions.get_object_for_user(request.user, queryset, action, pk=pk)


@login_required
@require_http_methods(["GET", "POST"])
def model_batch(request, pk):
    """The form that scores a file with this version, and the version's recent batches."""
    version = version_for(request, pk, "predict")
    clustering = version.problem_type == "clustering"
    if request.method == "POST":
        form = bind_upload(request, BatchForm, project=version.project, clustering=clustering)
        if not form.errors:
            data = form.cleaned_data
            try:
                created = batch.start(
                    actor=request.user,
                    version=version,
                    upload=data.get("file"),
                    dataset_version=data.get("dataset_version"),
                    output_format=data["output_format"],
                    explain=data.get("explain", False),
                )
            except ValidationError as exc:
                apply_service_errors(form, exc)
            else:
                messages.success(request, "The file is being scored; this page follows its progress.")
                return redirect_after_post(request, reverse("batch_detail", args=[created.pk]))
    else:
        form = BatchForm(project=version.project, clustering=clustering)
    context = project_page_context(request.user, version.project)
    context.update(
        {
            "version": version,
            "form": form,
            "batches": version.batch_predictions.select_related("created_by")[:RECENT],
            "columns": [c["name"] for c in version.input_schema],
        }
    )
    status = form_error_status(request) if form.errors else 200
    if wants_fragment(request, "batch-form"):
        return render(request, "training/batch_new.html#form", context, status=status)
    return render(request, "training/batch_new.html", context, status=status)


@login_required
@require_GET
def batch_detail(request, pk):
    """One batch: progress while it runs (the status card polls itself), then the result."""
    found = batch_for(request, pk)
    context = project_page_context(request.user, found.project)
    context.update({"batch": found, "version": found.version})
    if wants_fragment(request, "batch-status"):
        return render(request, "training/batch_detail.html#status", context)
    return render(request, "training/batch_detail.html", context)


@login_required
@require_GET
def batch_download(request, pk):
    found = batch_for(request, pk)
    if found.status != BatchPrediction.Status.SUCCEEDED:
        raise Http404("These predictions have no file to download.")
    return result_response(found)


@login_required
@require_POST
def batch_delete(request, pk):
    found = batch_for(request, pk, "change")
    version_pk = found.version_id
    try:
        batch.delete(actor=request.user, batch=found)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect_after_post(request, reverse("batch_detail", args=[pk]))
    messages.success(request, "Predictions deleted.")
    return redirect_after_post(request, reverse("model_batch", args=[version_pk]))
