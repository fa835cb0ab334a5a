"""The benchmark database: built once per size with lib.demo, kept under bench/cache/
(git-ignored).

Three sizes (`--size 100k`, `1M` the default, `10M`): each has its own built file and its own
work copy, so sizes never clobber each other. The built file is never changed: each run works
on a fresh copy, so the batch edits of one run do not leak into the next, and a file of the
wrong size (or a half-built one) is rebuilt.

Setup is not what is measured: building, migrating a copy and adding test history run with a
bigger DuckDB memory limit (BENCH_SETUP_MEMORY_MB, default SETUP_MEMORY_MB) than the app's
(lib.config.database_limits, COLLABDESK_DUCKDB_MEMORY_MB), which the measured reads keep.
"""

from __future__ import annotations

import json
import os
import re
import resource
import shutil
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import duckdb

from lib import config, users
from lib.db import Database, id_file
from lib.demo import DEMO_TODAY, _Plan, build_demo
from lib.models import Role

CACHE = Path(__file__).resolve().parent / "cache"
SEED = 42
# The sizes the benchmark runs at, by the names the command line takes.
SIZES = {"100k": 100_000, "1M": 1_000_000, "10M": 10_000_000}
DEFAULT_SIZE = 1_000_000
SETUP_MEMORY_ENV = "BENCH_SETUP_MEMORY_MB"
# Setup's DuckDB memory limit: building 10M collaborations (one transaction) and the progress
# item's workflow history need several GB; the machine has 24 GB shared by five engineers.
SETUP_MEMORY_MB = 6_144


@dataclass(frozen=True)
class Dataset:
    pristine: Path
    work: Path | None  # the copy the items work on; None when no item needs one
    built_in_s: float | None  # this run's build, or the one build_record kept; None: unknown
    counts: dict[str, int]
    built_now: bool = False


def build_record(pristine: Path) -> Path:
    """Beside the built file: how long its build took and the peak RSS of the process then."""
    return pristine.with_name(pristine.name + ".build.json")


def _recorded_build_s(pristine: Path) -> float | None:
    try:
        record = json.loads(build_record(pristine).read_text())
    except (OSError, ValueError):
        return None
    if not isinstance(record, dict) or record.get("file_bytes") != pristine.stat().st_size:
        return None  # a record of another build of that name
    seconds = record.get("built_in_s")
    return float(seconds) if isinstance(seconds, int | float) else None


def parse_size(text: str) -> int:
    """'100k', '1M', '10M' or the same as a whole number (100000, 1_000_000, 10,000,000);
    ValueError names the sizes there are."""
    cleaned = text.strip().replace("_", "").replace(",", "")
    named = {name.lower(): n for name, n in SIZES.items()}
    if cleaned.lower() in named:
        return named[cleaned.lower()]
    if re.fullmatch(r"[0-9]+", cleaned) and int(cleaned) in SIZES.values():
        return int(cleaned)
    choices = ", ".join(f"{name} ({n})" for name, n in SIZES.items())
    raise ValueError(f"Unknown size {text!r}: the benchmark runs at {choices}.")


def size_label(collaborations: int) -> str:
    """'1M' for 1,000,000 (the key of the size in results.json), else the number itself."""
    return next((name for name, n in SIZES.items() if n == collaborations),
                str(collaborations))


def expected_counts(collaborations: int) -> dict[str, int]:
    """The main tables' rows lib.demo builds for that size (its own plan, not a copy of it)."""
    plan = _Plan.for_size(collaborations, SEED, DEMO_TODAY)
    return {"collaborations": plan.collaborations, "creators": plan.creators,
            "campaigns": plan.campaigns}


def scaled(at_1m: int, collaborations: int) -> int:
    """A deep page or other depth chosen at 1M, at the same share of another size."""
    return max(1, at_1m * collaborations // DEFAULT_SIZE)


def pristine_path(collaborations: int) -> Path:
    return CACHE / f"collabdesk-{collaborations}-seed{SEED}.duckdb"


def work_path(collaborations: int) -> Path:
    """The size's work copy (the 1M one keeps the name it always had)."""
    name = "work.duckdb" if collaborations == DEFAULT_SIZE else f"work-{collaborations}.duckdb"
    return CACHE / name


def setup_memory_mb() -> int:
    raw = os.environ.get(SETUP_MEMORY_ENV, "").strip()
    if raw.isdigit() and int(raw) >= 128:
        return int(raw)
    if raw:
        print(f"  {SETUP_MEMORY_ENV}={raw!r} is not a whole number >= 128; using "
              f"{SETUP_MEMORY_MB}", file=sys.stderr)
    return SETUP_MEMORY_MB


@contextmanager
def setup_connections() -> Iterator[None]:
    """Database(...) opened inside gets the setup memory limit (the app's limits are read at
    each connect, from COLLABDESK_DUCKDB_MEMORY_MB); the variable is restored on the way out,
    so the processes the items start later get the app's own."""
    name = config.DUCKDB_MEMORY_MB_ENV
    before = os.environ.get(name)
    os.environ[name] = str(setup_memory_mb())
    try:
        yield
    finally:
        if before is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = before


@contextmanager
def setup_memory(db: Database) -> Iterator[None]:
    """The setup memory limit on an open connection for a while (the progress item's history),
    then the app's limit again for what is measured."""
    db.value(f"SET memory_limit = '{setup_memory_mb()}MB'")
    try:
        yield
    finally:
        db.value(f"SET memory_limit = '{config.database_limits().memory_mb}MB'")


def table_counts(path: Path) -> dict[str, int]:
    """Row counts of the main tables, read without migrating or locking anything for long."""
    tables = ("collaborations", "creators", "campaigns", "clients", "activity_events")
    with duckdb.connect(str(path), read_only=True) as conn:
        sql = "SELECT " + ", ".join(f"(SELECT count(*) FROM {t})" for t in tables)
        row = conn.execute(sql).fetchone()
    return dict(zip(tables, (int(n) for n in row or ()), strict=True))


def _usable(path: Path, collaborations: int) -> bool:
    if not path.exists():
        return False
    try:
        counts = table_counts(path)
    except duckdb.Error:
        return False
    return all(counts.get(table) == n for table, n in expected_counts(collaborations).items())


def _show_progress(label: str, share: float) -> None:
    bar = "#" * int(share * 30)
    sys.stdout.write(f"\r  building [{bar:<30}] {share:4.0%} {label:<40}")
    sys.stdout.flush()
    if share >= 1:
        sys.stdout.write("\n")


def _build(target: Path, collaborations: int) -> float:
    partial = target.with_name(target.name + ".building")
    for stale in (partial, partial.with_name(partial.name + ".wal")):
        stale.unlink(missing_ok=True)
    start = time.perf_counter()
    with setup_connections():
        db = Database(partial)
    try:
        build_demo(db, collaborations=collaborations, seed=SEED, progress=_show_progress)
        db.value("CHECKPOINT")  # everything into the file itself: it is copied without a WAL
    finally:
        db.close()
    partial.rename(target)
    id_file(partial).unlink(missing_ok=True)  # the work copies write their own
    seconds = time.perf_counter() - start
    build_record(target).write_text(json.dumps({
        "built_in_s": round(seconds, 1), "file_bytes": target.stat().st_size,
        "setup_memory_mb": setup_memory_mb(),
        "process_peak_rss_bytes": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
    }) + "\n")
    return seconds


def prepare(collaborations: int = DEFAULT_SIZE, rebuild: bool = False,
            work_copy: bool = True) -> Dataset:
    """Reuse the size's cached database when it has the right rows, else build it; copy it to
    work on and migrate the copy (not with `work_copy=False`: the browser item makes a copy of
    its own, elsewhere)."""
    CACHE.mkdir(exist_ok=True)
    pristine = pristine_path(collaborations)
    built_in: float | None = None
    if rebuild or not _usable(pristine, collaborations):
        print(f"Building {collaborations:,} collaborations into {pristine} (once) ...")
        pristine.unlink(missing_ok=True)
        built_in = _build(pristine, collaborations)
        print(f"  built in {built_in:.1f} s")
    else:
        print(f"Reusing {pristine}")
    built_now = built_in is not None
    built_in = built_in if built_now else _recorded_build_s(pristine)
    if not work_copy:
        return Dataset(pristine, None, built_in, table_counts(pristine), built_now)
    work = work_path(collaborations)
    fresh_copy(pristine, work)
    started = time.perf_counter()
    migrate_for_setup(work)
    print(f"  work copy {work.name} opened and migrated in {time.perf_counter() - started:.0f} s")
    return Dataset(pristine, work, built_in, table_counts(work), built_now)


def migrate_for_setup(path: Path) -> None:
    """Open (and so migrate) a copy with the setup memory limit: a migration that backfills a
    table from the events is setup, not something an item measures."""
    with setup_connections():
        Database(path).close()


def fresh_copy(source: Path, target: Path) -> None:
    for stale in (target, target.with_name(target.name + ".wal")):
        stale.unlink(missing_ok=True)
    shutil.copyfile(source, target)


def bench_admin(db: Database, username: str = "bench.admin") -> tuple[str, str]:
    """An admin to log in with (a random password), made the way the command line makes users."""
    password = users.random_password()
    if users.get_user(db, username) is None:
        users.add_user(db, users.CLI_ADMIN, username, "Bench Admin", Role.ADMIN, password)
    else:
        users.reset_password(db, users.CLI_ADMIN, username, password)
    return username, password
