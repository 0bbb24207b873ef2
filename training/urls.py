"""Training pages: jobs of a project, the wizard, one job (live, results, evaluation, compare),
the algorithm catalog, the model registry (versions, model card, aliases, download) and batch
predictions."""

from django.urls import path

from .views import batches, job, jobs, models

urlpatterns = [
    path("projects/<int:pk>/jobs/", jobs.job_list, name="job_list"),
    path("projects/<int:pk>/jobs/new/", jobs.job_create, name="job_create"),
    path("projects/<int:pk>/jobs/new/advice/", jobs.job_advice, name="job_advice"),
    path("jobs/<int:pk>/", job.job_detail, name="job_detail"),
    path("jobs/<int:pk>/live/", job.job_live, name="job_live"),
    path("jobs/<int:pk>/log.txt", job.job_log, name="job_log"),
    path("jobs/<int:pk>/cancel/", job.job_cancel, name="job_cancel"),
    path("jobs/<int:pk>/evaluation/", job.job_evaluation, name="job_evaluation"),
    path("jobs/<int:pk>/compare/", job.job_compare, name="job_compare"),
    path("jobs/<int:pk>/register/", models.job_register, name="job_register"),
    path("algorithms/", job.algorithm_list, name="algorithm_list"),
    path("projects/<int:pk>/models/", models.model_list, name="model_list"),
    path("projects/<int:pk>/models/traffic/", models.model_traffic, name="model_traffic"),
    path("models/<int:pk>/", models.model_detail, name="model_detail"),
    path("models/<int:pk>/notes/", models.model_notes, name="model_notes"),
    path("models/<int:pk>/alias/", models.model_alias, name="model_alias"),
    path("models/<int:pk>/alias/remove/", models.model_alias_remove, name="model_alias_remove"),
    path("models/<int:pk>/download/", models.model_download, name="model_download"),
    path("models/<int:pk>/predict/", models.model_predict, name="model_predict"),
    path("models/<int:pk>/batch/", batches.model_batch, name="model_batch"),
    path("predictions/<int:pk>/", batches.batch_detail, name="batch_detail"),
    path("predictions/<int:pk>/download/", batches.batch_download, name="batch_download"),
    path("predictions/<int:pk>/delete/", batches.batch_delete, name="batch_delete"),
]
