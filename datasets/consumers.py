"""Live processing progress of a dataset, pushed to its pages as HTML fragments."""

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer
from django.template.loader import render_to_string

from projects import permissions

from .models import Dataset, DatasetVersion
from .progress import progress_group


class DatasetProgressConsumer(AsyncWebsocketConsumer):
    """Sends the progress fragment of a dataset's version whenever the worker reports.

    On connect it sends the current state at once, so a page opened mid-run (or after a
    missed message) is never stale."""

    async def connect(self):
        self.dataset_id = int(self.scope["url_route"]["kwargs"]["dataset_id"])
        dataset = await self._visible_dataset()
        if dataset is None:
            await self.close(code=4403)
            return
        self.group = progress_group(self.dataset_id)
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()
        if dataset.latest_version_id:
            await self.send(text_data=await self._render(dataset.latest_version_id))

    async def disconnect(self, code):
        if hasattr(self, "group"):
            await self.channel_layer.group_discard(self.group, self.channel_name)

    @database_sync_to_async
    def _visible_dataset(self) -> Dataset | None:
        """The dataset, if it exists (not deleted) and the user may view it."""
        dataset = Dataset.objects.select_related("project__workspace").filter(pk=self.dataset_id).first()
        return dataset if permissions.can(self.scope.get("user"), "view", dataset) else None

    @database_sync_to_async
    def _render(self, version_id: int) -> str:
        # Access can be taken away while connected: check on every message.
        version = (
            DatasetVersion.objects.select_related("dataset__project__workspace")
            .filter(pk=version_id, dataset_id=self.dataset_id)
            .first()
        )
        if version is None or not permissions.can(self.scope.get("user"), "view", version.dataset):
            return ""
        may = {"change": permissions.can(self.scope.get("user"), "change", version.dataset)}
        context = {"version": version, "dataset": version.dataset, "live": True, "may": may}
        return render_to_string("datasets/includes/progress.html", context)

    async def version_update(self, message):
        html = await self._render(message["version_id"])
        if html:
            await self.send(text_data=html)
        elif await self._visible_dataset() is None:
            await self.close(code=4403)
