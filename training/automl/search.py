"""The AutoML search: data → portfolio → tuning → ensemble → refit → evaluation, within a budget.

`run()` is the engine's entry point. It knows nothing of Django: it takes a DataFrame, the
column types and a `SearchConfig`, logs through `logging` (logger ``training.automl``), reports
progress and trials through `Events`, saves the model under `out_dir` and returns a
`SearchResult`. The budget covers everything; the search phase stops early enough to leave time
for the refit and the evaluation (the reserve, re-estimated as trials finish).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from optuna.distributions import CategoricalDistribution

from . import catalog, finish, portfolio, splits, trials
from .budget import Budget
from .conclude import conclude, conclude_candidate
from .config import Events, SearchConfig
from .data import DataError, Feature, prepare
from .metrics import CLASSIFICATION, CLUSTERING, REGRESSION, get_metric
from .splits import Validation
from .trials import SUCCEEDED, TrialContext, TrialRecord
from .work import TARGET_TRANSFORM, Candidate, SearchData

log = logging.getLogger("training.automl")

IMBALANCE_RATIO = 0.2  # smallest class below this share of the largest: imbalanced
LABEL_METRICS = {"accuracy", "balanced_accuracy", "f1", "f1_macro", "f1_weighted", "precision", "recall", "mcc"}
TRIAL_SHARE = 0.35  # reduce folds when one trial would take more than this share of the budget
EVAL_SHARE = 0.12  # budget share kept for the evaluation and explanations
OOF_KEEP = 30
SKEWED = 0.75  # skewness above which a positive target is also tried on a log scale
PORTFOLIO_SHARE = 0.12  # a default whose trial would take more of the budget than this waits


@dataclass
class SearchResult:
    task: str
    metric: str
    leaderboard: list[TrialRecord]
    best: TrialRecord | None
    model_path: str = ""
    sha256: str = ""
    size: int = 0
    model_summary: dict = field(default_factory=dict)
    evaluation: dict | None = None
    importance: dict = field(default_factory=dict)
    learning_curves: list = field(default_factory=list)
    member_labels: list[str] = field(default_factory=list)  # the saved model's members, in order
    input_schema: list[dict] = field(default_factory=list)  # see schema.py
    features: list[Feature] = field(default_factory=list)
    classes: list = field(default_factory=list)
    positive_class: object = None
    notes: list[str] = field(default_factory=list)
    stopped: str | None = None
    validation: str = ""
    rows: dict = field(default_factory=dict)
    seconds: dict = field(default_factory=dict)


class Search:
    def __init__(
        self,
        X: pd.DataFrame,
        y,
        *,
        column_types,
        config: SearchConfig,
        out_dir: str,
        events: Events,
        order=None,
        groups=None,
    ):
        self.config = config
        self.events = events
        self._shown = 0.0
        self.out_dir = out_dir
        self.budget = Budget(config.time_budget_s, events, deadline_epoch=config.deadline_epoch)
        self.metric = get_metric(config.metric)
        if self.metric.task != config.task:
            raise DataError(f"{self.metric.label} is not a {config.task} metric.")
        self.records: list[TrialRecord] = []
        self.oof: dict[int, np.ndarray] = {}
        self.notes: list[str] = []
        self._prepare(X, y, column_types, order, groups)

    # --- data and splits -------------------------------------------------------------
    def _prepare(self, X, y, column_types, order, groups) -> None:
        cfg = self.config
        self._step(0.0, "Preparing the data")
        prepared = prepare(X, y, task=cfg.task, column_types=column_types, positive_class=cfg.positive_class)
        for note in prepared.notes:
            self._note(note)
        if cfg.task == CLASSIFICATION and prepared.n_classes > 2 and self.metric.name in ("f1", "precision", "recall"):
            self._note(f"{self.metric.label} is computed as a macro average over the {prepared.n_classes} classes.")
        keep = prepared.kept_rows
        order = None if order is None else np.asarray(order)[keep]
        groups = None if groups is None else np.asarray(groups)[keep]
        self.prepared = prepared
        validation = cfg.validation
        if validation.strategy in ("time", "group") and (order if validation.strategy == "time" else groups) is None:
            raise DataError(f"The {validation.strategy} validation needs a column.")
        if validation.strategy == "time":
            order = _time_order(order)
        self.search_rows, self.test_rows = splits.test_split(
            prepared.n_rows,
            prepared.y,
            task=cfg.task,
            fraction=cfg.test_fraction if cfg.task != CLUSTERING else 0.0,
            validation=validation,
            seed=cfg.seed,
            order=order,
            groups=groups,
        )
        X_search = prepared.X.iloc[self.search_rows].reset_index(drop=True)
        y_search = prepared.y[self.search_rows] if prepared.y is not None else None
        self.data = SearchData(
            X=X_search,
            y=y_search,
            task=cfg.task,
            features=prepared.features,
            n_classes=prepared.n_classes,
            seed=cfg.seed,
            balance=self._balance(y_search),
            positive_target=bool(cfg.task == REGRESSION and np.all(y_search > 0)),
        )
        if self.data.positive_target:
            self.data.skewed_target = bool(pd.Series(y_search).skew() > SKEWED)
        self.order = None if order is None else order[self.search_rows]
        self.groups = None if groups is None else groups[self.search_rows]
        self.validation = self._fit_validation(validation)
        self.splits = (
            splits.folds(
                y_search,
                n=len(X_search),
                task=cfg.task,
                validation=self.validation,
                seed=cfg.seed,
                order=self.order,
                groups=self.groups,
            )
            if cfg.task != CLUSTERING
            else []
        )
        held = f", {len(self.test_rows):,} held out for the final evaluation" if len(self.test_rows) else ""
        log.info(
            "Data: %s rows for the search%s; %d features (%s).",
            f"{len(X_search):,}",
            held,
            len(prepared.features),
            ", ".join(f"{n} {k}" for k, n in _kinds(prepared.features).items()),
        )
        if cfg.task != CLUSTERING:
            log.info("Validation: %s; metric: %s.", self.validation.describe(), self.metric.label)

    def _balance(self, y) -> bool:
        cfg = self.config
        if cfg.task != CLASSIFICATION or cfg.balance == "off":
            return False
        counts = np.bincount(y)
        counts = counts[counts > 0]
        imbalanced = counts.min() / counts.max() < IMBALANCE_RATIO
        if cfg.balance == "weights":
            return True
        if imbalanced:
            if self.metric.name in LABEL_METRICS:
                self._note(
                    f"The classes are imbalanced (smallest {counts.min():,} vs largest {counts.max():,} rows): "
                    "classes are weighted (or resampled) inside each fold."
                )
                return True
            self._note(
                f"The classes are imbalanced (smallest {counts.min():,} vs largest {counts.max():,} rows); "
                f"{self.metric.label} judges ranking, not labels, so the rows are not reweighted."
            )
        return False

    def _fit_validation(self, validation: Validation) -> Validation:
        """Fewer folds when even the fastest strong model would eat the budget on k folds."""
        if validation.strategy not in ("kfold", "group") or self.config.task == CLUSTERING:
            return validation
        n = len(self.data.X)
        probe = catalog.get("hgb_classifier" if self.config.task == CLASSIFICATION else "hgb_regressor")
        per_fold = probe.estimated_seconds(int(n * 0.8), len(self.data.features))
        budget = self.config.time_budget_s
        folds = validation.folds
        while folds > 3 and per_fold * folds / self.config.n_jobs > TRIAL_SHARE * budget:
            folds -= 1
        if folds != validation.folds:
            self._note(
                f"The data is large for a {budget:.0f} s budget: the search validates on {folds} folds "
                f"instead of {validation.folds}."
            )
            return Validation(validation.strategy, folds, validation.holdout_fraction, validation.column)
        if validation.strategy == "kfold" and per_fold * 3 / self.config.n_jobs > budget * 0.6:
            self._note(f"The data is large for a {budget:.0f} s budget: the search validates on one split of 20 %.")
            return Validation("holdout", 1, 0.2, validation.column)
        return validation

    # --- reporting ---------------------------------------------------------------------
    def _note(self, text: str) -> None:
        self.notes.append(text)
        log.info(text)

    def _step(self, fraction: float, step: str) -> None:
        # Fixed milestones and time-based fractions interleave; a bar that moves back looks broken.
        self._shown = max(self._shown, min(max(fraction, 0.0), 0.99))
        self.events.progress(self._shown, step)

    def _search_progress(self, step: str) -> None:
        self._step(0.9 * self.budget.elapsed / self.budget.span, step)

    # --- the search --------------------------------------------------------------------
    def _context(self) -> catalog.Context:
        return catalog.Context(
            task=self.config.task,
            n_rows=len(self.data.X),
            n_features=len(self.data.features),
            n_classes=self.data.n_classes,
            seed=self.config.seed,
            positive_target=self.data.positive_target,
        )

    def _budget_left(self) -> bool:
        if self.config.max_trials is not None and len(self.records) >= self.config.max_trials:
            return False
        return not self.budget.search_over()

    def _trial_ctx(self) -> TrialContext:
        return TrialContext(self.data, self.splits, self.metric, self.config.n_jobs, abort=self.budget.search_over)

    def _estimate(self, candidate: Candidate) -> float:
        """Seconds this candidate should take: the median of earlier trials of the same
        algorithm, else the catalog's cost model calibrated on the trials so far."""
        same = [r.duration for r in self.records if r.key == candidate.key and r.status == SUCCEEDED]
        if same:
            return float(np.median(same))
        return self._model_estimate(candidate.algorithm) * self._calibration()

    def _model_estimate(self, algorithm) -> float:
        """The catalog's guess for one trial: a fit per fold, folds run `n_jobs` at a time."""
        if self.config.task == CLUSTERING:
            return algorithm.estimated_seconds(len(self.data.X), len(self.data.features)) * 3
        n_fold = int(len(self.data.X) * (1 - 1 / max(len(self.splits), 2)))
        per_fit = algorithm.estimated_seconds(n_fold, len(self.data.features))
        rounds = max(1, int(np.ceil(len(self.splits) / self.config.n_jobs)))
        return per_fit * rounds + 0.2

    def _calibration(self) -> float:
        """How much slower (or faster) than the catalog's guess trials run on this machine and data."""
        ratios = [
            r.duration / self._model_estimate(catalog.get(r.key))
            for r in self.records
            if r.status == SUCCEEDED and r.duration and r.family != "baseline"
        ]
        return float(np.clip(np.median(ratios), 0.2, 10)) if ratios else 1.0

    def _have_model(self) -> bool:
        return any(r.complete and r.family != "baseline" for r in self.records)

    def _run_trial(self, candidate: Candidate, phase: str, *, optuna_trial=None, tuner=None) -> TrialRecord | None:
        estimate = self._estimate(candidate)
        remaining = self.budget.search_remaining
        if self._have_model() and estimate > remaining:
            log.info(
                "Skipping %s: it needs about %.0f s and %.0f s of search time is left.",
                candidate.algorithm.name,
                estimate,
                max(remaining, 0),
            )
            return None
        algorithm = candidate.algorithm
        number = len(self.records) + 1
        name = algorithm.name + (" (log target)" if candidate.params.get(TARGET_TRANSFORM) == "log" else "")
        # The parameters as fitted (the catalog's defaults filled in), so people see what ran.
        params = {**algorithm.defaults, **candidate.params}
        record = TrialRecord(number, candidate.key, name, algorithm.family, params, phase)
        cap = min(self.config.trial_cap, remaining) if self._have_model() else max(remaining, 1.0)
        self._search_progress(f"Trial {number}: {algorithm.name}")
        pruner = tuner.pruner_for(optuna_trial) if tuner is not None else None
        oof = trials.run(self._trial_ctx(), record, candidate, cap=cap, pruner=pruner)
        self.records.append(record)
        if oof is not None:
            self.oof[number] = oof
            self._trim_oof()
        self._log_trial(record)
        self.events.trial(record.as_dict())
        self._update_reserve()
        return record

    def _trim_oof(self) -> None:
        if len(self.oof) <= OOF_KEEP:
            return
        ranked = sorted(
            (r for r in self.records if r.number in self.oof), key=lambda r: (self.metric.loss(r.score), r.number)
        )
        for record in ranked[OOF_KEEP:]:
            self.oof.pop(record.number, None)

    def _log_trial(self, record: TrialRecord) -> None:
        if record.status == SUCCEEDED and record.score is not None:
            spread = f" ± {record.std:.4f}" if record.std else ""
            best = self._best_single()
            mark = "  ★ best so far" if best is record else ""
            log.info(
                "#%d %s: %s %.4f%s in %.1f s%s",
                record.number,
                record.name,
                self.metric.label,
                record.score,
                spread,
                record.duration,
                mark,
            )
        else:
            log.info("#%d %s: %s. %s", record.number, record.name, record.status, record.error)
        for warning in record.warnings[:2]:
            log.debug("#%d %s", record.number, warning)

    def _best_single(self) -> TrialRecord | None:
        complete = [r for r in self.records if r.complete]
        return min(complete, key=lambda r: (self.metric.loss(r.score), r.number)) if complete else None

    def _update_reserve(self) -> None:
        """Time to keep for the refit of the likely ensemble and for the evaluation."""
        complete = sorted(
            (r for r in self.records if r.complete and r.family != "baseline"), key=lambda r: self.metric.loss(r.score)
        )
        n_fold = int(len(self.data.X) * (1 - 1 / max(len(self.splits), 2))) if self.splits else len(self.data.X)
        refit = [finish.estimate_refit(r, n_fold, len(self.data.X)) for r in complete[:4]]
        refit_time = sum(refit) / self.config.n_jobs * 1.2 if refit else 0.0
        evaluation = min(EVAL_SHARE * self.config.time_budget_s, 30.0) if self.config.explain else 1.0
        ensemble = 0.0
        if self.config.ensemble and self.config.task != CLUSTERING and len(complete) >= 2:
            ensemble = 0.5 + min(len(self.data.X), 5000) / 2500  # bagged selection on at most 5,000 rows
        self.budget.reserve = min(refit_time + evaluation + ensemble + 1.0, 0.5 * self.config.time_budget_s)

    def search(self) -> None:
        ctx = self._context()
        base = portfolio.baseline(self.config.task)
        if base is not None:
            self._run_trial(base, "baseline")
        self._step(0.02, "Trying strong defaults")
        for candidate in portfolio.initial(
            self.config.task,
            ctx,
            self.config.families,
            log_target=self.data.skewed_target,
            algorithms=self.config.algorithms,
        ):
            if not self._budget_left():
                break
            estimate = self._estimate(candidate)
            if self._have_model() and estimate > PORTFOLIO_SHARE * self.config.time_budget_s:
                log.info(
                    "Skipping %s: a trial would take about %.0f s, too much of a %.0f s budget.",
                    candidate.algorithm.name,
                    estimate,
                    self.config.time_budget_s,
                )
                continue
            self._run_trial(candidate, "portfolio")
        if self.config.task == CLUSTERING:
            # Each method already chooses its number of clusters; tuning the rest against an
            # internal score mostly trades one partition for a near twin.
            log.info("Every clustering method has been tried; clustering is not tuned further.")
            return
        extra = {TARGET_TRANSFORM: CategoricalDistribution(["none", "log"])} if self.data.skewed_target else {}
        tuner = portfolio.Tuner(seed=self.config.seed, metric_loss=self.metric.loss, extra_space=extra)
        tuner.choose(self.records)
        if tuner.ranked and self._budget_left():
            names = ", ".join(catalog.get(k).name for k in tuner.ranked)
            log.info("Tuning the most promising algorithms: %s.", names)
        while self._budget_left():
            picked = tuner.next()
            if picked is None:
                break
            key, optuna_trial = picked
            record = self._run_trial(
                Candidate(key, optuna_trial.params), "tuning", optuna_trial=optuna_trial, tuner=tuner
            )
            if record is None:  # too slow for the time left: tune the others
                tuner.tell(key, optuna_trial, None, "failed")
                tuner.retire(key)
                continue
            tuner.tell(key, optuna_trial, record.score if record.complete else None, record.status)
            tuner.choose(self.records)


def _kinds(features: list[Feature]) -> dict[str, int]:
    out: dict[str, int] = {}
    for f in features:
        out[f.kind] = out.get(f.kind, 0) + 1
    return out


def _time_order(values) -> np.ndarray:
    """Sortable numbers from a date column (missing dates sort first)."""
    stamps = pd.to_datetime(pd.Series(values), errors="coerce", format="mixed")
    if isinstance(stamps.dtype, pd.DatetimeTZDtype):
        stamps = stamps.dt.tz_convert("UTC").dt.tz_localize(None)
    numbers = stamps.to_numpy(dtype="datetime64[ns]").astype("int64")
    return np.where(stamps.isna().to_numpy(), np.iinfo(np.int64).min, numbers)


def refit(
    X: pd.DataFrame,
    y: pd.Series | None,
    *,
    column_types: dict[str, str],
    config: SearchConfig,
    out_dir: str,
    records: list[dict],
    number: int,
    events: Events | None = None,
    order=None,
    groups=None,
) -> SearchResult:
    """Candidate `number` of a finished search's leaderboard (`records`, as the trials were
    reported) refitted, saved and evaluated; the same data and config give the same split."""
    search = Search(
        X, y, column_types=column_types, config=config, out_dir=out_dir, events=events or Events(), order=order,
        groups=groups,
    )  # fmt: skip
    search.records = [TrialRecord.from_dict(r) for r in records]
    return conclude_candidate(search, number)


def run(
    X: pd.DataFrame,
    y: pd.Series | None,
    *,
    column_types: dict[str, str],
    config: SearchConfig,
    out_dir: str,
    events: Events | None = None,
    order=None,
    groups=None,
) -> SearchResult:
    """Search, refit and evaluate; the model is saved as ``out_dir/model.joblib``."""
    events = events or Events()
    search = Search(
        X, y, column_types=column_types, config=config, out_dir=out_dir, events=events, order=order, groups=groups
    )
    search.search()
    return conclude(search)
