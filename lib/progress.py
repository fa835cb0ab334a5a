"""Campaign progress: how many collaborations were in each status at the end of each week.

The history comes from the `status_changed` activity events, so a chart drawn from it shows how
a campaign moved, not only where it stands today. All the work is one SQL statement.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd

from lib import rules
from lib.db import Database

COLUMNS = ["campaign_id", "week", "status", "collaborations"]

# Every collaboration is split into the spans during which it held one status: from its creation
# to its first change (in the first change's from_status, or today's status when it never
# changed), then from each change to the next (in that change's to_status). A span counts +1 in
# the week it starts and -1 in the week it ends; the running sum of those moves over the weeks
# is the number of collaborations in each status at the end of each week (Sunday midnight, UTC).
_SQL = """
WITH scope AS (
    SELECT c.id, c.campaign_id, c.status, c.created_at
    FROM collaborations c JOIN campaigns ca ON ca.id = c.campaign_id
    WHERE {scope}
), changes AS (
    SELECT e.id, e.collab_id, s.campaign_id, e.occurred_at, e.from_status, e.to_status,
           lead(e.occurred_at) OVER (PARTITION BY e.collab_id ORDER BY e.occurred_at, e.id)
               AS until
    FROM activity_events e JOIN scope s ON s.id = e.collab_id
    WHERE e.kind = 'status_changed' AND e.to_status IS NOT NULL
), firsts AS (
    SELECT collab_id, min(occurred_at) AS at, arg_min(from_status, (occurred_at, id)) AS status
    FROM changes GROUP BY collab_id
), spans AS (
    SELECT s.campaign_id, coalesce(f.status, s.status) AS status,
           least(s.created_at, f.at) AS since, f.at AS until
    FROM scope s LEFT JOIN firsts f ON f.collab_id = s.id
    UNION ALL
    SELECT campaign_id, to_status, occurred_at, until FROM changes
), moves AS (
    SELECT campaign_id, date_trunc('week', since)::DATE AS week, status, 1 AS delta FROM spans
    UNION ALL
    SELECT campaign_id, date_trunc('week', until)::DATE, status, -1 FROM spans
    WHERE until IS NOT NULL
), net AS (
    SELECT campaign_id, week, status, sum(delta) AS delta FROM moves GROUP BY ALL
), grid AS (
    SELECT campaign_id,
           unnest(generate_series(min(week), max(week), INTERVAL 7 DAY))::DATE AS week
    FROM net GROUP BY campaign_id
), counts AS (
    SELECT g.campaign_id, g.week, st.status,
           sum(coalesce(n.delta, 0)) OVER (
               PARTITION BY g.campaign_id, st.status ORDER BY g.week
           ) AS collaborations
    FROM grid g
    JOIN (SELECT DISTINCT campaign_id, status FROM net) st ON st.campaign_id = g.campaign_id
    LEFT JOIN net n ON n.campaign_id = g.campaign_id AND n.week = g.week AND n.status = st.status
)
SELECT campaign_id, week, status, collaborations::BIGINT AS collaborations
FROM counts
WHERE collaborations > 0 AND {weeks}
ORDER BY campaign_id, week,
         CASE status WHEN 'pending' THEN 0 WHEN 'negotiating' THEN 1 WHEN 'fulfilling' THEN 2
                     WHEN 'completed' THEN 3 ELSE 4 END
"""


def status_counts_by_week(
    db: Database,
    campaign_id: int | None = None,
    client_id: int | None = None,
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
) -> pd.DataFrame:
    """Per campaign and week, the number of collaborations in each status at the week's end.

    Columns: campaign_id, week (the Monday starting the week, as a date), status,
    collaborations. Statuses with no collaboration that week are left out. A campaign's weeks
    run from its first collaboration to its last status change; `date_from` and `date_to`
    keep the weeks that overlap that range (changes before it still count). With neither
    `campaign_id` nor `client_id`, every campaign is included.
    """
    if date_from and date_to and date_to < date_from:
        raise rules.RuleViolation(
            f"The date range ends ({date_to}) before it starts ({date_from})."
        )
    scope, scope_params = _scope(campaign_id, client_id)
    weeks, week_params = _weeks(date_from, date_to)
    frame = db.frame(_SQL.format(scope=scope, weeks=weeks), [*scope_params, *week_params])
    frame["week"] = frame["week"].dt.date
    return frame[COLUMNS]


def _scope(campaign_id: int | None, client_id: int | None) -> tuple[str, list[Any]]:
    clauses, params = ["true"], []
    if campaign_id is not None:
        clauses.append("c.campaign_id = ?")
        params.append(int(campaign_id))
    if client_id is not None:
        clauses.append("ca.client_id = ?")
        params.append(int(client_id))
    return " AND ".join(clauses), params


def _weeks(date_from: dt.date | None, date_to: dt.date | None) -> tuple[str, list[Any]]:
    clauses, params = ["true"], []
    if date_from is not None:
        clauses.append("week >= date_trunc('week', ?::DATE)")
        params.append(date_from)
    if date_to is not None:
        clauses.append("week <= ?::DATE")
        params.append(date_to)
    return " AND ".join(clauses), params
