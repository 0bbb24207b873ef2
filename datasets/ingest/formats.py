"""Which format a file is, and safe access to what is inside a .gz or .zip wrapper.

The extension says what the user meant; the first bytes say what the file is. Both are
checked so that a renamed PDF or an old ``.xls`` gets a clear message instead of a parser
stack trace, and so that archives are measured (declared sizes, compression ratio) before
anything is decompressed.
"""

from __future__ import annotations

import contextlib
import gzip
import io
import os
import struct
import tempfile
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass

from .errors import IngestError

FORMATS = ("csv", "tsv", "xlsx", "parquet", "json", "jsonl")
TEXT_FORMATS = frozenset({"csv", "tsv", "json", "jsonl"})

EXTENSIONS = {
    ".csv": "csv",
    ".txt": "csv",
    ".tsv": "tsv",
    ".tab": "tsv",
    ".xlsx": "xlsx",
    ".xlsm": "xlsx",
    ".parquet": "parquet",
    ".pq": "parquet",
    ".json": "json",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
}
SUPPORTED_TEXT = "CSV, TSV, Excel (.xlsx), Parquet, JSON or JSON Lines, optionally compressed as .gz or inside a .zip"
HINTS = {
    ".xls": "Old Excel .xls workbooks are not supported; save it as .xlsx or CSV.",
    ".ods": "OpenDocument spreadsheets are not supported; save it as .xlsx or CSV.",
    ".numbers": "Numbers spreadsheets are not supported; export it as .xlsx or CSV.",
}

GZIP_MAGIC = b"\x1f\x8b"
ZIP_MAGIC = b"PK\x03\x04"
EMPTY_ZIP_MAGIC = b"PK\x05\x06"
PARQUET_MAGIC = b"PAR1"
UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")
SIGNATURES = (
    (b"%PDF", "a PDF document"),
    (b"MZ", "a Windows program"),
    (b"\x7fELF", "a program"),
    (b"\x89PNG", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF8", "a GIF image"),
    (b"\xd0\xcf\x11\xe0", "an old-style Office file (.xls or .doc)"),
    (ZIP_MAGIC, "a ZIP archive (or an .xlsx/.docx file)"),
    (PARQUET_MAGIC, "a Parquet file"),
    (GZIP_MAGIC, "a gzip-compressed file"),
    (b"SQLite format 3", "an SQLite database"),
    (b"Rar!", "a RAR archive"),
    (b"7z\xbc\xaf", "a 7-Zip archive"),
)

# Archive limits: checked on the declared sizes in the zip directory before extracting.
MAX_UNCOMPRESSED_BYTES = 1024**3
MAX_RATIO = 100
RATIO_CHECK_MIN_BYTES = 64 * 1024**2
MAX_ZIP_ENTRIES = 10_000
# Bytes 0-31 and DEL, except tab, newline, carriage return, form feed, vertical tab and ESC.
CONTROL_BYTES = bytes(b for b in range(32) if b not in (9, 10, 11, 12, 13, 27)) + b"\x7f"
MAX_CONTROL_DENSITY = 0.05
DAMAGED_COMPRESSION = "The compressed file is damaged or truncated and cannot be read."
JUNK_MEMBERS = ("__MACOSX/", ".DS_Store", "Thumbs.db", "desktop.ini")


def split_name(filename: str) -> tuple[str, str | None]:
    """Return (format, wrapper) from a file name; wrapper is "gzip", "zip" or None."""
    name = os.path.basename(filename.replace("\\", "/")).strip().lower()
    root, ext = os.path.splitext(name)
    if ext in (".gz", ".gzip"):
        inner = os.path.splitext(root)[1]
        fmt = EXTENSIONS.get(inner)
        if fmt not in TEXT_FORMATS:
            raise _unknown(filename, inner or ext, note="Only text formats (CSV, TSV, JSON) can be gzip-compressed.")
        return fmt, "gzip"
    if ext == ".zip":
        return "", "zip"
    if ext not in EXTENSIONS:
        raise _unknown(filename, ext)
    return EXTENSIONS[ext], None


def detect_format(filename: str, head: bytes) -> str:
    """The format of a file from its name, checked against its first bytes.

    For a ``.zip`` the format of the first member named in the head is returned (readers
    open the archive properly and check there is exactly one member).
    """
    fmt, wrapper = split_name(filename)
    if wrapper == "zip":
        if not head.startswith((ZIP_MAGIC, EMPTY_ZIP_MAGIC)):
            raise IngestError(f"'{_base(filename)}' is named .zip but is not a ZIP archive.", code="corrupt")
        member = _first_zip_member(head)
        if member is None:
            raise IngestError("No data file was found at the start of the zip archive.", code="zip_empty")
        return detect_format(member, b"")
    if not head:
        return fmt
    if wrapper == "gzip" or head.startswith(GZIP_MAGIC):
        return fmt if fmt in TEXT_FORMATS else _mismatch(filename, fmt, head)
    if fmt == "xlsx" and not head.startswith(ZIP_MAGIC):
        if head.startswith(b"\xd0\xcf\x11\xe0"):
            raise IngestError(HINTS[".xls"], code="unknown_format")
        return _mismatch(filename, fmt, head)
    if fmt == "parquet" and not head.startswith(PARQUET_MAGIC):
        return _mismatch(filename, fmt, head)
    if fmt in TEXT_FORMATS:
        check_text(head, filename)
    return fmt


def check_text(head: bytes, filename: str) -> None:
    """Refuse bytes that are clearly not text (NULs or many control bytes) before parsing."""
    if not head or head.startswith(UTF16_BOMS):
        return
    for magic, what in SIGNATURES:
        if head.startswith(magic) and (magic in (ZIP_MAGIC, PARQUET_MAGIC, b"%PDF") or _is_binary(head)):
            raise IngestError(
                f"'{_base(filename)}' is not a text file: it looks like {what}. Upload {SUPPORTED_TEXT}.",
                code="binary",
            )
    if _is_binary(head):
        raise IngestError(
            f"'{_base(filename)}' does not look like text: it contains binary data. Upload {SUPPORTED_TEXT}.",
            code="binary",
        )


def _is_binary(head: bytes) -> bool:
    if b"\x00" in head:
        return True
    control = len(head) - len(head.translate(None, CONTROL_BYTES))
    return control / len(head) > MAX_CONTROL_DENSITY


def _mismatch(filename: str, fmt: str, head: bytes) -> str:
    found = next((what for magic, what in SIGNATURES if head.startswith(magic)), None)
    label = {"xlsx": "an Excel workbook", "parquet": "a Parquet file"}.get(fmt, f"a {fmt.upper()} file")
    detail = f"it looks like {found}" if found else "its content does not match its extension"
    raise IngestError(f"'{_base(filename)}' is not {label}: {detail}.", code="corrupt")


def _unknown(filename: str, ext: str, note: str = "") -> IngestError:
    hint = HINTS.get(ext, "")
    shown = f"'{ext}' files" if ext else "Files without an extension"
    message = f"{shown} are not supported ({_base(filename)}). {hint or note} Upload {SUPPORTED_TEXT}."
    return IngestError(" ".join(message.split()), code="unknown_format")


def _limit() -> str:
    size = MAX_UNCOMPRESSED_BYTES
    return f"{size / 1024**3:g} GB" if size >= 1024**3 else f"{size / 1024**2:.3g} MB"


def _base(filename: str) -> str:
    return os.path.basename(filename.replace("\\", "/")) or filename


def _first_zip_member(head: bytes) -> str | None:
    """The first real member name: from the directory when the whole zip is in ``head``,
    else by walking the local file headers it holds."""
    with contextlib.suppress(zipfile.BadZipFile, OSError), zipfile.ZipFile(io.BytesIO(head)) as zf:
        return next((i.filename for i in zf.infolist() if not _is_junk(i.filename)), None)
    offset = 0
    while head[offset : offset + 4] == ZIP_MAGIC and offset + 30 <= len(head):
        flags, _, _, _, _, csize, _, name_len, extra_len = struct.unpack("<HHHHIIIHH", head[offset + 6 : offset + 30])
        raw = head[offset + 30 : offset + 30 + name_len]
        name = raw.decode("utf-8" if flags & 0x800 else "cp437", "replace")
        if not _is_junk(name):
            return name
        if flags & 0x08:  # sizes follow the data: cannot skip ahead
            return None
        offset += 30 + name_len + extra_len + csize
    return None


def _is_junk(name: str) -> bool:
    base = name.rsplit("/", 1)[-1]
    return name.endswith("/") or name.startswith(JUNK_MEMBERS[0]) or base in JUNK_MEMBERS or base.startswith("._")


def check_zip_sizes(zf: zipfile.ZipFile, what: str) -> None:
    """Refuse archives whose declared uncompressed size or ratio is abusive (zip bombs)."""
    infos = zf.infolist()
    if len(infos) > MAX_ZIP_ENTRIES:
        raise IngestError(f"The {what} holds {len(infos):,} files; this is not a normal {what}.", code="zip_bomb")
    total = sum(i.file_size for i in infos)
    packed = sum(i.compress_size for i in infos) or 1
    if total > MAX_UNCOMPRESSED_BYTES:
        raise IngestError(
            f"The {what} would expand to {total / 1024**3:.1f} GB, over the {_limit()} limit. "
            "It was refused without being decompressed.",
            code="zip_bomb",
        )
    for info in [*infos, None]:
        size, comp = (total, packed) if info is None else (info.file_size, info.compress_size or 1)
        if size > RATIO_CHECK_MIN_BYTES and size / comp > MAX_RATIO:
            raise IngestError(
                f"The {what} is compressed {size // comp:,} to 1 and would expand to {size / 1024**2:,.0f} MB; "
                "it looks like a zip bomb and was refused without being decompressed.",
                code="zip_bomb",
            )


@dataclass
class Source:
    """A file to read, once any .zip wrapper is resolved.

    ``path`` holds the data (gzip-compressed when ``gzip`` is true); ``name`` is the name the
    format was detected from (the member name for a zip).
    """

    path: str
    name: str
    format: str
    compression: str | None
    member: str | None
    gzip: bool

    def open(self) -> io.BufferedIOBase:
        """A binary stream of the (decompressed, size-capped) content."""
        if self.gzip:
            return io.BufferedReader(_CappedReader(gzip.open(self.path, "rb")), 1024 * 1024)
        return open(self.path, "rb")  # noqa: SIM115

    def head(self, size: int) -> bytes:
        """Up to ``size`` bytes of decompressed content, for sniffing."""
        try:
            with self.open() as handle:
                return handle.read(size)
        except (OSError, EOFError, gzip.BadGzipFile) as exc:
            raise IngestError(DAMAGED_COMPRESSION, code="corrupt") from exc


@contextlib.contextmanager
def open_source(path: str, filename: str) -> Iterator[Source]:
    """Resolve wrappers and yield a ``Source``; a zip member is extracted to a temp file
    next to the input (removed afterwards), so every reader sees a plain, seekable path."""
    if os.path.getsize(path) == 0:
        raise IngestError("The file is empty.", code="empty")
    with open(path, "rb") as handle:
        head = handle.read(64 * 1024)
    if split_name(filename)[1] == "zip":
        if not head.startswith((ZIP_MAGIC, EMPTY_ZIP_MAGIC)):
            raise IngestError(f"'{_base(filename)}' is named .zip but is not a ZIP archive.", code="corrupt")
        with _extract_single(path, filename) as (member_path, member):
            inner_head = _read(member_path, 64 * 1024)
            if not inner_head:
                raise IngestError(f"The file '{member}' inside the zip archive is empty.", code="empty")
            is_gz = inner_head.startswith(GZIP_MAGIC)
            yield Source(member_path, member, detect_format(member, inner_head), "zip", member, is_gz)
        return
    fmt = detect_format(filename, head)
    is_gz = head.startswith(GZIP_MAGIC)
    yield Source(path, filename, fmt, "gzip" if is_gz else None, None, is_gz)


def _read(path: str, size: int) -> bytes:
    with open(path, "rb") as handle:
        return handle.read(size)


class _CappedReader(io.RawIOBase):
    """Decompressed bytes, refusing to go past MAX_UNCOMPRESSED_BYTES.

    A gzip stream does not reliably declare its size (the trailer is mod 4 GiB and unchecked
    until the end), so the limit is enforced on what is actually decompressed.
    """

    def __init__(self, raw) -> None:
        super().__init__()
        self.raw = raw
        self.total = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        count = self.raw.readinto(buffer)
        self.total += count
        if self.total > MAX_UNCOMPRESSED_BYTES:
            raise IngestError(f"The compressed file expands beyond the {_limit()} limit.", code="zip_bomb")
        return count

    def close(self) -> None:
        self.raw.close()
        super().close()


@contextlib.contextmanager
def _extract_single(path: str, filename: str) -> Iterator[tuple[str, str]]:
    try:
        zf = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise IngestError(f"'{_base(filename)}' is not a readable zip archive ({exc}).", code="corrupt") from exc
    with zf:
        check_zip_sizes(zf, "zip archive")
        members = [i for i in zf.infolist() if not _is_junk(i.filename)]
        if not members:
            raise IngestError("The zip archive holds no data file.", code="zip_empty")
        if len(members) > 1:
            names = ", ".join(i.filename for i in members[:5]) + (", ..." if len(members) > 5 else "")
            raise IngestError(
                f"The zip archive holds {len(members)} files ({names}); upload a zip with exactly one data file.",
                code="zip_many",
            )
        info = members[0]
        if info.flag_bits & 0x1:
            raise IngestError("The file inside the zip archive is password-protected.", code="corrupt")
        if split_name(info.filename)[1] == "zip":
            raise IngestError("A zip inside a zip archive is not supported; upload the inner file.", code="zip_many")
        suffix = os.path.splitext(info.filename)[1][-16:]
        try:
            fd, tmp = tempfile.mkstemp(prefix=".ingest-", suffix=suffix, dir=os.path.dirname(os.path.abspath(path)))
        except PermissionError:  # a read-only upload folder: fall back to the system temp dir
            fd, tmp = tempfile.mkstemp(prefix=".ingest-", suffix=suffix)
        try:
            try:
                with os.fdopen(fd, "wb") as out, zf.open(info) as src:
                    _copy_capped(src, out)
            except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, NotImplementedError) as exc:
                raise IngestError(f"The zip archive is damaged and cannot be read ({exc}).", code="corrupt") from exc
            yield tmp, info.filename
        finally:
            with contextlib.suppress(OSError):
                os.unlink(tmp)


def _copy_capped(src, out) -> None:
    # Declared sizes can lie; count what is actually written as well.
    written = 0
    while chunk := src.read(1024 * 1024):
        written += len(chunk)
        if written > MAX_UNCOMPRESSED_BYTES:
            raise IngestError(f"The zip archive expands beyond the {_limit()} limit.", code="zip_bomb")
        out.write(chunk)
