"""Item 1: the collaborations list as the page asks for it, against pandas and hand-written SQL.

All three produce one page as the list shows it (ids in order with each row's creator,
campaign, client, status and validation badge) plus the total count of matching rows; the run
checks that they agree before trusting any timing. The badge needs a look at every creator
(does another one share this handle on this platform?), so both references compute it too:
same result, same work to do.

The hand-written SQL is written out per scenario, the way one would write it at a DuckDB prompt
(a top-N page over the filter, then the page's 50 rows joined with the names and the badge,
and a count of the same filter), and shares nothing with lib.collaborations' query builder.
The pandas reference loads and joins its tables once, before any timing; each timed run
filters, sorts and pages the frames in memory.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from bench.dataset import scaled
from bench.timing import Stats, compare
from lib import rules
from lib.collaborations import CollabFilter, list_collaborations
from lib.db import Database
from lib.models import CreatorFacts

PAGE_SIZE = 50
DEEP_PAGE = 200  # at 1M (bench.dataset.scaled: the same share of the rows at other sizes)
# One row of a page as the list shows it: id, creator, campaign, client, status, badge.
Shown = tuple[int, str, str, str, str, str]
Result = tuple[list[Shown], int]  # (the page's rows in order, total matching)


@dataclass(frozen=True)
class HandSQL:
    """A page and its count as one would write them by hand: `page` selects the page's
    collaborations as `p` (id, creator_id, campaign_id, sort_key) in order, `order` is that
    order over `p`, and `count` counts the same filter. Both take $campaign or $client when
    the filter names one, `page` also $offset."""

    page: str
    order: str
    count: str


@dataclass(frozen=True)
class Scenario:
    name: str
    filt: CollabFilter
    sort: str
    descending: bool
    page: int
    hand: HandSQL  # the same page and count, written by hand

    def params(self, campaign: int, client: int) -> dict[str, Any]:
        """The hand SQL's parameters: the scenario's campaign or client, the page's offset."""
        values: dict[str, Any] = {"offset": (self.page - 1) * PAGE_SIZE}
        if self.filt.campaign_id is not None:
            values["campaign"] = campaign
        if self.filt.client_id is not None:
            values["client"] = client
        return values


@dataclass
class ListOutcome:
    scenario: Scenario
    stats: dict[str, Stats]
    total: int
    agree: bool
    notes: list[str] = field(default_factory=list)


# --- the hand-written SQL, one page and one count per scenario -----------------------------

_OPEN = "('pending', 'negotiating', 'fulfilling')"
_BUSY = "('negotiating', 'fulfilling')"
_MUELLER = "(contains(lower(cr.name), 'müller') OR contains(lower(cr.handle), 'müller'))"

NO_FILTER = HandSQL(
    page="""SELECT id, creator_id, campaign_id, updated_at AS sort_key FROM collaborations
            ORDER BY updated_at DESC, id DESC LIMIT 50 OFFSET $offset""",
    order="p.sort_key DESC, p.id DESC",
    count="SELECT count(*) FROM collaborations",
)
CAMPAIGN_STATUS_BY_COMPENSATION = HandSQL(
    page=f"""SELECT id, creator_id, campaign_id, compensation AS sort_key FROM collaborations
             WHERE campaign_id = $campaign AND status IN {_OPEN}
             ORDER BY compensation DESC, id DESC LIMIT 50 OFFSET $offset""",
    order="p.sort_key DESC, p.id DESC",
    count=f"""SELECT count(*) FROM collaborations
              WHERE campaign_id = $campaign AND status IN {_OPEN}""",
)
CLIENT_STATUS_BY_CREATED = HandSQL(
    page=f"""SELECT c.id, c.creator_id, c.campaign_id, c.created_at AS sort_key
             FROM collaborations c JOIN campaign_ownership co ON co.campaign_id = c.campaign_id
             WHERE co.client_id = $client AND c.status IN {_OPEN}
             ORDER BY c.created_at DESC, c.id DESC LIMIT 50 OFFSET $offset""",
    order="p.sort_key DESC, p.id DESC",
    count=f"""SELECT count(*) FROM collaborations c
              JOIN campaign_ownership co ON co.campaign_id = c.campaign_id
              WHERE co.client_id = $client AND c.status IN {_OPEN}""",
)
BUSY_BY_UPDATED = HandSQL(
    page=f"""SELECT id, creator_id, campaign_id, updated_at AS sort_key FROM collaborations
             WHERE status IN {_BUSY}
             ORDER BY updated_at DESC, id DESC LIMIT 50 OFFSET $offset""",
    order="p.sort_key DESC, p.id DESC",
    count=f"SELECT count(*) FROM collaborations WHERE status IN {_BUSY}",
)
SEARCH_BUSY_BY_CREATOR = HandSQL(
    page=f"""SELECT c.id, c.creator_id, c.campaign_id, lower(cr.name) AS sort_key
             FROM collaborations c JOIN creators cr ON cr.id = c.creator_id
             WHERE {_MUELLER} AND c.status IN {_BUSY}
             ORDER BY lower(cr.name), c.id LIMIT 50 OFFSET $offset""",
    order="p.sort_key, p.id",
    count=f"""SELECT count(*) FROM collaborations c JOIN creators cr ON cr.id = c.creator_id
              WHERE {_MUELLER} AND c.status IN {_BUSY}""",
)

# The page's rows with the names the list shows and each one's badge (lib.rules'
# creator_validation, written as CASE): only the page's 50 creators are looked up.
_SHOW = f"""
WITH p AS ({{page}}),
handles AS (  -- the page's handles, then every creator with one of them (a semi join)
    SELECT lower(handle) AS h FROM creators WHERE id IN (SELECT creator_id FROM p)
), others AS MATERIALIZED (
    SELECT handle, platform, name FROM creators WHERE lower(handle) IN (SELECT h FROM handles)
),
shared AS (  -- the page's creators whose handle another creator has on another platform
    SELECT DISTINCT me.id FROM creators me JOIN others o
      ON lower(o.handle) = lower(me.handle) AND o.platform <> me.platform
     AND lower(regexp_replace(trim(o.name), '\\s+', ' ', 'g'))
         <> lower(regexp_replace(trim(me.name), '\\s+', ' ', 'g'))
    WHERE me.id IN (SELECT creator_id FROM p)
)
SELECT p.id, cr.name AS creator, ca.name AS campaign, cl.name AS client, c.status,
       CASE WHEN cr.validation_override IS NOT NULL THEN cr.validation_override
            WHEN sh.id IS NOT NULL OR cr.engagement_rate > {rules.ENGAGEMENT_TOO_HIGH}
                 OR (cr.followers >= {rules.LOW_ENGAGEMENT_MIN_FOLLOWERS}
                     AND cr.engagement_rate < {rules.ENGAGEMENT_TOO_LOW}) THEN 'flagged'
            WHEN coalesce(trim(cr.email), '') = '' OR coalesce(trim(cr.phone), '') = ''
                 OR coalesce(trim(cr.address), '') = '' THEN 'needs_review'
            ELSE 'verified' END AS validation,
       cr.handle, cr.platform, c.compensation::DOUBLE AS compensation, c.currency, c.due_date,
       c.created_at, c.updated_at, c.version
FROM p JOIN collaborations c ON c.id = p.id
JOIN creators cr ON cr.id = p.creator_id
JOIN campaigns ca ON ca.id = p.campaign_id
JOIN campaign_ownership co ON co.campaign_id = p.campaign_id
JOIN clients cl ON cl.id = co.client_id
LEFT JOIN shared sh ON sh.id = p.creator_id
ORDER BY {{order}}
"""


def scenarios(db: Database) -> list[tuple[Scenario, dict[str, Any]]]:
    """Filters chosen so that the deep page exists (page 200 at 1M, at least 200 * 50 matching
    rows; the same share of the rows at other sizes), each with its hand SQL's parameters."""
    deep = scaled(DEEP_PAGE, db.value("SELECT count(*) FROM collaborations"))
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
    found = [
        Scenario("no filter (the page's first view), p1", CollabFilter(), "updated", True, 1,
                 NO_FILTER),
        Scenario("campaign+status, by compensation, p1",
                 CollabFilter(statuses=open_statuses, campaign_id=campaign), "compensation",
                 True, 1, CAMPAIGN_STATUS_BY_COMPENSATION),
        Scenario("client+status, by created, p1",
                 CollabFilter(statuses=open_statuses, client_id=client), "created", True, 1,
                 CLIENT_STATUS_BY_CREATED),
        Scenario("status, by updated, p1", CollabFilter(statuses=busy), "updated", True, 1,
                 BUSY_BY_UPDATED),
        Scenario(f"status, by updated, p{deep:,}", CollabFilter(statuses=busy), "updated",
                 True, deep,
                 BUSY_BY_UPDATED),
        Scenario("search+status, by creator, p1",
                 CollabFilter(search="müller", statuses=busy), "creator", False, 1,
                 SEARCH_BUSY_BY_CREATOR),
        Scenario(f"search+status, by creator, p{deep:,}",
                 CollabFilter(search="müller", statuses=busy), "creator", False, deep,
                 SEARCH_BUSY_BY_CREATOR),
    ]
    return [(s, s.params(campaign, client)) for s in found]


# --- the product -------------------------------------------------------------


def service(db: Database, s: Scenario) -> Result:
    page = list_collaborations(db, s.filt, s.sort, s.descending, s.page, PAGE_SIZE)
    rows = page.rows
    shown = zip(rows["id"], rows["creator"], rows["campaign"], rows["client"], rows["status"],
                rows["validation"], strict=True)
    return [(int(i), a, b, c, d, e) for i, a, b, c, d, e in shown], int(page.total)


# --- one hand-written page and count ------------------------------------------------


def hand_sql(db: Database, s: Scenario, params: dict[str, Any]) -> Result:
    page_sql = _SHOW.format(page=s.hand.page, order=s.hand.order)
    rows = db.rows(page_sql, params)
    total = db.value(s.hand.count, {k: v for k, v in params.items() if k != "offset"})
    return [(int(r[0]), *r[1:6]) for r in rows], int(total)


# --- the plain pandas approach -------------------------------------------------


@dataclass(frozen=True)
class Loaded:
    """Every collaboration joined with its creator, campaign and client; and the creators."""

    merged: pd.DataFrame
    creators: pd.DataFrame


def load(db: Database) -> Loaded:
    """The tables into DataFrames, joined: done once, before any timing."""
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
    return Loaded(merged, creators)


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


def pandas_approach(loaded: Loaded, s: Scenario) -> Result:
    """The loaded frames filtered, sorted, sliced and counted (what is timed)."""
    merged = loaded.merged
    hits = merged[_pandas_mask(merged, s.filt)]
    hits = hits.assign(sort_key=_pandas_key(hits, s.sort))
    hits = hits.sort_values(["sort_key", "id"], ascending=not s.descending)
    start = (s.page - 1) * PAGE_SIZE
    page = hits.iloc[start : start + PAGE_SIZE]
    badges = _pandas_badges(page, loaded.creators)
    shown = zip(page["id"], page["cr_name"], page["ca_name"], page["cl_name"], page["status"],
                badges, strict=True)
    return [(int(i), a, b, c, d, e) for i, a, b, c, d, e in shown], len(hits)


# --- the run ----------------------------------------------------------------------


def run(db: Database, repeat: int, pandas_repeat: int) -> list[ListOutcome]:
    print("  list: loading the tables into pandas (once, not timed)", flush=True)
    loaded = load(db)
    outcomes = []
    for s, params in scenarios(db):
        print(f"  list: {s.name}", flush=True)
        candidates: dict[str, Callable[[], Result]] = {
            "service": lambda s=s: service(db, s),
            "sql": lambda s=s, p=params: hand_sql(db, s, p),
            "pandas": lambda s=s: pandas_approach(loaded, s),
        }
        stats, results = compare(candidates, repeat, fewer={"pandas": min(pandas_repeat, repeat)})
        outcomes.append(_outcome(s, stats, results))
    return outcomes


def _outcome(s: Scenario, stats: dict[str, Stats], results: dict[str, Result]) -> ListOutcome:
    rows, total = results["service"]
    notes = []
    if s.page > 1 and total < s.page * PAGE_SIZE - PAGE_SIZE + 1:
        notes.append(f"only {total:,} rows match: page {s.page} does not exist")
    agree = all(r == results["service"] for r in results.values()) and len(rows) > 0
    if not agree:
        notes.append("DISAGREE: " + "; ".join(
            f"{k}: {len(v[0])} rows, total {v[1]}, badges {sorted({r[5] for r in v[0]})}"
            for k, v in results.items()))
    return ListOutcome(s, stats, total, agree, notes)
