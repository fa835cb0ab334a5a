"""Feedback, the staff side: every piece of feedback of a campaign by creator and by content
item, with tallies, threads (replies the reviewer sees, internal notes they never see), and
content approval (submitting content items and approving them or requesting changes).

Reads filter and page in SQL. Writes check the role, ask lib/rules.py, and write the change
with its event in one `db.write`. The reviewer's side (links, their page) is lib/reviewers.py;
it shares the reads here that take a reviewer id.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from lib import rules, users
from lib.db import BIGINT_RANGE, Cursor, Database, NotFound, Page, as_id, utcnow
from lib.db import paged as db_paged
from lib.models import (
    ContentApproval,
    ContentType,
    EventKind,
    FeedbackFilter,
    ReplyKind,
    Role,
    SubjectKind,
    User,
)

PAGE_SIZE = 10
MAX_PAGE_SIZE = 100

# The creators a campaign shows its reviewers: applicants still in the running (applied or
# selected; declined ones are out) and the creators of its collaborations (not cancelled).
MEMBERS_SQL = """
    SELECT creator_id FROM applications
    WHERE campaign_id = $campaign AND stage IN ('applied', 'selected')
    UNION
    SELECT creator_id FROM collaborations WHERE campaign_id = $campaign AND status <> 'cancelled'
"""

# Each reviewer's latest verdict per subject ({col}: creator_id or content_item_id); the
# tally counts these, so a reviewer who changes their mind counts once, as they now think.
_LATEST_VERDICTS = """
    SELECT {col} AS subject_id, reviewer_id, arg_max(verdict, id) AS verdict
    FROM feedback WHERE campaign_id = $campaign AND {col} IS NOT NULL AND verdict IS NOT NULL
    GROUP BY ALL
"""
_FEEDBACK_STATS = """
    SELECT f.{col} AS subject_id, count(*) AS pieces, max(f.created_at) AS last_feedback_at,
           count(*) FILTER (WHERE NOT EXISTS (
               SELECT 1 FROM feedback_replies r WHERE r.feedback_id = f.id AND r.kind = 'reply'
           )) AS unanswered
    FROM feedback f WHERE f.campaign_id = $campaign AND f.{col} IS NOT NULL GROUP BY ALL
"""
_TALLY = """
    SELECT subject_id, count(*) FILTER (WHERE verdict = 'approve') AS approvals,
           count(*) FILTER (WHERE verdict = 'decline') AS declines
    FROM latest GROUP BY ALL
"""
# rules.review_state in SQL, over approval, approvals and declines.
STATE_SQL = {
    SubjectKind.CREATOR: "CASE WHEN declines > 0 THEN 'declined'"
    " WHEN approvals > 0 THEN 'approved' ELSE 'pending' END",
    SubjectKind.CONTENT: "CASE approval WHEN 'approved' THEN 'approved'"
    " WHEN 'changes_requested' THEN 'declined' ELSE 'pending' END",
}

_CREATOR_SUBJECTS = f"""
    WITH latest AS ({_LATEST_VERDICTS.format(col="creator_id")}),
    tally AS ({_TALLY}),
    stats AS ({_FEEDBACK_STATS.format(col="creator_id")}),
    subjects AS (SELECT creator_id AS subject_id FROM ({MEMBERS_SQL})
                 UNION SELECT subject_id FROM stats),
    rows AS (
        SELECT s.subject_id, cr.name, cr.handle, cr.platform, cr.followers,
               cr.engagement_rate, NULL::VARCHAR AS approval,
               coalesce(t.approvals, 0) AS approvals, coalesce(t.declines, 0) AS declines,
               coalesce(st.pieces, 0) AS pieces, coalesce(st.unanswered, 0) AS unanswered,
               st.last_feedback_at
        FROM subjects s JOIN creators cr ON cr.id = s.subject_id
        LEFT JOIN tally t ON t.subject_id = s.subject_id
        LEFT JOIN stats st ON st.subject_id = s.subject_id
    )
    SELECT *, {STATE_SQL[SubjectKind.CREATOR]} AS state FROM rows
"""
_CONTENT_SUBJECTS = f"""
    WITH latest AS ({_LATEST_VERDICTS.format(col="content_item_id")}),
    tally AS ({_TALLY}),
    stats AS ({_FEEDBACK_STATS.format(col="content_item_id")}),
    rows AS (
        SELECT ci.id AS subject_id, cr.name, cr.handle, cr.platform, ci.collab_id, ci.kind,
               ci.url, ci.caption, ci.version, ci.previous_id, ci.approval, ci.reviewed_at,
               ci.reviewed_by, ci.created_at AS submitted_at,
               coalesce(t.approvals, 0) AS approvals, coalesce(t.declines, 0) AS declines,
               coalesce(st.pieces, 0) AS pieces, coalesce(st.unanswered, 0) AS unanswered,
               st.last_feedback_at
        FROM content_items ci JOIN collaborations c ON c.id = ci.collab_id
        JOIN creators cr ON cr.id = c.creator_id
        LEFT JOIN tally t ON t.subject_id = ci.id
        LEFT JOIN stats st ON st.subject_id = ci.id
        WHERE c.campaign_id = $campaign
    )
    SELECT *, {STATE_SQL[SubjectKind.CONTENT]} AS state FROM rows
"""
SUBJECTS_SQL = {SubjectKind.CREATOR: _CREATOR_SUBJECTS, SubjectKind.CONTENT: _CONTENT_SUBJECTS}
# Newest feedback first; subjects nobody wrote about after them (pending items first).
_SUBJECT_ORDER = {
    SubjectKind.CREATOR: "last_feedback_at DESC NULLS LAST, lower(name), subject_id",
    SubjectKind.CONTENT: "last_feedback_at DESC NULLS LAST, approval = 'pending' DESC,"
    " submitted_at DESC, subject_id DESC",
}


def paged(
    db: Database, hits: str, order: str, params: dict[str, Any], page: int, page_size: int
) -> Page:
    """lib.db.paged, with the feedback lists' page size checked."""
    if not isinstance(page_size, int) or not 1 <= page_size <= MAX_PAGE_SIZE:
        raise rules.RuleViolation(
            f"A page has 1 to {MAX_PAGE_SIZE} rows, not {rules.shown(page_size)}."
        )
    return db_paged(db, hits, order, params, page, page_size)


# --- reads: campaigns and subjects -------------------------------------------------------


# The campaign's current client and owner (migration 004: campaigns.client_id / owner_id are
# the ones at creation).
OWNERSHIP_SQL = "SELECT campaign_id, client_id, owner_id FROM campaign_ownership"


def campaign_choices(db: Database) -> list[tuple[int, str, str]]:
    """Every campaign as (id, name, client), those with the newest feedback first."""
    return db.rows(
        f"SELECT ca.id, ca.name, cl.name FROM campaigns ca"
        f" JOIN ({OWNERSHIP_SQL}) o ON o.campaign_id = ca.id JOIN clients cl ON cl.id = o.client_id"
        " LEFT JOIN (SELECT campaign_id, max(created_at) AS last FROM feedback GROUP BY ALL) f"
        " ON f.campaign_id = ca.id ORDER BY f.last DESC NULLS LAST, lower(ca.name), ca.id"
    )


def campaign_summary(db: Database, campaign_id: int) -> dict[str, Any]:
    """The campaign's name, client and owner, and counts for the feedback page's header."""
    campaign_id = as_id(campaign_id, "campaign")
    with db.cursor() as cur:
        cur.execute(
            f"""
            SELECT ca.id, ca.name, cl.name AS client, u.name AS owner,
                (SELECT count(*) FROM reviewers r
                 WHERE r.campaign_id = ca.id AND r.removed_at IS NULL) AS reviewers,
                (SELECT count(*) FROM feedback f WHERE f.campaign_id = ca.id) AS pieces,
                (SELECT count(*) FROM feedback f WHERE f.campaign_id = ca.id AND NOT EXISTS (
                    SELECT 1 FROM feedback_replies r
                    WHERE r.feedback_id = f.id AND r.kind = 'reply')) AS unanswered,
                (SELECT count(*) FROM content_items ci JOIN collaborations c
                    ON c.id = ci.collab_id WHERE c.campaign_id = ca.id
                    AND ci.approval = 'pending') AS content_pending
            FROM campaigns ca JOIN ({OWNERSHIP_SQL}) o ON o.campaign_id = ca.id
            JOIN clients cl ON cl.id = o.client_id LEFT JOIN users u ON u.id = o.owner_id
            WHERE ca.id = ?
            """,
            [campaign_id],
        )
        row = cur.fetchone()
        if row is None:
            raise NotFound(f"There is no campaign #{campaign_id}.")
        names = [d[0] for d in cur.description]
    return dict(zip(names, row, strict=True))


def _subject_kind(kind: SubjectKind | str) -> SubjectKind:
    try:
        return SubjectKind(kind)
    except ValueError:
        raise rules.RuleViolation(f"Unknown kind of subject {rules.shown(kind)}.") from None


def _filter(value: FeedbackFilter | str) -> FeedbackFilter:
    try:
        return FeedbackFilter(value)
    except ValueError:
        known = ", ".join(f.value for f in FeedbackFilter)
        raise rules.RuleViolation(
            f"Unknown filter {rules.shown(value)}; use one of {known}."
        ) from None


def subjects(
    db: Database,
    campaign_id: int,
    kind: SubjectKind | str,
    filt: FeedbackFilter | str = FeedbackFilter.ALL,
    page: int = 1,
    page_size: int = PAGE_SIZE,
) -> Page:
    """One page of a campaign's creators (or content items) with their feedback tally, how
    many pieces are unanswered, and their review state; filtered and paged in SQL."""
    kind, filt = _subject_kind(kind), _filter(filt)
    campaign_id = as_id(campaign_id, "campaign")
    where = {
        FeedbackFilter.ALL: "true",
        FeedbackFilter.UNANSWERED: "unanswered > 0",
    }.get(filt, "state = $state")
    hits = f"SELECT * FROM ({SUBJECTS_SQL[kind]}) WHERE {where}"
    params = {"campaign": campaign_id, "state": filt.value}
    return paged(db, hits, _SUBJECT_ORDER[kind], params, page, page_size)


# --- reads: threads ----------------------------------------------------------------------


@dataclass(frozen=True)
class Reply:
    id: int
    kind: ReplyKind
    author: str  # the staff member's name
    body: str
    created_at: dt.datetime


@dataclass(frozen=True)
class Piece:
    """A piece of feedback and the staff answers in its thread, oldest first."""

    id: int
    subject_id: int
    reviewer_id: int
    reviewer_email: str
    body: str
    verdict: str | None
    created_at: dt.datetime
    replies: tuple[Reply, ...]

    @property
    def answered(self) -> bool:
        return any(r.kind is ReplyKind.REPLY for r in self.replies)


def read_threads(
    db: Database,
    campaign_id: int,
    kind: SubjectKind,
    subject_ids: list[int],
    reviewer_id: int | None,
    include_notes: bool,
) -> dict[int, list[Piece]]:
    """subject id -> its feedback, newest first, with replies (and internal notes only with
    `include_notes`); only `reviewer_id`'s feedback when given. Two queries in all."""
    col = "creator_id" if kind is SubjectKind.CREATOR else "content_item_id"
    ids = [i for i in subject_ids if i in BIGINT_RANGE]
    pieces = db.rows(
        f"SELECT f.id, f.{col}, f.reviewer_id, r.email, f.body, f.verdict, f.created_at"
        " FROM feedback f JOIN reviewers r ON r.id = f.reviewer_id"
        f" WHERE f.campaign_id = ? AND f.{col} IN (SELECT unnest(?::BIGINT[]))"
        " AND (? IS NULL OR f.reviewer_id = ?) ORDER BY f.created_at DESC, f.id DESC",
        [campaign_id, ids, reviewer_id, reviewer_id],
    )
    kinds = [ReplyKind.REPLY.value] + ([ReplyKind.INTERNAL_NOTE.value] if include_notes else [])
    answers: dict[int, list[Reply]] = {}
    for fid, rid, rkind, author, body, at in db.rows(
        "SELECT r.feedback_id, r.id, r.kind, coalesce(u.name, r.author), r.body, r.created_at"
        " FROM feedback_replies r LEFT JOIN users u ON u.username = r.author"
        " WHERE r.feedback_id IN (SELECT unnest(?::BIGINT[]))"
        " AND r.kind IN (SELECT unnest(?::VARCHAR[])) ORDER BY r.created_at, r.id",
        [[p[0] for p in pieces], kinds],
    ):
        answers.setdefault(fid, []).append(Reply(rid, ReplyKind(rkind), author, body, at))
    found: dict[int, list[Piece]] = {}
    for fid, subject, reviewer, email, body, verdict, at in pieces:
        found.setdefault(subject, []).append(
            Piece(fid, subject, reviewer, email, body, verdict, at,
                  tuple(answers.get(fid, [])))
        )
    return found


def threads(
    db: Database, campaign_id: int, kind: SubjectKind | str, subject_ids: list[int]
) -> dict[int, list[Piece]]:
    """Staff see every reviewer's feedback on these subjects, with replies and notes."""
    return read_threads(
        db, as_id(campaign_id, "campaign"), _subject_kind(kind), subject_ids, None, True
    )


# --- writes: replies and notes -----------------------------------------------------------


def claim_reviewer(cur: Cursor, reviewer_id: int) -> bool:
    """Bump the reviewer's write_seq, so that this write and a concurrent removal of the
    reviewer conflict and one of them is retried on a fresh snapshot (DuckDB has no SELECT
    ... FOR UPDATE). False when the reviewer is removed.

    No RETURNING here: DuckDB runs an UPDATE ... RETURNING of a referenced row as delete plus
    insert, which the reviewer's feedback (a foreign key) refuses."""
    active = cur.execute(
        "SELECT 1 FROM reviewers WHERE id = ? AND removed_at IS NULL", [reviewer_id]
    ).fetchone()
    if active is None:
        return False
    cur.execute("UPDATE reviewers SET write_seq = write_seq + 1 WHERE id = ?", [reviewer_id])
    return True


def answer(
    db: Database, user: User, feedback_id: int, body: str, kind: ReplyKind | str
) -> int:
    """A staff reply (the reviewer sees it) or an internal note (no reviewer ever does) in the
    thread of a piece of feedback; returns its id."""
    text, reply_kind = rules.check_reply(body, kind)
    what = "reply to feedback" if reply_kind is ReplyKind.REPLY else "add notes to feedback"
    grant = rules.require_role(user, Role.STAFF, what)
    feedback_id = as_id(feedback_id, "feedback")

    def write(cur: Cursor) -> int:
        row = cur.execute(
            "SELECT reviewer_id FROM feedback WHERE id = ?", [feedback_id]
        ).fetchone()
        if row is None or not claim_reviewer(cur, row[0]):
            raise NotFound(
                f"There is no feedback #{feedback_id} (any more: its reviewer may have been "
                "removed, which deletes their feedback)."
            )
        return cur.execute(
            "INSERT INTO feedback_replies (feedback_id, kind, author, body, created_at)"
            " VALUES (?, ?, ?, ?, ?) RETURNING id",
            [feedback_id, reply_kind.value, user.username, text, utcnow()],
        ).fetchone()[0]

    return db.write(users.recheck(grant, write))


# --- content approval --------------------------------------------------------------------


def campaign_collaborations(db: Database, campaign_id: int) -> list[tuple[int, str]]:
    """(collaboration id, "creator @handle · status") of a campaign, for submitting content."""
    return db.rows(
        "SELECT c.id, cr.name || ' @' || cr.handle || ' · ' || c.status"
        " FROM collaborations c JOIN creators cr ON cr.id = c.creator_id"
        " WHERE c.campaign_id = ? ORDER BY lower(cr.name), c.id",
        [as_id(campaign_id, "campaign")],
    )


def latest_versions(db: Database, collab_id: int) -> list[tuple[int, str]]:
    """(content item id, "reel v2 · approval") of a collaboration's items that no newer
    version replaces: what a new version may replace."""
    return db.rows(
        "SELECT ci.id, ci.kind || ' v' || ci.version || ' · ' || ci.approval"
        " FROM content_items ci WHERE ci.collab_id = ? AND NOT EXISTS ("
        "   SELECT 1 FROM content_items n WHERE n.previous_id = ci.id)"
        " ORDER BY ci.created_at DESC, ci.id DESC",
        [as_id(collab_id, "collaboration")],
    )


def _touch_collab(cur: Cursor, collab_id: int, now: dt.datetime) -> None:
    # As collaborations._touch: updated_at changes, version (status and terms) does not.
    cur.execute("UPDATE collaborations SET updated_at = ? WHERE id = ?", [now, collab_id])


def _event(cur: Cursor, collab_id: int, user: User, kind: EventKind, text: str,
           now: dt.datetime) -> None:
    cur.execute(
        "INSERT INTO activity_events (collab_id, occurred_at, actor, kind, text)"
        " VALUES (?, ?, ?, ?, ?)",
        [collab_id, now, user.username, kind.value, text],
    )


def submit_content(
    db: Database,
    user: User,
    collab_id: int,
    url: str,
    kind: ContentType | str,
    caption: str = "",
    previous_id: int | None = None,
) -> int:
    """Record a content item a creator submitted for approval (pending), as version 1 or as
    the next version of `previous_id`; writes a content_submitted event. Returns its id."""
    grant = rules.require_role(user, Role.STAFF, "record submitted content")
    link, content_type, text = rules.check_content_submission(url, kind, caption)
    collab_id = as_id(collab_id, "collaboration")
    previous = None if previous_id is None else as_id(previous_id, "content item")

    def write(cur: Cursor) -> int:
        if cur.execute("SELECT 1 FROM collaborations WHERE id = ?", [collab_id]).fetchone() is None:
            raise NotFound(f"There is no collaboration #{collab_id}.")
        version = 1
        if previous is not None:
            row = cur.execute(
                "SELECT collab_id, version, EXISTS (SELECT 1 FROM content_items n"
                " WHERE n.previous_id = ci.id) FROM content_items ci WHERE id = ?",
                [previous],
            ).fetchone()
            if row is None:
                raise NotFound(f"There is no content item #{previous}.")
            rules.check_new_version(row[0], collab_id, bool(row[2]))
            version = int(row[1] or 1) + 1
        now = utcnow()
        new_id = cur.execute(
            "INSERT INTO content_items (collab_id, url, kind, delivered_on, created_at,"
            " created_by, approval, caption, version, previous_id)"
            " VALUES (?, ?, ?, ?, ?, ?, 'pending', ?, ?, ?) RETURNING id",
            [collab_id, link, content_type.value, now.date(), now, user.username, text,
             version, previous],
        ).fetchone()[0]
        _event(cur, collab_id, user, EventKind.CONTENT_SUBMITTED,
               f"{content_type.value} v{version} submitted for approval: {link}", now)
        _touch_collab(cur, collab_id, now)
        return new_id

    return db.write(users.recheck(grant, write))


def review_content(
    db: Database,
    user: User,
    content_item_id: int,
    target: ContentApproval | str,
    note: str | None = None,
) -> None:
    """Approve a submitted content item or request changes (saying which); writes a
    content_reviewed event on its collaboration."""
    grant = rules.require_role(user, Role.STAFF, "approve content")
    item_id = as_id(content_item_id, "content item")
    decision = rules.parse_approval(target)

    def write(cur: Cursor) -> None:
        row = cur.execute(
            "SELECT collab_id, approval, kind, version FROM content_items WHERE id = ?",
            [item_id],
        ).fetchone()
        if row is None:
            raise NotFound(f"There is no content item #{item_id}.")
        collab_id, current, kind, version = row
        text = rules.check_content_review(current or ContentApproval.PENDING, decision, note)
        now = utcnow()
        cur.execute(
            "UPDATE content_items SET approval = ?, reviewed_at = ?, reviewed_by = ?"
            " WHERE id = ?",
            [decision.value, now, user.username, item_id],
        )
        summary = f"{kind} v{version or 1}: {decision.label.lower()}"
        _event(cur, collab_id, user, EventKind.CONTENT_REVIEWED,
               summary + (f" ({text})" if text else ""), now)
        _touch_collab(cur, collab_id, now)

    db.write(users.recheck(grant, write))
