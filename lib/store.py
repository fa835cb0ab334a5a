"""Which store a process opens: the DuckDB file (the default) or the shared PostgreSQL store.

Its own module, above lib.db and lib.pg_store, so that lib.db never imports the PostgreSQL
store (psycopg and sqlglot are imported only when COLLABDESK_STORE names one)."""

from __future__ import annotations

from pathlib import Path

from lib import config
from lib.db import Database

STORE_URL_SCHEMES = ("postgresql://", "postgres://")


def open_store(where: Path | str | None = None) -> Database:
    """The store `where` names (a PostgreSQL URL or a DuckDB file), by default the one this
    process's settings name: the PostgreSQL database of COLLABDESK_STORE (several app servers
    share it), else the DuckDB file of COLLABDESK_DB (the default)."""
    if where is None:
        where = config.store_url() or config.db_path()
    if not str(where).startswith(STORE_URL_SCHEMES):
        return Database(where)
    from lib.pg_store import PostgresDatabase  # psycopg and sqlglot: only for a shared store

    return PostgresDatabase(str(where))
