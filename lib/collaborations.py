"""Collaborations: the list (filtered, sorted and paged in SQL), the detail, and every write.

Reads return plain rows or DataFrames of one page. Writes check the role, ask lib/rules.py,
and write the change together with its activity event in one transaction.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pandas as pd

from lib import creators, rules, users
from lib.batches import BatchPreview, BatchResult
from lib.db import Cursor, Database, NotFound, Page, utcnow
from lib.models import (
    MAX_NOTE_CHARS,
    MAX_SHORT_TEXT_CHARS,
    CollabStatus,
    ContentType,
    EventKind,
    Role,
    Terms,
    User,
)

PAGE_SIZES = (25, 50, 100, 200)
_LAST_POSSIBLE_PAGE = 2**40  # keeps OFFSET a BIGINT; any page past the end shows the last one
MAX_BATCH = 50_000  # a preview lists every row; beyond this, narrow the filter first

# Sort keys the page offers, mapped to SQL. Status sorts by lifecycle, not alphabet.
SORTS: dict[str, str] = {
    "updated": "c.updated_at",
    "created": "c.created_at",
    "status": "CASE c.status WHEN 'pending' THEN 0 WHEN 'negotiating' THEN 1"
    " WHEN 'fulfilling' THEN 2 WHEN 'completed' THEN 3 ELSE 4 END",
    "compensation": "c.compensation",
    "creator": "lower(cr.name)",
}


@dataclass(frozen=True)
class CollabFilter:
    search: str = ""
    statuses: tuple[str, ...] = ()
    client_id: int | None = None
    campaign_id: int | None = None
    tag: str | None = None
    created_from: dt.date | None = None
    created_to: dt.date | None = None

    def where(self) -> tuple[str, list[Any]]:
        """The SQL condition over `c` (collaborations), `cr` (creators), `ca` (campaigns)."""
        conditions = self._conditions()
        clauses = ["true", *(sql for sql, _, _ in conditions)]
        return " AND ".join(clauses), [p for _, params, _ in conditions for p in params]

    def tables(self) -> set[str]:
        """The aliases besides `c` that where() refers to, so a query can join only those."""
        return {alias for _, _, alias in self._conditions() if alias}

    def _conditions(self) -> list[tuple[str, list[Any], str | None]]:
        """(SQL, its parameters, the alias it needs besides `c`) for each active filter."""
        found: list[tuple[str, list[Any], str | None]] = []
        term = self.search.strip().lstrip("@").lower()
        if term:
            found.append(
                ("(contains(lower(cr.name), ?) OR contains(lower(cr.handle), ?))", [term, term],
                 "cr")
            )
        if self.statuses:
            statuses = [CollabStatus(s).value for s in self.statuses]
            found.append(("c.status IN (SELECT unnest(?::VARCHAR[]))", [statuses], None))
        if self.client_id is not None:
            found.append((_OF_CLIENT.format(campaign="c.campaign_id"), [self.client_id], None))
        if self.campaign_id is not None:
            found.append(("c.campaign_id = ?", [self.campaign_id], None))
        if self.tag:
            found.append(
                ("c.creator_id IN (SELECT creator_id FROM creator_tags WHERE tag = ?)",
                 [self.tag], None)
            )
        if self.created_from:
            found.append(("c.created_at >= ?", [self.created_from], None))
        if self.created_to:
            found.append(("c.created_at < ?", [self.created_to + dt.timedelta(days=1)], None))
        return found

    def check(self) -> None:
        for status in self.statuses:
            rules.parse_collab_status(status)
        if self.created_from and self.created_to and self.created_to < self.created_from:
            raise rules.RuleViolation(
                f"The date range ends ({self.created_to}) before it starts ({self.created_from})."
            )


# A client's campaigns: the current client is in campaign_ownership (see migration 004).
_OF_CLIENT = "{campaign} IN (SELECT campaign_id FROM campaign_ownership WHERE client_id = ?)"

_FROM = (
    " FROM collaborations c JOIN creators cr ON cr.id = c.creator_id"
    " JOIN campaigns ca ON ca.id = c.campaign_id"
    " JOIN campaign_ownership co ON co.campaign_id = ca.id JOIN clients cl ON cl.id = co.client_id"
)
_JOINS = {
    "cr": " JOIN creators cr ON cr.id = c.creator_id",
    "ca": " JOIN campaigns ca ON ca.id = c.campaign_id",
}
_SORT_TABLES: dict[str, set[str]] = {"creator": {"cr"}}


def _narrow_from(tables: set[str]) -> str:
    """FROM collaborations with only the joins in `tables`. Every collaboration has exactly one
    creator and one campaign (foreign keys), so the joins left out change no count or order;
    at a million rows, building a hash table of 250,000 creators was most of a query's time."""
    joins = "".join(sql for alias, sql in _JOINS.items() if alias in tables)
    return f" FROM collaborations c{joins}"


def list_collaborations(
    db: Database,
    filt: CollabFilter,
    sort: str = "updated",
    descending: bool = True,
    page: int = 1,
    page_size: int = 50,
) -> Page:
    """One page of collaborations matching `filt`, plus the total count."""
    filt.check()
    if sort not in SORTS:
        raise rules.RuleViolation(
            f"Unknown sort {rules.shown(sort)}; use one of {', '.join(SORTS)}."
        )
    if not isinstance(page_size, int) or not 1 <= page_size <= max(PAGE_SIZES):
        raise rules.RuleViolation(
            f"A page has 1 to {max(PAGE_SIZES)} rows, not {rules.shown(page_size)}."
        )
    sql, params = _page_sql(filt, sort, descending)
    page = max(1, min(page, _LAST_POSSIBLE_PAGE))
    rows = db.frame(sql, [*params, page_size, (page - 1) * page_size])
    if rows.empty and page > 1:  # past the last page: show the last one instead
        where, where_params = filt.where()
        total = db.value(f"SELECT count(*){_narrow_from(filt.tables())} WHERE {where}",
                         where_params)
        page = max(1, -(-total // page_size))
        rows = db.frame(sql, [*params, page_size, (page - 1) * page_size])
    total = int(rows.pop("total").iloc[0]) if len(rows) else 0
    badges = [creators.badge_from_facts(**facts).value for facts in rows.pop("facts")]
    rows.insert(3, "validation", pd.Series(badges, index=rows.index, dtype="str"))
    return Page(rows=rows, total=total, page=page, page_size=page_size)


_LIST_COLUMNS = (
    "c.id, cr.name AS creator, cr.handle, cr.platform, c.creator_id, ca.name AS campaign,"
    " cl.name AS client, c.status, c.compensation::DOUBLE AS compensation, c.currency,"
    " c.due_date, c.created_at, c.updated_at, c.version"
)


def _page_sql(filt: CollabFilter, sort: str, descending: bool) -> tuple[str, list[Any]]:
    """One statement for a page, the total and the page's validation facts; LIMIT and OFFSET
    are its last two parameters.

    The matches are found once (joining only what the filter and sort need) and counted; the
    page's ids are sorted out of them, and only those rows are joined with everything the
    list shows. At a million collaborations this is several times faster than sorting the
    wide joined rows and counting them in a second query.
    """
    where, params = filt.where()
    way = "DESC" if descending else "ASC"
    narrow = _narrow_from(filt.tables() | _SORT_TABLES.get(sort, set()))
    facts = creators.FACTS_SQL.format(ids="SELECT creator_id FROM shown")
    sql = f"""
        WITH hits AS MATERIALIZED (SELECT c.id, {SORTS[sort]} AS sort_key{narrow} WHERE {where}),
        page AS (SELECT id, sort_key FROM hits ORDER BY sort_key {way}, id {way}
                 LIMIT ? OFFSET ?),
        shown AS (SELECT p.sort_key, {_LIST_COLUMNS}{_FROM} JOIN page p ON p.id = c.id),
        facts AS ({facts})
        SELECT shown.* EXCLUDE (sort_key), (SELECT count(*) FROM hits) AS total,
               struct_pack({", ".join(f"{c} := f.{c}" for c in creators.FACT_COLUMNS)}) AS facts
        FROM shown JOIN facts f ON f.id = shown.creator_id
        ORDER BY shown.sort_key {way}, shown.id {way}
    """
    return sql, params


def matching_versions(db: Database, filt: CollabFilter) -> dict[int, int]:
    """Every collaboration matching `filt`, id -> version, for a batch edit of the whole filter."""
    filt.check()
    where, params = filt.where()
    narrow = _narrow_from(filt.tables())
    total = db.value(f"SELECT count(*){narrow} WHERE {where}", params)
    if total > MAX_BATCH:
        raise rules.RuleViolation(
            f"{total:,} collaborations match; a batch edit takes at most {MAX_BATCH:,}. "
            "Narrow the filter first."
        )
    return dict(db.rows(f"SELECT c.id, c.version{narrow} WHERE {where}", params))


# --- batch status change ---------------------------------------------------


@dataclass(frozen=True)
class RowOutcome:
    id: int
    creator: str
    campaign: str
    current: str | None
    version: int | None
    ok: bool
    message: str


@dataclass(frozen=True)
class StatusChangePreview(BatchPreview[RowOutcome]):
    target: CollabStatus
    reason: str | None

    @property
    def valid(self) -> dict[int, int]:
        """id -> version of the rows that will change, to hand back to apply_status_change."""
        return {r.id: r.version for r in self.accepted if r.version is not None}


def _load_for_change(
    cur: Cursor, ids: list[int], with_names: bool = True
) -> dict[int, tuple[str, int, str, str]]:
    """id -> (status, version, creator name, campaign name); the names are "" without
    `with_names` (apply needs none, and joining 250,000 creators is most of the read)."""
    ids = [i for i in ids if -(2**63) <= i < 2**63]  # beyond BIGINT no id exists (or casts)
    names = (
        ("cr.name, ca.name", " JOIN creators cr ON cr.id = c.creator_id"
         " JOIN campaigns ca ON ca.id = c.campaign_id")
        if with_names else ("'', ''", "")
    )
    rows = cur.execute(
        f"SELECT c.id, c.status, c.version, {names[0]} FROM collaborations c{names[1]}"
        " WHERE c.id IN (SELECT unnest(?::BIGINT[]))",
        [ids],
    ).fetchall()
    return {r[0]: (r[1], r[2], r[3], r[4]) for r in rows}


def _verdict(status: str, target: CollabStatus, reason: str | None) -> tuple[bool, str]:
    try:
        rules.check_collab_transition(status, target, reason)
    except rules.RuleViolation as refusal:
        return False, str(refusal)
    return True, f"{CollabStatus(status).label} → {target.label}"


def _judge(
    found: dict[int, tuple[str, int, str, str]],
    ids: list[int],
    target: CollabStatus,
    reason: str | None,
    expected: dict[int, int] | None,
) -> list[RowOutcome]:
    outcomes = []
    verdicts: dict[str, tuple[bool, str]] = {}  # the rule depends only on the current status
    for cid in ids:
        if cid not in found:
            outcomes.append(RowOutcome(cid, "", "", None, None, False, f"No collaboration #{cid}."))
            continue
        status, version, creator, campaign = found[cid]
        if expected is not None and expected[cid] != version:
            ok, message = False, "Changed since preview by someone else; preview again."
        else:
            if status not in verdicts:
                verdicts[status] = _verdict(status, target, reason)
            ok, message = verdicts[status]
        outcomes.append(RowOutcome(cid, creator, campaign, status, version, ok, message))
    return outcomes


def _check_batch_size(ids: list[int]) -> None:
    if not ids:
        raise rules.RuleViolation("Select at least one collaboration first.")
    if len(ids) > MAX_BATCH:
        raise rules.RuleViolation(f"A batch takes at most {MAX_BATCH:,} collaborations.")


def preview_status_change(
    db: Database, user: User, ids: list[int], target: CollabStatus | str, reason: str | None = None
) -> StatusChangePreview:
    """What moving `ids` to `target` would do, row by row; writes nothing."""
    rules.require_role(user, Role.STAFF, "change collaboration statuses")
    target = rules.parse_collab_status(target)
    ids = list(dict.fromkeys(int(i) for i in ids))
    _check_batch_size(ids)
    with db.cursor() as cur:
        found = _load_for_change(cur, ids)
    return StatusChangePreview(_judge(found, ids, target, reason, None), target, reason)


def apply_status_change(
    db: Database,
    user: User,
    expected: dict[int, int],
    target: CollabStatus | str,
    reason: str | None = None,
) -> BatchResult:
    """Move the previewed rows (id -> version seen in the preview) to `target`.

    Rows changed since the preview, or no longer allowed by the rules, are refused; the rest
    change in one transaction, each with its own status_changed event.
    """
    grant = rules.require_role(user, Role.STAFF, "change collaboration statuses")
    target = rules.parse_collab_status(target)
    ids = list(expected)
    _check_batch_size(ids)
    reason = reason.strip() if reason and reason.strip() else None

    def change(cur: Cursor) -> BatchResult:
        found = _load_for_change(cur, ids, with_names=False)
        outcomes = _judge(found, ids, target, reason, expected)
        result = BatchResult(
            done=[o.id for o in outcomes if o.ok],
            refused={o.id: o.message for o in outcomes if not o.ok},
            verb=f"moved to {target.label}",
        )
        if result.done:
            _write_status(
                cur, user, result.done, [o.current for o in outcomes if o.ok], target, reason
            )
        return result

    return db.write(users.recheck(grant, change))


def _write_status(
    cur: Cursor,
    user: User,
    ids: list[int],
    from_statuses: list[str | None],
    target: CollabStatus,
    reason: str | None,
) -> None:
    now = utcnow()
    cancel_reason = reason if target is CollabStatus.CANCELLED else None
    cur.execute(
        "UPDATE collaborations SET status = ?, cancel_reason = coalesce(?, cancel_reason),"
        " version = version + 1, updated_at = ? WHERE id IN (SELECT unnest(?::BIGINT[]))",
        [target.value, cancel_reason, now, ids],
    )
    cur.execute(
        "INSERT INTO activity_events"
        " (collab_id, occurred_at, actor, kind, from_status, to_status, text)"
        " SELECT unnest(?::BIGINT[]), ?, ?, 'status_changed', unnest(?::VARCHAR[]), ?, ?",
        [ids, now, user.username, from_statuses, target.value, reason],
    )


def change_status(
    db: Database,
    user: User,
    collab_id: int,
    version: int,
    target: CollabStatus | str,
    reason: str | None = None,
) -> None:
    """Change one collaboration's status; raise RuleViolation saying why when refused."""
    result = apply_status_change(db, user, {int(collab_id): int(version)}, target, reason)
    if result.refused:
        raise rules.RuleViolation(result.refused[int(collab_id)])


# --- detail ----------------------------------------------------------------


def get_collaboration(db: Database, collab_id: int) -> dict[str, Any]:
    """Everything the detail view shows about one collaboration, as a dict."""
    with db.cursor() as cur:
        cur.execute(
            "SELECT c.*, cr.name AS creator, cr.handle, cr.platform, cr.email, cr.phone,"
            " cr.address, cr.followers, cr.engagement_rate, ca.name AS campaign,"
            " cl.name AS client, ca.start_date AS campaign_start, ca.end_date AS campaign_end"
            f"{_FROM} WHERE c.id = ?",
            [int(collab_id)],
        )
        row = cur.fetchone()
        if row is None:
            raise NotFound(f"There is no collaboration #{collab_id}.")
        names = [d[0] for d in cur.description]
    return dict(zip(names, row, strict=True))


def timeline(db: Database, collab_id: int) -> pd.DataFrame:
    """The activity events of one collaboration, newest first."""
    return db.frame(
        "SELECT occurred_at, actor, kind, from_status, to_status, amount::DOUBLE AS amount,"
        " currency, text FROM activity_events WHERE collab_id = ?"
        " ORDER BY occurred_at DESC, id DESC",
        [int(collab_id)],
    )


def payments(db: Database, collab_id: int) -> pd.DataFrame:
    return db.frame(
        "SELECT paid_on, amount::DOUBLE AS amount, currency, reference, created_by"
        " FROM payments WHERE collab_id = ? ORDER BY paid_on DESC, id DESC",
        [int(collab_id)],
    )


def content(db: Database, collab_id: int) -> pd.DataFrame:
    return db.frame(
        "SELECT delivered_on, kind, url, created_by FROM content_items"
        " WHERE collab_id = ? ORDER BY delivered_on DESC, id DESC",
        [int(collab_id)],
    )


def shipments(db: Database, collab_id: int) -> pd.DataFrame:
    return db.frame(
        "SELECT item, carrier, tracking_number, status, exception_reason, shipped_on, delivered_on"
        " FROM shipments WHERE collab_id = ? ORDER BY created_at DESC, id DESC",
        [int(collab_id)],
    )


# --- single-collaboration actions -------------------------------------------


def _require_collab(cur: Cursor, collab_id: int) -> tuple[str, int, str]:
    row = cur.execute(
        "SELECT status, version, currency FROM collaborations WHERE id = ?", [int(collab_id)]
    ).fetchone()
    if row is None:
        raise NotFound(f"There is no collaboration #{collab_id}.")
    return row


def _event(
    cur: Cursor,
    collab_id: int,
    user: User,
    kind: EventKind,
    text: str | None = None,
    amount: Decimal | None = None,
    currency: str | None = None,
) -> None:
    cur.execute(
        "INSERT INTO activity_events (collab_id, occurred_at, actor, kind, amount, currency, text)"
        " VALUES (?, ?, ?, ?, ?, ?, ?)",
        [int(collab_id), utcnow(), user.username, kind.value, amount, currency, text],
    )


def _touch(cur: Cursor, collab_id: int) -> None:
    """Mark the collaboration as updated. The version is left alone: it guards status and
    terms, and a note or payment must not invalidate somebody's open batch preview."""
    cur.execute("UPDATE collaborations SET updated_at = ? WHERE id = ?", [utcnow(), int(collab_id)])


def add_note(db: Database, user: User, collab_id: int, text: str) -> None:
    grant = rules.require_role(user, Role.STAFF, "add notes")
    note = rules.check_text(text, "The note", MAX_NOTE_CHARS)

    def write(cur: Cursor) -> None:
        _require_collab(cur, collab_id)
        _event(cur, collab_id, user, EventKind.NOTE, note)
        _touch(cur, collab_id)

    db.write(users.recheck(grant, write))


def record_payment(
    db: Database,
    user: User,
    collab_id: int,
    amount: object,
    currency: str,
    paid_on: dt.date,
    reference: str = "",
) -> None:
    grant = rules.require_role(user, Role.STAFF, "record payments")
    value = rules.check_amount(amount)
    rules.check_currency(currency)
    reference = rules.check_text(reference, "The reference", MAX_SHORT_TEXT_CHARS, required=False)
    if paid_on > dt.date.today() + dt.timedelta(days=1):
        raise rules.RuleViolation(f"The payment date {paid_on} is in the future.")

    def write(cur: Cursor) -> None:
        _require_collab(cur, collab_id)
        cur.execute(
            "INSERT INTO payments (collab_id, amount, currency, paid_on, reference, created_at,"
            " created_by) VALUES (?, ?, ?, ?, ?, ?, ?)",
            [int(collab_id), value, currency, paid_on, reference, utcnow(), user.username],
        )
        text = f"Paid {value} {currency} on {paid_on}" + (
            f" (ref {reference})" if reference else ""
        )
        _event(cur, collab_id, user, EventKind.PAYMENT, text, value, currency)
        _touch(cur, collab_id)

    db.write(users.recheck(grant, write))


def record_content(
    db: Database,
    user: User,
    collab_id: int,
    url: str,
    kind: ContentType | str,
    delivered_on: dt.date,
) -> None:
    grant = rules.require_role(user, Role.STAFF, "record content")
    link = rules.check_url(url)
    try:
        kind = ContentType(kind)
    except ValueError:
        raise rules.RuleViolation(f"Unknown content type {rules.shown(kind)}.") from None
    if delivered_on > dt.date.today() + dt.timedelta(days=1):
        raise rules.RuleViolation(f"The delivery date {delivered_on} is in the future.")

    def write(cur: Cursor) -> None:
        _require_collab(cur, collab_id)
        cur.execute(
            "INSERT INTO content_items (collab_id, url, kind, delivered_on, created_at, created_by)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            [int(collab_id), link, kind.value, delivered_on, utcnow(), user.username],
        )
        _event(cur, collab_id, user, EventKind.CONTENT_DELIVERED, f"{kind.value}: {link}")
        _touch(cur, collab_id)

    db.write(users.recheck(grant, write))


def update_terms(db: Database, user: User, collab_id: int, version: int, terms: Terms) -> None:
    """Replace the terms; refused when someone changed the collaboration since it was loaded."""
    grant = rules.require_role(user, Role.STAFF, "edit terms")
    deliverables = rules.check_text(terms.deliverables, "The deliverables", MAX_NOTE_CHARS)
    conditions = rules.check_text(
        terms.conditions, "The conditions", MAX_NOTE_CHARS, required=False
    )
    compensation = rules.check_compensation(terms.compensation)
    rules.check_currency(terms.currency)
    rules.check_date_order(terms.start_date, terms.due_date)

    def write(cur: Cursor) -> None:
        status, current_version, _ = _require_collab(cur, collab_id)
        if current_version != version:
            raise rules.RuleViolation(
                "Someone changed this collaboration since you opened it; reload and edit again."
            )
        if status in ("completed", "cancelled"):
            raise rules.RuleViolation(f"The collaboration is {status}; its terms are final.")
        cur.execute(
            "UPDATE collaborations SET deliverables = ?, compensation = ?, currency = ?,"
            " start_date = ?, due_date = ?, conditions = ?, version = version + 1, updated_at = ?"
            " WHERE id = ?",
            [
                deliverables,
                compensation,
                terms.currency,
                terms.start_date,
                terms.due_date,
                conditions,
                utcnow(),
                int(collab_id),
            ],
        )
        _event(
            cur,
            collab_id,
            user,
            EventKind.TERMS_CHANGED,
            f"Terms: {deliverables}; {compensation} {terms.currency}",
        )

    db.write(users.recheck(grant, write))


def clients_for_filter(db: Database) -> list[tuple[int, str]]:
    return db.rows("SELECT id, name FROM clients ORDER BY name")
