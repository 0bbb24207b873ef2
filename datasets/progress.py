"""Live progress of a dataset's processing, pushed to the pages that show the dataset.

The version row holds the truth (status, progress, stage); the channel message only says
"look again", so a lost message loses nothing and a page that connects late renders the row.
"""

from __future__ import annotations

import logging
import time

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer

from .models import DatasetVersion

log = logging.getLogger(__name__)


def progress_group(dataset_id: int) -> str:
    return f"dataset-{dataset_id}-progress"


def broadcast(version: DatasetVersion) -> None:
    """Tell the dataset's open pages that `version` changed."""
    try:
        async_to_sync(get_channel_layer().group_send)(
            progress_group(version.dataset_id), {"type": "version.update", "version_id": version.pk}
        )
    except Exception as exc:  # processing must not fail because Redis blinked
        log.warning("Could not broadcast progress of version %s: %s", version.pk, exc)


class ProgressReporter:
    """Called with (percent, stage) by the processing steps; stores and broadcasts it.

    Calls closer than `interval` seconds apart are stored but not broadcast, except the first
    and any stage change, so a tight loop cannot flood the channel layer."""

    def __init__(self, version: DatasetVersion, *, interval: float = 0.25):
        self.version = version
        self.interval = interval
        self._last_sent = 0.0
        self._last_stage = ""

    def __call__(self, percent: int, stage: str) -> None:
        self.version.set_progress(percent, stage)
        now = time.monotonic()
        if stage != self._last_stage or now - self._last_sent >= self.interval:
            self._last_sent = now
            self._last_stage = stage
            broadcast(self.version)
