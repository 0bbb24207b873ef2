"""Semantic column types and default roles, and casting a table to them.

The physical Arrow type says how values are stored; the semantic type says how a model should
treat them (an integer 1-5 rating is a category, a unique string key is an identifier, text
like "2024-03-01" is a date). Inference looks at a deterministic sample (so 1M rows take well
under a second) plus whole-column distinct counts where uniqueness matters; the user can
override any type and ``apply_types`` then casts with warnings instead of failing.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import warnings as pywarnings

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from .errors import IngestError

COLUMN_TYPES = ("numeric", "categorical", "boolean", "datetime", "text", "identifier")
COLUMN_ROLES = ("feature", "target", "ignore", "identifier", "time")

SAMPLE_ROWS = 50_000
DATE_SAMPLE = 2_000
CATEGORICAL_INT_MAX_DISTINCT = 20
CATEGORICAL_INT_MAX_RATIO = 0.05
PARSE_MIN_RATIO = 0.95
IDENTIFIER_MIN_ROWS = 20
TEXT_MIN_AVG_LENGTH = 30

ID_NAME = re.compile(r"(?i)^(id|uuid|guid|key|pk|index|idx|rowid|row_id|unnamed: ?0)$|[_\s.-](id|uuid|guid|key)$")
ID_NAME_CAMEL = re.compile(r"[a-z0-9](Id|ID|Key|Uuid|UUID)$")
TIME_NAME = re.compile(r"(?i)date|time|stamp|^ts$|_ts$|_at$|_on$|^day$|^month$|^period$")
UUID = r"^[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}$"
NUMBER = r"^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$"
DECIMAL_COMMA = r"^[-+]?\d*,\d+$"
DECIMAL_DOT = r"^[-+]?\d*\.\d+$"
INTEGER = r"^[-+]?\d+$"
LEADING_ZERO = r"^0\d"
TRUE_TOKENS = ("true", "yes", "y", "t", "1")
FALSE_TOKENS = ("false", "no", "n", "f", "0")
DATE_ONLY = ("%d/%m/%Y", "%m/%d/%Y", "%d.%m.%Y", "%d-%m-%Y", "%m-%d-%Y", "%Y/%m/%d", "%Y.%m.%d")
DATE_FORMATS = (
    "ISO8601",
    *(f"{d}{t}" for d in DATE_ONLY for t in ("", " %H:%M", " %H:%M:%S")),
    "%d/%m/%y",
    "%m/%d/%y",
    "%d.%m.%y",
    "%d %b %Y",
    "%d %B %Y",
    "%b %d, %Y",
    "%B %d, %Y",
    "%b %d %Y",
    "%a, %d %b %Y %H:%M:%S %z",
)
DIGIT_DATE_FORMATS = ("%Y%m%d", "%Y%m%d%H%M%S", "%Y")  # only when the user says "datetime"


def infer_columns(table: pa.Table) -> list[dict]:
    """One dict per column, in order: name, type, role, inferred_type, inferred_role, physical."""
    sample = _sample(table)
    types = [
        _infer_type(name, table.column(i), sample.column(i), table.num_rows)
        for i, name in enumerate(table.column_names)
    ]
    datetimes = [name for name, (type_, _) in zip(table.column_names, types, strict=True) if type_ == "datetime"]
    columns = []
    for name, (type_, role), field in zip(table.column_names, types, table.schema, strict=True):
        if role is None:
            role = "identifier" if type_ == "identifier" else "feature"
            if type_ == "datetime" and len(datetimes) == 1 and TIME_NAME.search(name):
                role = "time"
        columns.append(
            {
                "name": name,
                "type": type_,
                "role": role,
                "inferred_type": type_,
                "inferred_role": role,
                "physical": str(field.type),
            }
        )
    return columns


def _sample(table: pa.Table) -> pa.Table:
    """A deterministic random sample of rows, so inference cost does not grow with the file."""
    if table.num_rows <= SAMPLE_ROWS:
        return table
    rows = np.sort(np.random.default_rng(0).choice(table.num_rows, SAMPLE_ROWS, replace=False))
    return table.take(pa.array(rows))


def _infer_type(name: str, full: pa.ChunkedArray, sample: pa.ChunkedArray, total_rows: int) -> tuple[str, str | None]:
    """(type, forced role or None) for one column."""
    kind = _decoded(sample).type
    if pa.types.is_null(kind) or full.null_count == len(full):
        return "categorical", "ignore"  # nothing to learn from an empty column
    if pa.types.is_boolean(kind):
        return "boolean", None
    if pa.types.is_timestamp(kind) or pa.types.is_date(kind):
        return "datetime", None
    if pa.types.is_integer(kind) or pa.types.is_floating(kind) or pa.types.is_decimal(kind):
        return _infer_numeric(name, full, _decoded(sample).drop_null(), integral_type=pa.types.is_integer(kind)), None
    if pa.types.is_string(kind) or pa.types.is_large_string(kind):
        return _infer_string(name, full, sample), None
    if pa.types.is_duration(kind):
        return "numeric", None
    return ("categorical" if pa.types.is_time(kind) else "text"), None


def _decoded(column: pa.ChunkedArray) -> pa.ChunkedArray:
    if pa.types.is_dictionary(column.type):
        return column.cast(column.type.value_type)
    return column


def _infer_numeric(name: str, full: pa.ChunkedArray, values: pa.ChunkedArray, *, integral_type: bool) -> str:
    if len(values) == 0:
        return "numeric"
    values = values.cast(pa.float64()) if not integral_type else values
    distinct = pc.count_distinct(values).as_py()
    if distinct == 2 and pc.all(pc.is_in(values, pa.array([0, 1], values.type))).as_py():
        return "boolean"
    integral = integral_type or pc.all(pc.equal(pc.floor(values), values)).as_py()
    if integral and _is_identifier_numeric(name, full, values, distinct, integral_type):
        return "identifier"
    if integral and distinct <= CATEGORICAL_INT_MAX_DISTINCT and distinct < CATEGORICAL_INT_MAX_RATIO * len(values):
        return "categorical"
    return "numeric"


def _is_identifier_numeric(
    name: str, full: pa.ChunkedArray, values: pa.ChunkedArray, distinct: int, integral_type: bool
) -> bool:
    """Unique whole numbers named like an id, or a plain row counter (consecutive integers)."""
    if distinct != len(values) or not _all_unique(full):
        return False
    if _id_like_name(name):
        return True
    if not integral_type:
        return False
    bounds = pc.min_max(full).as_py()
    count = len(full) - full.null_count
    return count >= IDENTIFIER_MIN_ROWS and full.null_count == 0 and bounds["max"] - bounds["min"] + 1 == count


def _all_unique(full: pa.ChunkedArray) -> bool:
    count = len(full) - full.null_count
    return count > 1 and pc.count_distinct(_decoded(full)).as_py() == count


def _id_like_name(name: str) -> bool:
    return bool(ID_NAME.search(name.strip()) or ID_NAME_CAMEL.search(name.strip()))


def _infer_string(name: str, full: pa.ChunkedArray, sample: pa.ChunkedArray) -> str:
    values = pc.utf8_trim_whitespace(_decoded(sample).cast(pa.string()))
    values = values.filter(pc.not_equal(values, "")).combine_chunks()
    n = len(values)
    if n == 0:
        return "categorical"
    uniques = pc.unique(values)
    distinct = len(uniques)
    if distinct <= 2 and _boolean_tokens(uniques):
        return "boolean"
    numeric = _count(pc.match_substring_regex(values, NUMBER))
    if numeric >= PARSE_MIN_RATIO * n and _count(pc.match_substring_regex(values, LEADING_ZERO)) == 0:
        parsed = _parse_numbers(values, NUMBER)[0].drop_null()
        return _infer_numeric(name, full, parsed, integral_type=False) if len(parsed) else "numeric"
    if _datetime_format(uniques) is not None:
        return "datetime"
    lengths = pc.utf8_length(values)
    avg_length = pc.mean(lengths).as_py()
    words = pc.mean(pc.add(pc.count_substring_regex(values, r"\s+"), 1)).as_py()
    if (avg_length > TEXT_MIN_AVG_LENGTH and words >= 2) or (distinct > 0.5 * n and words >= 3):
        return "text"
    if distinct == n and _all_unique(full):
        uuid_like = _count(pc.match_substring_regex(uniques, UUID)) >= PARSE_MIN_RATIO * distinct
        if _id_like_name(name) or uuid_like or len(full) - full.null_count >= IDENTIFIER_MIN_ROWS:
            return "identifier"
    return "categorical"


def _boolean_tokens(uniques: pa.Array) -> bool:
    lowered = set(pc.utf8_lower(uniques).to_pylist())
    if len(lowered) == 1:
        return lowered <= {"true", "false", "yes", "no"}
    return len(lowered) == 2 and bool(lowered & set(TRUE_TOKENS)) and bool(lowered & set(FALSE_TOKENS))


def _count(mask: pa.Array | pa.ChunkedArray) -> int:
    return int(pc.sum(mask).as_py() or 0)


def _datetime_format(
    uniques: pa.Array, *, allow_digits: bool = False, min_ratio: float = PARSE_MIN_RATIO
) -> str | None:
    """The format that parses the most sampled values (at least ``min_ratio`` of them), or None.

    Ambiguous day/month values (03/04/2024) resolve to day-first unless some value rules it out.
    """
    values = uniques.slice(0, DATE_SAMPLE).to_pylist()
    values = [v for v in values if v]
    if not values:
        return None
    formats = DATE_FORMATS + (DIGIT_DATE_FORMATS if allow_digits else ())
    if not allow_digits:
        # Cheap filters first: dates have digits, and are not bare numbers (years are numbers).
        tolerated = (1 - PARSE_MIN_RATIO) * len(values)
        if sum(1 for v in values if not any(c.isdigit() for c in v)) > tolerated:
            return None
        if sum(1 for v in values if v.lstrip("-+").isdigit()) > tolerated:
            return None
    series = pd.Series(values, dtype=object)
    best, best_ratio = None, 0.0
    for fmt in formats:
        ratio = _parse_dates(series, fmt).notna().mean()
        if ratio > best_ratio:
            best, best_ratio = fmt, ratio
        if ratio == 1.0:
            break
    return best if best_ratio >= min_ratio and best_ratio > 0 else None


def _parse_dates(series: pd.Series, fmt: str) -> pd.Series:
    with pywarnings.catch_warnings():
        pywarnings.simplefilter("ignore")
        parsed = pd.to_datetime(series, format=fmt, errors="coerce", utc=True)
    return parsed.dt.tz_localize(None)


# --- apply_types ---------------------------------------------------------------------------


def apply_types(table: pa.Table, columns: list[dict]) -> tuple[pa.Table, list[dict]]:
    """Cast each column named in ``columns`` to the representation of its (chosen) type.

    numeric -> int64 when lossless else float64; datetime -> timestamp; boolean -> bool;
    categorical/text/identifier -> string. Values that do not fit become null, with one
    "coerced" warning per column saying how many. Columns not listed are left alone.
    """
    specs = {column["name"]: column for column in columns}
    warnings: list[dict] = []
    for index, name in enumerate(table.column_names):
        spec = specs.get(name)
        if spec is None:
            continue
        type_ = spec.get("type") or spec.get("inferred_type")
        if type_ not in COLUMN_TYPES:
            raise IngestError(
                f"'{type_}' is not a column type; choose one of {', '.join(COLUMN_TYPES)}.", code="bad_type"
            )
        column = _decoded(table.column(index))
        converted, failed = CONVERTERS[type_](column)
        if failed:
            warnings.append(_coerced(name, failed, type_))
        table = table.set_column(index, pa.field(name, converted.type), converted)
    return table, warnings


def _coerced(name: str, failed: int, type_: str) -> dict:
    what = {"numeric": "numbers", "datetime": "dates", "boolean": "true/false"}[type_]
    if failed == 1:
        message = f"1 value in '{name}' could not be read as {what} and is treated as missing."
    else:
        message = f"{failed:,} values in '{name}' could not be read as {what} and are treated as missing."
    return {"code": "coerced", "column": name, "message": message}


def _to_numeric(column: pa.ChunkedArray) -> tuple[pa.ChunkedArray, int]:
    kind = column.type
    if pa.types.is_integer(kind):
        if pa.types.is_uint64(kind) and (pc.max(column).as_py() or 0) >= 2**63:
            return column.cast(pa.float64()), 0
        return column.cast(pa.int64()), 0
    if pa.types.is_floating(kind) or pa.types.is_decimal(kind) or pa.types.is_null(kind):
        return column.cast(pa.float64()), 0
    if pa.types.is_boolean(kind) or pa.types.is_timestamp(kind) or pa.types.is_duration(kind):
        return column.cast(pa.int64()), 0
    if pa.types.is_date(kind):
        return column.cast(pa.timestamp("s")).cast(pa.int64()), 0
    text = _trimmed_text(column)
    if _count(pc.match_substring_regex(text, DECIMAL_COMMA)) > _count(pc.match_substring_regex(text, DECIMAL_DOT)):
        text = pc.replace_substring(text, ",", ".")  # "1,5" where no value uses a decimal point
    numbers, failed = _parse_numbers(text, NUMBER)
    matched = pc.is_valid(numbers)
    if _count(pc.and_(matched, pc.invert(pc.match_substring_regex(text, INTEGER)))) == 0:
        try:
            return pc.cast(pc.if_else(matched, text, None), pa.int64()), failed
        except (pa.ArrowInvalid, OverflowError):
            pass
    return numbers, failed


def _parse_numbers(text: pa.Array | pa.ChunkedArray, pattern: str) -> tuple[pa.ChunkedArray, int]:
    """Strings -> float64 where they look like a number, null elsewhere; and the failure count."""
    matched = pc.match_substring_regex(text, pattern)
    present = pc.not_equal(text, "")
    failed = _count(pc.and_(present, pc.invert(matched)))
    return pc.cast(pc.if_else(matched, text, None), pa.float64()), failed


def _trimmed_text(column: pa.ChunkedArray) -> pa.ChunkedArray:
    text = column if pa.types.is_string(column.type) or pa.types.is_large_string(column.type) else _to_text(column)[0]
    return pc.utf8_trim_whitespace(text)


def _to_datetime(column: pa.ChunkedArray) -> tuple[pa.ChunkedArray, int]:
    kind = column.type
    if pa.types.is_timestamp(kind):
        return column, 0
    if pa.types.is_date(kind) or pa.types.is_null(kind):
        return column.cast(pa.timestamp("us")), 0
    text = _trimmed_text(column)
    text = pc.if_else(pc.equal(text, ""), pa.scalar(None, text.type), text)
    uniques = pc.unique(pc.drop_null(text).combine_chunks())
    fmt = _datetime_format(uniques, allow_digits=True, min_ratio=0.0) or "ISO8601"
    result = _arrow_dates(text, fmt)
    if result is None:
        parsed = _parse_dates(text.to_pandas(), fmt)
        result = pa.chunked_array([pa.array(parsed, from_pandas=True).cast(pa.timestamp("us"), safe=False)])
    return result, (len(text) - text.null_count) - (len(result) - result.null_count)


def _arrow_dates(text: pa.ChunkedArray, fmt: str) -> pa.ChunkedArray | None:
    """Arrow's C++ parsers, ~10x faster than pandas; None where they cannot do the job (time
    zones, ISO variants) so pandas, which detection used, parses instead."""
    try:
        if fmt == "ISO8601":
            return text.cast(pa.timestamp("us"))
        if "%z" not in fmt:
            return pc.strptime(text, format=fmt, unit="us", error_is_null=True)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        pass
    return None


def _to_boolean(column: pa.ChunkedArray) -> tuple[pa.ChunkedArray, int]:
    kind = column.type
    if pa.types.is_boolean(kind):
        return column, 0
    if pa.types.is_null(kind):
        return column.cast(pa.bool_()), 0
    if pa.types.is_integer(kind) or pa.types.is_floating(kind) or pa.types.is_decimal(kind):
        values = column.cast(pa.float64())
        known = pc.is_in(values, pa.array([0.0, 1.0]))
        result = pc.if_else(known, pc.equal(values, 1.0), None)
        return result, _count(pc.and_(pc.is_valid(values), pc.invert(known)))
    text = pc.utf8_lower(_trimmed_text(column))
    truthy = pc.is_in(text, pa.array(TRUE_TOKENS))
    falsy = pc.is_in(text, pa.array(FALSE_TOKENS))
    result = pc.if_else(truthy, True, pc.if_else(falsy, False, None))
    present = pc.and_(pc.is_valid(text), pc.not_equal(text, ""))
    return result, _count(pc.and_(present, pc.invert(pc.or_(truthy, falsy))))


def _to_text(column: pa.ChunkedArray) -> tuple[pa.ChunkedArray, int]:
    kind = column.type
    if pa.types.is_string(kind) or pa.types.is_large_string(kind):
        return column, 0
    if pa.types.is_binary(kind) or pa.types.is_large_binary(kind):
        decoded = [None if v is None else v.decode("utf-8", "replace") for v in column.to_pylist()]
        return pa.chunked_array([pa.array(decoded, pa.string())]), 0
    try:
        return column.cast(pa.string()), 0
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return pa.chunked_array([pa.array([None if v is None else str(v) for v in column.to_pylist()])]), 0


CONVERTERS = {
    "numeric": _to_numeric,
    "datetime": _to_datetime,
    "boolean": _to_boolean,
    "categorical": _to_text,
    "text": _to_text,
    "identifier": _to_text,
}


# --- Python values -> Arrow (for readers of JSON and Excel) -------------------------


def column_from_values(values: list) -> pa.Array:
    """One Arrow column from Python cell values: a single native type when they agree, else text."""
    kinds = {type(v) for v in values if v is not None}
    try:
        if not kinds or kinds == {str}:
            return pa.array(values, pa.string())
        if kinds == {bool}:
            return pa.array(values, pa.bool_())
        if kinds == {int}:
            return pa.array(values, pa.int64())
        if kinds <= {int, float}:
            return pa.array([None if v is None else float(v) for v in values], pa.float64())
        if kinds <= {dt.datetime, dt.date} and dt.datetime in kinds:
            return pa.array([_as_datetime(v) for v in values], pa.timestamp("us"))
        if kinds == {dt.date}:
            return pa.array(values, pa.date32())
    except (pa.ArrowException, OverflowError, TypeError, ValueError):
        pass
    return pa.array([None if v is None else value_text(v) for v in values], pa.string())


def _as_datetime(value: object) -> dt.datetime | None:
    if value is None or type(value) is dt.datetime:
        return value  # type: ignore[return-value]
    return dt.datetime.combine(value, dt.time())  # type: ignore[arg-type]


def value_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    if isinstance(value, dt.date | dt.datetime | dt.time):
        return value.isoformat()
    if isinstance(value, dict | list | tuple):
        return json.dumps(value, ensure_ascii=False, default=str)
    return str(value)
