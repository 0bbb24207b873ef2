"""Small scikit-learn compatible wrappers the catalog needs.

- ``BoostedXGB``: XGBoost that early-stops on a slice of its own training rows (never on the
  fold it is scored on), remembers how many rounds were best (`n_iter_`) for the final refit.
- ``AutoKClusterer``: picks the number of clusters by silhouette on a sample when asked for
  ``n_clusters="auto"``.
- ``ClusterAssigner``: gives clustering methods without ``predict`` (agglomerative, DBSCAN,
  spectral…) a way to place new rows: the cluster of the nearest training row.
"""

from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, ClusterMixin, RegressorMixin, clone
from sklearn.metrics import silhouette_score
from sklearn.model_selection import train_test_split
from sklearn.neighbors import KNeighborsClassifier

ES_FRACTION = 0.1
ES_MIN_ROWS = 500


class _BoostedXGB(BaseEstimator):
    """Shared fitting logic; `n_estimators=None` means "find the number by early stopping"."""

    _is_classifier = False

    def __init__(
        self,
        n_estimators=None,
        max_rounds=2000,
        early_stopping_rounds=40,
        learning_rate=0.1,
        max_depth=6,
        min_child_weight=1.0,
        subsample=1.0,
        colsample_bytree=1.0,
        reg_lambda=1.0,
        reg_alpha=0.0,
        gamma=0.0,
        booster="gbtree",
        rate_drop=0.1,
        num_parallel_tree=1,
        tree_method="hist",
        max_bin=256,
        n_jobs=1,
        random_state=0,
    ):
        self.n_estimators = n_estimators
        self.max_rounds = max_rounds
        self.early_stopping_rounds = early_stopping_rounds
        self.learning_rate = learning_rate
        self.max_depth = max_depth
        self.min_child_weight = min_child_weight
        self.subsample = subsample
        self.colsample_bytree = colsample_bytree
        self.reg_lambda = reg_lambda
        self.reg_alpha = reg_alpha
        self.gamma = gamma
        self.booster = booster
        self.rate_drop = rate_drop
        self.num_parallel_tree = num_parallel_tree
        self.tree_method = tree_method
        self.max_bin = max_bin
        self.n_jobs = n_jobs
        self.random_state = random_state

    def _params(self, rounds: int, early: bool) -> dict:
        params = {
            "n_estimators": rounds,
            "learning_rate": self.learning_rate,
            "max_depth": self.max_depth,
            "min_child_weight": self.min_child_weight,
            "subsample": self.subsample,
            "colsample_bytree": self.colsample_bytree,
            "reg_lambda": self.reg_lambda,
            "reg_alpha": self.reg_alpha,
            "gamma": self.gamma,
            "booster": self.booster,
            "num_parallel_tree": self.num_parallel_tree,
            "tree_method": self.tree_method,
            "max_bin": self.max_bin,
            "n_jobs": self.n_jobs,
            "random_state": self.random_state,
            "verbosity": 0,
        }
        if self.booster == "dart":
            params["rate_drop"] = self.rate_drop
        if self.booster == "gblinear":
            for key in (
                "max_depth",
                "min_child_weight",
                "subsample",
                "colsample_bytree",
                "gamma",
                "tree_method",
                "max_bin",
                "num_parallel_tree",
            ):
                params.pop(key)
        if early:
            params["early_stopping_rounds"] = self.early_stopping_rounds
        return params

    def _model(self, params):
        import xgboost

        cls = xgboost.XGBClassifier if self._is_classifier else xgboost.XGBRegressor
        return cls(**params)

    def fit(self, X, y, sample_weight=None):
        y = np.asarray(y)
        if self._is_classifier:
            self.classes_ = np.unique(y)
            y = np.searchsorted(self.classes_, y)
        early = self.n_estimators is None and len(y) >= ES_MIN_ROWS and self.booster != "dart"
        if early:
            stratify = y if self._is_classifier and np.bincount(y).min() >= 2 else None
            idx_fit, idx_es = train_test_split(
                np.arange(len(y)), test_size=ES_FRACTION, random_state=self.random_state, stratify=stratify
            )
            model = self._model(self._params(self.max_rounds, True))
            weights = None if sample_weight is None else np.asarray(sample_weight)[idx_fit]
            model.fit(
                _rows(X, idx_fit),
                y[idx_fit],
                sample_weight=weights,
                eval_set=[(_rows(X, idx_es), y[idx_es])],
                verbose=False,
            )
            rounds = int(getattr(model, "best_iteration", self.max_rounds - 1)) + 1
            self.model_ = model  # predicts with its best round; the final refit uses `rounds` on every row
        else:
            rounds = self.n_estimators or (300 if self.booster != "dart" else 150)
            self.model_ = self._model(self._params(rounds, False))
            self.model_.fit(X, y, sample_weight=sample_weight, verbose=False)
        self.n_iter_ = rounds
        return self

    @property
    def feature_importances_(self):
        return self.model_.feature_importances_

    def staged_predict(self, X, rounds):
        """Predictions (probabilities for classifiers) using only the first `rounds` rounds."""
        if self._is_classifier:
            return self.model_.predict_proba(X, iteration_range=(0, rounds))
        return self.model_.predict(X, iteration_range=(0, rounds))


class BoostedXGBClassifier(ClassifierMixin, _BoostedXGB):
    _is_classifier = True

    def predict_proba(self, X):
        return self.model_.predict_proba(X)

    def predict(self, X):
        return self.classes_[np.argmax(self.predict_proba(X), axis=1)]


class BoostedXGBRegressor(RegressorMixin, _BoostedXGB):
    def predict(self, X):
        return self.model_.predict(X)


def _rows(X, idx):
    return X[idx] if not hasattr(X, "iloc") else X.iloc[idx]


class ClusterAssigner(ClusterMixin, BaseEstimator):
    """A clustering method plus a 1-nearest-neighbour rule to label rows it was not fitted on."""

    def __init__(self, estimator=None, max_rows: int = 20000, random_state: int = 0):
        self.estimator = estimator
        self.max_rows = max_rows
        self.random_state = random_state

    def fit(self, X, y=None):
        X = np.asarray(X.toarray() if hasattr(X, "toarray") else X, dtype=float)
        rows = np.arange(len(X))
        if len(X) > self.max_rows:
            # Quadratic methods cluster a sample; every row is then labelled by its nearest neighbour.
            rows = np.random.default_rng(self.random_state).choice(len(X), self.max_rows, replace=False)
        self.estimator_ = clone(self.estimator).fit(X[rows])
        labels = np.asarray(self.estimator_.labels_)
        if hasattr(self.estimator_, "predict") and len(rows) == len(X):
            self.nearest_ = None
        else:
            self.nearest_ = KNeighborsClassifier(n_neighbors=1).fit(X[rows], labels)
        self.labels_ = self.predict(X) if len(rows) != len(X) else labels
        return self

    def predict(self, X):
        X = np.asarray(X.toarray() if hasattr(X, "toarray") else X, dtype=float)
        if self.nearest_ is None:
            return np.asarray(self.estimator_.predict(X))
        return self.nearest_.predict(X)


class AutoKClusterer(ClusterMixin, BaseEstimator):
    """Fits `estimator` for each number of clusters in `k_range` and keeps the one with the best
    silhouette on a sample, so a user need not know how many groups the data has."""

    def __init__(
        self, estimator=None, param: str = "n_clusters", k_min: int = 2, k_max: int = 10, random_state: int = 0
    ):
        self.estimator = estimator
        self.param = param
        self.k_min = k_min
        self.k_max = k_max
        self.random_state = random_state

    def fit(self, X, y=None):
        X = np.asarray(X.toarray() if hasattr(X, "toarray") else X, dtype=float)
        rng = np.random.default_rng(self.random_state)
        sample = rng.choice(len(X), min(len(X), 3000), replace=False)
        best = (-np.inf, None, None)
        for k in range(self.k_min, min(self.k_max, len(X) - 1) + 1):
            model = clone(self.estimator).set_params(**{self.param: k}).fit(X)
            labels = np.asarray(model.predict(X))
            if len(np.unique(labels[sample])) < 2:
                continue
            score = silhouette_score(X[sample], labels[sample])
            if score > best[0]:
                best = (score, k, model)
        if best[2] is None:
            best = (None, self.k_min, clone(self.estimator).set_params(**{self.param: self.k_min}).fit(X))
        self.n_clusters_ = best[1]
        self.estimator_ = best[2]
        self.labels_ = np.asarray(self.estimator_.predict(X))
        return self

    def predict(self, X):
        X = np.asarray(X.toarray() if hasattr(X, "toarray") else X, dtype=float)
        return np.asarray(self.estimator_.predict(X))
