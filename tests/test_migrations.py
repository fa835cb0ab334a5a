"""Migrations over a database that already has data: the catalog stays sound."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from lib import collaborations, users
from lib.db import Database
from lib.demo import build_demo


def test_a_collaboration_without_history_can_be_deleted(tmp_path: Path) -> None:
    """Migration 004 renamed a table with a foreign key to collaborations, which left a stale
    name in DuckDB's catalog: every DELETE on collaborations failed with "Table with name
    activity_events_new does not exist". 008 repairs it; the demo's rows and ids survive."""
    db = Database(tmp_path / "m.duckdb")
    build_demo(db, 300)
    events = db.rows("SELECT * FROM activity_events ORDER BY id")
    collab = db.value(
        "INSERT INTO collaborations (campaign_id, creator_id, status, created_at, updated_at)"
        " SELECT campaign_id, creator_id, 'pending', now(), now() FROM collaborations LIMIT 1"
        " RETURNING id"
    )
    db.write(lambda cur: cur.execute("DELETE FROM collaborations WHERE id = ?", [collab]))
    assert db.value("SELECT count(*) FROM collaborations WHERE id = ?", [collab]) == 0
    # A referenced row still refuses a delete, with DuckDB's own foreign-key message.
    with pytest.raises(duckdb.ConstraintException, match="foreign key"):
        db.write(lambda cur: cur.execute(
            "DELETE FROM collaborations WHERE id = (SELECT min(collab_id) FROM activity_events)"))
    assert db.rows("SELECT * FROM activity_events ORDER BY id") == events
    # The widened kinds of 004 are still accepted, and new ids follow the old ones.
    staff = users.get_user(db, "demo.manager1")  # a real account: writes re-read their actor
    first = int(db.value("SELECT min(id) FROM collaborations"))
    collaborations.add_note(db, staff, first, "after the repair")
    assert db.value("SELECT max(id) FROM activity_events") > max(e[0] for e in events)
    db.close()
