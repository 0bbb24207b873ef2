"""The S3 storage path for real: a local S3-compatible server (moto's server mode), the web
server and a worker configured for it by environment variables, as in production.

Deleting a dataset for good is checked in this process, with the same S3 settings swapped in:
the hard delete (an operator's, from the admin) runs the same signal wherever it runs, and
this process can reach the bucket just as well as the web process.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import pytest
from django.conf import settings

from datasets.models import Dataset, DatasetVersion
from tests import processes

from .conftest import live_csv, media_files, ragged_late_csv

# The web server and worker outlive each test's flush; reset sequences so the content types
# they cached keep their ids on PostgreSQL (guardian refuses a stale one).
pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True, reset_sequences=True)]


@pytest.fixture(scope="module")
def s3_worker(s3_server, django_db_setup, django_db_blocker):
    with django_db_blocker.unblock(), processes.celery_worker(queues="default", env=s3_server["env"]) as proc:
        yield proc


@pytest.fixture(scope="module")
def s3_web(s3_server, django_db_setup, django_db_blocker):
    with django_db_blocker.unblock(), processes.web_server(env=s3_server["env"]) as url:
        yield url


def bucket_keys(s3_server, prefix: str) -> list[str]:
    listing = s3_server["client"].list_objects_v2(Bucket=s3_server["bucket"], Prefix=prefix)
    return sorted(item["Key"] for item in listing.get("Contents", []))


def storage_cache_path(key: str) -> Path:
    """Where a process keeps its local copy of a stored file (see datasets/storage.py)."""
    return Path(settings.VAR_DIR) / "cache" / "datasets" / hashlib.sha256(key.encode()).hexdigest()


def latest(dataset_id: int) -> DatasetVersion:
    return DatasetVersion.objects.filter(dataset_id=dataset_id).order_by("-number").first()


def test_an_upload_is_stored_and_processed_in_s3(s3_server, s3_worker, s3_web, live_api, project, owner):
    api = live_api(s3_web, owner)
    dataset_id = api.create(project.pk, "Customers", live_csv(2_000), "customers.csv")
    answer = api.wait_finished(dataset_id)
    assert answer["status"] == "ready", answer
    assert answer["n_rows"] == 2_000

    version = latest(dataset_id)
    prefix = version.storage_prefix
    keys = bucket_keys(s3_server, prefix)
    assert len(keys) == 3, keys
    assert f"{prefix}source.csv" in keys and f"{prefix}data.parquet" in keys
    assert version.profile_key in keys
    assert re.fullmatch(re.escape(prefix) + r"profile-[0-9a-f]+\.json", version.profile_key)
    # Nothing of it went to the local media folder, and the worker kept no copy of the source.
    assert media_files(prefix) == []
    assert not storage_cache_path(version.raw_key).exists()

    # The web process reads the rows through its local cache of the Parquet copy (the worker
    # wrote that copy from a temporary file and keeps no cached one).
    status, page = api.get(f"/api/v1/datasets/{dataset_id}/preview/?offset=10&limit=5")
    assert status == 200, page
    assert page["total"] == 2_000
    assert len(page["rows"]) == 5
    assert [str(row[0]) for row in page["rows"]] == ["10", "11", "12", "13", "14"]
    assert storage_cache_path(version.parquet_key).exists()

    status, profile = api.get(f"/api/v1/datasets/{dataset_id}/profile/")
    assert status == 200 and profile["dataset"]["n_rows"] == 2_000


def test_a_failed_version_leaves_nothing_in_the_bucket(s3_server, s3_worker, s3_web, live_api, project, owner):
    api = live_api(s3_web, owner)
    dataset_id = api.create(project.pk, "Ragged", ragged_late_csv(), "ragged.csv")
    answer = api.wait_finished(dataset_id)
    assert answer["status"] == "failed"
    assert re.search(r"Line 149,?000\b", answer["error"]), answer["error"]
    assert bucket_keys(s3_server, latest(dataset_id).storage_prefix) == []


def test_deleting_a_dataset_for_good_removes_its_objects(
    s3_server, s3_worker, s3_web, live_api, project, owner, settings
):
    api = live_api(s3_web, owner)
    dataset_id = api.create(project.pk, "Short-lived", live_csv(500), "short.csv")
    assert api.wait_finished(dataset_id)["status"] == "ready"
    prefix = latest(dataset_id).storage_prefix
    assert len(bucket_keys(s3_server, prefix)) == 3

    # A soft delete (what users do) keeps the files, so an operator can restore the dataset.
    status, _ = api.request("DELETE", f"/api/v1/datasets/{dataset_id}/")
    assert status == 204
    assert len(bucket_keys(s3_server, prefix)) == 3

    env = s3_server["env"]
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": {
                "bucket_name": env["AWS_STORAGE_BUCKET_NAME"],
                "endpoint_url": env["AWS_S3_ENDPOINT_URL"],
                "region_name": env["AWS_S3_REGION_NAME"],
                "access_key": env["AWS_ACCESS_KEY_ID"],
                "secret_key": env["AWS_SECRET_ACCESS_KEY"],
                "default_acl": None,
                "file_overwrite": False,
            },
        },
    }
    Dataset.all_objects.get(pk=dataset_id).delete()
    assert bucket_keys(s3_server, prefix) == []
