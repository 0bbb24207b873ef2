"""Small builders so each test states its table as plain Python lists."""

from __future__ import annotations

import json

import pyarrow as pa

from datasets.ingest.profile import profile_table

ARROW_TYPES = {
    "categorical": pa.string(),
    "text": pa.string(),
    "identifier": pa.string(),
    "boolean": pa.bool_(),
    "datetime": pa.timestamp("s"),
}


def make(**columns: tuple) -> tuple[pa.Table, list[dict]]:
    """`name=(type, values[, role])` per column; numeric values keep the type Arrow infers."""
    arrays, specs = {}, []
    for name, (kind, values, *role) in columns.items():
        if isinstance(values, pa.Array | pa.ChunkedArray):
            arrays[name] = values
        else:
            arrays[name] = pa.array(values, type=ARROW_TYPES.get(kind))
        specs.append({"name": name, "type": kind, "role": role[0] if role else "feature"})
    return pa.table(arrays), specs


def run(**columns: tuple) -> dict:
    return run_with({}, **columns)


def run_with(options: dict, **columns: tuple) -> dict:
    """Profile the table and check, for every test, that the result is strict JSON."""
    table, specs = make(**columns)
    result = profile_table(table, specs, **options)
    json.dumps(result, allow_nan=False)
    return result


def column(result: dict, name: str) -> dict:
    return next(c for c in result["columns"] if c["name"] == name)


def warnings(result: dict, code: str) -> list[dict]:
    return [w for w in result["warnings"] if w["code"] == code]


def association(result: dict, name: str) -> dict:
    return next(a for a in result["target"]["associations"] if a["column"] == name)
