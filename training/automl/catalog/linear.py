"""Linear models: logistic and penalised regressions, robust and generalised linear models."""

from __future__ import annotations

import numpy as np
from sklearn import linear_model as lm
from sklearn.calibration import CalibratedClassifierCV
from sklearn.svm import LinearSVC, LinearSVR

from .base import Algorithm, Context, choice, flt, integer

CLS, REG = "classification", "regression"


def calibrated(estimator):
    """Probabilities for a classifier that only gives scores (Platt scaling, cross-fitted)."""
    return CalibratedClassifierCV(estimator, method="sigmoid", cv=3)


def _logistic(solver: str, max_iter: int = 500):
    def build(params: dict, ctx: Context):
        return lm.LogisticRegression(solver=solver, max_iter=max_iter, random_state=ctx.seed, **params)

    return build


def _sgd_classifier(params: dict, ctx: Context):
    return lm.SGDClassifier(penalty="elasticnet", early_stopping=True, random_state=ctx.seed, **params)


def _ridge_classifier(params: dict, ctx: Context):
    return calibrated(lm.RidgeClassifier(**params))


def _linear_svc(params: dict, ctx: Context):
    return calibrated(LinearSVC(dual="auto", max_iter=2000, random_state=ctx.seed, **params))


def _plain(cls, **fixed):
    def build(params: dict, ctx: Context):
        extra = {"random_state": ctx.seed} if "random_state" in cls().get_params() else {}
        return cls(**fixed, **extra, **params)

    return build


C_SPACE = {"C": flt(1e-3, 100.0, log=True)}
ALPHA_SPACE = {"alpha": flt(1e-4, 100.0, log=True)}


def _classifiers() -> list[Algorithm]:
    t = CLS
    return [
        Algorithm(
            key="logistic_regression",
            name="Logistic regression",
            task=t,
            family="linear",
            speed="fast",
            interpretability="high",
            style="linear",
            build=_logistic("lbfgs"),
            description="The classic probabilistic linear classifier with an L2 penalty; its coefficients "
            "read as log-odds.",
            space=C_SPACE,
            defaults={"C": 1.0},
            cost=0.18,
            prior=0.6,
        ),
        Algorithm(
            key="logistic_regression_l1",
            name="Lasso logistic regression",
            task=t,
            family="linear",
            speed="medium",
            interpretability="high",
            style="linear",
            build=_logistic("saga", 300),
            description="Logistic regression with an L1 penalty: drops unhelpful features (sparse coefficients).",
            space=C_SPACE,
            defaults={"C": 1.0, "l1_ratio": 1.0},
            cost=0.2,
            prior=0.5,
        ),
        Algorithm(
            key="logistic_regression_elasticnet",
            name="Elastic-net logistic regression",
            task=t,
            family="linear",
            speed="medium",
            interpretability="high",
            style="linear",
            build=_logistic("saga", 300),
            description="Logistic regression mixing L1 and L2 penalties.",
            space={**C_SPACE, "l1_ratio": flt(0.05, 0.95)},
            defaults={"C": 1.0, "l1_ratio": 0.5},
            cost=0.2,
            prior=0.5,
        ),
        Algorithm(
            key="sgd_classifier",
            name="Linear classifier (SGD)",
            task=t,
            family="linear",
            speed="fast",
            interpretability="high",
            style="linear",
            build=_sgd_classifier,
            description="A linear model fitted by stochastic gradient descent with an elastic-net penalty; "
            "scales to very many rows.",
            space={
                "alpha": flt(1e-6, 1e-1, log=True),
                "l1_ratio": flt(0.0, 1.0),
                "loss": choice("log_loss", "modified_huber"),
            },
            defaults={"alpha": 1e-4, "l1_ratio": 0.15, "loss": "log_loss"},
            cost=0.15,
            prior=0.4,
        ),
        Algorithm(
            key="ridge_classifier",
            name="Ridge classifier",
            task=t,
            family="linear",
            speed="fast",
            interpretability="high",
            style="linear",
            build=_ridge_classifier,
            description="Least-squares classification with an L2 penalty; probabilities by Platt scaling.",
            space=ALPHA_SPACE,
            defaults={"alpha": 1.0},
            cost=0.18,
            prior=0.4,
        ),
        Algorithm(
            key="linear_svc",
            name="Linear support vector machine",
            task=t,
            family="svm",
            speed="fast",
            interpretability="high",
            style="linear",
            build=_linear_svc,
            description="A maximum-margin linear classifier; probabilities by Platt scaling.",
            space=C_SPACE,
            defaults={"C": 1.0},
            cost=0.18,
            prior=0.45,
        ),
    ]


def _glm(cls):
    def build(params: dict, ctx: Context):
        return cls(max_iter=300, **params)

    return build


def _regressors() -> list[Algorithm]:
    t = REG

    def entry(key, name, build, description, *, space=None, defaults=None, speed="fast", cost=0.3, prior=0.45, **more):
        return Algorithm(
            key=key,
            name=name,
            task=t,
            family=more.pop("family", "linear"),
            speed=speed,
            interpretability=more.pop("interpretability", "high"),
            style=more.pop("style", "linear"),
            build=build,
            description=description,
            space=space or {},
            defaults=defaults or {},
            cost=cost,
            prior=prior,
            **more,
        )

    return [
        entry(
            "linear_regression",
            "Linear regression",
            _plain(lm.LinearRegression),
            "Ordinary least squares: the plain linear baseline.",
            cost=0.15,
            prior=0.35,
            space={"fit_intercept": choice(True, False)},
        ),
        entry(
            "ridge",
            "Ridge regression",
            _plain(lm.Ridge),
            "Least squares with an L2 penalty that shrinks coefficients.",
            space=ALPHA_SPACE,
            defaults={"alpha": 1.0},
            prior=0.5,
            cost=0.15,
        ),
        entry(
            "lasso",
            "Lasso",
            _plain(lm.Lasso, max_iter=3000),
            "Least squares with an L1 penalty: sparse coefficients.",
            space={"alpha": flt(1e-5, 10.0, log=True)},
            defaults={"alpha": 0.01},
            cost=0.15,
        ),
        entry(
            "elastic_net",
            "Elastic net",
            _plain(lm.ElasticNet, max_iter=3000),
            "Least squares mixing L1 and L2 penalties.",
            space={"alpha": flt(1e-5, 10.0, log=True), "l1_ratio": flt(0.05, 0.95)},
            defaults={"alpha": 0.01, "l1_ratio": 0.5},
            cost=0.15,
        ),
        entry(
            "lars",
            "Least-angle regression",
            _plain(lm.Lars),
            "Adds features one at a time along the most correlated direction.",
            space={"n_nonzero_coefs": integer(1, 500, log=True)},
            defaults={"n_nonzero_coefs": 500},
            cost=0.15,
            prior=0.3,
            style="dense",
        ),
        entry(
            "lasso_lars",
            "Lasso (LARS)",
            _plain(lm.LassoLars, max_iter=1000),
            "The lasso path computed with least-angle regression.",
            space={"alpha": flt(1e-6, 1.0, log=True)},
            defaults={"alpha": 1e-3},
            cost=0.15,
            prior=0.35,
            style="dense",
        ),
        entry(
            "orthogonal_matching_pursuit",
            "Orthogonal matching pursuit",
            _plain(lm.OrthogonalMatchingPursuit),
            "Greedy sparse least squares with a fixed number of features.",
            space={"n_nonzero_coefs": integer(1, 100, log=True)},
            defaults={"n_nonzero_coefs": 10},
            cost=0.15,
            prior=0.3,
            style="dense",
        ),
        entry(
            "bayesian_ridge",
            "Bayesian ridge",
            _plain(lm.BayesianRidge),
            "Ridge regression with its penalty estimated from the data.",
            space={"alpha_1": flt(1e-8, 1e-4, log=True), "lambda_1": flt(1e-8, 1e-4, log=True)},
            cost=0.2,
            prior=0.45,
            style="dense",
        ),
        entry(
            "ard_regression",
            "ARD regression",
            _plain(lm.ARDRegression),
            "Bayesian regression that prunes irrelevant features (automatic relevance determination).",
            space={"alpha_1": flt(1e-8, 1e-4, log=True), "lambda_1": flt(1e-8, 1e-4, log=True)},
            cost=1.0,
            cost_power=1.0,
            max_rows=50_000,
            speed="medium",
            prior=0.4,
            style="dense",
        ),
        entry(
            "huber",
            "Huber regression",
            _plain(lm.HuberRegressor, max_iter=500),
            "Linear regression that down-weights outliers.",
            space={"epsilon": flt(1.1, 3.0), "alpha": flt(1e-6, 1.0, log=True)},
            defaults={"epsilon": 1.35, "alpha": 1e-4},
            cost=0.2,
            family="robust",
            prior=0.4,
        ),
        entry(
            "quantile_regression",
            "Median (quantile) regression",
            _plain(lm.QuantileRegressor, quantile=0.5, solver="highs"),
            "Linear model of the median rather than the mean: robust to outliers.",
            space={"alpha": flt(1e-6, 1.0, log=True)},
            defaults={"alpha": 1e-4},
            cost=3.0,
            cost_power=1.5,
            max_rows=10_000,
            speed="slow",
            family="robust",
            prior=0.3,
        ),
        entry(
            "theil_sen",
            "Theil–Sen regression",
            _plain(lm.TheilSenRegressor, max_subpopulation=2000),
            "A robust linear fit from many small subsets of the rows.",
            cost=4.0,
            max_rows=10_000,
            speed="slow",
            family="robust",
            prior=0.25,
            weights=False,
            style="dense",
            space={"fit_intercept": choice(True, False)},
        ),
        entry(
            "ransac",
            "RANSAC regression",
            _plain(lm.RANSACRegressor, max_trials=50),
            "Fits a linear model to the inliers found by random consensus.",
            space={"min_samples": flt(0.2, 0.9)},
            defaults={"min_samples": 0.5},
            cost=0.3,
            family="robust",
            prior=0.25,
        ),
        entry(
            "sgd_regressor",
            "Linear regression (SGD)",
            _plain(lm.SGDRegressor, penalty="elasticnet", early_stopping=True),
            "A linear model fitted by stochastic gradient descent; scales to very many rows.",
            space={
                "alpha": flt(1e-6, 1e-1, log=True),
                "l1_ratio": flt(0.0, 1.0),
                "loss": choice("squared_error", "huber"),
            },
            defaults={"alpha": 1e-4, "l1_ratio": 0.15},
            cost=0.15,
            prior=0.35,
        ),
        entry(
            "poisson_regression",
            "Poisson regression",
            _glm(lm.PoissonRegressor),
            "A generalised linear model for counts (log link).",
            space=ALPHA_SPACE,
            defaults={"alpha": 1.0},
            cost=0.2,
            prior=0.35,
            needs_positive_target=True,
        ),
        entry(
            "gamma_regression",
            "Gamma regression",
            _glm(lm.GammaRegressor),
            "A generalised linear model for positive, right-skewed amounts (log link).",
            space=ALPHA_SPACE,
            defaults={"alpha": 1.0},
            cost=0.2,
            prior=0.3,
            needs_positive_target=True,
        ),
        entry(
            "tweedie_regression",
            "Tweedie regression",
            _glm(lm.TweedieRegressor),
            "A generalised linear model between Poisson and Gamma (log link).",
            space={**ALPHA_SPACE, "power": flt(1.05, 1.95)},
            defaults={"alpha": 1.0, "power": 1.5, "link": "log"},
            cost=0.2,
            prior=0.3,
            needs_positive_target=True,
        ),
        entry(
            "linear_svr",
            "Linear support vector regression",
            _plain(LinearSVR, dual="auto", max_iter=3000),
            "A linear fit that ignores errors below a margin.",
            space={"C": flt(1e-3, 100.0, log=True), "epsilon": flt(0.0, 1.0)},
            defaults={"C": 1.0},
            cost=0.18,
            family="svm",
            prior=0.35,
        ),
    ]


def entries(task: str) -> list[Algorithm]:
    return _classifiers() if task == CLS else _regressors()


def positive(y) -> bool:
    return bool(np.all(np.asarray(y, dtype=float) > 0))
