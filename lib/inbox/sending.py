"""Messages to creators: a draft planned per recipient, queued in one transaction, sent over
SMTP outside it, each recorded sent or failed; retry of stale or failed ones."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from lib import mail, rules, users
from lib.db import Cursor, Database, NotFound, as_id
from lib.inbox.common import campaign_name, current_time, mail_settings
from lib.inbox.standing import Standing, read_standings
from lib.mail import MailSettings, Outgoing
from lib.models import (
    MAX_MASS_RECIPIENTS,
    MessageChannel,
    MessageState,
    Role,
    User,
)

# --- writing to creators ---------------------------------------------------------------------


@dataclass(frozen=True)
class Draft:
    subject: str
    body: str
    campaign_id: int | None = None


@dataclass(frozen=True)
class Ready:
    """A message that can go: merge fields filled in for this creator."""

    creator_id: int
    name: str
    email: str
    subject: str
    body: str


@dataclass(frozen=True)
class Skipped:
    creator_id: int
    name: str
    reason: str


@dataclass(frozen=True)
class Plan:
    """What sending a draft to some creators would do: who gets what, who is skipped and why."""

    draft: Draft
    campaign: str | None
    ready: tuple[Ready, ...]
    skipped: tuple[Skipped, ...]

    def previews(self, count: int = 2) -> tuple[Ready, ...]:
        return self.ready[:count]


def _checked_draft(draft: Draft) -> Draft:
    subject = rules.check_subject(draft.subject)
    body = rules.check_body(draft.body)
    used = rules.merge_fields_in(subject) | rules.merge_fields_in(body)
    campaign_id = None if draft.campaign_id is None else as_id(draft.campaign_id, "campaign")
    if "campaign" in used and campaign_id is None:
        raise rules.RuleViolation(
            "The message uses {campaign} but is about no campaign; choose the campaign."
        )
    return Draft(subject, body, campaign_id)


def _recipient_ids(creator_ids: Iterable[object]) -> list[int]:
    ids = list(dict.fromkeys(as_id(i, "creator") for i in creator_ids))
    if not ids:
        raise rules.RuleViolation("Choose at least one creator to write to.")
    if len(ids) > MAX_MASS_RECIPIENTS:
        raise rules.RuleViolation(
            f"{len(ids):,} creators chosen; a message goes to at most {MAX_MASS_RECIPIENTS:,} "
            "at once."
        )
    return ids


def _plan(cur: Cursor, draft: Draft, ids: list[int], now: dt.datetime) -> Plan:
    """Judge every recipient: an e-mail address, the campaign rule, every merge field's value."""
    found = {r[0]: r[1:] for r in cur.execute(
        "SELECT id, name, handle, email FROM creators WHERE id IN (SELECT unnest($ids::BIGINT[]))",
        {"ids": ids},
    ).fetchall()}
    campaign = None if draft.campaign_id is None else campaign_name(cur, draft.campaign_id)
    standings = ({} if draft.campaign_id is None
                 else read_standings(cur, draft.campaign_id, ids, now))
    ready, skipped = [], []
    for cid in ids:
        if cid not in found:
            skipped.append(Skipped(cid, f"#{cid}", f"There is no creator #{cid}."))
            continue
        name, handle, address = found[cid]
        try:
            ready.append(_ready(cid, name, handle, address, draft, campaign, standings.get(cid)))
        except rules.RuleViolation as why:
            skipped.append(Skipped(cid, name, str(why)))
    return Plan(draft, campaign, tuple(ready), tuple(skipped))


def _ready(
    cid: int, name: str, handle: str, address: str | None, draft: Draft, campaign: str | None,
    standing: Standing | None,
) -> Ready:
    if not (address or "").strip():
        raise rules.RuleViolation("No e-mail address on file.")
    try:
        address = rules.check_email(address)
    except rules.RuleViolation as why:
        raise rules.RuleViolation(f"The address on file is unusable: {why}") from None
    if standing is not None:
        rules.check_message_about_campaign(name, standing)
    values = {"first_name": rules.first_name(name), "handle": handle, "campaign": campaign}
    body = rules.render_merge(draft.body, values)
    try:  # a merged-in value may make it too long, or hold a line break
        subject = rules.check_subject(rules.render_merge(draft.subject, values))
    except rules.RuleViolation as why:
        raise rules.RuleViolation(f"For this creator: {why}") from None
    return Ready(cid, name, address, subject, body)


def plan_messages(
    db: Database, user: User, draft: Draft, creator_ids: Iterable[object],
    now: dt.datetime | None = None,
) -> Plan:
    """What sending `draft` to these creators would do (the preview); writes nothing."""
    rules.require_role(user, Role.STAFF, "write to creators")
    draft, ids = _checked_draft(draft), _recipient_ids(creator_ids)
    with db.cursor() as cur:
        return _plan(cur, draft, ids, current_time(now))


@dataclass(frozen=True)
class Queued:
    message_ids: tuple[int, ...]
    plan: Plan


def queue_messages(
    db: Database, user: User, draft: Draft, creator_ids: Iterable[object],
    now: dt.datetime | None = None,
) -> Queued:
    """Write one `queued` message per creator who can get it, in one transaction; the plan
    (judged again inside the transaction) says who was skipped and why. Nothing is written when
    nobody can get it, or when e-mail is not configured. Send them with deliver()."""
    grant = rules.require_role(user, Role.STAFF, "write to creators")
    draft, ids = _checked_draft(draft), _recipient_ids(creator_ids)
    settings, moment = mail_settings(), current_time(now)

    def write(cur: Cursor) -> Queued:
        plan = _plan(cur, draft, ids, moment)
        if not plan.ready:
            reasons = "; ".join(f"{s.name}: {s.reason}" for s in plan.skipped[:3])
            raise rules.RuleViolation(f"Nobody can get this message. {reasons}")
        rows = cur.execute(
            "INSERT INTO messages (creator_id, campaign_id, direction, kind, subject, body, state,"
            " created_at, created_by, channel, sender, recipient, queued_at, attempts)"
            " SELECT unnest($creators::BIGINT[]), $campaign, 'out', 'message',"
            " unnest($subjects::VARCHAR[]), unnest($bodies::VARCHAR[]), 'queued', $now, $actor,"
            " 'email', $sender, unnest($recipients::VARCHAR[]), $now, 0"
            " RETURNING creator_id, id",
            {"creators": [r.creator_id for r in plan.ready], "campaign": draft.campaign_id,
             "subjects": [r.subject for r in plan.ready], "bodies": [r.body for r in plan.ready],
             "recipients": [r.email for r in plan.ready], "now": moment,
             "actor": user.username, "sender": settings.sender},
        ).fetchall()
        by_creator = dict(rows)
        return Queued(tuple(by_creator[r.creator_id] for r in plan.ready), plan)

    return db.write(users.recheck(grant, write))


@dataclass(frozen=True)
class Delivery:
    message_id: int
    creator_id: int
    recipient: str
    error: str | None  # None: sent

    @property
    def sent(self) -> bool:
        return self.error is None


def deliver(
    db: Database, user: User, message_ids: Iterable[int], settings: MailSettings | None = None,
    now: dt.datetime | None = None,
) -> Iterator[Delivery]:
    """Send queued messages over one SMTP session, outside any transaction; record each as sent
    (with its Message-ID) or failed (with the server's answer) as it goes, and yield it.
    Messages that are not queued (sent meanwhile by someone else) are left alone."""
    rules.require_role(user, Role.STAFF, "send messages")
    settings = settings or mail_settings()
    ids = [as_id(i, "message") for i in message_ids]
    rows = db.rows(
        "SELECT id, creator_id, recipient, subject, body FROM messages"
        " WHERE id IN (SELECT unnest($ids::BIGINT[])) AND state = 'queued' ORDER BY id",
        {"ids": ids},
    )
    return _deliveries(db, settings, rows, now)


def _deliveries(
    db: Database, settings: MailSettings, rows: list[tuple], now: dt.datetime | None
) -> Iterator[Delivery]:
    if not rows:
        return
    outgoing = [Outgoing(to=r[2], subject=r[3], body=r[4]) for r in rows]
    results = mail.send_many(settings, outgoing)
    for (message_id, creator_id, recipient, _, _), (_, header, error) in zip(
        rows, results, strict=True
    ):
        _record_outcome(db, message_id, header, error, settings.sender, now)
        yield Delivery(message_id, creator_id, recipient, error)


def _record_outcome(
    db: Database, message_id: int, header: str | None, error: str | None, sender: str,
    now: dt.datetime | None,
) -> None:
    def write(cur: Cursor) -> None:
        cur.execute(
            "UPDATE messages SET state = $state, error = $error, message_id_header = $header,"
            " sent_at = $sent_at, sender = $sender, attempts = coalesce(attempts, 0) + 1"
            " WHERE id = $id AND state = 'queued'",
            {"state": (MessageState.FAILED if error else MessageState.SENT).value,
             "error": error, "header": header, "sent_at": None if error else current_time(now),
             "sender": sender, "id": message_id},
        )

    db.write(write)


def send_message(
    db: Database, user: User, creator_id: int, draft: Draft, now: dt.datetime | None = None
) -> Delivery:
    """Write to one creator: queue, send, record. RuleViolation (nothing written) when the
    creator cannot get it, saying why; a refused or failed send comes back as a failed
    Delivery (the message is kept, failed, and can be retried)."""
    queued = queue_messages(db, user, draft, [creator_id], now)
    return next(iter(deliver(db, user, queued.message_ids, now=now)))


def retry(
    db: Database, user: User, message_id: int, now: dt.datetime | None = None
) -> Delivery:
    """Send a failed message again (or a queued one a crash left behind), to the creator's
    current address."""
    grant = rules.require_role(user, Role.STAFF, "send messages")
    settings, moment = mail_settings(), current_time(now)
    mid = as_id(message_id, "message")

    def write(cur: Cursor) -> None:
        row = cur.execute(
            "SELECT m.state, m.queued_at, m.direction, m.channel, cr.email FROM messages m"
            " JOIN creators cr ON cr.id = m.creator_id WHERE m.id = $id", {"id": mid},
        ).fetchone()
        if row is None:
            raise NotFound(f"There is no message #{message_id}.")
        state, queued_at, direction, channel, address = row
        if direction != "out" or channel != MessageChannel.EMAIL:
            raise rules.RuleViolation("Only e-mails the agency sent can be retried.")
        rules.check_retry(state, queued_at, moment)
        if not (address or "").strip():
            raise rules.RuleViolation("The creator has no e-mail address on file any more.")
        cur.execute(
            "UPDATE messages SET state = 'queued', error = NULL, queued_at = $now,"
            " recipient = $to, sender = $sender WHERE id = $id",
            {"now": moment, "to": rules.check_email(address), "sender": settings.sender,
             "id": mid},
        )

    db.write(users.recheck(grant, write))
    return next(iter(deliver(db, user, [mid], settings, now)))
