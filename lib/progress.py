"""Campaign progress, read side: collaborations per status week by week, the application-to-
collaboration funnel, and the median days spent in each stage.

The history comes from the events (`activity_events` status changes for collaborations,
`campaign_events` stage changes and the `agreements` rows for the workflow before them), so the
charts show how campaigns moved, not only where they stand today. Each read is one SQL
statement over the campaigns in scope (one campaign, one client's, or all); only its small
result reaches pandas.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd

from lib import rules
from lib.db import Database, utcnow
from lib.models import COLLAB_LIFECYCLE

COLUMNS = ["campaign_id", "week", "status", "collaborations"]
TOTAL_COLUMNS = ["week", "status", "collaborations"]
FUNNEL_COLUMNS = ["stage", "count", "campaigns", "of_previous"]
STAGE_COLUMNS = ["stage", "median_days", "measured", "slowest"]

# The funnel's steps, in order. The first four come from the workflow (applications and
# agreements); the last two from the collaborations themselves.
FUNNEL_STAGES = (
    "applied", "selected", "agreement sent", "accepted", "collaborating", "completed",
)
WORKFLOW_STEPS = 4  # how many of FUNNEL_STAGES only campaigns run through the workflow have
# The stages whose median duration is measured, in order: the workflow's three, then the time
# a collaboration spends in each lifecycle status before it moves on to a later one.
STAGES = (
    "applied → selected",
    "selected → agreement sent",
    "agreement sent → accepted",
    "pending → negotiating",
    "negotiating → fulfilling",
    "fulfilling → completed",
)
WORKFLOW_STAGES = 3  # how many of STAGES come before the collaborations
_LIFECYCLE = "[" + ", ".join(f"'{s.value}'" for s in COLLAB_LIFECYCLE) + "]"

# Every collaboration in `scope` (id, campaign_id, status, created_at) split into the spans
# during which it held one status: from its creation to its first change (in the first change's
# from_status, or today's status when it never changed), then from each change to the next (in
# that change's to_status). `next` is the status the span ended in (NULL while it lasts).
# {changes_from} joins the events to `scope` for their campaign, or, where every collaboration
# is in scope and the campaign is not needed, reads the events alone: each event's collab_id
# is a NOT NULL foreign key, so the join would keep every row, at the cost of a hash join of
# two million events; {next} is the lead() of to_status, or NULL where the read needs no
# `next` (one window function less over the sort of every change).
_SPANS = """
changes AS (
    SELECT e.id, e.collab_id, {change_campaign} AS campaign_id, e.occurred_at, e.from_status,
           e.to_status, lead(e.occurred_at) OVER w AS until, {next} AS next,
           row_number() OVER w AS nth
    FROM activity_events e {changes_from}
    WHERE e.kind = 'status_changed' AND e.to_status IS NOT NULL
    WINDOW w AS (PARTITION BY e.collab_id ORDER BY e.occurred_at, e.id)
), firsts AS (  -- each collaboration's first change, from the same sort (no second grouping)
    SELECT collab_id, occurred_at AS at, from_status AS status, to_status AS next
    FROM changes WHERE nth = 1
), spans AS (
    SELECT s.campaign_id, coalesce(f.status, s.status) AS status,
           least(s.created_at, f.at) AS since, f.at AS until, f.next
    FROM scope s LEFT JOIN firsts f ON f.collab_id = s.id
    UNION ALL
    SELECT campaign_id, to_status, occurred_at, until, next FROM changes
)"""

# A span counts +1 in the week it starts and -1 in the week it ends; the running sum of those
# moves over the weeks is the number of collaborations in each status at the end of each week
# (Sunday midnight, UTC). {key} is what the weeks are counted per: the campaign, or 0 for the
# sum over every campaign in scope (one grid of weeks, so a campaign that ended still counts).
# The weeks run on after the last change, to the week of {today} or of the campaign's end date
# when it ended before (the latest end in scope; none set: today): nothing changed is news too.
_WEEKLY_SQL = """
WITH scope AS (
    SELECT c.id, {key} AS campaign_id, c.status, c.created_at,
           least({today}, coalesce(ca.end_date, {today})) AS runs_to
    FROM collaborations c JOIN campaigns ca ON ca.id = c.campaign_id
    WHERE {scope}
), ends AS (
    SELECT campaign_id, date_trunc('week', max(runs_to))::DATE AS last_week
    FROM scope GROUP BY campaign_id
), """ + _SPANS + """, moves AS (
    SELECT campaign_id, date_trunc('week', since)::DATE AS week, status, 1 AS delta FROM spans
    UNION ALL
    SELECT campaign_id, date_trunc('week', until)::DATE, status, -1 FROM spans
    WHERE until IS NOT NULL
), net AS (
    SELECT campaign_id, week, status, sum(delta) AS delta FROM moves GROUP BY ALL
), grid AS (
    SELECT n.campaign_id,
           unnest(generate_series(min(n.week), greatest(max(n.week), any_value(e.last_week)),
                                  INTERVAL 7 DAY))::DATE AS week
    FROM net n JOIN ends e ON e.campaign_id = n.campaign_id GROUP BY n.campaign_id
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


# The funnel's "selected": each application in scope with a selection (`chosen`) or an
# agreement (`deals`), at the first selection or else the sending. Over every campaign, each
# non-NULL id of either is one (foreign keys; `chosen` groups a NULL application too).
_SELECTED = {
    False: """SELECT 2, coalesce(ch.at, d.sent_at) FROM apps
    LEFT JOIN chosen ch ON ch.id = apps.id LEFT JOIN deals d ON d.id = apps.id
    WHERE ch.id IS NOT NULL OR d.id IS NOT NULL""",
    True: """SELECT 2, coalesce(ch.at, d.sent_at) FROM chosen ch FULL JOIN deals d ON d.id = ch.id
    WHERE coalesce(ch.id, d.id) IS NOT NULL""",
}


def _values(names: tuple[str, ...]) -> str:
    """(step, name) rows for a VALUES list; the names are this module's constants."""
    return ", ".join(f"({i}, '{name}')" for i, name in enumerate(names, start=1))


# Each stage counts who reached it, when they reached it (so a date range counts what happened
# in it), even if they went back later: a creator selected and then declined was selected.
# An agreement goes only to a selected creator, so it proves the selection even where the
# stage_changed event is missing. Completed is final, so today's status says who reached it.
# A campaign with collaborations but no applications ran before the workflow existed: it counts
# for "collaborating" and "completed" only (`campaigns` says how many campaigns each step
# counts), and a step no campaign counts is NULL, not 0.
# Over every campaign the {..._join}s onto the campaigns in scope are left out (every foreign
# key is NOT NULL: they would keep every row, at the price of a hash join of millions), and
# {selected} is one full join of `chosen` and `deals` (one row per application each): the
# applications with either, instead of two joins onto every application (_SELECTED).
_FUNNEL_SQL = """
WITH sc AS (
    SELECT ca.id FROM campaigns ca WHERE {scope}
), apps AS (
    SELECT a.id, a.campaign_id, a.created_at FROM applications a {apps_join}
), chosen AS (
    SELECT e.application_id AS id, min(e.occurred_at) AS at
    FROM campaign_events e {events_join}
    WHERE e.kind = 'stage_changed' AND e.to_value = 'selected'
    GROUP BY e.application_id
), deals AS (
    SELECT g.application_id AS id, g.sent_at, g.outcome, g.responded_at
    FROM agreements g {deals_join}
), collabs AS (
    SELECT c.id, c.campaign_id, c.status, c.created_at
    FROM collaborations c {collabs_join}
), finished AS (
    SELECT e.collab_id AS id, max(e.occurred_at) AS at
    FROM activity_events e JOIN collabs c ON c.id = e.collab_id
    WHERE e.kind = 'status_changed' AND e.to_status = 'completed' AND c.status = 'completed'
    GROUP BY e.collab_id
), reached AS (
    SELECT 1 AS step, created_at AS reached_at FROM apps
    UNION ALL
    {selected}
    UNION ALL
    SELECT 3, sent_at FROM deals
    UNION ALL
    SELECT 4, responded_at FROM deals WHERE outcome = 'accepted'
    UNION ALL
    SELECT 5, created_at FROM collabs
    UNION ALL
    SELECT 6, {completed_at} WHERE c.status = 'completed'
), counted AS (
    SELECT step, count(*) AS n FROM reached WHERE {range} GROUP BY step
), tracked AS (
    SELECT count(*) AS every,
           count(*) FILTER (WHERE w.campaign_id IS NOT NULL OR k.campaign_id IS NULL) AS workflow
    FROM sc
    LEFT JOIN (SELECT DISTINCT campaign_id FROM apps) w ON w.campaign_id = sc.id
    LEFT JOIN (SELECT DISTINCT campaign_id FROM collabs) k ON k.campaign_id = sc.id
), steps AS (
    SELECT st.step, st.stage,
           CASE WHEN st.step <= {workflow_steps} THEN t.workflow ELSE t.every END AS campaigns,
           r.n
    FROM (VALUES {stages}) st(step, stage) CROSS JOIN tracked t
    LEFT JOIN counted r ON r.step = st.step
), shown AS (
    SELECT step, stage, CASE WHEN campaigns > 0 THEN coalesce(n, 0) END AS count, campaigns,
           lag(campaigns) OVER (ORDER BY step) AS before_campaigns,
           lag(CASE WHEN campaigns > 0 THEN coalesce(n, 0) END) OVER (ORDER BY step) AS before
    FROM steps
)
SELECT stage, count::BIGINT AS count, campaigns::BIGINT AS campaigns,
       -- a share of the step before only where both steps count the same campaigns
       CASE WHEN before > 0 AND before_campaigns = campaigns THEN count / before END
           AS of_previous
FROM shown ORDER BY step
"""

# The time each stage took, per application or collaboration that got through it: applied →
# selected (to the first selection), selected → agreement sent (from the last selection before
# sending), sent → accepted (declined and unanswered agreements are not an acceptance), and the
# time in each lifecycle status of a collaboration that moved on to a later one (a move back or
# a cancellation ends a span without passing the stage). A collaboration created by the start
# went pending → fulfilling in the instant it was made: it never waited, so spans of no length
# are left out. A date range keeps what ended in it. Both selection times come from one
# grouping of the selections by application (one pass instead of two joins: 1/3 faster).
# Over every campaign the accepted agreements are read on their own, so `apps` has one
# reader and is not materialized (DuckDB is free to start the join from the selections), and
# nothing spills at the 512 MB limit (it wrote 35-50 MB before).
_STAGES_SQL = """
WITH sc AS (
    SELECT ca.id FROM campaigns ca WHERE {scope}
), apps AS (
    SELECT a.id, a.created_at, g.sent_at
    FROM applications a {apps_join} LEFT JOIN agreements g ON g.application_id = a.id
), selections AS (
    SELECT e.application_id AS id, e.occurred_at AS at
    FROM campaign_events e {events_join}
    WHERE e.kind = 'stage_changed' AND e.to_value = 'selected'
), picked AS (
    SELECT a.id, any_value(a.created_at) AS applied, min(s.at) AS first,
           max(s.at) FILTER (WHERE s.at <= a.sent_at) AS last, any_value(a.sent_at) AS sent
    FROM apps a JOIN selections s ON s.id = a.id GROUP BY a.id
), scope AS (
    SELECT c.id, c.campaign_id, c.status, c.created_at
    FROM collaborations c {collabs_join}
), """ + _SPANS + """, durations AS (
    SELECT 1 AS step, applied AS since, first AS until FROM picked
    UNION ALL
    SELECT 2, last, sent FROM picked WHERE last IS NOT NULL
    UNION ALL
    SELECT 3, g.sent_at, g.responded_at FROM agreements g {deals_join}
    WHERE g.outcome = 'accepted'
    UNION ALL
    SELECT {workflow_stages} + list_position({lifecycle}, status), since, until FROM spans
    WHERE until > since AND status IN ('pending', 'negotiating', 'fulfilling')
      AND list_position({lifecycle}, next) > list_position({lifecycle}, status)
), measured AS (
    SELECT step, median(date_diff('second', since, until) / 86400.0) AS median_days,
           count(*) AS measured
    FROM durations WHERE {range} GROUP BY step
)
SELECT st.stage, m.median_days, coalesce(m.measured, 0)::BIGINT AS measured,
       coalesce(m.median_days = max(m.median_days) OVER (), false) AS slowest
FROM (VALUES {stages}) st(step, stage) LEFT JOIN measured m ON m.step = st.step
ORDER BY st.step
"""


def status_counts_by_week(
    db: Database,
    campaign_id: int | None = None,
    client_id: int | None = None,
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
    today: dt.date | None = None,
) -> pd.DataFrame:
    """Per campaign and week, the number of collaborations in each status at the week's end.

    Columns: campaign_id, week (the Monday starting the week, as a date), status,
    collaborations. Statuses with no collaboration that week are left out. A campaign's weeks
    run from its first collaboration to the week of `today` (default: today, UTC), or of its
    end date when it ended before (or of its last status change, when that is later);
    `date_from` and `date_to` keep the weeks that overlap that range (changes before it
    still count). With neither `campaign_id` nor `client_id`, every campaign is included.
    """
    frame = _weekly(db, "c.campaign_id", campaign_id, client_id, date_from, date_to, today)
    return frame[COLUMNS]


def status_totals_by_week(
    db: Database,
    campaign_id: int | None = None,
    client_id: int | None = None,
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
    today: dt.date | None = None,
) -> pd.DataFrame:
    """The same counts summed over every campaign in scope: columns week, status,
    collaborations. The weeks run from the first collaboration to the week of `today`, or of
    the latest end date in scope when every campaign ended before (or of the last status
    change, when later), so a campaign whose history ended still counts in later weeks."""
    frame = _weekly(db, "0", campaign_id, client_id, date_from, date_to, today)
    return frame[TOTAL_COLUMNS]


def _weekly(
    db: Database,
    key: str,
    campaign_id: int | None,
    client_id: int | None,
    date_from: dt.date | None,
    date_to: dt.date | None,
    today: dt.date | None,
) -> pd.DataFrame:
    _check_range(date_from, date_to)
    scope, scope_params = _scope(campaign_id, client_id, "c.campaign_id")
    weeks, week_params = _weeks(date_from, date_to)
    day = pd.Timestamp(today if today is not None else utcnow()).date()
    # a date object (never text from anyone): safe to write into the SQL
    # one sum over every campaign in scope needs no campaign per change
    changes = _changes(_everything(campaign_id, client_id) and key == "0")
    sql = _WEEKLY_SQL.format(key=key, scope=scope, weeks=weeks, next="NULL", **changes,
                             today=f"DATE '{day.isoformat()}'")
    frame = db.frame(sql, [*scope_params, *week_params])
    frame["week"] = frame["week"].dt.date
    return frame


def funnel(
    db: Database,
    campaign_id: int | None = None,
    client_id: int | None = None,
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
) -> pd.DataFrame:
    """The application-to-collaboration funnel over the campaigns in scope, one row per step
    of FUNNEL_STAGES in order.

    Columns: stage; count (who reached the step, within the date range when one is given;
    NULL where no campaign in scope has the step: campaigns run before the workflow start at
    "collaborating"); campaigns (how many campaigns the step counts); of_previous (count over
    the step before's, where both count the same campaigns). Everything is counted in SQL.
    """
    return _read(db, _FUNNEL_SQL, FUNNEL_STAGES, campaign_id, client_id, date_from, date_to,
                 "reached_at")[FUNNEL_COLUMNS]


def median_days_by_stage(
    db: Database,
    campaign_id: int | None = None,
    client_id: int | None = None,
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
) -> pd.DataFrame:
    """The median days spent in each of STAGES over the campaigns in scope, in order.

    Columns: stage; median_days (NULL when nothing got through the stage); measured (how
    many applications or collaborations got through it); slowest (True for the stage with
    the highest median). A date range keeps the stages passed within it.
    """
    return _read(db, _STAGES_SQL, STAGES, campaign_id, client_id, date_from, date_to,
                 "until")[STAGE_COLUMNS]


def _read(
    db: Database,
    template: str,
    names: tuple[str, ...],
    campaign_id: int | None,
    client_id: int | None,
    date_from: dt.date | None,
    date_to: dt.date | None,
    moment: str,
) -> pd.DataFrame:
    """Run a per-step template over the campaigns in scope, keeping the `moment`s in range."""
    _check_range(date_from, date_to)
    scope, scope_params = _scope(campaign_id, client_id, "ca.id")
    within, range_params = _moments(moment, date_from, date_to)
    # When a collaboration was completed matters only to a date range; without one, the
    # funnel need not look through the activity events for it.
    completed_at = ("coalesce(f.at, c.created_at) FROM collabs c LEFT JOIN finished f"
                    " ON f.id = c.id" if range_params else "c.created_at FROM collabs c")
    everything = _everything(campaign_id, client_id)
    sql = template.format(
        scope=scope, range=within, stages=_values(names), workflow_steps=WORKFLOW_STEPS,
        workflow_stages=WORKFLOW_STAGES, lifecycle=_LIFECYCLE, completed_at=completed_at,
        apps_join=_scope_join("a.campaign_id", everything),
        events_join=_scope_join("e.campaign_id", everything),
        collabs_join=_scope_join("c.campaign_id", everything),
        deals_join="" if everything else "JOIN apps ON apps.id = g.application_id",
        selected=_SELECTED[everything],
        next="lead(e.to_status) OVER w", **_changes(everything),
    )
    return db.frame(sql, [*scope_params, *range_params])


def _everything(campaign_id: int | None, client_id: int | None) -> bool:
    """True when the scope is every campaign (and so every application and collaboration)."""
    return campaign_id is None and client_id is None


def _scope_join(campaign_column: str, everything: bool) -> str:
    """The join of `campaign_column` onto the campaigns `sc`; none over every campaign, where
    the column is a NOT NULL foreign key to campaigns (a join onto a few campaigns stays: it
    lets DuckDB skip the row groups of the others)."""
    return "" if everything else f"JOIN sc ON sc.id = {campaign_column}"


def _changes(alone: bool) -> dict[str, str]:
    """How _SPANS reads the status changes: `alone` (every collaboration in scope and no
    campaign wanted) from the events table only, else joined to `scope` for the campaign."""
    if alone:
        return {"changes_from": "", "change_campaign": "0"}
    return {"changes_from": "JOIN scope s ON s.id = e.collab_id",
            "change_campaign": "s.campaign_id"}


def _check_range(date_from: dt.date | None, date_to: dt.date | None) -> None:
    if date_from and date_to and date_to < date_from:
        raise rules.RuleViolation(
            f"The date range ends ({date_to}) before it starts ({date_from})."
        )


def _scope(
    campaign_id: int | None, client_id: int | None, campaign_column: str
) -> tuple[str, list[Any]]:
    """Conditions on the campaign (`campaign_column`) and its current client."""
    clauses, params = ["true"], []
    if campaign_id is not None:
        clauses.append(f"{campaign_column} = ?")
        params.append(int(campaign_id))
    if client_id is not None:
        clauses.append(
            f"{campaign_column} IN (SELECT campaign_id FROM campaign_ownership WHERE client_id = ?)"
        )
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


def _moments(
    column: str, date_from: dt.date | None, date_to: dt.date | None
) -> tuple[str, list[Any]]:
    """`column` (a timestamp) on or after the first day and before the end of the last."""
    clauses, params = ["true"], []
    if date_from is not None:
        clauses.append(f"{column} >= ?::DATE")
        params.append(date_from)
    if date_to is not None:
        clauses.append(f"{column} < ?::DATE + 1")
        params.append(date_to)
    return " AND ".join(clauses), params
