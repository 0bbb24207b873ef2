"""Where the search spends its time: first a portfolio of strong, diverse defaults ordered by
expected gain per second, then Optuna's TPE on the algorithms that did best, with more trials
for the better ones, and fold-level pruning of hopeless trials.

Everything here depends only on the data, the seed and trial results (never on the clock), so
the same data and seed give the same trials in the same order; time only decides how many run.
"""

from __future__ import annotations

import logging

import optuna
from optuna.distributions import CategoricalDistribution
from optuna.trial import TrialState, create_trial

from . import catalog
from .work import TARGET_TRANSFORM, Candidate

optuna.logging.set_verbosity(optuna.logging.WARNING)
log = logging.getLogger(__name__)

TUNED_ALGORITHMS = 3
TUNING_WEIGHTS = (3, 2, 1)

# (algorithm suffix, parameters) in the order they are tried; suffixes get _classifier or
# _regressor. Strong boosting first, then cheap and different models useful to an ensemble.
_SHARED = [
    ("hgb", {}),
    ("xgboost", {}),
    ("LINEAR", {}),
    ("extra_trees", {}),
    (
        "hgb",
        {
            "learning_rate": 0.05,
            "max_leaf_nodes": 15,
            "min_samples_leaf": 40,
            "l2_regularization": 1.0,
            "max_features": 0.7,
        },
    ),
    (
        "xgboost",
        {
            "learning_rate": 0.05,
            "max_depth": 4,
            "min_child_weight": 3.0,
            "subsample": 0.7,
            "colsample_bytree": 0.6,
            "reg_lambda": 5.0,
        },
    ),
    ("random_forest", {}),
    ("knn", {}),
    ("mlp", {}),
    ("hgb", {"learning_rate": 0.1, "max_leaf_nodes": 63, "min_samples_leaf": 10, "max_features": 0.5}),
    (
        "xgboost",
        {"learning_rate": 0.1, "max_depth": 8, "min_child_weight": 1.0, "subsample": 0.8, "colsample_bytree": 0.5},
    ),
    ("svm_rbf", {}),
    ("gradient_boosting", {}),
    ("xgboost_rf", {}),
]
_LINEAR = {"classification": "logistic_regression", "regression": "ridge"}
_EXTRA = {
    "classification": [("linear_discriminant", {}), ("gaussian_nb", {})],
    "regression": [("elastic_net", {}), ("huber", {})],
}
_CLUSTERING = [
    ("kmeans", {}),
    ("gaussian_mixture", {}),
    ("agglomerative", {}),
    ("birch", {}),
    ("hdbscan", {}),
    ("minibatch_kmeans", {}),
    ("bisecting_kmeans", {}),
    ("gaussian_mixture", {"covariance_type": "diag"}),
    ("dbscan", {}),
    ("spectral", {}),
]


def _key(task: str, suffix: str) -> str:
    if suffix == "LINEAR":
        return _LINEAR[task]
    word = {"classification": "classifier", "regression": "regressor"}[task]
    full = f"{suffix}_{word}"
    return full if full in catalog.CATALOG else suffix


def baseline(task: str) -> Candidate | None:
    if task == "clustering":
        return None
    return Candidate(f"baseline_{'classifier' if task == 'classification' else 'regressor'}", {})


def initial(
    task: str,
    ctx: catalog.Context,
    families: tuple[str, ...] = (),
    *,
    log_target: bool = False,
    algorithms: tuple[str, ...] = (),
) -> list[Candidate]:
    """The portfolio for this data: curated configurations in the allowed families (and, when
    `algorithms` names some, of those algorithms only), then the defaults of any allowed family
    or algorithm the curated list does not reach, cheapest-and-best first. For a skewed positive
    regression target, the boosted defaults are also tried on a log scale."""
    configs = list(_CLUSTERING) if task == "clustering" else [(_key(task, s), p) for s, p in _SHARED] + _EXTRA[task]
    if log_target and task == "regression":
        logged = [(_key(task, s), {**p, TARGET_TRANSFORM: "log"}) for s, p in _SHARED[:2]]
        configs = configs[:2] + logged + configs[2:]
    out: list[Candidate] = []
    for key, params in configs:
        algorithm = catalog.get(key)
        if algorithm.task != task or (families and algorithm.family not in families):
            continue
        if algorithms and key not in algorithms:
            continue
        if algorithm.applicable(ctx) is None:
            out.append(Candidate(key, params))
    if algorithms:
        tried = {c.algorithm.key for c in out}
        rest = [catalog.get(k) for k in algorithms if k not in tried and catalog.get(k).applicable(ctx) is None]
        return out + [Candidate(a.key, {}) for a in rest if a.task == task]
    if families:
        covered = {c.algorithm.family for c in out}
        rest = [
            a
            for a in catalog.for_task(task)
            if a.family in families and a.family not in covered and a.applicable(ctx) is None
        ]
        rest.sort(key=lambda a: -a.prior / a.estimated_seconds(ctx.n_rows, ctx.n_features))
        out += [Candidate(a.key, {}) for a in rest]
    return out


class Tuner:
    """Bayesian optimisation (TPE) per algorithm, with trials shared out by rank."""

    def __init__(self, *, seed: int, metric_loss, extra_space: dict | None = None):
        self.seed = seed
        self.loss = metric_loss  # score -> value to minimise
        self.extra_space = extra_space or {}  # dimensions every algorithm gets (e.g. a log target)
        self.studies: dict[str, optuna.Study] = {}
        self.ranked: list[str] = []
        self.asked: dict[str, int] = {}
        self.retired: set[str] = set()

    def choose(self, records) -> None:
        """Rank algorithms by their best complete trial; the top ones get tuned."""
        best: dict[str, float] = {}
        for record in records:
            algorithm = catalog.get(record.key)
            if (
                not record.complete
                or not algorithm.space
                or algorithm.family == "baseline"
                or record.key in self.retired
            ):
                continue
            loss = self.loss(record.score)
            if record.key not in best or loss < best[record.key]:
                best[record.key] = loss
        self.ranked = sorted(best, key=lambda k: (best[k], k))[:TUNED_ALGORITHMS]
        for index, key in enumerate(self.ranked):
            if key not in self.studies:
                self.studies[key] = self._study(key, index, records)

    def _study(self, key: str, index: int, records) -> optuna.Study:
        sampler = optuna.samplers.TPESampler(seed=self.seed * 7919 + index, n_startup_trials=4, multivariate=True)
        pruner = optuna.pruners.MedianPruner(n_startup_trials=3, n_warmup_steps=1)
        study = optuna.create_study(direction="minimize", sampler=sampler, pruner=pruner)
        space = self.space(key)
        for record in records:
            if record.key == key and record.complete:
                defaults = {
                    **{name: dist.choices[0] for name, dist in self.extra_space.items()},
                    **catalog.get(key).defaults,
                }
                params = _in_space({**defaults, **record.params}, space)
                if params is not None:
                    # What the portfolio learnt seeds the model of the search.
                    study.add_trial(create_trial(params=params, distributions=space, value=self.loss(record.score)))
        return study

    def retire(self, key: str) -> None:
        """Stop tuning `key` (its trials no longer fit in the time left)."""
        self.retired.add(key)
        self.ranked = [k for k in self.ranked if k != key]

    def next(self) -> tuple[str, optuna.trial.Trial] | None:
        """The next algorithm to try and its Optuna trial (parameters drawn)."""
        if not self.ranked:
            return None
        weights = dict(zip(self.ranked, TUNING_WEIGHTS, strict=False))
        key = min(self.ranked, key=lambda k: (self.asked.get(k, 0) / weights[k], self.ranked.index(k)))
        self.asked[key] = self.asked.get(key, 0) + 1
        study = self.studies[key]
        return key, study.ask(self.space(key))

    def space(self, key: str) -> dict:
        return {**catalog.get(key).space, **self.extra_space}

    def tell(self, key: str, trial, score: float | None, status: str) -> None:
        study = self.studies[key]
        if status == "pruned":
            study.tell(trial, state=TrialState.PRUNED)
        elif score is None:
            study.tell(trial, state=TrialState.FAIL)
        else:
            study.tell(trial, self.loss(score))

    def pruner_for(self, trial):
        """A callback for trials.run: report the running mean after each fold, ask to prune."""

        def check(step: int, mean_score: float | None) -> bool:
            if mean_score is None:
                return False
            trial.report(self.loss(mean_score), step)
            return trial.should_prune()

        return check


def _in_space(params: dict, space: dict) -> dict | None:
    """The parameters restricted to the space, or None if one lies outside it."""
    out = {}
    for name, dist in space.items():
        if name not in params:
            return None
        value = params[name]
        if isinstance(dist, CategoricalDistribution):
            inside = value in dist.choices
        else:
            inside = isinstance(value, int | float) and dist.low <= value <= dist.high
        if not inside:
            return None
        out[name] = value
    return out
