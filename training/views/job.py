"""The pages of one training job: live view and results, the polling fallback of the live
view, the log as a text file, cancelling, the evaluation, side-by-side comparison, and the
algorithm catalog."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from projects.views.common import redirect_after_post, wants_fragment

from .. import candidates, live, services
from ..automl import catalog
from ..automl.metrics import METRICS
from ..models import CandidateRefit, JobEvent, ModelVersion, TrainingJob
from ..reporter import event_payload
from ..results import load_results
from .common import job_for, job_page_context, leaderboard_context, metric_rows

MAX_COMPARE = 6
PAGE_LOG_LINES = 2000


@login_required
@require_GET
def job_detail(request, pk):
    job = job_for(request, pk, "view")
    context = job_page_context(request, job, "overview")
    context.update(leaderboard_context(job, request.user))
    # The page shows the latest lines; the downloadable log has them all.
    events = list(JobEvent.objects.filter(job=job).order_by("-id")[:PAGE_LOG_LINES])[::-1]
    zone = live.user_zone(request.user)
    context["events"] = [live.event_message(event_payload(e), request.user, zone)["html"] for e in events]
    context["last_event_id"] = events[-1].pk if events else 0
    context["hidden_lines"] = (
        JobEvent.objects.filter(job=job).count() - len(events) if len(events) == PAGE_LOG_LINES else 0
    )
    results = load_results(job) if job.has_model else None
    context["evaluation"] = (results or {}).get("evaluation")
    context["holdout_metrics"] = metric_rows(job, (context["evaluation"] or {}).get("metrics") or {})
    context["refits"] = list(CandidateRefit.objects.filter(job=job).select_related("trial", "version"))
    context["refits_active"] = any(refit.is_active for refit in context["refits"])
    context["registered"] = {
        v.trial_id: v for v in ModelVersion.objects.filter(job=job, trial__isnull=False).only("pk", "number", "trial")
    }
    context["kept_version"] = job.kept_version()
    context["registering"] = context["may"]["change"] and candidates.accepts(job)
    if wants_fragment(request, "refits"):
        return render(request, "training/job_detail.html#refits", context)
    return render(request, "training/job_detail.html", context)


@login_required
@require_GET
def job_live(request, pk):
    """The live view's messages after `?after=N`, for pages whose WebSocket is unavailable."""
    job = job_for(request, pk, "view")
    raw = request.GET.get("after", "0")
    after = int(raw) if raw.isdigit() and len(raw) < 19 else 0
    return JsonResponse({"messages": live.replay(job, request.user, after)})


@login_required
@require_GET
def job_log(request, pk):
    """The whole log as plain text, for download."""
    job = job_for(request, pk, "view")
    zone = live.user_zone(request.user)
    lines = [
        f"{e.created_at.astimezone(zone):%Y-%m-%d %H:%M:%S} {e.level.upper():7} {e.message}"
        for e in JobEvent.objects.filter(job=job).order_by("id")
    ]
    response = HttpResponse("\n".join(lines) + "\n", content_type="text/plain; charset=utf-8")
    stamp = timezone.now().strftime("%Y%m%d-%H%M%S")
    response["Content-Disposition"] = f'attachment; filename="job-{job.project_id}-{job.number}-log-{stamp}.txt"'
    return response


@login_required
@require_POST
def job_cancel(request, pk):
    job = job_for(request, pk, "change")
    mode = request.POST.get("mode", TrainingJob.Cancel.KEEP)
    try:
        services.cancel_job(actor=request.user, job=job, mode=mode)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        if mode == TrainingJob.Cancel.DISCARD:
            messages.success(request, "Stopping the job; its results will be discarded.")
        else:
            messages.success(request, "Stopping the search; the best model so far is being kept.")
    return redirect_after_post(request, reverse("job_detail", args=[job.pk]))


@login_required
@require_GET
def job_evaluation(request, pk):
    job = job_for(request, pk, "view")
    context = job_page_context(request, job, "evaluation")
    results = load_results(job) if job.has_model else None
    context["results"] = results
    context["evaluation"] = (results or {}).get("evaluation")
    context["holdout_metrics"] = metric_rows(job, (context["evaluation"] or {}).get("metrics") or {})
    context["summary"] = job.summary or {}
    return render(request, "training/evaluation.html", context)


@login_required
@require_GET
def job_compare(request, pk):
    job = job_for(request, pk, "view")
    context = job_page_context(request, job, "compare")
    trials = job.ranked_trials()
    wanted = [int(n) for n in request.GET.getlist("trials") if n.isdigit() and len(n) < 10]
    by_number = {t.number: t for t in trials}
    chosen = [by_number[n] for n in dict.fromkeys(wanted) if n in by_number][:MAX_COMPARE]
    if len(chosen) < 2:
        chosen = [t for t in trials if t.rank][:3] if not wanted else chosen
    metric_names = list(dict.fromkeys(name for t in chosen for name in (t.metrics or {})))
    params = list(dict.fromkeys(name for t in chosen for name in (t.params or {})))
    context.update(
        {
            "trials": trials,
            "chosen": chosen,
            "chosen_numbers": [t.number for t in chosen],
            "metric_rows": [
                {
                    "best": _best_index([(t.metrics or {}).get(n) for t in chosen], METRICS.get(n)),
                    "name": n,
                    "label": METRICS[n].label if n in METRICS else n,
                    "values": [(t.metrics or {}).get(n) for t in chosen],
                    "higher": METRICS[n].greater_is_better if n in METRICS else True,
                }
                for n in metric_names
            ],
            "param_rows": [{"name": p, "values": [(t.params or {}).get(p, "—") for t in chosen]} for p in params],
            "too_few": len(chosen) < 2,
            "max_compare": MAX_COMPARE,
        }
    )
    return render(request, "training/compare.html", context)


def _best_index(values: list, metric) -> int | None:
    """Which of `values` is best for `metric` (None when none can be compared)."""
    scored = [(i, v) for i, v in enumerate(values) if isinstance(v, int | float)]
    if metric is None or len(scored) < 2:
        return None
    return min(scored, key=lambda item: metric.loss(item[1]))[0]


@login_required
@require_GET
def algorithm_list(request):
    task = request.GET.get("task", "")
    family = request.GET.get("family", "")
    algorithms = [
        a for a in catalog.CATALOG.values() if (not task or a.task == task) and (not family or a.family == family)
    ]
    counts = {t: len(catalog.for_task(t)) for t in ("classification", "regression", "clustering")}
    context = {
        "algorithms": [a.describe() for a in algorithms],
        "task": task if task in counts else "",
        "family": family,
        "families": sorted({a.family for a in catalog.CATALOG.values()}, key=lambda f: catalog.FAMILIES.get(f, f)),
        "family_labels": catalog.FAMILIES,
        "counts": counts,
        "total": len(catalog.CATALOG),
    }
    return render(request, "training/algorithms.html", context)
