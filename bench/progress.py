"""Item 3: campaign progress (collaborations per status at the end of each week), the service
lib.progress.status_counts_by_week against a hand-written query.

The reference is written differently on purpose: it trusts each event's from_status (-1 there,
+1 in to_status) where the service rebuilds each collaboration's chain of spans. On consistent
data both give the same table, which the run checks.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd

from bench.timing import Stats, compare
from lib.db import Database
from lib.progress import status_counts_by_week

_HAND = """
WITH c AS (
    SELECT c.id, c.campaign_id, c.created_at, c.status FROM collaborations c
    JOIN campaigns ca ON ca.id = c.campaign_id WHERE {scope}
), ev AS (
    SELECT e.id, e.collab_id, e.occurred_at, e.from_status, e.to_status, c.campaign_id
    FROM activity_events e JOIN c ON c.id = e.collab_id WHERE e.kind = 'status_changed'
), initial AS (
    SELECT c.campaign_id, c.created_at AS since,
           coalesce(arg_min(ev.from_status, (ev.occurred_at, ev.id)), any_value(c.status))
               AS status
    FROM c LEFT JOIN ev ON ev.collab_id = c.id GROUP BY c.id, c.campaign_id, c.created_at
), deltas AS (
    SELECT campaign_id, date_trunc('week', since)::DATE AS week, status, 1 AS d FROM initial
    UNION ALL
    SELECT campaign_id, date_trunc('week', occurred_at)::DATE, from_status, -1 FROM ev
    UNION ALL
    SELECT campaign_id, date_trunc('week', occurred_at)::DATE, to_status, 1 FROM ev
), weekly AS (
    SELECT campaign_id, week, status, sum(d) AS d FROM deltas GROUP BY ALL
), weeks AS (
    SELECT campaign_id, unnest(range(min(week), max(week) + 1, INTERVAL 1 WEEK))::DATE AS week
    FROM weekly GROUP BY campaign_id
), running AS (
    SELECT w.campaign_id, w.week, s.status,
           sum(coalesce(x.d, 0)) OVER (PARTITION BY w.campaign_id, s.status ORDER BY w.week) AS n
    FROM weeks w JOIN (SELECT DISTINCT campaign_id, status FROM weekly) s USING (campaign_id)
    LEFT JOIN weekly x ON x.campaign_id = w.campaign_id AND x.week = w.week
                      AND x.status = s.status
)
SELECT campaign_id, week, status, n::BIGINT AS collaborations FROM running WHERE n > 0
"""


@dataclass(frozen=True)
class ProgressScenario:
    name: str
    campaign_id: int | None = None
    client_id: int | None = None


@dataclass
class ProgressOutcome:
    scenario: ProgressScenario
    stats: dict[str, Stats]
    rows: int
    agree: bool


def scenarios(db: Database) -> list[ProgressScenario]:
    campaign, client = db.one(
        "SELECT c.campaign_id, any_value(ca.client_id) FROM collaborations c"
        " JOIN campaigns ca ON ca.id = c.campaign_id GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 1"
    ) or (None, None)
    return [
        ProgressScenario("one campaign", campaign_id=campaign),
        ProgressScenario("one client", client_id=client),
        ProgressScenario("all 5,000 campaigns"),
    ]


def hand_sql(db: Database, s: ProgressScenario) -> pd.DataFrame:
    conds: list[str] = ["true"]
    params: list[Any] = []
    if s.campaign_id is not None:
        conds.append("c.campaign_id = ?")
        params.append(s.campaign_id)
    if s.client_id is not None:
        conds.append("ca.client_id = ?")
        params.append(s.client_id)
    return db.frame(_HAND.format(scope=" AND ".join(conds)), params)


def service(db: Database, s: ProgressScenario) -> pd.DataFrame:
    return status_counts_by_week(db, campaign_id=s.campaign_id, client_id=s.client_id)


def _same(a: pd.DataFrame, b: pd.DataFrame) -> bool:
    def norm(frame: pd.DataFrame) -> list[tuple]:
        return sorted(
            (int(r.campaign_id), str(pd.Timestamp(r.week).date()), str(r.status),
             int(r.collaborations))
            for r in frame.itertuples()
        )

    return norm(a) == norm(b)


def run(db: Database, repeat: int) -> list[ProgressOutcome]:
    outcomes = []
    for s in scenarios(db):
        print(f"  progress: {s.name}", flush=True)
        stats, results = compare(
            {"service": lambda s=s: service(db, s), "sql": lambda s=s: hand_sql(db, s)}, repeat
        )
        agree = _same(results["service"], results["sql"]) and len(results["service"]) > 0
        outcomes.append(ProgressOutcome(s, stats, len(results["service"]), agree))
    return outcomes
