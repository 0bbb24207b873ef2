"""The REST API under /api/v1/. Every route is named (namespace "api") so that the permission
matrix test can enumerate them; nested routes carry their parent's id in the prefix."""

from django.urls import path
from rest_framework.routers import SimpleRouter

from accounts.api import MeViewSet, TokenViewSet
from datasets.api import DatasetVersionViewSet, DatasetViewSet, SqlConnectionViewSet
from projects.api import AuditViewSet, InvitationViewSet, MemberViewSet, ProjectViewSet, ShareViewSet, WorkspaceViewSet
from training.api import AlgorithmViewSet, JobViewSet
from training.batch_api import BatchPredictionViewSet
from training.registry_api import ModelVersionViewSet, ProjectPredictViewSet, TrafficViewSet

app_name = "api"

# Path converters (not regexes), so ids are typed as integers in the URL and in the schema.
router = SimpleRouter(use_regex_path=False)
router.register("tokens", TokenViewSet, basename="token")
router.register("workspaces", WorkspaceViewSet, basename="workspace")
router.register("workspaces/<int:workspace_pk>/members", MemberViewSet, basename="workspace-member")
router.register("workspaces/<int:workspace_pk>/invitations", InvitationViewSet, basename="workspace-invitation")
router.register("workspaces/<int:workspace_pk>/audit", AuditViewSet, basename="workspace-audit")
router.register("projects", ProjectViewSet, basename="project")
router.register("projects/<int:project_pk>/shares", ShareViewSet, basename="project-share")
router.register("datasets", DatasetViewSet, basename="dataset")
router.register("datasets/<int:dataset_pk>/versions", DatasetVersionViewSet, basename="dataset-version")
router.register("sql-connections", SqlConnectionViewSet, basename="sql-connection")
router.register("jobs", JobViewSet, basename="job")
router.register("algorithms", AlgorithmViewSet, basename="algorithm")
router.register("models", ModelVersionViewSet, basename="model")
router.register("batch-predictions", BatchPredictionViewSet, basename="batch-prediction")
router.register("projects/<int:project_pk>/predict", ProjectPredictViewSet, basename="project-predict")
router.register("projects/<int:project_pk>/traffic", TrafficViewSet, basename="project-traffic")

urlpatterns = [
    path("me/", MeViewSet.as_view({"get": "retrieve", "patch": "partial_update"}), name="me-detail"),
    *router.urls,
]
