"""Notifications for staff users: each new piece of feedback tells the campaign's owner.

Written inside the transaction of what they tell about (lib.reviewers.submit_feedback);
read by the navigation (unread count) and the Notifications page, which marks what it shows
as read. A removed reviewer's notifications are deleted with their feedback.
"""

from __future__ import annotations

from lib import rules, users
from lib.db import Cursor, Database, Page, utcnow
from lib.feedback import OWNERSHIP_SQL, paged
from lib.models import Role, User

PAGE_SIZE = 25


def notify_owner(cur: Cursor, campaign_id: int, feedback_id: int, text: str) -> int | None:
    """Tell the campaign's current owner (campaign_ownership) about a piece of feedback;
    returns the notification's id, or None when the campaign has no owner."""
    row = cur.execute(
        f"SELECT owner_id FROM ({OWNERSHIP_SQL}) WHERE campaign_id = ?", [campaign_id]
    ).fetchone()
    if row is None or row[0] is None:
        return None
    return cur.execute(
        "INSERT INTO notifications (user_id, kind, campaign_id, feedback_id, text, created_at)"
        " VALUES (?, 'feedback', ?, ?, ?, ?) RETURNING id",
        [row[0], campaign_id, feedback_id, text, utcnow()],
    ).fetchone()[0]


def unread_count(db: Database, user: User) -> int:
    return int(db.value(
        "SELECT count(*) FROM notifications WHERE user_id = ? AND read_at IS NULL", [user.id]
    ))


def list_notifications(
    db: Database, user: User, unread_only: bool = False, page: int = 1,
    page_size: int = PAGE_SIZE,
) -> Page:
    """One page of the user's notifications, newest first (only their own)."""
    hits = (
        "SELECT id, kind, campaign_id, feedback_id, text, created_at, read_at"
        " FROM notifications WHERE user_id = $user"
        + (" AND read_at IS NULL" if unread_only else "")
    )
    return paged(db, hits, "created_at DESC, id DESC", {"user": user.id}, page, page_size)


def mark_read(db: Database, user: User, ids: list[int]) -> int:
    """Mark these of the user's own notifications read (others' ids change nothing);
    returns how many were unread."""
    grant = rules.require_role(user, Role.VIEWER, "read notifications")
    wanted = [int(i) for i in ids if -(2**63) <= int(i) < 2**63]
    if not wanted:
        return 0

    def write(cur: Cursor) -> int:
        return len(cur.execute(
            "UPDATE notifications SET read_at = ? WHERE user_id = ? AND read_at IS NULL"
            " AND id IN (SELECT unnest(?::BIGINT[])) RETURNING id",
            [utcnow(), user.id, wanted],
        ).fetchall())

    return db.write(users.recheck(grant, write))
