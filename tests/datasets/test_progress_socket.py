"""The live progress WebSocket of a dataset: who may connect, and what they receive."""

import pytest
from asgiref.sync import async_to_sync

from datasets import processing
from datasets.models import DatasetVersion
from datasets.progress import ProgressReporter
from tests import factories
from tests.websocket import connect, disconnect, receive_text, ws_headers


def _connect(dataset_id: int, headers):
    return connect(f"/ws/datasets/{dataset_id}/progress/", headers)


@pytest.fixture
def processing_dataset(project, owner):
    return factories.make_dataset(project, owner, name="Live", process=False)


@pytest.mark.django_db(transaction=True)
def test_progress_is_pushed_live_to_a_viewer(processing_dataset, viewer):
    version = processing_dataset.latest_version
    headers = ws_headers(viewer)

    async def scenario():
        from channels.db import database_sync_to_async

        communicator, connected, _ = await _connect(processing_dataset.pk, headers)
        assert connected
        first = await receive_text(communicator)
        await database_sync_to_async(processing.claim)(version.pk, version.task_id)
        fresh = await database_sync_to_async(DatasetVersion.objects.get)(pk=version.pk)
        await database_sync_to_async(ProgressReporter(fresh))(65, "Profiling")
        update = await receive_text(communicator)
        await disconnect(communicator)
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
    headers = ws_headers(user)

    async def scenario():
        communicator, connected, code = await _connect(processing_dataset.pk, headers)
        await disconnect(communicator)
        return connected, code

    connected, code = async_to_sync(scenario)()
    assert connected is allowed
    if not allowed:
        assert code == 4403


@pytest.mark.django_db(transaction=True)
def test_a_deleted_dataset_cannot_be_watched(processing_dataset, owner):
    processing_dataset.soft_delete(by=owner)
    headers = ws_headers(owner)

    async def scenario():
        communicator, connected, code = await _connect(processing_dataset.pk, headers)
        await disconnect(communicator)
        return connected, code

    assert async_to_sync(scenario)() == (False, 4403)


@pytest.mark.django_db(transaction=True)
def test_a_quiet_socket_still_gets_the_next_update(processing_dataset, owner):
    """Processing can go quiet for a while (a long query, a big profile): the connection to
    the channel layer must outlast Redis's blocking read, not time out and drop the page."""
    import asyncio

    version = processing_dataset.latest_version
    headers = ws_headers(owner)

    async def scenario():
        from channels.db import database_sync_to_async

        communicator, connected, _ = await _connect(processing_dataset.pk, headers)
        assert connected
        await receive_text(communicator)
        await asyncio.sleep(7)
        await database_sync_to_async(processing.claim)(version.pk, version.task_id)
        fresh = await database_sync_to_async(DatasetVersion.objects.get)(pk=version.pk)
        await database_sync_to_async(ProgressReporter(fresh))(80, "Saving")
        update = await receive_text(communicator)
        await disconnect(communicator)
        return update

    assert "Saving" in async_to_sync(scenario)()
