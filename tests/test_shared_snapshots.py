"""Snapshots, the SQL console and the command line on the shared PostgreSQL store
(COLLABDESK_STORE): the same Parquet files as a snapshot of the DuckDB file holding the same
data, one consistent moment however the other servers write, and nothing secret.

The cluster and the demo stores on it: tests/postgres.py.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import pytest

from lib import console, snapshots, users
from lib.db import Database, connect
from lib.models import Role, User
from lib.store import open_store

ROOT = Path(__file__).resolve().parents[1]
# Tables whose rows are the store's own, not the data's (the copy leaves them alone).
OWN_ROWS = {"schema_version", "database_identity"}
# Text that CSV, PostgreSQL's COPY or a lax reader could take for something else.
HOSTILE = [
    "", " ", '"', '""', "a,b", 'say "hi"', "line one\nline two", "cr\rlf\r\n", "\\N", "NULL",
    "null", "=1+2", "\t tab", "ünïcödé ✓ 🎉", "'single'", ";", "a\\b", "\u2028\u00a0",
]


@pytest.fixture
def shared(demo_store: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
           ) -> Iterator[Database]:
    """The demo store opened as the app opens it; COLLABDESK_DB names this test's folder, so
    the app's snapshots go to tmp_path/snapshots."""
    monkeypatch.setenv("COLLABDESK_STORE", demo_store)
    monkeypatch.setenv("COLLABDESK_DB", str(tmp_path / "collabdesk.duckdb"))
    db = open_store()
    yield db
    db.close()


@pytest.fixture
def admin(shared: Database) -> User:
    return users.CLI_ADMIN


def rows_of(parquet: Path) -> list[tuple]:
    with duckdb.connect() as duck:
        return duck.execute(f"SELECT * FROM read_parquet('{parquet}') ORDER BY ALL").fetchall()


def test_a_snapshot_of_the_store_holds_what_one_of_the_file_holds(
    shared: Database, demo_file: Path, tmp_path: Path
) -> None:
    """The demo file was copied into the store: every table's snapshot, rows and column types,
    is the same from either (the store's own bookkeeping aside)."""
    of_store = snapshots.write_snapshot(shared, tmp_path / "store", shared.path)
    with connect(demo_file, read_only=True) as file:
        of_file = snapshots.write_snapshot(file, tmp_path / "file", demo_file)
    assert set(of_store.tables) == set(of_file.tables)
    assert of_store.left_out == of_file.left_out
    for table, info in of_file.tables.items():
        assert of_store.tables[table].columns == info.columns, table
        if table not in OWN_ROWS:
            assert of_store.tables[table].rows == info.rows, table
            assert rows_of(of_store.parquet(table)) == rows_of(of_file.parquet(table)), table
    assert of_store.tables["collaborations"].rows > 0


def test_text_comes_through_as_it_was_typed(shared: Database, tmp_path: Path) -> None:
    """Empty text stays empty and NULL stays NULL; quotes, commas, line breaks, backslashes
    and PostgreSQL's own NULL marker are text like any other."""
    ids = [r[0] for r in shared.rows(
        f"SELECT id FROM collaborations WHERE status <> 'cancelled' ORDER BY id"
        f" LIMIT {len(HOSTILE)}")]
    with shared.transaction() as cur:
        for collab_id, text in zip(ids, HOSTILE, strict=True):
            cur.execute("UPDATE collaborations SET deliverables = ?, cancel_reason = ? WHERE"
                        " id = ?", [text, None if text == "" else text, collab_id])
    snapshot = snapshots.write_snapshot(shared, tmp_path, shared.path)
    with duckdb.connect() as duck:
        got = dict(duck.execute(
            "SELECT id, [deliverables, cancel_reason] FROM read_parquet(?) WHERE id IN"
            " (SELECT unnest(?::BIGINT[]))", [str(snapshot.parquet("collaborations")), ids]
        ).fetchall())
    assert [got[i] for i in ids] == [[t, None if t == "" else t] for t in HOSTILE]


def test_a_snapshot_is_one_moment_while_other_servers_write(
    shared: Database, demo_store: str, tmp_path: Path
) -> None:
    """Another server commits between the tables being copied: the snapshot holds none of it
    (each event table still matches its collaborations), and the next one holds all of it."""
    other = open_store(demo_store)
    before = shared.value("SELECT count(*) FROM activity_events")
    wrote: list[str] = []

    def write_in_between(step: str, _done: float) -> None:
        if step == "Copying collaborations" and not wrote:
            collab_id = other.value("SELECT min(id) FROM collaborations")
            with other.transaction() as cur:
                cur.execute("UPDATE collaborations SET deliverables = 'later' WHERE id = ?",
                            [collab_id])
                cur.execute("INSERT INTO activity_events (collab_id, occurred_at, actor, kind,"
                            " text) VALUES (?, now(), 'other', 'note', 'later')", [collab_id])
            wrote.append(step)

    try:
        snapshot = snapshots.write_snapshot(shared, tmp_path, shared.path,
                                            progress=write_in_between)
        assert wrote
        assert snapshot.tables["activity_events"].rows == before
        assert ("later",) not in [r[3:4] for r in rows_of(snapshot.parquet("collaborations"))]
        newer = snapshots.write_snapshot(shared, tmp_path, shared.path)
        assert newer.tables["activity_events"].rows == before + 1
    finally:
        other.close()


def test_nothing_secret_leaves_the_store(shared: Database, tmp_path: Path) -> None:
    snapshot = snapshots.write_snapshot(shared, tmp_path, shared.path)
    assert "audit_events" not in snapshot.tables
    assert "password_hash" not in pq.read_table(snapshot.parquet("users")).column_names
    assert snapshot.left_out["users"] == ["password_hash"]
    hashes = [h for (h,) in shared.rows("SELECT password_hash FROM users")]
    for file in snapshot.path.iterdir():
        assert not any(h.encode() in file.read_bytes() for h in hashes if h)
    assert not list(snapshot.path.glob(".*.csv")), "the CSV files are removed"


def test_on_demand_snapshots_follow_any_servers_commits(
    shared: Database, demo_store: str, admin: User, tmp_path: Path
) -> None:
    """The fingerprint is the store's generation: no new snapshot while nobody wrote, a new
    one once another server did. They go beside COLLABDESK_DB."""
    first, wrote = snapshots.take_snapshot(shared, admin)
    assert wrote and first.path.parent == tmp_path / "snapshots"
    assert snapshots.take_snapshot(shared, admin) == (first, False)
    other = open_store(demo_store)
    try:
        with other.transaction() as cur:
            cur.execute("UPDATE clients SET name = name || '.' WHERE id = (SELECT min(id) FROM"
                        " clients)")
    finally:
        other.close()
    second, wrote = snapshots.take_snapshot(shared, admin)
    assert wrote and second.path != first.path


def test_the_console_queries_the_shared_store(shared: Database, admin: User) -> None:
    viewer = User(id=0, username="viewer", name="Viewer", email="", role=Role.VIEWER)
    snapshot = snapshots.current_snapshot(shared, viewer)
    result = console.run_query(snapshot, admin, "SELECT count(*) AS n FROM collaborations",
                               database=shared.identity)
    assert result.frame["n"].tolist() == [shared.value("SELECT count(*) FROM collaborations")]


def test_the_background_writer_runs_on_the_shared_store(shared: Database,
                                                        tmp_path: Path) -> None:
    import datetime as dt

    writer = snapshots.Snapshotter(shared, dt.timedelta(0))
    assert writer.due()
    assert writer.tick() is not None
    assert not writer.due()  # nothing committed since


def _cli(store: str, folder: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "COLLABDESK_STORE": store,
           "COLLABDESK_DB": str(folder / "collabdesk.duckdb")}
    return subprocess.run([sys.executable, "-m", "lib", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=300)


def test_the_command_line_snapshots_and_reports_from_the_shared_store(
    demo_store: str, tmp_path: Path
) -> None:
    """No lock to meet: `snapshot` and `report` read the store while servers run."""
    done = _cli(demo_store, tmp_path, "snapshot", "--quiet")
    assert done.returncode == 0, done.stderr
    assert "Snapshot of" in done.stdout and str(tmp_path / "snapshots") in done.stdout
    out = tmp_path / "reports"
    done = _cli(demo_store, tmp_path, "report", "weekly", "--campaign", "1", "--out", str(out),
                "--quiet")
    assert done.returncode == 0, done.stderr
    written = sorted(p.suffix for p in out.iterdir())
    assert written == [".xlsx", ".zip"]


def test_copying_a_file_into_the_store_keeps_text_as_typed(
    demo_file: Path, store_url: str, tmp_path: Path
) -> None:
    """`make shared` and the benchmark fill the store from a DuckDB file through CSV: empty
    text stays empty, NULL stays NULL, and nothing in the text is read as CSV or a marker."""
    from lib.pg_store import PostgresDatabase, copy_from_duckdb

    file = tmp_path / "hostile.duckdb"
    file.write_bytes(demo_file.read_bytes())
    db = Database(file)
    ids = [r[0] for r in db.rows("SELECT id FROM collaborations WHERE status <> 'cancelled'"
                                 f" ORDER BY id LIMIT {len(HOSTILE)}")]
    with db.transaction() as cur:
        for collab_id, text in zip(ids, HOSTILE, strict=True):
            cur.execute("UPDATE collaborations SET deliverables = ?, cancel_reason = ? WHERE"
                        " id = ?", [text, None if text == "" else text, collab_id])
    db.close()
    store = PostgresDatabase(store_url)
    try:
        copy_from_duckdb(file, store)
        got = {i: [d, c] for i, d, c in store.rows(
            "SELECT id, deliverables, cancel_reason FROM collaborations WHERE id IN"
            " (SELECT unnest(?::BIGINT[]))", [ids])}
    finally:
        store.close()
    assert [got[i] for i in ids] == [[t, None if t == "" else t] for t in HOSTILE]
