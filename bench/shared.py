"""Item `shared` (issue 17): the main items on the shared PostgreSQL store beside the DuckDB file.

A throwaway PostgreSQL cluster (tests/postgres.py starts it, with the settings below) gets a
copy of the benchmark's database through `lib.pg_store.copy_from_duckdb`, the way `make
shared` fills a store. Then the same service calls run on both stores in the same rounds
(bench.timing.compare): each list scenario of the list, inbox and deliveries items, the
10,000-row batch status change (each store moves its own copy of the same rows), and a
snapshot. Every read must return the same rows on both stores before its time counts.

The figure is the shared store's time and its ratio to the file's. There is no target: the
shared store is for agencies that need several servers, and this says what it costs them.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench import batch, deliveries, inbox, listing
from bench.timing import Stats, compare
from lib import snapshots
from lib.db import Database, utcnow

# What a modest database server for a team would set (docs/scale-out.md): memory for its own
# cache and for sorts, no JIT (it costs more than it saves on queries of 0.1-1 s), SSD costs.
SERVER_SETTINGS = {
    "shared_buffers": "2GB", "work_mem": "64MB", "effective_cache_size": "8GB",
    "maintenance_work_mem": "512MB", "jit": "off", "random_page_cost": "1.1",
    "max_wal_size": "4GB", "synchronous_commit": "off",
}


@dataclass
class SharedOutcome:
    name: str
    stats: dict[str, Stats]  # "file" and "shared"
    agree: bool
    notes: list[str] = field(default_factory=list)


@dataclass
class SharedRun:
    load_s: float  # copying the database into the store
    outcomes: list[SharedOutcome]
    problem: str = ""  # why nothing was measured (no PostgreSQL)


def run(work: Path, repeat: int, list_repeat: int) -> SharedRun:
    from tests.postgres import NoPostgres, create_database, throwaway_cluster

    try:
        with throwaway_cluster(SERVER_SETTINGS) as cluster:
            return _measure(work, create_database(cluster, "bench"), repeat, list_repeat)
    except NoPostgres as missing:
        return SharedRun(0.0, [], str(missing))


def _measure(work: Path, url: str, repeat: int, list_repeat: int) -> SharedRun:
    from lib.pg_store import PostgresDatabase, copy_from_duckdb

    store = PostgresDatabase(url)
    print("  shared: copying the database into PostgreSQL", flush=True)
    started = time.perf_counter()
    copy_from_duckdb(work, store)
    load_s = time.perf_counter() - started
    print(f"  shared: copied in {load_s:.0f} s", flush=True)
    file = Database(work)
    try:
        outcomes = [*_lists(file, store, list_repeat), _batch(file, store, repeat),
                    _snapshot(file, store, work)]
    finally:
        file.close()
        store.close()
    return SharedRun(load_s, outcomes)


def _side_by_side(name: str, on: Callable[[Database], Any], file: Database, store: Database,
                  repeat: int) -> SharedOutcome:
    print(f"  shared: {name}", flush=True)
    stats, results = compare({"file": lambda: on(file), "shared": lambda: on(store)}, repeat)
    agree = results["file"] == results["shared"]
    return SharedOutcome(name, stats, agree, [] if agree else ["DISAGREE: the stores differ"])


def _lists(file: Database, store: Database, repeat: int) -> list[SharedOutcome]:
    now = utcnow()
    reader = inbox.reader(file)
    found = [_side_by_side(f"list: {s.name}", lambda db, s=s: listing.service(db, s), file,
                           store, repeat) for s, _ in listing.scenarios(file)]
    found += [_side_by_side(f"inbox: {s.name}",
                            lambda db, s=s: inbox.service(db, reader, s, now), file, store,
                            repeat) for s in inbox.scenarios(file)]
    found += [_side_by_side(f"deliveries: {s.name}",
                            lambda db, s=s: deliveries.service(db, s, now), file, store,
                            repeat) for s in deliveries.scenarios(file)]
    return found


def _batch(file: Database, store: Database, repeat: int) -> SharedOutcome:
    """Each store moves its own copy of the same 10,000 rows, preview then apply."""
    print("  shared: batch status change", flush=True)
    size = batch.batch_size(file, repeat + 1)
    chosen = list(batch.movable(file, repeat + 1, size))  # the same batches, on each store

    def step(db: Database) -> Callable[[], int]:
        user, batches = batch.staff_user(db), iter(chosen)
        return lambda: batch.service(db, user, next(batches))

    stats, results = compare({"file": step(file), "shared": step(store)}, repeat)
    agree = results["file"] == results["shared"] == size
    return SharedOutcome(f"batch: {size:,} rows, preview + apply", stats, agree,
                         [f"{name}: last batch changed {n:,} rows" for name, n in results.items()])


def _snapshot(file: Database, store: Database, work: Path) -> SharedOutcome:
    """A snapshot of every table: the file's through DuckDB's COPY, the store's through CSV."""
    print("  shared: snapshot", flush=True)
    root = work.parent / f"shared-snapshots-{work.stem}"  # one per size's work copy

    def take(db: Database, folder: str) -> dict[str, int]:
        taken = snapshots.write_snapshot(db, root / folder, db.path, keep=1)
        return {table: info.rows for table, info in taken.tables.items()
                if table not in ("schema_version", "database_identity")}

    stats, results = compare({"file": lambda: take(file, "file"),
                              "shared": lambda: take(store, "shared")}, 1, warmup=0)
    agree = results["file"] == results["shared"]
    return SharedOutcome("snapshot: every table", stats, agree,
                         [] if agree else ["DISAGREE: row counts differ"])
