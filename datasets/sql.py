"""Import a dataset from a SQL query on PostgreSQL or MySQL/MariaDB.

Plain functions (no models): the connection URL comes in decrypted and nothing is stored here.
The query runs in a read-only transaction with a statement timeout and is streamed with a
server-side cursor into Arrow record batches, stopping at a row cap.

What keeps an import from changing the source database, outermost first: `validate_query`
accepts one SELECT/WITH statement only; PostgreSQL's server-side cursor goes through the
extended protocol and PyMySQL runs without multi-statements, so a second statement is refused
by the server too; and the transaction is READ ONLY. The database user's own privileges are the
last word (a SELECT may call functions that act outside the transaction), so the README tells
operators to connect with a read-only user.
"""

from __future__ import annotations

import datetime as dt
import decimal
import fnmatch
import json
import re
import urllib.parse
from collections.abc import Callable
from typing import Any

import pyarrow as pa
from django.conf import settings
from sqlalchemy import create_engine
from sqlalchemy.engine import URL, Connection, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, SQLAlchemyError
from sqlalchemy.pool import NullPool

from .sql_query import SqlImportError, validate_query

__all__ = ["SqlImportError", "parse_url", "read_query", "test_connection", "validate_query"]


_BACKENDS = {"postgresql": "postgresql", "postgres": "postgresql", "mysql": "mysql", "mariadb": "mysql"}
_DRIVERS = {"postgresql": "postgresql+psycopg", "mysql": "mysql+pymysql"}
# URL options passed to the driver. Anything else is refused: the MySQL driver takes every
# option as a connect argument (local_infile would let a hostile server read our files,
# client_flag could enable multi-statements), and libpq options can point at local files.
_URL_OPTIONS = {"postgresql": {"sslmode", "application_name"}, "mysql": {"charset"}}
SUPPORTED = "PostgreSQL (postgresql://user:password@host:5432/database) or MySQL/MariaDB (mysql://user:password@host:3306/database)"


def default_timeout_s() -> int:
    return int(getattr(settings, "SQL_TIMEOUT_S", 60) or 60)


def default_row_cap() -> int:
    return int(getattr(settings, "SQL_ROW_CAP", 1_000_000) or 1_000_000)


# --- URLs --------------------------------------------------------------------------------------


def parse_url(url: str) -> tuple[str, str]:
    """Check a connection URL; return its dialect ("postgresql" or "mysql") and a display URL
    with the password replaced by ***."""
    original, dialect = _parse(url)
    return dialect, original.render_as_string(hide_password=True)


def _parse(url: str) -> tuple[URL, str]:
    text = (url or "").strip()
    if not text:
        raise SqlImportError(f"Enter a connection URL: {SUPPORTED}.")
    try:
        parsed = make_url(text)
    except (ArgumentError, ValueError):
        raise SqlImportError(f"This is not a database URL we can use. Expected {SUPPORTED}.") from None
    backend = parsed.drivername.split("+", 1)[0].lower()
    dialect = _BACKENDS.get(backend)
    if dialect is None:
        raise SqlImportError(f"Databases of kind '{backend}' are not supported. Use {SUPPORTED}.")
    if parsed.host and "@" in parsed.host:
        raise SqlImportError(
            "The URL has an '@' in the wrong place: percent-encode special characters in the user "
            "name and password (for example @ as %40)."
        )
    if not parsed.host:
        raise SqlImportError("The URL needs a host name, as in postgresql://user:password@db.example.com/sales.")
    unknown = sorted(set(parsed.query) - _URL_OPTIONS[dialect])
    if unknown:
        allowed = ", ".join(sorted(_URL_OPTIONS[dialect]))
        raise SqlImportError(f"The URL option(s) {', '.join(unknown)} are not allowed; allowed: {allowed}.")
    _check_allowed_host(parsed.host)
    return parsed, dialect


def _check_allowed_host(host: str) -> None:
    allowed = getattr(settings, "AUTOML_SQL_ALLOWED_HOSTS", None) or []
    if isinstance(allowed, str):
        allowed = [part.strip() for part in allowed.split(",") if part.strip()]
    if allowed and not any(fnmatch.fnmatch(host.lower(), pattern.lower()) for pattern in allowed):
        raise SqlImportError(f"Connections to {host} are not allowed on this server (AUTOML_SQL_ALLOWED_HOSTS).")


def _engine(url: str, timeout_s: int):
    parsed, dialect = _parse(url)
    driver_url = parsed.set(drivername=_DRIVERS[dialect])
    if dialect == "postgresql":
        # The worker's own PostgreSQL credentials (~/.pgpass, PGPASSWORD) must never be offered to a
        # user's server: point libpq at a password file that cannot exist, and pass an empty
        # password when the URL has none so that PGPASSWORD is not read.
        connect_args: dict[str, Any] = {"connect_timeout": max(2, int(timeout_s)), "passfile": "/dev/null/pgpass"}
        if parsed.password is None:
            connect_args["password"] = ""
    else:
        connect_args = {
            "connect_timeout": max(1, int(timeout_s)),
            # A backstop for a server that stops answering; the server-side limit acts first.
            "read_timeout": int(timeout_s) + 30,
            "write_timeout": int(timeout_s) + 30,
            "local_infile": False,
        }
    engine = create_engine(driver_url, poolclass=NullPool, connect_args=connect_args)
    return engine, parsed, dialect


# --- Connecting --------------------------------------------------------------------------------


def test_connection(url: str, *, timeout_s: int = 10) -> str:
    """Connect, run SELECT 1 and say which server answered, e.g. "Connected to PostgreSQL 15.4."."""
    engine, parsed, dialect = _engine(url, timeout_s)
    try:
        with engine.connect() as conn:
            conn.exec_driver_sql("SELECT 1").scalar()
            name, version = _server(conn, dialect)
            conn.rollback()
        return f"Connected to {name} {version}."
    except DBAPIError as exc:
        raise _connection_error(exc, parsed, timeout_s) from None
    except SQLAlchemyError as exc:
        raise SqlImportError(_scrub(f"Could not connect: {exc}", parsed)) from None
    finally:
        engine.dispose()


# pytest would otherwise collect this function wherever a test module imports it by name.
test_connection.__test__ = False  # type: ignore[attr-defined]


def _server(conn: Connection, dialect: str) -> tuple[str, str]:
    if dialect == "postgresql":
        raw = str(conn.exec_driver_sql("SHOW server_version").scalar())
        name = "PostgreSQL"
    else:
        raw = str(conn.exec_driver_sql("SELECT VERSION()").scalar())
        name = "MariaDB" if "mariadb" in raw.lower() else "MySQL"
    match = re.match(r"\d+(\.\d+)*", raw)
    return name, match.group(0) if match else raw.split()[0]


def _connection_error(exc: DBAPIError, url: URL, timeout_s: int) -> SqlImportError:
    orig = exc.orig
    code = orig.args[0] if orig is not None and orig.args and isinstance(orig.args[0], int) else None
    raw = _driver_message(orig)
    low = raw.lower()
    where = f"{url.host}:{url.port}" if url.port else str(url.host)
    if (
        code in (1045, 1044)
        or "password authentication failed" in low
        or "access denied" in low
        or ("role" in low and "does not exist" in low)
    ):
        message = "The database refused the user name or password."
    elif code == 1049 or ("database" in low and "does not exist" in low):
        message = f"The database '{url.database}' does not exist on {where}."
    elif "name or service not known" in low or "could not translate host name" in low or "resolve host" in low:
        message = f"The host name '{url.host}' could not be found."
    elif "refused" in low:
        message = (
            f"Nothing accepted the connection at {where}: check the host and port, and that the server is running."
        )
    elif "timeout" in low or "timed out" in low:
        message = f"No answer from {where} within {timeout_s} s: check the host, port and firewall."
    elif "no password supplied" in low:
        message = "The database asks for a password and the URL has none."
    else:
        message = f"Could not connect to {where}: {raw}"
    return SqlImportError(_scrub(message, url))


def _driver_message(orig: BaseException | None) -> str:
    if orig is None:
        return ""
    diag = getattr(orig, "diag", None)
    primary = getattr(diag, "message_primary", None) if diag is not None else None
    if primary:
        return str(primary)
    if len(orig.args) >= 2 and isinstance(orig.args[0], int):
        return str(orig.args[1])
    return " ".join(str(orig).split())


def _scrub(message: str, url: URL) -> str:
    password = url.password
    if password:
        for secret in {password, urllib.parse.quote(password, safe=""), urllib.parse.quote_plus(password)}:
            message = message.replace(secret, "***")
    return message


# --- Reading -----------------------------------------------------------------------------------


def read_query(
    url: str,
    query: str,
    *,
    timeout_s: int | None = None,
    row_cap: int | None = None,
    batch_rows: int = 50_000,
    progress: Callable[[int], None] | None = None,
) -> tuple[pa.Table, list[dict]]:
    """Run `query` read-only and return its rows as an Arrow table, with warnings
    ({"code", "column", "message"}) about renamed columns, unreadable dates and the row cap.

    `timeout_s` and `row_cap` default to settings SQL_TIMEOUT_S and SQL_ROW_CAP;
    `progress(rows_so_far)` is called after each batch."""
    timeout_s = int(timeout_s or default_timeout_s())
    row_cap = int(row_cap or default_row_cap())
    engine, parsed, dialect = _engine(url, timeout_s)
    cleaned = validate_query(query, dialect)
    try:
        try:
            conn = engine.connect()
        except DBAPIError as exc:
            raise _connection_error(exc, parsed, timeout_s) from None
        try:
            _begin_read_only(conn, dialect, timeout_s)
            return _stream(conn, dialect, cleaned, row_cap, max(1, batch_rows), progress)
        except DBAPIError as exc:
            raise _query_error(exc, parsed, timeout_s) from None
        finally:
            _close(conn)
    except SQLAlchemyError as exc:
        raise SqlImportError(_scrub(f"The import failed: {exc}", parsed)) from None
    finally:
        engine.dispose()


def _begin_read_only(conn: Connection, dialect: str, timeout_s: int) -> None:
    if dialect == "postgresql":
        conn.exec_driver_sql("SET TRANSACTION READ ONLY")
        conn.exec_driver_sql("SELECT set_config('statement_timeout', %(ms)s, true)", {"ms": str(timeout_s * 1000)})
        # validate_query read backslashes in plain strings as PostgreSQL does with this on.
        conn.exec_driver_sql("SET LOCAL standard_conforming_strings = on")
        return
    version = str(conn.exec_driver_sql("SELECT VERSION()").scalar())
    if "mariadb" in version.lower():
        conn.exec_driver_sql("SET SESSION max_statement_time = %s", (float(timeout_s),))
    else:
        conn.exec_driver_sql("SET SESSION max_execution_time = %s", (timeout_s * 1000,))
    conn.exec_driver_sql("SET SESSION TRANSACTION READ ONLY")
    conn.exec_driver_sql("START TRANSACTION READ ONLY")


def _close(conn: Connection) -> None:
    # Nothing was written, so a failed rollback (the connection broke or was dropped) loses nothing.
    try:
        conn.rollback()
    except SQLAlchemyError:
        pass
    finally:
        conn.close()


def _query_error(exc: DBAPIError, url: URL, timeout_s: int) -> SqlImportError:
    orig = exc.orig
    sqlstate = getattr(orig, "sqlstate", None)
    code = orig.args[0] if orig is not None and orig.args and isinstance(orig.args[0], int) else None
    raw = _driver_message(orig)
    low = raw.lower()
    if sqlstate == "57014" or code in (1969, 3024) or "max_statement_time" in low:
        message = f"The query took longer than {timeout_s} s and was stopped."
    elif code in (2013, 2006) and "timed out" in low:
        message = f"The database stopped answering for more than {timeout_s} s; the import was stopped."
    elif sqlstate == "25006" or code == 1792 or "data-modifying" in low or "read-only transaction" in low:
        message = "The query tried to change data, and imports are read-only: use a query that only reads."
    elif sqlstate == "42501" or code in (1142, 1143, 1227, 1044, 1370):
        message = f"The database user may not run this query: {raw}"
    elif sqlstate == "42601" or code == 1064:
        message = f"The query has a syntax error: {raw}"
    elif code in (2006, 2013) or (sqlstate or "").startswith("08") or "server closed the connection" in low:
        message = f"The connection to the database was lost during the import: {raw}"
    else:
        message = f"The database refused the query: {raw}"
    return SqlImportError(_scrub(message, url))


def _stream(
    conn: Connection,
    dialect: str,
    query: str,
    row_cap: int,
    batch_rows: int,
    progress: Callable[[int], None] | None,
) -> tuple[pa.Table, list[dict]]:
    result = conn.execution_options(yield_per=batch_rows, no_parameters=True).exec_driver_sql(query)
    description = result.cursor.description or []
    names, warnings = _unique_names([col[0] for col in description])
    kinds = [_column_kind(dialect, col) for col in description]
    columns: list[list[pa.Array]] = [[] for _ in names]
    invalid_dates = [0] * len(names)
    n_rows = 0
    capped = False
    while True:
        want = min(batch_rows, row_cap - n_rows)
        if want <= 0:
            capped = bool(result.fetchmany(1))
            break
        rows = result.fetchmany(want)
        if not rows:
            break
        for index, values in enumerate(zip(*rows, strict=True)):
            array, bad = _to_array(values, kinds[index])
            columns[index].append(array)
            invalid_dates[index] += bad
        n_rows += len(rows)
        if progress is not None:
            progress(n_rows)
    if capped and dialect == "mysql":
        # PyMySQL reads an unbuffered result to its end before the connection can be used or
        # closed, however long that takes. Drop the connection instead (the server then stops
        # the query), telling PyMySQL first that there is nothing left to read.
        unread = getattr(result.cursor, "_result", None)
        if unread is not None:
            unread.unbuffered_active = False
        conn.invalidate()
    else:
        result.close()
    if n_rows == 0:
        raise SqlImportError("The query returned no rows.")
    for name, bad in zip(names, invalid_dates, strict=True):
        if bad:
            message = f"{bad:,} values of '{name}' were not valid dates and were left empty."
            warnings.append(_warning("invalid_dates", name, message))
    if capped:
        message = f"The query returned more than {row_cap:,} rows; only the first {row_cap:,} were imported."
        warnings.append(_warning("row_cap", None, message))
    arrays = [_combine(chunks) for chunks in columns]
    return pa.Table.from_arrays(arrays, names=names), warnings


def _warning(code: str, column: str | None, message: str) -> dict:
    return {"code": code, "column": column, "message": message}


def _unique_names(raw: list[Any]) -> tuple[list[str], list[dict]]:
    names: list[str] = []
    warnings: list[dict] = []
    seen: set[str] = set()
    for position, value in enumerate(raw, start=1):
        base = str(value).strip() if value is not None else ""
        base = base or f"column_{position}"
        name, suffix = base, 2
        while name in seen:
            name = f"{base}_{suffix}"
            suffix += 1
        if name != base:
            message = f"More than one column is named '{base}'; column {position} was renamed '{name}'."
            warnings.append(_warning("duplicate_column", name, message))
        seen.add(name)
        names.append(name)
    return names, warnings


# --- Types -------------------------------------------------------------------------------------

# PostgreSQL type OIDs (numeric, 1700, depends on its scale).
_PG_KINDS = {16: "bool", 700: "float", 701: "float", 1184: "timestamp_tz"}
_PG_KINDS |= dict.fromkeys((20, 21, 23, 26), "int") | dict.fromkeys((1082, 1114), "timestamp")
# PyMySQL FIELD_TYPE codes (decimals, 0 and 246, depend on their scale).
_MYSQL_KINDS = {4: "float", 5: "float"}
_MYSQL_KINDS |= dict.fromkeys((1, 2, 3, 8, 9, 13, 16), "int") | dict.fromkeys((7, 10, 12, 14), "timestamp")
_NUMERIC_ORDER = ["bool", "int", "float"]


def _column_kind(dialect: str, column: Any) -> str:
    type_code, precision, scale = column[1], column[4], column[5]
    if dialect == "postgresql":
        if type_code == 1700:
            # numeric(p, 0) that fits in 64 bits is an integer; any other numeric a float.
            return "int" if scale == 0 and precision is not None and precision <= 18 else "float"
        return _PG_KINDS.get(type_code, "string")
    if type_code in (0, 246):
        # PyMySQL reports the display length (digits plus sign) as the precision.
        return "int" if scale == 0 and precision is not None and precision <= 19 else "float"
    if type_code == 1 and precision == 1:
        return "bool"  # TINYINT(1), what MySQL calls BOOLEAN
    return _MYSQL_KINDS.get(type_code, "string")


def _to_array(values: tuple, kind: str) -> tuple[pa.Array, int]:
    """One batch of one column as an Arrow array, and how many values were not valid dates.

    A value that does not fit the column's kind widens it (bool to int to float) or turns it
    to text; `_combine` then brings the batches to one type."""
    if kind == "bool":
        if all(v is None or v in (0, 1) for v in values):
            return pa.array([None if v is None else bool(v) for v in values], pa.bool_()), 0
        kind = "int"
    if kind == "int":
        try:
            return pa.array([_as_int(v) for v in values], pa.int64()), 0
        except (TypeError, ValueError, OverflowError, pa.ArrowException):
            kind = "float"
    if kind == "float":
        try:
            return pa.array([None if v is None else float(v) for v in values], pa.float64()), 0
        except (TypeError, ValueError, OverflowError, pa.ArrowException):
            kind = "string"
    if kind in ("timestamp", "timestamp_tz"):
        converted = [_as_datetime(v) for v in values]
        bad = sum(1 for v, c in zip(values, converted, strict=True) if v is not None and c is None)
        arrow_type = pa.timestamp("us", tz="UTC") if kind == "timestamp_tz" else pa.timestamp("us")
        if kind == "timestamp_tz":
            converted = [_as_utc(c) for c in converted]
        return pa.array(converted, arrow_type), bad
    return pa.array([_as_text(v) for v in values], pa.string()), 0


def _as_int(value: Any) -> int | None:
    if value is None:
        return None
    if isinstance(value, bytes | bytearray):  # MySQL BIT
        return int.from_bytes(value, "big")
    if isinstance(value, float | decimal.Decimal) and value != int(value):
        raise ValueError("not an integer")
    return int(value)


def _as_datetime(value: Any) -> dt.datetime | None:
    if isinstance(value, dt.datetime):
        return value
    if isinstance(value, dt.date):
        return dt.datetime(value.year, value.month, value.day)
    # Anything else, such as MySQL's '0000-00-00' returned as text, is not a date.
    return None


def _as_utc(value: dt.datetime | None) -> dt.datetime | None:
    if value is None:
        return None
    if value.tzinfo is None:
        return value.replace(tzinfo=dt.UTC)
    return value.astimezone(dt.UTC)


def _as_text(value: Any) -> str | None:
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, memoryview):
        value = value.tobytes()
    if isinstance(value, bytes | bytearray):
        try:
            return bytes(value).decode("utf-8")
        except UnicodeDecodeError:
            return bytes(value).hex()
    if isinstance(value, dict | list):
        return json.dumps(value, default=str, ensure_ascii=False)
    if isinstance(value, dt.date | dt.time | dt.datetime):
        return value.isoformat()
    return str(value)


def _combine(chunks: list[pa.Array]) -> pa.ChunkedArray:
    types = {chunk.type for chunk in chunks}
    if len(types) > 1:
        numeric = {pa.bool_(): "bool", pa.int64(): "int", pa.float64(): "float"}
        if all(t in numeric for t in types):
            target = max(types, key=lambda t: _NUMERIC_ORDER.index(numeric[t]))
        else:
            target = pa.string()
        chunks = [chunk.cast(target) if chunk.type != target else chunk for chunk in chunks]
    return pa.chunked_array(chunks)
