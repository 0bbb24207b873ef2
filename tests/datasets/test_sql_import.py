"""Importing from SQL databases, against real PostgreSQL and MariaDB/MySQL servers.

The servers come from AUTOML_TEST_POSTGRES_URL and AUTOML_TEST_MYSQL_URL (defaults: the local
servers with the usual administrator accounts). Each test module run makes a scratch database
`automl_sqltest` on each server and a table with a random name in it, dropped at the end. A
server that cannot be reached skips its half of the tests with the reason.
"""

import datetime as dt
import os
import traceback
import uuid
from dataclasses import dataclass
from decimal import Decimal

import psycopg
import pyarrow as pa
import pymysql
import pytest
from sqlalchemy.engine import make_url

from datasets import sql

SCRATCH_DB = "automl_sqltest"
ADMIN_URLS = {
    "postgresql": os.environ.get("AUTOML_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"),
    "mysql": os.environ.get("AUTOML_TEST_MYSQL_URL", "mysql://root@127.0.0.1:3306/test"),
}
ROWS = [
    (1, 10, 1.5, Decimal("2.25"), "alpha; 'beta'", dt.date(2024, 1, 31), dt.datetime(2024, 1, 31, 12, 30, 5), True),
    (2, None, None, None, None, None, None, None),
    (3, -7, -0.25, Decimal("100.00"), "Ünïcode", dt.date(1999, 12, 31), dt.datetime(2000, 1, 1), False),
]
COLUMNS = ["id", "i", "f", "d", "name", "born_on", "happened_at", "flag"]
EXPECTED_TYPES = {
    "id": pa.int64(),
    "i": pa.int64(),
    "f": pa.float64(),
    "d": pa.float64(),
    "name": pa.string(),
    "born_on": pa.timestamp("us"),
    "happened_at": pa.timestamp("us"),
    "flag": pa.bool_(),
}
DDL = {
    "postgresql": """CREATE TABLE {t} (id integer PRIMARY KEY, i bigint, f double precision, d numeric(10, 2),
        name text, born_on date, happened_at timestamp, flag boolean)""",
    "mysql": """CREATE TABLE {t} (id int PRIMARY KEY, i bigint, f double, d decimal(10, 2),
        name varchar(100), born_on date, happened_at datetime, flag boolean) CHARACTER SET utf8mb4""",
}
# A function that writes: calling it from a SELECT is the write a query can smuggle in.
# (DETERMINISTIC only so that MySQL accepts the function when binary logging is on.)
WRITER = {
    "postgresql": """CREATE FUNCTION {f}() RETURNS integer LANGUAGE sql AS
        $$ INSERT INTO {t} (id) VALUES (99) RETURNING id $$""",
    "mysql": """CREATE FUNCTION {f}() RETURNS integer DETERMINISTIC MODIFIES SQL DATA
        BEGIN INSERT INTO {t} (id) VALUES (99); RETURN 1; END""",
}


@dataclass
class Scratch:
    dialect: str
    url: str
    table: str
    writer: str
    admin: object

    def scalar(self, statement: str):
        with self.admin.cursor() as cursor:
            cursor.execute(statement)
            return cursor.fetchone()[0]

    def count(self) -> int:
        return self.scalar(f"SELECT count(*) FROM {self.table}")


def _admin_connect(dialect: str, url, database: str):
    if dialect == "postgresql":
        return psycopg.connect(
            host=url.host,
            port=url.port or 5432,
            user=url.username,
            password=url.password or "",
            dbname=database,
            autocommit=True,
            connect_timeout=5,
        )
    return pymysql.connect(
        host=url.host,
        port=url.port or 3306,
        user=url.username,
        password=url.password or "",
        database=database,
        autocommit=True,
        connect_timeout=5,
        charset="utf8mb4",
    )


def _create_database(dialect: str, url) -> None:
    conn = _admin_connect(dialect, url, url.database)
    try:
        if dialect == "mysql":
            conn.cursor().execute(f"CREATE DATABASE IF NOT EXISTS {SCRATCH_DB} CHARACTER SET utf8mb4")
            return
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (SCRATCH_DB,)).fetchone()
        if not exists:
            try:
                conn.execute(f"CREATE DATABASE {SCRATCH_DB}")
            except psycopg.errors.DuplicateDatabase:
                pass  # made meanwhile by a parallel test run
            except psycopg.errors.UniqueViolation:
                pass
    finally:
        conn.close()


@pytest.fixture(scope="module", params=["postgresql", "mysql"])
def scratch(request):
    dialect = request.param
    admin_url = make_url(ADMIN_URLS[dialect])
    try:
        _create_database(dialect, admin_url)
        admin = _admin_connect(dialect, admin_url, SCRATCH_DB)
    except (psycopg.OperationalError, pymysql.err.OperationalError) as exc:
        reason = f"{dialect} server at {admin_url.host}:{admin_url.port} is not reachable: {exc}"
        if os.environ.get("AUTOML_TEST_REQUIRE_SQL_SERVERS"):
            pytest.fail(reason)  # CI starts both servers: an unreachable one is a failure there
        pytest.skip(reason)
    suffix = uuid.uuid4().hex[:12]
    table, writer = f"t_{suffix}", f"writer_{suffix}"
    placeholders = ", ".join(["%s"] * len(COLUMNS))
    with admin.cursor() as cursor:
        cursor.execute(DDL[dialect].format(t=table))
        cursor.executemany(f"INSERT INTO {table} ({', '.join(COLUMNS)}) VALUES ({placeholders})", ROWS)
        cursor.execute(WRITER[dialect].format(f=writer, t=table))
    url = admin_url.set(database=SCRATCH_DB).render_as_string(hide_password=False)
    yield Scratch(dialect=dialect, url=url, table=table, writer=writer, admin=admin)
    with admin.cursor() as cursor:
        cursor.execute(f"DROP FUNCTION IF EXISTS {writer}")
        cursor.execute(f"DROP TABLE IF EXISTS {table}")
    admin.close()


def _select_all(scratch: Scratch) -> str:
    return f"SELECT {', '.join(COLUMNS)} FROM {scratch.table} ORDER BY id"


# --- Reading -----------------------------------------------------------------------------------


def test_read_query_returns_rows_and_types(scratch):
    seen = []
    table, warnings = sql.read_query(
        scratch.url, _select_all(scratch), timeout_s=10, batch_rows=2, progress=seen.append
    )
    assert warnings == []
    assert table.column_names == COLUMNS
    assert {name: table.schema.field(name).type for name in COLUMNS} == EXPECTED_TYPES
    assert seen == [2, 3]
    rows = table.to_pylist()
    assert rows[0] == {
        "id": 1,
        "i": 10,
        "f": 1.5,
        "d": 2.25,
        "name": "alpha; 'beta'",
        "born_on": dt.datetime(2024, 1, 31),
        "happened_at": dt.datetime(2024, 1, 31, 12, 30, 5),
        "flag": True,
    }
    assert rows[1] == {"id": 2, **dict.fromkeys(COLUMNS[1:])}
    assert rows[2]["name"] == "Ünïcode"
    assert rows[2]["d"] == 100.0
    assert rows[2]["flag"] is False


def test_duplicate_column_names_are_renamed(scratch):
    query = f"SELECT id, name, id AS name FROM {scratch.table} ORDER BY id"
    table, warnings = sql.read_query(scratch.url, query, timeout_s=10)
    assert table.column_names == ["id", "name", "name_2"]
    assert [w["code"] for w in warnings] == ["duplicate_column"]
    assert warnings[0]["column"] == "name_2"


def test_row_cap_truncates_with_a_warning(scratch):
    table, warnings = sql.read_query(scratch.url, _select_all(scratch), timeout_s=10, row_cap=2, batch_rows=1)
    assert table.num_rows == 2
    assert table.column("id").to_pylist() == [1, 2]
    assert warnings == [
        {
            "code": "row_cap",
            "column": None,
            "message": "The query returned more than 2 rows; only the first 2 were imported.",
        }
    ]


def test_row_cap_wording_with_default_size(scratch):
    query = f"SELECT id FROM {scratch.table}"
    _, warnings = sql.read_query(scratch.url, query, timeout_s=10, row_cap=1)
    assert warnings[-1]["code"] == "row_cap"
    table, warnings = sql.read_query(scratch.url, query, timeout_s=10, row_cap=3)
    assert table.num_rows == 3 and warnings == []


def test_row_cap_stops_a_long_result_early(scratch):
    # Five million generated rows: stopping must not read them all.
    if scratch.dialect == "postgresql":
        query = "SELECT n FROM generate_series(1, 5000000) AS n"
    else:
        query = "SELECT a.id * 1000000 + b.seq AS n FROM (SELECT id FROM {t}) a, seq_1_to_2000000 b"
        query = query.format(t=scratch.table)
        if "MariaDB" not in sql.test_connection(scratch.url):
            pytest.skip("the sequence engine is MariaDB's")
    table, warnings = sql.read_query(scratch.url, query, timeout_s=20, row_cap=1000, batch_rows=500)
    assert table.num_rows == 1000
    assert warnings[-1]["code"] == "row_cap"
    assert "1,000 rows" in warnings[-1]["message"]


def test_empty_result_is_an_error(scratch):
    with pytest.raises(sql.SqlImportError, match="returned no rows"):
        sql.read_query(scratch.url, f"SELECT * FROM {scratch.table} WHERE id < 0", timeout_s=10)


def test_statement_timeout_stops_a_slow_query(scratch):
    query = "SELECT pg_sleep(5)" if scratch.dialect == "postgresql" else f"SELECT SLEEP(5) AS s FROM {scratch.table}"
    with pytest.raises(sql.SqlImportError) as caught:
        sql.read_query(scratch.url, query, timeout_s=1)
    assert caught.value.message == "The query took longer than 1 s and was stopped."


def test_transaction_is_read_only(scratch):
    if scratch.dialect == "postgresql":
        query = "SELECT current_setting('transaction_read_only') AS ro"
        expected = "on"
    else:
        server = sql.test_connection(scratch.url)
        variable = "tx_read_only" if "MariaDB" in server else "transaction_read_only"
        query = f"SELECT @@session.{variable} AS ro"
        expected = 1
    table, _ = sql.read_query(scratch.url, query, timeout_s=10)
    assert table.column("ro").to_pylist() == [expected]


def test_a_write_through_a_function_is_refused(scratch):
    with pytest.raises(sql.SqlImportError) as caught:
        sql.read_query(scratch.url, f"SELECT {scratch.writer}() AS w", timeout_s=10)
    assert "read-only" in caught.value.message
    assert scratch.count() == len(ROWS)


def test_a_data_modifying_cte_is_refused(scratch):
    query = f"WITH gone AS (DELETE FROM {scratch.table} RETURNING *) SELECT * FROM gone"
    with pytest.raises(sql.SqlImportError) as caught:
        sql.read_query(scratch.url, query, timeout_s=10)
    if scratch.dialect == "postgresql":
        assert "read-only" in caught.value.message  # MariaDB has no such WITH: a syntax error
    assert scratch.count() == len(ROWS)


def test_a_second_statement_is_refused_before_reaching_the_server(scratch):
    with pytest.raises(sql.SqlImportError, match="more than one statement"):
        sql.read_query(scratch.url, f"SELECT 1; DROP TABLE {scratch.table}", timeout_s=10)
    assert scratch.count() == len(ROWS)


def test_query_errors_are_readable(scratch):
    with pytest.raises(sql.SqlImportError) as caught:
        sql.read_query(scratch.url, "SELECT no_such_column FROM no_such_table_xyz", timeout_s=10)
    assert caught.value.message.startswith("The database refused the query:")
    assert "no_such" in caught.value.message
    with pytest.raises(sql.SqlImportError) as caught:
        sql.read_query(scratch.url, "SELECT FROM WHERE 1 +", timeout_s=10)
    assert "syntax" in caught.value.message


# --- Connecting --------------------------------------------------------------------------------


def test_connection_success_names_the_server(scratch):
    message = sql.test_connection(scratch.url, timeout_s=5)
    expected = (
        ("Connected to PostgreSQL ",)
        if scratch.dialect == "postgresql"
        else ("Connected to MariaDB ", "Connected to MySQL ")
    )
    assert message.startswith(expected)
    assert message.endswith(".")


def _wrong(scratch: Scratch, **changes) -> str:
    return make_url(scratch.url).set(**changes).render_as_string(hide_password=False)


def _assert_secret_hidden(error: sql.SqlImportError, secret: str) -> None:
    assert secret not in error.message
    assert error.__cause__ is None and error.__suppress_context__
    # Nor in any exception it was raised from, which a log of the full traceback would show.
    chained = error
    while chained is not None:
        assert secret not in "".join(traceback.format_exception_only(chained))
        chained = chained.__context__


def test_wrong_credentials_are_readable_without_the_password(scratch):
    secret = "Wr0ng-Pa55word"
    # PostgreSQL test servers often trust local connections, so an unknown user is what fails.
    url = _wrong(scratch, username="automl_nobody", password=secret)
    with pytest.raises(sql.SqlImportError) as caught:
        sql.test_connection(url, timeout_s=5)
    assert caught.value.message == "The database refused the user name or password."
    _assert_secret_hidden(caught.value, secret)
    with pytest.raises(sql.SqlImportError) as caught:
        sql.read_query(url, "SELECT 1", timeout_s=5)
    assert caught.value.message == "The database refused the user name or password."


def test_refused_port_is_readable_without_the_password(scratch):
    secret = "Refused-Pa55word"
    url = _wrong(scratch, host="127.0.0.1", port=1, password=secret)
    with pytest.raises(sql.SqlImportError) as caught:
        sql.test_connection(url, timeout_s=5)
    assert caught.value.message.startswith("Nothing accepted the connection at 127.0.0.1:1")
    _assert_secret_hidden(caught.value, secret)


def test_unknown_database_is_readable(scratch):
    with pytest.raises(sql.SqlImportError) as caught:
        sql.test_connection(_wrong(scratch, database="automl_no_such_db"), timeout_s=5)
    assert "automl_no_such_db" in caught.value.message
    assert "does not exist" in caught.value.message


def test_unknown_host_is_readable():
    with pytest.raises(sql.SqlImportError) as caught:
        sql.test_connection("postgresql://u:Secret-Pa55@no-such-host.invalid/db", timeout_s=5)
    assert caught.value.message == "The host name 'no-such-host.invalid' could not be found."
    _assert_secret_hidden(caught.value, "Secret-Pa55")


# --- URLs ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "dialect", "display"),
    [
        (
            "postgresql://ann:s3cret@db.example.com:5432/sales",
            "postgresql",
            "postgresql://ann:***@db.example.com:5432/sales",
        ),
        ("postgres://ann:s3cret@localhost/sales", "postgresql", "postgres://ann:***@localhost/sales"),
        (
            "postgresql+psycopg://ann@db/sales?sslmode=require",
            "postgresql",
            "postgresql+psycopg://ann@db/sales?sslmode=require",
        ),
        ("mysql://ann:p%40ss@db:3306/shop", "mysql", "mysql://ann:***@db:3306/shop"),
        ("mysql+pymysql://ann:x@127.0.0.1/shop", "mysql", "mysql+pymysql://ann:***@127.0.0.1/shop"),
        ("mariadb://ann:x@db/shop", "mysql", "mariadb://ann:***@db/shop"),
        (
            "mariadb+pymysql://ann:x@db/shop?charset=utf8mb4",
            "mysql",
            "mariadb+pymysql://ann:***@db/shop?charset=utf8mb4",
        ),
    ],
)
def test_parse_url_accepts_and_masks(url, dialect, display):
    assert sql.parse_url(url) == (dialect, display)


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("sqlite:///data.db", "not supported"),
        ("mssql+pyodbc://u:p@host/db", "not supported"),
        ("garbage", "not a database URL"),
        ("/var/data/file.db", "not a database URL"),
        ("", "Enter a connection URL"),
        ("postgresql:///sales", "needs a host"),
        ("postgresql://u:p@ss@host/db", "percent-encode"),
        ("postgresql://u:p@host:notaport/db", "not a database URL"),
        ("mysql://u:p@host/db?local_infile=1", "not allowed"),
        ("postgresql://u:p@host/db?passfile=/etc/passwd", "not allowed"),
    ],
)
def test_parse_url_refuses(url, reason):
    with pytest.raises(sql.SqlImportError, match=reason):
        sql.parse_url(url)


def test_parse_url_names_the_supported_kinds():
    with pytest.raises(sql.SqlImportError) as caught:
        sql.parse_url("sqlite:///data.db")
    assert "PostgreSQL" in caught.value.message and "MySQL" in caught.value.message


def test_allowed_hosts_setting(settings):
    settings.AUTOML_SQL_ALLOWED_HOSTS = ["db.internal", "*.example.com"]
    assert sql.parse_url("postgresql://u@db.internal/x")[0] == "postgresql"
    assert sql.parse_url("mysql://u@eu.example.com/x")[0] == "mysql"
    with pytest.raises(sql.SqlImportError, match="not allowed"):
        sql.parse_url("postgresql://u@127.0.0.1/x")


# --- Queries -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "cleaned"),
    [
        ("SELECT 1", "SELECT 1"),
        ("  select * from t;  ", "select * from t"),
        ("SELECT 1; -- done", "SELECT 1"),
        ("WITH a AS (SELECT 1 AS x) SELECT * FROM a", "WITH a AS (SELECT 1 AS x) SELECT * FROM a"),
        ("-- the sales\n/* all ; of them */ SELECT 1", "-- the sales\n/* all ; of them */ SELECT 1"),
        ("SELECT 'a;b', 'it''s; fine' FROM t", "SELECT 'a;b', 'it''s; fine' FROM t"),
        ("(SELECT 1) UNION (SELECT 2)", "(SELECT 1) UNION (SELECT 2)"),
        ("SELECT 5 % 2, ':name'", "SELECT 5 % 2, ':name'"),
    ],
)
def test_validate_query_accepts(query, cleaned):
    assert sql.validate_query(query) == cleaned
    assert sql.validate_query(query, "postgresql") == cleaned
    assert sql.validate_query(query, "mysql") == cleaned


def test_validate_query_follows_each_dialect():
    assert sql.validate_query('SELECT "a;b" FROM t', "postgresql") == 'SELECT "a;b" FROM t'
    assert sql.validate_query("SELECT `a;b` FROM t", "mysql") == "SELECT `a;b` FROM t"
    assert sql.validate_query("SELECT $$a;b$$, $x$;$x$;", "postgresql") == "SELECT $$a;b$$, $x$;$x$"
    assert sql.validate_query("SELECT 1 # a; comment\n", "mysql") == "SELECT 1 # a; comment"
    assert sql.validate_query("SELECT /* a /* nested; */ b; */ 1", "postgresql") == "SELECT /* a /* nested; */ b; */ 1"


@pytest.mark.parametrize(
    ("query", "dialect", "reason"),
    [
        ("", None, "Enter a query"),
        ("   ", None, "Enter a query"),
        ("SELECT 1; DROP TABLE t", None, "more than one statement"),
        ("SELECT 1; DROP TABLE t", "postgresql", "more than one statement"),
        ("SELECT 1; DROP TABLE t", "mysql", "more than one statement"),
        ("SELECT 1;\n'x'", None, "more than one statement"),
        ("DELETE FROM t", None, "Only a SELECT"),
        ("-- SELECT\nDELETE FROM t", None, "Only a SELECT"),
        ("/* SELECT */ UPDATE t SET a = 1", None, "Only a SELECT"),
        ("INSERT INTO t SELECT 1", None, "Only a SELECT"),
        ("SELECT 'open", None, "not closed"),
        ("SELECT 1 /* open", None, "not closed"),
        ("SELECT * FROM t INTO OUTFILE '/tmp/x'", "mysql", "OUTFILE"),
        ("SELECT * FROM t INTO/**/DUMPFILE '/tmp/x'", "mysql", "OUTFILE"),
        ("SELECT 1 /*! ; DROP TABLE t */", "mysql", "executable comments"),
        # A backslash does not escape in a standard PostgreSQL string: the DROP would run.
        ("SELECT 'C:\\'; DROP TABLE t; --'", "postgresql", "more than one statement"),
        ("SELECT E'\\'', '\\'; DROP TABLE t; --'", "postgresql", "more than one statement"),
        # With NO_BACKSLASH_ESCAPES a MySQL server reads it the same way; refused either way.
        ("SELECT 'a\\'; DROP TABLE t; -- '", "mysql", "more than one statement"),
        ("SELECT 1 # c\n; DROP TABLE t", "mysql", "more than one statement"),
        ("SELECT 1 -- c\n; DROP TABLE t", "postgresql", "more than one statement"),
        ("SELECT $$; DROP TABLE t; --", "postgresql", "not closed"),
        ("SELECT " + "1" * 100_001, None, "longer than 100,000"),
    ],
)
def test_validate_query_refuses(query, dialect, reason):
    with pytest.raises(sql.SqlImportError, match=reason):
        sql.validate_query(query, dialect)


def test_connection_is_not_collected_as_a_test():
    assert sql.test_connection.__test__ is False
