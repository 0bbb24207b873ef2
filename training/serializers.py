"""API representations of training jobs, their trials and events, and what clients send to
start or cancel one. Shapes and types only: what is allowed is decided in `training.services`,
so pages and the API refuse the same things with the same messages."""

from __future__ import annotations

from django.urls import reverse
from rest_framework import serializers

from automl_site.api import MAX_ID, NamedChoiceField, PolicyRelatedField
from datasets.models import Dataset, DatasetVersion
from projects.models import Project

from .automl import STRATEGIES
from .automl.metrics import METRICS
from .models import CandidateRefit, JobEvent, TrainingJob, Trial

LIST_LEADERBOARD = 10


class LeaderboardEntrySerializer(serializers.Serializer):
    number = serializers.IntegerField(read_only=True)
    name = serializers.CharField(read_only=True)
    algorithm = serializers.CharField(read_only=True, help_text="Catalog key, or 'ensemble'.")
    family = serializers.CharField(read_only=True)
    score = serializers.FloatField(read_only=True, help_text="Mean validation score over the folds.")
    score_std = serializers.FloatField(read_only=True, allow_null=True)
    metric = serializers.CharField(read_only=True)
    fit_time = serializers.FloatField(read_only=True, allow_null=True, help_text="Mean seconds per fold fit.")
    predict_time = serializers.FloatField(read_only=True, allow_null=True, help_text="Seconds per 1,000 rows.")


class TrialSerializer(serializers.ModelSerializer):
    status = NamedChoiceField(enum_name="TrialStatusEnum", choices=Trial.Status.values, read_only=True)

    class Meta:
        model = Trial
        fields = [
            "number",
            "name",
            "algorithm",
            "family",
            "phase",
            "status",
            "params",
            "score",
            "score_std",
            "fold_scores",
            "metrics",
            "fit_time",
            "predict_time",
            "duration",
            "iterations",
            "weights",
            "details",
            "error",
        ]
        read_only_fields = fields


class JobEventSerializer(serializers.ModelSerializer):
    class Meta:
        model = JobEvent
        fields = ["id", "created_at", "kind", "level", "message", "data"]
        read_only_fields = fields


class BestModelSerializer(serializers.Serializer):
    trial = serializers.IntegerField(read_only=True)
    name = serializers.CharField(read_only=True)
    score = serializers.FloatField(read_only=True, allow_null=True, help_text="Cross-validation score.")
    metric = serializers.CharField(read_only=True)
    holdout = serializers.DictField(read_only=True, allow_null=True, help_text="Every metric on the holdout.")
    artifact_sha256 = serializers.CharField(read_only=True)
    artifact_size = serializers.IntegerField(read_only=True)
    evaluation = serializers.CharField(read_only=True, help_text="URL of the full evaluation.")


def leaderboard(job: TrainingJob, limit: int | None = None) -> list[dict]:
    """Scored trials, best first (ties: the earlier trial)."""
    trials = [t for t in job.ranked_trials() if t.rank]
    return [
        {
            "number": t.number,
            "name": t.name,
            "algorithm": t.algorithm,
            "family": t.family,
            "score": t.score,
            "score_std": t.score_std,
            "metric": job.metric,
            "fit_time": t.fit_time,
            "predict_time": t.predict_time,
        }
        for t in trials[:limit]
    ]


class JobSerializer(serializers.ModelSerializer):
    status = NamedChoiceField(enum_name="JobStatusEnum", choices=TrainingJob.Status.values, read_only=True)
    problem_type = NamedChoiceField(
        enum_name="JobProblemTypeEnum", choices=TrainingJob.ProblemType.values, read_only=True
    )
    dataset_version = serializers.IntegerField(source="dataset_version.number", read_only=True)
    leaderboard = serializers.SerializerMethodField()
    best_model = serializers.SerializerMethodField()
    url = serializers.SerializerMethodField()
    created_by = serializers.EmailField(source="created_by.email", read_only=True, allow_null=True, default=None)

    class Meta:
        model = TrainingJob
        fields = [
            "id",
            "number",
            "url",
            "project",
            "dataset",
            "dataset_version",
            "target",
            "problem_type",
            "metric",
            "time_budget_s",
            "options",
            "status",
            "progress",
            "stage",
            "error",
            "cancel_requested",
            "leaderboard",
            "best_model",
            "estimated_memory",
            "summary",
            "created_by",
            "created_at",
            "started_at",
            "finished_at",
        ]
        read_only_fields = fields

    def get_url(self, job) -> str:
        request = self.context.get("request")
        url = reverse("job_detail", kwargs={"pk": job.pk})
        return request.build_absolute_uri(url) if request else url

    def get_leaderboard(self, job) -> list[dict]:
        limit = LIST_LEADERBOARD if self.context.get("list") else None
        return LeaderboardEntrySerializer(leaderboard(job, limit), many=True).data

    def get_best_model(self, job) -> dict | None:
        trial = job.best_trial
        if trial is None or not job.has_model:
            return None
        request = self.context.get("request")
        url = reverse("api:job-evaluation", kwargs={"pk": job.pk})
        holdout = (self.context.get("evaluations") or {}).get(job.pk)
        return {
            "trial": trial.number,
            "name": trial.name,
            "score": trial.score,
            "metric": job.metric,
            "holdout": holdout,
            "artifact_sha256": job.artifact_sha256,
            "artifact_size": job.artifact_size,
            "evaluation": request.build_absolute_uri(url) if request else url,
        }


class ValidationOptionsSerializer(serializers.Serializer):
    strategy = NamedChoiceField(enum_name="ValidationStrategyEnum", choices=STRATEGIES, default="kfold")
    folds = serializers.IntegerField(min_value=2, max_value=20, default=5)
    column = serializers.CharField(
        required=False, allow_blank=True, max_length=255, help_text="Date column (time) or group column (group)."
    )


class JobCreateSerializer(serializers.Serializer):
    project = PolicyRelatedField(queryset=Project.objects.all(), policy_action="change")
    dataset = PolicyRelatedField(queryset=Dataset.objects.all(), policy_action="change")
    dataset_version = serializers.IntegerField(
        required=False, min_value=1, max_value=2**31 - 1, help_text="A version number; default: the latest ready one."
    )
    target = serializers.CharField(required=False, allow_blank=True, max_length=255, default="")
    problem_type = NamedChoiceField(
        enum_name="RequestedProblemTypeEnum", choices=["auto", *TrainingJob.ProblemType.values], default="auto"
    )
    metric = serializers.ChoiceField(
        choices=list(METRICS),
        required=False,
        help_text="Default: ROC AUC (binary), log loss (multiclass), RMSE, silhouette.",
    )
    time_budget_s = serializers.IntegerField(required=False, min_value=1, max_value=MAX_ID)
    validation = ValidationOptionsSerializer(required=False)
    families = serializers.ListField(child=serializers.CharField(max_length=40), required=False, max_length=30)
    algorithms = serializers.ListField(
        child=serializers.CharField(max_length=60),
        required=False,
        max_length=100,
        help_text='Only these algorithms (keys from /api/v1/algorithms/), e.g. ["xgboost_classifier"].',
    )
    seed = serializers.IntegerField(required=False, min_value=0, max_value=2**31 - 1)
    max_trials = serializers.IntegerField(required=False, min_value=1, max_value=100_000)
    test_fraction = serializers.FloatField(
        required=False, min_value=0.0, max_value=0.5, help_text="Share held out for the final evaluation."
    )
    balance = serializers.ChoiceField(choices=["auto", "weights", "off"], required=False)
    positive_class = serializers.CharField(required=False, max_length=200)
    ensemble = serializers.BooleanField(required=False)

    OPTION_FIELDS = (
        "validation",
        "families",
        "algorithms",
        "seed",
        "max_trials",
        "test_fraction",
        "balance",
        "positive_class",
        "ensemble",
    )

    options = serializers.DictField(
        required=False,
        help_text="The options above (validation, families, seed, …) nested, as a job's representation shows "
        "them; each may be given here or at the top level, not both.",
    )

    def to_internal_value(self, data):
        # Fields this endpoint does not know are refused, not ignored: a misspelt or misplaced
        # option would otherwise start a job that silently differs from the one asked for.
        unknown = sorted(set(data) - set(self.fields))
        if unknown:
            raise serializers.ValidationError({name: ["Unknown field."] for name in unknown})
        nested = data.get("options") if isinstance(data, dict) else None
        if "options" in data and not isinstance(nested, dict):
            raise serializers.ValidationError({"options": ["Expected an object of options."]})
        if nested:
            wrong = sorted(set(nested) - set(self.OPTION_FIELDS))
            twice = sorted(set(nested) & set(data))
            if wrong:
                raise serializers.ValidationError(
                    {"options": [f"Unknown option(s): {', '.join(wrong)}. Options: {', '.join(self.OPTION_FIELDS)}."]}
                )
            if twice:
                given_twice = ", ".join(twice)
                raise serializers.ValidationError({"options": [f"Given twice, here and at the top: {given_twice}."]})
            data = {**{k: v for k, v in data.items() if k != "options"}, **nested}
        return super().to_internal_value(data)

    def validate(self, attrs):
        number = attrs.get("dataset_version")
        if number is not None:
            version = DatasetVersion.objects.filter(dataset=attrs["dataset"], number=number).first()
            if version is None:
                raise serializers.ValidationError({"dataset_version": f"This dataset has no version {number}."})
            attrs["dataset_version"] = version
        return attrs

    def job_options(self) -> dict:
        return {k: self.validated_data[k] for k in self.OPTION_FIELDS if k in self.validated_data}


class CancelSerializer(serializers.Serializer):
    mode = NamedChoiceField(
        enum_name="CancelModeEnum",
        choices=[TrainingJob.Cancel.KEEP, TrainingJob.Cancel.DISCARD],
        default=TrainingJob.Cancel.KEEP,
        help_text="keep: stop now and keep the best model so far; discard: stop and keep nothing.",
    )


class EventsParamsSerializer(serializers.Serializer):
    after = serializers.IntegerField(required=False, min_value=0, max_value=MAX_ID, default=0)
    limit = serializers.IntegerField(required=False, min_value=1, max_value=5000, default=1000)


class EventsPageSerializer(serializers.Serializer):
    events = JobEventSerializer(many=True)
    last_id = serializers.IntegerField(help_text="Pass as ?after= to get the next events.")
    status = serializers.CharField()
    finished = serializers.BooleanField()


class AdviceParamsSerializer(serializers.Serializer):
    # Advice is the first step of starting a job, like the wizard: it needs the right to train.
    dataset = PolicyRelatedField(queryset=Dataset.objects.all(), policy_action="change")
    target = serializers.CharField(required=False, allow_blank=True, max_length=255, default="")
    problem_type = NamedChoiceField(
        enum_name="RequestedProblemTypeEnum", choices=["auto", *TrainingJob.ProblemType.values], default="auto"
    )
    time_budget_s = serializers.IntegerField(required=False, min_value=1, max_value=MAX_ID)
    validation = ValidationOptionsSerializer(required=False)


class RegisterSerializer(serializers.Serializer):
    trial = serializers.IntegerField(
        required=False, min_value=1, max_value=1_000_000, help_text="A leaderboard candidate's number (#)."
    )


class RefitSerializer(serializers.ModelSerializer):
    trial = serializers.IntegerField(source="trial.number", read_only=True)
    name = serializers.CharField(source="trial.name", read_only=True)
    model = serializers.IntegerField(source="version_id", read_only=True, allow_null=True)
    model_version = serializers.IntegerField(source="version.number", read_only=True, allow_null=True, default=None)

    class Meta:
        model = CandidateRefit
        fields = ["id", "job", "trial", "name", "status", "error", "model", "model_version", "created_at",
                  "started_at", "finished_at"]  # fmt: skip
        read_only_fields = fields
