"""The plumbing every later feature stands on, with real processes: a task runs on a real
Celery worker and its answer comes back through the real Redis channel layer; the ASGI
app serves HTTP under uvicorn."""

import asyncio
import os
import urllib.request

import pytest
from channels.layers import get_channel_layer

from automl_site.celery import app
from automl_site.tasks import ping

from . import processes


@pytest.fixture(scope="module")
def worker(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock(), processes.celery_worker() as proc:
        yield proc


@pytest.mark.worker
def test_task_on_a_real_worker_answers_through_the_channel_layer(worker):
    layer = get_channel_layer()

    async def round_trip():
        channel = await layer.new_channel()
        ping.delay(channel, "hello from the test")
        return await asyncio.wait_for(layer.receive(channel), timeout=30)

    message = asyncio.run(round_trip())
    assert message["type"] == "worker.pong"
    assert message["payload"] == "hello from the test"
    worker_pid = int(message["worker"].rsplit(":", 1)[1])
    assert worker_pid != os.getpid()


def test_celery_is_configured_for_reliability():
    conf = app.conf
    assert conf.task_serializer == "json" and conf.accept_content == ["json"]
    assert conf.task_acks_late is True
    assert conf.task_reject_on_worker_lost is True
    assert conf.worker_prefetch_multiplier == 1


@pytest.mark.django_db(transaction=True)
def test_asgi_app_serves_http_under_uvicorn():
    with processes.web_server() as url:
        with urllib.request.urlopen(url + "/healthz/", timeout=5) as response:  # noqa: S310
            body = response.read().decode()
        assert response.status == 200
        assert '"database": "ok"' in body and '"redis": "ok"' in body
