"""The SQL console: a person's own SELECT query over the data, read-only, with a row limit and
a time limit.

User SQL never runs on the app's connection. Each query gets a fresh in-memory DuckDB
connection over the latest snapshot (lib.snapshots.open_snapshot): views over its Parquet
files, external access off except for exactly those files, no extensions, no spilling to disk,
configuration locked. Before it runs, the text is parsed and refused unless it is one SELECT
statement; a timer interrupts it at the time limit; only the first rows up to the limit are
fetched. Errors come back as DuckDB's own message.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

import duckdb
import pandas as pd

from lib import exports, rules, snapshots
from lib.db import DatabaseIdentity
from lib.models import Role, User
from lib.snapshots import Snapshot

ROW_LIMITS = (100, 1_000, 10_000)
DEFAULT_ROW_LIMIT = 1_000
TIME_LIMITS = (5, 10, 30, 60)  # seconds
DEFAULT_TIME_LIMIT = 10
MAX_SQL_CHARS = 20_000


class QueryRefused(rules.RuleViolation):
    """The console will not run this text, or DuckDB refused it; the message says why."""


@dataclass(frozen=True)
class QueryResult:
    frame: pd.DataFrame
    truncated: bool  # more rows matched than the row limit
    row_limit: int
    snapshot: Snapshot

    def csv(self) -> bytes:
        """The result as CSV, written by lib.exports: the query's column names and text
        values are the person's own, and reach a spreadsheet as text, never as formulas."""
        return exports.frame_csv(self.frame)


def check_query(sql: str | None) -> str:
    """The query text, stripped, when it is one SELECT statement; QueryRefused otherwise."""
    text = (sql or "").strip()
    if not text:
        raise QueryRefused("Type a SELECT query first.")
    if len(text) > MAX_SQL_CHARS:
        raise QueryRefused(
            f"The query is too long: {len(text):,} characters, at most {MAX_SQL_CHARS:,}."
        )
    with duckdb.connect(":memory:") as parser:
        try:
            statements = parser.extract_statements(text)
        except duckdb.Error as error:
            raise QueryRefused(str(error)) from None
    if len(statements) != 1:
        raise QueryRefused(
            f"Run one query at a time; this text holds {len(statements)} statements."
        )
    kind = statements[0].type
    if kind != duckdb.StatementType.SELECT:
        raise QueryRefused(
            f"The console is read-only: it runs SELECT queries only, and this is a "
            f"{kind.name} statement."
        )
    return text


def check_limits(row_limit: int, time_limit: float) -> None:
    if not isinstance(row_limit, int) or not 1 <= row_limit <= max(ROW_LIMITS):
        raise QueryRefused(f"The row limit is 1 to {max(ROW_LIMITS):,} rows.")
    if not 0 < time_limit <= max(TIME_LIMITS):
        raise QueryRefused(f"The time limit is at most {max(TIME_LIMITS)} seconds.")


def run_query(
    snapshot: Snapshot,
    user: User,
    sql: str,
    row_limit: int = DEFAULT_ROW_LIMIT,
    time_limit: float = DEFAULT_TIME_LIMIT,
    *,
    database: DatabaseIdentity,
) -> QueryResult:
    """Run `sql` over `snapshot`; the first `row_limit` rows, stopped after `time_limit` s.
    The snapshot must be one of `database` (the app's): another's is refused, unread.

    Every role from viewer up may use the console (viewers read and export everything, and
    staff is above viewer); it sees the snapshot's tables, which hold no password hashes.
    """
    rules.require_role(user, Role.VIEWER, "use the SQL console")
    check_limits(row_limit, time_limit)
    text = check_query(sql)
    store = snapshots.open_snapshot(snapshot, database)
    timer = threading.Timer(time_limit, store.interrupt)
    try:
        timer.start()
        frame = _first_rows(store, text, row_limit + 1)
    except duckdb.InterruptException:
        raise QueryRefused(
            f"The query was stopped after {time_limit:g} seconds, the console's time limit. "
            "Narrow it down (a WHERE clause, fewer joins) or choose a longer limit."
        ) from None
    except duckdb.Error as error:
        raise QueryRefused(str(error)) from None
    finally:
        timer.cancel()
        store.close()
    truncated = len(frame) > row_limit
    return QueryResult(frame.iloc[:row_limit], truncated, row_limit, snapshot)


def _first_rows(store: snapshots.ReadOnlyStore, text: str, wanted: int) -> pd.DataFrame:
    """The first `wanted` rows, as plain Python values. DuckDB produces rows as they are
    fetched, so a query that matches millions costs no more than the rows shown; and nothing
    in the frame points into DuckDB's memory once the connection is closed."""
    result = store.execute(text)
    names = _unique([d[0] for d in result.description])
    return pd.DataFrame.from_records(result.fetchmany(wanted), columns=names)


def _unique(names: list[str]) -> list[str]:
    """`SELECT 1 AS a, 2 AS a` is valid SQL; a table on the page needs distinct names."""
    seen: dict[str, int] = {}
    unique = []
    for name in names:
        seen[name] = seen.get(name, 0) + 1
        unique.append(name if seen[name] == 1 else f"{name}_{seen[name]}")
    return unique


def tables(snapshot: Snapshot) -> pd.DataFrame:
    """What the console can query: table, column, type (from the snapshot's description)."""
    return pd.DataFrame(
        [(table, column, kind)
         for table, info in sorted(snapshot.tables.items())
         for column, kind in info.columns.items()],
        columns=["table", "column", "type"],
    )
