"""The model registry's pages: a project's model versions, one version's model card (summary,
metrics and charts from training, input schema, lineage, aliases and their history, notes), and
the actions on it: notes, aliases, download, and registering a job's model."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from automl_site.api import MAX_ID
from datasets.views.common import project_for
from projects import permissions
from projects.models import AuditEvent
from projects.views.common import project_page_context, redirect_after_post, wants_fragment

from .. import candidates, predict, registry
from ..automl.explain_row import typical_row
from ..automl.model import ArtifactError
from ..models import CandidateRefit, ModelAlias, ModelVersion
from ..registry_api import artifact_response
from ..results import version_results
from ..versions import SUGGESTED_ALIASES
from .common import job_for, metric_rows

HISTORY = 20


def version_for(request, pk: int, action: str = "view") -> ModelVersion:
    """The version, through the permission policy: 404 if unseen, 403 if seen but not allowed."""
    if pk > MAX_ID:
        raise Http404("Not found.")
    queryset = ModelVersion.objects.select_related(
        "project__workspace", "job", "trial", "dataset_version__dataset", "created_by"
    ).prefetch_related("aliases")
    return permissions.get_object_for_user(request.user, queryset, action, pk=pk)


@login_required
@require_GET
def model_list(request, pk):
    project = project_for(request, pk, "view")
    versions = (
        ModelVersion.objects.filter(project=project)
        .select_related("job", "dataset_version__dataset", "created_by")
        .prefetch_related("aliases")
    )
    context = project_page_context(request.user, project)
    context["versions"] = versions
    context["split"] = registry.traffic_split(project)
    context["alias_names"] = list(ModelAlias.objects.filter(project=project).values_list("name", flat=True))
    return render(request, "training/model_list.html", context)


@login_required
@require_POST
def model_traffic(request, pk):
    project = project_for(request, pk, "change")
    raw = request.POST.get("challenger_percent", "0").strip() or "0"
    try:
        registry.set_traffic_split(
            project=project,
            alias=request.POST.get("alias", "production"),
            challenger_alias=request.POST.get("challenger_alias", "").strip(),
            challenger_percent=int(raw) if raw.isdigit() and len(raw) < 4 else -1,
            actor=request.user,
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, "Traffic split saved.")
    return redirect_after_post(request, reverse("model_list", args=[project.pk]))


@login_required
@require_GET
def model_detail(request, pk):
    version = version_for(request, pk)
    project = version.project
    results = version_results(version)
    context = project_page_context(request.user, project)
    context.update(
        {
            "version": version,
            "job": version.job,
            "results": results,
            "evaluation": (results or {}).get("evaluation"),
            "metric_rows": metric_rows(version.job, version.metrics or {}),
            "summary": version.job.summary or {},
            "aliases": ModelAlias.objects.filter(project=project).select_related("version", "updated_by"),
            "suggested": [name for name in SUGGESTED_ALIASES if name not in version.alias_names],
            "history": _alias_history(project),
            "snippet": _snippet(version),
        }
    )
    return render(request, "training/model_detail.html", context)


def _alias_history(project) -> list[AuditEvent]:
    ids = [str(pk) for pk in ModelVersion.objects.filter(project=project).values_list("pk", flat=True)]
    return list(
        AuditEvent.objects.filter(
            target_type="modelversion",
            target_id__in=ids,
            action__in=[AuditEvent.Action.ALIAS_SET, AuditEvent.Action.ALIAS_REMOVE],
        ).order_by("-created_at", "-id")[:HISTORY]
    )


def _snippet(version: ModelVersion) -> str:
    """Python that checks the downloaded file against its hash, then loads it and predicts."""
    name = f"project-{version.project_id}-model-v{version.number}.{version.artifact_format}"
    columns = ", ".join(f'"{c["name"]}": ...' for c in version.input_schema[:4])
    more = ", ..." if len(version.input_schema) > 4 else ""
    probability = "\nprint(model.predict_proba(rows))" if version.problem_type == "classification" else ""
    if version.artifact_format == "skops":
        reader = (
            "import skops.io as sio",
            "types = sio.get_untrusted_types(file=path)  # scikit-learn, NumPy, XGBoost and training.automl types\n"
            "model = sio.load(path, trusted=types)",
        )
    else:
        reader = ("import joblib", "model = joblib.load(path)  # only a file whose hash matches: loading runs code")
    return (
        "# Needs the library versions listed on this page and this platform's training/automl package on the path.\n"
        f"import hashlib\n\n{reader[0]}\nimport pandas as pd\n\n"
        f'path = "{name}"\n'
        'with open(path, "rb") as handle:\n'
        f'    assert hashlib.sha256(handle.read()).hexdigest() == "{version.artifact_sha256}"\n'
        f"{reader[1]}\n"
        f"rows = pd.DataFrame([{{{columns}{more}}}])\n"
        f"print(model.predict(rows)){probability}\n"
    )


@login_required
@require_POST
def model_notes(request, pk):
    version = version_for(request, pk, "change")
    try:
        registry.update_notes(version=version, notes=request.POST.get("notes", ""), actor=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, "Notes saved.")
    return redirect_after_post(request, reverse("model_detail", args=[version.pk]))


@login_required
@require_POST
def model_alias(request, pk):
    version = version_for(request, pk, "change")
    name = request.POST.get("alias", "")
    try:
        alias = registry.set_alias(version=version, name=name, actor=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, f"“{alias.name}” now points at version {version.number}.")
    return redirect_after_post(request, reverse("model_detail", args=[version.pk]))


@login_required
@require_POST
def model_alias_remove(request, pk):
    version = version_for(request, pk, "change")
    name = request.POST.get("alias", "")
    try:
        registry.remove_alias(project=version.project, name=name, actor=request.user, version=version)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, f"“{name.lower()}” removed.")
    return redirect_after_post(request, reverse("model_detail", args=[version.pk]))


@login_required
@require_GET
def model_download(request, pk):
    return artifact_response(version_for(request, pk))


@login_required
@require_POST
def job_register(request, pk):
    """Register the kept model, or (with `trial`) any candidate: the kept one at once, another
    after a worker has refitted it (the job page then follows the refit)."""
    job = job_for(request, pk, "change")
    raw = request.POST.get("trial", "").strip()
    try:
        if raw:
            if not raw.isdigit() or len(raw) > 7:
                raise ValidationError("Choose a candidate from the leaderboard.")
            made = candidates.register(job=job, number=int(raw), actor=request.user)
        else:
            made = registry.register_job_model(job=job, actor=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect_after_post(request, reverse("job_detail", args=[job.pk]))
    if isinstance(made, CandidateRefit):
        messages.success(
            request, f"Candidate #{made.trial.number} is being refitted on a worker; it is registered when done."
        )
        return redirect_after_post(request, reverse("job_detail", args=[job.pk]))
    messages.success(request, f"Registered as version {made.number}.")
    return redirect_after_post(request, reverse("model_detail", args=[made.pk]))


@login_required
@require_http_methods(["GET", "POST"])
def model_predict(request, pk):
    """A form generated from the version's inputs; posting it shows the prediction, the class
    probabilities and how each column pushed it (the result replaces itself under htmx)."""
    version = version_for(request, pk, "predict")
    context = project_page_context(request.user, version.project)
    typical = typical_row(version.input_schema)
    values = {c["name"]: _shown(typical.get(c["name"])) for c in version.input_schema}
    result = problems = error = None
    if request.method == "POST":
        values = {c["name"]: request.POST.get(c["name"], "").strip() for c in version.input_schema}
        row = {name: (value if value != "" else None) for name, value in values.items()}
        explain = version.problem_type != "clustering"
        try:
            result = predict.predict(version, [row], explain=explain, source="form", actor=request.user)
        except predict.InvalidInput as exc:
            problems = {p.column: p.message for p in exc.problems}
        except (ArtifactError, ValueError) as exc:
            error = str(exc)
    context.update(
        {
            "version": version,
            "fields": [_field(c, values.get(c["name"], "")) for c in version.input_schema],
            "result": _result_view(version, result) if result else None,
            "problems": problems,
            "error": error,
        }
    )
    status = 400 if problems or error else 200
    if wants_fragment(request, "prediction-result"):
        return render(request, "training/model_predict.html#result", context, status=status)
    return render(request, "training/model_predict.html", context, status=status)


def _shown(value) -> str:
    """A typical value as a form shows it (dates as YYYY-MM-DD)."""
    if value is None:
        return ""
    if hasattr(value, "date") and hasattr(value, "hour"):
        return value.date().isoformat() if not (value.hour or value.minute) else value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _field(column: dict, value: str) -> dict:
    if column["kind"] == "boolean" and value:
        value = "true" if value.lower() in ("1", "1.0", "true", "yes") else "false"
    return {**column, "value": value}


def _result_view(version: ModelVersion, result: dict) -> dict:
    value = result["predictions"][0]
    if isinstance(value, float):  # a regression's value: readable digits, the API keeps them all
        value = f"{value:,.2f}" if abs(value) >= 1 else f"{value:.4g}"
    view = {"prediction": value, "latency_ms": result["latency_ms"]}
    if "probabilities" in result:
        view["probabilities"] = sorted(result["probabilities"][0].items(), key=lambda kv: -kv[1])
    if result.get("explanations"):
        view["explanation"] = result["explanations"][0]
        # Every input at its typical value moves nothing: an empty chart would look broken.
        view["unmoved"] = not any(c["contribution"] for c in view["explanation"]["columns"])
    return view
