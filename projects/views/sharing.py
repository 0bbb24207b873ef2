"""Sharing a project with people outside its workspace."""

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from .. import permissions, services
from ..forms import ShareForm, apply_service_errors
from ..models import Project
from .common import form_error_status, project_page_context

User = get_user_model()


def _project(request, pk):
    return permissions.get_object_for_user(request.user, Project.objects.select_related("workspace"), "share", pk=pk)


@login_required
@require_http_methods(["GET", "POST"])
def project_sharing(request, pk):
    project = _project(request, pk)
    form = ShareForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user = services.share_project(actor=request.user, project=project, **form.cleaned_data)
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(
                request, f"“{project.name}” is now shared with {user.email} as {form.cleaned_data['role']}."
            )
            return redirect("project_sharing", pk=project.pk)
    context = {**project_page_context(request.user, project), "form": form, "shares": services.project_shares(project)}
    status = form_error_status(request) if form.errors else 200
    return render(request, "projects/project_sharing.html", context, status=status)


@login_required
@require_POST
def project_unshare(request, pk, user_pk):
    project = _project(request, pk)
    user = get_object_or_404(User, pk=user_pk)
    services.unshare_project(actor=request.user, project=project, user=user)
    messages.success(request, f"{user.email} no longer has access to “{project.name}”.")
    return redirect("project_sharing", pk=project.pk)
