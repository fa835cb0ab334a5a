"""The figures above the list: counts by status, the oldest in transit, and per campaign."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from lib import rules
from lib.db import Database, Page, bind, utcnow
from lib.deliveries.listing import (
    CLIENT_SQL,
    DAYS_SQL,
    LAST_POSSIBLE_PAGE,
    PAGE_SIZES,
    DeliveryFilter,
    from_sql,
)

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
            {from_sql(aliases)} WHERE {where}),
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
    page = max(1, min(int(page), LAST_POSSIBLE_PAGE))
    sql = f"""
        WITH per AS (
            SELECT c.campaign_id,
                   count(*) FILTER (WHERE s.status = 'pending') AS pending,
                   count(*) FILTER (WHERE s.status = 'in_transit') AS in_transit,
                   count(*) FILTER (WHERE s.status = 'delivered') AS delivered,
                   count(*) FILTER (WHERE s.status = 'exception') AS exception,
                   max({DAYS_SQL}) FILTER (WHERE s.status = 'in_transit')
                       AS longest_in_transit_days
            {from_sql({"co"})} WHERE {where} GROUP BY c.campaign_id)
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
