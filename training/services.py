"""Workflows on training jobs: start one (checked before anything is queued), cancel one,
and the advice the wizard shows before a job starts.

Pages, the API, the admin and commands call these. Each checks the permission policy for its
actor; a job is queued only once the transaction commits.
"""

from __future__ import annotations

import logging
import uuid

from celery import current_app
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max

from datasets.models import Dataset, DatasetVersion
from projects.models import AuditEvent, Project
from projects.services import _require, audit

from .automl import STRATEGIES, estimate_memory, memory_message
from .automl import catalog as engine_catalog
from .automl.budget import KEEP_ALLOWANCE_S
from .automl.metrics import METRICS, default_metric
from .automl.recommend import recommend
from .columns import column_facts, feature_columns, task_for_target
from .models import TrainingJob
from .reporter import announce_status
from .runner import cores

log = logging.getLogger(__name__)

TASKS = ("classification", "regression", "clustering")
BALANCE = ("auto", "weights", "off")
MAX_SEED = 2**31 - 1


def budget_bounds() -> tuple[int, int]:
    return settings.TRAINING_MIN_BUDGET_S, settings.TRAINING_MAX_BUDGET_S


def _check_editable(project: Project) -> None:
    if project.status == Project.Status.ARCHIVED:
        raise ValidationError("This project is archived; unarchive it to train models.")


def _version(dataset: Dataset, version: DatasetVersion | None) -> DatasetVersion:
    if version is not None:
        if version.dataset_id != dataset.pk:
            raise ValidationError({"dataset_version": "This version belongs to another dataset."})
        if not version.is_ready:
            raise ValidationError(
                {"dataset_version": f"Version {version.number} is not ready ({version.get_status_display().lower()})."}
            )
        return version
    ready = dataset.ready_version()
    if ready is None:
        raise ValidationError(
            {"dataset": f"“{dataset.name}” has no ready version yet; wait for its processing to finish."}
        )
    return ready


def _features(facts: dict[str, dict], target: str, validation: dict | None = None) -> list[dict]:
    return feature_columns(list(facts.values()), target, validation)


def resolve_task(facts: dict[str, dict], target: str, requested: str) -> str:
    """The problem type: as asked, or (auto) from the target's type and values."""
    if requested != "auto":
        return requested
    if not target:
        return "clustering"
    fact = facts.get(target)
    if fact is None:
        raise ValidationError({"target": f"The dataset has no column named “{target}”."})
    task = task_for_target(fact)
    if task is None:
        raise ValidationError(
            {"target": f"“{target}” is a {fact['type']} column, which cannot be predicted; choose another target."}
        )
    return task


def clean_options(
    facts: dict[str, dict], *, task: str, target: str, metric: str | None, options: dict | None, budget: int | None
) -> tuple[str, int, dict]:
    """Validate everything a job is started with; return (metric, budget, options) or raise
    ValidationError with a message per field."""
    options = dict(options or {})
    errors: dict[str, str] = {}
    low, high = budget_bounds()
    budget = settings.TRAINING_DEFAULT_BUDGET_S if budget in (None, "") else budget
    try:
        budget = int(budget)
        if not low <= budget <= high:
            errors["time_budget_s"] = f"Choose a budget between {low} and {high:,} seconds."
    except (TypeError, ValueError):
        errors["time_budget_s"] = "The budget is a whole number of seconds."
    n_classes = 0
    if task == "classification":
        n_classes = int((facts.get(target) or {}).get("distinct") or 2)
    metric = metric or default_metric(task, n_classes)
    if metric not in METRICS or METRICS[metric].task != task:
        choices = ", ".join(m for m, d in METRICS.items() if d.task == task)
        errors["metric"] = f"“{metric}” is not a {task} metric. Choose one of: {choices}."
    validation = dict(options.get("validation") or {})
    strategy = validation.get("strategy") or "kfold"
    if strategy not in STRATEGIES:
        errors["validation"] = f"Unknown validation “{strategy}”; choose one of {', '.join(STRATEGIES)}."
    try:
        folds = int(validation.get("folds") or 5)
        if not 2 <= folds <= 20:
            errors["validation"] = "Use between 2 and 20 folds."
    except (TypeError, ValueError):
        errors["validation"] = "The number of folds is a whole number."
        folds = 5
    column_name = validation.get("column") or ""
    if strategy in ("time", "group"):
        column = facts.get(column_name)
        if column is None:
            errors["validation"] = f"Choose the {'date' if strategy == 'time' else 'group'} column for this validation."
        elif strategy == "time" and column["type"] != "datetime":
            errors["validation"] = f"“{column_name}” is not a date/time column; time-ordered validation needs one."
        elif column_name == target:
            errors["validation"] = "The target cannot also be the validation column."
    else:
        column_name = ""
    families = [str(f) for f in options.get("families") or []]
    known = engine_catalog.families_for(task)
    unknown = [f for f in families if f not in known]
    if unknown:
        errors["families"] = f"Unknown families for {task}: {', '.join(unknown)}. Choose from: {', '.join(known)}."
    algorithms = [str(a) for a in options.get("algorithms") or []]
    offered = {a.key for a in engine_catalog.for_task(task) if a.family != "baseline"}
    strangers = [a for a in algorithms if a not in offered]
    if strangers:
        errors["algorithms"] = (
            f"Unknown algorithms for {task}: {', '.join(strangers[:5])}. The catalog at /algorithms/ lists their keys."
        )
    try:
        seed = int(options.get("seed") or 0)
        if not 0 <= seed <= MAX_SEED:
            raise ValueError
    except (TypeError, ValueError):
        errors["seed"] = f"The seed is a whole number from 0 to {MAX_SEED}."
        seed = 0
    max_trials = options.get("max_trials")
    if max_trials not in (None, ""):
        try:
            max_trials = int(max_trials)
            if not 1 <= max_trials <= 100_000:
                raise ValueError
        except (TypeError, ValueError):
            errors["max_trials"] = "The trial limit is a whole number from 1 to 100,000."
    else:
        max_trials = None
    try:
        test_fraction = float(options.get("test_fraction", 0.2))
        if not 0 <= test_fraction <= 0.5:
            raise ValueError
    except (TypeError, ValueError):
        errors["test_fraction"] = "The holdout share is a number from 0 to 0.5."
        test_fraction = 0.2
    balance = options.get("balance") or "auto"
    if balance not in BALANCE:
        errors["balance"] = f"Class balancing is one of {', '.join(BALANCE)}."
    if errors:
        raise ValidationError(errors)
    clean = {
        "validation": {"strategy": strategy, "folds": folds, "column": column_name},
        "families": families,
        **({"algorithms": algorithms} if algorithms else {}),
        "seed": seed,
        "max_trials": max_trials,
        "test_fraction": test_fraction,
        "balance": balance,
        "ensemble": bool(options.get("ensemble", True)),
    }
    if options.get("positive_class") not in (None, ""):
        clean["positive_class"] = str(options["positive_class"])[:200]
    return metric, budget, clean


def _check_target(facts: dict[str, dict], task: str, target: str, validation: dict) -> None:
    if task == "clustering":
        if target:
            raise ValidationError({"target": "Clustering needs no target; leave it empty."})
    else:
        column = facts.get(target) if target else None
        if not target:
            raise ValidationError({"target": "Choose the column to predict."})
        if column is None:
            raise ValidationError({"target": f"The dataset has no column named “{target}”."})
        if task_for_target(column) is None:
            raise ValidationError(
                {
                    "target": f"“{target}” is a {column['type']} column, which cannot be predicted; "
                    "choose another target."
                }
            )
        if task == "regression" and column["type"] != "numeric":
            raise ValidationError({"target": f"“{target}” is not numeric; regression needs a numeric target."})
        if task == "classification" and (column.get("distinct") or 0) > 1000:
            raise ValidationError(
                {
                    "target": f"“{target}” has {column['distinct']:,} distinct values: too many classes. "
                    "Is it a regression target?"
                }
            )
    if not _features(facts, target, validation):
        raise ValidationError(
            {"target": "No feature columns are left; set some columns' role to “feature” in the Schema tab."}
        )


def memory_needed(version: DatasetVersion, facts: dict[str, dict], target: str, validation: dict | None = None) -> int:
    columns = [(c["type"], int(c.get("distinct") or 0)) for c in _features(facts, target, validation)]
    return estimate_memory(version.n_rows or 0, columns, n_jobs=cores())


def _memory_limit() -> int:
    import psutil

    return settings.TRAINING_MEMORY_BYTES or psutil.virtual_memory().total


def _next_number(project: Project) -> int:
    return (TrainingJob.objects.filter(project=project).aggregate(n=Max("number"))["n"] or 0) + 1


def create_job(
    *,
    actor,
    project: Project,
    dataset: Dataset,
    target: str = "",
    problem_type: str = "auto",
    metric: str | None = None,
    time_budget_s: int | None = None,
    options: dict | None = None,
    dataset_version: DatasetVersion | None = None,
) -> TrainingJob:
    """Check and queue a training job. Nothing is created when something is wrong."""
    _require(actor, "change", project)
    _check_editable(project)
    if dataset.project_id != project.pk:
        raise ValidationError({"dataset": "This dataset belongs to another project."})
    version = _version(dataset, dataset_version)
    if problem_type not in (*TASKS, "auto"):
        raise ValidationError({"problem_type": f"Choose one of: auto, {', '.join(TASKS)}."})
    target = (target or "").strip()
    facts = column_facts(version)
    task = resolve_task(facts, target, problem_type)
    _check_target(facts, task, target, (options or {}).get("validation") or {})
    metric, budget, clean = clean_options(
        facts, task=task, target=target, metric=metric, options=options, budget=time_budget_s
    )
    needed = memory_needed(version, facts, target, clean["validation"])
    limit = _memory_limit()
    if needed > limit:
        raise ValidationError({"dataset": memory_message(needed, limit)})
    for attempt in range(3):
        try:
            with transaction.atomic():
                job = TrainingJob.objects.create(
                    project=project,
                    dataset=dataset,
                    dataset_version=version,
                    number=_next_number(project),
                    target=target,
                    problem_type=task,
                    requested_problem_type=problem_type,
                    metric=metric,
                    time_budget_s=budget,
                    options=clean,
                    estimated_memory=needed,
                    created_by=actor,
                )
                _queue(job)
                audit(
                    actor=actor,
                    action=AuditEvent.Action.CREATE,
                    target=job,
                    changes={"dataset": dataset.name, "target": target, "problem_type": task, "budget_s": budget},
                )
            return job
        except IntegrityError:  # two jobs started at once took the same number
            if attempt == 2:
                raise
    raise AssertionError("unreachable")


def _queue(job: TrainingJob) -> None:
    from .tasks import enqueue

    job.mark_queued(uuid.uuid4().hex)
    announce_on_commit(
        job,
        f"Queued: {job.get_problem_type_display().lower()} on “{job.dataset.name}” v{job.dataset_version.number}"
        f"{' predicting “' + job.target + '”' if job.target else ''}, {METRICS[job.metric].label}, "
        f"budget {job.time_budget_s} s.",
    )
    transaction.on_commit(lambda: enqueue(job))


def announce_on_commit(job: TrainingJob, message: str, level: str = "info") -> None:
    announce_status(job, message, level=level, on_commit=True)


def cancel_job(*, actor, job: TrainingJob, mode: str = TrainingJob.Cancel.KEEP) -> TrainingJob:
    """Ask a job to stop: "keep" ends the search and keeps the best model so far, "discard"
    stops at once. A queued job is cancelled at once; a running one stops between steps, or
    is stopped by force after a grace period."""
    _require(actor, "change", job.project)
    if mode not in (TrainingJob.Cancel.KEEP, TrainingJob.Cancel.DISCARD):
        raise ValidationError({"mode": "Choose “keep” (stop and keep the best so far) or “discard”."})
    if not job.request_cancel(mode):
        job.refresh_from_db()
        raise ValidationError(f"This job has already {job.get_status_display().lower()}.")
    audit(actor=actor, action=AuditEvent.Action.CANCEL, target=job, changes={"mode": mode})
    who = actor.display_name
    not_started = (TrainingJob.Status.PENDING, TrainingJob.Status.QUEUED)
    if job.mark_cancelled("Cancelled before it started.", only_from=not_started):
        current_app.control.revoke(job.token)
        announce_on_commit(job, f"Cancelled by {who} before it started.", "warning")
        return job
    # A worker has it (perhaps since a moment ago): ask it to stop, and make sure it does.
    verb = "keep the best model so far" if mode == TrainingJob.Cancel.KEEP else "discard the results"
    announce_on_commit(job, f"{who} asked to stop and {verb}.", "warning")
    from .tasks import enforce_cancel

    grace = settings.TRAINING_CANCEL_GRACE_S
    if mode == TrainingJob.Cancel.KEEP:
        grace += KEEP_ALLOWANCE_S + 15  # the engine's refit-and-evaluate allowance, then some
    transaction.on_commit(lambda: enforce_cancel.apply_async(args=[job.pk], countdown=grace))
    return job


def force_cancel(*, job_id: int) -> bool:
    """After the grace period: if the job still runs, kill its worker process and end it."""
    job = TrainingJob.objects.filter(pk=job_id).first()
    if job is None or job.is_finished:
        return False
    current_app.control.revoke(job.token, terminate=True, signal="SIGKILL")
    if job.mark_cancelled("Stopped by force: the job did not stop by itself within the grace period."):
        announce_status(job, "Stopped by force after the grace period.", level="warning")
        return True
    return False


def advice(
    *, version: DatasetVersion, target: str, problem_type: str, budget_s: int, options: dict | None = None
) -> dict:
    """What the wizard shows before starting: the resolved task, the families it recommends
    (accuracy, speed, interpretability), the time estimate and the memory estimate."""
    facts = column_facts(version)
    task = resolve_task(facts, target, problem_type)
    low, high = budget_bounds()
    budget_s = max(low, min(high, int(budget_s)))
    validation = (options or {}).get("validation") or {}
    features = _features(facts, target if task != "clustering" else "", validation)
    kinds: dict[str, int] = {}
    for column in features:
        kinds[column["type"]] = kinds.get(column["type"], 0) + 1
    n_classes = 0
    if task == "classification":
        n_classes = int((facts.get(target) or {}).get("distinct") or 2)
    folds = int(((options or {}).get("validation") or {}).get("folds") or 5)
    result = recommend(
        task=task,
        n_rows=version.n_rows or 0,
        kinds=kinds,
        n_classes=n_classes,
        budget_s=budget_s,
        n_jobs=cores(),
        folds=folds,
    )
    needed = memory_needed(version, facts, target if task != "clustering" else "", validation)
    limit = _memory_limit()
    result.update(
        {
            "task": task,
            "metric": default_metric(task, n_classes or 2),
            "n_features": len(features),
            "kinds": kinds,
            "memory": {"needed": needed, "limit": limit, "fits": needed <= limit},
        }
    )
    return result
