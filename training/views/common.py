"""What every training page shares: fetching a job through the policy, the leaderboard rows,
and the page context."""

from __future__ import annotations

from django.http import Http404, HttpRequest

from automl_site.api import MAX_ID
from projects import permissions
from projects.views.common import project_page_context

from ..automl.metrics import METRICS
from ..models import TrainingJob


def job_for(request: HttpRequest, pk: int, action: str = "view") -> TrainingJob:
    """The job, through the permission policy: 404 if unseen, 403 if seen but not allowed."""
    if pk > MAX_ID:
        raise Http404("Not found.")
    queryset = TrainingJob.objects.select_related(
        "project__workspace", "dataset", "dataset_version", "best_trial", "created_by"
    )
    return permissions.get_object_for_user(request.user, queryset, action, pk=pk)


def leaderboard_context(job: TrainingJob, user) -> dict:
    trials = job.ranked_trials()
    metric = METRICS[job.metric]
    # While the search runs, the top of the board is the best so far; once it ended, the best is
    # the model kept (none after a discard or a failure, another one after a failed refit).
    best = next((t for t in trials if t.rank == 1), None) if job.is_active else job.best_trial
    return {
        "job": job,
        "trials": trials,
        "metric": metric,
        "best": best,
        "scored": sum(1 for t in trials if t.rank),
        "may_compare": len(trials) > 1,
    }


def job_page_context(request: HttpRequest, job: TrainingJob, tab: str) -> dict:
    context = project_page_context(request.user, job.project)
    context.update(
        {
            "job": job,
            "tab": tab,
            "metric": METRICS[job.metric],
            "share_role": permissions.share_role(request.user, job.project),
        }
    )
    return context


def metric_rows(job: TrainingJob, values: dict) -> list[dict]:
    """The metric tiles: each known metric's label and value, the optimised one marked."""
    rows = []
    for name, value in values.items():
        metric = METRICS.get(name)
        if metric is not None:
            rows.append(
                {
                    "name": name,
                    "label": metric.label,
                    "value": value,
                    "optimised": name == job.metric,
                    "higher": metric.greater_is_better,
                }
            )
    return rows
