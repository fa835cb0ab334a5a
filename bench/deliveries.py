"""The deliveries list (lib.deliveries.list_shipments) against one hand-written SQL statement.

Both produce one page as the list shows it (ids in order, with each row's creator, campaign,
client and days in status) plus the total count of matching shipments; the run checks that they
agree before trusting any timing. Both are given the same `now`, so "days in status" and the
"in transit longer than N days" cutoff are the same.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from bench.timing import Stats, compare
from lib.db import Database, utcnow
from lib.deliveries import DeliveryFilter, list_shipments

PAGE_SIZE = 50
IN_TRANSIT_DAYS = 120
DEEP_PAGE = 2_000  # of all shipments (the demo has about 326,000: page 2,000 exists)
# (ids in order, total matching, (creator, campaign, client, days in status) per row)
Result = tuple[list[int], int, list[tuple[str, str, str, int]]]


@dataclass(frozen=True)
class Scenario:
    name: str
    filt: DeliveryFilter
    sort: str = "days_in_status"
    descending: bool = True
    page: int = 1


@dataclass
class DeliveryOutcome:
    scenario: Scenario
    stats: dict[str, Stats]
    total: int
    agree: bool
    notes: list[str] = field(default_factory=list)


def scenarios(db: Database) -> list[Scenario]:
    campaign = db.value(
        "SELECT c.campaign_id FROM shipments s JOIN collaborations c ON c.id = s.collab_id"
        " GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 1"
    )
    return [
        Scenario("all shipments (the page's first view), p1", DeliveryFilter()),
        Scenario("exceptions open, p1", DeliveryFilter(exceptions_open=True)),
        Scenario("one campaign, by creator, p1", DeliveryFilter(campaign_id=campaign),
                 "creator", False),
        Scenario(f"in transit > {IN_TRANSIT_DAYS} days, p1",
                 DeliveryFilter(in_transit_days=IN_TRANSIT_DAYS)),
        Scenario(f"all shipments, by created, p{DEEP_PAGE:,}", DeliveryFilter(), "created",
                 page=DEEP_PAGE),
    ]


# --- the product ---------------------------------------------------------------------------


def service(db: Database, s: Scenario, now: dt.datetime) -> Result:
    page = list_shipments(db, s.filt, s.sort, s.descending, s.page, PAGE_SIZE, now)
    rows = page.rows
    shown = zip(rows["creator"], rows["campaign"], rows["client"], rows["days_in_status"],
                strict=True)
    return ([int(i) for i in rows["id"]], int(page.total),
            [(a, b, c, int(d)) for a, b, c, d in shown])


# --- one hand-written statement ------------------------------------------------------------

# The sorts the scenarios use, as a plain ORDER BY over the matches' columns (for "days in
# status", descending: the longest wait first, i.e. the oldest change first).
_HAND_ORDER = {
    ("days_in_status", True): "status_changed_at ASC, id DESC",
    ("created", True): "created_at DESC, id DESC",
    ("creator", False): "lower(name) ASC, id ASC",
}


def _hand_where(f: DeliveryFilter, now: dt.datetime) -> tuple[str, list[Any]]:
    conds, params = ["true"], []
    if f.exceptions_open:
        conds.append("s.status = 'exception'")
    if f.campaign_id is not None:
        conds.append("c.campaign_id = ?")
        params.append(f.campaign_id)
    if f.in_transit_days is not None:
        conds.append("s.status = 'in_transit' AND s.status_changed_at < ?")
        params.append(now - dt.timedelta(days=f.in_transit_days))
    if f.statuses or f.client_id is not None or f.carrier or f.search:
        raise NotImplementedError("the hand SQL covers the filters the bench uses")
    return " AND ".join(conds), params


def hand_sql(db: Database, s: Scenario, now: dt.datetime) -> Result:
    """Filter, count and page the shipments (joined with their collaboration, and the creator
    when sorting by name), then join the page's 50 rows with the names the list shows."""
    where, params = _hand_where(s.filt, now)
    order = _HAND_ORDER[(s.sort, s.descending)]
    creator = ("cr.name", " JOIN creators cr ON cr.id = c.creator_id") if s.sort == "creator" \
        else ("NULL", "")
    sql = f"""
        WITH hits AS (
            SELECT s.id, s.status_changed_at, s.created_at, {creator[0]} AS name
            FROM shipments s JOIN collaborations c ON c.id = s.collab_id{creator[1]}
            WHERE {where}
        ), page AS (
            SELECT id, row_number() OVER (ORDER BY {order}) AS n
            FROM (SELECT * FROM hits ORDER BY {order}
                  LIMIT {PAGE_SIZE} OFFSET {(s.page - 1) * PAGE_SIZE})
        )
        SELECT s.id, cr.name, ca.name, cl.name,
               greatest(0, date_diff('second', s.status_changed_at, ?) // 86400)::INTEGER,
               (SELECT count(*) FROM hits) AS total
        FROM page p JOIN shipments s ON s.id = p.id
        JOIN collaborations c ON c.id = s.collab_id JOIN creators cr ON cr.id = c.creator_id
        JOIN campaigns ca ON ca.id = c.campaign_id
        JOIN campaign_ownership co ON co.campaign_id = c.campaign_id
        JOIN clients cl ON cl.id = co.client_id
        ORDER BY p.n
    """
    rows = db.rows(sql, [*params, now])
    total = int(rows[0][5]) if rows else 0
    return [int(r[0]) for r in rows], total, [(r[1], r[2], r[3], int(r[4])) for r in rows]


# --- the run -------------------------------------------------------------------------------


def run(db: Database, repeat: int) -> list[DeliveryOutcome]:
    now = utcnow()
    outcomes = []
    for s in scenarios(db):
        print(f"  deliveries: {s.name}", flush=True)
        candidates: dict[str, Callable[[], Result]] = {
            "service": lambda s=s: service(db, s, now),
            "sql": lambda s=s: hand_sql(db, s, now),
        }
        stats, results = compare(candidates, repeat)
        outcomes.append(_outcome(s, stats, results))
    return outcomes


def _outcome(s: Scenario, stats: dict[str, Stats], results: dict[str, Result]) -> DeliveryOutcome:
    ids, total, _ = results["service"]
    notes = []
    if s.page > 1 and total < (s.page - 1) * PAGE_SIZE + 1:
        notes.append(f"only {total:,} rows match: page {s.page} does not exist")
    agree = results["sql"] == results["service"] and len(ids) > 0
    if not agree:
        notes.append("DISAGREE: " + "; ".join(f"{k}: {len(v[0])} ids, total {v[1]}"
                                              for k, v in results.items()))
    return DeliveryOutcome(s, stats, total, agree, notes)
