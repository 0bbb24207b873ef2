"""Project pages: create, overview, edit, archive and delete."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpResponseBadRequest
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from .. import permissions, services
from ..forms import ProjectForm, apply_service_errors
from ..models import Project, Workspace
from .common import (
    form_error_status,
    project_page_context,
    redirect_after_post,
    wants_fragment,
    workspace_page_context,
)

# The ids of the elements that htmx swaps the inline forms into.
INLINE_CREATE_TARGET = "new-project"
INLINE_EDIT_TARGET = "project-overview"


def _project(request, pk, action):
    queryset = Project.objects.select_related("workspace", "created_by")
    return permissions.get_object_for_user(request.user, queryset, action, pk=pk)


@login_required
@require_http_methods(["GET", "POST"])
def project_create(request, pk):
    workspace = permissions.get_object_for_user(request.user, Workspace.objects.all(), "create_project", pk=pk)
    form = ProjectForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            project = services.create_project(actor=request.user, workspace=workspace, **form.cleaned_data)
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, f"Project “{project.name}” created.")
            return redirect_after_post(request, reverse("project_detail", args=[project.pk]))
    context = {**workspace_page_context(request.user, workspace), "form": form}
    status = form_error_status(request) if form.errors else 200
    if wants_fragment(request, INLINE_CREATE_TARGET):
        return render(request, "projects/project_create.html#create-form", context, status=status)
    return render(request, "projects/project_create.html", context, status=status)


def _detail_context(request, project) -> dict:
    context = project_page_context(request.user, project)
    member = context["is_member"]
    context.update(
        share_role=None if member else permissions.share_role(request.user, project),
        # Members may see who else has access; people it is shared with see only their own grant.
        shares=services.project_shares(project) if member else [],
    )
    return context


@login_required
@require_GET
def project_detail(request, pk):
    project = _project(request, pk, "view")
    context = _detail_context(request, project)
    if wants_fragment(request, INLINE_EDIT_TARGET):
        return render(request, "projects/project_detail.html#overview", context)
    return render(request, "projects/project_detail.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def project_edit(request, pk):
    """Edit form: inline on the overview card through htmx, or a page of its own."""
    project = _project(request, pk, "change")
    if request.method == "POST":
        form = ProjectForm(request.POST)
        if form.is_valid():
            try:
                services.update_project(actor=request.user, project=project, **form.cleaned_data)
            except ValidationError as exc:
                apply_service_errors(form, exc)
            else:
                messages.success(request, "Project saved.")
                return redirect_after_post(request, reverse("project_detail", args=[project.pk]))
    else:
        form = ProjectForm(initial=ProjectForm.initial_for(project))
    context = {**project_page_context(request.user, project), "form": form}
    status = form_error_status(request) if form.errors else 200
    if wants_fragment(request, INLINE_EDIT_TARGET):
        return render(request, "projects/project_edit.html#edit-form", context, status=status)
    return render(request, "projects/project_edit.html", context, status=status)


@login_required
@require_POST
def project_archive(request, pk):
    """Archive (`archived=1`) or bring back (`archived=0`) a project."""
    project = _project(request, pk, "change")
    archived = request.POST.get("archived")
    if archived not in ("0", "1"):
        return HttpResponseBadRequest("Send archived=1 to archive or archived=0 to unarchive.")
    services.set_project_archived(actor=request.user, project=project, archived=archived == "1")
    if archived == "1":
        messages.success(request, f"“{project.name}” archived. It stays readable; unarchive it to work on it again.")
    else:
        messages.success(request, f"“{project.name}” is active again.")
    return redirect_after_post(request, reverse("project_detail", args=[project.pk]))


@login_required
@require_POST
def project_delete(request, pk):
    project = _project(request, pk, "delete")
    services.delete_project(actor=request.user, project=project)
    messages.success(request, f"Project “{project.name}” deleted.")
    return redirect_after_post(request, reverse("workspace_detail", args=[project.workspace_id]))
