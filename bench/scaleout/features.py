"""Which of the SQL features the services use does a candidate take, as the services write it?

    python bench/scaleout/features.py ENGINE

Each probe runs in its own transaction on scratch tables (so_f_*), rolled back afterwards;
it prints "ok" or the engine's error. The SQL is DuckDB's dialect, as in lib/ (only `?`
becomes `%s` for psycopg).
"""

from __future__ import annotations

import sys
from contextlib import suppress
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import engines

SETUP = [
    "DROP TABLE IF EXISTS so_f_child",
    "DROP TABLE IF EXISTS so_f",
    "DROP SEQUENCE IF EXISTS so_f_seq",
]

# The scratch schema, made as the migrations make theirs (in PostgreSQL's own SQL for the
# DuckDB-over-PostgreSQL candidate, which cannot create keys or sequences itself).
SCHEMA = [
    "CREATE SEQUENCE so_f_seq START 100",
    "CREATE TABLE so_f (id BIGINT PRIMARY KEY DEFAULT nextval('so_f_seq'), name VARCHAR"
    " NOT NULL UNIQUE, n INTEGER NOT NULL DEFAULT 0 CHECK (n >= 0), version INTEGER"
    " NOT NULL DEFAULT 1)",
    "CREATE TABLE so_f_child (id BIGINT PRIMARY KEY, f_id BIGINT NOT NULL REFERENCES so_f (id))",
]
PLAIN_SCHEMA = [
    "CREATE TABLE so_f (id BIGINT, name VARCHAR NOT NULL, n INTEGER NOT NULL DEFAULT 0,"
    " version INTEGER NOT NULL DEFAULT 1)",
    "CREATE TABLE so_f_child (id BIGINT, f_id BIGINT NOT NULL)",
]

# (feature, where lib/ uses it, statements; the last one's rows are shown)
PROBES: list[tuple[str, str, list[tuple[str, list | None]]]] = [
    ("sequence + DEFAULT nextval", "every table's id",
     [("INSERT INTO so_f (name) VALUES (?)", ["z"]), ("SELECT max(id) FROM so_f", None)]),
    ("foreign key refuses", "001-010", [("INSERT INTO so_f_child VALUES (1, 999)", None)]),
    ("CHECK refuses", "001-010", [("INSERT INTO so_f (id, name, n) VALUES (5, 'neg', -1)",
                                   None)]),
    ("UNIQUE refuses", "users, clients, applications, creators' handle",
     [("INSERT INTO so_f (id, name) VALUES (6, 'a')", None)]),
    ("INSERT ... RETURNING id", "campaigns, creators, imports, inbox, feedback, ...",
     [("INSERT INTO so_f (id, name) VALUES (7, ?) RETURNING id", ["c"])]),
    ("UPDATE ... RETURNING", "notifications.mark_read",
     [("UPDATE so_f SET n = n + 1 WHERE name = 'a' RETURNING id", None)]),
    ("ON CONFLICT DO NOTHING", "creators.add_tag",
     [("INSERT INTO so_f (id, name) VALUES (1, 'a') ON CONFLICT DO NOTHING", None)]),
    ("ON CONFLICT (...) DO UPDATE", "inbox.mark_read",
     [("INSERT INTO so_f (id, name) VALUES (1, 'a') ON CONFLICT (id) DO UPDATE"
       " SET n = so_f.n + 1", None)]),
    ("list parameter, unnest(?::BIGINT[])", "collaborations.change_statuses, imports",
     [("SELECT count(*) FROM so_f WHERE id IN (SELECT unnest(?::BIGINT[]))", [[1, 2, 3]])]),
    ("version bump UPDATE", "every edit", [
        ("UPDATE so_f SET version = version + 1 WHERE id = ?", [1]),
        ("SELECT version FROM so_f WHERE id = 1", None)]),
    ("struct_pack / EXCLUDE", "collaborations list page",
     [("SELECT x.* EXCLUDE (id), struct_pack(a := 1, b := 'x') AS s FROM so_f x", None)]),
    ("list(...) FILTER, GROUP BY ALL", "migration 011, reports",
     [("SELECT name, list(id ORDER BY id) FILTER (WHERE id > 0) FROM so_f GROUP BY ALL", None)]),
    ("regexp_replace with \\p{Z}", "creators.HANDLE_KEY (the unique index)",
     [(r"SELECT lower(regexp_replace(' @Ab ', '^[\s\p{Z}@]+|[\s\p{Z}]+$', '', 'g'))", None)]),
    ("WITH ... AS MATERIALIZED", "collaborations list page",
     [("WITH h AS MATERIALIZED (SELECT id FROM so_f) SELECT count(*) FROM h", None)]),
    ("rowid", "migration 011",
     [("SELECT rowid FROM so_f", None)]),
]


def probe(db: engines.Any, statements: list[tuple[str, list | None]]) -> str:
    db.begin()
    try:
        rows = None
        for sql, params in statements:
            rows = db.run(sql, params)
        return f"ok {rows[:3] if rows else ''}".strip()
    except Exception as error:
        return f"{type(error).__name__}: {' '.join(str(error).split())[:160]}"
    finally:
        with suppress(Exception):  # aborted already, or nothing to drop
            db.rollback()


def make_schema(db: engines.Any, engine: str) -> None:
    for sql in SETUP:
        with suppress(Exception):  # aborted already, or nothing to drop
            db.run_native(sql)
    try:
        for sql in SCHEMA:
            db.run_native(sql)
        schema = "ok"
    except Exception as error:
        schema = f"{type(error).__name__}: {' '.join(str(error).split())[:160]}"
        for sql in PLAIN_SCHEMA:
            db.run_native(sql)
    print(f"{engine} | schema: sequence, keys, CHECK, UNIQUE, FK | 001-010 | {schema}")
    db.begin()
    db.run("INSERT INTO so_f (id, name) VALUES (1, 'a')")
    db.commit()


def main() -> None:
    engine = sys.argv[1]
    db = engines.connect(engine)
    make_schema(db, engine)
    for feature, where, statements in PROBES:
        print(f"{engine} | {feature} | {where} | {probe(db, statements)}", flush=True)
    db.close()


if __name__ == "__main__":
    main()
