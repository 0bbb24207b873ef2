"""Dataset pages: the list and ingestion (upload, SQL import, versions) and exploration tabs."""

from django.urls import path

from .views import explore, ingest

urlpatterns = [
    # In a project
    path("projects/<int:pk>/datasets/", ingest.dataset_list, name="dataset_list"),
    path("projects/<int:pk>/datasets/upload/", ingest.dataset_upload, name="dataset_upload"),
    path("projects/<int:pk>/datasets/import-sql/", ingest.dataset_import_sql, name="dataset_import_sql"),
    path("projects/<int:pk>/connections/new/", ingest.connection_create, name="sql_connection_create"),
    path("projects/<int:pk>/connections/test/", ingest.connection_test, name="sql_connection_test"),
    path("connections/<int:pk>/delete/", ingest.connection_delete, name="sql_connection_delete"),
    # One dataset: ingestion side
    path("datasets/<int:pk>/upload/", ingest.dataset_new_version, name="dataset_new_version"),
    path("datasets/<int:pk>/versions/", ingest.dataset_versions, name="dataset_versions"),
    path("datasets/<int:pk>/progress/", ingest.dataset_progress, name="dataset_progress"),
    path("datasets/<int:pk>/edit/", ingest.dataset_edit, name="dataset_edit"),
    path("datasets/<int:pk>/delete/", ingest.dataset_delete, name="dataset_delete"),
    # One dataset: exploration tabs
    path("datasets/<int:pk>/", explore.dataset_detail, name="dataset_detail"),
    path("datasets/<int:pk>/rows/", explore.dataset_rows, name="dataset_rows"),
    path("datasets/<int:pk>/schema/", explore.dataset_schema, name="dataset_schema"),
    path("datasets/<int:pk>/profile/", explore.dataset_profile, name="dataset_profile"),
    path("datasets/<int:pk>/charts/", explore.dataset_charts, name="dataset_charts"),
]
