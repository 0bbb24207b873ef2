"""What the training workflows need to know about a dataset version's columns: their type and
role from the schema, and from the profile how many distinct values they hold and whether the
numbers are whole (which tells classification from regression)."""

from __future__ import annotations

from datasets.models import DatasetVersion
from datasets.preview import load_profile

CLASSIFICATION_MAX_CLASSES = 20


def _whole(value) -> bool:
    try:
        return float(value).is_integer()
    except (TypeError, ValueError):
        return False


def column_facts(version: DatasetVersion) -> dict[str, dict]:
    """name → {type, role, distinct, missing, present, integral}, in schema order."""
    try:
        profile = load_profile(version) or {}
    except (OSError, ValueError):
        profile = {}
    profiled = {c["name"]: c for c in profile.get("columns", [])}
    rows = version.n_rows or 0
    facts = {}
    for column in version.columns:
        seen = profiled.get(column["name"], {})
        tops = [t.get("value") for t in seen.get("top_values") or []]
        integral = column["type"] == "numeric" and all(
            _whole(v) for v in [*tops, seen.get("min"), seen.get("max")] if v is not None
        )
        missing = int(seen.get("missing") or 0)
        facts[column["name"]] = {
            "name": column["name"],
            "type": column["type"],
            "role": column.get("role", "feature"),
            "distinct": seen.get("distinct"),
            "missing": missing,
            "present": rows - missing,
            "integral": bool(integral and seen),
        }
    return facts


def task_for_target(fact: dict) -> str | None:
    """classification or regression for this target column; None if it cannot be predicted."""
    if fact["type"] in ("datetime", "identifier"):
        return None
    if fact["type"] != "numeric":
        return "classification"
    distinct = fact.get("distinct")
    if (
        fact.get("integral")
        and distinct is not None
        and distinct <= CLASSIFICATION_MAX_CLASSES
        and 2 * distinct <= fact["present"]
    ):
        return "classification"
    return "regression"


def suggested_target(version: DatasetVersion, project_target: str = "") -> str:
    """The column a new job should predict by default: the schema's target, else the project's
    target column, else the profile's suggestion; "" when there is none (clustering)."""
    names = {c["name"] for c in version.columns}
    if version.target:
        return version.target
    if project_target and project_target in names:
        return project_target
    try:
        suggestion = ((load_profile(version) or {}).get("suggestions") or {}).get("target")
    except (OSError, ValueError):
        suggestion = None
    return suggestion if suggestion in names else ""


FEATURE_ROLES = ("feature", "time")


def feature_columns(columns: list[dict], target: str, validation: dict | None = None) -> list[dict]:
    """The schema entries a job learns from: features and time columns (as date parts), but not
    the target, nor the group column of a grouped validation (a model must not learn groups)."""
    validation = validation or {}
    group = validation.get("column", "") if validation.get("strategy") == "group" else ""
    return [c for c in columns if c.get("role") in FEATURE_ROLES and c["name"] not in (target, group)]
