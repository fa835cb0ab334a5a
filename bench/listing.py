"""Item 1: the collaborations list as the page asks for it, against pandas and hand-written SQL.

All three produce one page as the list shows it (ids in order, each row's validation badge)
plus the total count of matching rows; the run checks that they agree before trusting any
timing. The badge needs a look at every creator (does another one share this handle on this
platform?), so both references compute it too: same result, same work to do.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from bench.timing import Stats, compare
from lib import rules
from lib.collaborations import CollabFilter, list_collaborations
from lib.db import Database
from lib.models import CreatorFacts

PAGE_SIZE = 50
Result = tuple[list[int], int, list[str]]  # (page ids in order, total matching, badges)


@dataclass(frozen=True)
class Scenario:
    name: str
    filt: CollabFilter
    sort: str = "updated"
    descending: bool = True
    page: int = 1


@dataclass
class ListOutcome:
    scenario: Scenario
    stats: dict[str, Stats]
    total: int
    agree: bool
    notes: list[str] = field(default_factory=list)


def scenarios(db: Database) -> list[Scenario]:
    """Filters chosen so that page 200 exists (at least 200 * 50 matching rows)."""
    campaign = db.value(
        "SELECT campaign_id FROM collaborations GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 1"
    )
    client = db.value(
        "SELECT co.client_id FROM collaborations c"
        " JOIN campaign_ownership co ON co.campaign_id = c.campaign_id"
        " GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 1"
    )
    open_statuses = ("pending", "negotiating", "fulfilling")
    busy = ("negotiating", "fulfilling")
    return [
        Scenario("no filter (the page's first view), p1", CollabFilter()),
        Scenario("campaign+status, by compensation, p1",
                 CollabFilter(statuses=open_statuses, campaign_id=campaign), "compensation"),
        Scenario("client+status, by created, p1",
                 CollabFilter(statuses=open_statuses, client_id=client), "created"),
        Scenario("status, by updated, p1", CollabFilter(statuses=busy)),
        Scenario("status, by updated, p200", CollabFilter(statuses=busy), page=200),
        Scenario("search+status, by creator, p1",
                 CollabFilter(search="müller", statuses=busy), "creator", False),
        Scenario("search+status, by creator, p200",
                 CollabFilter(search="müller", statuses=busy), "creator", False, 200),
    ]


# --- the product -------------------------------------------------------------


def service(db: Database, s: Scenario) -> Result:
    page = list_collaborations(db, s.filt, s.sort, s.descending, s.page, PAGE_SIZE)
    return [int(i) for i in page.rows["id"]], int(page.total), list(page.rows["validation"])


# --- the plain pandas approach -------------------------------------------------


def _load(db: Database) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Every collaboration joined with its creator, campaign and client; and the creators."""
    with db.cursor() as cur:
        collabs = cur.execute("SELECT * FROM collaborations").df()
        creators = cur.execute("SELECT * FROM creators").df().add_prefix("cr_")
        campaigns = cur.execute(
            "SELECT ca.* EXCLUDE (client_id, owner_id), co.client_id, co.owner_id"
            " FROM campaigns ca JOIN campaign_ownership co ON co.campaign_id = ca.id"
        ).df().add_prefix("ca_")
        clients = cur.execute("SELECT * FROM clients").df().add_prefix("cl_")
    merged = (
        collabs.merge(creators, left_on="creator_id", right_on="cr_id")
        .merge(campaigns, left_on="campaign_id", right_on="ca_id")
        .merge(clients, left_on="ca_client_id", right_on="cl_id")
    )
    return merged, creators


def _pandas_badges(page: pd.DataFrame, creators: pd.DataFrame) -> list[str]:
    """The badges, with the shared-handle fact of lib.creators.FACTS_SQL: the same handle on
    another platform under another name."""
    def accounts(frame: pd.DataFrame) -> pd.DataFrame:
        return pd.DataFrame({
            "key": frame["cr_handle"].str.strip().str.lstrip("@").str.strip().str.lower(),
            "platform": frame["cr_platform"].to_numpy(),
            "name": frame["cr_name"].str.split().str.join(" ").str.lower(),
        })

    def text(value: Any) -> str | None:
        return None if pd.isna(value) else str(value)

    rows = accounts(page).assign(row=range(len(page)))
    pairs = rows.merge(accounts(creators), on="key", suffixes=("", "_other"))
    flagged = set(pairs.loc[(pairs["platform"] != pairs["platform_other"])
                            & (pairs["name"] != pairs["name_other"]), "row"])
    shared = [row in flagged for row in range(len(page))]
    return [
        rules.creator_validation(
            CreatorFacts(text(r.cr_email), text(r.cr_phone), text(r.cr_address),
                         int(r.cr_followers), float(r.cr_engagement_rate), bool(is_shared)),
            text(r.cr_validation_override),
        ).value
        for r, is_shared in zip(page.itertuples(), shared, strict=True)
    ]


def _pandas_mask(merged: pd.DataFrame, f: CollabFilter) -> pd.Series:
    mask = pd.Series(True, index=merged.index)
    term = f.search.strip().lstrip("@").lower()
    if term:
        name = merged["cr_name"].str.lower().str.contains(term, regex=False)
        handle = merged["cr_handle"].str.lower().str.contains(term, regex=False)
        mask &= name | handle
    if f.statuses:
        mask &= merged["status"].isin(f.statuses)
    if f.client_id is not None:
        mask &= merged["ca_client_id"] == f.client_id
    if f.campaign_id is not None:
        mask &= merged["campaign_id"] == f.campaign_id
    if f.tag or f.created_from or f.created_to:
        raise NotImplementedError("the pandas reference covers the filters the bench uses")
    return mask


_STATUS_ORDER = {"pending": 0, "negotiating": 1, "fulfilling": 2, "completed": 3}


def _pandas_key(hits: pd.DataFrame, sort: str) -> pd.Series:
    if sort == "creator":
        return hits["cr_name"].str.lower()
    if sort == "status":
        return hits["status"].map(_STATUS_ORDER).fillna(4)
    column = {"updated": "updated_at", "created": "created_at", "compensation": "compensation"}
    return hits[column[sort]]


def pandas_approach(db: Database, s: Scenario) -> Result:
    """Whole tables into DataFrames, then merge, filter, sort, slice and count (all timed)."""
    merged, creators = _load(db)
    hits = merged[_pandas_mask(merged, s.filt)]
    hits = hits.assign(sort_key=_pandas_key(hits, s.sort))
    hits = hits.sort_values(["sort_key", "id"], ascending=not s.descending)
    start = (s.page - 1) * PAGE_SIZE
    page = hits.iloc[start : start + PAGE_SIZE]
    return [int(i) for i in page["id"]], len(hits), _pandas_badges(page, creators)


# --- one hand-written statement -------------------------------------------------

_HAND_KEYS = {
    "updated": "c.updated_at",
    "created": "c.created_at",
    "compensation": "c.compensation",
    "creator": "lower(cr.name)",
}


def _hand_hits(s: Scenario) -> tuple[str, list[Any]]:
    """The matching rows, joining only the tables this filter and sort need."""
    f, joins, conds, params = s.filt, [], [], []
    term = f.search.strip().lstrip("@").lower()
    if term or s.sort == "creator":
        joins.append("JOIN creators cr ON cr.id = c.creator_id")
    if term:
        assert not set(term) & set("%_\\"), "LIKE pattern needs escaping"
        conds.append("(lower(cr.name) LIKE ? OR lower(cr.handle) LIKE ?)")
        params += [f"%{term}%", f"%{term}%"]
    if f.statuses:
        conds.append("c.status IN (" + ", ".join(f"'{x}'" for x in f.statuses) + ")")
    if f.client_id is not None:
        joins.append("JOIN campaign_ownership co ON co.campaign_id = c.campaign_id")
        conds.append("co.client_id = ?")
        params.append(f.client_id)
    if f.campaign_id is not None:
        conds.append("c.campaign_id = ?")
        params.append(f.campaign_id)
    sql = (
        f"SELECT c.id, {_HAND_KEYS[s.sort]} AS sort_key FROM collaborations c {' '.join(joins)}"
        f" WHERE {' AND '.join(conds) or 'true'}"
    )
    return sql, params


_HAND_BADGE = f"""
    CASE WHEN r.validation_override IS NOT NULL THEN r.validation_override
         WHEN dup.h IS NOT NULL OR r.engagement_rate > {rules.ENGAGEMENT_TOO_HIGH}
              OR (r.followers >= {rules.LOW_ENGAGEMENT_MIN_FOLLOWERS}
                  AND r.engagement_rate < {rules.ENGAGEMENT_TOO_LOW}) THEN 'flagged'
         WHEN coalesce(trim(r.email), '') = '' OR coalesce(trim(r.phone), '') = ''
              OR coalesce(trim(r.address), '') = '' THEN 'needs_review'
         ELSE 'verified' END"""


def hand_sql(db: Database, s: Scenario) -> Result:
    hits, params = _hand_hits(s)
    way = "DESC" if s.descending else "ASC"
    sql = f"""
        WITH hits AS ({hits}),
        page AS (SELECT id, sort_key FROM hits ORDER BY sort_key {way}, id {way}
                 LIMIT {PAGE_SIZE} OFFSET {(s.page - 1) * PAGE_SIZE}),
        r AS (
            SELECT p.sort_key, c.id, cr.name AS creator, cr.handle, cr.platform, c.creator_id,
                   ca.name AS campaign, cl.name AS client, c.status,
                   c.compensation::DOUBLE AS compensation, c.currency, c.due_date,
                   c.created_at, c.updated_at, c.version, cr.email, cr.phone, cr.address,
                   cr.followers, cr.engagement_rate, cr.validation_override
            FROM page p JOIN collaborations c ON c.id = p.id
            JOIN creators cr ON cr.id = c.creator_id JOIN campaigns ca ON ca.id = c.campaign_id
            JOIN campaign_ownership co ON co.campaign_id = ca.id
            JOIN clients cl ON cl.id = co.client_id
        ),
        dup AS (  -- the same handle on another platform under another name
            SELECT DISTINCT r.id AS h FROM r JOIN creators o
            ON lower(o.handle) = lower(r.handle) AND o.platform <> r.platform
               AND lower(o.name) <> lower(r.creator)
        )
        SELECT r.*, {_HAND_BADGE} AS validation, (SELECT count(*) FROM hits) AS total
        FROM r LEFT JOIN dup ON dup.h = r.id
        ORDER BY r.sort_key {way}, r.id {way}
    """
    frame = db.frame(sql, params)
    total = int(frame["total"].iloc[0]) if len(frame) else 0
    return [int(i) for i in frame["id"]], total, list(frame["validation"])


# --- the run ----------------------------------------------------------------------


def run(db: Database, repeat: int, pandas_repeat: int) -> list[ListOutcome]:
    outcomes = []
    for s in scenarios(db):
        print(f"  list: {s.name}", flush=True)
        candidates: dict[str, Callable[[], Result]] = {
            "service": lambda s=s: service(db, s),
            "sql": lambda s=s: hand_sql(db, s),
            "pandas": lambda s=s: pandas_approach(db, s),
        }
        stats, results = compare(candidates, repeat, fewer={"pandas": min(pandas_repeat, repeat)})
        outcomes.append(_outcome(s, stats, results))
    return outcomes


def _outcome(s: Scenario, stats: dict[str, Stats], results: dict[str, Result]) -> ListOutcome:
    ids, total, _ = results["service"]
    notes = []
    if s.page > 1 and total < s.page * PAGE_SIZE - PAGE_SIZE + 1:
        notes.append(f"only {total:,} rows match: page {s.page} does not exist")
    agree = all(r == results["service"] for r in results.values()) and len(ids) > 0
    if not agree:
        notes.append("DISAGREE: " + "; ".join(f"{k}: {len(v[0])} ids, total {v[1]}, badges "
                                              f"{sorted(set(v[2]))}" for k, v in results.items()))
    return ListOutcome(s, stats, total, agree, notes)
