"""The SQL console's worker: one query, in a process of its own (`python -m lib.console_worker`).

lib.console starts one per query and sends it the request (JSON on stdin). The worker opens the
snapshot with the console's DuckDB limits (memory, temp space, threads), caps its own data
segment (RLIMIT_DATA) so that work DuckDB does not count (and Arrow's) cannot grow it much
further, runs at a lower CPU priority, and fetches the result as Arrow record batches, counting
their bytes and the values they hold, until the row limit, the byte budget or the deadline.

It answers on stdout with one JSON line, then (when it has rows) an Arrow IPC stream:
`{"ok": true, "truncated": ...}` or `{"refused": "<limit>", "detail": "..."}`. Whatever the
query does, the app's own process never holds more than that bounded stream.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import resource
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

import duckdb
import pyarrow as pa

from lib import snapshots
from lib.db import DatabaseIdentity
from lib.snapshots import Snapshot, TableInfo

MB = 2**20
BATCH_ROWS = 64  # rows per Arrow batch: a wide or heavy row is counted before many follow it
VALUE_OVERHEAD = 48  # bytes a value costs once it is a Python object in the app (about)
MEMORY_SLACK_MB = 128  # the worker's own data beyond DuckDB's limit and the result
NICENESS = 10  # the app's pages come first when the CPU is busy


class Refused(Exception):
    """A limit was hit; `limit` names it for lib.console, `detail` is for the logs."""

    def __init__(self, limit: str, detail: str = "") -> None:
        super().__init__(limit)
        self.limit = limit
        self.detail = detail


@dataclass(frozen=True)
class Request:
    snapshot: Snapshot
    database: DatabaseIdentity  # the app's: open_snapshot reads only a snapshot of it
    sql: str
    row_limit: int
    deadline: float  # time.monotonic() of the parent (CLOCK_MONOTONIC: one clock per machine)
    memory_mb: int
    threads: int
    temp_directory: str
    temp_mb: int
    result_mb: int

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Request:
        tables = {name: TableInfo(0, {}) for name in data["tables"]}
        snapshot = Snapshot(Path(data["snapshot"]), dt.datetime.fromisoformat(data["taken_at"]),
                            0, tables)
        database = DatabaseIdentity(data["database_id"], data["database"])
        return cls(snapshot, database, data["sql"], int(data["row_limit"]), float(data["deadline"]),
                   int(data["memory_mb"]), int(data["threads"]), data["temp_directory"],
                   int(data["temp_mb"]), int(data["result_mb"]))


def main() -> None:
    """Wait for the request (a spare worker is started before it is needed), answer, exit."""
    _lower_priority()
    out = sys.stdout.buffer
    raw = sys.stdin.buffer.read()
    if not raw:  # the app stopped, or no longer needs this spare worker
        os._exit(0)
    try:
        request = Request.from_json(json.loads(raw))
        batches, truncated = run(request)
    except Refused as refusal:
        _answer(out, {"refused": refusal.limit, "detail": refusal.detail[:2000],
                      "peak_rss_bytes": _proc_status_kib("VmHWM") * 1024})
    else:
        _answer(out, {"ok": True, "truncated": truncated,
                      "peak_rss_bytes": _proc_status_kib("VmHWM") * 1024}, batches)
    # No interpreter shutdown: a thread still inside DuckDB or Arrow at that moment can abort
    # the process; everything that matters has been written.
    os._exit(0)


def run(request: Request) -> tuple[list[pa.RecordBatch], bool]:
    """The first `row_limit` rows (and whether more matched), or Refused naming the limit."""
    if time.monotonic() >= request.deadline:
        raise Refused("time", "the deadline passed before the query started")
    try:
        store = snapshots.open_snapshot(
            request.snapshot, request.database, memory_limit=f"{request.memory_mb}MiB",
            threads=request.threads, temp_directory=request.temp_directory,
            max_temp_size=f"{request.temp_mb}MiB")
    except snapshots.ForeignSnapshot as refusal:
        raise Refused("foreign", str(refusal)) from None
    except duckdb.Error as error:
        raise Refused("snapshot", str(error)) from None
    try:
        _cap_memory(request.memory_mb + request.result_mb + MEMORY_SLACK_MB)
        return _fetch(store.cursor(), request)
    finally:
        store.close()


def _fetch(conn: duckdb.DuckDBPyConnection, request: Request
           ) -> tuple[list[pa.RecordBatch], bool]:
    timer = threading.Timer(max(0.0, request.deadline - time.monotonic()), conn.interrupt)
    timer.daemon = True
    timer.start()
    try:
        return _read_batches(conn, request)
    except Refused:
        raise
    except duckdb.InterruptException as error:
        raise Refused("time", str(error)) from None
    except duckdb.OutOfMemoryException as error:
        raise Refused("temp" if _about_temp_space(str(error)) else "memory", str(error)) from None
    except duckdb.IOException as error:
        raise Refused("temp" if _about_temp_space(str(error)) else "files", str(error)) from None
    except duckdb.Error as error:
        raise Refused("duckdb", str(error)) from None
    except (MemoryError, pa.ArrowMemoryError) as error:
        raise Refused("memory", repr(error)) from None
    except RecursionError as error:
        raise Refused("nesting", repr(error)) from None
    except Exception as error:  # an answer, never a traceback, whatever went wrong
        raise Refused(_limit_of(error), repr(error)) from None
    finally:
        timer.cancel()


def _read_batches(conn: duckdb.DuckDBPyConnection, request: Request
                  ) -> tuple[list[pa.RecordBatch], bool]:
    relation = conn.sql(request.sql)
    if relation is None:  # only SELECT reaches the worker; nothing to show otherwise
        return [], False
    reader = relation.to_arrow_reader(BATCH_ROWS)
    budget = request.result_mb * MB
    batches: list[pa.RecordBatch] = []
    rows = size = 0
    while rows <= request.row_limit:  # one row past the limit says whether more match
        if time.monotonic() >= request.deadline:
            raise Refused("time", f"{rows} rows fetched")
        try:
            batch = reader.read_next_batch()
        except StopIteration:
            break
        size += batch_bytes(batch)
        if size > budget:
            raise Refused("bytes", f"{size} bytes after {rows + batch.num_rows} rows")
        batches.append(batch)
        rows += batch.num_rows
    if not batches:
        batches = [pa.RecordBatch.from_pylist([], schema=reader.schema)]
    truncated = rows > request.row_limit
    return _first(batches, request.row_limit), truncated


def batch_bytes(batch: pa.RecordBatch) -> int:
    """What a batch will cost in the app: its Arrow buffers plus a Python object's overhead for
    every value, nested ones included (a list of structs becomes a list of dicts)."""
    return batch.get_total_buffer_size() + VALUE_OVERHEAD * sum(
        values_in(column) for column in batch.columns)


def values_in(array: pa.Array) -> int:
    """How many values `array` holds at every level of nesting."""
    kind = array.type
    count = len(array)
    if pa.types.is_struct(kind):
        return count + sum(values_in(array.field(i)) for i in range(kind.num_fields))
    if pa.types.is_map(kind):
        return count + values_in(array.keys) + values_in(array.items)
    if pa.types.is_list(kind) or pa.types.is_large_list(kind) or \
            pa.types.is_fixed_size_list(kind) or pa.types.is_list_view(kind):
        return count + values_in(array.values)
    if pa.types.is_union(kind):
        return count + sum(values_in(array.field(i)) for i in range(kind.num_fields))
    if pa.types.is_dictionary(kind):
        return count + values_in(array.dictionary)
    return count


def _limit_of(error: Exception) -> str:
    """Arrow reports a failed allocation as an OSError (or ArrowException) saying so."""
    if "out of memory" in str(error).lower() or "failed to allocate" in str(error).lower():
        return "memory"
    return "conversion" if isinstance(error, pa.ArrowException) else "internal"


def _first(batches: list[pa.RecordBatch], row_limit: int) -> list[pa.RecordBatch]:
    kept, rows = [], 0
    for batch in batches:
        if rows >= row_limit:
            break
        kept.append(batch.slice(0, row_limit - rows))
        rows += kept[-1].num_rows
    return kept or batches[:1]


def _about_temp_space(message: str) -> bool:
    lowered = message.lower()
    if "max_temp_directory_size" in lowered:
        return True
    return "temporary directory" in lowered and "no temporary directory" not in lowered


def _cap_memory(extra_mb: int) -> None:
    """Let the data segment grow by at most `extra_mb` from here: DuckDB counts its buffers
    against memory_limit, but not everything it (or Arrow) allocates."""
    current = _proc_status_kib("VmData") * 1024
    limit = current + extra_mb * MB
    resource.setrlimit(resource.RLIMIT_DATA, (limit, limit))


def _proc_status_kib(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


def _lower_priority() -> None:
    with contextlib.suppress(OSError):  # not allowed here: the limits still hold
        os.nice(NICENESS)


def _answer(out: BinaryIO, header: dict[str, Any],
            batches: list[pa.RecordBatch] | None = None) -> None:
    out.write(json.dumps(header).encode() + b"\n")
    if batches:
        with pa.ipc.new_stream(out, batches[0].schema) as writer:
            for batch in batches:
                writer.write_batch(batch)
    out.flush()


if __name__ == "__main__":
    main()
