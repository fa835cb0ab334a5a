"""The shipments list (filtered, sorted and paged in SQL), its pickers, and one
collaboration's shipments."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import pandas as pd

from lib import rules
from lib.db import Database, Page, as_id, bind, utcnow
from lib.models import (
    MAX_SEARCH_CHARS,
    CollabStatus,
)

PAGE_SIZES = (25, 50, 100, 200)
MAX_BATCH = 5_000  # shipments or collaborations in one batch (a preview lists every one)
MAX_IN_TRANSIT_DAYS = 3_650
LAST_POSSIBLE_PAGE = 2**40  # keeps OFFSET a BIGINT; any page past the end shows the last one

# Sort keys the page offers, mapped to SQL over `s` and the aliases in _SORT_TABLES.
SORTS: dict[str, str] = {
    "days_in_status": "s.status_changed_at",  # in _REVERSED: the latest change waited least
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
# Sorts whose key runs against what they show: more days in status is an earlier change. The
# column itself is the key (an expression such as -epoch() over every shipment made the
# first view 1.5x slower at 326,000 shipments), in the other direction.
_REVERSED = {"days_in_status"}

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


def from_sql(aliases: set[str]) -> str:
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
    page = max(1, min(int(page), LAST_POSSIBLE_PAGE))
    rows = db.frame(sql, {**params, "limit": page_size, "offset": (page - 1) * page_size})
    if rows.empty and page > 1:  # past the last page: show the last one instead
        where, where_params, aliases = filt.where(now)
        count_sql = f"SELECT count(*){from_sql(aliases)} WHERE {where}"
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
    way = "DESC" if descending else "ASC"  # of the ids, which break ties
    key_way = "DESC" if descending != (sort in _REVERSED) else "ASC"
    narrow = from_sql(aliases | _SORT_TABLES.get(sort, set()))
    sql = f"""
        WITH hits AS MATERIALIZED (SELECT s.id, {SORTS[sort]} AS sort_key{narrow} WHERE {where}),
        page AS (SELECT id, sort_key FROM hits ORDER BY sort_key {key_way} NULLS LAST, id {way}
                 LIMIT $limit OFFSET $offset)
        SELECT {_LIST_COLUMNS}, (SELECT count(*) FROM hits) AS total
        {from_sql(set(_JOINS))} JOIN page p ON p.id = s.id
        ORDER BY p.sort_key {key_way} NULLS LAST, p.id {way}
    """
    return sql, {**params, "now": now}


def matching_ids(db: Database, filt: DeliveryFilter, now: dt.datetime | None = None) -> list[int]:
    """Every shipment matching `filt`, for a batch change of the whole filter."""
    filt.check()
    where, params, aliases = filt.where(now or utcnow())
    sql = f"SELECT s.id{from_sql(aliases)} WHERE {where} ORDER BY s.id LIMIT {MAX_BATCH + 1}"
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
