"""A model's compiled form (training.automl.compiled), which serves predictions of a few rows:
for every algorithm of the catalog and every preprocessing style it gives the numbers of the
model's own pipeline, for known, missing and unknown values; numbers and categories need no
frame; and a model whose compiled form would differ is served by its pipeline instead.

Fits and predictions run in a forked child (training.automl.fork), as in test_catalog."""

import numpy as np
import pandas as pd
import pytest
from sklearn.preprocessing import StandardScaler

from training.automl import catalog, fork
from training.automl.compiled import UNSEEN, _Fallback, compile_model
from training.automl.data import prepare
from training.automl.inputs import InputChecker
from training.automl.model import TrainedModel
from training.automl.schema import input_schema
from training.automl.work import Candidate, SearchData, build_pipeline, fit_rows

TYPES = {
    "amount": "numeric",
    "visits": "numeric",
    "member": "boolean",
    "plan": "categorical",
    "colour": "categorical",
    "city": "categorical",
    "joined": "datetime",
    "note": "text",
}
FRAMED_KINDS = {"datetime", "text"}  # the only columns applied through a frame


def _table(task: str, rows: int = 260) -> tuple[pd.DataFrame, pd.Series]:
    """Every kind of column: numbers with gaps, a boolean, few categories with a rare one and
    gaps (one-hot), a dozen (ordinal or one-hot, by style), eighty (target-encoded), dates, text."""
    rng = np.random.default_rng(3)
    amount = rng.normal(100, 30, rows)
    amount[::11] = np.nan
    plan = rng.choice(["basic", "pro", "team"], rows).astype(object)
    plan[:2] = "rare"
    plan[5::13] = None
    colour = rng.choice([f"c{i}" for i in range(12)], rows)
    city = rng.choice([f"city {i}" for i in range(80)], rows)
    member = rng.choice([True, False, None], rows)
    frame = pd.DataFrame(
        {
            "amount": amount,
            "visits": rng.integers(0, 20, rows),
            "member": member,
            "plan": plan,
            "colour": colour,
            "city": city,
            "joined": pd.to_datetime("2023-01-01") + pd.to_timedelta(rng.integers(0, 500, rows), unit="D"),
            "note": rng.choice(["call back", "happy customer", "no answer at all", None], rows),
        }
    )
    signal = (amount > 100).astype(float) + (plan == "pro") + (colour == "c3") + rng.normal(0, 0.5, rows)
    if task == "regression":
        return frame, pd.Series(signal * 10 + 50)
    labels = np.array(["low", "mid", "high"] if task == "multiclass" else ["no", "yes"])
    cuts = [0.6, 1.4] if task == "multiclass" else [1.0]
    return frame, pd.Series(labels[np.digitize(signal, cuts)])


def _fit(task: str, keys: list[str], n_jobs: int = 1):
    frame, y = _table(task)
    kind = "regression" if task == "regression" else "classification"
    prepared = prepare(frame, y, task=kind, column_types=TYPES)
    data = SearchData(prepared.X, prepared.y, kind, prepared.features, prepared.n_classes)
    rows = np.arange(200)
    members = []
    for key in keys:
        candidate = Candidate(key, {})
        pipeline = build_pipeline(candidate, data, n_rows=len(rows), n_jobs=n_jobs)
        members.append((fit_rows(pipeline, candidate, data, rows), 1.0 / len(keys)))
    model = TrainedModel(kind, prepared.features, members, classes=prepared.classes, name="+".join(keys))
    return model, input_schema(prepared.X, prepared.features), frame.iloc[200:]


def _checked(schema: list[dict], rows: pd.DataFrame) -> dict[str, list]:
    """Held-out rows as the prediction service checks them, plus a row of nothing but gaps."""
    records = [{k: (None if pd.isna(v) else v) for k, v in r.items()} for r in rows.to_dict("records")]
    for record in records:
        record["joined"] = record["joined"].isoformat() if record["joined"] is not None else None
    records.append(dict.fromkeys(TYPES))
    return InputChecker(schema).values(records)


def _agree(model: TrainedModel, values: dict[str, list]) -> str:
    """'' when the compiled form exists and gives the pipeline's numbers, else what is wrong."""
    compiled = compile_model(model)
    if compiled is None:
        return "not compiled"
    framed = {c for parts, *_ in compiled.members for p in parts if isinstance(p, _Fallback) for c in p.columns}
    if any(model.features[[f.name for f in model.features].index(c)].kind not in FRAMED_KINDS for c in framed):
        return f"applied through a frame: {sorted(framed)}"
    count = len(values["amount"])
    fast = compiled.scores(values, count)
    slow = model._scores(model.prepare(pd.DataFrame(values)))
    if fast.shape != slow.shape or not np.allclose(fast, slow, rtol=1e-9, atol=1e-12):
        return f"differs by up to {np.nanmax(np.abs(fast - slow)):.3g}"
    return ""


def _every_algorithm(task: str) -> dict[str, str]:
    """Child: each algorithm of the task fitted alone, compiled and compared."""
    kind = "regression" if task == "regression" else "classification"
    problems = {}
    for algorithm in catalog.for_task(kind):
        try:
            model, schema, held_out = _fit(task, [algorithm.key])
            problems[algorithm.key] = _agree(model, _checked(schema, held_out))
        except Exception as exc:  # collect every failure, not only the first
            problems[algorithm.key] = f"{type(exc).__name__}: {exc}"
    return problems


@pytest.mark.parametrize("task", ["binary", "multiclass", "regression"])
def test_every_algorithm_compiles_to_the_numbers_of_its_pipeline(task):
    outcome = fork.run_one(_every_algorithm, task, cap=900)
    assert outcome.ok, outcome.error or outcome.status
    kind = "regression" if task == "regression" else "classification"
    assert set(outcome.value) == {a.key for a in catalog.for_task(kind)}
    assert {key: problem for key, problem in outcome.value.items() if problem} == {}


def _ensemble_with_unknowns() -> tuple[str, list[float], list[float], list[str]]:
    """Child: an ensemble of three styles (one-hot trees, native categories, scaled linear), on
    rows the checker would refuse: a city and a plan never seen in training."""
    model, schema, held_out = _fit("binary", ["xgboost_classifier", "hgb_classifier", "logistic_regression"])
    values = _checked(schema, held_out.iloc[:5])
    values["city"][0], values["plan"][1] = "Atlantis", UNSEEN
    compiled = compile_model(model)
    fast = compiled.scores(values, 6)
    slow = model._scores(model.prepare(pd.DataFrame(values)))
    steps = [type(estimator).__name__ for _, estimator, *_ in compiled.members]
    return _agree(model, _checked(schema, held_out)), fast.ravel().tolist(), slow.ravel().tolist(), steps


def test_an_ensemble_compiles_and_unknown_categories_encode_as_in_the_pipeline():
    outcome = fork.run_one(_ensemble_with_unknowns, cap=300)
    assert outcome.ok, outcome.error or outcome.status
    problem, fast, slow, steps = outcome.value
    assert problem == ""
    # XGBoost on one thread (a copy), histogram boosting summing its trees directly.
    assert steps == ["BoostedXGBClassifier", "QuickHistBoosting", "LogisticRegression"]
    assert np.allclose(fast, slow, rtol=1e-9, atol=1e-12)


class HalvingScaler(StandardScaler):
    """A scaler that does more than standardise: its compiled arithmetic would be wrong."""

    def transform(self, X, copy=None):
        return super().transform(X, copy=copy) / 2


def _differing() -> tuple[bool, bool]:
    model, schema, held_out = _fit("binary", ["logistic_regression"])
    prep = model.members[0][0].named_steps["prep"]
    numeric = next(part for name, part, _ in prep.transformers_ if name == "numeric")
    numeric.steps[-1] = ("standardscaler", HalvingScaler().fit(np.ones((3, numeric.steps[-1][1].n_features_in_))))
    values = _checked(schema, held_out)
    pipeline = model._scores(model.prepare(pd.DataFrame(values)))
    return compile_model(model) is None, bool(np.isfinite(pipeline).all())


def test_a_model_whose_compiled_form_would_differ_is_not_compiled():
    outcome = fork.run_one(_differing, cap=120)
    assert outcome.ok, outcome.error or outcome.status
    assert outcome.value == (True, True)


def _threads() -> dict:
    """Child: an XGBoost model fitted on two threads and a histogram boosting one, compiled;
    how many threads each predicts with, in a thread that served requests and outside it."""
    import json
    import threading

    from sklearn.utils._openmp_helpers import _openmp_effective_n_threads

    from training.automl.work import unwrap

    model, schema, held_out = _fit("binary", ["xgboost_classifier", "hgb_classifier"], n_jobs=2)
    compiled = compile_model(model)
    values = _checked(schema, held_out)
    loaded = unwrap(model.members[0][0].named_steps["model"]).model_
    served = compiled.members[0][1].model_

    def nthread(xgb_model) -> int:
        return int(json.loads(xgb_model.get_booster().save_config())["learner"]["generic_param"]["nthread"])

    seen = {}

    def serve():
        compiled.scores(values, len(values["amount"]))
        seen["serving thread"] = _openmp_effective_n_threads()

    thread = threading.Thread(target=serve)
    thread.start()
    thread.join()
    return {
        "loaded xgboost": nthread(loaded),
        "compiled xgboost": nthread(served),
        "serving thread": seen["serving thread"],
        "other thread": _openmp_effective_n_threads(),
    }


def test_the_compiled_model_predicts_on_one_thread_and_leaves_the_loaded_one_its_threads():
    outcome = fork.run_one(_threads, cap=300, threads=2)
    assert outcome.ok, outcome.error or outcome.status
    assert outcome.value == {"loaded xgboost": 2, "compiled xgboost": 1, "serving thread": 1, "other thread": 2}
