"""The numpy shapes the profiler computes on, made once per column from the Arrow table.

Every statistic works on one of two shapes so that no step loops over rows in Python:
numbers as float64 with NaN for missing (numeric, datetime in seconds, boolean as 0/1), and
labels as int32 codes into a dictionary with -1 for missing (strings, booleans). Taking a row
sample is then just fancy indexing of these arrays.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

NUMERIC = "numeric"
DATETIME = "datetime"
BOOLEAN = "boolean"
STRING = "string"

STRING_TYPES = ("categorical", "text", "identifier")
# Columns with these roles never reach a model, so advice about training skips them.
UNTRAINED_ROLES = ("ignore", "identifier")
TICKS_PER_SECOND = {"s": 1, "ms": 1_000, "us": 1_000_000, "ns": 1_000_000_000}
BOOLEAN_LABELS = pa.array(["false", "true"])


@dataclass
class ColumnData:
    """One column in the profiler's working shape; see the module docstring."""

    index: int
    name: str
    type: str
    role: str
    kind: str
    n_rows: int
    values: np.ndarray | None = None
    codes: np.ndarray | None = None
    labels: pa.Array | None = None
    counts: np.ndarray | None = None
    ticks: np.ndarray | None = None
    unit: str = "s"
    tz: str | None = None
    is_integer: bool = False
    missing: int = 0
    distinct: int = 0
    integral: bool = False

    @property
    def present(self) -> int:
        return self.n_rows - self.missing

    @property
    def n_codes(self) -> int:
        return 0 if self.labels is None else len(self.labels)

    def take(self, rows: np.ndarray) -> ColumnData:
        """The same column restricted to `rows`, with its missing count recounted; `distinct`,
        `integral` and the labels stay those of the full column."""
        values = None if self.values is None else self.values[rows]
        codes = None if self.codes is None else self.codes[rows]
        missing = np.count_nonzero(codes < 0) if codes is not None else np.count_nonzero(np.isnan(values))
        return replace(
            self, n_rows=len(rows), values=values, codes=codes, ticks=None, counts=None, missing=int(missing)
        )


def resolve_kind(declared: str, arrow_type: pa.DataType) -> str:
    """The working kind: the declared type when the Arrow type agrees, else what Arrow holds.

    The caller promises a cast table, but a column that failed its cast must still profile
    rather than crash the whole page.
    """
    numeric_arrow = (
        pa.types.is_integer(arrow_type) or pa.types.is_floating(arrow_type) or pa.types.is_decimal(arrow_type)
    )
    temporal_arrow = pa.types.is_timestamp(arrow_type) or pa.types.is_date(arrow_type)
    if pa.types.is_null(arrow_type):
        return {"numeric": NUMERIC, "datetime": DATETIME, "boolean": BOOLEAN}.get(declared, STRING)
    if declared == "numeric" and numeric_arrow:
        return NUMERIC
    if declared == "datetime" and temporal_arrow:
        return DATETIME
    if declared == "boolean" and pa.types.is_boolean(arrow_type):
        return BOOLEAN
    if declared in STRING_TYPES:
        return STRING
    if numeric_arrow:
        return NUMERIC
    if temporal_arrow:
        return DATETIME
    if pa.types.is_boolean(arrow_type):
        return BOOLEAN
    return STRING


def prepare_column(index: int, column: pa.ChunkedArray, spec: dict) -> ColumnData:
    """Convert one Arrow column to its working shape and count its missing values."""
    declared = str(spec.get("type") or "categorical")
    kind = resolve_kind(declared, column.type)
    cd = ColumnData(
        index=index,
        name=str(spec.get("name", f"column_{index}")),
        type=declared,
        role=str(spec.get("role") or "feature"),
        kind=kind,
        n_rows=len(column),
    )
    if kind == NUMERIC:
        _fill_numeric(cd, column)
    elif kind == DATETIME:
        _fill_datetime(cd, column)
    elif kind == BOOLEAN:
        _fill_boolean(cd, column)
    else:
        _fill_string(cd, column)
    return cd


def _fill_numeric(cd: ColumnData, column: pa.ChunkedArray) -> None:
    cd.is_integer = pa.types.is_integer(column.type)
    floats = pc.cast(column, pa.float64(), safe=False)
    cd.values = np.asarray(floats.to_numpy(), dtype=np.float64)
    # NaN stored in a float column is as unknown as a null, so both count as missing.
    cd.missing = int(np.count_nonzero(np.isnan(cd.values)))


def _fill_datetime(cd: ColumnData, column: pa.ChunkedArray) -> None:
    if pa.types.is_null(column.type) or pa.types.is_date(column.type):
        column = pc.cast(column, pa.timestamp("s"))
    cd.unit = column.type.unit
    cd.tz = column.type.tz
    missing = np.asarray(pc.is_null(column).to_numpy(), dtype=bool) if column.null_count else None
    ticks = pc.fill_null(pc.cast(column, pa.int64()), 0) if column.null_count else pc.cast(column, pa.int64())
    cd.ticks = np.asarray(ticks.to_numpy(), dtype=np.int64)
    cd.values = cd.ticks / TICKS_PER_SECOND[cd.unit]
    if missing is not None:
        cd.values[missing] = np.nan
    cd.missing = column.null_count


def _fill_boolean(cd: ColumnData, column: pa.ChunkedArray) -> None:
    ints = pc.cast(column, pa.int8())
    cd.codes = np.asarray(pc.fill_null(ints, -1).to_numpy(), dtype=np.int32)
    cd.labels = BOOLEAN_LABELS
    cd.values = np.where(cd.codes < 0, np.nan, cd.codes.astype(np.float64))
    counts = np.bincount(cd.codes + 1, minlength=3)
    cd.missing = int(counts[0])
    cd.counts = counts[1:]


def _fill_string(cd: ColumnData, column: pa.ChunkedArray) -> None:
    if pa.types.is_dictionary(column.type):
        column = pc.cast(column, column.type.value_type)
    if not (pa.types.is_string(column.type) or pa.types.is_large_string(column.type)):
        column = pc.cast(column, pa.string())
    array = column.combine_chunks() if isinstance(column, pa.ChunkedArray) else column
    encoded = pc.dictionary_encode(array)
    cd.labels = encoded.dictionary
    cd.codes = np.asarray(pc.fill_null(encoded.indices, -1).to_numpy(zero_copy_only=False), dtype=np.int32)
    counts = np.bincount(cd.codes + 1, minlength=len(cd.labels) + 1)
    cd.missing = int(counts[0])
    cd.counts = counts[1:]
