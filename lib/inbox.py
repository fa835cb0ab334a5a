"""The inbox: every interaction with a creator in one thread, per-user unread state, messages
by e-mail to one creator or many, replies recorded by hand, and assets sent from a thread.

Reads are plain SQL; the creator list is ordered (unread first, then the most recent
interaction), counted and paged in one statement. Writes check the role first (staff and up
write and send; anyone logged in keeps their own read state), ask lib/rules.py, and write in
one `db.write`.

Sending never holds a transaction open during SMTP: the messages are written as `queued` in one
transaction (queue_messages), sent over one SMTP session outside it (deliver), and each is then
recorded `sent` (with its Message-ID) or `failed` (with the server's answer) in a short
transaction of its own. A crash in between leaves them queued, and retry() sends them again
once they are stale (rules.check_retry).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

import pandas as pd

from lib import eml, mail, rules, users
from lib.campaigns import STATE_SQL
from lib.db import Cursor, Database, NotFound, Page, as_id, utcnow
from lib.mail import MailError, MailSettings, Outgoing
from lib.models import (
    MAX_MASS_RECIPIENTS,
    MAX_NOTE_CHARS,
    MAX_SEARCH_CHARS,
    MAX_SUBJECT_CHARS,
    ApplicationStage,
    AssetKind,
    CampaignStanding,
    CollabStatus,
    EventKind,
    MessageChannel,
    MessageState,
    Role,
    User,
)

PAGE_SIZES = (25, 50, 100)
THREAD_LIMIT = 200  # the newest items of a thread shown at once

NOT_CONFIGURED = (
    "E-mail is not set up, so nothing was sent. Set COLLABDESK_SMTP_HOST (the SMTP server) and "
    "COLLABDESK_MAIL_FROM (the agency's sender address), and as needed COLLABDESK_SMTP_PORT, "
    "COLLABDESK_SMTP_TLS, COLLABDESK_SMTP_USER and COLLABDESK_SMTP_PASSWORD; then restart the app."
)


def _now(now: dt.datetime | None) -> dt.datetime:
    return now or utcnow()


def _creator(cur: Cursor, creator_id: object) -> tuple[int, str, str, str | None]:
    """(id, name, handle, e-mail) of a creator; NotFound when there is none."""
    cid = as_id(creator_id, "creator")
    row = cur.execute(
        "SELECT id, name, handle, email FROM creators WHERE id = $id", {"id": cid}
    ).fetchone()
    if row is None:
        raise NotFound(f"There is no creator #{creator_id}.")
    return row


def _campaign_name(cur: Cursor, campaign_id: object) -> str:
    row = cur.execute(
        "SELECT name FROM campaigns WHERE id = $id", {"id": as_id(campaign_id, "campaign")}
    ).fetchone()
    if row is None:
        raise NotFound(f"There is no campaign #{campaign_id}.")
    return row[0]


# --- mail settings ---------------------------------------------------------------------------


def mail_settings() -> MailSettings:
    """The SMTP settings; RuleViolation saying what to configure when there are none."""
    try:
        settings = MailSettings.from_env()
    except MailError as error:
        raise rules.RuleViolation(
            f"E-mail is misconfigured, so nothing was sent: {error}"
        ) from None
    if settings is None:
        raise rules.RuleViolation(NOT_CONFIGURED)
    return settings


def mail_problem() -> str | None:
    """Why e-mail cannot be sent now (for the page to say up front), or None."""
    try:
        mail_settings()
    except rules.RuleViolation as why:
        return str(why)
    return None


# --- the creator list ------------------------------------------------------------------------


@dataclass(frozen=True)
class InboxFilter:
    search: str = ""  # in the name, @handle or e-mail
    campaign_id: int | None = None
    tag: str | None = None

    def where(self) -> tuple[str, dict[str, Any]]:
        """SQL over `cr` (creators), and its parameters."""
        text = rules.check_text(self.search, "The search", MAX_SEARCH_CHARS, required=False)
        term = text.lstrip("@").lower()
        clauses, params = ["true"], {}
        if term:
            clauses.append(
                "(contains(lower(cr.name), $term) OR contains(lower(cr.handle), $term)"
                " OR contains(lower(coalesce(cr.email, '')), $term))"
            )
            params["term"] = term
        if self.campaign_id is not None:
            clauses.append(
                "cr.id IN (SELECT creator_id FROM applications WHERE campaign_id = $campaign"
                " UNION ALL SELECT creator_id FROM collaborations WHERE campaign_id = $campaign)"
            )
            params["campaign"] = as_id(self.campaign_id, "campaign")
        if self.tag:
            clauses.append("cr.id IN (SELECT creator_id FROM creator_tags WHERE tag = $tag)")
            params["tag"] = self.tag
        return " AND ".join(clauses), params


# Per creator with messages: when the last one happened and how many incoming ones this user
# has not seen. {scope} narrows the messages to the matching creators when a filter is set.
_ACTIVITY_SQL = """
    seen AS (
        SELECT creator_id, last_read_id, marked_unread FROM thread_reads WHERE user_id = $user
    ),
    activity AS (
        SELECT m.creator_id, max(coalesce(m.received_at, m.created_at)) AS last_at,
               count(*) FILTER (WHERE m.direction = 'in'
                                  AND m.id > coalesce(s.last_read_id, 0)) AS unread_messages
        FROM messages m LEFT JOIN seen s ON s.creator_id = m.creator_id
        {scope}
        GROUP BY m.creator_id
    )
"""
# What a thread shows as its unread count: the unseen incoming messages, at least 1 when the
# user marked it unread. {a} and {s} are the activity and seen aliases.
_UNREAD_SQL = (
    "greatest(coalesce({a}.unread_messages, 0),"
    " CASE WHEN coalesce({s}.marked_unread, false) THEN 1 ELSE 0 END)"
)
_LIST_SQL = f"""
    WITH hits AS (SELECT cr.id FROM creators cr WHERE {{where}}),
    {_ACTIVITY_SQL},
    ranked AS (
        SELECT h.id, a.last_at, {_UNREAD_SQL.format(a="a", s="s")} AS unread
        FROM hits h LEFT JOIN activity a ON a.creator_id = h.id
        LEFT JOIN seen s ON s.creator_id = h.id
    ),
    page AS (
        SELECT * FROM ranked ORDER BY unread > 0 DESC, last_at DESC NULLS LAST, id
        LIMIT $limit OFFSET $offset
    )
    SELECT p.id, cr.name, cr.handle, cr.email, p.unread, p.last_at,
           (SELECT count(*) FROM ranked) AS total
    FROM page p JOIN creators cr ON cr.id = p.id
    ORDER BY p.unread > 0 DESC, p.last_at DESC NULLS LAST, p.id
"""
_LAST_SUBJECT_SQL = """
    SELECT creator_id AS id,
           arg_max(CASE WHEN subject = '' THEN left(body, 80) ELSE subject END,
                   (coalesce(received_at, created_at), id)) AS last_subject
    FROM messages WHERE creator_id IN (SELECT unnest($ids::BIGINT[])) GROUP BY creator_id
"""


def _check_page_size(page_size: int) -> None:
    if not isinstance(page_size, int) or not 1 <= page_size <= max(PAGE_SIZES):
        raise rules.RuleViolation(
            f"A page has 1 to {max(PAGE_SIZES)} creators, not {rules.shown(page_size)}."
        )


def list_creators(
    db: Database,
    user: User,
    filt: InboxFilter | None = None,
    page: int = 1,
    page_size: int = 25,
    now: dt.datetime | None = None,
) -> Page:
    """One page of creators for `user`: those with unread messages first, then by the most
    recent interaction (creators without any come last, by id); with each one's unread count
    and last subject, and with a campaign filter, their standing in that campaign."""
    rules.require_role(user, Role.VIEWER, "read the inbox")
    filt = filt or InboxFilter()
    _check_page_size(page_size)
    where, params = filt.where()
    scope = "" if where == "true" else "WHERE m.creator_id IN (SELECT id FROM hits)"
    sql = _LIST_SQL.replace("{where}", where).replace("{scope}", scope)
    page = max(1, min(int(page), 2**40))
    values = {**params, "user": user.id, "limit": page_size, "offset": (page - 1) * page_size}
    rows = db.frame(sql, values)
    if rows.empty and page > 1:  # past the last page: show the last one
        total = int(db.value(f"SELECT count(*) FROM creators cr WHERE {where}", params))
        page = max(1, -(-total // page_size))
        rows = db.frame(sql, {**values, "offset": (page - 1) * page_size})
    total = int(rows.pop("total").iloc[0]) if len(rows) else 0
    ids = [int(i) for i in rows["id"]]
    subjects = db.frame(_LAST_SUBJECT_SQL, {"ids": ids}) if ids else None
    rows["last_subject"] = rows["id"].map(
        {} if subjects is None else dict(zip(subjects["id"], subjects["last_subject"], strict=True))
    )
    if filt.campaign_id is not None:
        with db.cursor() as cur:
            standings = _standings(cur, filt.campaign_id, ids, _now(now))
        rows["standing"] = [standing_label(standings[i]) for i in ids]
        rows["may_message"] = [_allowed(standings[i]) for i in ids]
    return Page(rows, total, page, page_size)


def matching_creator_ids(db: Database, filt: InboxFilter) -> list[int]:
    """Every creator matching `filt` (for "everyone matching the filter"), at most
    MAX_MASS_RECIPIENTS; RuleViolation asking to narrow the filter beyond that."""
    where, params = filt.where()
    ids = [r[0] for r in db.rows(
        f"SELECT cr.id FROM creators cr WHERE {where} ORDER BY cr.id"
        f" LIMIT {MAX_MASS_RECIPIENTS + 1}", params,
    )]
    if len(ids) > MAX_MASS_RECIPIENTS:
        raise rules.RuleViolation(
            f"More than {MAX_MASS_RECIPIENTS:,} creators match; a mass message goes to at most "
            f"{MAX_MASS_RECIPIENTS:,} at once. Narrow the filter."
        )
    return ids


def unread_total(db: Database, user: User) -> int:
    """The sum of the unread counts of every thread of `user` (the navigation shows it)."""
    sql = f"""
        WITH {_ACTIVITY_SQL.replace("{scope}", "WHERE m.direction = 'in'")}
        SELECT coalesce(sum({_UNREAD_SQL.format(a="a", s="s")}), 0)
        FROM activity a FULL JOIN (SELECT * FROM seen WHERE marked_unread) s
             ON s.creator_id = a.creator_id
    """
    return int(db.value(sql, {"user": user.id}))


# --- a creator's standing in a campaign --------------------------------------------------------

_STANDING_SQL = f"""
    SELECT x.id,
           (SELECT c.status FROM collaborations c
            WHERE c.campaign_id = $campaign AND c.creator_id = x.id
            ORDER BY c.id DESC LIMIT 1) AS collab_status,
           a.stage, {STATE_SQL.format(t="g")} AS agreement
    FROM (SELECT unnest($ids::BIGINT[]) AS id) x
    LEFT JOIN applications a ON a.campaign_id = $campaign AND a.creator_id = x.id
    LEFT JOIN agreements g ON g.application_id = a.id
"""


@dataclass(frozen=True)
class Standing(CampaignStanding):
    collab_status: str | None = None


def _standings(
    cur: Cursor, campaign_id: int, creator_ids: list[int], now: dt.datetime
) -> dict[int, Standing]:
    """Each creator's place in the campaign: collaboration, agreement, application stage."""
    name = _campaign_name(cur, campaign_id)
    rows = cur.execute(
        _STANDING_SQL, {"campaign": int(campaign_id), "ids": creator_ids, "now": now}
    ).fetchall()
    return {
        cid: Standing(name, status is not None, stage, agreement, status)
        for cid, status, stage, agreement in rows
    }


def standing_label(standing: Standing) -> str:
    """How a creator stands in a campaign, in words: the furthest step they reached."""
    if standing.collab_status:
        return f"Collaboration {CollabStatus(standing.collab_status).label.lower()}"
    if standing.agreement_state:
        return f"Agreement {standing.agreement_state}"
    if standing.application_stage:
        return ApplicationStage(standing.application_stage).label
    return "Not in this campaign"


def _allowed(standing: Standing) -> bool:
    try:
        rules.check_message_about_campaign("", standing)
    except rules.RuleViolation:
        return False
    return True


def campaign_permission(
    db: Database, creator_id: int, campaign_id: int, now: dt.datetime | None = None
) -> str | None:
    """Why staff may not write to this creator about this campaign, or None when they may."""
    with db.cursor() as cur:
        _, name, _, _ = _creator(cur, creator_id)
        standing = _standings(cur, campaign_id, [int(creator_id)], _now(now))[int(creator_id)]
    try:
        rules.check_message_about_campaign(name, standing)
    except rules.RuleViolation as why:
        return str(why)
    return None


def creator_campaigns(
    db: Database, creator_id: int, now: dt.datetime | None = None
) -> pd.DataFrame:
    """The campaigns a creator applied to, was invited to or collaborates in, newest first,
    with their standing and whether staff may write to them about it."""
    with db.cursor() as cur:
        _creator(cur, creator_id)
        found = cur.execute(
            "SELECT ca.id, ca.name, cl.name FROM campaigns ca"
            " JOIN campaign_ownership co ON co.campaign_id = ca.id"
            " JOIN clients cl ON cl.id = co.client_id WHERE ca.id IN ("
            " SELECT campaign_id FROM applications WHERE creator_id = $cr UNION ALL"
            " SELECT campaign_id FROM collaborations WHERE creator_id = $cr)"
            " ORDER BY ca.start_date DESC, ca.id DESC",
            {"cr": int(creator_id)},
        ).fetchall()
        rows = []
        for campaign_id, name, client in found:
            standing = _standings(cur, campaign_id, [int(creator_id)], _now(now))[int(creator_id)]
            rows.append((campaign_id, name, client, standing_label(standing), _allowed(standing)))
    return pd.DataFrame(rows, columns=["id", "name", "client", "standing", "may_message"])


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
        cid = _creator(cur, creator_id)[0]
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
        cid = _creator(cur, creator_id)[0]
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
        {"cr": as_id(creator_id, "creator"), "now": _now(now)},
    )


# --- read state (per user) ----------------------------------------------------------------------

_UPSERT_READ = (
    "INSERT INTO thread_reads (user_id, creator_id, last_read_id, marked_unread, updated_at)"
    " VALUES ($user, $cr, $last, $marked, $now) ON CONFLICT (user_id, creator_id) DO UPDATE"
    " SET last_read_id = greatest(thread_reads.last_read_id, excluded.last_read_id),"
    " marked_unread = excluded.marked_unread, updated_at = excluded.updated_at"
)


def _caught_up(cur: Cursor, user: User, creator_id: int) -> bool:
    """Whether `user` has seen everything in the thread (and not marked it unread)."""
    newest, seen, marked = cur.execute(
        "SELECT (SELECT coalesce(max(id), 0) FROM messages WHERE creator_id = $cr),"
        " r.last_read_id, r.marked_unread FROM (SELECT 1) LEFT JOIN thread_reads r"
        " ON r.user_id = $user AND r.creator_id = $cr", {"cr": creator_id, "user": user.id},
    ).fetchone()
    return not marked and (seen or 0) >= newest


def mark_read(db: Database, user: User, creator_id: int, now: dt.datetime | None = None) -> None:
    """Opening a thread: everything in it so far counts as read, for this user only."""
    grant = rules.require_role(user, Role.VIEWER, "read threads")
    moment = _now(now)

    def write(cur: Cursor) -> None:
        cid = _creator(cur, creator_id)[0]
        last = cur.execute(
            "SELECT coalesce(max(id), 0) FROM messages WHERE creator_id = $cr", {"cr": cid}
        ).fetchone()[0]
        cur.execute(_UPSERT_READ, {"user": user.id, "cr": cid, "last": last, "marked": False,
                                   "now": moment})

    db.write(users.recheck(grant, write))


def mark_unread(db: Database, user: User, creator_id: int, now: dt.datetime | None = None) -> None:
    """Mark a thread unread again, for this user only: it counts as unread (at least 1) and
    sorts with the unread ones until it is opened again."""
    grant = rules.require_role(user, Role.VIEWER, "mark threads unread")
    moment = _now(now)

    def write(cur: Cursor) -> None:
        cid = _creator(cur, creator_id)[0]
        cur.execute(_UPSERT_READ, {"user": user.id, "cr": cid, "last": 0, "marked": True,
                                   "now": moment})

    db.write(users.recheck(grant, write))


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
    campaign = None if draft.campaign_id is None else _campaign_name(cur, draft.campaign_id)
    standings = {} if draft.campaign_id is None else _standings(cur, draft.campaign_id, ids, now)
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
        return _plan(cur, draft, ids, _now(now))


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
    settings, moment = mail_settings(), _now(now)

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
             "error": error, "header": header, "sent_at": None if error else _now(now),
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
    settings, moment = mail_settings(), _now(now)
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
        return _sender_problem(cur, _creator(cur, creator_id), sender)


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
    moment = _now(now)
    received = rules.check_received_at(incoming.received_at, moment)
    header = rules.check_text(incoming.message_id, "The Message-ID", 1000, required=False) or None
    sender = rules.check_email(incoming.sender, required=False) or None

    def write(cur: Cursor) -> int:
        creator = _creator(cur, creator_id)
        problem = _sender_problem(cur, creator, sender)
        if problem and not allow_other_sender:
            raise rules.RuleViolation(problem + " Check the creator, or record it anyway.")
        campaign_id = incoming.campaign_id
        if campaign_id is not None:
            _campaign_name(cur, campaign_id)
        if header and cur.execute(
            "SELECT 1 FROM messages WHERE creator_id = $cr AND message_id_header = $h",
            {"cr": creator[0], "h": header},
        ).fetchone():
            raise rules.RuleViolation("This e-mail is recorded in the thread already.")
        caught_up = _caught_up(cur, user, creator[0])
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
            cur.execute(_UPSERT_READ, {"user": user.id, "cr": creator[0], "last": message_id,
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
    settings, moment = mail_settings(), _now(now)
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

