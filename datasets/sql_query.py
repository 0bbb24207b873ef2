"""One-statement check of a SQL import's query, by the quoting rules of PostgreSQL and MySQL.

Pure text scanning: the first of the layers that keep an import from changing the source
database (see sql.py)."""

from __future__ import annotations

import re

MAX_QUERY_CHARS = 100_000


class SqlImportError(Exception):
    """A failure to show the user as it is: the message names no password."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


_IDENT = re.compile(r"[A-Za-z0-9_$\x80-\U0010ffff]")
_DOLLAR_TAG = re.compile(r"\$([A-Za-z_\x80-\U0010ffff][A-Za-z0-9_\x80-\U0010ffff]*)?\$")
_FIRST_WORD = re.compile(r"[\s(]*([A-Za-z]+)")
_INTO_FILE = re.compile(r"\binto\s+(outfile|dumpfile)\b", re.IGNORECASE)


def validate_query(query: str, dialect: str | None = None) -> str:
    """Check that `query` is one SELECT (or WITH … SELECT) statement and return it cleaned:
    stripped, without its terminating semicolon. Quotes and comments follow the rules of
    `dialect` ("postgresql" or "mysql"); without one, the query must pass the rules of both."""
    text = (query or "").strip()
    if not text:
        raise SqlImportError("Enter a query.")
    if len(text) > MAX_QUERY_CHARS:
        raise SqlImportError(f"The query is longer than {MAX_QUERY_CHARS:,} characters.")
    if "\x00" in text:
        raise SqlImportError("The query contains a NUL character.")
    if dialect == "postgresql":
        flavours = ["postgresql"]
    elif dialect == "mysql":
        flavours = ["mysql", "mysql-no-backslash"]
    else:
        flavours = ["postgresql", "mysql", "mysql-no-backslash"]
    ends = set()
    for flavour in flavours:
        end, code = _scan(text, flavour)
        match = _FIRST_WORD.match(code)
        if not match or match.group(1).upper() not in ("SELECT", "WITH"):
            raise SqlImportError("Only a SELECT query (it may start with WITH) can be imported.")
        if _INTO_FILE.search(code):
            raise SqlImportError("SELECT … INTO OUTFILE/DUMPFILE writes files and is not allowed.")
        ends.add(end)
    if len(ends) == 1 and (end := ends.pop()) is not None:
        text = text[:end].rstrip()
    return text


def _scan(text: str, flavour: str) -> tuple[int | None, str]:
    """Walk the query once, skipping quoted strings, quoted names and comments.

    Returns the index of the semicolon that ends the statement (None without one) and the code
    of the statement with strings blanked and comments replaced by spaces. Raises when code
    follows that semicolon, or when a quote or comment is not closed."""
    mysql = flavour.startswith("mysql")
    backslash = flavour == "mysql"
    code: list[str] = []
    end: int | None = None
    i, n = 0, len(text)

    def closing(quote: str, start: int, escapes: bool) -> int:
        j = start
        while j < n:
            ch = text[j]
            if escapes and ch == "\\":
                j += 2
                continue
            if ch == quote:
                if j + 1 < n and text[j + 1] == quote:
                    j += 2
                    continue
                return j + 1
            j += 1
        raise SqlImportError("The query has a quote that is not closed.")

    def refuse_second_statement() -> None:
        if end is not None:
            raise SqlImportError("The query holds more than one statement; import one SELECT at a time.")

    while i < n:
        ch = text[i]
        nxt = text[i + 1] if i + 1 < n else ""
        if ch == "-" and nxt == "-" and (not mysql or i + 2 >= n or text[i + 2].isspace() or ord(text[i + 2]) < 32):
            stop = text.find("\n", i)
            i = n if stop < 0 else stop + 1
            code.append(" ")
            continue
        if ch == "#" and mysql:
            stop = text.find("\n", i)
            i = n if stop < 0 else stop + 1
            code.append(" ")
            continue
        if ch == "/" and nxt == "*":
            if mysql and (text.startswith("/*!", i) or text.startswith("/*M!", i)):
                raise SqlImportError("MySQL executable comments (/*! … */) are not allowed in an imported query.")
            i = _comment_end(text, i, nested=not mysql)
            code.append(" ")
            continue
        if ch in "'\"`":
            refuse_second_statement()
            is_name = (ch == '"' and not mysql) or ch == "`"
            escapes = not is_name and (
                backslash if mysql else (i > 0 and text[i - 1] in "eE" and not _ident_before(text, i - 1))
            )
            i = closing(ch, i + 1, escapes)
            code.append("x" if is_name else "''")
            continue
        if ch == "$" and not mysql and not _ident_before(text, i):
            tag = _DOLLAR_TAG.match(text, i)
            if tag:
                refuse_second_statement()
                stop = text.find(tag.group(0), tag.end())
                if stop < 0:
                    raise SqlImportError("The query has a $$ quote that is not closed.")
                i = stop + len(tag.group(0))
                code.append("''")
                continue
        if ch == ";":
            if end is None:
                end = i
            i += 1
            continue
        if not ch.isspace():
            refuse_second_statement()
        code.append(ch)
        i += 1
    return end, "".join(code)


def _ident_before(text: str, i: int) -> bool:
    return i > 0 and bool(_IDENT.match(text[i - 1]))


def _comment_end(text: str, start: int, *, nested: bool) -> int:
    depth, j, n = 0, start, len(text)
    while j < n:
        if text.startswith("/*", j):
            depth = depth + 1 if nested or depth == 0 else depth
            j += 2
        elif text.startswith("*/", j):
            depth -= 1
            j += 2
            if depth == 0:
                return j
        else:
            j += 1
    raise SqlImportError("The query has a /* comment that is not closed.")
