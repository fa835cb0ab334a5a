"""Demo data: sizes and spread, determinism, a history that agrees with the current state,
the schema's constraints, and sequences that keep handing out fresh ids afterwards."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest

from lib.db import Database
from lib.demo import DemoSummary, build_demo, is_empty

TABLES = (
    "users", "clients", "campaigns", "creators", "creator_tags", "collaborations", "payments",
    "content_items", "shipments", "activity_events",
)
STATUSES = ("pending", "negotiating", "fulfilling", "completed", "cancelled")


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Database]:
    database = Database(tmp_path / "t.duckdb")
    yield database
    database.close()


@pytest.fixture
def demo(db: Database) -> Database:
    """A small demo: 300 creators and 20 campaigns are the minimum whatever the size."""
    build_demo(db, 200)
    return db


def table_rows(db: Database, table: str) -> list[tuple]:
    return db.rows(f"SELECT * FROM {table} ORDER BY ALL")


# Each query counts rows that break one promise; a consistent history gives zero everywhere.
CONSISTENCY = {
    "campaign without its current client and owner": """
        SELECT count(*) FROM campaigns ca
        LEFT JOIN campaign_ownership co ON co.campaign_id = ca.id WHERE co.campaign_id IS NULL""",
    "status differs from the last status change": """
        SELECT count(*) FROM collaborations c
        LEFT JOIN (SELECT collab_id, arg_max(to_status, id) AS last FROM activity_events
                   WHERE kind = 'status_changed' GROUP BY collab_id) e ON e.collab_id = c.id
        WHERE c.status <> coalesce(e.last, 'pending')""",
    "version is not 1 + status changes": """
        SELECT count(*) FROM collaborations c
        LEFT JOIN (SELECT collab_id, count(*) AS n FROM activity_events
                   WHERE kind = 'status_changed' GROUP BY collab_id) e ON e.collab_id = c.id
        WHERE c.version <> 1 + coalesce(e.n, 0)""",
    "created_at/updated_at differ from the first/last event": """
        SELECT count(*) FROM collaborations c
        LEFT JOIN (SELECT collab_id, min(occurred_at) AS first, max(occurred_at) AS last,
                          count(*) FILTER (WHERE kind = 'created') AS created
                   FROM activity_events GROUP BY collab_id) e ON e.collab_id = c.id
        WHERE e.first IS DISTINCT FROM c.created_at OR e.last IS DISTINCT FROM c.updated_at
           OR e.created <> 1""",
    "events out of time order": """
        SELECT count(*) FROM (
            SELECT occurred_at < lag(occurred_at) OVER (PARTITION BY collab_id ORDER BY id) AS bad
            FROM activity_events) WHERE bad""",
    "status change not starting where the previous one ended": """
        SELECT count(*) FROM (
            SELECT from_status, coalesce(lag(to_status) OVER (PARTITION BY collab_id ORDER BY id),
                                         'pending') AS before
            FROM activity_events WHERE kind = 'status_changed') WHERE from_status <> before""",
    "cancelled without a reason, or a reason without cancelling": """
        SELECT count(*) FROM collaborations
        WHERE (status = 'cancelled') <> (coalesce(trim(cancel_reason), '') <> '')""",
    "due before start": "SELECT count(*) FROM collaborations WHERE due_date < start_date",
    "paid more than agreed": """
        SELECT count(*) FROM collaborations c
        JOIN (SELECT collab_id, sum(amount) AS paid FROM payments GROUP BY collab_id) p
            ON p.collab_id = c.id WHERE p.paid > c.compensation""",
    "payment, content or shipment on a collaboration that never got that far": """
        SELECT count(*) FROM (
            SELECT collab_id FROM payments UNION ALL SELECT collab_id FROM content_items
        ) x JOIN collaborations c ON c.id = x.collab_id
        WHERE c.status NOT IN ('fulfilling', 'completed')""",
    "currency differs from the campaign's": """
        SELECT count(*) FROM collaborations c JOIN campaigns ca ON ca.id = c.campaign_id
        WHERE c.currency <> ca.currency""",
    "payment without its event": """
        SELECT count(*) FROM payments p LEFT JOIN activity_events e
            ON e.collab_id = p.collab_id AND e.kind = 'payment'
           AND e.occurred_at = p.created_at AND e.amount = p.amount
        WHERE e.id IS NULL""",
    "content without its event": """
        SELECT count(*) FROM content_items ci LEFT JOIN activity_events e
            ON e.collab_id = ci.collab_id AND e.kind = 'content_delivered'
           AND e.occurred_at = ci.created_at AND contains(e.text, ci.url)
        WHERE e.id IS NULL""",
    "delivery events disagree with the shipments": """
        SELECT count(*) FROM shipments s
        LEFT JOIN (SELECT collab_id, count(*) AS n, arg_max(to_status, id) AS last
                   FROM activity_events WHERE kind = 'delivery_changed' GROUP BY collab_id) e
            ON e.collab_id = s.collab_id
        WHERE coalesce(e.n, 0) <> CASE s.status WHEN 'pending' THEN 0
                                                WHEN 'in_transit' THEN 1 ELSE 2 END
           OR (s.status <> 'pending' AND e.last <> s.status)
           OR (s.status = 'exception') <> (s.exception_reason IS NOT NULL)
           OR (s.status = 'delivered') <> (s.delivered_on IS NOT NULL)""",
    "the same creator twice in a campaign": """
        SELECT count(*) FROM (SELECT campaign_id, creator_id FROM collaborations
                              GROUP BY ALL HAVING count(*) > 1)""",
}


def consistency_problems(db: Database) -> dict[str, int]:
    found = {name: db.value(sql) for name, sql in CONSISTENCY.items()}
    return {name: n for name, n in found.items() if n}


def test_counts_status_spread_and_history_at_1000(db: Database) -> None:
    summary = build_demo(db, 1000)
    counts = {t: db.value(f"SELECT count(*) FROM {t}") for t in TABLES}
    assert summary == DemoSummary(**counts)
    assert summary.total == sum(counts.values())
    assert (counts["collaborations"], counts["creators"], counts["campaigns"]) == (1000, 300, 20)
    assert counts["clients"] == 6
    assert counts["activity_events"] > 3 * 1000
    for table in ("creator_tags", "payments", "content_items", "shipments"):
        assert counts[table] > 50, table

    shares = dict(db.rows("SELECT status, count(*) / 1000 FROM collaborations GROUP BY 1"))
    expected = {"pending": 0.15, "negotiating": 0.15, "fulfilling": 0.30, "completed": 0.30,
                "cancelled": 0.10}
    assert set(shares) == set(STATUSES)
    for status, share in expected.items():
        assert share - 0.05 < shares[status] < share + 0.05, status

    assert consistency_problems(db) == {}


def test_every_page_gets_some_variety(demo: Database) -> None:
    creators = demo.one("""
        SELECT count(*) FILTER (WHERE email IS NULL), count(*) FILTER (WHERE phone IS NULL),
               count(*) FILTER (WHERE address IS NULL),
               count(*) FILTER (WHERE engagement_rate > 20),
               count(*) FILTER (WHERE engagement_rate < 0.2 AND followers >= 10000),
               count(*) FILTER (WHERE validation_override IS NOT NULL),
               count(DISTINCT platform), max(followers) > 100 * median(followers)
        FROM creators""")
    assert all(creators), creators
    assert demo.value("""SELECT count(*) FROM (SELECT lower(handle), platform FROM creators
                         GROUP BY ALL HAVING count(*) > 1)""") >= 1
    tagged, per_creator = demo.one(
        "SELECT count(*), max(n) FROM (SELECT creator_id, count(*) AS n FROM creator_tags"
        " GROUP BY 1)"
    )
    assert 60 <= tagged <= 140 and per_creator == 2  # about a third of 300, one or two each
    kinds = {k for (k,) in demo.rows("SELECT DISTINCT kind FROM activity_events")}
    assert kinds == {"created", "status_changed", "note", "payment", "content_delivered",
                     "delivery_changed"}
    assert {s for (s,) in demo.rows("SELECT DISTINCT status FROM shipments")} == {
        "pending", "in_transit", "delivered", "exception"}
    first, last = demo.one("SELECT min(start_date), max(end_date) FROM campaigns")
    assert dt.date(2025, 1, 1) <= first and last <= dt.date(2026, 11, 15)


def test_demo_users_are_managers_who_cannot_log_in(demo: Database) -> None:
    users = demo.rows("SELECT username, role, password_hash FROM users ORDER BY id")
    assert len(users) >= 3
    assert all(u.startswith("demo.manager") and role == "manager" for u, role, _ in users)
    assert all(h.startswith("!") and len(h) > 20 for _, _, h in users)
    assert demo.value("SELECT count(DISTINCT owner_id) FROM campaigns") == len(users)


def test_same_seed_gives_identical_tables(tmp_path: Path) -> None:
    a, b, c = (Database(tmp_path / f"{name}.duckdb") for name in "abc")
    try:
        build_demo(a, 100, seed=7)
        build_demo(b, 100, seed=7)
        build_demo(c, 100, seed=8)
        for table in TABLES:
            assert table_rows(a, table) == table_rows(b, table), table
        assert table_rows(a, "collaborations") != table_rows(c, "collaborations")
        assert table_rows(a, "creators") != table_rows(c, "creators")
    finally:
        for database in (a, b, c):
            database.close()


def test_refuses_a_database_that_has_work_in_it(demo: Database) -> None:
    assert not is_empty(demo)
    before = demo.value("SELECT count(*) FROM creators")
    with pytest.raises(ValueError, match=r"empty database.* 200 collaborations"):
        build_demo(demo, 50)
    assert demo.value("SELECT count(*) FROM creators") == before


def test_refuses_when_only_a_campaign_exists(db: Database) -> None:
    assert is_empty(db)
    db.value("INSERT INTO clients (name) VALUES ('Acme') RETURNING id")
    assert is_empty(db)  # a client alone is no work yet
    db.value("INSERT INTO campaigns (client_id, name, start_date, end_date, budget, created_at)"
             " VALUES (1, 'Spring', '2026-03-01', '2026-04-01', 100, '2026-02-01') RETURNING id")
    assert not is_empty(db)
    with pytest.raises(ValueError, match=r"already has 1 campaign\. "):
        build_demo(db, 50)
    assert db.value("SELECT count(*) FROM creators") == 0


def test_rejects_a_size_below_one(db: Database) -> None:
    with pytest.raises(ValueError, match="at least 1"):
        build_demo(db, 0)


NEW_ROWS = {
    "users": "INSERT INTO users (username, name, role, password_hash, created_at)"
             " VALUES ('admin', 'Admin', 'admin', 'x', now()) RETURNING id",
    "clients": "INSERT INTO clients (name) VALUES ('Brand New Client') RETURNING id",
    "campaigns": "INSERT INTO campaigns (client_id, name, start_date, end_date, budget,"
                 " created_at) VALUES (1, 'Later', '2026-01-01', '2026-02-01', 1, now())"
                 " RETURNING id",
    "creators": "INSERT INTO creators (name, handle, platform, created_at)"
                " VALUES ('New', 'new', 'tiktok', now()) RETURNING id",
    "collaborations": "INSERT INTO collaborations (campaign_id, creator_id, status, created_at,"
                      " updated_at) VALUES (1, 1, 'pending', now(), now()) RETURNING id",
    "activity_events": "INSERT INTO activity_events (collab_id, occurred_at, actor, kind)"
                       " VALUES (1, now(), 'x', 'note') RETURNING id",
    "payments": "INSERT INTO payments (collab_id, amount, currency, paid_on, created_at,"
                " created_by) VALUES (1, 5, 'EUR', current_date, now(), 'x') RETURNING id",
    "content_items": "INSERT INTO content_items (collab_id, url, kind, delivered_on,"
                     " created_at, created_by) VALUES (1, 'https://x.example', 'post',"
                     " current_date, now(), 'x') RETURNING id",
    "shipments": "INSERT INTO shipments (collab_id, item, status_changed_at, created_at)"
                 " VALUES (1, 'Box', now(), now()) RETURNING id",
}


def test_sequences_hand_out_fresh_ids_afterwards(tmp_path: Path) -> None:
    db = Database(tmp_path / "t.duckdb")
    build_demo(db, 50)
    highest = {t: db.value(f"SELECT max(id) FROM {t}") for t in NEW_ROWS}
    db.close()
    db = Database(tmp_path / "t.duckdb")  # the sequences' positions must survive a restart
    try:
        for table, sql in NEW_ROWS.items():
            assert db.value(sql) > highest[table], table
    finally:
        db.close()


def test_existing_users_and_creators_are_kept(db: Database) -> None:
    admin = db.value(NEW_ROWS["users"])
    creator = db.value(NEW_ROWS["creators"])
    build_demo(db, 50)
    assert db.value("SELECT count(*) FROM users WHERE role = 'admin'") == 1
    assert db.value("SELECT min(id) FROM users WHERE role = 'manager'") > admin
    assert db.value("SELECT count(*) FROM creators") == 301
    assert db.value("SELECT count(*) FROM collaborations WHERE creator_id = ?", [creator]) == 0
    assert consistency_problems(db) == {}


def test_a_tiny_demo_works_and_reports_progress(db: Database) -> None:
    steps: list[tuple[str, float]] = []
    summary = build_demo(db, 50, progress=lambda name, done: steps.append((name, done)))
    assert (summary.collaborations, summary.creators, summary.campaigns) == (50, 300, 20)
    assert consistency_problems(db) == {}
    fractions = [done for _, done in steps]
    assert len(steps) >= 10
    assert fractions == sorted(fractions) and fractions[-1] == 1.0 and fractions[0] > 0
