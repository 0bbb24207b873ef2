"""Small factories for tests: real rows through the real services."""

import itertools

from accounts.models import ApiToken, User
from projects import services
from projects.models import Membership, Project, Workspace

_seq = itertools.count(1)
PASSWORD = "correct-horse-battery-staple"


def make_user(email: str | None = None, **extra) -> User:
    email = email or f"user{next(_seq)}@example.com"
    return User.objects.create_user(email=email, password=PASSWORD, **extra)


def make_workspace(owner: User, name: str | None = None) -> Workspace:
    return services.create_workspace(actor=owner, name=name or f"Workspace {next(_seq)}")


def add_member(workspace: Workspace, user: User, role: str) -> Membership:
    return Membership.objects.create(workspace=workspace, user=user, role=role)


def make_project(workspace: Workspace, actor: User, name: str | None = None, **data) -> Project:
    return services.create_project(actor=actor, workspace=workspace, name=name or f"Project {next(_seq)}", **data)


def make_token(user: User, name: str = "test") -> str:
    return ApiToken.issue(user=user, name=name)[1]


SAMPLE_CSV = "customer_id,age,plan,monthly_fee,signup_date,churned\n" + "".join(
    f"{i},{20 + i % 50},{('basic', 'pro', 'team')[i % 3]},{9.5 + (i % 7) * 5},2024-0{1 + i % 9}-1{i % 10},"
    f"{'yes' if i % 4 == 0 else 'no'}\n"
    for i in range(1, 121)
)


def uploaded_file(content: bytes | str, name: str = "customers.csv"):
    """An upload as Django's handlers deliver it: a temporary file on disk."""
    from django.core.files.uploadedfile import TemporaryUploadedFile

    data = content.encode() if isinstance(content, str) else content
    upload = TemporaryUploadedFile(name, "application/octet-stream", len(data), None)
    upload.write(data)
    upload.seek(0)
    return upload


def process_now(version) -> None:
    """Run a version's processing in this process, as the worker would (the queued task is
    never sent inside a test transaction)."""
    from datasets import processing

    version.refresh_from_db()
    processing.run(version_id=version.pk, token=version.task_id)
    version.refresh_from_db()


def make_dataset(
    project: Project,
    actor: User,
    name: str | None = None,
    content: bytes | str = SAMPLE_CSV,
    filename: str = "customers.csv",
    process: bool = True,
):
    """A dataset from `content`, processed to ready (or failed) unless `process` is False."""
    from datasets import services as dataset_services

    dataset = dataset_services.create_dataset(
        actor=actor, project=project, name=name or f"Dataset {next(_seq)}", upload=uploaded_file(content, filename)
    )
    if process:
        process_now(dataset.latest_version)
        dataset.refresh_from_db()
    return dataset


def make_model_version(job, actor, *, content: bytes = b"not a real model", **extra):
    """A registered version of `job`'s project with a stored artifact of `content`, for tests
    that need a version to exist (the registry tests register real ones)."""
    import hashlib

    from datasets import storage
    from training.models import ModelVersion

    key = job.key(f"artifact-{next(_seq)}.joblib")
    storage.save_stream(key, [content])
    number = ModelVersion.objects.filter(project=job.project).count() + 1
    params = {
        "project": job.project,
        "number": number,
        "name": "Logistic regression",
        "job": job,
        "dataset_version": job.dataset_version,
        "problem_type": job.problem_type,
        "target": job.target,
        "metric": job.metric,
        "artifact_key": key,
        "artifact_sha256": hashlib.sha256(content).hexdigest(),
        "artifact_size": len(content),
        "created_by": actor,
    }
    params.update(extra)
    return ModelVersion.objects.create(**params)


def make_batch(version, actor, *, content: bytes = b"id,prediction\n1,yes\n"):
    """A finished batch prediction of `version` with a stored result of `content`."""
    from django.utils import timezone

    from datasets import storage
    from training.models import BatchPrediction

    batch = BatchPrediction(
        project=version.project,
        version=version,
        source_name="scored.csv",
        source_key="",
        status=BatchPrediction.Status.SUCCEEDED,
        progress=100,
        rows=1,
        created_by=actor,
        started_at=timezone.now(),
        finished_at=timezone.now(),
    )
    batch.result_key = f"{batch.storage_prefix}predictions.csv"
    batch.result_size = len(content)
    storage.save_stream(batch.result_key, [content])
    batch.save()
    return batch
