"""The SQL console: a person's own SELECT query over the data, read-only, within limits.

User SQL never runs in the app's process nor on its connection. Each query gets a worker
process of its own (lib.console_worker) with a fresh in-memory DuckDB connection over the
latest snapshot (lib.snapshots.open_snapshot): views over its Parquet files, external access
off except for exactly those files, no extensions, configuration locked, and the console's own
limits: DuckDB memory and threads, temp space (none by default), a cap on the worker's data
segment, a lower CPU priority. The worker fetches at most `row_limit` rows and at most the
result byte budget; the time limit holds over the whole run (start, query, fetch, conversion
to a table): the worker interrupts DuckDB at the deadline and is killed just after it. At most
`workers` queries run at once. Every failure is a QueryRefused naming the limit that was hit.

Limits and their environment variables: lib.config.console_limits.
"""

from __future__ import annotations

import itertools
import json
import logging
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import duckdb
import pandas as pd
import pyarrow as pa

from lib import config, exports, rules, snapshots
from lib.config import ConsoleLimits
from lib.db import DatabaseIdentity
from lib.models import Role, User
from lib.snapshots import Snapshot

log = logging.getLogger(__name__)

ROW_LIMITS = (100, 1_000, 10_000)
DEFAULT_ROW_LIMIT = 1_000
TIME_LIMITS = (5, 10, 30, 60)  # seconds
DEFAULT_TIME_LIMIT = 10
MAX_SQL_CHARS = 20_000
KILL_GRACE = 0.5  # seconds past the deadline before a worker that did not stop is killed
BUSY_WAIT = 2.0  # seconds a query waits for a free worker before it is refused
WORKER_COMMAND = ("-m", "lib.console_worker")  # run by this Python, from the project root
MAX_DUCKDB_MESSAGE = 600  # characters of DuckDB's own message shown (binder, parser errors)


class QueryRefused(rules.RuleViolation):
    """The console will not run this text, or it hit a limit; the message says which."""


class ForeignSnapshotRefused(QueryRefused, snapshots.ForeignSnapshot):
    """The snapshot is not of the app's database: refused unread (either kind of handler
    catches it)."""


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
            raise QueryRefused(duckdb_message(str(error))) from None
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


def check_limits(row_limit: object, time_limit: object) -> None:
    """Only the page's choices: anything else could lift the limits the page offers."""
    if not _one_of(row_limit, ROW_LIMITS):
        raise QueryRefused("Choose a row limit of "
                           + ", ".join(f"{n:,}" for n in ROW_LIMITS) + " rows.")
    if not _one_of(time_limit, TIME_LIMITS):
        raise QueryRefused("Choose a time limit of "
                           + ", ".join(str(s) for s in TIME_LIMITS) + " seconds.")


def _one_of(value: object, choices: tuple[int, ...]) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and value in choices


def run_query(
    snapshot: Snapshot,
    user: User,
    sql: str,
    row_limit: int = DEFAULT_ROW_LIMIT,
    time_limit: float = DEFAULT_TIME_LIMIT,
    *,
    database: DatabaseIdentity,
) -> QueryResult:
    """Run `sql` over `snapshot`: the first `row_limit` rows, all within `time_limit` seconds
    and the console's limits (lib.config.console_limits); QueryRefused names a limit hit.
    The snapshot must be one of `database` (the app's): another's is refused, unread (here,
    and again by the worker's open_snapshot).

    Every role from viewer up may use the console (viewers read and export everything, and
    staff is above viewer); it sees the snapshot's tables, which hold no password hashes.
    """
    deadline = time.monotonic() + float(time_limit) if _one_of(time_limit, TIME_LIMITS) else 0
    rules.require_role(user, Role.VIEWER, "use the SQL console")
    check_limits(row_limit, time_limit)
    text = check_query(sql)
    try:
        snapshots.check_belongs(snapshot, database)
    except snapshots.ForeignSnapshot as refusal:
        raise ForeignSnapshotRefused(str(refusal)) from None
    limits = config.console_limits()
    with _worker_slot(limits):
        header, stream = _run_worker(snapshot, database, text, int(row_limit), deadline,
                                     limits)
    refused = header.get("refused")
    if refused == "foreign":  # the snapshot changed under us: its own message says how
        raise ForeignSnapshotRefused(str(header.get("detail")))
    if refused is not None:
        raise QueryRefused(refusal_message(str(refused), str(header.get("detail", "")),
                                           float(time_limit), limits))
    frame = _frame(stream, limits)
    if time.monotonic() > deadline:  # the conversion is part of the run
        raise QueryRefused(refusal_message("time", "", float(time_limit), limits))
    return QueryResult(frame, bool(header.get("truncated")), int(row_limit), snapshot)


def limits_note() -> str:
    """The limits every query runs within, for the page."""
    limits = config.console_limits()
    return (f"Each query may use up to {limits.memory_mb:,} MB of memory and return up to "
            f"{limits.result_mb:,} MB of results.")


# --- the worker process ----------------------------------------------------------------------

_running = 0  # console queries running now, in this process
_slots = threading.Condition()


@contextmanager
def _worker_slot(limits: ConsoleLimits) -> Iterator[None]:
    """At most `limits.workers` queries at once; a query waits BUSY_WAIT s for a free one."""
    global _running
    with _slots:
        if not _slots.wait_for(lambda: _running < limits.workers, timeout=BUSY_WAIT):
            raise QueryRefused(
                f"The console is busy: {limits.workers} queries are running, the most it runs "
                "at once. Try again in a moment.")
        _running += 1
    try:
        yield
    finally:
        with _slots:
            _running -= 1
            _slots.notify()


def running_queries() -> int:
    """How many console queries are running now (in this process)."""
    with _slots:
        return _running


def _run_worker(snapshot: Snapshot, database: DatabaseIdentity, text: str, row_limit: int,
                deadline: float, limits: ConsoleLimits) -> tuple[dict[str, object], bytes]:
    """Run the query in a worker process; (its JSON header, the Arrow stream that follows)."""
    temp_directory = tempfile.mkdtemp(prefix="collabdesk-console-") if limits.temp_mb else ""
    request = json.dumps({
        "snapshot": str(snapshot.path), "taken_at": snapshot.taken_at.isoformat(),
        "tables": sorted(snapshot.tables), "database_id": database.id,
        "database": database.name, "sql": text, "row_limit": row_limit,
        "deadline": deadline, "memory_mb": limits.memory_mb, "threads": limits.threads,
        "temp_directory": temp_directory, "temp_mb": limits.temp_mb,
        "result_mb": limits.result_mb,
    }).encode()
    try:
        return _talk_to_worker(request, deadline)
    finally:
        if temp_directory:
            shutil.rmtree(temp_directory, ignore_errors=True)


_spare: subprocess.Popen[bytes] | None = None  # started ahead, so a query need not wait for
_spare_guard = threading.Lock()                # a worker to import DuckDB, Arrow and pandas


def _start_worker() -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, *WORKER_COMMAND], cwd=config.PROJECT_ROOT,
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        start_new_session=True)  # signals meant for the app (Ctrl-C) do not reach it


def _take_worker() -> subprocess.Popen[bytes]:
    """The spare worker when it is ready (else a new one), and a new spare for the next query.
    A spare waits on its stdin and ends when the app does (end of file)."""
    global _spare
    command = [sys.executable, *WORKER_COMMAND]
    with _spare_guard:
        worker, _spare = _spare, None
        if worker is None or worker.poll() is not None or list(worker.args) != command:
            if worker is not None and worker.poll() is None:
                worker.kill()
                worker.wait()
            worker = _start_worker()
        try:
            _spare = _start_worker()
        except OSError as error:  # the query can still run; the next one starts its own
            log.warning("Could not start a spare console worker: %s", error)
    return worker


def _talk_to_worker(request: bytes, deadline: float) -> tuple[dict[str, object], bytes]:
    try:
        worker = _take_worker()
    except OSError as error:
        log.error("Could not start a console worker: %s", error)
        return {"refused": "start"}, b""
    try:
        out, err = worker.communicate(request, timeout=max(0.0, deadline - time.monotonic())
                                      + KILL_GRACE)
    except subprocess.TimeoutExpired:
        worker.kill()
        worker.communicate()
        return {"refused": "time"}, b""
    finally:
        if worker.poll() is None:  # an error on our side: never leave a worker running
            worker.kill()
            worker.wait()
    header_line, _, stream = out.partition(b"\n")
    try:
        header = json.loads(header_line)
    except ValueError:
        header = None
    if worker.returncode != 0 or not isinstance(header, dict):
        log.warning("Console worker ended with %s: %s", worker.returncode,
                    err.decode(errors="replace")[-2000:])
        return {"refused": "crash"}, b""
    if header.get("refused") == "internal":
        log.error("Console worker failed: %s", header.get("detail"))
    log.debug("Console worker: %s, peak RSS %s bytes", header.get("refused") or "ok",
              header.get("peak_rss_bytes"), extra={"console_worker": header})
    return header, stream


def _frame(stream: bytes, limits: ConsoleLimits) -> pd.DataFrame:
    """The worker's Arrow stream as a DataFrame (bounded: the worker counted its bytes)."""
    try:
        table = pa.ipc.open_stream(stream).read_all()
        names = _unique(table.column_names)
        columns = {name: _series(column) for name, column in zip(names, table.columns,
                                                                   strict=True)}
        return pd.DataFrame(columns, index=pd.RangeIndex(table.num_rows))
    except (MemoryError, pa.ArrowMemoryError):
        raise QueryRefused(refusal_message("memory", "", 0, limits)) from None
    except RecursionError:
        raise QueryRefused(refusal_message("nesting", "", 0, limits)) from None
    except (pa.ArrowException, ValueError, TypeError, OverflowError) as error:
        raise QueryRefused(refusal_message("conversion", str(error), 0, limits)) from None


def _series(column: pa.ChunkedArray) -> pd.Series:
    """One column for pandas; a value pandas (or Python's datetime) cannot hold, such as
    'infinity'::TIMESTAMP, makes it a column of text instead; a type Arrow cannot cast to
    text (a union) becomes Python values."""
    try:
        return column.to_pandas()
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError, OverflowError, ValueError):
        pass
    try:
        return column.cast(pa.string()).to_pandas()
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):  # a union, say: Python values
        return pd.Series(column.to_pylist(), dtype=object)


# --- messages --------------------------------------------------------------------------------


def refusal_message(limit: str, detail: str, time_limit: float, limits: ConsoleLimits) -> str:
    """What a person reads when a query hit `limit`: which limit, and what to change."""
    memory = f"{limits.memory_mb:,} MB"
    messages = {
        "time": f"The query was stopped after {time_limit:g} seconds, the console's time "
                "limit. Narrow it down (a WHERE clause, fewer joins) or choose a longer limit.",
        "memory": f"The query was stopped: it needed more than the console's memory limit "
                  f"({memory}). Filter or aggregate in the query (WHERE, GROUP BY, LIMIT) and "
                  "build smaller values.",
        "temp": f"The query was stopped: it needed more than the console's temporary disk "
                f"space ({limits.temp_mb:,} MB) beyond its memory limit ({memory}). Filter or "
                "aggregate in the query (WHERE, GROUP BY, LIMIT).",
        "bytes": f"The result is larger than the console's result size limit "
                 f"({limits.result_mb:,} MB). Select fewer columns or rows, or shorten long "
                 "values (for example left(text, 100)).",
        "nesting": "The result is nested too deeply to show as a table. Flatten it (UNNEST) "
                   "or cast it to VARCHAR.",
        "conversion": "The result holds values the console cannot show as a table ("
                      + duckdb_message(detail, 200) + "). Cast them to VARCHAR or leave the "
                      "column out.",
        "files": "The snapshot's files could not be read (a newer snapshot may have replaced "
                 "it). Run the query again.",
        "snapshot": "The snapshot could not be opened (a newer snapshot may have replaced it). "
                    "Run the query again.",
        "crash": f"The query stopped the console's worker process; most likely it needed more "
                 f"than the console's memory limit ({memory}). Filter or aggregate in the "
                 "query and build smaller values.",
        "start": "The console could not start its worker process. Try again in a moment.",
        "internal": "The query failed inside the console. Try a simpler query; if it keeps "
                    "failing, tell an administrator.",
        "duckdb": duckdb_message(detail),
    }
    return messages.get(limit, messages["internal"])


# Lines of DuckDB's messages that advise settings or setups the console does not offer.
_ADVICE = re.compile(
    r"possible solution|\bSET\b|\bPRAGMA\b|temp_directory|memory_limit|threads|"
    r"launched in|persistent storage|max_temp_directory_size|preserve_insertion_order|"
    r"\bSee also\b|https?://", re.IGNORECASE)


def duckdb_message(text: str, limit: int = MAX_DUCKDB_MESSAGE) -> str:
    """DuckDB's own message (useful for a binder or parser error) without lines that advise
    settings the console cannot change, and short."""
    kept: list[str] = []
    for line in text.strip().splitlines():
        if _ADVICE.search(line):  # keep what the line said before the advice began
            sentences = re.split(r"(?<=[.!?])\s+", line)
            before = itertools.takewhile(lambda sentence: not _ADVICE.search(sentence),
                                         sentences)
            kept.append(" ".join(before).rstrip())
            break
        kept.append(line.rstrip())
    message = "\n".join(kept).strip() or "DuckDB refused the query."
    return message if len(message) <= limit else message[: limit - 1].rstrip() + "…"


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
