"""The training wizard's form, and the form that scores a file with a model version. The
wizard's choices come from the chosen dataset (columns for the target and the validation
column); what is allowed is decided by `training.services`, whose errors the view shows on the
fields."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator

from datasets.forms import ACCEPT
from datasets.ingest.formats import SUPPORTED_TEXT
from datasets.models import Dataset, DatasetVersion

from .automl import catalog
from .automl.metrics import METRICS
from .columns import suggested_target
from .versions import BatchPrediction

PROBLEM_TYPES = [
    ("auto", "Detect from the target"),
    ("classification", "Classification — predict a category"),
    ("regression", "Regression — predict a number"),
    ("clustering", "Clustering — find groups (no target)"),
]
VALIDATIONS = [
    ("kfold", "k-fold cross-validation"),
    ("holdout", "One validation split"),
    ("time", "Time-ordered splits (by a date column)"),
    ("group", "Grouped k-fold (by a column)"),
]
HOLDOUT = [("0.2", "20 % (recommended)"), ("0.1", "10 %"), ("0.3", "30 %"), ("0", "None — evaluate out of fold")]
BALANCE = [("auto", "Automatic"), ("weights", "Always weight classes"), ("off", "Never")]
BUDGET_PRESETS = [(30, "30 s"), (60, "1 min"), (300, "5 min"), (900, "15 min"), (3600, "1 h")]


def metric_choices() -> list:
    groups = {}
    for name, metric in METRICS.items():
        groups.setdefault(metric.task.capitalize(), []).append((name, metric.label))
    return [("", "Default for the problem type"), *groups.items()]


def family_choices() -> list:
    seen = {}
    for algorithm in catalog.CATALOG.values():
        if algorithm.family != "baseline":
            seen.setdefault(algorithm.family, catalog.FAMILIES.get(algorithm.family, algorithm.family))
    return sorted(seen.items(), key=lambda item: item[1])


class JobForm(forms.Form):
    dataset = forms.ModelChoiceField(
        queryset=Dataset.objects.none(), empty_label=None, help_text="Its latest ready version is used."
    )
    target = forms.ChoiceField(required=False, help_text="The column to predict. Leave empty for clustering.")
    problem_type = forms.ChoiceField(choices=PROBLEM_TYPES, initial="auto")
    metric = forms.ChoiceField(choices=metric_choices, required=False, help_text="What the search optimises.")
    time_budget_s = forms.IntegerField(
        label="Time budget (seconds)",
        initial=60,
        help_text="The job ends within this budget (10 % more at most), with the best model found so far.",
    )
    validation = forms.ChoiceField(choices=VALIDATIONS, initial="kfold", widget=forms.RadioSelect)
    folds = forms.IntegerField(min_value=2, max_value=20, initial=5, help_text="Folds, or time splits.")
    validation_column = forms.ChoiceField(required=False, label="Date or group column")
    families = forms.MultipleChoiceField(
        choices=family_choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Leave all unticked to let the search choose.",
    )
    test_fraction = forms.ChoiceField(choices=HOLDOUT, initial="0.2", label="Holdout for the final evaluation")
    seed = forms.IntegerField(
        min_value=0,
        max_value=2**31 - 1,
        initial=0,
        help_text="Same seed and data give the same leaderboard (when the budget is not the limit).",
    )
    max_trials = forms.IntegerField(min_value=1, max_value=100_000, required=False, label="Stop after this many trials")
    balance = forms.ChoiceField(choices=BALANCE, initial="auto", label="Class imbalance")
    ensemble = forms.BooleanField(required=False, initial=True, label="Build an ensemble of the best models")

    def __init__(self, *args, project, dataset: Dataset | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        datasets = project.datasets.filter(versions__status="ready").distinct().order_by("name")
        self.fields["dataset"].queryset = datasets
        low, high = settings.TRAINING_MIN_BUDGET_S, settings.TRAINING_MAX_BUDGET_S
        # The bounds are settings, read when the form is made (not when the module is imported).
        budget = self.fields["time_budget_s"]
        budget.validators = [MinValueValidator(low), MaxValueValidator(high)]
        budget.widget.attrs.update({"min": low, "max": high, "step": 1})
        budget.initial = settings.TRAINING_DEFAULT_BUDGET_S
        dataset = (
            dataset
            or (self.initial.get("dataset") if isinstance(self.initial.get("dataset"), Dataset) else None)
            or datasets.first()
        )
        self.dataset = dataset
        self.version = dataset.ready_version() if dataset else None
        columns = self.version.columns if self.version else []
        self.fields["target"].choices = [("", "— none (clustering) —")] + [
            (c["name"], f"{c['name']} ({c['type']})") for c in columns if c["type"] not in ("identifier",)
        ]
        self.fields["validation_column"].choices = [("", "—")] + [
            (c["name"], f"{c['name']} ({c['type']})") for c in columns
        ]
        if dataset is not None and not self.is_bound:
            self.initial.setdefault("dataset", dataset.pk)
            if project.problem_type == "clustering":
                # Whatever column looks like a target, a clustering project looks for groups.
                target = ""
            else:
                target = suggested_target(self.version, project.target_column) if self.version else ""
            self.initial.setdefault("target", target)
            if project.problem_type == "clustering" or (
                project.problem_type not in ("", "auto") and target and target == project.target_column
            ):
                self.initial.setdefault("problem_type", project.problem_type)
            dates = [c["name"] for c in columns if c.get("role") == "time"]
            if dates:
                self.initial.setdefault("validation_column", dates[0])

    def options(self) -> dict:
        data = self.cleaned_data
        return {
            "validation": {
                "strategy": data["validation"],
                "folds": data["folds"],
                "column": data.get("validation_column") or "",
            },
            "families": data.get("families") or [],
            "seed": data.get("seed") or 0,
            "max_trials": data.get("max_trials"),
            "test_fraction": float(data.get("test_fraction") or 0),
            "balance": data.get("balance") or "auto",
            "ensemble": bool(data.get("ensemble")),
        }


class DatasetVersionChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        rows = f" · {obj.n_rows:,} rows" if obj.n_rows is not None else ""
        return f"{obj.dataset.name} · version {obj.number}{rows}"


class BatchForm(forms.Form):
    """Scoring a file, or a dataset version of the project, with one model version."""

    file = forms.FileField(
        required=False,
        allow_empty_file=True,
        label="File",
        help_text=f"{SUPPORTED_TEXT}. It needs the model's input columns; other columns are copied to the result.",
        error_messages={"invalid": "The upload could not be read; please choose the file again."},
        widget=forms.FileInput(attrs={"accept": ACCEPT}),
    )
    dataset_version = DatasetVersionChoice(
        queryset=DatasetVersion.objects.none(),
        required=False,
        label="Or a dataset of this project",
        empty_label="— none —",
    )
    output_format = forms.ChoiceField(
        choices=BatchPrediction.Format.choices,
        initial=BatchPrediction.Format.CSV,
        widget=forms.RadioSelect,
        label="Result as",
    )
    explain = forms.BooleanField(
        required=False,
        label="Explain every prediction",
        help_text="Adds each input column's contribution to every row (slower on large files).",
    )

    def __init__(self, *args, project, clustering: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["dataset_version"].queryset = (
            DatasetVersion.objects.filter(
                dataset__project=project, dataset__deleted_at__isnull=True, status=DatasetVersion.Status.READY
            )
            .select_related("dataset")
            .order_by("dataset__name", "-number")
        )
        if clustering:
            del self.fields["explain"]

    def clean(self):
        cleaned = super().clean()
        if not self.errors and bool(cleaned.get("file")) == bool(cleaned.get("dataset_version")):
            raise forms.ValidationError("Choose a file to upload, or one dataset of this project (not both).")
        return cleaned
