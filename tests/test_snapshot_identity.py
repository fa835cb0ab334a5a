"""Snapshots belong to one database: two databases in one folder share `snapshots/`, and each
reads (lists, opens, queries, reports from, prunes) only its own; a snapshot.json naming
another database, or none, is refused with a message."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

from lib import console, snapshots
from lib.db import Database, DatabaseIdentity, id_file, read_identity
from lib.models import Role, User
from lib.rules import RuleViolation
from lib.snapshots import ForeignSnapshot, Snapshot
from tests.conftest import World
from tests.test_reports import Holder, run_cli

WEEK = "2026-W11"


@pytest.fixture
def other(tmp_path: Path) -> Iterator[Database]:
    """A second database in the same folder as the `db` fixture's, with a secret of its own."""
    database = Database(tmp_path / "other.duckdb")
    database.value("INSERT INTO clients (name) VALUES ('Other agency secret') RETURNING id")
    yield database
    database.close()


@pytest.fixture
def viewer(people: dict[Role, User]) -> User:
    return people[Role.VIEWER]


def tamper(snapshot: Snapshot, **changes: object) -> None:
    manifest_path = snapshot.path / snapshots.MANIFEST
    manifest = json.loads(manifest_path.read_text())
    for key, value in changes.items():
        if value is None:
            manifest.pop(key, None)
        else:
            manifest[key] = value
    manifest_path.write_text(json.dumps(manifest))


def test_each_database_has_its_own_identity_and_id_file(db: Database, other: Database) -> None:
    assert db.identity != other.identity
    assert db.identity.name == "test.duckdb" and other.identity.name == "other.duckdb"
    assert len(db.identity.id) == 32
    assert db.identity.id == db.value("SELECT id FROM database_identity")
    assert read_identity(db.path) == db.identity
    assert read_identity(other.path) == other.identity
    # The database is the truth: a damaged or missing .id file is written again at start.
    id_file(db.path).write_text("0" * 32)
    id_file(other.path).unlink()
    path, other_path = db.path, other.path
    db.close()
    other.close()
    assert read_identity(other_path) is None
    again, other_again = Database(path), Database(other_path)
    try:
        assert read_identity(path) == again.identity != DatabaseIdentity("0" * 32, path.name)
        assert read_identity(other_path) == other_again.identity
    finally:
        again.close()
        other_again.close()


def test_two_databases_in_one_folder_read_only_their_own_snapshots(
    db: Database, world: World, other: Database, viewer: User
) -> None:
    root = snapshots.snapshots_root(db.path)
    assert snapshots.snapshots_root(other.path) == root  # the shared folder
    mine = snapshots.write_snapshot(db, root, db.path)
    theirs = snapshots.write_snapshot(other, root, other.path)
    assert snapshots.list_snapshots(root, db.identity) == [mine]
    assert snapshots.list_snapshots(root, other.identity) == [theirs]
    assert snapshots.latest_snapshot(root, db.identity) == mine  # though theirs is newer
    assert snapshots.foreign_snapshots(root, db.identity) == 1

    with snapshots.open_snapshot(mine, db.identity) as store:
        assert store.value("SELECT count(*) FROM clients") == 2
    with pytest.raises(ForeignSnapshot, match=r"not one of test\.duckdb: it is of another"):
        snapshots.open_snapshot(theirs, db.identity)
    with pytest.raises(ForeignSnapshot):
        console.run_query(theirs, viewer, "SELECT name FROM clients", database=db.identity)
    ok = console.run_query(mine, viewer, "SELECT name FROM clients ORDER BY name",
                           database=db.identity)
    assert ok.frame["name"].tolist() == ["Acme", "Globex"]

    # The app's own paths: the console's snapshot, a snapshot on demand, the background writer.
    assert snapshots.current_snapshot(other, viewer) == theirs
    taken, new = snapshots.take_snapshot(db, viewer)
    assert (taken, new) == (mine, False)  # nothing changed in db since its own snapshot
    assert snapshots.Snapshotter(other, every=dt.timedelta(0)).due() is False


def test_a_database_without_a_snapshot_of_its_own_writes_one(
    db: Database, world: World, other: Database, viewer: User
) -> None:
    root = snapshots.snapshots_root(db.path)
    theirs = snapshots.write_snapshot(other, root, other.path)
    assert snapshots.Snapshotter(db, every=dt.timedelta(minutes=5)).due() is True
    mine = snapshots.current_snapshot(db, viewer)
    assert mine != theirs and mine.belongs_to(db.identity)
    assert snapshots.list_snapshots(root, other.identity) == [theirs]


def test_pruning_keeps_the_other_databases_snapshots(
    db: Database, world: World, other: Database
) -> None:
    root = snapshots.snapshots_root(db.path)
    theirs = [snapshots.write_snapshot(other, root, other.path) for _ in range(2)]
    mine = [snapshots.write_snapshot(db, root, db.path, keep=1) for _ in range(3)]
    assert snapshots.list_snapshots(root, db.identity) == [mine[-1]]
    assert snapshots.list_snapshots(root, other.identity) == theirs[::-1]
    # Snapshots from before identities: this file's go with its next snapshot (no reader
    # accepts them any more); the other file's stay.
    tamper(mine[-1], database_id=None)
    tamper(theirs[0], database_id=None)
    newest = snapshots.write_snapshot(db, root, db.path, keep=3)
    assert not mine[-1].path.exists() and theirs[0].path.exists()
    assert snapshots.list_snapshots(root, db.identity) == [newest]


@pytest.mark.parametrize("changes", [
    {"database_id": "f" * 32},  # another database's id
    {"database": "other.duckdb"},  # another file's name
    {"database_id": None},  # written before snapshots recorded their database
    {"database_id": None, "database": None},
    {"database_id": 12345},
    {"database_id": ["x"] * 3},
])
def test_a_tampered_snapshot_json_is_refused(
    db: Database, world: World, viewer: User, changes: dict
) -> None:
    root = snapshots.snapshots_root(db.path)
    snapshot = snapshots.write_snapshot(db, root, db.path)
    tamper(snapshot, **changes)
    assert snapshots.list_snapshots(root, db.identity) == []
    assert snapshots.latest_snapshot(root, db.identity) is None
    # The Snapshot in hand (listed before the change) is checked against the file again.
    with pytest.raises(ForeignSnapshot, match="It is not read; take a new snapshot"):
        snapshots.open_snapshot(snapshot, db.identity)
    with pytest.raises(ForeignSnapshot):
        console.run_query(snapshot, viewer, "SELECT 1", database=db.identity)


def test_a_copy_of_the_database_file_does_not_read_the_originals_snapshots(
    db: Database, world: World, tmp_path: Path
) -> None:
    root = snapshots.snapshots_root(db.path)
    original = snapshots.write_snapshot(db, root, db.path)
    db.close()
    shutil.copy(db.path, tmp_path / "copy.duckdb")
    copy = Database(tmp_path / "copy.duckdb")
    try:
        assert copy.identity.id == db.identity.id  # the same bytes
        assert snapshots.latest_snapshot(root, copy.identity) is None
        with pytest.raises(ForeignSnapshot):
            snapshots.open_snapshot(original, copy.identity)
    finally:
        copy.close()


def test_a_database_from_before_the_identity_cannot_be_snapshotted(tmp_path: Path) -> None:
    path = tmp_path / "old.duckdb"
    with duckdb.connect(str(path)) as conn:
        conn.execute("CREATE TABLE t AS SELECT 1 AS x")
    with duckdb.connect(str(path), read_only=True) as conn, pytest.raises(
            RuleViolation, match="python -m lib migrate"):
        snapshots.write_snapshot(conn, tmp_path / "snapshots", path)
    assert snapshots.list_snapshots(tmp_path / "snapshots", DatabaseIdentity("a" * 32,
                                                                             "old.duckdb")) == []


# --- the command line while the app holds the database ----------------------------------------


def test_the_cli_report_refuses_the_other_databases_snapshot(
    db: Database, world: World, other: Database, tmp_path: Path
) -> None:
    root = snapshots.snapshots_root(db.path)
    other.value("INSERT INTO clients (name) VALUES ('Acme') RETURNING id")
    snapshots.write_snapshot(other, root, other.path)
    db.close()
    holder = Holder(db.path)
    try:
        refused = run_cli(db.path, "report", "weekly", "--client", "Acme", "--week", WEEK,
                          "--out", str(tmp_path / "out"), "--quiet")
        assert refused.returncode == 1, refused.stdout
        assert "no snapshot of it" in refused.stderr
        assert "1 there are of another database" in refused.stderr
        assert "Traceback" not in refused.stderr and not (tmp_path / "out").exists()

        id_file(db.path).unlink()
        refused = run_cli(db.path, "report", "weekly", "--client", "Acme", "--week", WEEK,
                          "--out", str(tmp_path / "out"), "--quiet")
        assert refused.returncode == 1
        assert f"{id_file(db.path)}" in refused.stderr and "missing" in refused.stderr
        assert "Traceback" not in refused.stderr and not (tmp_path / "out").exists()
    finally:
        holder.release()


def test_the_cli_report_reads_its_own_snapshot_beside_another(
    db: Database, world: World, other: Database, tmp_path: Path
) -> None:
    root = snapshots.snapshots_root(db.path)
    mine = snapshots.write_snapshot(db, root, db.path)
    other.value("INSERT INTO clients (name) VALUES ('Acme') RETURNING id")
    snapshots.write_snapshot(other, root, other.path)  # newer, and of the other database
    db.close()
    holder = Holder(db.path)
    try:
        done = run_cli(db.path, "report", "weekly", "--client", "Acme", "--week", WEEK,
                       "--out", str(tmp_path / "out"), "--quiet")
        assert done.returncode == 0, done.stderr
        assert f"({mine.path.name})" in done.stdout
        tamper(mine, database_id=other.identity.id)
        refused = run_cli(db.path, "report", "weekly", "--client", "Acme", "--week", WEEK,
                          "--out", str(tmp_path / "again"), "--quiet")
        assert refused.returncode == 1 and "2 there are of another database" in refused.stderr
    finally:
        holder.release()
