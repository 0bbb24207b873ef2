"""Site-wide tasks: a round trip through a worker and the channel layer, for health checks."""

import os
import socket

from asgiref.sync import async_to_sync
from celery import shared_task
from channels.layers import get_channel_layer


@shared_task(name="automl_site.tasks.ping")
def ping(reply_channel: str, payload: str = "") -> None:
    """Answer on `reply_channel` through the channel layer, naming the worker that ran."""
    async_to_sync(get_channel_layer().send)(
        reply_channel,
        {"type": "worker.pong", "payload": payload, "worker": f"{socket.gethostname()}:{os.getpid()}"},
    )
