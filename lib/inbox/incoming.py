"""Replies recorded by hand: pasted text or an .eml file."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from lib import eml, rules, users
from lib.db import Cursor, Database, as_id
from lib.inbox.common import campaign_name, current_time, read_creator
from lib.inbox.thread import UPSERT_READ, claim_thread, is_caught_up
from lib.models import (
    MAX_SUBJECT_CHARS,
    MessageChannel,
    Role,
    User,
)

# --- incoming messages, recorded by hand -------------------------------------------------------


@dataclass(frozen=True)
class Incoming:
    subject: str
    body: str
    channel: MessageChannel | str = MessageChannel.EMAIL
    campaign_id: int | None = None
    received_at: dt.datetime | None = None  # None: now
    sender: str | None = None  # an e-mail's From: address, checked against the creator's
    message_id: str | None = None  # an e-mail's Message-ID, to refuse recording it twice


def sender_note(db: Database, creator_id: int, sender: str | None) -> str | None:
    """Why an e-mail from `sender` may not be from this creator, or None when it matches."""
    with db.cursor() as cur:
        return _sender_problem(cur, read_creator(cur, creator_id), sender)


def _sender_problem(
    cur: Cursor, creator: tuple[int, str, str, str | None], sender: str | None
) -> str | None:
    cid, name, _, address = creator
    if sender is None or rules.sender_matches(sender, address):
        return None
    other = cur.execute(
        "SELECT name FROM creators WHERE lower(email) = lower($e) AND id <> $id ORDER BY id"
        " LIMIT 1", {"e": sender, "id": cid},
    ).fetchone()
    on_file = f"{name}'s address is {address}" if address else f"{name} has no address on file"
    whose = f" (it is {other[0]}'s address)" if other else ""
    return f"The e-mail is from {sender}{whose}, but {on_file}."


def record_incoming(
    db: Database, user: User, creator_id: int, incoming: Incoming, allow_other_sender: bool = False,
    now: dt.datetime | None = None,
) -> int:
    """Record a reply from a creator (pasted, or read from a .eml file); returns its id.
    A sender that is not the creator's address is refused unless `allow_other_sender`."""
    grant = rules.require_role(user, Role.STAFF, "record replies")
    channel = rules.parse_channel(incoming.channel)
    subject = rules.check_text(incoming.subject, "The subject", MAX_SUBJECT_CHARS, required=False)
    body = rules.check_body(incoming.body)
    moment = current_time(now)
    received = rules.check_received_at(incoming.received_at, moment)
    header = rules.check_text(incoming.message_id, "The Message-ID", 1000, required=False) or None
    sender = rules.check_email(incoming.sender, required=False) or None

    def write(cur: Cursor) -> int:
        creator = read_creator(cur, creator_id)
        claim_thread(cur, creator[0])  # first: the checks below read the thread
        problem = _sender_problem(cur, creator, sender)
        if problem and not allow_other_sender:
            raise rules.RuleViolation(problem + " Check the creator, or record it anyway.")
        campaign_id = incoming.campaign_id
        if campaign_id is not None:
            campaign_name(cur, campaign_id)
        if header and cur.execute(
            "SELECT 1 FROM messages WHERE creator_id = $cr AND message_id_header = $h",
            {"cr": creator[0], "h": header},
        ).fetchone():
            raise rules.RuleViolation("This e-mail is recorded in the thread already.")
        caught_up = is_caught_up(cur, user, creator[0])
        message_id = cur.execute(
            "INSERT INTO messages (creator_id, campaign_id, direction, kind, subject, body, state,"
            " created_at, created_by, channel, sender, message_id_header, received_at)"
            " VALUES ($cr, $campaign, 'in', 'message', $subject, $body, 'recorded', $now,"
            " $actor, $channel, $sender, $header, $received) RETURNING id",
            {"cr": creator[0], "campaign": None if campaign_id is None
             else as_id(campaign_id, "campaign"), "subject": subject, "body": body, "now": moment,
             "actor": user.username, "channel": channel.value, "sender": sender,
             "header": header, "received": received},
        ).fetchone()[0]
        if caught_up:  # what you record yourself is no news to you (to the others it is)
            cur.execute(UPSERT_READ, {"user": user.id, "cr": creator[0], "last": message_id,
                                       "marked": False, "now": moment})
        return message_id

    return db.write(users.recheck(grant, write))


def read_eml(raw: bytes) -> eml.ParsedEmail:
    """A .eml file's sender, subject, date and text (RuleViolation when it is not one)."""
    return eml.parse_eml(raw)


def record_eml(
    db: Database, user: User, creator_id: int, raw: bytes, campaign_id: int | None = None,
    allow_other_sender: bool = False, now: dt.datetime | None = None,
) -> int:
    """Record an incoming e-mail from its .eml file: its text, subject, date and sender."""
    rules.require_role(user, Role.STAFF, "record replies")
    parsed = eml.parse_eml(raw)
    incoming = Incoming(
        subject=parsed.subject, body=parsed.body, channel=MessageChannel.EMAIL,
        campaign_id=campaign_id, received_at=parsed.date, sender=parsed.sender,
        message_id=parsed.message_id,
    )
    return record_incoming(db, user, creator_id, incoming, allow_other_sender, now)
