"""Gradient boosting, tree ensembles and single trees, for classification and regression."""

from __future__ import annotations

import numpy as np
from sklearn import ensemble, tree

from ..estimators import BoostedXGBClassifier, BoostedXGBRegressor
from .base import Algorithm, Context, choice, flt, integer

CLS, REG = "classification", "regression"


def _pick(ctx: Context, classifier, regressor):
    return classifier if ctx.task == CLS else regressor


def _hgb(params: dict, ctx: Context):
    params = dict(params)
    max_iter = params.pop("max_iter", None)
    early = max_iter is None and ctx.n_rows >= 1000
    cls = _pick(ctx, ensemble.HistGradientBoostingClassifier, ensemble.HistGradientBoostingRegressor)
    return cls(
        max_iter=max_iter or (1000 if early else 200),
        early_stopping=early,
        n_iter_no_change=15,
        validation_fraction=0.1,
        categorical_features=np.arange(ctx.n_native) if ctx.n_native else None,
        random_state=ctx.seed,
        **params,
    )


def _xgb(booster: str):
    def build(params: dict, ctx: Context):
        cls = BoostedXGBClassifier if ctx.task == CLS else BoostedXGBRegressor
        return cls(booster=booster, n_jobs=ctx.n_jobs, random_state=ctx.seed, **params)

    return build


def _xgb_rf(params: dict, ctx: Context):
    import xgboost

    cls = _pick(ctx, xgboost.XGBRFClassifier, xgboost.XGBRFRegressor)
    return cls(tree_method="hist", n_jobs=ctx.n_jobs, random_state=ctx.seed, verbosity=0, **params)


def _sk_gb(params: dict, ctx: Context):
    cls = _pick(ctx, ensemble.GradientBoostingClassifier, ensemble.GradientBoostingRegressor)
    return cls(random_state=ctx.seed, n_iter_no_change=10, validation_fraction=0.1, **params)


def _forest(classifier, regressor):
    def build(params: dict, ctx: Context):
        return _pick(ctx, classifier, regressor)(n_jobs=ctx.n_jobs, random_state=ctx.seed, **params)

    return build


def _adaboost(params: dict, ctx: Context):
    params = dict(params)
    depth = params.pop("max_depth")
    base = _pick(ctx, tree.DecisionTreeClassifier, tree.DecisionTreeRegressor)(max_depth=depth, random_state=ctx.seed)
    cls = _pick(ctx, ensemble.AdaBoostClassifier, ensemble.AdaBoostRegressor)
    return cls(estimator=base, random_state=ctx.seed, **params)


def _bagging(params: dict, ctx: Context):
    params = dict(params)
    leaf = params.pop("min_samples_leaf")
    base = _pick(ctx, tree.DecisionTreeClassifier, tree.DecisionTreeRegressor)(
        min_samples_leaf=leaf, random_state=ctx.seed
    )
    cls = _pick(ctx, ensemble.BaggingClassifier, ensemble.BaggingRegressor)
    return cls(estimator=base, n_jobs=ctx.n_jobs, random_state=ctx.seed, **params)


def _tree(classifier, regressor):
    def build(params: dict, ctx: Context):
        return _pick(ctx, classifier, regressor)(random_state=ctx.seed, **params)

    return build


HGB_SPACE = {
    "learning_rate": flt(0.01, 0.3, log=True),
    "max_leaf_nodes": integer(4, 128, log=True),
    "min_samples_leaf": integer(2, 200, log=True),
    "l2_regularization": flt(1e-4, 10.0, log=True),
    "max_features": flt(0.3, 1.0),
}
XGB_SPACE = {
    "learning_rate": flt(0.01, 0.3, log=True),
    "max_depth": integer(2, 10),
    "min_child_weight": flt(0.5, 30.0, log=True),
    "subsample": flt(0.5, 1.0),
    "colsample_bytree": flt(0.3, 1.0),
    "reg_lambda": flt(1e-3, 20.0, log=True),
    "reg_alpha": flt(1e-4, 2.0, log=True),
}
FOREST_SPACE = {
    "max_features": flt(0.1, 1.0),
    "min_samples_leaf": integer(1, 20, log=True),
    "max_depth": choice(None, 8, 16, 24),
    "n_estimators": integer(100, 400, log=True),
}


def entries(task: str) -> list[Algorithm]:
    word = "classifier" if task == CLS else "regressor"
    forest_defaults = {"n_estimators": 200, "max_features": "sqrt" if task == CLS else 0.5, "min_samples_leaf": 1}
    return [
        Algorithm(
            key=f"hgb_{word}",
            name="Histogram gradient boosting",
            task=task,
            family="gradient_boosting",
            speed="fast",
            interpretability="low",
            style="native",
            build=_hgb,
            description="scikit-learn's LightGBM-style boosting: binned features, native categories and "
            "missing values, early stopping. Usually among the most accurate on tabular data.",
            space=HGB_SPACE,
            defaults={
                "learning_rate": 0.1,
                "max_leaf_nodes": 31,
                "min_samples_leaf": 20,
                "l2_regularization": 1e-4,
                "max_features": 1.0,
            },
            cost=0.3,
            boosted=True,
            iterations_param="max_iter",
            prior=0.95,
        ),
        Algorithm(
            key=f"xgboost_{word}",
            name="XGBoost",
            task=task,
            family="gradient_boosting",
            speed="fast",
            interpretability="low",
            style="trees_nan",
            build=_xgb("gbtree"),
            description="Gradient-boosted trees from XGBoost with histogram splits, row and column "
            "sampling, L1/L2 penalties and early stopping on held-back training rows.",
            space=XGB_SPACE,
            defaults={
                "learning_rate": 0.1,
                "max_depth": 6,
                "min_child_weight": 1.0,
                "subsample": 0.8,
                "colsample_bytree": 0.8,
                "reg_lambda": 1.0,
                "reg_alpha": 1e-4,
            },
            cost=0.35,
            boosted=True,
            iterations_param="n_estimators",
            prior=0.95,
        ),
        Algorithm(
            key=f"xgboost_dart_{word}",
            name="XGBoost DART",
            task=task,
            family="gradient_boosting",
            speed="slow",
            interpretability="low",
            style="trees_nan",
            build=_xgb("dart"),
            description="XGBoost with dropout of trees while boosting (DART): less over-specialisation of "
            "later trees, at a higher cost per round.",
            space={**XGB_SPACE, "rate_drop": flt(0.01, 0.3, log=True), "n_estimators": integer(50, 300, log=True)},
            defaults={"learning_rate": 0.1, "max_depth": 6, "rate_drop": 0.1, "n_estimators": 150},
            cost=3.5,
            cost_power=1.1,
            boosted=True,
            prior=0.8,
        ),
        Algorithm(
            key=f"xgboost_linear_{word}",
            name="XGBoost linear booster",
            task=task,
            family="linear",
            speed="fast",
            interpretability="high",
            style="linear",
            build=_xgb("gblinear"),
            description="XGBoost's boosted linear model with elastic-net penalties: a linear model fitted by "
            "coordinate descent.",
            space={
                "reg_lambda": flt(1e-4, 10.0, log=True),
                "reg_alpha": flt(1e-4, 10.0, log=True),
                "learning_rate": flt(0.05, 1.0, log=True),
            },
            defaults={"learning_rate": 0.5, "reg_lambda": 0.1, "reg_alpha": 0.0, "n_estimators": 200},
            cost=0.25,
            prior=0.45,
        ),
        Algorithm(
            key=f"xgboost_rf_{word}",
            name="XGBoost random forest",
            task=task,
            family="tree_ensemble",
            speed="fast",
            interpretability="low",
            style="trees_nan",
            build=_xgb_rf,
            description="A random forest grown with XGBoost's histogram trees: many deep trees on row and "
            "column samples, averaged.",
            space={
                "max_depth": integer(4, 16),
                "subsample": flt(0.4, 0.9),
                "colsample_bynode": flt(0.2, 1.0),
                "n_estimators": integer(50, 300, log=True),
            },
            defaults={"max_depth": 10, "subsample": 0.8, "colsample_bynode": 0.5, "n_estimators": 150},
            cost=0.85,
            prior=0.7,
        ),
        Algorithm(
            key=f"gradient_boosting_{word}",
            name="Gradient boosting (classic)",
            task=task,
            family="gradient_boosting",
            speed="slow",
            interpretability="low",
            style="trees",
            build=_sk_gb,
            description="scikit-learn's exact-split gradient boosting with early stopping; accurate on small "
            "data, slow on large.",
            space={
                "learning_rate": flt(0.01, 0.3, log=True),
                "max_depth": integer(2, 8),
                "subsample": flt(0.5, 1.0),
                "min_samples_leaf": integer(1, 50, log=True),
                "max_features": flt(0.3, 1.0),
                "n_estimators": integer(50, 500, log=True),
            },
            defaults={"learning_rate": 0.1, "max_depth": 3, "n_estimators": 200, "subsample": 0.9},
            cost=2.0,
            max_rows=200_000,
            boosted=True,
            prior=0.75,
        ),
        Algorithm(
            key=f"random_forest_{word}",
            name="Random forest",
            task=task,
            family="tree_ensemble",
            speed="medium",
            interpretability="low",
            style="trees",
            build=_forest(ensemble.RandomForestClassifier, ensemble.RandomForestRegressor),
            description="Many deep decision trees on bootstrap samples and random feature subsets, averaged. "
            "Robust with little tuning.",
            space=FOREST_SPACE,
            defaults=forest_defaults,
            cost=4.0,
            cost_power=1.15,
            prior=0.75,
        ),
        Algorithm(
            key=f"extra_trees_{word}",
            name="Extra trees",
            task=task,
            family="tree_ensemble",
            speed="medium",
            interpretability="low",
            style="trees",
            build=_forest(ensemble.ExtraTreesClassifier, ensemble.ExtraTreesRegressor),
            description="Extremely randomised trees: like a random forest with random split points; faster "
            "and often a useful, different member of an ensemble.",
            space=FOREST_SPACE,
            defaults=forest_defaults,
            cost=2.2,
            cost_power=1.15,
            prior=0.72,
        ),
        Algorithm(
            key=f"adaboost_{word}",
            name="AdaBoost",
            task=task,
            family="gradient_boosting",
            speed="medium",
            interpretability="low",
            style="trees",
            build=_adaboost,
            description="Adaptive boosting of shallow trees: each new tree focuses on the rows the previous "
            "ones got wrong.",
            space={
                "n_estimators": integer(30, 300, log=True),
                "learning_rate": flt(0.01, 1.0, log=True),
                "max_depth": integer(1, 6),
            },
            defaults={"n_estimators": 100, "learning_rate": 0.5, "max_depth": 3},
            cost=2.0,
            prior=0.55,
        ),
        Algorithm(
            key=f"bagging_{word}",
            name="Bagged decision trees",
            task=task,
            family="tree_ensemble",
            speed="medium",
            interpretability="low",
            style="trees",
            build=_bagging,
            description="Full decision trees on bootstrap samples, averaged (bagging).",
            space={
                "n_estimators": integer(10, 100, log=True),
                "max_samples": flt(0.3, 1.0),
                "max_features": flt(0.3, 1.0),
                "min_samples_leaf": integer(1, 20, log=True),
            },
            defaults={"n_estimators": 30, "max_samples": 1.0, "max_features": 1.0, "min_samples_leaf": 1},
            cost=1.6,
            cost_power=1.15,
            prior=0.6,
        ),
        Algorithm(
            key=f"decision_tree_{word}",
            name="Decision tree",
            task=task,
            family="trees",
            speed="fast",
            interpretability="high",
            style="trees",
            build=_tree(tree.DecisionTreeClassifier, tree.DecisionTreeRegressor),
            description="One tree of if-then rules; easy to read, rarely the most accurate.",
            space={
                "max_depth": integer(2, 20),
                "min_samples_leaf": integer(1, 100, log=True),
                "ccp_alpha": flt(1e-6, 0.01, log=True),
            },
            defaults={"max_depth": 8, "min_samples_leaf": 5},
            cost=0.2,
            cost_power=1.1,
            prior=0.35,
        ),
        Algorithm(
            key=f"extra_tree_{word}",
            name="Extremely randomised tree",
            task=task,
            family="trees",
            speed="fast",
            interpretability="medium",
            style="trees",
            build=_tree(tree.ExtraTreeClassifier, tree.ExtraTreeRegressor),
            description="A single tree with random split points: very fast, high variance.",
            space={
                "max_depth": integer(2, 24),
                "min_samples_leaf": integer(1, 100, log=True),
                "max_features": flt(0.2, 1.0),
            },
            defaults={"max_depth": 12, "min_samples_leaf": 5, "max_features": 1.0},
            cost=0.15,
            prior=0.2,
        ),
    ]
