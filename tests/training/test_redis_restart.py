"""A Redis restart in the middle of a job (the broker and the channel layer both live there)
ends the job cleanly one way or the other: finished or failed with a reason, never stuck.

The test runs its own Redis and a worker pointed at it, so that restarting it disturbs
nothing else the suite uses."""

from __future__ import annotations

import shutil
import tempfile
import time
from pathlib import Path

import pytest
from celery import Celery

from automl_site import embedded_redis
from automl_site.settings import _celery_broker_url
from tests import processes
from training import services
from training.models import JobEvent, TrainingJob

from .jobs import ready_buyers
from .test_worker import wait_finished

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True, reset_sequences=True)]


@pytest.fixture
def private_redis():
    folder = Path(tempfile.mkdtemp(prefix="automl-r-"))
    socket_path = folder / "redis.sock"
    proc = embedded_redis.start(socket_path)
    state = {"proc": proc, "socket": socket_path}
    yield state
    embedded_redis.stop(state["proc"], socket_path)
    shutil.rmtree(folder, ignore_errors=True)


def test_a_redis_restart_mid_job_ends_the_job_cleanly(django_db_blocker, private_redis, project, owner):
    dataset = ready_buyers(project, owner)
    url = f"unix://{private_redis['socket']}"
    job = services.create_job(actor=owner, project=project, dataset=dataset, target="bought", time_budget_s=30)
    broker = Celery("private", broker=_celery_broker_url(url), set_as_current=False)
    worker = processes.celery_worker(queues="training", env={"REDIS_URL": url}, control_app=broker)
    with django_db_blocker.unblock(), worker:
        broker.send_task("training.run_job", args=[job.pk, job.token], queue="training")
        deadline = time.monotonic() + 60
        while job.trials.count() < 2:
            assert time.monotonic() < deadline, f"the job did not start: {TrainingJob.objects.get(pk=job.pk).status}"
            time.sleep(0.2)
        before = JobEvent.objects.filter(job=job).count()
        embedded_redis.stop(private_redis["proc"], private_redis["socket"])
        time.sleep(2)
        private_redis["proc"] = embedded_redis.start(private_redis["socket"])
        job = wait_finished(job.pk, 90)
        broker.close()
    assert job.status in ("succeeded", "failed"), job.status
    if job.status == "succeeded":
        assert job.has_model and job.best_trial is not None
    else:
        assert job.error
    assert JobEvent.objects.filter(job=job).count() > before  # the log went on through the restart
