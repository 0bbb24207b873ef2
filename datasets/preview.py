"""Reading a page of a version's rows, and its profile, from the stored copies.

The first page of even a million-row dataset is one Parquet row group: read it, apply the
schema's types to those rows only, and format the values for JSON and HTML. Sorting needs the
whole sort column; its order is cached per process, because the data of a version never
changes (only the type of the column can, and that is part of the cache key).
"""

from __future__ import annotations

import json
import math
from datetime import date, datetime
from decimal import Decimal
from functools import lru_cache

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from . import storage
from .ingest import apply_types
from .models import DatasetVersion

MAX_LIMIT = 500
DEFAULT_LIMIT = 50


class PreviewError(ValueError):
    """A bad request for a page (unknown sort column, version not ready)."""


def _clean(value, dates_only: bool = False):
    if isinstance(value, float):
        return None if math.isnan(value) or math.isinf(value) else value
    if isinstance(value, datetime):
        return value.date().isoformat() if dates_only else value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, bytes):
        return value.hex()
    if isinstance(value, list | dict):
        return json.dumps(value, default=str)
    return value


def _all_midnight(values: list) -> bool:
    """A column of dates without times reads better without "00:00:00" on every row."""
    stamps = [v for v in values if isinstance(v, datetime)]
    return bool(stamps) and all(v.time() == datetime.min.time() and v.tzinfo is None for v in stamps)


def _parquet(version: DatasetVersion) -> pq.ParquetFile:
    if not version.parquet_key:
        raise PreviewError("This version has no data to show yet.")
    return pq.ParquetFile(storage.local_path(version.parquet_key), memory_map=True)


def _read_rows(file: pq.ParquetFile, offset: int, limit: int, columns: list[str] | None = None) -> pa.Table:
    """Rows [offset, offset+limit) reading only the row groups (and columns) that hold them."""
    meta = file.metadata
    groups, start, first_row = [], 0, None
    for index in range(meta.num_row_groups):
        rows = meta.row_group(index).num_rows
        if start + rows > offset and start < offset + limit:
            groups.append(index)
            if first_row is None:
                first_row = start
        start += rows
    if not groups:
        return _empty(file, columns)
    table = file.read_row_groups(groups, columns=columns)
    return table.slice(offset - first_row, limit)


def _empty(file: pq.ParquetFile, columns: list[str] | None) -> pa.Table:
    table = file.schema_arrow.empty_table()
    return table if columns is None else table.select(columns)


@lru_cache(maxsize=16)
def _sort_order(key: str, column: str, column_type: str, descending: bool) -> pa.Array:
    file = pq.ParquetFile(storage.local_path(key), memory_map=True)
    table = file.read(columns=[column])
    typed, _ = apply_types(table, [{"name": column, "type": column_type, "role": "feature"}])
    order = "descending" if descending else "ascending"
    return pc.sort_indices(typed, options=pc.SortOptions(sort_keys=[(column, order, "at_end")]))


def _take_rows(file: pq.ParquetFile, indices: pa.Array, columns: list[str] | None) -> pa.Table:
    """The rows at `indices` (in that order), reading only the row groups that hold them."""
    if not len(indices):
        return _empty(file, columns)
    meta = file.metadata
    starts = np.cumsum([0] + [meta.row_group(i).num_rows for i in range(meta.num_row_groups)])
    wanted = indices.to_numpy()
    groups = np.searchsorted(starts, wanted, side="right") - 1
    chosen = sorted(set(groups.tolist()))
    table = file.read_row_groups(chosen, columns=columns)
    # Position of each wanted row inside the concatenation of the chosen groups.
    offset_of = dict(zip(chosen, np.cumsum([0] + [meta.row_group(g).num_rows for g in chosen[:-1]]), strict=True))
    local = np.array([offset_of[g] + row - starts[g] for g, row in zip(groups.tolist(), wanted, strict=True)])
    return table.take(pa.array(local, type=pa.int64()))


def read_page(
    version: DatasetVersion,
    *,
    offset: int = 0,
    limit: int = DEFAULT_LIMIT,
    sort: str = "",
    descending: bool = False,
    columns: list[str] | None = None,
) -> dict:
    """{"columns": [...], "rows": [[...]], "offset", "limit", "total", "sort", "descending"}.

    `columns` (names) restricts the page to those columns, in schema order: a wide table is
    shown a window of columns at a time, and reading and typing only those keeps it fast."""
    if version.status != DatasetVersion.Status.READY:
        raise PreviewError("This version is not ready yet.")
    offset = max(0, int(offset))
    limit = max(1, min(MAX_LIMIT, int(limit)))
    file = _parquet(version)
    total = file.metadata.num_rows
    schema = version.columns
    names = None
    if columns is not None:
        wanted = set(columns)
        schema = [c for c in schema if c["name"] in wanted]
        names = [c["name"] for c in schema]
    if sort:
        column = next((c for c in version.columns if c["name"] == sort), None)
        if column is None:
            raise PreviewError(f"There is no column named “{sort}” to sort by.")
        indices = _sort_order(version.parquet_key, sort, column["type"], descending).slice(offset, limit)
        table = _take_rows(file, indices, names)
    else:
        table = _read_rows(file, offset, limit, names)
    typed, _ = apply_types(table, schema)
    names = typed.column_names
    data = [typed.column(i).to_pylist() for i in range(len(names))]
    dates_only = [_all_midnight(col) for col in data]
    rows = [[_clean(col[r], dates_only[i]) for i, col in enumerate(data)] for r in range(typed.num_rows)]
    return {
        "columns": [{"name": c["name"], "type": c["type"], "role": c["role"]} for c in schema],
        "rows": rows,
        "offset": offset,
        "limit": limit,
        "total": total,
        "sort": sort,
        "descending": bool(sort) and descending,
    }


@lru_cache(maxsize=32)
def _profile_from(key: str) -> str:
    return storage.read_bytes(key).decode()


def load_profile(version: DatasetVersion) -> dict | None:
    """The version's profile (None until the first profile is written). Cached by key: a new
    profile after a schema change gets a new key."""
    if not version.profile_key:
        return None
    return json.loads(_profile_from(version.profile_key))
