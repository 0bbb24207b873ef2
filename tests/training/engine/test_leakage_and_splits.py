"""Preprocessing is learnt inside each fold (no leakage), and the validation strategies keep
their promises (time order, groups, stratification, the untouched holdout)."""

import numpy as np
import pandas as pd

from training.automl import fork, splits
from training.automl.data import prepare
from training.automl.metrics import METRICS
from training.automl.splits import Validation
from training.automl.trials import TrialContext, TrialRecord, run
from training.automl.work import Candidate, SearchData


def _noise(rows: int = 1200, keys: int = 300, seed: int = 0):
    """A high-cardinality category and a target that has nothing to do with it."""
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame({"key": [f"k{v}" for v in rng.integers(0, keys, rows)], "x": rng.normal(size=rows)})
    y = pd.Series(np.where(rng.random(rows) < 0.5, "a", "b"))
    return frame, y


def _cv_auc(leaky: bool) -> float:
    """Child: cross-validated ROC AUC of logistic regression on the noise, with the target
    encoding learnt inside each fold (the engine's way), or on all rows first (leaky)."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import roc_auc_score
    from sklearn.model_selection import StratifiedKFold

    frame, y = _noise()
    prepared = prepare(frame, y, task="classification", column_types={"key": "categorical", "x": "numeric"})
    if not leaky:
        data = SearchData(prepared.X, prepared.y, "classification", prepared.features, 2)
        folds = splits.folds(prepared.y, n=len(prepared.y), task="classification", validation=Validation(), seed=0)
        ctx = TrialContext(data, folds, METRICS["roc_auc"], n_jobs=1, abort=lambda: False)
        record = TrialRecord(1, "logistic_regression", "LR", "linear", {}, "test")
        run(ctx, record, Candidate("logistic_regression", {}), cap=120)
        assert record.status == "succeeded", record.error
        return record.score
    # What leakage looks like: each key's target mean computed on every row, then CV.
    means = pd.Series(prepared.y).groupby(prepared.X["key"]).mean()
    encoded = prepared.X["key"].map(means).to_numpy().reshape(-1, 1)
    scores = []
    for train, valid in StratifiedKFold(5, shuffle=True, random_state=0).split(encoded, prepared.y):
        model = LogisticRegression().fit(encoded[train], prepared.y[train])
        scores.append(roc_auc_score(prepared.y[valid], model.predict_proba(encoded[valid])[:, 1]))
    return float(np.mean(scores))


def test_target_encoding_is_learnt_inside_each_fold_so_noise_scores_like_noise():
    honest = fork.run_one(_cv_auc, False, cap=300)
    leaky = fork.run_one(_cv_auc, True, cap=300)
    assert honest.ok and leaky.ok, (honest.error, leaky.error)
    # The control shows the check can fail: encoding before splitting makes noise look predictive.
    assert leaky.value > 0.75
    assert honest.value < 0.6


def test_the_holdout_is_never_part_of_the_search_and_is_stratified():
    y = np.array([0] * 900 + [1] * 100)
    search, test = splits.test_split(1000, y, task="classification", fraction=0.2, validation=Validation(), seed=1)
    assert len(test) == 200 and not set(search) & set(test)
    assert y[test].mean() == y.mean()  # stratified: the 10 % minority keeps its share


def test_time_ordered_validation_always_validates_on_later_rows_and_holds_out_the_latest():
    order = np.random.default_rng(0).permutation(500)  # e.g. timestamps in shuffled row order
    validation = Validation("time", 4, column="when")
    search, test = splits.test_split(
        500, None, task="regression", fraction=0.2, validation=validation, seed=0, order=order
    )
    assert order[test].min() > order[search].max()
    folds = splits.folds(None, n=len(search), task="regression", validation=validation, seed=0, order=order[search])
    assert len(folds) == 4
    for train, valid in folds:
        assert order[search][valid].min() > order[search][train].max()


def test_grouped_validation_never_puts_one_group_on_both_sides():
    groups = np.repeat(np.arange(60), 5)
    y = np.tile([0, 1], 150)
    validation = Validation("group", 5, column="customer")
    search, test = splits.test_split(
        300, y, task="classification", fraction=0.2, validation=validation, seed=0, groups=groups
    )
    assert not set(groups[search]) & set(groups[test])
    for train, valid in splits.folds(
        y[search], n=len(search), task="classification", validation=validation, seed=0, groups=groups[search]
    ):
        assert not set(groups[search][train]) & set(groups[search][valid])


def test_a_class_too_rare_for_k_folds_lowers_the_number_of_folds_instead_of_failing():
    y = np.array([0] * 50 + [1] * 3)
    folds = splits.folds(y, n=53, task="classification", validation=Validation(folds=5), seed=0)
    assert len(folds) == 3
