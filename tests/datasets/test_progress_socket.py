"""The live progress WebSocket of a dataset: who may connect, and what they receive."""

import pytest
from asgiref.sync import async_to_sync
from asgiref.testing import ApplicationCommunicator
from django.test import Client

from datasets import processing
from datasets.models import DatasetVersion
from datasets.progress import ProgressReporter
from tests import factories


def _headers(user) -> list:
    headers = [(b"origin", b"http://testserver")]
    if user is not None:
        client = Client()
        client.force_login(user)
        headers.append((b"cookie", f"sessionid={client.cookies['sessionid'].value}".encode()))
    return headers


async def _connect(dataset_id: int, headers):
    from automl_site.asgi import application

    path = f"/ws/datasets/{dataset_id}/progress/"
    scope = {"type": "websocket", "path": path, "raw_path": path.encode(), "query_string": b"", "headers": headers}
    communicator = ApplicationCommunicator(application, {**scope, "subprotocols": [], "client": ("127.0.0.1", 1)})
    await communicator.send_input({"type": "websocket.connect"})
    answer = await communicator.receive_output(timeout=5)
    return communicator, answer["type"] == "websocket.accept", answer.get("code")


async def _receive_text(communicator) -> str:
    message = await communicator.receive_output(timeout=5)
    assert message["type"] == "websocket.send", message
    return message["text"]


async def _disconnect(communicator) -> None:
    await communicator.send_input({"type": "websocket.disconnect", "code": 1000})
    await communicator.wait(timeout=5)


@pytest.fixture
def processing_dataset(project, owner):
    return factories.make_dataset(project, owner, name="Live", process=False)


@pytest.mark.django_db(transaction=True)
def test_progress_is_pushed_live_to_a_viewer(processing_dataset, viewer):
    version = processing_dataset.latest_version
    headers = _headers(viewer)

    async def scenario():
        from channels.db import database_sync_to_async

        communicator, connected, _ = await _connect(processing_dataset.pk, headers)
        assert connected
        first = await _receive_text(communicator)
        await database_sync_to_async(processing.claim)(version.pk, version.task_id)
        fresh = await database_sync_to_async(DatasetVersion.objects.get)(pk=version.pk)
        await database_sync_to_async(ProgressReporter(fresh))(65, "Profiling")
        update = await _receive_text(communicator)
        await _disconnect(communicator)
        return first, update

    first, update = async_to_sync(scenario)()
    assert 'id="dataset-progress"' in first
    assert "Profiling" in update and "65" in update


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    "who, allowed",
    [
        ("owner", True),
        ("admin_user", True),
        ("editor", True),
        ("viewer", True),
        ("sharee", True),
        ("outsider", False),
        ("anonymous", False),
    ],
)
def test_who_may_watch_progress(processing_dataset, who, allowed, request):
    user = None if who == "anonymous" else request.getfixturevalue(who)
    headers = _headers(user)

    async def scenario():
        communicator, connected, code = await _connect(processing_dataset.pk, headers)
        await _disconnect(communicator)
        return connected, code

    connected, code = async_to_sync(scenario)()
    assert connected is allowed
    if not allowed:
        assert code == 4403


@pytest.mark.django_db(transaction=True)
def test_a_deleted_dataset_cannot_be_watched(processing_dataset, owner):
    processing_dataset.soft_delete(by=owner)
    headers = _headers(owner)

    async def scenario():
        communicator, connected, code = await _connect(processing_dataset.pk, headers)
        await _disconnect(communicator)
        return connected, code

    assert async_to_sync(scenario)() == (False, 4403)
