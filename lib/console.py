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
import pyarrow as pa

from lib import rules, snapshots
from lib.models import Role, User
from lib.snapshots import Snapshot

ROW_LIMITS = (100, 1_000, 10_000)
DEFAULT_ROW_LIMIT = 1_000
TIME_LIMITS = (5, 10, 30, 60)  # seconds
DEFAULT_TIME_LIMIT = 10
MAX_SQL_CHARS = 20_000
_BATCH_ROWS = 1_000


class QueryRefused(rules.RuleViolation):
    """The console will not run this text, or DuckDB refused it; the message says why."""


@dataclass(frozen=True)
class QueryResult:
    frame: pd.DataFrame
    truncated: bool  # more rows matched than the row limit
    row_limit: int
    snapshot: Snapshot

    def csv(self) -> bytes:
        return self.frame.to_csv(index=False).encode()


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
) -> QueryResult:
    """Run `sql` over `snapshot`; the first `row_limit` rows, stopped after `time_limit` s.

    Every role from viewer up may use the console (viewers read and export everything, and
    staff is above viewer); it sees the snapshot's tables, which hold no password hashes.
    """
    rules.require_role(user, Role.VIEWER, "use the SQL console")
    check_limits(row_limit, time_limit)
    text = check_query(sql)
    store = snapshots.open_snapshot(snapshot)
    timer = threading.Timer(time_limit, store.interrupt)
    try:
        timer.start()
        table = _first_rows(store, text, row_limit + 1)
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
    truncated = table.num_rows > row_limit
    frame = _unique_columns(table.slice(0, row_limit)).to_pandas()
    return QueryResult(frame, truncated, row_limit, snapshot)


def _first_rows(store: snapshots.ReadOnlyStore, text: str, wanted: int) -> pa.Table:
    """Stream the result and stop reading once `wanted` rows came: a query that matches
    millions of rows costs no more memory than the rows shown."""
    reader = store.relation(text).to_arrow_reader(_BATCH_ROWS)
    batches, rows = [], 0
    for batch in reader:
        batches.append(batch)
        rows += batch.num_rows
        if rows >= wanted:
            break
    if not batches:
        return reader.schema.empty_table()
    return pa.Table.from_batches(batches, schema=reader.schema).slice(0, wanted)


def _unique_columns(table: pa.Table) -> pa.Table:
    """`SELECT 1 AS a, 2 AS a` is valid SQL; a table on the page needs distinct names."""
    seen: dict[str, int] = {}
    names = []
    for name in table.column_names:
        seen[name] = seen.get(name, 0) + 1
        names.append(name if seen[name] == 1 else f"{name}_{seen[name]}")
    return table.rename_columns(names)


def tables(snapshot: Snapshot) -> pd.DataFrame:
    """What the console can query: table, column, type (from the snapshot's description)."""
    return pd.DataFrame(
        [(table, column, kind)
         for table, info in sorted(snapshot.tables.items())
         for column, kind in info.columns.items()],
        columns=["table", "column", "type"],
    )
