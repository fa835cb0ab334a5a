"""Generate lib/migrations_pg/NNN_*.sql once from lib/migrations/*.sql with sqlglot.

    PYTHONPATH=<psycopg+sqlglot> python bench/scaleout/make_pg_migrations.py

The output is checked in and is what lib.pg_store applies; run this again only when a new DuckDB
migration is added (then read the diff: sqlglot passes some DuckDB-only syntax through). 011
is a Python migration on DuckDB and is written by hand for PostgreSQL (011_unique_creators.sql).
"""

from __future__ import annotations

from pathlib import Path

import sqlglot
from sqlglot.errors import ErrorLevel

ROOT = Path(__file__).resolve().parents[2]
SOURCE = ROOT / "lib" / "migrations"
TARGET = ROOT / "lib" / "migrations_pg"


def translate(script: str) -> str:
    statements = sqlglot.transpile(script, read="duckdb", write="postgres", pretty=True,
                                   unsupported_level=ErrorLevel.RAISE)
    return ";\n\n".join(s for s in statements if s.strip()) + ";\n"


def main() -> None:
    TARGET.mkdir(exist_ok=True)
    for file in sorted(SOURCE.glob("[0-9][0-9][0-9]_*.sql")):
        header = (f"-- Generated from lib/migrations/{file.name} by"
                  " bench/scaleout/make_pg_migrations.py (sqlglot, DuckDB -> PostgreSQL).\n"
                  "-- The DuckDB file is the source of truth for what it means.\n\n")
        (TARGET / file.name).write_text(header + translate(file.read_text()))
        print(file.name)


if __name__ == "__main__":
    main()
