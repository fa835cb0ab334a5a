"""The SQL console's worst case (issue 13): queries made to exhaust memory, time or the result
size, each run once through `lib.console.run_query` with the default time limit and the
default limits of lib.config.console_limits.

It needs no big database: a snapshot of a small demo database (built in a temporary folder)
is enough, since the hostile queries build their own data (range, repeat, cross joins).
Each query runs in a fresh child process standing in for the app, so its memory is measured
alone: the child resets its peak RSS (/proc/self/clear_refs), runs the query, and reports its
wall time, the message, its own peak RSS growth (VmHWM minus the RSS before) and the peak RSS
of the console's worker process (the worker reports its VmHWM; a worker killed at the deadline
cannot, and then the child's RUSAGE_CHILDREN maximum stands in). A worker's RSS growth is its
peak minus the peak of a worker that ran `SELECT 1` (its imports).

Targets (reported, not asserted): refused within 1.5x the time limit; the app's growth plus
the worker's growth under 512 MB. Run by hand: `python -m bench --only console`.
"""

from __future__ import annotations

import json
import logging
import os
import resource
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
MB = 2**20
RSS_TARGET = 512 * MB
TIME_TARGET = 1.5  # x the time limit
DEMO_COLLABORATIONS = 2_000
CHILD_TIMEOUT = 180
DB_NAME = "console.duckdb"

# (name, limit the query is made to hit, SQL, row limit)
QUERIES: list[tuple[str, str, str, int]] = [
    ("one 500 MB string", "memory", "SELECT repeat('x', 500000000) AS huge", 1_000),
    ("ten 100 MB strings", "memory",
     "SELECT repeat('x', 100000000) AS s FROM range(10)", 1_000),
    ("list_agg of 100M rows", "memory", "SELECT list(range) AS l FROM range(100000000)", 1_000),
    ("string_agg over a 400M-row cross join", "memory",
     "SELECT string_agg(a.range::VARCHAR || repeat('y', 50), ',') AS s"
     " FROM range(20000) a, range(20000) b", 1_000),
    ("300 columns of 1 MB per row", "memory",
     "SELECT " + ", ".join(f"repeat('w', 1000000) AS c{i}" for i in range(300))
     + " FROM range(100)", 1_000),
    ("sort of 20M rows (would spill)", "memory",
     "SELECT * FROM range(20000000) ORDER BY random()", 1_000),
    ("cross join of 10^12 rows", "time",
     "SELECT sum(a.range * b.range) AS s FROM range(1000000) a, range(1000000) b", 1_000),
    ("unbounded recursive CTE", "time",
     "WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r) SELECT count(*) FROM r",
     1_000),
    ("10,000 lists of 3,000 numbers", "result",
     "SELECT range(3000) AS l FROM range(10000)", 10_000),
    ("10,000 rows of 1,000 columns", "result",
     "SELECT " + ", ".join(f"{i} AS c{i}" for i in range(1000)) + " FROM range(10000)", 10_000),
]
BASELINE = ("SELECT 1", "none", "SELECT 1 AS one", 1_000)


@dataclass
class ConsoleOutcome:
    name: str
    aims_at: str
    wall_s: float
    time_limit: float
    message: str | None  # None: the query succeeded
    app_growth_bytes: int
    worker_peak_bytes: int | None
    worker_growth_bytes: int
    children_maxrss_bytes: int

    @property
    def refused(self) -> bool:
        return self.message is not None

    @property
    def growth_bytes(self) -> int:
        """What the query cost the machine: the app's growth plus its worker's."""
        return self.app_growth_bytes + self.worker_growth_bytes


def run() -> list[ConsoleOutcome]:
    """Each query in its own child process, against one snapshot of a small demo database."""
    with tempfile.TemporaryDirectory(prefix="bench-console-") as folder:
        snapshot_path = _small_snapshot(Path(folder))
        baseline = _child(snapshot_path, BASELINE)
        idle_worker = baseline["worker_peak_bytes"] or 0
        outcomes = []
        for query in QUERIES:
            print(f"  console: {query[0]}", flush=True)
            report = _child(snapshot_path, query)
            peak = report["worker_peak_bytes"]
            # A worker killed at the deadline reports nothing: the child's largest waited-for
            # child (that worker, or the warm-up's) stands in.
            worker_peak = peak if peak is not None else report["children_maxrss_bytes"]
            outcomes.append(ConsoleOutcome(
                name=query[0], aims_at=query[1], wall_s=report["wall_s"],
                time_limit=report["time_limit"], message=report["message"],
                app_growth_bytes=report["app_growth_bytes"], worker_peak_bytes=peak,
                worker_growth_bytes=max(0, worker_peak - idle_worker),
                children_maxrss_bytes=report["children_maxrss_bytes"]))
        return outcomes


def _small_snapshot(folder: Path) -> str:
    from lib import snapshots
    from lib.db import Database
    from lib.demo import build_demo

    db = Database(folder / DB_NAME)
    try:
        build_demo(db, collaborations=DEMO_COLLABORATIONS)
        snapshot = snapshots.write_snapshot(db, snapshots.snapshots_root(db.path), db.path)
    finally:
        db.close()
    return str(snapshot.path)


def _child(snapshot_path: str, query: tuple[str, str, str, int]) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, "-m", "bench.console", snapshot_path, json.dumps(query)],
        cwd=ROOT, capture_output=True, text=True, check=False, timeout=CHILD_TIMEOUT)
    if done.returncode != 0:
        raise RuntimeError(f"the console child failed:\n{done.stdout}\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


# --- the child: stands in for the app ------------------------------------------------------


def _status(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) * 1024
    return 0


class _WorkerPeaks(logging.Handler):
    """Keeps what lib.console logs about each worker (its peak RSS among it)."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.peaks: list[int | None] = []

    def emit(self, record: logging.LogRecord) -> None:
        header = getattr(record, "console_worker", None)
        if isinstance(header, dict):
            self.peaks.append(header.get("peak_rss_bytes"))


def child(snapshot_path: str, query: tuple[str, str, str, int]) -> dict[str, Any]:
    from lib import console, snapshots
    from lib.db import read_identity
    from lib.models import Role, User

    peaks = _WorkerPeaks()
    logger = logging.getLogger("lib.console")
    logger.addHandler(peaks)
    logger.setLevel(logging.DEBUG)
    # The app knows its database's identity; a reader beside it finds it in the .id file.
    database = read_identity(Path(snapshot_path).parent.parent / DB_NAME)
    assert database is not None, "the small database has no identity file"
    snapshot = next(s for s in snapshots.list_snapshots(Path(snapshot_path).parent, database)
                    if str(s.path) == snapshot_path)
    user = User(1, "bench.viewer", "Bench Viewer", "", Role.VIEWER)
    # warm: imports, and a spare worker ready
    console.run_query(snapshot, user, "SELECT 1", database=database)
    time.sleep(3)  # let the spare worker finish its imports: it is not the query's cost
    peaks.peaks.clear()
    _name, _aim, sql, row_limit = query
    Path("/proc/self/clear_refs").write_text("5")  # VmHWM := VmRSS from here
    before = _status("VmRSS")
    started = time.perf_counter()
    try:
        console.run_query(snapshot, user, sql, row_limit, console.DEFAULT_TIME_LIMIT,
                          database=database)
        message = None
    except console.QueryRefused as refusal:
        message = str(refusal)
    wall = time.perf_counter() - started
    return {
        "wall_s": wall,
        "time_limit": console.DEFAULT_TIME_LIMIT,
        "message": message,
        "app_growth_bytes": max(0, _status("VmHWM") - before),
        "worker_peak_bytes": peaks.peaks[-1] if peaks.peaks else None,
        "children_maxrss_bytes":
            resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024,
    }


if __name__ == "__main__":
    os.environ.setdefault("COLLABDESK_SNAPSHOT_MINUTES", "0")
    print(json.dumps(child(sys.argv[1], tuple(json.loads(sys.argv[2])))))  # type: ignore[arg-type]
