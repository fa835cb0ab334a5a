"""The deliveries list (lib.deliveries.list_shipments) against one hand-written SQL statement.

Both produce one page as the list shows it (ids in order, with each row's creator, campaign,
client and days in status) plus the total count of matching shipments; the run checks that they
agree before trusting any timing. Both are given the same `now`, so "days in status" and the
"in transit longer than N days" cutoff are the same.

The hand-written SQL is written out per scenario, as one would at a DuckDB prompt (a top-N
page of shipments, then the page's rows joined with the names, and a count of the same
filter), and shares nothing with lib.deliveries' query builder.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from bench.dataset import scaled
from bench.versus import VersusOutcome, versus_sql
from lib.db import Database, bind, utcnow
from lib.deliveries import DeliveryFilter, list_shipments

PAGE_SIZE = 50
IN_TRANSIT_DAYS = 120
# Of all shipments at 1M (the demo has about 326,000: page 2,000 exists); the same share of
# them at other sizes (bench.dataset.scaled).
DEEP_PAGE = 2_000
# (ids in order, total matching, (creator, campaign, client, days in status) per row)
Result = tuple[list[int], int, list[tuple[str, str, str, int]]]


@dataclass(frozen=True)
class HandSQL:
    """A page and its count written by hand: `page` selects the page's shipments as `p`
    (id, sort_key) in order and `order` is that order over `p`; `count` counts the same
    filter. $campaign, $cutoff, $offset and $now where they are used."""

    page: str
    order: str
    count: str


@dataclass(frozen=True)
class Scenario:
    name: str
    filt: DeliveryFilter
    sort: str
    descending: bool
    page: int
    hand: HandSQL


# --- the hand-written SQL, one page and one count per scenario -----------------------------

# "Days in status", longest first: the oldest change first (ties: the newest shipment first).
ALL_BY_DAYS = HandSQL(
    page="""SELECT id, status_changed_at AS sort_key FROM shipments
            ORDER BY status_changed_at, id DESC LIMIT 50 OFFSET $offset""",
    order="p.sort_key, p.id DESC",
    count="SELECT count(*) FROM shipments",
)
EXCEPTIONS_BY_DAYS = HandSQL(
    page="""SELECT id, status_changed_at AS sort_key FROM shipments WHERE status = 'exception'
            ORDER BY status_changed_at, id DESC LIMIT 50 OFFSET $offset""",
    order="p.sort_key, p.id DESC",
    count="SELECT count(*) FROM shipments WHERE status = 'exception'",
)
CAMPAIGN_BY_CREATOR = HandSQL(
    page="""SELECT s.id, lower(cr.name) AS sort_key FROM shipments s
            JOIN collaborations c ON c.id = s.collab_id JOIN creators cr ON cr.id = c.creator_id
            WHERE c.campaign_id = $campaign
            ORDER BY lower(cr.name), s.id LIMIT 50 OFFSET $offset""",
    order="p.sort_key, p.id",
    count="""SELECT count(*) FROM shipments s JOIN collaborations c ON c.id = s.collab_id
             WHERE c.campaign_id = $campaign""",
)
LONG_IN_TRANSIT_BY_DAYS = HandSQL(
    page="""SELECT id, status_changed_at AS sort_key FROM shipments
            WHERE status = 'in_transit' AND status_changed_at < $cutoff
            ORDER BY status_changed_at, id DESC LIMIT 50 OFFSET $offset""",
    order="p.sort_key, p.id DESC",
    count="""SELECT count(*) FROM shipments
             WHERE status = 'in_transit' AND status_changed_at < $cutoff""",
)
ALL_BY_CREATED = HandSQL(
    page="""SELECT id, created_at AS sort_key FROM shipments
            ORDER BY created_at DESC, id DESC LIMIT 50 OFFSET $offset""",
    order="p.sort_key DESC, p.id DESC",
    count="SELECT count(*) FROM shipments",
)

# The page's shipments with what the list shows about each.
_SHOW = """
WITH p AS ({page})
SELECT s.id, cr.name AS creator, ca.name AS campaign, cl.name AS client,
       greatest(0, date_diff('second', s.status_changed_at, $now) // 86400)::INTEGER AS days,
       cr.handle, c.status AS collab_status, s.item, s.carrier, s.tracking_number, s.status,
       s.exception_reason, s.shipped_on, s.delivered_on, s.status_changed_at, s.collab_id,
       s.version
FROM p JOIN shipments s ON s.id = p.id
JOIN collaborations c ON c.id = s.collab_id
JOIN creators cr ON cr.id = c.creator_id
JOIN campaigns ca ON ca.id = c.campaign_id
JOIN campaign_ownership co ON co.campaign_id = c.campaign_id
JOIN clients cl ON cl.id = co.client_id
ORDER BY {order}
"""


def scenarios(db: Database) -> list[Scenario]:
    campaign = db.value(
        "SELECT c.campaign_id FROM shipments s JOIN collaborations c ON c.id = s.collab_id"
        " GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 1"
    )
    deep = scaled(DEEP_PAGE, db.value("SELECT count(*) FROM collaborations"))
    return [
        Scenario("all shipments (the page's first view), p1", DeliveryFilter(),
                 "days_in_status", True, 1, ALL_BY_DAYS),
        Scenario("exceptions open, p1", DeliveryFilter(exceptions_open=True),
                 "days_in_status", True, 1, EXCEPTIONS_BY_DAYS),
        Scenario("one campaign, by creator, p1", DeliveryFilter(campaign_id=campaign),
                 "creator", False, 1, CAMPAIGN_BY_CREATOR),
        Scenario(f"in transit > {IN_TRANSIT_DAYS} days, p1",
                 DeliveryFilter(in_transit_days=IN_TRANSIT_DAYS), "days_in_status", True, 1,
                 LONG_IN_TRANSIT_BY_DAYS),
        Scenario(f"all shipments, by created, p{deep:,}", DeliveryFilter(), "created",
                 True, deep, ALL_BY_CREATED),
    ]


# --- the product ---------------------------------------------------------------------------


def service(db: Database, s: Scenario, now: dt.datetime) -> Result:
    page = list_shipments(db, s.filt, s.sort, s.descending, s.page, PAGE_SIZE, now)
    rows = page.rows
    shown = zip(rows["creator"], rows["campaign"], rows["client"], rows["days_in_status"],
                strict=True)
    return ([int(i) for i in rows["id"]], int(page.total),
            [(a, b, c, int(d)) for a, b, c, d in shown])


# --- one hand-written page and count ---------------------------------------------------------


def hand_sql(db: Database, s: Scenario, now: dt.datetime) -> Result:
    values: dict[str, Any] = {
        "now": now, "offset": (s.page - 1) * PAGE_SIZE,
        "cutoff": now - dt.timedelta(days=s.filt.in_transit_days or 0),
        "campaign": s.filt.campaign_id,
    }
    page_sql = _SHOW.format(page=s.hand.page, order=s.hand.order)
    rows = db.rows(page_sql, bind(page_sql, values))
    total = db.value(s.hand.count, bind(s.hand.count, values))
    return [int(r[0]) for r in rows], int(total), [(r[1], r[2], r[3], int(r[4])) for r in rows]


# --- the run -------------------------------------------------------------------------------


def run(db: Database, repeat: int) -> list[VersusOutcome]:
    now = utcnow()
    outcomes = []
    for s in scenarios(db):
        print(f"  deliveries: {s.name}", flush=True)
        outcomes.append(versus_sql(s, lambda s=s: service(db, s, now),
                                   lambda s=s: hand_sql(db, s, now), repeat, PAGE_SIZE, "rows"))
    return outcomes

