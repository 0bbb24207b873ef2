"""Training pages of a project: the list of jobs, and the wizard that starts one (with its
live advice panel)."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods

from datasets.models import Dataset
from datasets.views.common import project_for
from projects.forms import apply_service_errors
from projects.views.common import form_error_status, project_page_context, redirect_after_post

from .. import services
from ..automl.metrics import METRICS
from ..forms import BUDGET_PRESETS, JobForm
from ..models import TrainingJob

ADVICE_FIELDS = ("dataset", "target", "problem_type", "time_budget_s", "validation", "folds", "validation_column")


@login_required
@require_GET
def job_list(request, pk):
    project = project_for(request, pk, "view")
    jobs = (
        TrainingJob.objects.filter(project=project)
        .select_related("dataset", "dataset_version", "best_trial", "created_by")
        .order_by("-created_at", "-id")
    )
    context = project_page_context(request.user, project)
    context.update({"jobs": jobs, "has_data": project.datasets.filter(versions__status="ready").exists()})
    return render(request, "training/job_list.html", context)


def _chosen_dataset(request, project) -> Dataset | None:
    raw = request.POST.get("dataset") or request.GET.get("dataset") or ""
    if raw.isdigit() and len(raw) < 19:
        return project.datasets.filter(pk=int(raw), versions__status="ready").distinct().first()
    return None


@login_required
@require_http_methods(["GET", "POST"])
def job_create(request, pk):
    project = project_for(request, pk, "change")
    dataset = _chosen_dataset(request, project)
    if request.method == "POST":
        form = JobForm(request.POST, project=project, dataset=dataset)
        if form.is_valid():
            data = form.cleaned_data
            try:
                job = services.create_job(
                    actor=request.user,
                    project=project,
                    dataset=data["dataset"],
                    target=data.get("target") or "",
                    problem_type=data["problem_type"],
                    metric=data.get("metric") or None,
                    time_budget_s=data["time_budget_s"],
                    options=form.options(),
                )
            except ValidationError as exc:
                apply_service_errors(form, _on_form_fields(exc))
            else:
                messages.success(request, f"Training job #{job.number} is queued; its log follows live below.")
                return redirect_after_post(request, reverse("job_detail", args=[job.pk]))
        status = form_error_status(request)
    else:
        form = JobForm(project=project, dataset=dataset)
        status = 200
    context = project_page_context(request.user, project)
    context.update(_wizard_context(form, request))
    template = (
        "training/job_create.html#wizard-form"
        if request.htmx and request.htmx.target == "wizard"
        else "training/job_create.html"
    )
    return render(request, template, context, status=status)


def _on_form_fields(exc: ValidationError) -> ValidationError:
    """Service errors named after API fields, renamed to the wizard's fields."""
    if not hasattr(exc, "error_dict"):
        return exc
    renamed = {"validation": "validation_column", "dataset_version": "dataset"}
    return ValidationError({renamed.get(k, k): v for k, v in exc.error_dict.items()})


def _wizard_context(form: JobForm, request) -> dict:
    advice = None
    if form.version is not None:
        advice = _advice_for(form.version, _advice_params(request, form))
    return {
        "form": form,
        "selected": form.data.getlist("families") if form.is_bound else [],
        "advice": advice,
        "budget_presets": BUDGET_PRESETS,
        "dataset": form.dataset,
        "version": form.version,
    }


def _advice_params(request, form: JobForm) -> dict:
    source = request.POST if request.method == "POST" else request.GET
    params = {name: source.get(name, "") for name in ADVICE_FIELDS}
    if not params["target"] and "target" not in source:
        params["target"] = form.initial.get("target", "")
    if not params["problem_type"]:
        params["problem_type"] = form.initial.get("problem_type", "auto")
    return params


def _advice_for(version, params: dict) -> dict:
    """The advice panel's data, or the reason it cannot be given for these choices."""
    try:
        budget = int(params.get("time_budget_s") or settings.TRAINING_DEFAULT_BUDGET_S)
    except ValueError:
        budget = settings.TRAINING_DEFAULT_BUDGET_S
    low, high = services.budget_bounds()
    budget = max(low, min(high, budget))
    folds = params.get("folds") or "5"
    options = {
        "validation": {
            "strategy": params.get("validation") or "kfold",
            "folds": int(folds) if folds.isdigit() and int(folds) <= 20 else 5,
            "column": params.get("validation_column") or "",
        }
    }
    problem_type = params.get("problem_type") or "auto"
    if problem_type not in ("auto", "classification", "regression", "clustering"):
        problem_type = "auto"
    try:
        advice = services.advice(
            version=version,
            target=params.get("target") or "",
            problem_type=problem_type,
            budget_s=budget,
            options=options,
        )
    except ValidationError as exc:
        return {"error": " ".join(exc.messages)}
    advice["budget"] = budget
    advice["metric_label"] = METRICS[advice["metric"]].label
    return advice


@login_required
@require_GET
def job_advice(request, pk):
    """The wizard's advice panel for the choices so far (an htmx fragment)."""
    project = project_for(request, pk, "change")
    dataset = _chosen_dataset(request, project)
    version = dataset.ready_version() if dataset else None
    advice = _advice_for(version, {name: request.GET.get(name, "") for name in ADVICE_FIELDS}) if version else None
    context = {"advice": advice, "project": project, "dataset": dataset, "oob": True}
    context["selected"] = request.GET.getlist("families")
    return render(request, "training/includes/advice.html", context)
