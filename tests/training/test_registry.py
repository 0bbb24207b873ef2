"""The model registry: a job's kept model becomes the project's next version with everything
needed to use it; aliases promote and roll back, and every move is in the audit log."""

import pytest
from django.core.exceptions import ValidationError

from projects.models import AuditEvent
from tests.training import data, jobs
from training import registry
from training.models import ModelAlias, ModelVersion


def test_a_finished_job_registers_its_model_as_the_next_version(finished_job, owner):
    (version,) = ModelVersion.objects.filter(project=finished_job.project)
    assert version.number == 1 and version.job == finished_job and version.trial == finished_job.best_trial
    assert (version.artifact_key, version.artifact_sha256) == (finished_job.artifact_key, finished_job.artifact_sha256)
    assert version.dataset_version == finished_job.dataset_version and version.created_by == owner
    assert version.name == finished_job.best_trial.name and version.metrics["roc_auc"] > 0.5
    assert version.output_schema == {
        "kind": "classes",
        "target": "bought",
        "classes": [False, True],  # "yes"/"no" in the file: the dataset reads it as a boolean
        "positive_class": True,
    }
    schema = {column["name"]: column for column in version.input_schema}
    assert set(schema) == {"income", "plan", "region", "signup_date"}
    assert schema["income"]["kind"] == "numeric" and schema["income"]["min"] < schema["income"]["max"]
    assert set(schema["plan"]["categories"]) == set(data.PLANS) and not schema["plan"]["open"]
    assert schema["signup_date"]["min"] < schema["signup_date"]["max"]
    assert "scikit-learn" in version.library_versions
    assert "Registered as version 1" in " ".join(finished_job.events.values_list("message", flat=True))
    # Registering again (a user asking after the worker did) gives the same version back.
    assert registry.register_job_model(job=finished_job, actor=owner) == version
    assert ModelVersion.objects.count() == 1


def test_versions_are_numbered_within_the_project(engine_run, project, owner, buyers):
    folder, result, _ = engine_run
    first = jobs.finish_job(jobs.make_job(project, owner, buyers), result, folder)
    second = jobs.finish_job(jobs.make_job(project, owner, buyers), result, folder)
    numbers = {v.job_id: v.number for v in ModelVersion.objects.all()}
    assert numbers == {first.pk: 1, second.pk: 2}


def test_aliases_promote_and_roll_back_with_an_audit_trail(engine_run, project, owner, editor, buyers):
    folder, result, _ = engine_run
    v1 = jobs.finish_job(jobs.make_job(project, owner, buyers), result, folder).model_versions.get()
    v2 = jobs.finish_job(jobs.make_job(project, owner, buyers), result, folder).model_versions.get()
    registry.set_alias(version=v1, name="production", actor=owner)
    registry.set_alias(version=v2, name="Production", actor=editor)  # names are case-insensitive
    assert ModelAlias.objects.get(project=project, name="production").version == v2
    registry.set_alias(version=v1, name="production", actor=owner)  # the rollback
    registry.set_alias(version=v1, name="production", actor=owner)  # already there: no move
    registry.set_alias(version=v2, name="challenger", actor=owner)
    assert v1.alias_names == ["production"] and v2.alias_names == ["challenger"]
    moves = AuditEvent.objects.filter(action=AuditEvent.Action.ALIAS_SET).order_by("pk")
    assert [(m.actor_email, m.changes["alias"], m.changes["from"], m.changes["to"]) for m in moves] == [
        (owner.email, "production", None, 1),
        (editor.email, "production", 1, 2),
        (owner.email, "production", 2, 1),
        (owner.email, "challenger", None, 2),
    ]
    registry.remove_alias(project=project, name="challenger", actor=owner)
    assert not ModelAlias.objects.filter(name="challenger").exists()
    removed = AuditEvent.objects.get(action=AuditEvent.Action.ALIAS_REMOVE)
    assert removed.changes == {"alias": "challenger", "from": 2, "to": None}


@pytest.mark.parametrize("name", ["", "1st", "has space", "x" * 41, "prod!"])
def test_a_bad_alias_name_is_refused(finished_job, owner, name):
    version = finished_job.model_versions.get()
    with pytest.raises(ValidationError, match="lower-case letters"):
        registry.set_alias(version=version, name=name, actor=owner)
    assert not ModelAlias.objects.exists()


def test_removing_an_alias_that_does_not_exist_says_so(project, owner):
    with pytest.raises(ValidationError, match="no alias"):
        registry.remove_alias(project=project, name="production", actor=owner)


def test_notes_are_kept_and_audited(finished_job, owner):
    version = finished_job.model_versions.get()
    registry.update_notes(version=version, notes="  For ranking leads only; not for credit decisions.  ", actor=owner)
    version.refresh_from_db()
    assert version.notes == "For ranking leads only; not for credit decisions."
    assert AuditEvent.objects.filter(action=AuditEvent.Action.UPDATE, target_type="modelversion").count() == 1
    with pytest.raises(ValidationError, match="at most"):
        registry.update_notes(version=version, notes="x" * 20_001, actor=owner)


def test_a_run_without_an_input_schema_still_registers_a_usable_one(finished_job, owner):
    from training.automl.inputs import InputChecker

    finished_job.model_versions.all().delete()
    summary = {k: v for k, v in finished_job.summary.items() if k != "input_schema"}
    type(finished_job).objects.filter(pk=finished_job.pk).update(summary=summary)
    finished_job.refresh_from_db()
    version = registry.register_job_model(job=finished_job, actor=owner)
    kinds = {c["name"]: c["kind"] for c in version.input_schema}
    assert kinds == {"income": "numeric", "plan": "categorical", "region": "categorical", "signup_date": "datetime"}
    frame = InputChecker(version.input_schema).frame([{"income": 1, "plan": "new", "region": "x", "signup_date": None}])
    assert list(frame["plan"]) == ["new"]  # no list of categories: any value is accepted
