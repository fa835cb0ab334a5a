"""One creator: the thread, the card beside it, and the per-user read state."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import pandas as pd

from lib import rules, users
from lib.campaigns import STATE_SQL
from lib.db import Cursor, Database, as_id
from lib.inbox.common import THREAD_LIMIT, current_time, read_creator
from lib.models import (
    Role,
    User,
)

# --- one creator: the thread and what sits beside it --------------------------------------------


@dataclass(frozen=True)
class ThreadItem:
    source: str  # "message" or "gift" (a shipment)
    id: int
    at: dt.datetime
    direction: str  # "in" or "out"
    kind: str  # message kinds, or "gift"
    channel: str | None
    subject: str
    body: str
    state: str  # a message's state, or a shipment's status
    error: str | None
    campaign: str | None
    sender: str | None
    recipient: str | None
    created_by: str
    sent_at: dt.datetime | None
    queued_at: dt.datetime | None
    attempts: int
    asset_kind: str | None
    asset_value: str | None


_THREAD_SQL = """
    SELECT * FROM (
        SELECT 'message' AS source, m.id, coalesce(m.received_at, m.created_at) AS occurred_at,
               m.direction, m.kind, m.channel, m.subject, m.body, m.state, m.error,
               ca.name AS campaign, m.sender, m.recipient, m.created_by, m.sent_at, m.queued_at,
               coalesce(m.attempts, 0) AS attempts, a.kind AS asset_kind, a.value AS asset_value
        FROM messages m LEFT JOIN campaigns ca ON ca.id = m.campaign_id
        LEFT JOIN assets a ON a.message_id = m.id
        WHERE m.creator_id = $cr
        UNION ALL
        SELECT 'gift', s.id, s.created_at, 'out', 'gift', NULL, s.item,
               concat_ws(' · ', nullif(s.carrier, ''),
                         CASE WHEN s.tracking_number <> '' THEN 'tracking ' || s.tracking_number
                         END,
                         CASE WHEN s.shipped_on IS NOT NULL THEN 'shipped ' || s.shipped_on END,
                         CASE WHEN s.delivered_on IS NOT NULL
                              THEN 'delivered ' || s.delivered_on END),
               s.status, s.exception_reason, ca.name, NULL, s.address, '', NULL, NULL, 0,
               NULL, NULL
        FROM shipments s JOIN collaborations c ON c.id = s.collab_id
        JOIN campaigns ca ON ca.id = c.campaign_id
        WHERE c.creator_id = $cr
    )
    ORDER BY occurred_at DESC, source DESC, id DESC
    LIMIT $limit
"""


def thread(
    db: Database, creator_id: int, limit: int = THREAD_LIMIT
) -> tuple[list[ThreadItem], int]:
    """The newest `limit` items of a creator's thread, oldest to newest, and how many in all:
    messages and e-mails both ways, workflow notices, assets, and product gifts (shipments)."""
    with db.cursor() as cur:
        cid = read_creator(cur, creator_id)[0]
        rows = cur.execute(_THREAD_SQL, {"cr": cid, "limit": int(limit)}).fetchall()
        total = cur.execute(
            "SELECT (SELECT count(*) FROM messages WHERE creator_id = $cr)"
            " + (SELECT count(*) FROM shipments s JOIN collaborations c ON c.id = s.collab_id"
            "    WHERE c.creator_id = $cr)", {"cr": cid},
        ).fetchone()[0]
    return [ThreadItem(*row) for row in reversed(rows)], int(total)


def creator_card(db: Database, creator_id: int) -> dict[str, Any]:
    """Contact details and tags of one creator."""
    with db.cursor() as cur:
        cid = read_creator(cur, creator_id)[0]
        cur.execute(
            "SELECT id, name, handle, platform, email, phone, address, followers,"
            " engagement_rate FROM creators WHERE id = $id", {"id": cid},
        )
        names = [d[0] for d in cur.description]
        card = dict(zip(names, cur.fetchone(), strict=True))
        card["tags"] = [r[0] for r in cur.execute(
            "SELECT tag FROM creator_tags WHERE creator_id = $id ORDER BY tag", {"id": cid}
        ).fetchall()]
    return card


def collaborations_of(db: Database, creator_id: int) -> pd.DataFrame:
    """The creator's collaborations, newest first (assets are sent for one of them)."""
    return db.frame(
        "SELECT c.id, ca.name AS campaign, c.status, c.compensation::DOUBLE AS compensation,"
        " c.currency, c.due_date FROM collaborations c JOIN campaigns ca ON ca.id = c.campaign_id"
        " WHERE c.creator_id = $cr ORDER BY c.created_at DESC, c.id DESC",
        {"cr": as_id(creator_id, "creator")},
    )


def asset_collaborations(db: Database, creator_id: int) -> pd.DataFrame:
    """The creator's collaborations an asset may be sent for (rules.check_send_asset)."""
    found = collaborations_of(db, creator_id)
    allowed = []
    for status in found["status"]:
        try:
            rules.check_send_asset(status)
        except rules.RuleViolation:
            allowed.append(False)
        else:
            allowed.append(True)
    return found[allowed]


def notes_of(db: Database, creator_id: int, limit: int = 20) -> pd.DataFrame:
    """The newest notes on the creator's collaborations."""
    return db.frame(
        "SELECT e.occurred_at, ca.name AS campaign, e.actor, e.text FROM activity_events e"
        " JOIN collaborations c ON c.id = e.collab_id JOIN campaigns ca ON ca.id = c.campaign_id"
        " WHERE c.creator_id = $cr AND e.kind = 'note'"
        " ORDER BY e.occurred_at DESC, e.id DESC LIMIT $limit",
        {"cr": as_id(creator_id, "creator"), "limit": int(limit)},
    )


def payments_of(db: Database, creator_id: int) -> pd.DataFrame:
    return db.frame(
        "SELECT p.paid_on, ca.name AS campaign, p.amount::DOUBLE AS amount, p.currency,"
        " p.reference FROM payments p JOIN collaborations c ON c.id = p.collab_id"
        " JOIN campaigns ca ON ca.id = c.campaign_id WHERE c.creator_id = $cr"
        " ORDER BY p.paid_on DESC, p.id DESC",
        {"cr": as_id(creator_id, "creator")},
    )


def agreements_of(db: Database, creator_id: int, now: dt.datetime | None = None) -> pd.DataFrame:
    return db.frame(
        f"SELECT ca.name AS campaign, {STATE_SQL.format(t='g')} AS state,"
        " g.compensation::DOUBLE AS compensation, g.currency, g.sent_at, g.deadline,"
        " g.responded_at FROM agreements g JOIN applications a ON a.id = g.application_id"
        " JOIN campaigns ca ON ca.id = a.campaign_id WHERE a.creator_id = $cr"
        " ORDER BY g.sent_at DESC, g.id DESC",
        {"cr": as_id(creator_id, "creator"), "now": current_time(now)},
    )


# --- read state (per user) ----------------------------------------------------------------------

UPSERT_READ = (
    "INSERT INTO thread_reads (user_id, creator_id, last_read_id, marked_unread, updated_at)"
    " VALUES ($user, $cr, $last, $marked, $now) ON CONFLICT (user_id, creator_id) DO UPDATE"
    " SET last_read_id = greatest(thread_reads.last_read_id, excluded.last_read_id),"
    " marked_unread = excluded.marked_unread, updated_at = excluded.updated_at"
)


# The newest incoming message of a thread: what a read mark stands for. Only incoming messages
# count as unread, and claim_thread makes their ids grow in the order they are committed, so a
# message another transaction has not committed yet always gets an id above this one.
_NEWEST_INCOMING = ("SELECT coalesce(max(id), 0) FROM messages WHERE creator_id = $cr"
                    " AND direction = 'in'")


def claim_thread(cur: Cursor, creator_id: int) -> None:
    """Claim a creator's thread before an incoming message is written to it: of two
    transactions writing to one thread at once (two servers, two sessions), the later one is
    refused as a write conflict and retried on a snapshot that holds the other's message.
    Without it, a read mark set from a snapshot could pass over a message committed just
    after (counted as read by someone who never saw it), and one e-mail could be recorded
    twice. A no-op update of the creator's row, as the campaigns' workflow_seq claim."""
    cur.execute("UPDATE creators SET validation_override = validation_override WHERE id = $cr",
                {"cr": creator_id})


def is_caught_up(cur: Cursor, user: User, creator_id: int) -> bool:
    """Whether `user` has seen every incoming message of the thread (and not marked it
    unread)."""
    newest, seen, marked = cur.execute(
        f"SELECT ({_NEWEST_INCOMING}),"
        " r.last_read_id, r.marked_unread FROM (SELECT 1) LEFT JOIN thread_reads r"
        " ON r.user_id = $user AND r.creator_id = $cr", {"cr": creator_id, "user": user.id},
    ).fetchone()
    return not marked and (seen or 0) >= newest


def mark_read(db: Database, user: User, creator_id: int, now: dt.datetime | None = None) -> None:
    """Opening a thread: everything in it so far counts as read, for this user only."""
    grant = rules.require_role(user, Role.VIEWER, "read threads")
    moment = current_time(now)

    def write(cur: Cursor) -> None:
        cid = read_creator(cur, creator_id)[0]
        last = cur.execute(_NEWEST_INCOMING, {"cr": cid}).fetchone()[0]
        cur.execute(UPSERT_READ, {"user": user.id, "cr": cid, "last": last, "marked": False,
                                   "now": moment})

    db.write(users.recheck(grant, write))


def mark_unread(db: Database, user: User, creator_id: int, now: dt.datetime | None = None) -> None:
    """Mark a thread unread again, for this user only: it counts as unread (at least 1) and
    sorts with the unread ones until it is opened again."""
    grant = rules.require_role(user, Role.VIEWER, "mark threads unread")
    moment = current_time(now)

    def write(cur: Cursor) -> None:
        cid = read_creator(cur, creator_id)[0]
        cur.execute(UPSERT_READ, {"user": user.id, "cr": cid, "last": 0, "marked": True,
                                   "now": moment})

    db.write(users.recheck(grant, write))
