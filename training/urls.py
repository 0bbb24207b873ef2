"""Training pages: jobs of a project, the wizard, one job (live, results, evaluation, compare)
and the algorithm catalog."""

from django.urls import path

from .views import job, jobs

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
    path("algorithms/", job.algorithm_list, name="algorithm_list"),
]
