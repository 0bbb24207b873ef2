"""The trained model as it is saved and served: the input columns it expects, the fitted
pipelines (preprocessing included) of its members with their weights, and its classes.

Artifacts are written only by the platform, in skops's format: a zip of the objects' states that
loading rebuilds without running code, and only for the types on `TRUSTED` (scikit-learn, NumPy,
SciPy, XGBoost, LightGBM and this engine). A model skops cannot write is saved with joblib instead.
Either way, `load` checks the SHA-256 the database holds first, so a file changed on disk is
refused rather than read.
"""

from __future__ import annotations

import hashlib
import logging
import os
import platform
import tempfile
import zipfile
from dataclasses import dataclass, field

import joblib
import numpy as np
import pandas as pd

from .data import Feature, clean_frame
from .metrics import CLASSIFICATION, CLUSTERING, labels_from_proba

log = logging.getLogger("training.automl")

# Type names (or their prefixes) a skops artifact may contain; anything else is refused unloaded.
TRUSTED = (
    "training.automl.",
    "sklearn.",
    "numpy.",
    "scipy.",
    "xgboost.",
    "lightgbm.",
    "functools.partial",
    "collections.",
)


class ArtifactError(Exception):
    """The artifact is missing or does not match its recorded hash."""


def library_versions() -> dict[str, str]:
    import sklearn
    import xgboost

    return {
        "python": platform.python_version(),
        "scikit-learn": sklearn.__version__,
        "xgboost": xgboost.__version__,
        "numpy": np.__version__,
        "pandas": pd.__version__,
    }


@dataclass
class TrainedModel:
    task: str
    features: list[Feature]
    members: list[tuple[object, float]]  # (fitted Pipeline, weight)
    classes: list = field(default_factory=list)
    positive_class: object = None
    threshold: float = 0.5
    metric: str = ""
    name: str = ""
    versions: dict = field(default_factory=library_versions)

    @property
    def input_columns(self) -> list[str]:
        return [f.name for f in self.features]

    def prepare(self, X: pd.DataFrame) -> pd.DataFrame:
        """The input as training saw it: the feature columns, typed the same way."""
        return clean_frame(X, self.features)

    def _scores(self, frame: pd.DataFrame) -> np.ndarray:
        method = "predict_proba" if self.task == CLASSIFICATION else "predict"
        return self.blend([_call(pipeline, method, frame) for pipeline, _ in self.members], len(frame))

    def blend(self, outputs: list, count: int) -> np.ndarray:
        """The members' outputs (class probabilities over each member's own classes, or values)
        weighted into the model's scores."""
        total = None
        for (pipeline, weight), out in zip(self.members, outputs, strict=True):
            if self.task == CLASSIFICATION:
                part = np.zeros((count, len(self.classes)))
                part[:, np.asarray(pipeline.classes_, dtype=int)] = out
            else:
                part = np.asarray(out, dtype=float)
            total = part * weight if total is None else total + part * weight
        return total

    def predict_proba(self, X: pd.DataFrame) -> np.ndarray:
        if self.task != CLASSIFICATION:
            raise TypeError("Only classifiers give class probabilities.")
        return self._scores(self.prepare(X))

    def predict_encoded(self, X: pd.DataFrame) -> np.ndarray:
        """Class indices (classification), values (regression) or cluster numbers (clustering)."""
        frame = self.prepare(X)
        if self.task == CLUSTERING:
            return np.asarray(self.members[0][0].predict(frame))
        scores = self._scores(frame)
        return labels_from_proba(scores, self.threshold) if self.task == CLASSIFICATION else scores

    def predict(self, X: pd.DataFrame) -> np.ndarray:
        """Original class labels, values or cluster numbers."""
        out = self.predict_encoded(X)
        if self.task == CLASSIFICATION:
            return np.asarray(self.classes, dtype=object)[out]
        return out

    def summary(self) -> dict:
        return {
            "task": self.task,
            "name": self.name,
            "metric": self.metric,
            "inputs": [f.as_dict() for f in self.features],
            "classes": self.classes,
            "positive_class": self.positive_class,
            "members": [{"algorithm": _model_name(p), "weight": round(w, 4)} for p, w in self.members],
            "versions": self.versions,
        }


def _call(pipeline, method: str, frame: pd.DataFrame):
    """`pipeline.method(frame)`, with its column transformer applied by `dense_transform` when it
    can be: the same numbers without scikit-learn's per-call checks, which cost a prediction of a
    few rows more than the model itself."""
    steps = getattr(pipeline, "named_steps", None)
    if (
        steps is not None
        and list(steps) == ["prep", "model"]
        and getattr(steps["prep"], "sparse_output_", True) is False
    ):
        return getattr(steps["model"], method)(dense_transform(steps["prep"], frame))
    return getattr(pipeline, method)(frame)


def dense_transform(transformer, frame: pd.DataFrame) -> np.ndarray:
    """A fitted ColumnTransformer with dense output applied part by part, as its own `transform`
    does (the same parts, columns and order; sparse parts made dense)."""
    parts = []
    for _, part, columns in transformer.transformers_:
        if isinstance(part, str) and part == "drop":
            continue
        if not isinstance(columns, str) and len(columns) == 0:
            continue
        selected = frame[columns]
        out = selected.to_numpy() if isinstance(part, str) and part == "passthrough" else part.transform(selected)
        out = out.toarray() if hasattr(out, "toarray") else np.asarray(out)
        parts.append(out.reshape(len(frame), -1))
    return np.hstack(parts) if parts else np.empty((len(frame), 0))


def sha256_of(path: str | os.PathLike) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def save(model: TrainedModel, path: str | os.PathLike) -> str:
    """Write the model to `path` (atomically; skops, else joblib) and return its SHA-256."""
    import skops.io as sio

    folder = os.path.dirname(os.fspath(path)) or "."
    with tempfile.NamedTemporaryFile(dir=folder, suffix=".part", delete=False) as tmp:
        temp_path = tmp.name
    try:
        try:
            sio.dump(model, temp_path, compression=zipfile.ZIP_DEFLATED, compresslevel=6)
        except Exception as exc:  # noqa: BLE001 - a type skops cannot write: the older format then
            log.info("The model is saved with joblib (skops could not write it: %s).", type(exc).__name__)
            joblib.dump(model, temp_path, compress=3)
        os.replace(temp_path, path)
    finally:
        if os.path.exists(temp_path):
            os.unlink(temp_path)
    return sha256_of(path)


def artifact_format(path: str | os.PathLike) -> str:
    """ "skops" or "joblib", from the file itself."""
    return "skops" if zipfile.is_zipfile(path) else "joblib"


def load(path: str | os.PathLike, sha256: str) -> TrainedModel:
    """Load a model saved by `save`, after checking that the file still has its hash."""
    if not sha256:
        raise ArtifactError("The model has no recorded hash, so it is not loaded.")
    try:
        actual = sha256_of(path)
    except OSError as exc:
        raise ArtifactError(f"The model file cannot be read: {exc.strerror or exc}.") from exc
    if actual != sha256:
        raise ArtifactError("The model file does not match its recorded SHA-256; it was changed and is not loaded.")
    try:
        model = _load_skops(path) if artifact_format(path) == "skops" else joblib.load(path)  # noqa: S301 - hash checked
    except ArtifactError:
        raise
    except Exception as exc:  # noqa: BLE001 - whatever the reader trips on, the answer is the same
        raise ArtifactError(f"The model file cannot be loaded ({type(exc).__name__}).") from exc
    if not isinstance(model, TrainedModel):
        raise ArtifactError("The file is not a model saved by this platform.")
    return model


def _load_skops(path):
    import skops.io as sio

    types = sio.get_untrusted_types(file=path)
    refused = [name for name in types if not name.startswith(TRUSTED)]
    if refused:
        raise ArtifactError(f"The model file holds types the platform does not load: {', '.join(refused[:5])}.")
    return sio.load(path, trusted=types)


def _model_name(pipeline) -> str:
    model = pipeline.named_steps["model"]
    return type(getattr(model, "regressor_", model)).__name__
