"""Workspace pages: the list, creation, a workspace's project list, switching, settings,
deleting and leaving."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from .. import permissions, services
from ..forms import ProjectFilterForm, WorkspaceDeleteForm, WorkspaceForm, apply_service_errors
from ..models import Project, Workspace
from .common import (
    forget_workspace,
    form_error_status,
    redirect_after_post,
    use_workspace,
    wants_fragment,
    workspace_page_context,
)

PROJECTS_PER_PAGE = 24


@login_required
@require_GET
def workspace_list(request):
    workspaces = (
        permissions.restrict(Workspace.objects.all(), request.user, "view")
        .annotate(
            member_total=Count("memberships", distinct=True),
            project_total=Count("projects", filter=Q(projects__deleted_at__isnull=True), distinct=True),
        )
        .order_by("-is_personal", "name")
    )
    rows = [(workspace, permissions.role_in(request.user, workspace)) for workspace in workspaces]
    return render(request, "projects/workspace_list.html", {"rows": rows})


@login_required
@require_http_methods(["GET", "POST"])
def workspace_create(request):
    form = WorkspaceForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            workspace = services.create_workspace(actor=request.user, **form.cleaned_data)
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            use_workspace(request, workspace)
            messages.success(request, f"Workspace “{workspace.name}” created. Start with a project.")
            return redirect_after_post(request, reverse("workspace_detail", args=[workspace.pk]))
    status = form_error_status(request) if form.errors else 200
    return render(request, "projects/workspace_form.html", {"form": form}, status=status)


@login_required
@require_GET
def workspace_detail(request, pk):
    """The workspace's projects, searchable and filtered by status."""
    workspace = permissions.get_object_for_user(request.user, Workspace.objects.all(), "view", pk=pk)
    filters = ProjectFilterForm(request.GET)
    projects = filters.filter(
        permissions.restrict(Project.objects.filter(workspace=workspace), request.user, "view")
    ).order_by("-updated_at", "id")
    page = Paginator(projects, PROJECTS_PER_PAGE).get_page(request.GET.get("page"))
    context = {
        **workspace_page_context(request.user, workspace),
        "page": page,
        "projects": page.object_list,
        "filters": filters,
        "status": filters.status_value,
        "query": filters.query_value,
        "has_any_project": Project.objects.filter(workspace=workspace).exists(),
    }
    if wants_fragment(request, "project-list"):
        return render(request, "projects/workspace_detail.html#project-list", context)
    return render(request, "projects/workspace_detail.html", context)


@login_required
@require_POST
def workspace_switch(request, pk):
    workspace = permissions.get_object_for_user(request.user, Workspace.objects.all(), "view", pk=pk)
    use_workspace(request, workspace)
    return redirect_after_post(request, reverse("workspace_detail", args=[workspace.pk]))


def _settings_page(request, workspace, *, form=None, delete_form=None, leave_error="", status=200):
    context = workspace_page_context(request.user, workspace)
    if form is None and context["may"]["change"]:
        form = WorkspaceForm(initial={"name": workspace.name, "description": workspace.description})
    context.update(
        form=form,
        delete_form=delete_form or WorkspaceDeleteForm(workspace=workspace),
        leave_error=leave_error,
    )
    return render(request, "projects/workspace_settings.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def workspace_settings(request, pk):
    """Every member may open settings (to leave); changing name and description needs "change"."""
    action = "change" if request.method == "POST" else "view"
    workspace = permissions.get_object_for_user(request.user, Workspace.objects.all(), action, pk=pk)
    if request.method == "GET":
        return _settings_page(request, workspace)
    form = WorkspaceForm(request.POST)
    if form.is_valid():
        try:
            services.update_workspace(actor=request.user, workspace=workspace, **form.cleaned_data)
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, "Workspace settings saved.")
            return redirect_after_post(request, reverse("workspace_settings", args=[workspace.pk]))
    return _settings_page(request, workspace, form=form, status=form_error_status(request))


@login_required
@require_POST
def workspace_delete(request, pk):
    workspace = permissions.get_object_for_user(request.user, Workspace.objects.all(), "delete", pk=pk)
    form = WorkspaceDeleteForm(request.POST, workspace=workspace)
    if not form.is_valid():
        return _settings_page(request, workspace, delete_form=form, status=400)
    services.delete_workspace(actor=request.user, workspace=workspace)
    forget_workspace(request, workspace)
    messages.success(request, f"Workspace “{workspace.name}” deleted. An operator can restore it if needed.")
    return redirect_after_post(request, reverse("workspace_list"))


@login_required
@require_POST
def workspace_leave(request, pk):
    workspace = permissions.get_object_for_user(request.user, Workspace.objects.all(), "leave", pk=pk)
    try:
        services.leave_workspace(user=request.user, workspace=workspace)
    except ValidationError as exc:
        return _settings_page(request, workspace, leave_error=" ".join(exc.messages), status=400)
    forget_workspace(request, workspace)
    messages.success(request, f"You left “{workspace.name}”.")
    return redirect("dashboard")
