"""Deliveries: products shipped to creators, tracked by hand (there is no carrier integration).

Reads filter, sort and page in SQL, one statement per page; only that page reaches pandas.
Writes check the role first (staff and up; viewers read and export), ask lib/rules.py, and
write the change together with an activity event on the shipment's collaboration in one
transaction, so the collaboration's timeline shows every step. Batch changes and imported
sheets are previewed first; the apply takes back the version of every shipment the preview
saw and refuses those that someone changed in between.

A campaign's client is the one in campaign_ownership (it can change after the campaign was
created; campaigns.client_id is the client at creation).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from lib import delivery_sheet, rules, users
from lib.db import BIGINT_RANGE, Cursor, Database, NotFound, Page, as_id, bind, utcnow
from lib.models import (
    MAX_SEARCH_CHARS,
    ChangeOutcome,
    CollabStatus,
    DeliveryStatus,
    EventKind,
    Role,
    ShipmentChange,
    User,
)

PAGE_SIZES = (25, 50, 100, 200)
MAX_BATCH = 5_000  # shipments or collaborations in one batch (a preview lists every one)
MAX_IN_TRANSIT_DAYS = 3_650
_LAST_POSSIBLE_PAGE = 2**40  # keeps OFFSET a BIGINT; any page past the end shows the last one

# Sort keys the page offers, mapped to SQL over `s` and the aliases in _SORT_TABLES.
SORTS: dict[str, str] = {
    "days_in_status": "-epoch(s.status_changed_at)",  # ascending: the shortest wait first
    "created": "s.created_at",
    "status": "CASE s.status WHEN 'pending' THEN 0 WHEN 'in_transit' THEN 1"
    " WHEN 'exception' THEN 2 ELSE 3 END",
    "shipped": "s.shipped_on",
    "delivered": "s.delivered_on",
    "carrier": "lower(s.carrier)",
    "creator": "lower(cr.name)",
    "campaign": "lower(ca.name)",
}
SORT_LABELS: dict[str, str] = {
    "days_in_status": "Days in status", "created": "Created", "status": "Status",
    "shipped": "Shipped", "delivered": "Delivered", "carrier": "Carrier",
    "creator": "Creator", "campaign": "Campaign",
}  # fmt: skip
_SORT_TABLES: dict[str, set[str]] = {"creator": {"cr"}, "campaign": {"ca"}}

# Joins from shipments `s`, in the order they must come; the ones a query needs are chosen.
_JOINS: dict[str, str] = {
    "c": " JOIN collaborations c ON c.id = s.collab_id",
    "cr": " JOIN creators cr ON cr.id = c.creator_id",
    "ca": " JOIN campaigns ca ON ca.id = c.campaign_id",
    "co": " JOIN campaign_ownership co ON co.campaign_id = c.campaign_id",
    "cl": " JOIN clients cl ON cl.id = co.client_id",
}
_JOIN_NEEDS: dict[str, set[str]] = {
    "cr": {"c"}, "ca": {"c"}, "co": {"c"}, "cl": {"c", "co"},
}  # fmt: skip
CLIENT_SQL = "co.client_id"  # the campaign's client now
DAYS_SQL = "greatest(0, date_diff('second', s.status_changed_at, $now) // 86400)::INTEGER"


def _from(aliases: set[str]) -> str:
    """FROM shipments with the joins `aliases` need (each shipment has exactly one
    collaboration, creator and campaign, so the joins left out change no count)."""
    wanted = set(aliases)
    for alias in aliases:
        wanted |= _JOIN_NEEDS.get(alias, set())
    return " FROM shipments s" + "".join(sql for a, sql in _JOINS.items() if a in wanted)


# --- the list -------------------------------------------------------------------------


@dataclass(frozen=True)
class DeliveryFilter:
    statuses: tuple[str, ...] = ()
    campaign_id: int | None = None
    client_id: int | None = None
    carrier: str | None = None
    in_transit_days: int | None = None  # in transit for longer than this many days
    exceptions_open: bool = False
    search: str = ""  # creator name or handle, item or tracking number

    def check(self) -> None:
        for status in self.statuses:
            rules.parse_delivery_status(status)
        days = self.in_transit_days
        if days is not None and (
            not isinstance(days, int) or not 0 <= days <= MAX_IN_TRANSIT_DAYS
        ):
            raise rules.RuleViolation(
                f"'In transit longer than' takes 0 to {MAX_IN_TRANSIT_DAYS:,} days, "
                f"not {rules.shown(days)}."
            )
        rules.check_text(self.search, "The search", MAX_SEARCH_CHARS, required=False)

    def conditions(self, now: dt.datetime) -> list[tuple[str, dict[str, Any], set[str]]]:
        """(SQL, its parameters, the aliases it needs) for each active filter."""
        found: list[tuple[str, dict[str, Any], set[str]]] = []
        if self.statuses:
            values = [rules.parse_delivery_status(s).value for s in self.statuses]
            found.append(("s.status IN (SELECT unnest($statuses::VARCHAR[]))",
                          {"statuses": values}, set()))
        if self.campaign_id is not None:
            found.append(("c.campaign_id = $campaign", {"campaign": self.campaign_id}, {"c"}))
        if self.client_id is not None:
            found.append((f"{CLIENT_SQL} = $client", {"client": self.client_id}, {"co"}))
        if self.carrier:
            found.append(("s.carrier = $carrier", {"carrier": self.carrier}, set()))
        if self.in_transit_days is not None:
            cutoff = now - dt.timedelta(days=self.in_transit_days)
            found.append(("s.status = 'in_transit' AND s.status_changed_at < $cutoff",
                          {"cutoff": cutoff}, set()))
        if self.exceptions_open:
            found.append(("s.status = 'exception'", {}, set()))
        term = self.search.strip().lstrip("@").lower()
        if term:
            found.append((
                "(contains(lower(cr.name), $term) OR contains(lower(cr.handle), $term)"
                " OR contains(lower(s.item), $term) OR contains(lower(s.tracking_number), $term))",
                {"term": term}, {"cr"},
            ))  # fmt: skip
        return found

    def where(self, now: dt.datetime) -> tuple[str, dict[str, Any], set[str]]:
        conditions = self.conditions(now)
        sql = " AND ".join(["true", *(c for c, _, _ in conditions)])
        params = {k: v for _, p, _ in conditions for k, v in p.items()}
        return sql, params, set().union(*(a for _, _, a in conditions))


_LIST_COLUMNS = (
    "s.id, cr.name AS creator, cr.handle, ca.name AS campaign, cl.name AS client,"
    " c.status AS collab_status, s.item, s.carrier, s.tracking_number, s.status,"
    f" s.exception_reason, s.shipped_on, s.delivered_on, {DAYS_SQL} AS days_in_status,"
    " s.status_changed_at, s.collab_id, s.version"
)


def list_shipments(
    db: Database,
    filt: DeliveryFilter,
    sort: str = "days_in_status",
    descending: bool = True,
    page: int = 1,
    page_size: int = 50,
    now: dt.datetime | None = None,
) -> Page:
    """One page of shipments matching `filt`, plus the total count: a single SQL statement."""
    filt.check()
    if sort not in SORTS:
        raise rules.RuleViolation(
            f"Unknown sort {rules.shown(sort)}; use one of {', '.join(SORTS)}."
        )
    if not isinstance(page_size, int) or not 1 <= page_size <= max(PAGE_SIZES):
        raise rules.RuleViolation(
            f"A page has 1 to {max(PAGE_SIZES)} rows, not {rules.shown(page_size)}."
        )
    now = now or utcnow()
    sql, params = _page_sql(filt, sort, descending, now)
    page = max(1, min(int(page), _LAST_POSSIBLE_PAGE))
    rows = db.frame(sql, {**params, "limit": page_size, "offset": (page - 1) * page_size})
    if rows.empty and page > 1:  # past the last page: show the last one instead
        where, where_params, aliases = filt.where(now)
        count_sql = f"SELECT count(*){_from(aliases)} WHERE {where}"
        total = db.value(count_sql, bind(count_sql, where_params))
        page = max(1, -(-total // page_size))
        rows = db.frame(sql, {**params, "limit": page_size, "offset": (page - 1) * page_size})
    total = int(rows.pop("total").iloc[0]) if len(rows) else 0
    return Page(rows=rows, total=total, page=page, page_size=page_size)


def _page_sql(
    filt: DeliveryFilter, sort: str, descending: bool, now: dt.datetime
) -> tuple[str, dict[str, Any]]:
    """The page's statement ($limit and $offset still to bind): the matches are found once on
    the narrow tables and counted, the page's ids sorted out of them, and only those rows are
    joined with the names the list shows."""
    where, params, aliases = filt.where(now)
    way = "DESC" if descending else "ASC"
    narrow = _from(aliases | _SORT_TABLES.get(sort, set()))
    sql = f"""
        WITH hits AS MATERIALIZED (SELECT s.id, {SORTS[sort]} AS sort_key{narrow} WHERE {where}),
        page AS (SELECT id, sort_key FROM hits ORDER BY sort_key {way} NULLS LAST, id {way}
                 LIMIT $limit OFFSET $offset)
        SELECT {_LIST_COLUMNS}, (SELECT count(*) FROM hits) AS total
        {_from(set(_JOINS))} JOIN page p ON p.id = s.id
        ORDER BY p.sort_key {way} NULLS LAST, p.id {way}
    """
    return sql, {**params, "now": now}


def matching_ids(db: Database, filt: DeliveryFilter, now: dt.datetime | None = None) -> list[int]:
    """Every shipment matching `filt`, for a batch change of the whole filter."""
    filt.check()
    where, params, aliases = filt.where(now or utcnow())
    sql = f"SELECT s.id{_from(aliases)} WHERE {where} ORDER BY s.id LIMIT {MAX_BATCH + 1}"
    ids = [i for (i,) in db.rows(sql, bind(sql, params))]
    if len(ids) > MAX_BATCH:
        raise rules.RuleViolation(
            f"More than {MAX_BATCH:,} shipments match; a batch takes at most {MAX_BATCH:,}. "
            "Narrow the filter first."
        )
    return ids


def clients_for_filter(db: Database) -> list[tuple[int, str]]:
    return db.rows("SELECT id, name FROM clients ORDER BY lower(name), id")


def carriers(db: Database) -> list[str]:
    """The carriers shipments name, for the filter."""
    return [c for (c,) in db.rows(
        "SELECT DISTINCT carrier FROM shipments WHERE carrier <> '' ORDER BY carrier"
    )]  # fmt: skip


# --- summaries ------------------------------------------------------------------------


@dataclass(frozen=True)
class OldestInTransit:
    shipment_id: int
    creator: str
    item: str
    since: dt.datetime
    days: int


@dataclass(frozen=True)
class DeliverySummary:
    pending: int
    in_transit: int
    delivered: int
    exception: int
    oldest_in_transit: OldestInTransit | None

    @property
    def total(self) -> int:
        return self.pending + self.in_transit + self.delivered + self.exception


def summary(
    db: Database,
    campaign_id: int | None = None,
    client_id: int | None = None,
    now: dt.datetime | None = None,
) -> DeliverySummary:
    """How many shipments are in each status, and the one longest in transit: for a campaign,
    a client's campaigns, or everything."""
    now = now or utcnow()
    where, params, aliases = DeliveryFilter(campaign_id=campaign_id, client_id=client_id).where(
        now
    )
    sql = f"""
        WITH scope AS MATERIALIZED (
            SELECT s.id, s.collab_id, s.status, s.status_changed_at, s.item
            {_from(aliases)} WHERE {where}),
        counts AS (
            SELECT count(*) FILTER (WHERE status = 'pending') AS pending,
                   count(*) FILTER (WHERE status = 'in_transit') AS in_transit,
                   count(*) FILTER (WHERE status = 'delivered') AS delivered,
                   count(*) FILTER (WHERE status = 'exception') AS exception
            FROM scope),
        oldest AS (
            SELECT sc.id, cr.name AS creator, sc.item, sc.status_changed_at AS since
            FROM scope sc JOIN collaborations c ON c.id = sc.collab_id
            JOIN creators cr ON cr.id = c.creator_id
            WHERE sc.status = 'in_transit' ORDER BY sc.status_changed_at, sc.id LIMIT 1)
        SELECT counts.*, oldest.* FROM counts LEFT JOIN oldest ON true
    """
    row = db.one(sql, bind(sql, params))
    assert row is not None  # an aggregate always has a row
    pending, in_transit, delivered, exception, oldest_id, creator, item, since = row
    oldest = None
    if oldest_id is not None:
        days = max(0, int((now - since).total_seconds() // 86400))
        oldest = OldestInTransit(oldest_id, creator, item, since, days)
    return DeliverySummary(pending, in_transit, delivered, exception, oldest)


def summary_by_campaign(
    db: Database,
    client_id: int | None = None,
    page: int = 1,
    page_size: int = 25,
    now: dt.datetime | None = None,
) -> Page:
    """Per campaign with shipments: the count in each status and the longest time in transit,
    the campaigns with the most exceptions (then the longest wait) first; one page of them."""
    if not isinstance(page_size, int) or not 1 <= page_size <= max(PAGE_SIZES):
        raise rules.RuleViolation(f"A page has 1 to {max(PAGE_SIZES)} rows.")
    now = now or utcnow()
    where, params, _ = DeliveryFilter(client_id=client_id).where(now)
    page = max(1, min(int(page), _LAST_POSSIBLE_PAGE))
    sql = f"""
        WITH per AS (
            SELECT c.campaign_id,
                   count(*) FILTER (WHERE s.status = 'pending') AS pending,
                   count(*) FILTER (WHERE s.status = 'in_transit') AS in_transit,
                   count(*) FILTER (WHERE s.status = 'delivered') AS delivered,
                   count(*) FILTER (WHERE s.status = 'exception') AS exception,
                   max({DAYS_SQL}) FILTER (WHERE s.status = 'in_transit')
                       AS longest_in_transit_days
            {_from({"co"})} WHERE {where} GROUP BY c.campaign_id)
        SELECT per.campaign_id, ca.name AS campaign, cl.name AS client, per.* EXCLUDE
               (campaign_id), count(*) OVER () AS total
        FROM per JOIN campaigns ca ON ca.id = per.campaign_id
        JOIN campaign_ownership co ON co.campaign_id = ca.id
        JOIN clients cl ON cl.id = {CLIENT_SQL}
        ORDER BY per.exception DESC, per.longest_in_transit_days DESC NULLS LAST,
                 lower(ca.name), ca.id
        LIMIT $limit OFFSET $offset
    """
    values = {**params, "now": now, "limit": page_size, "offset": (page - 1) * page_size}
    rows = db.frame(sql, bind(sql, values))
    total = int(rows.pop("total").iloc[0]) if len(rows) else 0
    return Page(rows=rows, total=total, page=page, page_size=page_size)


# --- one collaboration's shipments ----------------------------------------------------


def for_collaboration(
    db: Database, collab_id: int, now: dt.datetime | None = None
) -> pd.DataFrame:
    """The shipments of one collaboration, newest first, with what an update needs."""
    sql = (
        "SELECT s.id, s.item, s.carrier, s.tracking_number, s.address, s.status,"
        f" s.exception_reason, s.shipped_on, s.delivered_on, {DAYS_SQL} AS days_in_status,"
        " s.version FROM shipments s WHERE s.collab_id = $collab"
        " ORDER BY s.created_at DESC, s.id DESC"
    )
    return db.frame(sql, {"collab": as_id(collab_id, "collaboration"), "now": now or utcnow()})


def shippable(
    db: Database, campaign_id: int, statuses: tuple[str, ...] = (CollabStatus.FULFILLING,)
) -> pd.DataFrame:
    """A campaign's collaborations in `statuses` (all when empty), for a batch of new
    shipments: id, creator, handle, status, address, and how many shipments each has."""
    wanted = [rules.parse_collab_status(s).value for s in statuses] or [s.value for s in
                                                                        CollabStatus]
    return db.frame(
        "SELECT c.id, cr.name AS creator, cr.handle, c.status, cr.address,"
        " (SELECT count(*) FROM shipments s WHERE s.collab_id = c.id) AS shipments"
        " FROM collaborations c JOIN creators cr ON cr.id = c.creator_id"
        " WHERE c.campaign_id = ? AND c.status IN (SELECT unnest(?::VARCHAR[]))"
        " ORDER BY lower(cr.name), c.id LIMIT ?",
        [as_id(campaign_id, "campaign"), wanted, MAX_BATCH],
    )


# --- new shipments --------------------------------------------------------------------


@dataclass(frozen=True)
class NewShipmentRow:
    collab_id: int
    creator: str
    campaign: str
    collab_status: str | None
    address: str
    ok: bool
    message: str


@dataclass
class NewShipmentsPreview:
    item: str
    carrier: str
    rows: list[NewShipmentRow]

    @property
    def valid(self) -> list[int]:
        """The collaborations that will get a shipment, to hand back to create_shipments."""
        return [r.collab_id for r in self.rows if r.ok]

    @property
    def refused(self) -> list[NewShipmentRow]:
        return [r for r in self.rows if not r.ok]


@dataclass
class NewShipmentsResult:
    created: dict[int, int] = field(default_factory=dict)  # collaboration id -> shipment id
    refused: dict[int, str] = field(default_factory=dict)  # collaboration id -> why

    def summary(self) -> str:
        count = len(self.created)
        text = f"{count:,} shipment{'s' if count != 1 else ''} created"
        if self.refused:
            text += f"; {len(self.refused):,} refused"
        return text + "."


def _batch_ids(ids: list[object], what: str) -> list[int]:
    unique = list(dict.fromkeys(as_id(i, what) for i in ids))
    if not unique:
        raise rules.RuleViolation(f"Choose at least one {what} first.")
    if len(unique) > MAX_BATCH:
        raise rules.RuleViolation(f"A batch takes at most {MAX_BATCH:,} at a time.")
    return unique


def _load_collabs(cur: Cursor, ids: list[int], item: str) -> dict[int, tuple]:
    """id -> (status, creator, campaign, address, status of an open shipment of `item`)."""
    rows = cur.execute(
        "SELECT c.id, c.status, cr.name, ca.name, coalesce(trim(cr.address), ''),"
        " (SELECT arg_min(s.status, s.id) FROM shipments s WHERE s.collab_id = c.id"
        "   AND lower(trim(s.item)) = lower($item) AND s.status <> 'exception')"
        " FROM collaborations c JOIN creators cr ON cr.id = c.creator_id"
        " JOIN campaigns ca ON ca.id = c.campaign_id"
        " WHERE c.id IN (SELECT unnest($ids::BIGINT[]))",
        {"ids": ids, "item": item},
    ).fetchall()
    return {r[0]: r[1:] for r in rows}


def _judge_new(found: dict[int, tuple], ids: list[int]) -> list[NewShipmentRow]:
    rows = []
    for cid in ids:
        if cid not in found:
            rows.append(NewShipmentRow(cid, "", "", None, "", False, f"No collaboration #{cid}."))
            continue
        status, creator, campaign, address, same_item = found[cid]
        try:
            rules.check_new_shipment(status, address, same_item)
            ok, message = True, f"Ships to {address}"
        except rules.RuleViolation as refusal:
            ok, message = False, str(refusal)
        rows.append(NewShipmentRow(cid, creator, campaign, status, address, ok, message))
    return rows


def preview_new_shipments(
    db: Database, user: User, collab_ids: list[object], item: str, carrier: str = ""
) -> NewShipmentsPreview:
    """Which collaborations would get a shipment of `item`, and why the others would not."""
    rules.require_role(user, Role.STAFF, "create shipments")
    item, carrier = rules.check_item(item), rules.check_carrier(carrier)
    ids = _batch_ids(collab_ids, "collaboration")
    with db.cursor() as cur:
        found = _load_collabs(cur, ids, item)
    return NewShipmentsPreview(item, carrier, _judge_new(found, ids))


def create_shipments(
    db: Database, user: User, collab_ids: list[object], item: str, carrier: str = ""
) -> NewShipmentsResult:
    """A pending shipment of `item` for each collaboration the rules allow, with its creator's
    shipping address copied now; the rest are refused with the reason. One transaction."""
    grant = rules.require_role(user, Role.STAFF, "create shipments")
    item, carrier = rules.check_item(item), rules.check_carrier(carrier)
    ids = _batch_ids(collab_ids, "collaboration")

    def write(cur: Cursor) -> NewShipmentsResult:
        rows = _judge_new(_load_collabs(cur, ids, item), ids)
        result = NewShipmentsResult(refused={r.collab_id: r.message for r in rows if not r.ok})
        chosen = [r for r in rows if r.ok]
        if chosen:
            result.created = _insert_shipments(cur, user, chosen, item, carrier)
        return result

    return db.write(users.recheck(grant, write))


def create_shipment(
    db: Database, user: User, collab_id: object, item: str, carrier: str = ""
) -> int:
    """One new shipment for one collaboration; RuleViolation saying why when refused."""
    result = create_shipments(db, user, [collab_id], item, carrier)
    if result.refused:
        raise rules.RuleViolation(next(iter(result.refused.values())))
    return next(iter(result.created.values()))


def _insert_shipments(
    cur: Cursor, user: User, rows: list[NewShipmentRow], item: str, carrier: str
) -> dict[int, int]:
    now = utcnow()
    created = cur.execute(
        "INSERT INTO shipments (collab_id, item, carrier, address, status, status_changed_at,"
        " created_at, version)"
        " SELECT unnest($collabs::BIGINT[]), $item, $carrier, unnest($addresses::VARCHAR[]),"
        " 'pending', $now, $now, 1 RETURNING collab_id, id",
        {"collabs": [r.collab_id for r in rows], "addresses": [r.address for r in rows],
         "item": item, "carrier": carrier, "now": now},
    ).fetchall()  # fmt: skip
    by_collab = dict(created)
    texts = [
        f"Shipment #{by_collab[r.collab_id]} created: {item}" + (f" ({carrier})" if carrier else "")
        for r in rows
    ]
    _events(cur, user, EventKind.SHIPMENT_CREATED, [r.collab_id for r in rows],
            [None] * len(rows), [DeliveryStatus.PENDING.value] * len(rows), texts, now)
    return by_collab


def _events(
    cur: Cursor,
    user: User,
    kind: EventKind,
    collab_ids: list[int],
    from_statuses: list[str | None],
    to_statuses: list[str | None],
    texts: list[str],
    now: dt.datetime,
) -> None:
    """One activity event per row on its collaboration, which is marked as updated too (its
    version is left alone: it guards the collaboration's status and terms only). Touching the
    collaboration also makes two concurrent writes on its shipments conflict, so one of them
    is retried and sees the other's work."""
    cur.execute(
        "INSERT INTO activity_events"
        " (collab_id, occurred_at, actor, kind, from_status, to_status, text)"
        " SELECT unnest($collabs::BIGINT[]), $now, $actor, $kind, unnest($froms::VARCHAR[]),"
        " unnest($tos::VARCHAR[]), unnest($texts::VARCHAR[])",
        {"collabs": collab_ids, "now": now, "actor": user.username, "kind": kind.value,
         "froms": from_statuses, "tos": to_statuses, "texts": texts},
    )  # fmt: skip
    cur.execute(
        "UPDATE collaborations SET updated_at = $now"
        " WHERE id IN (SELECT unnest($collabs::BIGINT[]))",
        {"now": now, "collabs": sorted(set(collab_ids))},
    )


# --- status and tracking changes -------------------------------------------------------


@dataclass(frozen=True)
class _Shipment:
    id: int
    collab_id: int
    campaign_id: int
    status: str
    tracking_number: str
    carrier: str
    exception_reason: str | None
    shipped_on: dt.date | None
    delivered_on: dt.date | None
    version: int
    item: str
    creator: str
    campaign: str


def _load_shipments(cur: Cursor, ids: list[int]) -> dict[int, _Shipment]:
    rows = cur.execute(
        "SELECT s.id, s.collab_id, c.campaign_id, s.status, s.tracking_number, s.carrier,"
        " s.exception_reason, s.shipped_on, s.delivered_on, coalesce(s.version, 1), s.item,"
        " cr.name, ca.name"
        " FROM shipments s JOIN collaborations c ON c.id = s.collab_id"
        " JOIN creators cr ON cr.id = c.creator_id JOIN campaigns ca ON ca.id = c.campaign_id"
        " WHERE s.id IN (SELECT unnest(?::BIGINT[]))",
        [[i for i in ids if i in BIGINT_RANGE]],
    ).fetchall()
    return {r[0]: _Shipment(*r) for r in rows}


@dataclass(frozen=True)
class ChangeRow:
    shipment_id: int | None
    creator: str
    campaign: str
    item: str
    current: str | None
    version: int | None
    outcome: ChangeOutcome
    message: str
    change: ShipmentChange | None = None
    row: int | None = None  # the row of an imported sheet


@dataclass
class ChangePreview:
    rows: list[ChangeRow]
    campaign_id: int | None = None  # an imported sheet's campaign
    blank_rows: int = 0  # empty rows of an imported sheet, skipped

    @property
    def planned(self) -> dict[int, tuple[ShipmentChange, int]]:
        """shipment id -> (change, version seen), for the rows that will change: what
        apply_changes takes back."""
        return {
            r.shipment_id: (r.change, r.version)
            for r in self.rows
            if r.outcome is ChangeOutcome.UPDATED
            and r.change is not None and r.shipment_id is not None and r.version is not None
        }

    def count(self, outcome: ChangeOutcome) -> int:
        return sum(r.outcome is outcome for r in self.rows)


@dataclass
class ChangeResult:
    updated: list[int] = field(default_factory=list)
    unchanged: list[int] = field(default_factory=list)
    refused: dict[int, str] = field(default_factory=dict)

    def summary(self) -> str:
        count = len(self.updated)
        text = f"{count:,} shipment{'s' if count != 1 else ''} updated"
        if self.unchanged:
            text += f"; {len(self.unchanged):,} unchanged"
        if self.refused:
            text += f"; {len(self.refused):,} refused"
        return text + "."


def _judge_change(ship: _Shipment, change: ShipmentChange, row: int | None = None) -> ChangeRow:
    outcome, message = rules.judge_shipment_change(
        ship.status, ship.tracking_number, ship.carrier, change
    )
    return ChangeRow(ship.id, ship.creator, ship.campaign, ship.item, ship.status,
                     ship.version, outcome, message, change, row)  # fmt: skip


def _refused(
    shipment_id: int | None, message: str, row: int | None = None, ship: _Shipment | None = None
) -> ChangeRow:
    """A refused row; with the shipment's names when it is one the user may see."""
    if ship is None:
        return ChangeRow(shipment_id, "", "", "", None, None, ChangeOutcome.REFUSED, message,
                         None, row)  # fmt: skip
    return ChangeRow(ship.id, ship.creator, ship.campaign, ship.item, ship.status, ship.version,
                     ChangeOutcome.REFUSED, message, None, row)  # fmt: skip


def preview_changes(db: Database, user: User, changes: list[ShipmentChange]) -> ChangePreview:
    """What each change would do, row by row; writes nothing."""
    rules.require_role(user, Role.STAFF, "update shipments")
    ids = _batch_ids([c.shipment_id for c in changes], "shipment")
    if len(ids) != len(changes):
        raise rules.RuleViolation("Each shipment may appear only once in a batch.")
    with db.cursor() as cur:
        found = _load_shipments(cur, ids)
    return ChangePreview([
        _judge_change(found[c.shipment_id], c) if c.shipment_id in found
        else _refused(c.shipment_id, f"No shipment #{c.shipment_id}.")
        for c in changes
    ])  # fmt: skip


def preview_status_change(
    db: Database,
    user: User,
    shipment_ids: list[object],
    target: DeliveryStatus | str,
    reason: str | None = None,
) -> ChangePreview:
    """What moving these shipments to `target` would do, row by row; writes nothing."""
    rules.require_role(user, Role.STAFF, "update shipments")
    status = rules.parse_delivery_status(target)
    ids = _batch_ids(shipment_ids, "shipment")
    reason = reason.strip() if reason and reason.strip() else None
    return preview_changes(db, user, [ShipmentChange(i, status, reason) for i in ids])


def apply_changes(
    db: Database,
    user: User,
    planned: Mapping[int, tuple[ShipmentChange, int]],
    campaign_id: int | None = None,
) -> ChangeResult:
    """Write the previewed changes (shipment id -> (change, version seen in the preview)).

    Shipments changed since the preview, gone, outside `campaign_id` (when given) or no longer
    allowed by the rules are refused; the rest change in one transaction, each with a
    delivery_changed event on its collaboration.
    """
    grant = rules.require_role(user, Role.STAFF, "update shipments")
    ids = _batch_ids(list(planned), "shipment")

    def write(cur: Cursor) -> ChangeResult:
        found = _load_shipments(cur, ids)
        result, writes = ChangeResult(), []
        for sid in ids:
            change, version = planned[sid]
            ship = found.get(sid)
            if ship is None or (campaign_id is not None and ship.campaign_id != campaign_id):
                result.refused[sid] = f"No shipment #{sid}" + (
                    " in this campaign." if campaign_id is not None else "."
                )
                continue
            if ship.version != version:
                result.refused[sid] = "Changed since the preview by someone else; preview again."
                continue
            judged = _judge_change(ship, change)
            if judged.outcome is ChangeOutcome.REFUSED:
                result.refused[sid] = judged.message
            elif judged.outcome is ChangeOutcome.UNCHANGED:
                result.unchanged.append(sid)
            else:
                result.updated.append(sid)
                writes.append((ship, change, judged.message))
        if writes:
            _write_changes(cur, user, writes)
        return result

    return db.write(users.recheck(grant, write))


def update_shipment(
    db: Database, user: User, shipment_id: object, version: int, change: ShipmentChange
) -> str:
    """Change one shipment (as seen at `version`); return what changed, or raise
    RuleViolation saying why not (also when there is nothing to change)."""
    sid = as_id(shipment_id, "shipment")
    change = ShipmentChange(sid, change.status, change.reason, change.tracking_number,
                            change.carrier)  # fmt: skip
    with db.cursor() as cur:
        if sid not in _load_shipments(cur, [sid]):
            raise NotFound(f"There is no shipment #{sid}.")
    result = apply_changes(db, user, {sid: (change, int(version))})
    if result.refused:
        raise rules.RuleViolation(result.refused[sid])
    if result.unchanged:
        raise rules.RuleViolation("Nothing to change: the shipment already looks like that.")
    return result.summary()


def _write_changes(
    cur: Cursor, user: User, writes: list[tuple[_Shipment, ShipmentChange, str]]
) -> None:
    """One UPDATE for all the rows (each with its own new values), then their events."""
    now = utcnow()
    columns: dict[str, list[Any]] = {k: [] for k in (
        "ids", "statuses", "reasons", "tracking", "carriers", "shipped", "delivered", "moved"
    )}  # fmt: skip
    froms: list[str | None] = []
    tos: list[str | None] = []
    for ship, change, _ in writes:
        target = rules.parse_delivery_status(change.status or ship.status)
        moved = target.value != ship.status
        shipped, delivered = (
            rules.shipment_dates(target, ship.shipped_on, ship.delivered_on, now.date())
            if moved else (ship.shipped_on, ship.delivered_on)
        )  # fmt: skip
        if not moved:
            reason = ship.exception_reason
        else:
            reason = (change.reason or "").strip() if target is DeliveryStatus.EXCEPTION else None
        tracking = ship.tracking_number
        if change.tracking_number is not None:
            tracking = rules.check_tracking_number(change.tracking_number)
        carrier = ship.carrier if change.carrier is None else rules.check_carrier(change.carrier)
        for key, value in zip(columns, (ship.id, target.value, reason, tracking, carrier,
                                        shipped, delivered, moved), strict=True):
            columns[key].append(value)
        froms.append(ship.status if moved else None)
        tos.append(target.value if moved else None)
    cur.execute(
        "UPDATE shipments SET status = n.status, exception_reason = n.reason,"
        " tracking_number = n.tracking, carrier = n.carrier, shipped_on = n.shipped,"
        " delivered_on = n.delivered,"
        " status_changed_at = CASE WHEN n.moved THEN $now ELSE shipments.status_changed_at END,"
        " version = coalesce(shipments.version, 1) + 1"
        " FROM (SELECT unnest($ids::BIGINT[]) AS id, unnest($statuses::VARCHAR[]) AS status,"
        "   unnest($reasons::VARCHAR[]) AS reason, unnest($tracking::VARCHAR[]) AS tracking,"
        "   unnest($carriers::VARCHAR[]) AS carrier, unnest($shipped::DATE[]) AS shipped,"
        "   unnest($delivered::DATE[]) AS delivered, unnest($moved::BOOLEAN[]) AS moved) n"
        " WHERE shipments.id = n.id",
        {**columns, "now": now},
    )
    texts = [f"Shipment #{ship.id}, {ship.item}: {message}" for ship, _, message in writes]
    _events(cur, user, EventKind.DELIVERY_CHANGED, [ship.collab_id for ship, _, _ in writes],
            froms, tos, texts, now)  # fmt: skip


# --- the warehouse's spreadsheet ------------------------------------------------------


def _campaign_name(db: Database, campaign_id: object) -> tuple[int, str]:
    cid = as_id(campaign_id, "campaign")
    name = db.value("SELECT name FROM campaigns WHERE id = ?", [cid])
    if name is None:
        raise NotFound(f"There is no campaign #{cid}.")
    return cid, name


def export_addresses(db: Database, user: User, campaign_id: object) -> tuple[str, bytes]:
    """The address list of a campaign's shipments as an .xlsx file: (file name, content)."""
    rules.require_role(user, Role.VIEWER, "export shipments")
    cid, name = _campaign_name(db, campaign_id)
    rows = db.rows(
        "SELECT s.id, cr.name, '@' || cr.handle, ca.name, s.item, s.address, s.carrier,"
        " s.tracking_number, s.status, coalesce(s.exception_reason, '')"
        " FROM shipments s JOIN collaborations c ON c.id = s.collab_id"
        " JOIN creators cr ON cr.id = c.creator_id JOIN campaigns ca ON ca.id = c.campaign_id"
        " WHERE c.campaign_id = ? ORDER BY lower(cr.name), s.id",
        [cid],
    )
    labelled = [(*r[:8], DeliveryStatus(r[8]).label, r[9]) for r in rows]
    return export_file_name(db, cid), delivery_sheet.address_list(labelled, name)


def export_file_name(db: Database, campaign_id: object) -> str:
    """The address list's file name: the campaign's name and today's date."""
    cid, name = _campaign_name(db, campaign_id)
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:40] or f"campaign-{cid}"
    return f"shipments-{slug}-{utcnow():%Y-%m-%d}.xlsx"


def _sheet_id(row: delivery_sheet.SheetRow) -> int | None:
    """The shipment number a row names (a leading # is allowed), or None when it names none."""
    raw = row.values["id"].lstrip("#").strip()
    return int(raw) if raw.isdigit() and int(raw) in BIGINT_RANGE else None


def _sheet_change(row: delivery_sheet.SheetRow, shipment_id: int) -> ShipmentChange:
    """The change one row of a sheet asks for; RuleViolation when the row is malformed."""

    def given(name: str) -> str | None:
        return row.values.get(name) or None  # an empty cell keeps what is there

    status = given("status")
    return ShipmentChange(
        shipment_id,
        None if status is None else rules.parse_delivery_status(status),
        given("reason"),
        given("tracking"),
        given("carrier"),
    )


def preview_import(
    db: Database, user: User, campaign_id: object, file_name: str, data: bytes
) -> ChangePreview:
    """Every row of a filled-in sheet and its outcome (updated, unchanged, refused and why);
    writes nothing. Rows that are malformed, name no shipment of this campaign, name one
    shipment twice or break a rule are refused."""
    rules.require_role(user, Role.STAFF, "import shipment updates")
    cid, _ = _campaign_name(db, campaign_id)
    sheet = delivery_sheet.read(file_name, data)
    rows_of: dict[int, list[int]] = {}  # shipment id -> the sheet rows naming it
    for row in sheet.rows:
        sid = _sheet_id(row)
        if sid is not None:
            rows_of.setdefault(sid, []).append(row.number)
    with db.cursor() as cur:
        found = _load_shipments(cur, list(rows_of))
    return ChangePreview([_judge_row(row, rows_of, found, cid) for row in sheet.rows],
                         campaign_id=cid, blank_rows=sheet.blank_rows)  # fmt: skip


def _judge_row(
    row: delivery_sheet.SheetRow,
    rows_of: dict[int, list[int]],
    found: dict[int, _Shipment],
    campaign_id: int,
) -> ChangeRow:
    sid = _sheet_id(row)
    if sid is None:
        named = rules.shown(row.values["id"])
        return _refused(None, f"{delivery_sheet.ID_HEADER} {named} is not a shipment number.",
                        row.number)  # fmt: skip
    ship = found.get(sid)
    if ship is None or ship.campaign_id != campaign_id:
        return _refused(sid, f"No shipment #{sid} in this campaign.", row.number)
    if len(rows_of[sid]) > 1:
        where = ", ".join(str(n) for n in rows_of[sid])
        return _refused(sid, f"Shipment #{sid} is on rows {where}; keep one of them.",
                        row.number, ship)  # fmt: skip
    try:
        change = _sheet_change(row, sid)
    except rules.RuleViolation as refusal:
        return _refused(sid, str(refusal), row.number, ship)
    return _judge_change(ship, change, row.number)


def apply_import(db: Database, user: User, preview: ChangePreview) -> ChangeResult:
    """Write the rows of a previewed sheet that will change, in one transaction."""
    rules.require_role(user, Role.STAFF, "import shipment updates")
    if not preview.planned:
        raise rules.RuleViolation("Nothing to import: no row of the sheet changes anything.")
    return apply_changes(db, user, preview.planned, campaign_id=preview.campaign_id)
