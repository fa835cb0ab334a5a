"""Demo data: sizes and spread, determinism, a history that agrees with the current state,
the schema's constraints, and sequences that keep handing out fresh ids afterwards; feedback,
content approval and the inbox in proportion, and the pages reading them as the demo's manager."""

from __future__ import annotations

import datetime as dt
import re
import secrets
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from streamlit.runtime.pages_manager import PagesManager
from streamlit.testing.v1 import AppTest
from streamlit_authenticator import params as authenticator_params

from lib import db as db_module
from lib import feedback, inbox, notifications, users, web
from lib.creators import handle_key
from lib.db import Database
from lib.demo import DemoSummary, build_demo, is_empty
from lib.models import User
from tests.conftest import APP, APP_TIMEOUT, assert_ok, login, texts
from tests.test_feedback_page import shown_text

TABLES = (
    "users", "clients", "campaigns", "creators", "creator_tags", "collaborations", "payments",
    "content_items", "shipments", "activity_events", "messages", "assets", "thread_reads",
    "reviewers", "reviewer_events", "feedback", "feedback_replies", "notifications",
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
    "delivered content without its event": """
        SELECT count(*) FROM content_items ci LEFT JOIN activity_events e
            ON e.collab_id = ci.collab_id AND e.kind = 'content_delivered'
           AND e.occurred_at = ci.created_at AND contains(e.text, ci.url)
        WHERE ci.approval = 'approved' AND ci.reviewed_at IS NULL AND e.id IS NULL""",
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
    # --- content approval and feedback (lib.feedback, lib.reviewers, lib.notifications)
    "submitted content without its events, or decided without a decision time": """
        SELECT count(*) FROM content_items ci
        WHERE (ci.approval <> 'approved' OR ci.reviewed_at IS NOT NULL) AND (
            (ci.reviewed_at IS NOT NULL) <> (ci.approval <> 'pending')
            OR (ci.reviewed_at IS NOT NULL) <> (ci.reviewed_by IS NOT NULL)
            OR ci.reviewed_at < ci.created_at
            OR NOT EXISTS (SELECT 1 FROM activity_events e
                           WHERE e.collab_id = ci.collab_id AND e.kind = 'content_submitted'
                             AND e.occurred_at = ci.created_at
                             AND e.text = ci.kind || ' v' || ci.version
                                          || ' submitted for approval: ' || ci.url)
            OR (ci.reviewed_at IS NOT NULL AND NOT EXISTS (
                SELECT 1 FROM activity_events e
                WHERE e.collab_id = ci.collab_id AND e.kind = 'content_reviewed'
                  AND e.occurred_at = ci.reviewed_at
                  AND starts_with(e.text, ci.kind || ' v' || ci.version || ': '
                                          || replace(ci.approval, '_', ' ')))))""",
    "content review events without their content item": """
        SELECT (SELECT count(*) FROM activity_events WHERE kind = 'content_submitted')
               - (SELECT count(*) FROM content_items
                  WHERE approval <> 'approved' OR reviewed_at IS NOT NULL)
               + (SELECT count(*) FROM activity_events WHERE kind = 'content_reviewed')
               - (SELECT count(*) FROM content_items WHERE reviewed_at IS NOT NULL)""",
    "a new version that does not follow the one it replaces": """
        SELECT count(*) FROM content_items n LEFT JOIN content_items p ON p.id = n.previous_id
        WHERE (n.previous_id IS NULL) <> (n.version = 1)
           OR (n.previous_id IS NOT NULL AND (
               p.id IS NULL OR p.collab_id <> n.collab_id OR p.version <> n.version - 1
               OR p.approval <> 'changes_requested' OR n.created_at < p.reviewed_at))""",
    "feedback on a creator or content item its campaign does not show its reviewers": """
        SELECT count(*) FROM feedback f
        LEFT JOIN content_items ci ON ci.id = f.content_item_id
        LEFT JOIN collaborations c ON c.id = ci.collab_id
        WHERE (f.content_item_id IS NOT NULL AND c.campaign_id IS DISTINCT FROM f.campaign_id)
           OR (f.creator_id IS NOT NULL
               AND NOT EXISTS (SELECT 1 FROM applications a
                               WHERE a.campaign_id = f.campaign_id
                                 AND a.creator_id = f.creator_id
                                 AND a.stage IN ('applied', 'selected'))
               AND NOT EXISTS (SELECT 1 FROM collaborations o
                               WHERE o.campaign_id = f.campaign_id
                                 AND o.creator_id = f.creator_id AND o.status <> 'cancelled'))""",
    "feedback from another campaign's or a removed reviewer, before the invitation or item": """
        SELECT count(*) FROM feedback f JOIN reviewers r ON r.id = f.reviewer_id
        LEFT JOIN content_items ci ON ci.id = f.content_item_id
        WHERE r.campaign_id <> f.campaign_id OR r.removed_at IS NOT NULL
           OR f.created_at < r.invited_at OR f.created_at < ci.created_at
           OR r.last_visit_at IS NULL""",
    "content feedback after staff decided it, or against their decision": """
        SELECT count(*) FROM feedback f JOIN content_items ci ON ci.id = f.content_item_id
        WHERE f.created_at > ci.reviewed_at
           OR (ci.approval = 'approved' AND f.verdict = 'decline')
           OR (ci.approval = 'changes_requested' AND f.verdict = 'approve')""",
    "feedback and notifications are not one to one": """
        SELECT (SELECT count(*) FROM feedback f
                WHERE (SELECT count(*) FROM notifications n WHERE n.feedback_id = f.id) <> 1)
               + (SELECT count(*) FROM notifications WHERE feedback_id IS NULL)""",
    "notification not about its feedback, or not to the campaign's owner": """
        SELECT count(*) FROM notifications n
        LEFT JOIN feedback f ON f.id = n.feedback_id
        LEFT JOIN campaign_ownership o ON o.campaign_id = f.campaign_id
        LEFT JOIN reviewers r ON r.id = f.reviewer_id
        WHERE f.id IS NULL OR n.campaign_id <> f.campaign_id OR n.user_id <> o.owner_id
           OR n.created_at <> f.created_at OR n.read_at < n.created_at
           OR NOT starts_with(n.text, r.email || ' ')""",
    "reply or note without its feedback, before it, or not by staff": """
        SELECT count(*) FROM feedback_replies r LEFT JOIN feedback f ON f.id = r.feedback_id
        LEFT JOIN users u ON u.username = r.author
        WHERE f.id IS NULL OR r.created_at < f.created_at OR u.id IS NULL
           OR u.role NOT IN ('admin', 'manager', 'staff')""",
    "reviewer not invited by a manager, or without the invitation's events": """
        SELECT count(*) FROM reviewers r LEFT JOIN users u ON u.username = r.invited_by
        WHERE u.role IS NULL OR u.role NOT IN ('admin', 'manager')
           OR r.link_sent_at < r.invited_at
           OR (SELECT count(*) FROM reviewer_events e
               WHERE e.reviewer_id = r.id AND e.campaign_id = r.campaign_id
                 AND e.kind IN ('invited', 'mail_sent') AND e.occurred_at >= r.invited_at) <> 2""",
    "one address reviewing a campaign twice": """
        SELECT count(*) FROM (SELECT campaign_id, email FROM reviewers
                              WHERE removed_at IS NULL GROUP BY ALL HAVING count(*) > 1)""",
    # --- the inbox (lib.inbox)
    "an asset's e-mail not to its collaboration's creator": """
        SELECT count(*) FROM assets a JOIN collaborations c ON c.id = a.collab_id
        JOIN creators cr ON cr.id = c.creator_id LEFT JOIN messages m ON m.id = a.message_id
        WHERE m.id IS NULL OR m.creator_id <> c.creator_id OR m.kind <> 'asset'
           OR m.direction <> 'out' OR m.recipient IS DISTINCT FROM cr.email
           OR m.campaign_id <> c.campaign_id OR NOT contains(m.body, a.value)
           OR m.created_at <> a.created_at OR c.status = 'cancelled'""",
    "assets and asset_sent events are not one to one": """
        SELECT (SELECT count(*) FROM activity_events WHERE kind = 'asset_sent')
               - (SELECT count(*) FROM assets)
               + (SELECT count(*) FROM assets a WHERE NOT EXISTS (
                     SELECT 1 FROM activity_events e
                     WHERE e.collab_id = a.collab_id AND e.kind = 'asset_sent'
                       AND e.occurred_at = a.created_at AND contains(e.text, a.value)))""",
    "read state pointing at no message of its creator, or read before it was written": """
        SELECT count(*) FROM thread_reads t
        LEFT JOIN messages m ON m.id = t.last_read_id AND m.creator_id = t.creator_id
        WHERE m.id IS NULL OR t.updated_at < m.created_at""",
    "a message's e-mail details disagree with its direction and state": """
        SELECT count(*) FROM messages m JOIN creators cr ON cr.id = m.creator_id
        WHERE m.channel IS NOT NULL AND (
            (m.direction = 'in' AND (
                m.state <> 'recorded' OR m.received_at IS NULL OR m.created_at < m.received_at
                OR (m.channel = 'email') <> (m.sender IS NOT NULL) OR m.sender <> cr.email
                OR m.recipient IS NOT NULL OR m.queued_at IS NOT NULL))
            OR (m.direction = 'out' AND (
                m.channel <> 'email' OR m.recipient IS DISTINCT FROM cr.email
                OR m.sender IS NULL OR m.queued_at IS NULL OR m.attempts < 1
                OR m.state NOT IN ('sent', 'failed')
                OR (m.state = 'sent') <> (m.sent_at IS NOT NULL AND m.error IS NULL
                                          AND m.message_id_header IS NOT NULL)
                OR (m.state = 'failed') <> (m.error IS NOT NULL AND m.sent_at IS NULL))))""",
    "a message about a campaign the creator has no part in": """
        SELECT count(*) FROM messages m
        WHERE m.campaign_id IS NOT NULL
          AND NOT EXISTS (SELECT 1 FROM collaborations c
                          WHERE c.campaign_id = m.campaign_id AND c.creator_id = m.creator_id)
          AND NOT EXISTS (SELECT 1 FROM applications a
                          WHERE a.campaign_id = m.campaign_id AND a.creator_id = m.creator_id)""",
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
    # One creator per platform and handle (the store's key); some handles recur on another
    # platform under another name, which the validation badge flags.
    assert demo.value(f"""SELECT count(*) FROM (SELECT {handle_key('handle')}, platform
                          FROM creators GROUP BY ALL HAVING count(*) > 1)""") == 0
    assert demo.value(f"""SELECT count(*) FROM (SELECT {handle_key('handle')} FROM creators
                          GROUP BY ALL HAVING count(DISTINCT platform) > 1
                          AND count(DISTINCT name) > 1)""") >= 1
    tagged, per_creator = demo.one(
        "SELECT count(*), max(n) FROM (SELECT creator_id, count(*) AS n FROM creator_tags"
        " GROUP BY 1)"
    )
    assert 60 <= tagged <= 140 and per_creator == 2  # about a third of 300, one or two each
    kinds = {k for (k,) in demo.rows("SELECT DISTINCT kind FROM activity_events")}
    assert kinds == {"created", "status_changed", "note", "payment", "content_delivered",
                     "delivery_changed", "content_submitted", "content_reviewed", "asset_sent"}
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
    "messages": "INSERT INTO messages (creator_id, direction, kind, created_at, created_by)"
                " VALUES (1, 'in', 'message', now(), 'x') RETURNING id",
    "assets": "INSERT INTO assets (collab_id, kind, value, message_id, created_at, created_by)"
              " VALUES (1, 'coupon_code', 'NEW10', (SELECT min(id) FROM messages), now(), 'x')"
              " RETURNING id",
    "reviewers": "INSERT INTO reviewers (campaign_id, email, invited_at, invited_by)"
                 " VALUES (1, 'new@client.example', now(), 'x') RETURNING id",
    "reviewer_events": "INSERT INTO reviewer_events (campaign_id, reviewer_id, occurred_at,"
                       " actor, kind) VALUES (1, (SELECT min(id) FROM reviewers), now(), 'x',"
                       " 'invited') RETURNING id",
    "feedback": "INSERT INTO feedback (campaign_id, reviewer_id, creator_id, body, created_at)"
                " VALUES (1, (SELECT min(id) FROM reviewers), 1, 'Hi', now()) RETURNING id",
    "feedback_replies": "INSERT INTO feedback_replies (feedback_id, kind, author, body,"
                        " created_at) VALUES (1, 'reply', 'x', 'Thanks', now()) RETURNING id",
    "notifications": "INSERT INTO notifications (user_id, kind, text, created_at)"
                     " VALUES (1, 'feedback', 'x', now()) RETURNING id",
}


def test_sequences_hand_out_fresh_ids_afterwards(tmp_path: Path) -> None:
    db = Database(tmp_path / "t.duckdb")
    build_demo(db, 200)
    highest = {t: db.value(f"SELECT coalesce(max(id), 0) FROM {t}") for t in NEW_ROWS}
    assert all(highest.values()), highest  # a small demo writes a row into each
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


# --- feedback, content approval and the inbox -----------------------------------------


@pytest.fixture(scope="module")
def demo_1000(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Database]:
    """A demo of 1,000 collaborations, shared by the tests that only read it."""
    database = Database(tmp_path_factory.mktemp("demo") / "d.duckdb")
    build_demo(database, 1000)
    yield database
    database.close()


def demo_managers(db: Database) -> list[User]:
    found = [users.get_user(db, name) for (name,) in db.rows(
        "SELECT username FROM users WHERE username LIKE 'demo.manager%' ORDER BY id")]
    return [u for u in found if u is not None]


def test_feedback_for_a_handful_of_campaigns(demo_1000: Database) -> None:
    db = demo_1000
    reviewers = dict(db.rows("SELECT campaign_id, count(*) FROM reviewers GROUP BY ALL"))
    assert 5 <= len(reviewers) <= 7 and set(reviewers.values()) <= {1, 2, 3}, reviewers
    statuses = {s for (s,) in db.rows(
        "SELECT DISTINCT status FROM campaigns WHERE id IN (SELECT campaign_id FROM reviewers)")}
    assert {"running", "open", "closed"} <= statuses <= {"running", "finished", "open", "closed"}
    assert db.value("SELECT count(*) FROM reviewer_tokens") == 0  # no token can be made up
    on_creators, on_content = db.one(
        "SELECT count(creator_id), count(content_item_id) FROM feedback")
    assert on_creators >= 20 and on_content >= 8, (on_creators, on_content)
    assert {v for (v,) in db.rows("SELECT DISTINCT verdict FROM feedback")} == {
        "approve", "decline", None}
    assert db.value("SELECT count(*) FROM feedback WHERE body = ''") > 0  # a verdict alone
    answers = dict(db.rows("SELECT kind, count(*) FROM feedback_replies GROUP BY ALL"))
    unanswered = db.value("""SELECT count(*) FROM feedback f WHERE NOT EXISTS (
        SELECT 1 FROM feedback_replies r WHERE r.feedback_id = f.id AND r.kind = 'reply')""")
    assert answers["reply"] > 0 and answers["internal_note"] > 0 and unanswered > 0
    submitted = set(db.rows("""SELECT approval, version FROM content_items
                               WHERE approval <> 'approved' OR reviewed_at IS NOT NULL"""))
    assert {("pending", 1), ("approved", 1), ("changes_requested", 1)} <= submitted
    assert {version for _, version in submitted} == {1, 2}
    read, unread = db.one("SELECT count(read_at), count(*) - count(read_at) FROM notifications")
    assert read > 0 and unread > 0
    # As the Feedback page reads it: the campaign with the newest feedback comes first.
    campaign_id = feedback.campaign_choices(db)[0][0]
    summary = feedback.campaign_summary(db, campaign_id)
    assert summary["reviewers"] >= 1 and summary["pieces"] > 0
    assert feedback.subjects(db, campaign_id, "creator").rows["pieces"].sum() > 0


def test_notifications_go_to_the_owners_some_read(demo_1000: Database) -> None:
    owners = [u for u in demo_managers(demo_1000)
              if notifications.list_notifications(demo_1000, u).total]
    assert len(owners) >= 2
    assert sum(notifications.unread_count(demo_1000, u) for u in owners) > 0
    for owner in owners:
        page = notifications.list_notifications(demo_1000, owner)
        assert page.rows["text"].str.contains(r"@.+\.example (?:approved|declined|left feedback on)"
                                              r" .+ \(.+\)$").all()


def test_inbox_conversations_read_and_unread_per_user(demo_1000: Database) -> None:
    db = demo_1000
    creators = db.value("SELECT count(*) FROM creators")
    talking = db.value("SELECT count(DISTINCT creator_id) FROM messages WHERE channel IS NOT NULL")
    assert 0.05 * creators <= talking <= 0.3 * creators, talking
    kinds = set(db.rows("SELECT DISTINCT direction, kind, state FROM messages"
                        " WHERE channel IS NOT NULL"))
    assert {("in", "message", "recorded"), ("out", "message", "sent"),
            ("out", "message", "failed"), ("out", "asset", "sent")} <= kinds
    assert {c for (c,) in db.rows("SELECT DISTINCT channel FROM messages WHERE direction = 'in'")
            } >= {"email", "chat"}
    assert db.value("SELECT count(*) FROM messages WHERE message_id_header IS NOT NULL"
                    " AND direction = 'in'") > 0  # recorded from a .eml file
    assert db.value("SELECT count(*) FROM assets") >= 3
    unread_totals = set()
    for manager in demo_managers(db):
        page = inbox.list_creators(db, manager, page_size=100)
        talked = page.rows[page.rows["last_at"].notna()]
        assert (talked["unread"] > 0).any() and (talked["unread"] == 0).any(), manager.username
        unread_totals.add(inbox.unread_total(db, manager))
    assert len(unread_totals) > 1  # each user has their own read state


def test_the_checks_catch_broken_feedback_and_inbox_rows(demo: Database) -> None:
    """The new CONSISTENCY checks can fail: break one promise each and see it reported."""
    assert consistency_problems(demo) == {}
    broken = {
        "notification not about its feedback, or not to the campaign's owner":
            "UPDATE notifications SET user_id = (SELECT max(id) FROM users WHERE id <> user_id)"
            " WHERE id = (SELECT min(id) FROM notifications)",
        "read state pointing at no message of its creator, or read before it was written":
            "UPDATE thread_reads SET last_read_id = (SELECT max(id) FROM messages m"
            " WHERE m.creator_id <> thread_reads.creator_id)"
            " WHERE creator_id = (SELECT min(creator_id) FROM thread_reads)",
        "an asset's e-mail not to its collaboration's creator":
            "UPDATE messages SET recipient = 'someone.else@example.com'"
            " WHERE id = (SELECT min(message_id) FROM assets)",
        "feedback on a creator or content item its campaign does not show its reviewers":
            "UPDATE feedback SET creator_id = (SELECT max(id) FROM creators WHERE id NOT IN ("
            " SELECT creator_id FROM collaborations WHERE campaign_id = feedback.campaign_id"
            " UNION SELECT creator_id FROM applications WHERE campaign_id = feedback.campaign_id))"
            " WHERE id = (SELECT min(id) FROM feedback WHERE creator_id IS NOT NULL)",
        "a new version that does not follow the one it replaces":
            "UPDATE content_items SET version = 3 WHERE previous_id IS NOT NULL",
        "a message's e-mail details disagree with its direction and state":
            "UPDATE messages SET error = NULL WHERE state = 'failed'",
    }
    for sql in broken.values():
        demo.write(lambda cur, sql=sql: cur.execute(sql))
    assert set(broken) <= set(consistency_problems(demo))


def test_reviews_of_campaigns_in_the_workflow_are_in_the_past_of_today(db: Database) -> None:
    """The command line passes the real date; what reviewers and staff did in the campaigns
    placed around it happened before that day began, after the campaign was set up."""
    today = dt.datetime(2027, 3, 1)
    build_demo(db, 200, today=today.date())
    in_workflow = "SELECT id FROM campaigns WHERE status IN ('open', 'closed')"
    pieces, first, last = db.one(f"""
        SELECT count(*), min(f.created_at - ca.created_at), max(f.created_at)
        FROM feedback f JOIN campaigns ca ON ca.id = f.campaign_id
        WHERE f.campaign_id IN ({in_workflow})""")
    later = db.value(f"""SELECT greatest(
        (SELECT max(r.created_at) FROM feedback_replies r JOIN feedback f
         ON f.id = r.feedback_id WHERE f.campaign_id IN ({in_workflow})),
        (SELECT max(read_at) FROM notifications WHERE campaign_id IN ({in_workflow})),
        (SELECT max(last_visit_at) FROM reviewers WHERE campaign_id IN ({in_workflow})))""")
    assert pieces > 0 and first > dt.timedelta(0)
    assert last < today and later < today


def test_a_database_migrated_only_to_004_gets_the_demo_without_newer_features(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Migration tests build demo data into a database of an older schema (see
    tests/test_inbox.py); the parts whose tables it does not have yet are left out."""
    older = tmp_path / "migrations"
    older.mkdir()
    for file in sorted(db_module.MIGRATIONS_DIR.glob("00[1-4]_*.sql")):
        shutil.copy(file, older / file.name)
    monkeypatch.setattr(db_module, "MIGRATIONS_DIR", older)
    old = Database(tmp_path / "old.duckdb")
    try:
        assert old.schema_version() == 4
        summary = build_demo(old, 300)
        assert (summary.reviewers, summary.feedback, summary.notifications, summary.assets,
                summary.thread_reads) == (0, 0, 0, 0, 0)
        assert summary.messages == old.value("SELECT count(*) FROM messages") > 0  # workflow
        assert old.value("SELECT count(*) FROM activity_events WHERE kind IN"
                         " ('content_submitted', 'content_reviewed', 'asset_sent')") == 0
    finally:
        old.close()


# --- the pages over the demo, as its manager ------------------------------------------


@pytest.fixture
def demo_app(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, password_hash: str
) -> Iterator[tuple[AppTest, Database, User]]:
    """The real app.py under AppTest over a demo of 1,000 collaborations, on its login form,
    with the demo manager who has the most unread notifications given a test password (demo
    users cannot log in otherwise). Set up as tests/conftest.py's `app` fixture."""
    db = Database(tmp_path / "demo.duckdb")
    build_demo(db, 1000)
    username = db.value("""SELECT u.username FROM users u JOIN notifications n ON n.user_id = u.id
                           WHERE n.read_at IS NULL GROUP BY ALL ORDER BY count(*) DESC, 1
                           LIMIT 1""")
    db.write(lambda cur: cur.execute("UPDATE users SET password_hash = ? WHERE username = ?",
                                     [password_hash, username]))
    manager = users.get_user(db, username)
    assert manager is not None
    monkeypatch.setenv("COLLABDESK_DB", str(db.path))
    monkeypatch.setenv("COLLABDESK_COOKIE_KEY", secrets.token_urlsafe(32))
    original_init = PagesManager.__init__

    def init_without_pages_directory(self: PagesManager, *args: Any, **kwargs: Any) -> None:
        original_init(self, *args, **kwargs)
        PagesManager.uses_pages_directory = False

    monkeypatch.setattr(PagesManager, "__init__", init_without_pages_directory)
    monkeypatch.setattr(authenticator_params, "PRE_LOGIN_SLEEP_TIME", 0.0)
    at = AppTest.from_file(APP, default_timeout=APP_TIMEOUT)
    at.run()
    yield at, db, manager
    web._open.clear()
    db.close()


def test_the_manager_sees_feedback_notifications_and_inbox(
    demo_app: tuple[AppTest, Database, User]
) -> None:
    at, db, manager = demo_app
    login(at, manager.username)
    assert_ok(at)
    unread_before = notifications.unread_count(db, manager)
    assert unread_before > 0

    at.switch_page("pages/feedback.py").run()
    assert_ok(at)
    campaign_id = feedback.campaign_choices(db)[0][0]
    at.selectbox(key="feedback_campaign").set_value(campaign_id).run()
    assert_ok(at)
    text = shown_text(at)
    emails = [e for (e,) in db.rows(
        "SELECT DISTINCT r.email FROM feedback f JOIN reviewers r ON r.id = f.reviewer_id"
        " WHERE f.campaign_id = ?", [campaign_id])]
    assert emails and any(email in text for email in emails), text[:500]
    assert re.search(r"\d+ approve · \d+ decline", text)

    at.switch_page("pages/notifications.py").run()
    assert_ok(at)
    newest = notifications.list_notifications(db, manager).rows["text"].iloc[0]
    assert newest in shown_text(at)
    assert notifications.unread_count(db, manager) < unread_before  # the page marked them read

    at.switch_page("pages/inbox.py").run()
    assert_ok(at)
    assert texts(at.title) == ["Inbox"]
    [creators] = [d.value for d in at.dataframe if "unread" in d.value.columns]
    assert len(creators) and creators["unread"].iloc[0] != ""  # unread threads first
