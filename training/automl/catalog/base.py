"""What every catalog entry says about itself, and how a candidate is built from it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from optuna.distributions import BaseDistribution, CategoricalDistribution, FloatDistribution, IntDistribution

SPEEDS = ("fast", "medium", "slow")
INTERPRETABILITY = ("high", "medium", "low")

FAMILIES = {
    "gradient_boosting": "Gradient boosting",
    "tree_ensemble": "Tree ensembles",
    "trees": "Decision trees",
    "linear": "Linear models",
    "svm": "Support vector machines",
    "neighbors": "Nearest neighbours",
    "naive_bayes": "Naive Bayes",
    "discriminant": "Discriminant analysis",
    "neural_network": "Neural networks",
    "gaussian_process": "Gaussian processes",
    "kernel": "Kernel methods",
    "robust": "Robust regression",
    "baseline": "Baselines",
    "centroid": "Centroid clustering",
    "mixture": "Mixture models",
    "hierarchical": "Hierarchical clustering",
    "density": "Density clustering",
    "graph": "Graph clustering",
}


@dataclass(frozen=True)
class Context:
    """What a build function may know about the data it will be fitted on."""

    task: str
    n_rows: int
    n_features: int
    n_classes: int = 0
    n_native: int = 0  # leading columns that are native categorical codes (``native`` style)
    seed: int = 0
    n_jobs: int = 1
    positive_target: bool = False  # regression target > 0 everywhere (Poisson, Gamma…)


@dataclass(frozen=True)
class Algorithm:
    key: str
    name: str
    task: str
    family: str
    speed: str
    interpretability: str
    style: str  # preprocessing style (preprocess.STYLES)
    build: Callable[[dict, Context], object]
    description: str
    space: dict[str, BaseDistribution] = field(default_factory=dict)
    defaults: dict = field(default_factory=dict)
    # Relative fitting cost: seconds for 10,000 rows × 10 features, and how it grows with rows.
    cost: float = 1.0
    cost_power: float = 1.0
    max_rows: int | None = None  # too slow (or too memory-hungry) above this many rows
    weights: bool = True  # accepts sample_weight (class imbalance)
    boosted: bool = False  # has a learning curve over boosting rounds
    iterations_param: str | None = None  # parameter to fix in the refit (rounds found by early stopping)
    prior: float = 0.5  # how good it tends to be on tabular data, 0..1 (orders the portfolio)
    needs_positive_target: bool = False

    @property
    def family_label(self) -> str:
        return FAMILIES.get(self.family, self.family)

    def applicable(self, ctx: Context) -> str | None:
        """None if this algorithm suits the data, else why not."""
        if self.max_rows is not None and ctx.n_rows > self.max_rows:
            return f"too slow above {self.max_rows:,} rows"
        if self.needs_positive_target and not ctx.positive_target:
            return "needs a target above zero"
        return None

    def estimated_seconds(self, n_rows: int, n_features: int) -> float:
        """Rough time of one fit, for ordering and for the time estimate (not a promise)."""
        rows = max(n_rows, 100) / 10_000
        features = max(n_features, 1) / 10
        return self.cost * rows**self.cost_power * features**0.8 + 0.05

    def make(self, params: dict, ctx: Context):
        return self.build({**self.defaults, **params}, ctx)

    def describe(self) -> dict:
        return {
            "key": self.key,
            "name": self.name,
            "task": self.task,
            "family": self.family,
            "family_label": self.family_label,
            "speed": self.speed,
            "interpretability": self.interpretability,
            "description": self.description,
            "max_rows": self.max_rows,
            "class_weights": self.weights,
            "learning_curve": self.boosted,
            "preprocessing": self.style,
            "defaults": {k: _plain(v) for k, v in self.defaults.items()},
            "search_space": {name: describe_distribution(d) for name, d in self.space.items()},
        }


def _plain(value):
    return value if isinstance(value, (int, float, str, bool, type(None))) else str(value)


def describe_distribution(dist: BaseDistribution) -> dict:
    if isinstance(dist, FloatDistribution):
        return {"type": "float", "low": dist.low, "high": dist.high, "log": dist.log}
    if isinstance(dist, IntDistribution):
        return {"type": "int", "low": dist.low, "high": dist.high, "log": dist.log}
    if isinstance(dist, CategoricalDistribution):
        return {"type": "choice", "choices": [_plain(c) for c in dist.choices]}
    return {"type": type(dist).__name__}


def flt(low: float, high: float, log: bool = False) -> FloatDistribution:
    return FloatDistribution(low, high, log=log)


def integer(low: int, high: int, log: bool = False) -> IntDistribution:
    return IntDistribution(low, high, log=log)


def choice(*choices) -> CategoricalDistribution:
    return CategoricalDistribution(list(choices))
