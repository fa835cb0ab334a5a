"""Snapshots (lib.snapshots): every table as Parquet plus snapshot.json, written atomically,
the last few kept; the app's background writer; `python -m lib snapshot`."""

from __future__ import annotations

import datetime as dt
import json
import threading
import time
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow.parquet as pq
import pytest

from lib import sessions, snapshots
from lib import users as users_service
from lib.db import Database
from lib.models import Role
from lib.rules import RuleViolation
from tests.conftest import World, add_collab
from tests.test_reports import Holder, run_cli

TABLES = {"activity_events", "agreements", "applications", "campaign_events",
          "campaign_ownership", "campaigns", "clients", "collaborations", "content_items",
          "creator_tags", "creators", "messages", "payments", "schema_version", "shipments",
          "users"}


@pytest.fixture
def root(tmp_path: Path) -> Path:
    return tmp_path / "snapshots"


def table_rows(db: Database) -> dict[str, int]:
    names = [r[0] for r in db.rows(
        "SELECT table_name FROM duckdb_tables() WHERE schema_name = 'main'")]
    return {name: db.value(f'SELECT count(*) FROM "{name}"') for name in names}


def test_every_table_as_parquet_with_a_description(db, world, root) -> None:
    snapshot = snapshots.write_snapshot(db, root, db.path)
    assert snapshot.path.parent == root and not snapshot.path.name.startswith(".")
    assert set(snapshot.tables) >= TABLES
    # Every table but the audit trail, which only admins may read (on the Users page).
    everything = table_rows(db)
    assert "audit_events" in everything and "audit_events" in snapshots.SECRET_TABLES
    assert {t: i.rows for t, i in snapshot.tables.items()} == {
        t: n for t, n in everything.items() if t not in snapshots.SECRET_TABLES}
    manifest = json.loads((snapshot.path / "snapshot.json").read_text())
    assert manifest["schema_version"] == db.schema_version()
    assert manifest["tables"]["collaborations"]["rows"] == 8
    assert manifest["tables"]["payments"]["columns"]["amount"] == "DECIMAL(12,2)"
    assert dt.datetime.fromisoformat(manifest["taken_at"]) == snapshot.taken_at
    # Analysts open it with pandas or DuckDB, as docs/operations.md shows.
    frame = pd.read_parquet(snapshot.parquet("collaborations"))
    assert sorted(frame["id"]) == sorted(world.collabs.values())
    glob = str(snapshot.path / "*.parquet")
    assert duckdb.sql(f"SELECT count(*) FROM read_parquet('{glob}', union_by_name=true)"
                      ).fetchall()[0][0] == sum(i.rows for i in snapshot.tables.values())


def test_password_and_link_token_hashes_never_leave_the_database(db, world, root) -> None:
    token_hash = "ab" * 32  # as lib.feedback stores a reviewer link: SHA-256, hex
    reviewer = db.value(
        "INSERT INTO reviewers (campaign_id, email, invited_at, invited_by)"
        " VALUES (?, 'client@example.com', now(), 'manager') RETURNING id",
        [world.campaigns["Spring"]])
    db.value("INSERT INTO reviewer_tokens VALUES (?, ?, now(), 'manager') RETURNING 1",
             [token_hash, reviewer])
    # A login session (issue 14.1): its id's hash and the password fingerprint stay home too.
    session_id = sessions.start(db, users_service.get_user(db, "staff")).session_id
    session_hash = db.value("SELECT token_hash FROM login_sessions")
    snapshot = snapshots.write_snapshot(db, root, db.path)
    users = pq.read_table(snapshot.parquet("users"))
    assert "password_hash" not in users.column_names and users.num_rows == 4
    assert "username" in users.column_names
    tokens = pq.read_table(snapshot.parquet("reviewer_tokens"))
    assert tokens.column_names == ["reviewer_id", "created_at", "created_by"]
    assert snapshot.left_out == {
        "login_sessions": ["token_hash", "password_hash_fingerprint"],
        "reviewer_tokens": ["token_hash"],
        "users": ["password_hash"],
    }
    for file in snapshot.path.iterdir():
        data = file.read_bytes()
        assert b"$2b$" not in data and token_hash.encode() not in data
        assert session_hash.encode() not in data and session_id.encode() not in data


def test_the_report_sql_runs_on_a_snapshot_through_views(db, world, root) -> None:
    snapshot = snapshots.write_snapshot(db, root, db.path)
    with snapshots.open_snapshot(snapshot, db.identity) as store:
        sql = "SELECT status, count(*) FROM collaborations GROUP BY ALL ORDER BY ALL"
        assert store.rows(sql) == db.rows(sql)
        assert store.source == f"snapshot of {snapshot.label}"


def test_only_the_newest_are_kept(db, world, root) -> None:
    written = [snapshots.write_snapshot(db, root, db.path, keep=3) for _ in range(5)]
    listed = snapshots.list_snapshots(root, db.identity)
    assert [s.path for s in listed] == [s.path for s in written[:1:-1]]
    assert snapshots.latest_snapshot(root, db.identity).path == written[-1].path
    assert sorted(p.name for p in root.iterdir()) == sorted(s.path.name for s in written[2:])
    with pytest.raises(RuleViolation):
        snapshots.write_snapshot(db, root, db.path, keep=0)


def test_a_snapshot_is_invisible_until_it_is_complete(db, world, root) -> None:
    first = snapshots.write_snapshot(db, root, db.path)
    seen_while_writing = []

    def look(step: str, fraction: float) -> None:
        if 0 < fraction < 1:
            seen_while_writing.append((
                [s.path for s in snapshots.list_snapshots(root, db.identity)],
                [p.name for p in root.iterdir() if p.name.startswith(".tmp-")],
            ))

    second = snapshots.write_snapshot(db, root, db.path, progress=look)
    assert seen_while_writing
    for listed, temporary in seen_while_writing:
        assert listed == [first.path]  # the new one is not there, not even in part
        assert len(temporary) == 1
    assert snapshots.latest_snapshot(root, db.identity).path == second.path
    assert not [p for p in root.iterdir() if p.name.startswith(".")]


def test_a_write_that_fails_halfway_leaves_nothing(db, world, root, monkeypatch) -> None:
    first = snapshots.write_snapshot(db, root, db.path)
    copy = snapshots._copy_table
    copied = []

    def copy_then_fail(cur, table, target):  # type: ignore[no-untyped-def]
        if len(copied) == 3:
            raise OSError("disk full")
        copied.append(table)
        return copy(cur, table, target)

    monkeypatch.setattr(snapshots, "_copy_table", copy_then_fail)
    with pytest.raises(OSError, match="disk full"):
        snapshots.write_snapshot(db, root, db.path)
    assert snapshots.list_snapshots(root, db.identity) == [first]
    assert [p.name for p in root.iterdir()] == [first.path.name]


def test_readers_never_see_a_half_written_snapshot(db, world, root) -> None:
    """A writer thread keeps changing data and writing snapshots (pruning old ones), while a
    reader keeps opening the latest: every snapshot it finds has all its files, each holding
    exactly the rows snapshot.json says."""
    creator = world.creators["Ada"]
    campaign = world.campaigns["Spring"]
    writes = 12
    done = threading.Event()
    problems: list[str] = []
    checked = []

    def writer() -> None:
        try:
            for _ in range(writes):
                add_collab(db, campaign, creator)
                snapshots.write_snapshot(db, root, db.path, keep=2)
        finally:
            done.set()

    def reader() -> None:
        while not done.is_set() or not checked:
            time.sleep(0.002)  # leave the shared cores to the writer now and then
            latest = snapshots.latest_snapshot(root, db.identity)
            if latest is None:
                continue
            try:
                for table, info in latest.tables.items():
                    rows = pq.read_metadata(latest.parquet(table)).num_rows
                    if rows != info.rows:
                        problems.append(f"{latest.path.name}/{table}: {rows} != {info.rows}")
            except FileNotFoundError:
                if latest.path.exists():  # files missing from a folder still listed
                    problems.append(f"{latest.path.name} incomplete")
                continue  # pruned as a whole meanwhile: fine
            checked.append(latest.tables["collaborations"].rows)

    threads = [threading.Thread(target=writer), threading.Thread(target=reader)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not problems
    assert checked and max(checked) <= 8 + writes
    assert snapshots.latest_snapshot(root, db.identity).tables["collaborations"].rows == 8 + writes


def test_reading_skips_folders_that_are_not_snapshots(db, world, root) -> None:
    good = snapshots.write_snapshot(db, root, db.path)
    (root / "20260101T000000.000000Z").mkdir()  # no snapshot.json
    (root / "notes").mkdir()
    broken = root / "20260102T000000.000000Z"
    broken.mkdir()
    (broken / "snapshot.json").write_text("{not json")
    assert snapshots.list_snapshots(root, db.identity) == [good]
    assert snapshots.list_snapshots(root / "missing", db.identity) == []


# --- in the app --------------------------------------------------------------------------


def test_on_demand_snapshots_write_only_when_the_data_changed(db, world, people) -> None:
    viewer = people[Role.VIEWER]
    first, new = snapshots.take_snapshot(db, viewer)
    assert new and first.path.parent == snapshots.snapshots_root(db.path)
    again, new = snapshots.take_snapshot(db, viewer)
    assert not new and again.path == first.path
    add_collab(db, world.campaigns["Spring"], world.creators["Ada"])
    third, new = snapshots.take_snapshot(db, viewer)
    assert new and third.tables["collaborations"].rows == 9
    with pytest.raises(PermissionError):
        snapshots.take_snapshot(db, None)  # type: ignore[arg-type]
    assert snapshots.current_snapshot(db, viewer).path == third.path


def test_the_background_writer_waits_for_changes_and_the_interval(db, world) -> None:
    writer = snapshots.Snapshotter(db, every=dt.timedelta(minutes=5))
    assert writer.due()  # no snapshot yet
    first = writer.tick()
    assert first is not None
    later = first.taken_at + dt.timedelta(hours=1)
    assert writer.tick(now=later) is None  # nothing changed since
    add_collab(db, world.campaigns["Spring"], world.creators["Ada"])
    assert writer.tick(now=first.taken_at + dt.timedelta(minutes=4)) is None  # too soon
    second = writer.tick(now=first.taken_at + dt.timedelta(minutes=5))
    assert second is not None and second.tables["collaborations"].rows == 9


def test_the_background_thread_writes_and_stops(db, world) -> None:
    writer = snapshots.Snapshotter(db, every=dt.timedelta(0), poll_seconds=0.05).start()
    try:
        deadline = time.monotonic() + 60  # a bound on the wait, not a timing assertion
        while (snapshots.latest_snapshot(writer.root, db.identity) is None
               and time.monotonic() < deadline):
            time.sleep(0.05)
        assert snapshots.latest_snapshot(writer.root, db.identity) is not None
    finally:
        writer.stop()
        writer._thread.join(timeout=30)
    assert not writer._thread.is_alive()


@pytest.mark.parametrize(("value", "minutes"), [
    (None, 5.0), ("", 5.0), ("2", 2.0), ("0.5", 0.5), ("0", None), ("-1", None), ("soon", 5.0),
])
def test_the_interval_comes_from_the_environment(monkeypatch, value, minutes) -> None:
    if value is None:
        monkeypatch.delenv(snapshots.MINUTES_ENV, raising=False)
    else:
        monkeypatch.setenv(snapshots.MINUTES_ENV, value)
    expected = None if minutes is None else dt.timedelta(minutes=minutes)
    assert snapshots.interval_from_env() == expected


def test_the_fingerprint_changes_with_commits_only(db, world) -> None:
    before = snapshots.fingerprint(db.path)
    db.rows("SELECT * FROM collaborations")
    snapshots.write_snapshot(db, snapshots.snapshots_root(db.path), db.path)
    assert snapshots.fingerprint(db.path) == before
    add_collab(db, world.campaigns["Spring"], world.creators["Ada"])
    assert snapshots.fingerprint(db.path) != before


# --- the command line --------------------------------------------------------------------


def test_cli_snapshot_when_the_app_is_stopped_and_while_it_runs(db, world: World,
                                                               tmp_path) -> None:
    db.close()
    out = tmp_path / "analysts"
    done = run_cli(db.path, "snapshot", "--out", str(out), "--keep", "2")
    assert done.returncode == 0, done.stderr
    [snapshot] = snapshots.list_snapshots(out, db.identity)
    assert f"in {snapshot.path}" in done.stdout
    assert snapshot.tables["collaborations"].rows == 8
    assert "%" in done.stderr  # the progress bar

    holder = Holder(db.path)
    try:
        refused = run_cli(db.path, "snapshot", "--out", str(out))
    finally:
        holder.release()
    assert refused.returncode == 1
    assert "in use by another process" in refused.stderr
    assert "Traceback" not in refused.stderr and "Conflicting lock" not in refused.stderr
    assert snapshots.list_snapshots(out, db.identity) == [snapshot]


def test_cli_snapshot_default_folder_is_beside_the_database(db, world, tmp_path) -> None:
    db.close()
    done = run_cli(db.path, "snapshot", "--quiet")
    assert done.returncode == 0, done.stderr
    assert snapshots.latest_snapshot(tmp_path / "snapshots", db.identity) is not None
    assert done.stderr == ""
