"""WebSocket routes. Every consumer checks the permission policy in connect()."""

from django.urls import path

from projects.consumers import WorkspaceActivityConsumer

websocket_urlpatterns = [
    path(
        "ws/workspaces/<int:workspace_id>/activity/", WorkspaceActivityConsumer.as_asgi(), name="ws_workspace_activity"
    ),
]
