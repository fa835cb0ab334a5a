"""One small adapter per candidate shared store, for guarantees.py and features.py.

Each adapter opens a connection in its own process and gives the same five calls: begin,
run (one statement, rows back or None), commit, rollback, close; `kind(error)` says whether
an error is a write conflict ("conflict"), a duplicate key ("duplicate") or anything else.
The SQL handed to `run` is DuckDB's dialect with `?` parameters, as the services write it;
an adapter changes only the parameter marker (PostgreSQL's `%s`), nothing else, so whatever
else fails is a real incompatibility.

Every candidate runs in its own virtualenv (their DuckDB versions differ): see
docs/scale-out.md for the exact commands. Settings come from the environment:
  SO_PG_DSN      host=127.0.0.1 port=55432 user=postgres dbname=collabdesk
  SO_QUACK_URI   quack:127.0.0.1:9494 (token in SO_QUACK_TOKEN)
  SO_LAKE_DIR    the DuckLake data folder (catalog in the PostgreSQL database of SO_PG_DSN)
"""

from __future__ import annotations

import glob
import os
import re
import sys
from typing import Any

PG_DSN = os.environ.get("SO_PG_DSN", "host=127.0.0.1 port=55432 user=postgres dbname=collabdesk")
QUACK_URI = os.environ.get("SO_QUACK_URI", "quack:127.0.0.1:9494")
QUACK_TOKEN = os.environ.get("SO_QUACK_TOKEN", "secret-token")
LAKE_DIR = os.environ.get("SO_LAKE_DIR", "/tmp/so/lake")

_CONFLICT = re.compile(r"conflict|could not serialize|serializ|concurrent update", re.I)
_DUPLICATE = re.compile(r"duplicate|unique|violates (primary key|unique)", re.I)


def kind(error: BaseException) -> str:
    text = str(error)
    if _DUPLICATE.search(text):
        return "duplicate"
    if _CONFLICT.search(text):
        return "conflict"
    return "other"


def site_extension(name: str) -> str:
    """The .duckdb_extension file a registry wheel put into this virtualenv."""
    found = glob.glob(f"{sys.prefix}/lib/python3*/site-packages/duckdb_ext*/**/"
                      f"{name}.duckdb_extension", recursive=True)
    if not found:
        raise RuntimeError(f"No {name}.duckdb_extension in {sys.prefix}")
    return found[0]


class Postgres:
    """PostgreSQL itself through psycopg, REPEATABLE READ (snapshot isolation, as DuckDB):
    under READ COMMITTED the services' read-check-update would lose updates."""

    name = "postgres"

    def __init__(self) -> None:
        import psycopg

        self.conn = psycopg.connect(PG_DSN, autocommit=True)

    def begin(self) -> None:
        self.conn.execute("BEGIN ISOLATION LEVEL REPEATABLE READ")

    def run(self, sql: str, params: list[Any] | None = None) -> list[tuple] | None:
        cur = self.conn.execute(sql.replace("?", "%s"), params or None)
        return cur.fetchall() if cur.description else None

    def run_native(self, sql: str) -> list[tuple] | None:
        cur = self.conn.execute(sql)
        return cur.fetchall() if cur.description else None

    def commit(self) -> None:
        self.conn.execute("COMMIT")

    def rollback(self) -> None:
        self.conn.execute("ROLLBACK")

    def close(self) -> None:
        self.conn.close()


class PostgresReadCommitted(Postgres):
    """PostgreSQL's default isolation, to show why the store needs REPEATABLE READ."""

    name = "postgres-read-committed"

    def begin(self) -> None:
        self.conn.execute("BEGIN ISOLATION LEVEL READ COMMITTED")


class DuckOverPostgres:
    """DuckDB 1.4.4 with the postgres extension (duckdb-ext-postgres), PostgreSQL attached as
    the default catalog; DDL is sent to PostgreSQL itself (postgres_execute)."""

    name = "duckdb-postgres"

    def __init__(self) -> None:
        import duckdb

        self.conn = duckdb.connect(config={"allow_unsigned_extensions": "true",
                                           "autoinstall_known_extensions": "false"})
        self.conn.execute(f"LOAD '{site_extension('postgres_scanner')}'")
        self.conn.execute(f"ATTACH '{PG_DSN}' AS pg (TYPE postgres)")
        self.conn.execute("USE pg")

    def begin(self) -> None:
        self.conn.execute("BEGIN TRANSACTION")
        # the extension opens PostgreSQL's transaction lazily, REPEATABLE READ by default

    def run(self, sql: str, params: list[Any] | None = None) -> list[tuple] | None:
        cur = self.conn.execute(sql, params or [])
        return cur.fetchall() if cur.description else None

    def run_native(self, sql: str) -> list[tuple] | None:
        self.conn.execute("CALL postgres_execute('pg', ?)", [sql])
        return None

    def commit(self) -> None:
        self.conn.execute("COMMIT")

    def rollback(self) -> None:
        self.conn.execute("ROLLBACK")

    def close(self) -> None:
        self.conn.close()


class DuckFile:
    """The default store for reference: one DuckDB file (here in memory), one process."""

    name = "duckdb-file"

    def __init__(self) -> None:
        import duckdb

        self.conn = duckdb.connect(":memory:")

    begin = DuckOverPostgres.begin
    run = DuckOverPostgres.run
    commit = DuckOverPostgres.commit
    rollback = DuckOverPostgres.rollback
    close = DuckOverPostgres.close

    def run_native(self, sql: str) -> list[tuple] | None:
        return self.run(sql)


class DuckLake:
    """DuckDB 1.4.4 with duckdb-ext-ducklake: catalog in PostgreSQL, data files in LAKE_DIR."""

    name = "ducklake"

    def __init__(self) -> None:
        import duckdb

        self.conn = duckdb.connect(config={"allow_unsigned_extensions": "true",
                                           "autoinstall_known_extensions": "false"})
        self.conn.execute(f"LOAD '{site_extension('postgres_scanner')}'")
        self.conn.execute(f"LOAD '{site_extension('ducklake')}'")
        os.makedirs(LAKE_DIR, exist_ok=True)
        self.conn.execute(f"ATTACH 'ducklake:postgres:{PG_DSN} dbname=lake' AS lake"
                          f" (DATA_PATH '{LAKE_DIR}/')")
        self.conn.execute("USE lake")

    begin = DuckOverPostgres.begin
    run = DuckOverPostgres.run
    commit = DuckOverPostgres.commit
    rollback = DuckOverPostgres.rollback
    close = DuckOverPostgres.close

    def run_native(self, sql: str) -> list[tuple] | None:
        return self.run(sql)


class QuackAdbc:
    """One DuckDB 1.5.5 process serving its file over Quack (quack_serve), reached through
    adbc-driver-quack: the server parses and runs the SQL, a connection is a server session."""

    name = "quack-adbc"

    def __init__(self) -> None:
        import adbc_driver_quack.dbapi as quack

        uri = "quack://" + QUACK_URI.removeprefix("quack:")
        self.conn = quack.connect(uri=uri, db_kwargs={"adbc.quack.token": QUACK_TOKEN},
                                  autocommit=True)
        self.cur = self.conn.cursor()

    def begin(self) -> None:
        self.cur.execute("BEGIN TRANSACTION")

    def run(self, sql: str, params: list[Any] | None = None) -> list[tuple] | None:
        self.cur.execute(sql, params) if params else self.cur.execute(sql)
        try:
            return self.cur.fetchall()
        except Exception:  # a statement without a result set
            return None

    run_native = run

    def commit(self) -> None:
        self.cur.execute("COMMIT")

    def rollback(self) -> None:
        self.cur.execute("ROLLBACK")

    def close(self) -> None:
        self.conn.close()


class QuackAttach:
    """A DuckDB 1.5.5 client that ATTACHes the Quack server as a catalog (DuckDB plans locally,
    the server scans and appends)."""

    name = "quack-attach"

    def __init__(self) -> None:
        import duckdb

        self.conn = duckdb.connect(config={"allow_unsigned_extensions": "true",
                                           "autoinstall_known_extensions": "false"})
        self.conn.execute(f"LOAD '{site_extension('httpfs')}'")
        self.conn.execute(f"LOAD '{site_extension('quack')}'")
        self.conn.execute(f"CREATE SECRET (TYPE quack, TOKEN '{QUACK_TOKEN}')")
        self.conn.execute(f"ATTACH '{QUACK_URI}' AS q")
        self.conn.execute("USE q")

    begin = DuckOverPostgres.begin
    run = DuckOverPostgres.run
    commit = DuckOverPostgres.commit
    rollback = DuckOverPostgres.rollback
    close = DuckOverPostgres.close

    def run_native(self, sql: str) -> list[tuple] | None:
        return self.conn.execute("SELECT * FROM quack_query(?, ?)", [QUACK_URI, sql]).fetchall()


ENGINES = {e.name: e for e in (DuckFile, Postgres, PostgresReadCommitted, DuckOverPostgres,
                                DuckLake, QuackAdbc, QuackAttach)}


def connect(name: str) -> Any:
    return ENGINES[name]()
