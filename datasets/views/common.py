"""What every dataset page shares: fetching through the policy, choosing the version, context."""

from __future__ import annotations

from django.http import Http404, HttpRequest

from automl_site.api import MAX_ID
from projects import permissions
from projects.models import Project
from projects.views.common import project_page_context

from ..models import Dataset, DatasetVersion, SqlConnection


def project_for(request: HttpRequest, pk: int, action: str = "view") -> Project:
    if pk > MAX_ID:
        raise Http404("Not found.")
    return permissions.get_object_for_user(request.user, Project.objects.select_related("workspace"), action, pk=pk)


def dataset_for(request: HttpRequest, pk: int, action: str = "view") -> Dataset:
    """The dataset, through the permission policy: 404 if unseen, 403 if seen but not allowed."""
    if pk > MAX_ID:
        raise Http404("Not found.")
    queryset = Dataset.objects.select_related("project__workspace", "latest_version", "created_by")
    return permissions.get_object_for_user(request.user, queryset, action, pk=pk)


def connection_for(request: HttpRequest, pk: int, action: str = "view") -> SqlConnection:
    if pk > MAX_ID:
        raise Http404("Not found.")
    queryset = SqlConnection.objects.select_related("project__workspace")
    return permissions.get_object_for_user(request.user, queryset, action, pk=pk)


def version_for(request: HttpRequest, dataset: Dataset) -> DatasetVersion | None:
    """The version a page shows: `?version=N` if given (404 if there is no such version),
    else the newest ready one, else the latest (processing or failed)."""
    number = request.GET.get("version", "")
    if number:
        if not number.isdigit() or int(number) > 2**31:
            raise Http404("No such version.")
        version = dataset.version_to_show(int(number))
        if version is None:
            raise Http404("No such version.")
        return version
    return dataset.version_to_show()


def dataset_page_context(request: HttpRequest, dataset: Dataset, version: DatasetVersion | None, tab: str) -> dict:
    """The project context (with `may.change`, …) plus the dataset, the version shown, whether
    it is the latest, and which tab is active."""
    context = project_page_context(request.user, dataset.project)
    latest = dataset.latest_version
    context.update(
        {
            "dataset": dataset,
            "version": version,
            "latest": latest,
            "is_latest": version is not None and latest is not None and version.pk == latest.pk,
            "tab": tab,
            "share_role": permissions.share_role(request.user, dataset.project),
        }
    )
    return context


def bind_upload(request: HttpRequest, form_class, **kwargs):
    """The bound upload form, with the size-limit refusal (set by the upload handler while the
    body streamed in) shown on the file field instead of a bare "required"."""
    form = form_class(request.POST, request.FILES, **kwargs)  # reading the body runs the upload handler
    refused = getattr(request, "upload_refused", "")
    form.is_valid()
    if refused:
        form.errors.pop("file", None)
        form.add_error("file", refused)
    return form
