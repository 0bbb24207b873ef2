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

import numpy as np
import pandas as pd
import pyarrow as pa

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
        return self.as_frame(self.values(rows), len(rows))

    def as_frame(self, values: dict[str, list], count: int) -> pd.DataFrame:
        # The index keeps the number of rows even for a model without input columns.
        return pd.DataFrame(values, columns=self.columns, index=pd.RangeIndex(count))

    def values(self, rows: list) -> dict[str, list]:
        """The rows' checked values column by column (None where missing), or `InvalidInput`."""
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
        return values

    def table(self, table: pa.Table) -> pd.DataFrame:
        """A whole file's rows (an Arrow table as the dataset readers give it) checked and typed
        column by column, by the same rules as `frame`; problems name the row (from 0)."""
        missing = [name for name in self.columns if name not in table.column_names]
        if missing:
            raise InvalidInput([Problem(-1, name, "This column is missing from the file.") for name in missing])
        problems: list[Problem] = []
        values = {}
        for column in self.schema:
            typed, bad = self._column(table.column(column["name"]), column)
            values[column["name"]] = typed
            for row in np.flatnonzero(bad)[:MAX_PROBLEMS]:
                message = self._read(_scalar(table, column, row), column)[1] or "This value cannot be used."
                problems.append(Problem(int(row), column["name"], message))
        if problems:
            problems.sort(key=lambda p: (p.row, self.columns.index(p.column)))
            raise InvalidInput(problems[:MAX_PROBLEMS])
        return pd.DataFrame(values, columns=self.columns, index=pd.RangeIndex(table.num_rows))

    def _column(self, data: pa.ChunkedArray, column: dict) -> tuple[object, np.ndarray]:
        """(typed values, mask of the rows whose value cannot be used)."""
        kind, type_ = column["kind"], data.type
        present = data.is_valid().to_numpy(zero_copy_only=False)
        if kind == "numeric" and (pa.types.is_integer(type_) or pa.types.is_floating(type_)):
            numbers = data.cast(pa.float64()).to_numpy(zero_copy_only=False)
            return numbers, present & ~np.isfinite(np.where(present, numbers, 0.0))
        if kind == "boolean" and pa.types.is_boolean(type_):
            return data.cast(pa.float64()).to_numpy(zero_copy_only=False), np.zeros(len(present), bool)
        if kind == "datetime" and (pa.types.is_timestamp(type_) or pa.types.is_date(type_)):
            stamps = pd.to_datetime(data.to_pandas())
            return (stamps.dt.tz_localize(None) if stamps.dt.tz else stamps), np.zeros(len(present), bool)
        try:
            text = data.cast(pa.string())
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            text = pa.array([None if v is None else str(v) for v in data.to_pylist()], pa.string())
        series = pd.Series(text.to_pandas(), dtype=object)
        if kind in ("numeric", "boolean", "datetime"):
            series = series.str.strip()
        if kind == "numeric":
            numbers = pd.to_numeric(series, errors="coerce").to_numpy(dtype=float)
            return numbers, present & ~np.isfinite(np.where(present, numbers, 0.0))
        if kind == "boolean":
            lowered = series.str.lower()
            numbers = np.where(lowered.isin(TRUE), 1.0, np.where(lowered.isin(FALSE), 0.0, np.nan))
            return numbers, present & np.isnan(numbers)
        if kind == "datetime":
            stamps = _dates(series)
            return stamps, present & stamps.isna().to_numpy()
        known = self.known.get(column["name"])
        bad = present & ~series.isin(known).to_numpy() if known is not None else np.zeros(len(present), bool)
        return series.where(series.notna(), None), bad

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


def _scalar(table: pa.Table, column: dict, row) -> object:
    value = table.column(column["name"])[int(row)].as_py()
    return str(value) if column["kind"] not in ("numeric", "boolean") and value is not None else value


def _dates(series: pd.Series) -> pd.Series:
    """Text as naive times: ISO dates at once, anything else (another format, mixed time zones)
    one distinct value at a time, as a single row would be read."""
    try:
        stamps = pd.to_datetime(series, errors="coerce", format="ISO8601")
        if stamps.dt.tz is not None:
            stamps = stamps.dt.tz_localize(None)
    except (ValueError, TypeError):
        stamps = pd.Series(pd.NaT, index=series.index, dtype="datetime64[ns]")
    failed = series.notna() & stamps.isna()
    if failed.any():
        lookup = {value: _date(value)[0] for value in series[failed].unique()}
        stamps = stamps.astype(object)
        stamps[failed] = series[failed].map(lookup)
        stamps = pd.to_datetime(stamps, errors="coerce")
    return stamps


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
