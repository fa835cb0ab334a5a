"""A throwaway prototype: the real services of lib/ on PostgreSQL, through a Database whose
cursor translates DuckDB SQL with sqlglot, run by two processes at once.

    PYTHONPATH=/tmp/so/pgextra .venv/bin/python bench/scaleout/pg_services.py DATA_DIR
    (the project's venv plus psycopg and sqlglot installed with `pip install --target`)

1. A fresh PostgreSQL database (so_services) gets migrations 001-010 translated by sqlglot,
   the creators' unique key of 011 written for PostgreSQL, and the rows of a demo database
   built by build.py (DATA_DIR/collabdesk-N.duckdb) copied in.
2. Two processes run lib.collaborations.apply_status_change at once on overlapping rows
   (a: rows 0-199 -> negotiating, b: rows 100-299 -> cancelled), each with the versions it read
   before either wrote, as two people previewing the same list would.
3. Checks: no row changed twice (version 3), the rows at version 2 are exactly the changes the
   two processes reported, one status_changed event per change; prints what each was told.
Not the design for lib/ (see docs/scale-out.md); its point is which of the real SQL runs.
"""

from __future__ import annotations

import functools
import json
import random
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any, TypeVar

import duckdb
import pandas as pd
import psycopg
import sqlglot
from psycopg import errors as pg_errors

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
sys.path.insert(0, str(Path(__file__).resolve().parent))
import engines
import transpile

from lib import collaborations, creators, users
from lib import db as libdb

T = TypeVar("T")
DATABASE = "so_services"
DSN = re.sub(r"dbname=\S+", f"dbname={DATABASE}", engines.PG_DSN)
# PostgreSQL's regexps have no \p{Z}: the Unicode space separators spelled out (its \s holds
# the ASCII ones). A statement sqlglot passes through unchanged and PostgreSQL refuses.
UNICODE_SPACES = r"\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
HANDLE_KEY_PG = creators.HANDLE_KEY.format("handle").replace(r"\p{Z}", UNICODE_SPACES)


@functools.lru_cache(maxsize=4096)
def to_postgres(sql: str) -> str:
    """DuckDB SQL as the services write it -> PostgreSQL with psycopg placeholders."""
    if sql.strip().upper() == "BEGIN TRANSACTION":
        return "BEGIN ISOLATION LEVEL REPEATABLE READ"
    sql = sql.replace(r"\p{Z}", UNICODE_SPACES)
    # sqlglot cannot parse `?::BIGINT[]`; the CAST spelling means the same.
    sql = re.sub(r"([?]|\$\w+)::(\w+)\[\]", r"CAST(\1 AS \2[])", sql)
    out = ";\n".join(sqlglot.transpile(sql, read="duckdb", write="postgres"))
    return re.sub(r"%(?!s\b|\(\w+\)s)", "%%", out)  # a literal % next to placeholders


class PgCursor:
    def __init__(self, conn: psycopg.Connection) -> None:
        self.cur = conn.cursor()

    def execute(self, sql: str, params: Any = ()) -> PgCursor:
        self.cur.execute(to_postgres(sql), params or None)
        return self

    def fetchall(self) -> list[tuple]:
        return self.cur.fetchall()

    def fetchone(self) -> tuple | None:
        return self.cur.fetchone()

    def df(self) -> pd.DataFrame:
        return pd.DataFrame(self.cur.fetchall(), columns=[d.name for d in self.cur.description])

    def __enter__(self) -> PgCursor:
        return self

    def __exit__(self, *exc: object) -> None:
        self.cur.close()


class PgDatabase(libdb.Database):
    """lib.db.Database's calls on one psycopg connection (one process, one thread)."""

    def __init__(self, dsn: str) -> None:
        self.path = Path(DATABASE)
        self._conn = psycopg.connect(dsn, autocommit=True)

    def cursor(self) -> PgCursor:  # type: ignore[override]
        return PgCursor(self._conn)

    @contextmanager
    def transaction(self) -> Iterator[PgCursor]:  # type: ignore[override]
        with self.cursor() as cur:
            cur.execute("BEGIN TRANSACTION")
            try:
                yield cur
                cur.execute("COMMIT")
            except BaseException:
                with suppress(psycopg.Error):
                    cur.execute("ROLLBACK")
                raise

    def write(self, work: Callable[[Any], T], retries: int = libdb.WRITE_RETRIES) -> T:
        for attempt in range(retries + 1):
            try:
                with self.transaction() as cur:
                    return work(cur)
            except (pg_errors.SerializationFailure, pg_errors.DeadlockDetected) as conflict:
                if attempt == retries:
                    raise libdb.ConcurrentEditError("nothing was saved. Try again.") from conflict
                time.sleep(random.uniform(0.005, 0.02) * (attempt + 1))
        raise AssertionError("unreachable")


# --- 1. schema and data ---------------------------------------------------------------------------


def setup(source: Path) -> None:
    with psycopg.connect(engines.PG_DSN, autocommit=True) as admin:
        admin.execute(f"DROP DATABASE IF EXISTS {DATABASE}")
        admin.execute(f"CREATE DATABASE {DATABASE}")
    pg = psycopg.connect(DSN, autocommit=True)
    pg.execute("CREATE TABLE schema_version (version INTEGER PRIMARY KEY,"
               " name VARCHAR NOT NULL, applied_at TIMESTAMP NOT NULL)")
    for file in sorted((transpile.ROOT / "lib" / "migrations").glob("*.sql")):
        for sql in transpile.statements(file.read_text()):
            pg.execute(transpile.translate(sql))
    pg.execute(f"CREATE UNIQUE INDEX creators_platform_handle_key ON creators (platform,"
               f" ({HANDLE_KEY_PG}))")
    duck = duckdb.connect(str(source), read_only=True)
    tables = [t for (t,) in pg.execute("SELECT table_name FROM information_schema.tables"
                                       " WHERE table_schema = 'public'").fetchall()]
    pg.execute(f"TRUNCATE {', '.join(tables)}")  # the rows migrations made come from the file
    pg.execute("SET session_replication_role = replica")  # rows in any order: no FK checks
    for table in tables:
        columns = [c for (c,) in pg.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_name = %s"
            " ORDER BY ordinal_position", [table]).fetchall()]
        names = ", ".join(columns)
        with suppress(duckdb.CatalogException):
            rows = duck.execute(f"SELECT {names} FROM {table}").fetchall()
            with pg.cursor().copy(f"COPY {table} ({names}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
    for (sequence,) in pg.execute("SELECT sequence_name FROM information_schema.sequences"
                                  ).fetchall():
        table = sequence.removesuffix("_id_seq")
        pg.execute(f"SELECT setval('{sequence}', (SELECT coalesce(max(id), 0) + 1 FROM {table}),"
                   " false)")
    pg.close()


# --- 2. the two processes ----------------------------------------------------------------------


def worker(me: str, meet: Path) -> None:
    db = PgDatabase(DSN)
    staff = db.value("SELECT username FROM users WHERE role IN ('admin', 'manager', 'staff')"
                     " AND NOT disabled ORDER BY id LIMIT 1")
    user = users.get_user(db, staff)
    ids = [i for (i,) in db.rows("SELECT id FROM collaborations WHERE status = 'pending'"
                                 " ORDER BY id LIMIT 300")]
    mine = ids[:200] if me == "a" else ids[100:]
    preview = collaborations.preview_status_change(
        db, user, mine, "negotiating" if me == "a" else "cancelled",
        None if me == "a" else "budget cut")
    (meet / f"previewed-{me}").touch()
    other = meet / f"previewed-{'b' if me == 'a' else 'a'}"
    while not other.exists():
        time.sleep(0.01)
    try:
        result = collaborations.apply_status_change(db, user, preview.valid, preview.target,
                                                    preview.reason)
        out = {"previewed": len(mine), "allowed": len(preview.valid),
               "preview_refused": sorted({r.message for r in preview.refused}),
               "applied": len(result.done), "refused": len(result.refused),
               "messages": sorted(set(result.refused.values()))}
    except Exception as error:
        out = {"error": f"{type(error).__name__}: {error}"[:300]}
    print(json.dumps(out), flush=True)


def creator_worker(me: str, meet: Path) -> None:
    """Both processes add the same creator (the handle spelled differently) at once."""
    db = PgDatabase(DSN)
    staff = db.value("SELECT username FROM users WHERE role IN ('admin', 'manager', 'staff')"
                     " AND NOT disabled ORDER BY id LIMIT 1")
    user = users.get_user(db, staff)
    (meet / f"ready-{me}").touch()
    while not (meet / f"ready-{'b' if me == 'a' else 'a'}").exists():
        time.sleep(0.01)
    fields = {"name": "Same Person", "platform": "instagram",
              "handle": "@same_handle" if me == "a" else "Same_Handle"}
    try:
        out = {"added": creators.add_creator(db, user, fields)}
    except Exception as error:
        out = {"error": f"{type(error).__name__}: {' '.join(str(error).split())}"[:300]}
    print(json.dumps(out), flush=True)


def two(role: str) -> list[str]:
    with tempfile.TemporaryDirectory() as meet:
        procs = [subprocess.Popen([sys.executable, __file__, role, me, meet],
                                  stdout=subprocess.PIPE, text=True) for me in ("a", "b")]
        return [p.communicate(timeout=300)[0].strip() for p in procs]


def main() -> None:
    if sys.argv[1] == "--worker":
        worker(sys.argv[2], Path(sys.argv[3]))
        return
    if sys.argv[1] == "--creator":
        creator_worker(sys.argv[2], Path(sys.argv[3]))
        return
    data = Path(sys.argv[1])
    source = sorted(data.glob("collabdesk-*.duckdb"))[0]
    setup(source)
    db = PgDatabase(DSN)
    ids = [i for (i,) in db.rows("SELECT id FROM collaborations WHERE status = 'pending'"
                                 " ORDER BY id LIMIT 300")]
    events_before = db.value("SELECT count(*) FROM activity_events WHERE kind = 'status_changed'")
    outs = two("--worker")
    for me, out in zip(("a", "b"), outs, strict=True):
        print(f"process {me}: {out}")
    versions = db.rows("SELECT version, count(*) FROM collaborations"
                       " WHERE id IN (SELECT unnest(?::BIGINT[])) GROUP BY 1 ORDER BY 1", [ids])
    statuses = db.rows("SELECT status, count(*) FROM collaborations"
                       " WHERE id IN (SELECT unnest(?::BIGINT[])) GROUP BY 1 ORDER BY 1", [ids])
    events = db.value("SELECT count(*) FROM activity_events WHERE kind = 'status_changed'")
    print(f"300 rows: versions {versions}, statuses {statuses},"
          f" {events - events_before} new status_changed events")
    applied = sum(json.loads(out).get("applied", 0) for out in outs)
    changed = sum(n for version, n in versions if version == 2)
    ok = all(version in (1, 2) for version, _ in versions) and changed == applied and (
        events - events_before == applied)
    print(f"{'PASS' if ok else 'FAIL'}: {applied} changes reported, {changed} rows at version 2,"
          " none changed twice, one event per change")
    for me, out in zip(("a", "b"), two("--creator"), strict=True):
        print(f"add_creator, process {me}: {out}")
    print("creators with that handle:", db.value(
        "SELECT count(*) FROM creators WHERE lower(handle) LIKE '%same_handle%'"))


if __name__ == "__main__":
    main()
