"""Checking prediction input against a model's input schema (schema.py): rows as JSON-like
mappings become a typed DataFrame, or a list of problems, each naming its row and column.

The rules: every input column must be present in every row (null is allowed: the model's
imputation handles a missing value); numbers are numbers (or strings that read as one);
dates are ISO dates; booleans are true/false (or 1/0, "yes"/"no"); a categorical value must be
one seen in training unless the column is open. Columns the model does not use are ignored.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import pandas as pd

MAX_PROBLEMS = 50  # enough to fix a request; more would only repeat themselves
TRUE = {"true", "yes", "y", "1", "t"}
FALSE = {"false", "no", "n", "0", "f"}


@dataclass
class Problem:
    row: int
    column: str
    message: str

    def as_dict(self) -> dict:
        return {"row": self.row, "column": self.column, "message": self.message}


class InvalidInput(ValueError):
    def __init__(self, problems: list[Problem]):
        super().__init__(f"{len(problems)} problem(s) in the input")
        self.problems = problems


class InputChecker:
    """Checks rows against one model's input schema (built once per loaded model)."""

    def __init__(self, schema: list[dict]):
        self.schema = schema
        self.columns = [c["name"] for c in schema]
        # Without a list of categories (an older schema) a categorical column accepts any value.
        closed = [c for c in schema if c["kind"] == "categorical" and not c.get("open") and "categories" in c]
        self.known = {c["name"]: frozenset(c.get("categories", [])) for c in closed}

    def frame(self, rows: list) -> pd.DataFrame:
        """The rows as a DataFrame with the schema's columns, or `InvalidInput`."""
        problems: list[Problem] = []
        values: dict[str, list] = {name: [] for name in self.columns}
        for index, row in enumerate(rows):
            if not isinstance(row, dict):
                problems.append(Problem(index, "", "A row is an object of column names and values."))
                continue
            for column in self.schema:
                name = column["name"]
                if name not in row:
                    problems.append(Problem(index, name, "This column is missing (send null for an unknown value)."))
                    continue
                value, message = self._read(row[name], column)
                if message:
                    problems.append(Problem(index, name, message))
                values[name].append(value)
            if len(problems) >= MAX_PROBLEMS:
                break
        if problems:
            raise InvalidInput(problems[:MAX_PROBLEMS])
        # The index keeps the number of rows even for a model without input columns.
        return pd.DataFrame(values, columns=self.columns, index=pd.RangeIndex(len(rows)))

    def _read(self, value, column: dict) -> tuple[object, str]:
        if value is None or (isinstance(value, float) and math.isnan(value)):
            return None, ""
        kind = column["kind"]
        if kind == "numeric":
            return _number(value)
        if kind == "boolean":
            return _boolean(value)
        if kind == "datetime":
            return _date(value)
        if isinstance(value, dict | list):
            return None, "Expected a single value, not a list or an object."
        text = str(value).lower() if isinstance(value, bool) else str(value)
        known = self.known.get(column["name"])
        if known is not None and text not in known:
            listed = column.get("categories", [])
            shown = ", ".join(f"“{c}”" for c in listed[:10]) + (", …" if len(listed) > 10 else "")
            return None, f"“{text[:100]}” was never seen in training. Known values: {shown}."
        return text, ""


def _number(value) -> tuple[object, str]:
    if isinstance(value, bool | dict | list):
        return None, "Expected a number."
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None, f"Expected a number, got “{str(value)[:100]}”."
    if not math.isfinite(number):
        return None, "Expected a finite number."
    return number, ""


def _boolean(value) -> tuple[object, str]:
    if isinstance(value, bool):
        return float(value), ""
    text = str(value).strip().lower()
    if text in TRUE:
        return 1.0, ""
    if text in FALSE:
        return 0.0, ""
    return None, f"Expected true or false, got “{str(value)[:100]}”."


def _date(value) -> tuple[object, str]:
    if not isinstance(value, str):
        return None, "Expected a date as text, such as 2024-05-31 or 2024-05-31T14:30:00."
    try:
        stamp = pd.Timestamp(value)
    except (ValueError, TypeError):
        return None, f"Expected a date such as 2024-05-31, got “{value[:100]}”."
    if stamp is pd.NaT:
        return None, ""
    # Training saw naive times; a zone-aware one is taken at its own clock time.
    return (stamp.tz_localize(None) if stamp.tzinfo else stamp), ""
