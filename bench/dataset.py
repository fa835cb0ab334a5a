"""The benchmark database: built once with lib.demo, kept under bench/cache/ (git-ignored).

The built file is never changed: each run works on a fresh copy, so the batch edits of one run
do not leak into the next, and a file of the wrong size (or a half-built one) is rebuilt.
"""

from __future__ import annotations

import shutil
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import duckdb

from lib import users
from lib.db import Database
from lib.demo import build_demo
from lib.models import Role

CACHE = Path(__file__).resolve().parent / "cache"
COLLABORATIONS = 1_000_000
SEED = 42
EXPECTED = {"collaborations": 1_000_000, "creators": 250_000, "campaigns": 5_000}


@dataclass(frozen=True)
class Dataset:
    pristine: Path
    work: Path | None  # the copy the items work on; None when no item needs one
    built_in_s: float | None  # None: reused from an earlier run
    counts: dict[str, int]


def _pristine_path() -> Path:
    return CACHE / f"collabdesk-{COLLABORATIONS}-seed{SEED}.duckdb"


def table_counts(path: Path) -> dict[str, int]:
    """Row counts of the main tables, read without migrating or locking anything for long."""
    tables = ("collaborations", "creators", "campaigns", "clients", "activity_events")
    with duckdb.connect(str(path), read_only=True) as conn:
        sql = "SELECT " + ", ".join(f"(SELECT count(*) FROM {t})" for t in tables)
        row = conn.execute(sql).fetchone()
    return dict(zip(tables, (int(n) for n in row or ()), strict=True))


def _usable(path: Path) -> bool:
    if not path.exists():
        return False
    try:
        counts = table_counts(path)
    except duckdb.Error:
        return False
    return all(counts.get(table) == n for table, n in EXPECTED.items())


def _show_progress(label: str, share: float) -> None:
    bar = "#" * int(share * 30)
    sys.stdout.write(f"\r  building [{bar:<30}] {share:4.0%} {label:<40}")
    sys.stdout.flush()
    if share >= 1:
        sys.stdout.write("\n")


def _build(target: Path) -> float:
    partial = target.with_name(target.name + ".building")
    for stale in (partial, partial.with_name(partial.name + ".wal")):
        stale.unlink(missing_ok=True)
    start = time.perf_counter()
    db = Database(partial)
    try:
        build_demo(db, collaborations=COLLABORATIONS, seed=SEED, progress=_show_progress)
        db.value("CHECKPOINT")  # everything into the file itself: it is copied without a WAL
    finally:
        db.close()
    partial.rename(target)
    return time.perf_counter() - start


def prepare(rebuild: bool = False, work_copy: bool = True) -> Dataset:
    """Reuse the cached database when it has the right size, else build it; copy it to work on
    (not with `work_copy=False`: the browser item makes a copy of its own, elsewhere)."""
    CACHE.mkdir(exist_ok=True)
    pristine = _pristine_path()
    built_in: float | None = None
    if rebuild or not _usable(pristine):
        print(f"Building {COLLABORATIONS:,} collaborations into {pristine} (once) ...")
        pristine.unlink(missing_ok=True)
        built_in = _build(pristine)
        print(f"  built in {built_in:.1f} s")
    else:
        print(f"Reusing {pristine}")
    if not work_copy:
        return Dataset(pristine, None, built_in, table_counts(pristine))
    work = CACHE / "work.duckdb"
    fresh_copy(pristine, work)
    return Dataset(pristine, work, built_in, table_counts(work))


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
