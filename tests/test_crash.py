"""A process killed (SIGKILL) in the middle of a 10,000-row batch status change.

The child opens a copy of a database with 10,000 pending collaborations and runs
`apply_status_change` on all of them, its cursors watched by a thin wrapper that announces the
statements of the transaction on stdout. The parent kills it: while it is paused inside the
transaction (after the UPDATE, or after the INSERT of the events but before COMMIT), or a few
milliseconds after it starts the COMMIT (so the kill lands in the write-ahead log write or,
with a tiny checkpoint threshold, in the checkpoint that follows), or at some point of the call.
Reopened, the database must hold all 10,000 changes with their 10,000 events, or none of either;
and when the child got as far as reporting the COMMIT done, all of them.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from lib import collaborations as collabs
from lib.collaborations import CollabFilter
from lib.db import Database
from lib.models import Role, User

ROOT = Path(__file__).resolve().parent.parent
ROWS = 10_000
STAFF = User(1, "staff", "Staff", "", Role.STAFF)

CHILD = textwrap.dedent(
    """
    import sys, time, types
    sys.path.insert(0, sys.argv[1])
    # This path never touches pandas; a stand-in saves a second of start-up per child.
    sys.modules["pandas"] = types.ModuleType("pandas")
    from lib import collaborations as collabs
    from lib.collaborations import CollabFilter
    from lib.db import Database
    from lib.models import Role, User

    path, mode = sys.argv[2], sys.argv[3]
    PAUSE_AFTER = {"after-update": "UPDATE", "before-commit": "INSERT"}.get(mode)

    def say(word):
        print(word, flush=True)

    class Watched:
        # a DuckDB cursor that announces COMMIT and stops for good after PAUSE_AFTER
        def __init__(self, cur):
            self.cur = cur

        def __enter__(self):
            self.cur.__enter__()
            return self

        def __exit__(self, *exc):
            return self.cur.__exit__(*exc)

        def __getattr__(self, name):
            return getattr(self.cur, name)

        def execute(self, sql, params=()):
            verb = sql.split()[0]
            if verb == "COMMIT":
                say("committing")
            result = self.cur.execute(sql, params)
            if verb == "COMMIT":
                say("committed")
            if verb == PAUSE_AFTER:
                say("paused")
                time.sleep(600)
            return result

    db = Database(path)
    if mode.startswith("checkpoint"):
        # every commit is followed by a checkpoint into the main file
        db.cursor().execute("SET checkpoint_threshold = '1KB'")
    versions = collabs.matching_versions(db, CollabFilter(statuses=("pending",)))
    assert len(versions) == int(sys.argv[4]), len(versions)
    Database.cursor = lambda self: Watched(self._conn.cursor())
    user = User(1, "staff", "Staff", "", Role.STAFF)
    say("ready")
    result = collabs.apply_status_change(db, user, versions, "negotiating")
    say(f"done {len(result.done)}")
    time.sleep(600)
    """
)


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A closed (checkpointed) database with ROWS pending collaborations."""
    path = tmp_path_factory.mktemp("crash") / "template.duckdb"
    db = Database(path)
    db.value("INSERT INTO clients (name) VALUES ('Acme') RETURNING id")
    # STAFF's account (id 1): every write re-reads its actor in the store (issue 14.2).
    db.value(
        "INSERT INTO users (username, name, role, password_hash, created_at)"
        " VALUES ('staff', 'Staff', 'staff', '!', '2026-03-01') RETURNING id"
    )
    db.value(
        "INSERT INTO campaigns (client_id, name, start_date, end_date, budget, created_at)"
        " VALUES (1, 'Big', '2026-03-01', '2026-06-30', 1000, '2026-03-01') RETURNING id"
    )
    db.value(
        "INSERT INTO creators (name, handle, platform, created_at)"
        " VALUES ('Ada', 'ada', 'instagram', '2026-03-01') RETURNING id"
    )
    db.value(
        "INSERT INTO collaborations (campaign_id, creator_id, status, created_at, updated_at)"
        " SELECT 1, 1, 'pending', TIMESTAMP '2026-03-01', TIMESTAMP '2026-03-01'"
        f" FROM range({ROWS}) RETURNING 1"
    )
    db.close()
    assert not Path(f"{path}.wal").exists()
    return path


def copy_of(template: Path, name: str) -> Path:
    path = template.parent / f"{name}.duckdb"
    shutil.copyfile(template, path)
    return path


def outcome(path: Path) -> tuple[int, int]:
    """(rows moved, status events) after reopening, checking the rows are consistent."""
    db = Database(path)  # replays the write-ahead log the killed process left behind
    try:
        assert db.value("SELECT count(*) FROM collaborations") == ROWS
        by_state = dict(
            db.rows("SELECT status || ':' || version, count(*) FROM collaborations GROUP BY 1")
        )
        moved = by_state.get("negotiating:2", 0)
        assert moved + by_state.get("pending:1", 0) == ROWS, by_state
        events = db.value(
            "SELECT count(*) FROM activity_events WHERE kind = 'status_changed'"
            " AND from_status = 'pending' AND to_status = 'negotiating' AND actor = 'staff'"
        )
        assert db.value("SELECT count(*) FROM activity_events") == events
        if moved:
            orphans = db.value(
                "SELECT count(*) FROM collaborations c WHERE NOT EXISTS (SELECT 1 FROM"
                " activity_events e WHERE e.collab_id = c.id)"
            )
            assert orphans == 0
        # still a working database: a later write sticks
        collabs.add_note(db, STAFF, 1, "after the crash")
    finally:
        db.close()
    reopened = Database(path)
    try:
        assert reopened.value("SELECT count(*) FROM activity_events WHERE kind = 'note'") == 1
    finally:
        reopened.close()
    return moved, events


def run_child(path: Path, mode: str, signal_word: str, delay: float) -> list[str]:
    """Start the child, wait until it says `signal_word`, wait `delay` seconds more, kill it
    with SIGKILL; return everything it said."""
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(ROOT), str(path), mode, str(ROWS)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    said = []
    try:
        while True:
            line = child.stdout.readline().strip()  # type: ignore[union-attr]
            if not line:
                problem = child.stderr.read()  # type: ignore[union-attr]
                pytest.fail(f"the child ended early: {said} {problem}")
            said.append(line)
            if line == signal_word:
                break
        if delay:
            time.sleep(delay)
    finally:
        os.kill(child.pid, signal.SIGKILL)
        child.wait(timeout=30)
        said += child.stdout.read().split()  # type: ignore[union-attr]
        child.stdout.close()  # type: ignore[union-attr]
        child.stderr.close()  # type: ignore[union-attr]
    assert child.returncode == -signal.SIGKILL
    return said


def crash_all(template: Path, runs: list[tuple[str, str, float]]) -> None:
    """Crash one copy of the template per run, a few at a time; check each is all or nothing."""

    def crash(n: int, mode: str, signal_word: str, delay: float):
        path = copy_of(template, f"{mode}-{n}")
        said = run_child(path, mode, signal_word, delay)
        return mode, delay, said, outcome(path)

    with ThreadPoolExecutor(max_workers=3) as pool:
        results = list(pool.map(lambda run: crash(*run), [(n, *r) for n, r in enumerate(runs)]))
    for mode, delay, said, (moved, events) in results:
        assert (moved, events) in {(0, 0), (ROWS, ROWS)}, (mode, delay, said, moved, events)
        if "committed" in said:
            assert moved == ROWS, (mode, delay, said)  # the commit returned: it must last


def test_uninterrupted_all_move(template: Path) -> None:
    """The baseline the crash runs are compared with: uninterrupted, all 10,000 move."""
    path = copy_of(template, "baseline")
    db = Database(path)
    try:
        versions = collabs.matching_versions(db, CollabFilter(statuses=("pending",)))
        result = collabs.apply_status_change(db, STAFF, versions, "negotiating")
        assert len(result.done) == ROWS
    finally:
        db.close()
    assert outcome(path) == (ROWS, ROWS)


@pytest.mark.parametrize("mode", ["after-update", "before-commit"])
def test_killed_inside_the_transaction_changes_nothing(template: Path, mode: str) -> None:
    path = copy_of(template, mode)
    said = run_child(path, mode, "paused", 0)
    assert said[:2] == ["ready", "paused"] and "committing" not in said
    assert outcome(path) == (0, 0)


def test_killed_during_the_commit_or_the_statements_is_all_or_nothing(template: Path) -> None:
    """Killed 0 to 40 ms after COMMIT starts (in the log write, its fsync, the checkpoint), or
    a little after the call starts (in the reads, the UPDATE, the INSERT)."""
    crash_all(
        template,
        [("commit", "committing", d) for d in (0, 0.004, 0.015)]
        + [("checkpoint", "committing", d) for d in (0, 0.01, 0.04)]
        + [("call", "ready", d) for d in (0.03, 0.1)],
    )
