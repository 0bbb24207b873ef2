"""The model step of a compiled model (compiled.py): the fitted estimator, or a stand-in that
gives its numbers faster on a few rows.

- XGBoost predicts on one thread (a copy of the fitted model with `n_jobs=1`): a team of threads
  on a few rows costs more than it saves, and on a busy machine a thread waiting for its
  descheduled partner takes many times the model's own time. The loaded model keeps its
  threads for files, which are predicted through the pipeline.
- Other OpenMP users (scikit-learn's nearest neighbours, for one) are limited to one thread in
  the threads that serve requests, and only there.
- scikit-learn's histogram boosting sums its trees directly: its `predict_proba` spends several
  milliseconds per call checking its input and re-encoding its categorical columns through a
  column transformer of its own, against a fraction of a millisecond in the trees. This reads
  the fitted model's private parts (its trees, baseline, category maps and loss); whatever that
  reading gets wrong, `compile_model`'s probe finds, and the model is then served by its pipeline.
"""

from __future__ import annotations

import math
import threading
from copy import deepcopy

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.compose import ColumnTransformer
from sklearn.preprocessing import OrdinalEncoder
from threadpoolctl import threadpool_limits


def model_step(estimator):
    """The fitted estimator's stand-in for few-row predictions (itself when it needs none)."""
    if _is_hist_boosting(estimator):
        return QuickHistBoosting(estimator)
    if _xgboost_models(estimator):
        copy = deepcopy(estimator)
        for model in _xgboost_models(copy):
            model.set_params(n_jobs=1)
        return copy
    return estimator


_thread_state = threading.local()


def openmp_on_one_thread() -> None:
    """Limit OpenMP to one thread in the calling thread, once: the setting is each thread's own,
    so it leaves other threads (a batch's, say) as they are."""
    if not getattr(_thread_state, "limited", False):
        threadpool_limits(limits=1, user_api="openmp")
        _thread_state.limited = True


def _xgboost_models(estimator, depth: int = 0) -> list:
    """Fitted XGBoost models in the step: itself, or held by a wrapper (ours, a target transform)."""
    try:
        from xgboost import XGBModel
    except ImportError:
        return []
    if isinstance(estimator, XGBModel):
        return [estimator]
    if depth >= 3 or not isinstance(estimator, BaseEstimator):
        return []
    return [m for value in vars(estimator).values() for m in _xgboost_models(value, depth + 1)]


def _is_hist_boosting(estimator) -> bool:
    from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor

    return isinstance(estimator, HistGradientBoostingClassifier | HistGradientBoostingRegressor)


class QuickHistBoosting:
    """A fitted HistGradientBoostingClassifier or -Regressor's `predict_proba` / `predict` as
    the model computes them (its own categorical codes, baseline plus every tree, its loss's
    link), on one thread and without the per-call checks."""

    def __init__(self, model):
        self.model = model
        self.bitsets, self.feature_map = model._bin_mapper.make_known_categories_bitsets()
        self.recode = _Recode(model._preprocessor) if model._preprocessor is not None else None

    def _raw(self, X) -> np.ndarray:
        X = np.asarray(X, dtype=np.float64)
        if self.recode is not None:
            X = self.recode(X)
        X = np.ascontiguousarray(X)
        baseline = self.model._baseline_prediction
        raw = np.zeros((X.shape[0], self.model.n_trees_per_iteration_), dtype=baseline.dtype, order="F")
        raw += baseline
        for trees in self.model._predictors:
            for k, tree in enumerate(trees):
                raw[:, k] += tree.predict(X, self.bitsets, self.feature_map, 1)
        return raw

    def predict_proba(self, X) -> np.ndarray:
        return self.model._loss.predict_proba(self._raw(X))

    def predict(self, X) -> np.ndarray:
        if hasattr(self.model, "classes_"):
            return self.model.classes_[np.argmax(self.predict_proba(X), axis=1)]
        return self.model._loss.link.inverse(self._raw(X).ravel())


class _Recode:
    """The model's own preprocessing of categorical columns: an ordinal encoder of their codes
    (unknown and missing become NaN) placed before the numeric columns, which pass unchanged."""

    def __init__(self, preprocessor: ColumnTransformer):
        parts = {name: (part, mask) for name, part, mask in preprocessor.transformers_}
        encoder, categorical = parts["encoder"]
        if not isinstance(encoder, OrdinalEncoder) or set(parts) - {"encoder", "numerical", "remainder"}:
            raise TypeError("an unexpected preprocessor")
        self.categorical = np.flatnonzero(categorical)
        self.numerical = np.flatnonzero(parts["numerical"][1])
        self.codes = [
            {float(v): float(i) for i, v in enumerate(cats) if not math.isnan(v)} for cats in encoder.categories_
        ]

    def __call__(self, X: np.ndarray) -> np.ndarray:
        out = np.empty((X.shape[0], len(self.categorical) + len(self.numerical)))
        for j, (column, codes) in enumerate(zip(self.categorical, self.codes, strict=True)):
            out[:, j] = [codes.get(v, math.nan) for v in X[:, column].tolist()]
        out[:, len(self.categorical) :] = X[:, self.numerical]
        return out
