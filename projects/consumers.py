"""Live workspace activity: new audit events pushed to the audit log page."""

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer
from django.template.loader import render_to_string

from . import permissions
from .models import AuditEvent, Workspace


def activity_group(workspace_id: int) -> str:
    return f"workspace-{workspace_id}-activity"


class WorkspaceActivityConsumer(AsyncWebsocketConsumer):
    """Streams each new audit event of a workspace as an HTML row (htmx ws extension)."""

    async def connect(self):
        self.workspace_id = int(self.scope["url_route"]["kwargs"]["workspace_id"])
        if not await self._allowed():
            await self.close(code=4403)
            return
        self.group = activity_group(self.workspace_id)
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()

    async def disconnect(self, code):
        if hasattr(self, "group"):
            await self.channel_layer.group_discard(self.group, self.channel_name)

    @database_sync_to_async
    def _allowed(self) -> bool:
        workspace = Workspace.objects.filter(pk=self.workspace_id).first()
        return permissions.can(self.scope.get("user"), "view_audit", workspace)

    @database_sync_to_async
    def _render(self, event_id: int) -> str:
        # Permission can change while connected (a demoted admin): check on every event.
        workspace = Workspace.objects.filter(pk=self.workspace_id).first()
        if not permissions.can(self.scope.get("user"), "view_audit", workspace):
            return ""
        event = AuditEvent.objects.select_related("actor").filter(pk=event_id, workspace_id=self.workspace_id).first()
        if event is None:
            return ""
        return render_to_string("projects/audit_log.html#audit-row-oob", {"event": event})

    async def audit_event(self, message):
        html = await self._render(message["event_id"])
        if html:
            await self.send(text_data=html)
        else:
            await self.close(code=4403)
