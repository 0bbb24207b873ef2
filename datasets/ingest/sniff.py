"""Guessing how a delimited text file is written, from a sample of its first megabytes.

Users upload whatever their spreadsheet or database exported: semicolons and decimal commas
from a European Excel, Windows-1252 accents, a BOM, no header row. We detect each of these on
a bounded sample so the fast full read (pyarrow) can be configured correctly, and report rows
that do not fit while we still know their line numbers.
"""

from __future__ import annotations

import codecs
import csv
import functools
import io
import re
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import charset_normalizer

from .errors import IngestError

SAMPLE_BYTES = 2 * 1024 * 1024
SNIFF_ROWS = 500
DELIMITERS = (",", ";", "\t", "|")
UTF8_REPLACE = "automl-utf-8-replace"
# Guesses from charset-normalizer that mean "some Latin text": read those as cp1252, which is
# what produced almost every such file (and decodes Latin-1 text identically where it matters).
LATIN_FAMILY = frozenset(
    {
        "latin_1",
        "iso8859_15",
        "iso8859_2",
        "iso8859_3",
        "iso8859_4",
        "iso8859_9",
        "iso8859_10",
        "iso8859_13",
        "iso8859_14",
        "iso8859_16",
        "cp1250",
        "cp1252",
        "cp1254",
        "cp1257",
        "cp1258",
        "cp437",
        "cp850",
        "cp852",
        "cp858",
        "cp1006",
        "mac_roman",
        "mac_latin2",
        "mac_iceland",
        "mac_turkish",
        "ascii",
    }
)
ENCODING_LABELS = {"cp1252": "Windows-1252 (cp1252)", "latin-1": "Latin-1 (ISO-8859-1)", UTF8_REPLACE: "UTF-8"}

NUMBER_DOT = re.compile(r"^\s*[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?\s*$")
NUMBER_COMMA = re.compile(r"^\s*[-+]?(\d+,?\d*|,\d+)([eE][-+]?\d+)?\s*$")
DECIMAL_COMMA = re.compile(r"^\s*[-+]?\d*,\d+\s*$")
DECIMAL_DOT = re.compile(r"^\s*[-+]?\d*\.\d+\s*$")
DATE_LIKE = re.compile(r"^\s*(\d{4}[-/.]\d{1,2}[-/.]\d{1,2}|\d{1,2}[-/.]\d{1,2}[-/.]\d{2,4})([ T]\d{1,2}:\d{2}.*)?\s*$")


def _utf8_replace_codec(name: str) -> codecs.CodecInfo | None:
    """A UTF-8 codec that replaces bad bytes, for files that are UTF-8 save for a few bytes.

    pyarrow transcodes through Python codecs and always decodes strictly, so the lenient
    error handler has to be baked into a named codec.
    """
    if name.replace("_", "-") != UTF8_REPLACE:
        return None
    return codecs.CodecInfo(
        name=UTF8_REPLACE,
        encode=codecs.utf_8_encode,
        decode=lambda data, errors="replace": codecs.utf_8_decode(data, errors, True),
        incrementalencoder=codecs.getincrementalencoder("utf-8"),
        incrementaldecoder=functools.partial(codecs.getincrementaldecoder("utf-8-sig"), errors="replace"),
    )


codecs.register(_utf8_replace_codec)


@dataclass
class CsvPlan:
    """What the sample says about a delimited file, and how to read the rest of it."""

    encoding: str
    delimiter: str
    decimal: str
    header: bool
    names: list[str]
    skip_rows: int = 0  # an Excel "sep=;" line and blank lines before the first row
    quoted_newlines: bool = False
    sample_has_non_ascii: bool = False
    longest_line: int = 0
    warnings: list[dict] = field(default_factory=list)

    def options(self) -> dict:
        return {"encoding": self.encoding, "delimiter": self.delimiter, "decimal": self.decimal, "header": self.header}


def warning(code: str, column: str | None, message: str) -> dict:
    return {"code": code, "column": column, "message": message}


def encoding_label(encoding: str) -> str:
    return ENCODING_LABELS.get(encoding, encoding)


def encoding_warning(encoding: str) -> dict:
    if encoding == UTF8_REPLACE:
        message = "Some bytes in the file were not valid UTF-8; they were replaced with '\ufffd'."
    else:
        message = (
            f"The file is not UTF-8; it was read as {encoding_label(encoding)}. "
            "Check that accented characters look right, or choose the encoding."
        )
    return warning("encoding", None, message)


def detect_encoding(sample: bytes) -> str:
    """UTF-8 (with or without BOM) or UTF-16 by BOM; otherwise a legacy guess."""
    if sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    try:
        codecs.getincrementaldecoder("utf-8")().decode(sample, final=False)
        return "utf-8"
    except UnicodeDecodeError:
        return guess_legacy_encoding(sample)


def guess_legacy_encoding(sample: bytes) -> str:
    """Windows-1252 unless the text clearly is another script.

    charset-normalizer is unreliable on short Western samples (it says mac_latin2 for
    "José;Köln"), but in real Latin text accented letters are a minority of letters; when
    cp1252 turns most letters into accents the bytes are another script, and we ask it.
    """
    sample = sample[: 256 * 1024]
    as1252 = sample.decode("cp1252", "replace")
    letters = [c for c in as1252 if c.isalpha()]
    accented = sum(1 for c in letters if ord(c) > 127)
    fallback = "latin-1" if "\ufffd" in as1252 else "cp1252"
    if not letters or accented / len(letters) < 0.4:
        return fallback
    best = charset_normalizer.from_bytes(sample).best()
    if best is None:
        return fallback
    guess = codecs.lookup(best.encoding).name.replace("-", "_")
    if guess in LATIN_FAMILY or guess.startswith("utf_8"):
        return fallback
    return best.encoding


def resolve_encoding(sample: bytes, requested: str | None) -> tuple[str, bool]:
    """(encoding, guessed): the requested one after validation, else the detected one."""
    if requested:
        try:
            codecs.lookup(requested)
        except LookupError as exc:
            raise IngestError(f"'{requested}' is not a known text encoding.", code="bad_option") from exc
        return requested, False
    encoding = detect_encoding(sample)
    return encoding, encoding not in ("utf-8", "utf-16")


def decode_sample(sample: bytes, encoding: str, complete: bool) -> str:
    text = codecs.getincrementaldecoder(encoding)("replace").decode(sample, final=complete)
    return text.lstrip("\ufeff")


def complete_lines(text: str, complete: bool) -> str:
    """Drop the last, probably cut, line of a sample that is not the whole file."""
    if complete:
        return text
    cut = max(text.rfind("\n"), text.rfind("\r"))
    return text[: cut + 1] if cut >= 0 else ""


def parse_rows(text: str, delimiter: str, limit: int = SNIFF_ROWS) -> list[tuple[int, list[str]]]:
    """(first line number, fields) for up to ``limit`` non-empty records, quote-aware."""
    csv.field_size_limit(2**31 - 1)
    stream = io.StringIO(text, newline="")
    reader = csv.reader(stream, delimiter=delimiter, quotechar='"', doublequote=True, strict=False)
    rows: list[tuple[int, list[str]]] = []
    line = 1
    try:
        for record in reader:
            if record and not (len(record) == 1 and record[0] == ""):
                rows.append((line, record))
                if len(rows) >= limit:
                    break
            line = reader.line_num + 1
    except csv.Error as exc:
        raise IngestError(f"Line {reader.line_num}: the row could not be parsed ({exc}).", code="ragged") from exc
    return rows


def sniff_delimiter(text: str) -> str:
    """The candidate that splits the sample into the most consistent number of fields (>1)."""
    best, best_key = ",", None
    for delimiter in DELIMITERS:
        if delimiter not in text:
            continue
        counts = [len(fields) for _, fields in parse_rows(text, delimiter, 100)]
        if not counts:
            continue
        mode, freq = Counter(counts).most_common(1)[0]
        if mode < 2:
            continue
        key = (round(freq / len(counts), 2), counts[0] == mode, mode)
        if best_key is None or key > best_key:
            best, best_key = delimiter, key
    return best


def sniff_decimal(rows: Sequence[Sequence[str]], delimiter: str) -> str:
    """A decimal comma is only possible when commas do not separate fields."""
    if delimiter == ",":
        return "."
    comma = dot = 0
    for fields in rows:
        for value in fields:
            if DECIMAL_COMMA.match(value):
                comma += 1
            elif DECIMAL_DOT.match(value):
                dot += 1
    return "," if comma > dot else "."


def text_kind(value: str, decimal: str = ".") -> str:
    """A coarse type for header sniffing: empty, number, date or text."""
    if not value.strip():
        return "empty"
    if (NUMBER_COMMA if decimal == "," else NUMBER_DOT).match(value):
        return "number"
    if DATE_LIKE.match(value):
        return "date"
    return "text"


def sniff_header(rows: Sequence[Sequence], kind: Callable[[object], str]) -> bool:
    """Whether the first row names the columns.

    A column whose body is numbers or dates votes "header" when its first cell is not of that
    kind, or is a number of another width than all the body's (a year "2019" over values like
    "3"), and "data" otherwise. Any header vote wins (so "id, 2019, 2020" is a header); with
    no typed columns at all we assume a header, as nearly every file has one.
    """
    if len(rows) < 2:  # a lone row is a header unless it is all numbers and dates
        return not rows or any(kind(v) not in ("number", "date", "empty") for v in rows[0])
    first, body = rows[0], rows[1:100]
    header_votes = data_votes = 0
    for index, value in enumerate(first):
        kinds = [kind(r[index]) for r in body if index < len(r)]
        kinds = [k for k in kinds if k != "empty"]
        if not kinds:
            continue
        dominant, count = Counter(kinds).most_common(1)[0]
        if dominant == "text" or count < 0.9 * len(kinds):
            continue
        first_kind = kind(value)
        if first_kind == "empty":
            continue
        if first_kind == dominant == "number":
            widths = [len(str(r[index]).strip()) for r in body if index < len(r) and kind(r[index]) == "number"]
            if not min(widths) <= len(str(value).strip()) <= max(widths):
                first_kind = "other width"
        if first_kind == dominant:
            data_votes += 1
        else:
            header_votes += 1
    return bool(header_votes) or not data_votes


def unique_names(raw: Sequence[object]) -> tuple[list[str], list[dict]]:
    """Non-empty, unique column names (``name``, ``name_2``...), with a warning per change."""
    warnings: list[dict] = []
    base: list[str] = []
    for position, value in enumerate(raw, 1):
        name = "" if value is None else str(value).replace("\ufeff", "").strip()
        if not name:
            name = f"column_{position}"
            warnings.append(warning("unnamed_column", name, f"Column {position} had no name and was named '{name}'."))
        base.append(name)
    taken = set(base)
    seen: set[str] = set()
    names: list[str] = []
    for position, name in enumerate(base, 1):
        if name in seen:
            suffix = 2
            while f"{name}_{suffix}" in taken:
                suffix += 1
            new = f"{name}_{suffix}"
            taken.add(new)
            warnings.append(
                warning(
                    "duplicate_column",
                    new,
                    f"Column name '{name}' appears more than once; column {position} was renamed '{new}'.",
                )
            )
            name = new
        seen.add(name)
        names.append(name)
    return names, warnings


def check_column_count(count: int, max_columns: int) -> None:
    if count > max_columns:
        raise IngestError(
            f"The file has {count:,} columns; at most {max_columns:,} are supported.", code="too_many_columns"
        )


def plan_csv(
    sample: bytes, *, complete: bool, options: dict, default_delimiter: str | None, max_columns: int
) -> CsvPlan:
    """Detect encoding, delimiter, decimal mark and header on a sample, and validate it.

    ``complete`` says the sample is the whole file, so "no data rows" can be told apart
    from "the sample ended early".
    """
    encoding, guessed = resolve_encoding(sample, options.get("encoding"))
    text = decode_sample(sample, encoding, complete)
    if not text.strip():
        raise IngestError("The file is empty.", code="empty")
    skip_rows = 0
    first_line = text.split("\n", 1)[0].strip().strip('"')
    if first_line.lower().startswith("sep=") and len(first_line) == 5:  # Excel's delimiter hint
        default_delimiter = default_delimiter or first_line[4]
        text = text.split("\n", 1)[1] if "\n" in text else ""
        skip_rows = 1
    lines = complete_lines(text, complete)
    if not lines.strip():  # not even one full line in the sample: a giant first row
        check_column_count(max(text.count(d) for d in DELIMITERS) + 1, max_columns)
        lines = text
    delimiter = _option_delimiter(options) or default_delimiter or sniff_delimiter(lines)
    records = parse_rows(lines, delimiter)
    if not records:
        raise IngestError("The file is empty.", code="empty")
    decimal = options.get("decimal") or sniff_decimal([f for _, f in records[1:]], delimiter)
    if decimal not in (".", ","):
        raise IngestError("The decimal mark must be '.' or ','.", code="bad_option")
    rows = [fields for _, fields in records]
    check_column_count(len(rows[0]), max_columns)
    header = options.get("header")
    header_guessed = header is None
    if header_guessed:
        header = sniff_header(rows, functools.partial(_kind_of_cell, decimal=decimal))
    _check_ragged(records, bool(header), skip_rows)
    skip_rows += text[: len(text) - len(text.lstrip("\r\n"))].count("\n")  # pyarrow counts blank lines
    if header and len(records) == 1 and complete:
        raise IngestError("The file has a header row but no data rows.", code="no_rows")
    if header:
        names, warnings = unique_names(rows[0])
    else:
        names, warnings = [f"column_{i}" for i in range(1, len(rows[0]) + 1)], []
        if header_guessed:
            warnings.insert(0, _no_header_warning(len(names)))
    quote_in_field = any("\n" in value or "\r" in value for fields in rows for value in fields)
    plan = CsvPlan(
        encoding=encoding,
        delimiter=delimiter,
        decimal=decimal,
        header=bool(header),
        names=names,
        skip_rows=skip_rows,
        quoted_newlines=quote_in_field,
        sample_has_non_ascii=not text.isascii(),
        longest_line=max((len(line) for line in lines.split("\n")), default=0),
        warnings=warnings,
    )
    if guessed:
        plan.warnings.insert(0, encoding_warning(encoding))
    return plan


def _kind_of_cell(value: object, decimal: str) -> str:
    return text_kind(str(value), decimal)


def _no_header_warning(count: int) -> dict:
    names = "column_1" if count == 1 else f"column_1 ... column_{count}"
    return warning(
        "no_header",
        None,
        f"The first row looks like data, so the columns were named {names}. "
        "Say that the first row is a header if that is wrong.",
    )


def _option_delimiter(options: dict) -> str | None:
    delimiter = options.get("delimiter")
    if delimiter is None or delimiter == "":
        return None
    delimiter = {"tab": "\t", "\\t": "\t", "space": " "}.get(delimiter, delimiter)
    if len(delimiter) != 1 or delimiter in '"\r\n':
        raise IngestError("The delimiter must be a single character such as ',', ';' or a tab.", code="bad_option")
    return delimiter


def _check_ragged(records: list[tuple[int, list[str]]], header: bool, skip_rows: int) -> None:
    expected = len(records[0][1])
    what = "the header has" if header else "the first row has"
    for line, fields in records[1:]:
        if len(fields) != expected:
            raise IngestError(ragged_message(line + skip_rows, len(fields), expected, what), code="ragged")


def ragged_message(line: int | None, found: int, expected: int, what: str = "the header has") -> str:
    where = f"Line {line:,}" if line else "A row"
    return (
        f"{where} has {found} field{'s' if found != 1 else ''} but {what} {expected}. "
        "Check the delimiter and the quoting around values that contain it."
    )
