"""WebSocket routes. Every consumer checks the permission policy in connect()."""

from django.urls import path

from datasets.consumers import DatasetProgressConsumer
from projects.consumers import WorkspaceActivityConsumer
from training.consumers import JobConsumer

websocket_urlpatterns = [
    path(
        "ws/workspaces/<int:workspace_id>/activity/", WorkspaceActivityConsumer.as_asgi(), name="ws_workspace_activity"
    ),
    path("ws/datasets/<int:dataset_id>/progress/", DatasetProgressConsumer.as_asgi(), name="ws_dataset_progress"),
    path("ws/jobs/<int:job_id>/", JobConsumer.as_asgi(), name="ws_job"),
]
