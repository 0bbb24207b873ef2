"""Human advice drawn from the statistics: warnings about columns and rows, and a guess of the
target and problem type for a dataset whose target has not been chosen yet."""

from __future__ import annotations

import re

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from .profile_columns import NUMBER_PATTERN, top_codes
from .profile_data import DATETIME, NUMERIC, STRING, UNTRAINED_ROLES, ColumnData
from .profile_target import problem_type

MOSTLY_MISSING_SHARE = 0.5
HIGH_CARDINALITY_DISTINCT = 50
HIGH_CARDINALITY_SHARE = 0.05
IDENTIFIER_MIN_ROWS = 20
DUPLICATES_WARNING_SHARE = 0.01
IMBALANCE_MINORITY_SHARE = 0.10
MIXED_TYPES_MIN_SHARE = 0.5
SUGGESTED_TARGET_MAX_CLASSES = 50
TARGET_NAMES = frozenset(
    (
        "target",
        "label",
        "class",
        "y",
        "outcome",
        "churn",
        "churned",
        "price",
        "saleprice",
        "survived",
        "default",
        "fraud",
        "is_fraud",
        "response",
        "result",
        "income",
        "salary",
        "sales",
        "revenue",
        "diagnosis",
        "species",
        "quality",
        "converted",
        "conversion",
        "clicked",
        "attrition",
        "exited",
        "cancelled",
        "approved",
        "defaulted",
    )
)
# Words that also name a target when they end a longer name ("sale_price", "is_churn");
# "y" and "class" only count alone, since "pos_y" or "subclass" rarely are targets.
TARGET_SUFFIXES = frozenset(TARGET_NAMES) - {"y", "class"}


def _warning(code: str, column: str | None, severity: str, message: str) -> dict:
    return {"code": code, "column": column, "severity": severity, "message": message}


def _percent(share: float) -> str:
    return f"{share:.1%}" if share < 0.1 else f"{share:.0%}"


def dataset_warnings(dataset: dict) -> list[dict]:
    warnings = []
    if dataset["n_rows"] == 0:
        warnings.append(
            _warning("no_rows", None, "warning", "The dataset has no rows, so there is nothing to profile.")
        )
    duplicates = dataset["duplicate_rows"]
    if duplicates:
        share = dataset["duplicate_share"]
        severity = "warning" if share >= DUPLICATES_WARNING_SHARE else "info"
        rows = "row is an exact duplicate" if duplicates == 1 else "rows are exact duplicates"
        message = f"{duplicates:,} {rows} of an earlier row ({_percent(share)} of the data)."
        warnings.append(_warning("duplicated_rows", None, severity, message))
    return warnings


def target_warnings(summary: dict | None, leaks: list[dict]) -> list[dict]:
    warnings = []
    if summary is None:
        return warnings
    name = summary["name"]
    minority = summary.get("minority_share")
    if minority is not None and minority < IMBALANCE_MINORITY_SHARE:
        rarest = summary["classes"][-1]["value"] if summary["n_classes"] <= len(summary["classes"]) else None
        which = f" ('{rarest}')" if rarest is not None else ""
        message = (
            f"The target '{name}' is imbalanced: its rarest class{which} is only {_percent(minority)} of the rows "
            f"(ratio {summary['imbalance_ratio']:.0f}:1); prefer balanced metrics such as F1 or ROC AUC."
        )
        warnings.append(_warning("imbalanced_target", name, "warning", message))
    for leak in leaks:
        column = leak["column"]
        if leak["reason"] == "purity":
            detail = "each of its values almost always goes with a single target class"
        else:
            detail = f"its association with the target is {leak['score']:.2f}"
        message = (
            f"'{column}' predicts the target '{name}' almost perfectly ({detail}); it may leak the answer "
            "and not be known at prediction time. Set its role to ignore unless you are sure."
        )
        warnings.append(_warning("target_leakage", column, "warning", message))
    return warnings


def column_warnings(cd: ColumnData, profile: dict) -> list[dict]:
    """Warnings about one column, judged on all rows."""
    name, n = cd.name, cd.n_rows
    warnings = []
    if n == 0:
        return warnings
    share = cd.missing / n
    if cd.present == 0:
        warnings.append(_warning("mostly_missing", name, "warning", f"'{name}' is empty: every value is missing."))
        return warnings
    if share > MOSTLY_MISSING_SHARE:
        message = f"'{name}' is mostly missing ({_percent(share)} of the rows)."
        warnings.append(_warning("mostly_missing", name, "warning", message))
    if cd.distinct == 1:
        value = profile["top_values"][0]["value"] if profile.get("top_values") else None
        shown = f" ('{value}')" if value is not None else ""
        message = f"'{name}' has a single value{shown}, so it carries no information for a model."
        warnings.append(_warning("constant", name, "warning", message))
    identifier_like = _identifier_like(cd)
    if identifier_like:
        warnings.append(_identifier_warning(cd))
    elif (
        cd.type == "categorical"
        and cd.distinct > HIGH_CARDINALITY_DISTINCT
        and cd.distinct > HIGH_CARDINALITY_SHARE * cd.present
    ):
        message = (
            f"'{name}' has {cd.distinct:,} distinct values ({_percent(cd.distinct / cd.present)} of the rows); "
            "rare values will be grouped, and it may be an identifier or free text."
        )
        warnings.append(_warning("high_cardinality", name, "warning", message))
    mixed = _mixed_types(cd, profile)
    if mixed:
        warnings.append(mixed)
    return warnings


def _identifier_like(cd: ColumnData) -> bool:
    """Unique for every row, and of a type whose uniqueness is suspicious: not floats
    (measurements), not datetimes (event times) and not free text."""
    if cd.n_rows < IDENTIFIER_MIN_ROWS or cd.missing or cd.distinct != cd.n_rows:
        return False
    if cd.kind == NUMERIC:
        return cd.is_integer
    return cd.kind == STRING and cd.type != "text"


def _identifier_warning(cd: ColumnData) -> dict:
    if cd.role in UNTRAINED_ROLES:
        message = f"'{cd.name}' is unique for every row; it looks like an identifier and is ignored for training."
        return _warning("identifier_like", cd.name, "info", message)
    message = (
        f"'{cd.name}' is unique for every row; it looks like an identifier. "
        "Set its role to identifier so it is not used for training."
    )
    return _warning("identifier_like", cd.name, "warning", message)


def _mixed_types(cd: ColumnData, profile: dict) -> dict | None:
    share = profile.get("numeric_share")
    if cd.kind != STRING or share is None or not MIXED_TYPES_MIN_SHARE <= share < 1.0:
        return None
    numeric = np.asarray(pc.match_substring_regex(cd.labels, NUMBER_PATTERN).to_numpy(zero_copy_only=False), dtype=bool)
    blank = np.asarray(pc.equal(pc.utf8_trim_whitespace(cd.labels), "").to_numpy(zero_copy_only=False), dtype=bool)
    examples = cd.labels.take(pa.array(top_codes(np.where(numeric | blank, 0, cd.counts), 3), type=pa.int64()))
    shown = ", ".join(f"'{v}'" for v in examples.to_pylist())
    message = (
        f"'{cd.name}' is mostly numbers ({_percent(share)}) but also holds text such as {shown}; "
        "if those mean 'unknown', declare them as missing values so the column can be numeric."
    )
    return _warning("mixed_types", cd.name, "warning", message)


def suggest_target(columns: list[ColumnData]) -> dict:
    """The column with the target role, else one named like a target, else the last column
    that could sensibly be predicted."""
    for cd in columns:
        if cd.role == "target":
            return _suggestion(cd, f"'{cd.name}' has the target role.")
    candidates = [cd for cd in columns if _could_be_target(cd)]
    named = [(score, cd.index, cd) for cd in candidates if (score := _name_score(cd.name))]
    if named:
        cd = max(named, key=lambda item: item[:2])[2]
        return _suggestion(cd, f"'{cd.name}' is named like a prediction target.")
    sensible = [cd for cd in candidates if cd.kind == NUMERIC or cd.distinct <= SUGGESTED_TARGET_MAX_CLASSES]
    if sensible:
        cd = sensible[-1]
        return _suggestion(cd, f"'{cd.name}' is the last column that could be predicted; choose another if it is not.")
    return {"target": None, "problem_type": None, "reason": "No column looks like a prediction target."}


def _suggestion(cd: ColumnData, reason: str) -> dict:
    kind = problem_type(cd)
    if kind == "classification":
        reason += f" With {cd.distinct:,} distinct values it is a classification problem."
    elif kind == "regression":
        reason += " It holds continuous numbers, so it is a regression problem."
    return {"target": cd.name, "problem_type": kind, "reason": reason}


def _could_be_target(cd: ColumnData) -> bool:
    if cd.role in UNTRAINED_ROLES or cd.type in ("identifier", "text") or cd.kind == DATETIME:
        return False
    return cd.distinct >= 2 and not _identifier_like(cd)


def _name_score(name: str) -> int:
    tokens = [t for t in re.split(r"[^a-z0-9]+", name.lower()) if t]
    if not tokens:
        return 0
    if "_".join(tokens) in TARGET_NAMES or "".join(tokens) in TARGET_NAMES:
        return 2
    return 1 if tokens[-1] in TARGET_SUFFIXES else 0
