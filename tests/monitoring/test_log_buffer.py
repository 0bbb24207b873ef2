"""API prediction logs are written in bulk by a background thread: every request is logged once,
and nothing waits in the request for the database."""

import threading
import time

import pytest

from monitoring import receivers
from monitoring.models import PredictionLog
from tests import factories
from training import services as training_services
from training.signals import prediction_made

pytestmark = pytest.mark.django_db(transaction=True)


def test_concurrent_requests_are_all_logged_in_bulk(settings, project, owner):
    settings.PREDICTION_LOG_FLUSH_S = 0.2
    dataset = factories.make_dataset(project, owner, "Customers")
    job = training_services.create_job(actor=owner, project=project, dataset=dataset, target="churned")
    version = factories.make_model_version(job, owner)

    def request(n):
        for i in range(25):
            result = {"predictions": [n * 100 + i], "latency_ms": 1.0}
            prediction_made.send(
                sender=None, version=version, rows=[{"i": i}], result=result, source="api", actor=owner
            )

    threads = [threading.Thread(target=request, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    deadline = time.monotonic() + 10
    while PredictionLog.objects.count() < 200 and time.monotonic() < deadline:
        time.sleep(0.05)
    logged = sorted(p for (p,) in PredictionLog.objects.values_list("outputs__predictions"))
    assert logged == sorted([n * 100 + i] for n in range(8) for i in range(25))
    assert receivers.buffer.flush() == 0  # nothing left behind
