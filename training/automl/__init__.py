"""The AutoML engine: plain DataFrames in, a saved model and a leaderboard out. No Django here
(see DESIGN.md); the `training` app wraps it in jobs, pages and the API.

    from training.automl import SearchConfig, run
    result = run(X, y, column_types=types, config=SearchConfig(task="classification", metric="roc_auc"), out_dir=folder)
"""

from .budget import estimate_memory, memory_message
from .config import Events, SearchConfig
from .data import DataError
from .metrics import METRICS, default_metric, metrics_for
from .model import ArtifactError, TrainedModel, load
from .search import SearchResult, run
from .splits import STRATEGIES, Validation

__all__ = [
    "METRICS",
    "STRATEGIES",
    "ArtifactError",
    "DataError",
    "Events",
    "SearchConfig",
    "SearchResult",
    "TrainedModel",
    "Validation",
    "default_metric",
    "estimate_memory",
    "load",
    "memory_message",
    "metrics_for",
    "run",
]
