"""Reading an uploaded file into a pyarrow Table: CSV/TSV, Excel, Parquet, JSON, JSON Lines.

``inspect_file`` looks at a bounded sample so the upload page can answer at once (and let the
user correct the delimiter, encoding, sheet...); ``read_table`` then reads everything with the
same detected options. Every problem the user can fix becomes an ``IngestError``.

JSON nesting policy (also applied to Parquet and JSON Lines structs): a field may hold one
level of nesting. An object of scalars is flattened into ``parent.child`` columns; an array of
scalars is kept as JSON text. Anything deeper (objects in objects, arrays of objects) is
refused with a message asking the user to flatten the data.
"""

from __future__ import annotations

import codecs
import contextlib
import datetime as dt
import io
import json
import re
import zipfile
import zlib
from collections.abc import Iterator

import openpyxl
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.json as pajson
import pyarrow.parquet as pq

from .errors import IngestError
from .formats import DAMAGED_COMPRESSION, Source, check_text, check_zip_sizes, open_source
from .sniff import (
    SAMPLE_BYTES,
    UTF8_REPLACE,
    CsvPlan,
    check_column_count,
    decode_sample,
    detect_encoding,
    encoding_warning,
    plan_csv,
    ragged_message,
    sniff_header,
    text_kind,
    unique_names,
    warning,
)
from .types import column_from_values, value_text

DEFAULT_MAX_COLUMNS = 20000
MAX_NESTING = 1
INSPECT_ROWS = 200
MAX_BLOCK = 256 * 1024 * 1024


def inspect_file(
    path: str, filename: str, options: dict | None = None, *, max_columns: int = DEFAULT_MAX_COLUMNS
) -> dict:
    """Validate a file cheaply and return the read options detected for it.

    Reads a sample only (a few MB; Excel and Parquet read their directory and first rows), so
    it is safe to call during the upload request.
    """
    options = _clean_options(options)
    with open_source(path, filename) as src, _damaged_compression(src):
        if src.format in ("csv", "tsv"):
            plan = _csv_plan(src, options, max_columns)
            return {**_base(src), **plan.options(), "columns": plan.names}
        if src.format == "xlsx":
            return _read_excel(src, options, max_columns, limit=INSPECT_ROWS)[1]
        if src.format == "parquet":
            return _inspect_parquet(src, max_columns)
        return _read_json(src, options, max_columns, sample=True)[1]


def read_table(
    path: str, filename: str, options: dict | None = None, *, max_columns: int = DEFAULT_MAX_COLUMNS
) -> tuple[pa.Table, dict, list[dict]]:
    """Read the whole file: (table, detected options, warnings).

    Column names are unique non-empty strings; column types are as the format gives them
    (CSV types are pyarrow's inference); semantic types are decided by ``types.py``.
    """
    options = _clean_options(options)
    with open_source(path, filename) as src, _damaged_compression(src):
        if src.format in ("csv", "tsv"):
            return _read_csv(src, options, max_columns)
        if src.format == "xlsx":
            return _read_excel(src, options, max_columns)
        if src.format == "parquet":
            return _read_parquet(src, max_columns)
        return _read_json(src, options, max_columns)


@contextlib.contextmanager
def _damaged_compression(src: Source) -> Iterator[None]:
    """A truncated or corrupt .gz surfaces as EOFError/zlib/Arrow errors mid-read."""
    try:
        yield
    except (EOFError, OSError, zlib.error, pa.ArrowInvalid) as exc:
        if not src.gzip:
            raise
        raise IngestError(DAMAGED_COMPRESSION, code="corrupt") from exc


def _clean_options(options: dict | None) -> dict:
    options = {key: value for key, value in (options or {}).items() if value is not None}
    header = options.get("header")
    if isinstance(header, str):
        options["header"] = header.strip().lower() in ("1", "true", "yes", "on")
    return options


def _base(src: Source) -> dict:
    return {"format": src.format, "compression": src.compression, "member": src.member}


def _sample(src: Source) -> tuple[bytes, bool]:
    """The first SAMPLE_BYTES of content (more if no line ends there), and whether that is all."""
    size = SAMPLE_BYTES
    while True:
        head = src.head(size + 1)
        if len(head) <= size or b"\n" in head or b"\r" in head or size >= 16 * SAMPLE_BYTES:
            break
        size *= 4
    complete = len(head) <= size
    head = head[:size]
    if not head.strip(b" \t\r\n\x00\xef\xbb\xbf\xff\xfe"):
        raise IngestError("The file is empty.", code="empty")
    check_text(head[: 64 * 1024], src.name)
    return head, complete


# --- CSV / TSV -------------------------------------------------------------------------------


def _csv_plan(src: Source, options: dict, max_columns: int) -> CsvPlan:
    head, complete = _sample(src)
    return plan_csv(
        head,
        complete=complete,
        options=options,
        default_delimiter="\t" if src.format == "tsv" else None,
        max_columns=max_columns,
    )


class _BadRows:
    """pyarrow invalid_row_handler: remember the first bad row and stop the read."""

    def __init__(self) -> None:
        self.rows: list = []

    def __call__(self, row) -> str:
        self.rows.append(row)
        return "error"


def _read_csv(src: Source, options: dict, max_columns: int) -> tuple[pa.Table, dict, list[dict]]:
    plan = _csv_plan(src, options, max_columns)
    warnings = list(plan.warnings)
    encoding, newlines = plan.encoding, plan.quoted_newlines
    block = min(max(4 * 1024 * 1024, plan.longest_line * 64), MAX_BLOCK)
    column_types: dict[str, pa.DataType] = {}
    for _attempt in range(10 + len(plan.names)):
        bad = _BadRows()
        try:
            table = _arrow_csv(src, plan, encoding, block, newlines, column_types, bad)
        except pa.ArrowInvalid as exc:
            message = str(exc)
            what = "the header has" if plan.header else "the first row has"
            if bad.rows:
                row = bad.rows[0]
                if not newlines and '"' in (row.text or ""):
                    newlines = True
                    continue
                line = _find_line(src, encoding, row.text)
                error = ragged_message(line, row.actual_columns, row.expected_columns, what)
                raise IngestError(error, code="ragged") from exc
            if "straddl" in message and block < MAX_BLOCK:
                block *= 4
                continue
            counts = re.search(r"Expected (\d+) columns, got (\d+): (.*)", message, re.DOTALL)
            if counts:
                line = _find_line(src, encoding, counts.group(3))
                error = ragged_message(line, int(counts.group(2)), int(counts.group(1)), what)
                raise IngestError(error, code="ragged") from exc
            failed = re.search(r"In CSV column #(\d+): CSV conversion error", message)
            if failed and int(failed.group(1)) < len(plan.names):
                column_types[plan.names[int(failed.group(1))]] = pa.string()
                continue
            raise IngestError(f"The file could not be read as delimited text: {message}", code="parse") from exc
        if _is_utf8(encoding) and _has_binary(table):
            # The sample was UTF-8 but later bytes are not: re-read leniently instead of failing.
            # Mostly-ASCII files are legacy-encoded; otherwise (or if UTF-8 was chosen) replace.
            explicit = bool(options.get("encoding"))
            encoding = UTF8_REPLACE if plan.sample_has_non_ascii or explicit else "cp1252"
            warnings.insert(0, encoding_warning(encoding))
            continue
        break
    else:
        raise IngestError("The file could not be read as delimited text.", code="parse")
    if table.num_rows == 0:
        if plan.header:
            raise IngestError("The file has a header row but no data rows.", code="no_rows")
        raise IngestError("The file is empty.", code="empty")
    detected = {**_base(src), **plan.options(), "encoding": encoding, "columns": plan.names}
    return table, detected, warnings


def _arrow_csv(src, plan, encoding, block, newlines, column_types, handler) -> pa.Table:
    with _stream(src) as stream:
        return pacsv.read_csv(
            stream,
            read_options=pacsv.ReadOptions(
                use_threads=True,
                block_size=block,
                skip_rows=plan.skip_rows + int(plan.header),
                column_names=plan.names,
                encoding="utf8" if _is_utf8(encoding) else encoding,
            ),
            parse_options=pacsv.ParseOptions(
                delimiter=plan.delimiter, newlines_in_values=newlines, invalid_row_handler=handler
            ),
            convert_options=pacsv.ConvertOptions(
                decimal_point=plan.decimal, strings_can_be_null=True, column_types=column_types
            ),
        )


def _stream(src: Source):
    """What pyarrow reads: its own file reader, or the size-capped decompressor for .gz."""
    return src.open() if src.gzip else pa.input_stream(src.path, compression=None)


def _is_utf8(encoding: str) -> bool:
    return encoding != UTF8_REPLACE and codecs.lookup(encoding).name in ("utf-8", "utf-8-sig")


def _has_binary(table: pa.Table) -> bool:
    return any(pa.types.is_binary(f.type) or pa.types.is_large_binary(f.type) for f in table.schema)


def _find_line(src: Source, encoding: str, text: str | None) -> int | None:
    """The physical line of a bad row pyarrow reported without a number (threaded reads)."""
    if not text:
        return None
    target = text.split("\n", 1)[0].rstrip("\r")
    with src.open() as raw, io.TextIOWrapper(raw, encoding=encoding, errors="replace", newline="") as lines:
        for number, line in enumerate(lines, 1):
            if line.rstrip("\r\n").lstrip("\ufeff") == target:
                return number
    return None


# --- Excel -----------------------------------------------------------------------------------


def _read_excel(src: Source, options: dict, max_columns: int, limit: int | None = None):
    """openpyxl in read-only mode, after the zip directory is checked for a decompression bomb."""
    try:
        with zipfile.ZipFile(src.path) as zf:
            check_zip_sizes(zf, "Excel workbook")
            if "xl/workbook.xml" not in zf.namelist():
                raise IngestError("The file is a zip archive but not an Excel workbook.", code="corrupt")
        book = openpyxl.load_workbook(src.path, read_only=True, data_only=True)
    except IngestError:
        raise
    except Exception as exc:  # openpyxl raises many kinds of error on damaged files
        raise IngestError("The Excel file could not be opened; it may be damaged.", code="corrupt") from exc
    try:
        sheets = list(book.sheetnames)
        sheet = _choose_sheet(book, options.get("sheet"), max_columns)
        rows = _sheet_rows(book[sheet], max_columns, limit)
    except IngestError:
        raise
    except Exception as exc:
        raise IngestError("The Excel file could not be read; it may be damaged.", code="corrupt") from exc
    finally:
        book.close()
    if not rows:
        raise IngestError(f"The sheet '{sheet}' is empty (sheets: {', '.join(sheets)}).", code="empty")
    header = options.get("header")
    guessed = header is None
    if guessed:
        header = sniff_header(rows, _cell_kind)
    warnings: list[dict] = []
    if header:
        names, warnings = unique_names([value_text(v) for v in rows[0]])
        body = rows[1:]
        if not body:
            message = f"The sheet '{sheet}' has a header row but no data rows (sheets: {', '.join(sheets)})."
            raise IngestError(message, code="no_rows")
    else:
        names, body = [f"column_{i}" for i in range(1, len(rows[0]) + 1)], rows
        if guessed:
            warnings.append(warning("no_header", None, "The first row looks like data, so columns were numbered."))
    detected = {**_base(src), "sheet": sheet, "sheets": sheets, "header": bool(header), "columns": names}
    columns = [column_from_values([r[i] for r in body]) for i in range(len(names))]
    return pa.Table.from_arrays(columns, names=names), detected, warnings


def _choose_sheet(book, requested: object, max_columns: int) -> str:
    """The requested sheet; by default the first one holding a table (a header and a row),
    so a leading cover or notes sheet does not hide the data."""
    sheets = list(book.sheetnames)
    if not sheets:
        raise IngestError("The workbook has no sheets.", code="empty")
    if requested is None or requested == "":
        usable = (name for name in sheets if len(_sheet_rows(book[name], max_columns, 2)) >= 2)
        return next(usable, sheets[0])
    if isinstance(requested, int) and 0 <= requested < len(sheets):
        return sheets[requested]
    if requested in sheets:
        return str(requested)
    raise IngestError(f"There is no sheet '{requested}'. The sheets are: {', '.join(sheets)}.", code="bad_option")


def _sheet_rows(sheet, max_columns: int, limit: int | None) -> list[tuple]:
    rows: list[tuple] = []
    width = 0
    for row in sheet.iter_rows(values_only=True):
        used = [i for i, v in enumerate(row) if v is not None and not (isinstance(v, str) and not v.strip())]
        if not used:
            continue
        width = max(width, used[-1] + 1)
        check_column_count(width, max_columns)
        rows.append(row)
        if limit and len(rows) >= limit:
            break
    return [tuple(row[:width]) + (None,) * (width - len(row)) for row in rows]


def _cell_kind(value: object) -> str:
    if value is None:
        return "empty"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, dt.date | dt.datetime | dt.time):
        return "date"
    return text_kind(str(value))


# --- Parquet ---------------------------------------------------------------------------------


def _parquet(src: Source) -> pq.ParquetFile:
    try:
        return pq.ParquetFile(src.path)
    except (pa.ArrowException, OSError, ValueError) as exc:
        raise IngestError("The Parquet file is damaged or incomplete and cannot be read.", code="corrupt") from exc


def _inspect_parquet(src: Source, max_columns: int) -> dict:
    pf = _parquet(src)
    schema = pf.schema_arrow
    check_column_count(len(schema), max_columns)
    if pf.metadata.num_rows == 0:
        raise IngestError("The Parquet file has no rows.", code="no_rows")
    empty = normalize_nested(schema.empty_table())[0]
    return {**_base(src), "columns": unique_names(empty.column_names)[0]}


def _read_parquet(src: Source, max_columns: int) -> tuple[pa.Table, dict, list[dict]]:
    pf = _parquet(src)
    check_column_count(len(pf.schema_arrow), max_columns)
    try:
        table = pf.read(use_threads=True)
    except (pa.ArrowException, OSError, ValueError) as exc:
        raise IngestError("The Parquet file is damaged and cannot be read.", code="corrupt") from exc
    if table.num_rows == 0:
        raise IngestError("The Parquet file has no rows.", code="no_rows")
    table, warnings = normalize_nested(table)
    names, renamed = unique_names(table.column_names)
    return table.rename_columns(names), {**_base(src), "columns": names}, warnings + renamed


def normalize_nested(table: pa.Table) -> tuple[pa.Table, list[dict]]:
    """Apply the nesting policy to Arrow columns: flatten structs of scalars, list -> JSON text."""
    warnings: list[dict] = []
    for name, type_ in zip(table.column_names, table.schema.types, strict=True):
        children = [type_.field(i).type for i in range(type_.num_fields)] if _is_nested(type_) else []
        if any(_is_nested(child) for child in children):
            raise _nested_error(name)
        if pa.types.is_struct(type_):
            warnings.append(warning("flattened", name, f"The nested field '{name}' was split into '{name}.*' columns."))
    if warnings:
        table = table.flatten()
    for index, (name, type_) in enumerate(zip(table.column_names, table.schema.types, strict=True)):
        if _is_nested(type_):
            text = pa.array(
                [None if v is None else value_text(v) for v in table.column(index).to_pylist()], pa.string()
            )
            table = table.set_column(index, name, text)
            warnings.append(warning("stringified", name, f"'{name}' holds lists; they are kept as JSON text."))
    return table, warnings


def _is_nested(type_: pa.DataType) -> bool:
    return pa.types.is_nested(type_)


def _nested_error(name: str) -> IngestError:
    return IngestError(
        f"The field '{name}' is nested more than {MAX_NESTING} level deep. Only one level is supported "
        "(objects become 'parent.child' columns, lists become text); flatten the data before uploading.",
        code="nested",
    )


# --- JSON / JSON Lines -----------------------------------------------------------------------


def _read_json(src: Source, options: dict, max_columns: int, sample: bool = False):
    head, complete = _sample(src)
    encoding = options.get("encoding") or detect_encoding(head)
    guessed = encoding not in ("utf-8", "utf-16") and not options.get("encoding")
    warnings = [encoding_warning(encoding)] if guessed else []
    text = decode_sample(head, encoding, complete)
    shape = _json_shape(text, src.format)
    detected = {**_base(src), "format": shape, "encoding": encoding}
    # inspect: the records whole in the sample; a big file's head may hold none (huge records)
    records = _head_records(text, shape) if sample and not complete else None
    fast = shape == "jsonl" and encoding == "utf-8" and not head.startswith(b"\xef\xbb\xbf")
    table = _arrow_jsonl(src) if not records and fast else None
    if table is not None:
        table, nested = normalize_nested(table)
        check_column_count(table.num_columns, max_columns)
        names, renamed = unique_names(table.column_names)
        return _finish_json(table.rename_columns(names), detected, warnings + nested + renamed)
    if not records:
        records = _parse_text(text, shape) if complete else _python_records(src, encoding, shape)
    if isinstance(records, tuple):
        records, key = records
        warnings.append(warning("json_key", None, f"The records were read from the '{key}' field of the file."))
    table, more = records_to_table(records, max_columns)
    return _finish_json(table, detected, warnings + more)


def _finish_json(table: pa.Table, detected: dict, warnings: list[dict]):
    if table.num_rows == 0:
        raise IngestError("The file holds no records.", code="no_rows")
    if table.num_columns == 0:
        raise IngestError("The records have no fields.", code="no_rows")
    return table, {**detected, "columns": table.column_names}, warnings


def _json_shape(text: str, fmt: str) -> str:
    """ "json" for an array (or an object holding one), "jsonl" for one record per line."""
    start = text.lstrip()[:1]
    if start == "[":
        return "json"
    if start != "{":
        raise _shape_error()
    if fmt == "jsonl":
        return "jsonl"
    try:
        _, end = json.JSONDecoder().raw_decode(text, len(text) - len(text.lstrip()))
    except json.JSONDecodeError:
        return "json"  # one big object (or broken JSON, reported when parsed)
    except RecursionError as exc:
        raise _nested_error("(record)") from exc
    return "jsonl" if text[end:].strip() else "json"


def _shape_error() -> IngestError:
    return IngestError(
        "JSON must be an array of records ([{...}, {...}]) or JSON Lines (one {...} record per line).",
        code="json_shape",
    )


def _arrow_jsonl(src: Source) -> pa.Table | None:
    """pyarrow's multithreaded JSON Lines reader; None when it cannot (mixed types...)."""
    try:
        with _stream(src) as stream:
            return pajson.read_json(stream, read_options=pajson.ReadOptions(block_size=16 * 1024 * 1024))
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return None


def _python_records(src: Source, encoding: str, shape: str):
    with src.open() as raw:
        text = raw.read().decode(encoding, "replace").lstrip("\ufeff")
    return _parse_text(text, shape)


def _parse_text(text: str, shape: str):
    if shape == "jsonl":
        records = []
        for number, line in enumerate(text.splitlines(), 1):
            if line.strip():
                try:
                    records.append(json.loads(line))
                except json.JSONDecodeError as exc:
                    raise IngestError(f"Line {number} is not valid JSON: {exc.msg}.", code="invalid_json") from exc
                except RecursionError as exc:
                    raise _nested_error(f"(line {number})") from exc
        return records
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        message = f"The file is not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})."
        raise IngestError(message, code="invalid_json") from exc
    except RecursionError as exc:
        raise _nested_error("(record)") from exc
    if isinstance(data, dict):
        lists = [(k, v) for k, v in data.items() if isinstance(v, list)]
        if len(data) == 1 and len(lists) == 1:
            return lists[0][1], lists[0][0]
        raise _shape_error()
    if not isinstance(data, list):
        raise _shape_error()
    return data


def _head_records(text: str, shape: str, limit: int = 1000) -> list:
    """Records that fit whole in a sample of a big file."""
    decoder = json.JSONDecoder()
    records: list = []
    if shape == "jsonl":
        for line in text.splitlines()[:-1][:limit]:
            if line.strip():
                with contextlib.suppress(json.JSONDecodeError):
                    records.append(json.loads(line))
        return records
    pos = text.index("[") + 1
    while len(records) < limit:
        while pos < len(text) and text[pos] in " \t\r\n,":
            pos += 1
        if pos >= len(text) or text[pos] == "]":
            break
        try:
            record, pos = decoder.raw_decode(text, pos)
        except json.JSONDecodeError:
            break
        except RecursionError as exc:
            raise _nested_error("(record)") from exc
        records.append(record)
    return records


def records_to_table(records: list, max_columns: int) -> tuple[pa.Table, list[dict]]:
    """Python records (dicts) -> Table, applying the nesting policy and a union of fields."""
    flat: list[dict] = []
    flattened: set[str] = set()
    listed: set[str] = set()
    for number, record in enumerate(records, 1):
        if not isinstance(record, dict):
            kind = type(record).__name__.replace("NoneType", "null").replace("dict", "object")
            raise IngestError(
                f"Record {number} is a {kind}, not an object with named fields. " + _shape_error().message,
                code="json_shape",
            )
        row: dict = {}
        for key, value in record.items():
            if isinstance(value, dict | list) and _depth(value) > MAX_NESTING:
                raise _nested_error(str(key))
            if isinstance(value, dict):
                flattened.add(key)
                row.update({f"{key}.{sub}": subvalue for sub, subvalue in value.items()})
            else:
                if isinstance(value, list):
                    listed.add(key)
                row[key] = value
        flat.append(row)
    keys = list(dict.fromkeys(key for row in flat for key in row))
    check_column_count(len(keys), max_columns)
    names, warnings = unique_names(keys)
    columns = [column_from_values([row.get(key) for row in flat]) for key in keys]
    for key in flattened:
        warnings.append(warning("flattened", key, f"The nested field '{key}' was split into '{key}.*' columns."))
    for key in listed:
        warnings.append(warning("stringified", key, f"'{key}' holds lists; they are kept as JSON text."))
    return pa.Table.from_arrays(columns, names=names) if columns else pa.table({}), warnings


def _depth(value: object) -> int:
    if isinstance(value, dict):
        return 1 + max((_depth(v) for v in value.values()), default=0)
    if isinstance(value, list):
        return 1 + max((_depth(v) for v in value), default=0)
    return 0
