"""API for training jobs (start, list, read, cancel, events, trials, evaluation, advice) and the
algorithm catalog. Jobs go through `PolicyViewSet` and change only through
`training.services`, the same workflows the pages use."""

from __future__ import annotations

from django.conf import settings
from django.db.models import Prefetch
from django_filters import rest_framework as filters
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.filters import OrderingFilter
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from automl_site.api import IdFilter, PolicyFilterBackend, PolicyViewSet

from . import candidates, services
from .automl import catalog
from .models import CandidateRefit, JobEvent, TrainingJob, Trial
from .registry import register_job_model
from .registry_api import ModelVersionSerializer
from .results import holdout_metrics, load_results
from .serializers import (
    AdviceParamsSerializer,
    CancelSerializer,
    EventsPageSerializer,
    EventsParamsSerializer,
    JobCreateSerializer,
    JobEventSerializer,
    JobSerializer,
    RefitSerializer,
    RegisterSerializer,
    TrialSerializer,
)

NO_RESULTS = OpenApiResponse(
    OpenApiTypes.OBJECT, description="The job has no evaluation (not finished, or it kept no model)."
)


class JobFilter(filters.FilterSet):
    project = IdFilter(field_name="project_id", help_text="Only jobs of this project.")
    dataset = IdFilter(field_name="dataset_id", help_text="Only jobs on this dataset.")
    status = filters.ChoiceFilter(choices=TrainingJob.Status.choices)

    class Meta:
        model = TrainingJob
        fields = ["project", "dataset", "status"]


@extend_schema(tags=["training"])
class JobViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, PolicyViewSet):
    """Training jobs of the projects you can see. Starting and cancelling need editor rights."""

    serializer_class = JobSerializer
    filter_backends = [PolicyFilterBackend, filters.DjangoFilterBackend, OrderingFilter]
    filterset_class = JobFilter
    ordering_fields = ["created_at", "number", "status"]
    policy_actions = {"cancel": "change", "register": "change"}

    def get_queryset(self):
        trials = Trial.objects.only(
            "id",
            "job_id",
            "number",
            "name",
            "algorithm",
            "family",
            "score",
            "score_std",
            "fit_time",
            "predict_time",
            "status",
        )
        return TrainingJob.objects.select_related(
            "project", "dataset", "dataset_version", "best_trial", "created_by"
        ).prefetch_related(Prefetch("trials", queryset=trials))

    def filter_queryset(self, queryset):
        if self.action == "list":
            return super().filter_queryset(queryset)
        return PolicyFilterBackend().filter_queryset(self.request, queryset, self)

    def get_serializer_context(self):
        context = super().get_serializer_context()
        context["list"] = self.action == "list"
        return context

    def represent(self, job: TrainingJob, code: int = status.HTTP_200_OK) -> Response:
        fresh = self.get_queryset().get(pk=job.pk)
        context = {**self.get_serializer_context(), "evaluations": {fresh.pk: holdout_metrics(fresh)}}
        return Response(JobSerializer(fresh, context=context).data, status=code)

    def retrieve(self, request, *args, **kwargs):
        return self.represent(self.get_object())

    @extend_schema(
        request=JobCreateSerializer,
        responses={201: JobSerializer},
        summary="Start a training job",
        description="Checks everything first (dataset ready, target, metric, budget, validation, memory) and "
        "queues the job; nothing is created when something is wrong. Poll the job, or read its events.",
    )
    def create(self, request, *args, **kwargs):
        params = JobCreateSerializer(data=request.data, context=self.get_serializer_context())
        params.is_valid(raise_exception=True)
        data = params.validated_data
        job = services.create_job(
            actor=request.user,
            project=data["project"],
            dataset=data["dataset"],
            dataset_version=data.get("dataset_version"),
            target=data.get("target", ""),
            problem_type=data.get("problem_type", "auto"),
            metric=data.get("metric"),
            time_budget_s=data.get("time_budget_s"),
            options=params.job_options(),
        )
        return self.represent(job, status.HTTP_201_CREATED)

    @extend_schema(request=CancelSerializer, responses={200: JobSerializer}, summary="Stop a job")
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        job = self.get_object()
        params = CancelSerializer(data=request.data)
        params.is_valid(raise_exception=True)
        services.cancel_job(actor=request.user, job=job, mode=params.validated_data["mode"])
        return self.represent(job)

    @extend_schema(
        request=RegisterSerializer,
        responses={201: ModelVersionSerializer, 200: ModelVersionSerializer, 202: RefitSerializer},
        summary="Register the job's model, or any candidate, as the project's next version",
        description="Without `trial`: the model the job kept (the worker registers it when the job ends; this "
        "does it again if that failed). With `trial`: that leaderboard candidate; the kept one is registered at "
        "once, any other is refitted on a worker first (202 with the refit to follow at `refits`). A model "
        "registered already is returned as it is (200).",
    )
    @action(detail=True, methods=["post"])
    def register(self, request, pk=None):
        job = self.get_object()
        params = RegisterSerializer(data=request.data)
        params.is_valid(raise_exception=True)
        number = params.validated_data.get("trial")
        before = set(job.model_versions.values_list("pk", flat=True))
        if number is None:
            made = register_job_model(job=job, actor=request.user)
        else:
            made = candidates.register(job=job, number=number, actor=request.user)
        if isinstance(made, CandidateRefit):
            return Response(RefitSerializer(made).data, status=status.HTTP_202_ACCEPTED)
        code = status.HTTP_200_OK if made.pk in before else status.HTTP_201_CREATED
        return Response(ModelVersionSerializer(made, context=self.get_serializer_context()).data, status=code)

    @extend_schema(responses={200: RefitSerializer(many=True)}, summary="Candidates being (or once) registered")
    @action(detail=True, methods=["get"])
    def refits(self, request, pk=None):
        job = self.get_object()
        rows = CandidateRefit.objects.filter(job=job).select_related("trial", "version")
        return Response(RefitSerializer(rows, many=True).data)

    @extend_schema(
        parameters=[EventsParamsSerializer],
        responses={200: EventsPageSerializer},
        summary="The job's log, from an event id on",
    )
    @action(detail=True, methods=["get"])
    def events(self, request, pk=None):
        job = self.get_object()
        params = EventsParamsSerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        after, limit = params.validated_data["after"], params.validated_data["limit"]
        events = list(JobEvent.objects.filter(job=job, id__gt=after).order_by("id")[:limit])
        job.refresh_from_db(fields=["status"])
        body = {
            "events": JobEventSerializer(events, many=True).data,
            "last_id": events[-1].pk if events else after,
            "status": job.status,
            "finished": job.is_finished,
        }
        return Response(body)

    @extend_schema(responses={200: TrialSerializer(many=True)}, summary="Every trial of the job, in order")
    @action(detail=True, methods=["get"])
    def trials(self, request, pk=None):
        job = self.get_object()
        return Response(TrialSerializer(Trial.objects.filter(job=job).order_by("number"), many=True).data)

    @extend_schema(responses={200: OpenApiTypes.OBJECT, 409: NO_RESULTS}, summary="Evaluation of the best model")
    @action(detail=True, methods=["get"])
    def evaluation(self, request, pk=None):
        job = self.get_object()
        results = load_results(job)
        if results is None:
            detail = (
                "This job has no results yet." if job.is_active else "This job kept no model, so it has no evaluation."
            )
            return Response({"detail": detail, "status": job.status}, status=status.HTTP_409_CONFLICT)
        return Response(results)

    @extend_schema(
        request=AdviceParamsSerializer,
        responses={200: OpenApiTypes.OBJECT},
        summary="Advice before starting: recommended families, time and memory estimates",
    )
    @action(detail=False, methods=["post"])
    def advice(self, request):
        params = AdviceParamsSerializer(data=request.data, context=self.get_serializer_context())
        params.is_valid(raise_exception=True)
        data = params.validated_data
        dataset = data["dataset"]
        version = dataset.ready_version()
        if version is None:
            return Response(
                {"dataset": [f"“{dataset.name}” has no ready version yet."]}, status=status.HTTP_400_BAD_REQUEST
            )
        budget = data.get("time_budget_s") or settings.TRAINING_DEFAULT_BUDGET_S
        options = {"validation": data.get("validation") or {}}
        return Response(
            services.advice(
                version=version,
                target=data.get("target", ""),
                problem_type=data["problem_type"],
                budget_s=budget,
                options=options,
            )
        )


@extend_schema(tags=["training"])
class AlgorithmViewSet(viewsets.ViewSet):
    """The algorithm catalog: every algorithm the engine can use, with its family, tasks, speed,
    interpretability, defaults and search space. Readable by every signed-in user."""

    permission_classes = [IsAuthenticated]
    lookup_value_converter = "str"

    @extend_schema(
        operation_id="algorithms_list",
        parameters=[
            OpenApiParameter("task", str, enum=["classification", "regression", "clustering"]),
            OpenApiParameter("family", str),
        ],
        responses={200: OpenApiTypes.OBJECT},
    )
    def list(self, request):
        task = request.query_params.get("task", "")
        family = request.query_params.get("family", "")
        rows = [
            a.describe()
            for a in catalog.CATALOG.values()
            if (not task or a.task == task) and (not family or a.family == family)
        ]
        return Response({"count": len(rows), "results": rows})

    @extend_schema(responses={200: OpenApiTypes.OBJECT, 404: OpenApiTypes.OBJECT})
    def retrieve(self, request, pk=None):
        if pk not in catalog.CATALOG:
            raise NotFound("No algorithm has this key.")
        return Response(catalog.get(pk).describe())
