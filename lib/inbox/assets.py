"""Tracking links and coupon codes sent from a thread."""

from __future__ import annotations

import datetime as dt

import pandas as pd

from lib import rules, users
from lib.db import Cursor, Database, NotFound, as_id
from lib.inbox.common import current_time, mail_settings
from lib.inbox.sending import Delivery, deliver
from lib.models import (
    MAX_NOTE_CHARS,
    AssetKind,
    EventKind,
    Role,
    User,
)

# --- assets ------------------------------------------------------------------------------------


def _asset_text(kind: AssetKind, value: str, campaign: str, note: str) -> tuple[str, str]:
    what = kind.label.lower()
    subject = f"Your {what} for {campaign}"
    lines = [note, "", f"Your {what}: {value}"] if note else [f"Your {what}: {value}"]
    return subject, "\n".join(lines)


def send_asset(
    db: Database, user: User, collab_id: int, kind: AssetKind | str, value: str, note: str = "",
    now: dt.datetime | None = None,
) -> Delivery:
    """Send a tracking link or coupon code for a collaboration by e-mail: the asset is stored
    on the collaboration, with its e-mail (queued) and an asset_sent activity event, in one
    transaction; the e-mail is then sent like any other (failed ones can be retried)."""
    grant = rules.require_role(user, Role.STAFF, "send assets")
    kind, value = rules.check_asset(kind, value)
    note = rules.check_text(note, "The note", MAX_NOTE_CHARS, required=False)
    settings, moment = mail_settings(), current_time(now)
    cid = as_id(collab_id, "collaboration")

    def write(cur: Cursor) -> int:
        row = cur.execute(
            "SELECT c.status, c.creator_id, c.campaign_id, ca.name, cr.name, cr.email"
            " FROM collaborations c JOIN campaigns ca ON ca.id = c.campaign_id"
            " JOIN creators cr ON cr.id = c.creator_id WHERE c.id = $id", {"id": cid},
        ).fetchone()
        if row is None:
            raise NotFound(f"There is no collaboration #{collab_id}.")
        status, creator_id, campaign_id, campaign, name, address = row
        rules.check_send_asset(status)
        if not (address or "").strip():
            raise rules.RuleViolation(f"{name} has no e-mail address on file to send it to.")
        address = rules.check_email(address)
        if cur.execute(
            "SELECT 1 FROM assets WHERE collab_id = $id AND kind = $kind AND value = $value",
            {"id": cid, "kind": kind.value, "value": value},
        ).fetchone():
            raise rules.RuleViolation(
                f"This {kind.label.lower()} was sent for this collaboration already; retry its "
                "e-mail in the thread if it failed."
            )
        subject, body = _asset_text(kind, value, campaign, note)
        message_id = cur.execute(
            "INSERT INTO messages (creator_id, campaign_id, direction, kind, subject, body, state,"
            " created_at, created_by, channel, sender, recipient, queued_at, attempts)"
            " VALUES ($cr, $campaign, 'out', 'asset', $subject, $body, 'queued', $now, $actor,"
            " 'email', $sender, $to, $now, 0) RETURNING id",
            {"cr": creator_id, "campaign": campaign_id, "subject": subject, "body": body,
             "now": moment, "actor": user.username, "sender": settings.sender,
             "to": address},
        ).fetchone()[0]
        cur.execute(
            "INSERT INTO assets (collab_id, kind, value, message_id, created_at, created_by)"
            " VALUES ($id, $kind, $value, $message, $now, $actor)",
            {"id": cid, "kind": kind.value, "value": value, "message": message_id,
             "now": moment, "actor": user.username},
        )
        cur.execute(
            "INSERT INTO activity_events (collab_id, occurred_at, actor, kind, text)"
            " VALUES ($id, $now, $actor, $kind, $text)",
            {"id": cid, "now": moment, "actor": user.username, "kind": EventKind.ASSET_SENT.value,
             "text": f"{kind.label} sent: {value}"},
        )
        cur.execute("UPDATE collaborations SET updated_at = $now WHERE id = $id",
                    {"now": moment, "id": cid})
        return message_id

    message_id = db.write(users.recheck(grant, write))
    return next(iter(deliver(db, user, [message_id], settings, now)))


def assets_of(db: Database, collab_id: int) -> pd.DataFrame:
    """The assets sent for a collaboration, newest first, with their e-mail's state."""
    return db.frame(
        "SELECT a.kind, a.value, a.created_at, a.created_by, m.state FROM assets a"
        " JOIN messages m ON m.id = a.message_id WHERE a.collab_id = $id"
        " ORDER BY a.created_at DESC, a.id DESC",
        {"id": as_id(collab_id, "collaboration")},
    )
