"""Dataset workflows in-process: creating, versioning, schema overrides, deleting."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.storage import default_storage

from datasets import preview, services
from datasets.models import Dataset, DatasetVersion
from tests import factories

pytestmark = pytest.mark.django_db


def test_an_upload_is_read_converted_and_profiled(project, owner):
    dataset = factories.make_dataset(project, owner, name="Customers")
    version = dataset.latest_version
    assert version.status == DatasetVersion.Status.READY, version.error
    assert (version.n_rows, version.n_columns) == (120, 6)
    assert version.raw_key.startswith(version.storage_prefix) and "customers" not in version.raw_key
    assert default_storage.exists(version.parquet_key) and default_storage.exists(version.profile_key)
    types = {c["name"]: c["type"] for c in version.columns}
    assert types["age"] == "numeric" and types["plan"] == "categorical" and types["signup_date"] == "datetime"
    profile = preview.load_profile(version)
    assert profile["dataset"]["n_rows"] == 120
    assert profile["suggestions"]["target"] == "churned"
    assert project.dataset_count == 1


def test_the_projects_target_column_is_marked_as_the_target(project, owner):
    project.target_column = "churned"
    project.save()
    version = factories.make_dataset(project, owner).latest_version
    assert version.target == "churned"
    assert preview.load_profile(version)["target"]["problem_type"] == "classification"


def test_a_refused_file_creates_nothing(project, owner):
    with pytest.raises(ValidationError) as error:
        factories.make_dataset(project, owner, name="Empty", content=b"")
    assert "empty" in str(error.value).lower()
    assert not Dataset.all_objects.exists()


def test_a_refused_new_version_is_recorded_as_failed_and_the_old_one_stays_readable(project, owner):
    dataset = factories.make_dataset(project, owner)
    with pytest.raises(ValidationError):
        services.add_version(
            actor=owner, dataset=dataset, upload=factories.uploaded_file(b"\x00\x01\x02" * 500, "x.csv")
        )
    dataset.refresh_from_db()
    failed = dataset.latest_version
    assert failed.number == 2 and failed.status == "failed" and failed.error
    assert not failed.raw_key
    assert dataset.ready_version().number == 1
    page = preview.read_page(dataset.ready_version(), limit=5)
    assert page["total"] == 120 and len(page["rows"]) == 5


def test_a_new_version_keeps_the_old_one(project, owner):
    dataset = factories.make_dataset(project, owner)
    version = services.add_version(
        actor=owner, dataset=dataset, upload=factories.uploaded_file("a,b\n1,2\n3,4\n", "small.csv")
    )
    factories.process_now(version)
    dataset.refresh_from_db()
    assert dataset.latest_version.number == 2 and dataset.latest_version.n_rows == 2
    assert dataset.versions.get(number=1).n_rows == 120


def test_schema_overrides_are_applied_and_profiled_again(project, owner):
    dataset = factories.make_dataset(project, owner)
    version = dataset.latest_version
    old_profile_key = version.profile_key
    services.update_schema(
        actor=owner,
        version=version,
        changes=[{"name": "age", "type": "categorical"}, {"name": "churned", "role": "target"}],
    )
    version.refresh_from_db()
    assert version.status == "processing"
    factories.process_now(version)
    assert version.status == "ready" and version.profile_key != old_profile_key
    assert not default_storage.exists(old_profile_key)
    profile = preview.load_profile(version)
    age = next(c for c in profile["columns"] if c["name"] == "age")
    assert age["type"] == "categorical"
    assert profile["target"]["name"] == "churned"
    # The data itself did not change: the preview shows the ages as categories now.
    page = preview.read_page(version, limit=1)
    assert isinstance(page["rows"][0][1], str)


def test_one_target_at_a_time(project, owner):
    version = factories.make_dataset(project, owner).latest_version
    services.update_schema(actor=owner, version=version, changes=[{"name": "churned", "role": "target"}])
    factories.process_now(version)
    services.update_schema(actor=owner, version=version, changes=[{"name": "plan", "role": "target"}])
    roles = {c["name"]: c["role"] for c in version.columns}
    assert roles["plan"] == "target" and roles["churned"] == "feature"


def test_schema_changes_are_validated(project, owner):
    version = factories.make_dataset(project, owner).latest_version
    with pytest.raises(ValidationError) as error:
        services.update_schema(actor=owner, version=version, changes=[{"name": "nope", "type": "numeric"}])
    assert "no such column" in str(error.value)
    with pytest.raises(ValidationError):
        services.update_schema(actor=owner, version=version, changes=[{"name": "age", "type": "float"}])
    with pytest.raises(ValidationError):
        services.update_schema(
            actor=owner,
            version=version,
            changes=[{"name": "age", "role": "target"}, {"name": "plan", "role": "target"}],
        )


def test_viewers_cannot_change_datasets(project, owner, viewer):
    dataset = factories.make_dataset(project, owner)
    with pytest.raises(PermissionDenied):
        services.update_schema(
            actor=viewer, version=dataset.latest_version, changes=[{"name": "age", "role": "ignore"}]
        )
    with pytest.raises(PermissionDenied):
        services.create_dataset(actor=viewer, project=project, name="x", upload=factories.uploaded_file("a\n1\n"))


def test_names_are_unique_in_a_project(project, owner):
    factories.make_dataset(project, owner, name="Sales")
    with pytest.raises(ValidationError) as error:
        factories.make_dataset(project, owner, name="sales")
    assert "already has a dataset" in str(error.value)


def test_hard_deleting_a_dataset_removes_its_files(project, owner, django_capture_on_commit_callbacks):
    dataset = factories.make_dataset(project, owner)
    keys = [dataset.latest_version.raw_key, dataset.latest_version.parquet_key, dataset.latest_version.profile_key]
    with django_capture_on_commit_callbacks(execute=True):
        Dataset.all_objects.filter(pk=dataset.pk).delete()
    assert not any(default_storage.exists(key) for key in keys)


def test_labels_are_harmless():
    assert services.clean_label("../../etc/passwd.csv") == "passwd.csv"
    assert services.clean_label("a\x00b.csv") == "ab.csv"
    assert len(services.clean_label("x" * 300 + ".csv")) <= 255
    assert services.clean_label("x" * 300 + ".csv").endswith(".csv")
    assert services.clean_label("") == "upload"


def test_sorted_pages_are_right_across_parquet_row_groups(project, owner):
    import random

    values = list(range(140_000))
    random.Random(7).shuffle(values)
    csv = "x,label\n" + "".join(f"{v}.5,{'ab'[v % 2]}\n" for v in values)
    version = factories.make_dataset(project, owner, content=csv, filename="big.csv").latest_version
    assert version.status == "ready", version.error
    page = preview.read_page(version, offset=69_990, limit=20, sort="x", descending=True)
    assert [row[0] for row in page["rows"]] == [v + 0.5 for v in range(140_000 - 69_991, 140_000 - 70_011, -1)]
    first = preview.read_page(version, offset=0, limit=3, sort="x")
    assert [row[0] for row in first["rows"]] == [0.5, 1.5, 2.5]
    assert [row[1] for row in first["rows"]] == ["a", "b", "a"]


def test_the_local_cache_of_remote_files_keeps_to_its_budget(settings, tmp_path):
    import os
    import time

    from datasets import storage

    settings.VAR_DIR = tmp_path
    settings.DATASET_CACHE_BYTES = 2500
    folder = storage.cache_dir()
    for age, name in enumerate(["old", "middle", "new"]):
        path = folder / name
        path.write_bytes(b"x" * 1000)
        stamp = time.time() - 100 + age
        os.utime(path, (stamp, stamp))
    storage.evict_cache(keep=folder / "old")
    assert sorted(p.name for p in folder.iterdir()) == ["new", "old"]


@pytest.mark.django_db(transaction=True)
def test_a_version_deleted_while_it_is_processed_stays_deleted(project, owner, monkeypatch):
    from datasets import processing

    dataset = factories.make_dataset(project, owner, process=False)
    version = dataset.latest_version
    real_read = processing.read_table

    def read_then_lose_the_row(*args, **kwargs):
        # An operator deletes the dataset for good while the worker is reading it.
        Dataset.all_objects.filter(pk=dataset.pk).delete()
        return real_read(*args, **kwargs)

    monkeypatch.setattr(processing, "read_table", read_then_lose_the_row)
    processing.run(version_id=version.pk, token=version.task_id)
    assert not DatasetVersion.objects.filter(pk=version.pk).exists()
    assert not default_storage.exists(version.key("data.parquet"))


@pytest.mark.django_db(transaction=True)
def test_the_heartbeat_beats_while_a_long_step_runs(project, owner):
    import time

    from datasets.processing import Heartbeat

    version = factories.make_dataset(project, owner, process=False).latest_version
    DatasetVersion.objects.filter(pk=version.pk).update(heartbeat_at=None)
    with Heartbeat(version.pk, every=0.05):
        time.sleep(0.4)
    version.refresh_from_db()
    assert version.heartbeat_at is not None


@pytest.mark.django_db(transaction=True)
def test_a_run_whose_message_was_lost_is_queued_again_not_failed(project, owner):
    from datetime import timedelta

    from django.utils import timezone

    from automl_site.celery import app
    from datasets import processing

    version = factories.make_dataset(project, owner, process=False).latest_version
    long_ago = timezone.now() - processing.STALE_AFTER - timedelta(minutes=1)
    DatasetVersion.objects.filter(pk=version.pk).update(heartbeat_at=long_ago)
    with app.connection_for_write() as conn:
        client = conn.default_channel.client
        before = client.llen("default")
        processing.fail_stalled()
        after = client.llen("default")
        client.delete("default")
    version.refresh_from_db()
    assert version.status == "processing" and version.heartbeat_at > long_ago
    assert after == before + 1


def test_two_requests_racing_for_one_name_get_the_same_message(project, owner, monkeypatch):
    # Both requests passed the friendly check before either saved: the database decides.
    factories.make_dataset(project, owner, name="Sales", process=False)
    monkeypatch.setattr(services, "_check_name_free", lambda *args, **kwargs: None)
    with pytest.raises(ValidationError) as error:
        factories.make_dataset(project, owner, name="SALES", process=False)
    assert "already has a dataset" in str(error.value)
    assert Dataset.objects.filter(project=project).count() == 1
