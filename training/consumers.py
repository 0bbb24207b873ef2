"""The live view of a training job over a WebSocket: `/ws/jobs/{id}/?after=N`.

`connect()` checks the permission policy (only users who may view the project), then replays
the stored events after N (all of them for a new page; only the missed ones after a
reconnect), then streams new events, progress, leaderboard updates and state changes as they
happen. Access is checked again every few seconds while connected."""

from __future__ import annotations

import json
import time
from urllib.parse import parse_qs

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer

from . import live
from .reporter import job_group

RECHECK_S = 5.0


class JobConsumer(AsyncWebsocketConsumer):
    async def connect(self):
        self.job_id = int(self.scope["url_route"]["kwargs"]["job_id"])
        self.user = self.scope.get("user")
        self.checked = 0.0
        if not await self._allowed():
            await self.close(code=4403)
            return
        self.group = job_group(self.job_id)
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()
        for message in await self._replay(_after(self.scope)):
            await self._send(message)

    async def disconnect(self, code):
        if hasattr(self, "group"):
            await self.channel_layer.group_discard(self.group, self.channel_name)

    async def _send(self, message: dict) -> None:
        await self.send(text_data=json.dumps(message))

    @database_sync_to_async
    def _allowed(self) -> bool:
        self.checked = time.monotonic()
        return live.visible_job(self.user, self.job_id) is not None

    async def _still_allowed(self) -> bool:
        """Access can be taken away while connected: look again every few seconds."""
        if time.monotonic() - self.checked < RECHECK_S:
            return True
        if await self._allowed():
            return True
        await self.close(code=4403)
        return False

    @database_sync_to_async
    def _replay(self, after: int) -> list[dict]:
        job = live.visible_job(self.user, self.job_id)
        return live.replay(job, self.user, after) if job else []

    @database_sync_to_async
    def _job_message(self, kind: str) -> dict | None:
        job = live.visible_job(self.user, self.job_id)
        if job is None:
            return None
        if kind == "progress":
            return live.progress_message(job)
        if kind == "leaderboard":
            return live.leaderboard_message(job, self.user)
        return live.state_message(job)

    # --- group messages (sent by the job's reporter) -----------------------------------------
    async def job_event(self, message):
        if await self._still_allowed():
            await self._send(await database_sync_to_async(live.event_message)(message["event"], self.user))

    async def job_progress(self, message):
        if await self._still_allowed():
            await self._send({**(await self._job_message("progress") or {}), "type": "progress"})

    async def job_leaderboard(self, message):
        if await self._still_allowed():
            reply = await self._job_message("leaderboard")
            if reply:
                await self._send(reply)

    async def job_state(self, message):
        if await self._still_allowed():
            for kind in ("progress", "leaderboard", "state"):
                reply = await self._job_message(kind)
                if reply:
                    await self._send(reply)


def _after(scope) -> int:
    values = parse_qs(scope.get("query_string", b"").decode()).get("after", ["0"])
    return int(values[0]) if values[0].isdigit() and len(values[0]) < 19 else 0
