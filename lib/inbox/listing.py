"""The creator list: filtered, ordered (unread first, then the latest interaction), counted
and paged in one statement; and the unread total."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from lib import rules
from lib.db import Database, Page, as_id
from lib.inbox.common import PAGE_SIZES, current_time
from lib.inbox.standing import may_message_about, read_standings, standing_label
from lib.models import (
    MAX_MASS_RECIPIENTS,
    MAX_SEARCH_CHARS,
    Role,
    User,
)

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
            standings = read_standings(cur, filt.campaign_id, ids, current_time(now))
        rows["standing"] = [standing_label(standings[i]) for i in ids]
        rows["may_message"] = [may_message_about(standings[i]) for i in ids]
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
