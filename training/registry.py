"""Registry workflows: registering a job's model as the project's next version, moving and
removing aliases, and the notes of a version. Pages, the API, the worker and the admin call
these; each change is audited."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max

from projects.models import AuditEvent
from projects.services import audit

from .models import ModelAlias, ModelVersion, TrafficSplit, TrainingJob, Trial
from .results import holdout_metrics
from .versions import ALIAS_PATTERN

MAX_NOTES = 20_000


def _next_number(project) -> int:
    return (ModelVersion.objects.filter(project=project).aggregate(n=Max("number"))["n"] or 0) + 1


def output_schema(job: TrainingJob) -> dict:
    summary = job.summary or {}
    if job.problem_type == TrainingJob.ProblemType.CLASSIFICATION:
        return {
            "kind": "classes",
            "target": job.target,
            "classes": summary.get("classes", []),
            "positive_class": summary.get("positive_class"),
        }
    if job.problem_type == TrainingJob.ProblemType.REGRESSION:
        return {"kind": "value", "target": job.target}
    return {"kind": "cluster"}


def _input_schema(summary: dict) -> list[dict]:
    """The run's input schema; for a run from before schemas were kept, its features' names and
    kinds (no categories or ranges: any value of the right kind is accepted)."""
    if summary.get("input_schema"):
        return summary["input_schema"]
    return [{"name": f["name"], "kind": f["kind"], "missing": True} for f in summary.get("features", [])]


def register_job_model(*, job: TrainingJob, actor) -> ModelVersion:
    """The model a job kept, as the next version of its project's model; the same version
    again if it is registered already (the worker registers it when the job ends, a user may
    ask too)."""
    if not job.has_model:
        raise ValidationError("This job kept no model to register.")
    best: Trial | None = job.best_trial
    summary = job.summary or {}
    return create_version(
        job=job,
        trial=best,
        name=best.name if best else (summary.get("model") or {}).get("name", "Model"),
        metrics=holdout_metrics(job) or {},
        artifact=(job.artifact_key, job.artifact_sha256, job.artifact_size or 0),
        input_schema=_input_schema(summary),
        library_versions=(summary.get("model") or {}).get("versions", {}),
        actor=actor,
    )


def create_version(
    *,
    job: TrainingJob,
    trial: Trial | None,
    name: str,
    metrics: dict,
    artifact: tuple[str, str, int],
    input_schema: list,
    library_versions: dict,
    actor,
    evaluation_key: str = "",
) -> ModelVersion:
    """A stored model of `job` (its artifact key, SHA-256 and size) as the project's next version,
    audited; the existing version when that artifact is registered already."""
    key, sha256, size = artifact
    existing = ModelVersion.objects.filter(job=job, artifact_key=key).first()
    if existing:
        return existing
    for attempt in range(3):
        try:
            with transaction.atomic():
                version = ModelVersion.objects.create(
                    project=job.project,
                    number=_next_number(job.project),
                    name=name,
                    job=job,
                    trial=trial,
                    dataset_version=job.dataset_version,
                    problem_type=job.problem_type,
                    target=job.target,
                    metric=job.metric,
                    score=trial.score if trial else None,
                    metrics=metrics,
                    artifact_key=key,
                    artifact_sha256=sha256,
                    artifact_size=size,
                    artifact_format="skops" if key.endswith(".skops") else "joblib",
                    evaluation_key=evaluation_key,
                    input_schema=input_schema,
                    output_schema=output_schema(job),
                    library_versions=library_versions,
                    created_by=actor,
                )
                audit(
                    actor=actor,
                    action=AuditEvent.Action.REGISTER,
                    target=version,
                    changes={"version": version.number, "job": job.number, "model": version.name},
                )
            return version
        except IntegrityError:
            # Registered meanwhile (same artifact), or another version took the number: look again.
            existing = ModelVersion.objects.filter(job=job, artifact_key=key).first()
            if existing:
                return existing
            if attempt == 2:
                raise
    raise AssertionError("unreachable")


def clean_alias(name: str) -> str:
    name = (name or "").strip().lower()
    if not ALIAS_PATTERN.match(name):
        raise ValidationError(
            {"alias": "An alias is 1 to 40 lower-case letters, digits, “-” or “_”, starting with a letter."}
        )
    return name


def set_alias(*, version: ModelVersion, name: str, actor) -> ModelAlias:
    """Point alias `name` at `version` (creating it, or moving it from another version)."""
    name = clean_alias(name)
    with transaction.atomic():
        alias = ModelAlias.objects.select_for_update().filter(project=version.project, name=name).first()
        before = alias.version if alias else None
        if before is not None and before.pk == version.pk:
            return alias
        if alias is None:
            alias = ModelAlias.objects.create(project=version.project, name=name, version=version, updated_by=actor)
        else:
            alias.version, alias.updated_by = version, actor
            alias.save(update_fields=["version", "updated_by", "updated_at"])
        audit(
            actor=actor,
            action=AuditEvent.Action.ALIAS_SET,
            target=version,
            changes={"alias": name, "from": before.number if before else None, "to": version.number},
        )
    return alias


def remove_alias(*, project, name: str, actor, version: ModelVersion | None = None) -> None:
    """Remove alias `name` from the project; an alias that does not exist, or (with `version`)
    does not point at that version, is an error."""
    with transaction.atomic():
        alias = ModelAlias.objects.select_for_update().filter(project=project, name=(name or "").lower()).first()
        if version is not None and (alias is None or alias.version_id != version.pk):
            raise ValidationError({"alias": f"“{name}” does not point at version {version.number}."})
        if alias is None:
            raise ValidationError({"alias": f"There is no alias “{name}”."})
        version = alias.version
        alias.delete()
        audit(
            actor=actor,
            action=AuditEvent.Action.ALIAS_REMOVE,
            target=version,
            changes={"alias": alias.name, "from": version.number, "to": None},
        )


def update_notes(*, version: ModelVersion, notes: str, actor) -> ModelVersion:
    notes = (notes or "").replace("\x00", "").strip()
    if len(notes) > MAX_NOTES:
        raise ValidationError({"notes": f"Notes are at most {MAX_NOTES:,} characters."})
    if notes != version.notes:
        version.notes = notes
        version.save(update_fields=["notes"])
        audit(actor=actor, action=AuditEvent.Action.UPDATE, target=version, changes={"notes": "changed"})
    return version


def traffic_split(project) -> TrafficSplit:
    """The project's split (unsaved defaults, all to `production`, when none was set)."""
    return TrafficSplit.objects.filter(project=project).first() or TrafficSplit(project=project)


def set_traffic_split(*, project, alias: str, challenger_alias: str, challenger_percent: int, actor) -> TrafficSplit:
    """Serve `alias`, with `challenger_percent` % of requests going to `challenger_alias`."""
    alias = clean_alias(alias)
    challenger_alias = clean_alias(challenger_alias) if challenger_alias else ""
    if not 0 <= challenger_percent <= 100:
        raise ValidationError({"challenger_percent": "A share from 0 to 100 %."})
    if challenger_percent and not challenger_alias:
        raise ValidationError({"challenger_alias": "Name the alias that takes the challenger's share."})
    if challenger_alias == alias:
        raise ValidationError({"challenger_alias": "The challenger must be another alias."})
    split = traffic_split(project)
    before = str(split) if split.pk else None
    split.alias, split.challenger_alias = alias, challenger_alias
    split.challenger_percent, split.updated_by = challenger_percent if challenger_alias else 0, actor
    split.save()
    audit(actor=actor, action=AuditEvent.Action.UPDATE, target=project, changes={"traffic": [before, str(split)]})
    return split


def route(project, asked: str | None, draw: float) -> tuple[str, ModelVersion]:
    """(alias, version) answering a project-level request: the alias asked for, else the split
    (`draw` in [0, 1) decides between main and challenger). A missing alias is an error."""
    split = traffic_split(project)
    if asked:
        name = asked.strip().lower()
    elif split.challenger_alias and draw * 100 < split.challenger_percent:
        name = split.challenger_alias
    else:
        name = split.alias
    alias = ModelAlias.objects.select_related("version").filter(project=project, name=name).first()
    if alias is None:
        raise ValidationError({"alias": f"No version of this project's model is called “{name}”; set the alias first."})
    return name, alias.version
