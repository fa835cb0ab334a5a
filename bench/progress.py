"""Campaign progress (lib.progress) against hand-written queries, written on their own:

- weekly: collaborations per status at the end of each week, per campaign
  (`status_counts_by_week`) and summed over the campaigns in scope (`status_totals_by_week`,
  what the page draws). The reference trusts each event's from_status (-1 there, +1 in
  to_status) where the service rebuilds each collaboration's chain of spans;
- funnel: who reached each step from application to completed (`funnel`). The reference
  counts each step with its own small count instead of one union of moments;
- stages: the median days per stage (`median_days_by_stage`), from first and last
  selections grouped per application and each status change paired with the next by lead().

Each is what one would write at a DuckDB prompt for the same table, sharing nothing with
lib.progress; on consistent data each pair gives the same table, which the run checks, and
the service is held to TARGET times its reference. The demo data has applications in four
campaigns only, so before the funnel and stages are timed the work copy gets a workflow
history for every campaign (see add_workflow_history): about two million applications, a
million agreements and five million campaign events.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import duckdb
import pandas as pd

from bench.dataset import setup_memory
from bench.timing import Stats, compare
from lib import progress
from lib.db import Database, utcnow
from lib.models import COLLAB_LIFECYCLE

TARGET = 1.5  # the service at most this many times its hand-written reference
TODAY = utcnow().date()  # both sides draw the weeks up to the same day

# Each collaboration's status when it was created (the first change's from_status, or today's
# status when it never changed) counts +1 in its creation week; every change counts -1 for
# from_status and +1 for to_status in its week; a running sum over a grid of weeks (from the
# first to the week of today, or of the campaign's end date when it ended before, or of its
# last change when later) gives the counts at each week's end.
_HAND_WEEKLY = """
WITH c AS (
    SELECT c.id, {key} AS campaign_id, c.created_at, c.status,
           least({today}, coalesce(ca.end_date, {today})) AS runs_to
    FROM collaborations c JOIN campaigns ca ON ca.id = c.campaign_id WHERE {scope}
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
), last_weeks AS (
    SELECT campaign_id, date_trunc('week', max(runs_to))::DATE AS last FROM c GROUP BY ALL
), weeks AS (
    SELECT w.campaign_id,
           unnest(range(min(w.week), greatest(max(w.week), any_value(l.last)) + 1,
                        INTERVAL 1 WEEK))::DATE AS week
    FROM weekly w JOIN last_weeks l USING (campaign_id) GROUP BY w.campaign_id
), running AS (
    SELECT w.campaign_id, w.week, s.status,
           sum(coalesce(x.d, 0)) OVER (PARTITION BY w.campaign_id, s.status ORDER BY w.week) AS n
    FROM weeks w JOIN (SELECT DISTINCT campaign_id, status FROM weekly) s USING (campaign_id)
    LEFT JOIN weekly x ON x.campaign_id = w.campaign_id AND x.week = w.week
                      AND x.status = s.status
)
SELECT campaign_id, week, status, n::BIGINT AS collaborations FROM running WHERE n > 0
"""

# One count per step; the workflow's steps are left out (NULL on the service's side) when
# every campaign in scope that has collaborations ran before the workflow (no applications).
_HAND_FUNNEL = """
WITH sc AS (SELECT ca.id FROM campaigns ca WHERE {scope}),
a AS (SELECT id, campaign_id FROM applications WHERE campaign_id IN (SELECT id FROM sc)),
g AS (SELECT application_id, outcome FROM agreements
      WHERE application_id IN (SELECT id FROM a)),
picked AS (SELECT application_id FROM campaign_events
           WHERE kind = 'stage_changed' AND to_value = 'selected'
             AND campaign_id IN (SELECT id FROM sc)
           UNION SELECT application_id FROM g),
c AS (SELECT campaign_id, status FROM collaborations WHERE campaign_id IN (SELECT id FROM sc)),
before_workflow AS (SELECT count(DISTINCT campaign_id) AS n FROM c
                    WHERE campaign_id NOT IN (SELECT campaign_id FROM a))
SELECT * FROM (VALUES
    (1, (SELECT count(*) FROM a)),
    (2, (SELECT count(*) FROM a WHERE id IN (SELECT application_id FROM picked))),
    (3, (SELECT count(*) FROM g)),
    (4, (SELECT count(*) FROM g WHERE outcome = 'accepted')),
    (5, (SELECT count(*) FROM c)),
    (6, (SELECT count(*) FROM c WHERE status = 'completed'))
) v(step, count)
WHERE step > 4 OR (SELECT count(*) FROM sc) > (SELECT n FROM before_workflow)
"""

_FORWARD = ", ".join(
    f"('{a.value}', '{b.value}')"
    for i, a in enumerate(COLLAB_LIFECYCLE[:-1])
    for b in COLLAB_LIFECYCLE[i + 1:]
)
_HAND_STAGES = """
WITH sc AS (SELECT ca.id FROM campaigns ca WHERE {scope}),
a AS (SELECT id, created_at FROM applications WHERE campaign_id IN (SELECT id FROM sc)),
sel AS (SELECT application_id, occurred_at FROM campaign_events
        WHERE kind = 'stage_changed' AND to_value = 'selected'
          AND campaign_id IN (SELECT id FROM sc)),
g AS (SELECT application_id, sent_at, outcome, responded_at FROM agreements
      WHERE application_id IN (SELECT id FROM a)),
first_sel AS (SELECT application_id, min(occurred_at) AS at FROM sel GROUP BY ALL),
last_sel AS (SELECT g.application_id, max(sel.occurred_at) AS at
             FROM g JOIN sel ON sel.application_id = g.application_id
                            AND sel.occurred_at <= g.sent_at GROUP BY ALL),
c AS (SELECT id, created_at FROM collaborations WHERE campaign_id IN (SELECT id FROM sc)),
ev AS (
    SELECT e.collab_id, e.occurred_at, e.from_status, e.to_status,
           lead(e.occurred_at) OVER w AS next_at, lead(e.to_status) OVER w AS next_status,
           row_number() OVER w AS k
    FROM activity_events e JOIN c ON c.id = e.collab_id
    WHERE e.kind = 'status_changed' AND e.to_status IS NOT NULL
    WINDOW w AS (PARTITION BY e.collab_id ORDER BY e.occurred_at, e.id)
), spans AS (
    SELECT ev.from_status AS status, c.created_at AS since, ev.occurred_at AS until,
           ev.to_status AS next
    FROM ev JOIN c ON c.id = ev.collab_id WHERE ev.k = 1
    UNION ALL
    SELECT to_status, occurred_at, next_at, next_status FROM ev WHERE next_at IS NOT NULL
), took AS (
    SELECT 1 AS step, f.at - a.created_at AS t FROM a JOIN first_sel f ON f.application_id = a.id
    UNION ALL
    SELECT 2, g.sent_at - l.at FROM g JOIN last_sel l ON l.application_id = g.application_id
    UNION ALL
    SELECT 3, responded_at - sent_at FROM g WHERE outcome = 'accepted'
    UNION ALL
    SELECT 4 + list_position(['pending', 'negotiating', 'fulfilling'], status) - 1,
           until - since
    FROM spans WHERE (status, next) IN ({forward}) AND until > since
)
SELECT step, median(epoch(t) / 86400) AS median_days, count(*) AS measured
FROM took WHERE t IS NOT NULL GROUP BY step
"""


@dataclass(frozen=True)
class ProgressScenario:
    name: str
    campaign_id: int | None = None
    client_id: int | None = None

    def where(self) -> tuple[str, list[Any]]:
        """The scope as conditions on campaigns `ca`."""
        conds: list[str] = ["true"]
        params: list[Any] = []
        if self.campaign_id is not None:
            conds.append("ca.id = ?")
            params.append(self.campaign_id)
        if self.client_id is not None:
            conds.append("ca.id IN (SELECT campaign_id FROM campaign_ownership"
                         " WHERE client_id = ?)")
            params.append(self.client_id)
        return " AND ".join(conds), params

    def kwargs(self) -> dict[str, int | None]:
        return {"campaign_id": self.campaign_id, "client_id": self.client_id}


@dataclass(frozen=True)
class Aggregation:
    """One lib.progress read, its reference, and how to tell that both gave the same table."""

    name: str
    service: Callable[[Database, ProgressScenario], pd.DataFrame]
    hand: Callable[[Database, ProgressScenario], pd.DataFrame]
    same: Callable[[pd.DataFrame, pd.DataFrame], bool]


@dataclass
class ProgressOutcome:
    aggregation: str
    scenario: ProgressScenario
    stats: dict[str, Stats]
    rows: int
    agree: bool
    # Why a side failed (at 10M a read can run out of the app's memory limit): side -> error,
    # and what each side did when tried once on its own (seconds, or the error).
    failed: dict[str, str] = field(default_factory=dict)


def scenarios(db: Database) -> list[ProgressScenario]:
    campaign, client = db.one(
        "SELECT c.campaign_id, any_value(co.client_id) FROM collaborations c"
        " JOIN campaign_ownership co ON co.campaign_id = c.campaign_id"
        " GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 1"
    ) or (None, None)
    return [
        ProgressScenario("one campaign", campaign_id=campaign),
        ProgressScenario("one client", client_id=client),
        ProgressScenario(f"all {db.value('SELECT count(*) FROM campaigns'):,} campaigns"),
    ]


# --- weekly ------------------------------------------------------------------------------


def hand_weekly(db: Database, s: ProgressScenario, key: str = "c.campaign_id") -> pd.DataFrame:
    where, params = s.where()
    today = f"DATE '{TODAY.isoformat()}'"
    return db.frame(_HAND_WEEKLY.format(key=key, scope=where, today=today), params)


def hand_totals(db: Database, s: ProgressScenario) -> pd.DataFrame:
    return hand_weekly(db, s, key="0")


def _same_weekly(a: pd.DataFrame, b: pd.DataFrame) -> bool:
    def norm(frame: pd.DataFrame) -> list[tuple]:
        return sorted(
            (int(getattr(r, "campaign_id", 0)), str(pd.Timestamp(r.week).date()),
             str(r.status), int(r.collaborations))
            for r in frame.itertuples()
        )

    return norm(a) == norm(b) and len(a) > 0


# --- funnel and stages -------------------------------------------------------------------


def hand_funnel(db: Database, s: ProgressScenario) -> pd.DataFrame:
    where, params = s.where()
    return db.frame(_HAND_FUNNEL.format(scope=where), params)


def _same_funnel(service: pd.DataFrame, hand: pd.DataFrame) -> bool:
    counted = service.dropna(subset=["count"])
    mine = {progress.FUNNEL_STAGES.index(s) + 1: int(n)
            for s, n in zip(counted["stage"], counted["count"], strict=True)}
    theirs = {int(k): int(n) for k, n in zip(hand["step"], hand["count"], strict=True)}
    return mine == theirs and sum(mine.values()) > 0


def hand_stages(db: Database, s: ProgressScenario) -> pd.DataFrame:
    where, params = s.where()
    return db.frame(_HAND_STAGES.format(scope=where, forward=_FORWARD), params)


def _same_stages(service: pd.DataFrame, hand: pd.DataFrame) -> bool:
    measured = service[service["measured"] > 0]
    mine = {progress.STAGES.index(s) + 1: (float(d), int(n)) for s, d, n in
            zip(measured["stage"], measured["median_days"], measured["measured"], strict=True)}
    theirs = {int(k): (float(d), int(n)) for k, d, n in
              zip(hand["step"], hand["median_days"], hand["measured"], strict=True)}
    return mine.keys() == theirs.keys() and len(mine) > 0 and all(
        mine[k][1] == theirs[k][1] and math.isclose(mine[k][0], theirs[k][0], rel_tol=1e-9)
        for k in mine
    )


AGGREGATIONS = (
    Aggregation("weekly", lambda db, s: progress.status_counts_by_week(
        db, **s.kwargs(), today=TODAY), hand_weekly, _same_weekly),
    Aggregation("weekly totals", lambda db, s: progress.status_totals_by_week(
        db, **s.kwargs(), today=TODAY), hand_totals, _same_weekly),
    Aggregation("funnel", lambda db, s: progress.funnel(db, **s.kwargs()), hand_funnel,
                _same_funnel),
    Aggregation("stages", lambda db, s: progress.median_days_by_stage(db, **s.kwargs()),
                hand_stages, _same_stages),
)


# --- a workflow history for every campaign -------------------------------------------------

# Per collaboration, the application that led to it: applied 3-7 days before the collaboration
# was created, selected 2-49 hours later, sent an agreement 1-48 hours after that, accepted
# within 1-70 hours. Per collaboration also one applicant who did not get in: half declined at
# pre-selection, three in ten never moved, one in ten declined the agreement, one in ten let it
# expire. Hashes make it the same on every run.
_WORKFLOW = """
CREATE OR REPLACE TEMP TABLE bench_wf AS
WITH bounds AS (SELECT min(id) AS lo, count(*) AS n FROM creators),
firsts AS (  -- in the campaigns that have no applications of their own
    SELECT campaign_id, creator_id, min(created_at) AS joined FROM collaborations
    WHERE campaign_id NOT IN (SELECT campaign_id FROM applications)
      AND campaign_id BETWEEN $first AND $last GROUP BY ALL
), others AS (  -- another creator, not one of the campaign's own
    SELECT DISTINCT ON (campaign_id, creator_id) campaign_id, creator_id, joined
    FROM (
        SELECT f.campaign_id, f.joined,
               b.lo + (f.creator_id - b.lo + 1
                       + (hash(f.campaign_id, f.creator_id) % (b.n - 1))::BIGINT) % b.n
                   AS creator_id
        FROM firsts f CROSS JOIN bounds b
    ) o
    WHERE NOT EXISTS (SELECT 1 FROM firsts x WHERE x.campaign_id = o.campaign_id
                                                 AND x.creator_id = o.creator_id)
    ORDER BY campaign_id, creator_id, joined
), pool AS (
    SELECT campaign_id, creator_id, joined, 10 AS fate FROM firsts
    UNION ALL
    SELECT campaign_id, creator_id, joined,
           (hash(campaign_id, creator_id, 'fate') % 10)::BIGINT
    FROM others
), timed AS (
    SELECT *, (hash(campaign_id, creator_id) % 1000000007)::BIGINT AS h,
           joined - to_hours((72 + hash(campaign_id, creator_id, 'applied') % 96)::BIGINT)
               AS applied_at
    FROM pool
)
SELECT (SELECT coalesce(max(id), 0) FROM applications)
           + row_number() OVER (ORDER BY campaign_id, creator_id) AS id,
       campaign_id, creator_id, fate, applied_at,
       CASE WHEN fate >= 8 THEN 'selected' WHEN fate >= 5 THEN 'applied' ELSE 'declined' END
           AS stage,
       CASE WHEN fate < 5 OR fate >= 8
            THEN applied_at + to_hours(2 + h % 48) END AS staged_at,
       CASE WHEN fate >= 8
            THEN applied_at + to_hours(3 + h % 48 + (h // 48) % 48) END AS sent_at,
       (h // 2304) % 70 + 1 AS answer_hours,
       CASE fate WHEN 10 THEN 'accepted' WHEN 8 THEN 'declined' END AS outcome
FROM timed
"""
_WORKFLOW_INSERTS = (
    """INSERT INTO applications (id, campaign_id, creator_id, source, stage, created_at,
                                 updated_at)
       SELECT id, campaign_id, creator_id, 'applied', stage, applied_at,
              coalesce(staged_at, applied_at) FROM bench_wf""",
    """INSERT INTO agreements (id, application_id, deliverables, compensation, currency,
                               sent_at, deadline, sent_by, outcome, responded_at)
       SELECT (SELECT coalesce(max(id), 0) FROM agreements) + row_number() OVER (ORDER BY id),
              id, '1 post', 100, 'EUR', sent_at, sent_at + INTERVAL 3 DAY, 'bench', outcome,
              CASE WHEN outcome IS NOT NULL THEN sent_at + to_hours(answer_hours) END
       FROM bench_wf WHERE sent_at IS NOT NULL""",
    """INSERT INTO campaign_events (id, campaign_id, application_id, occurred_at, actor, kind,
                                    from_value, to_value)
       SELECT (SELECT coalesce(max(id), 0) FROM campaign_events)
                  + row_number() OVER (ORDER BY application_id, occurred_at),
              campaign_id, application_id, occurred_at, 'bench', kind, from_value, to_value
       FROM (
           SELECT campaign_id, id AS application_id, applied_at AS occurred_at,
                  'applied' AS kind, NULL AS from_value, 'applied' AS to_value FROM bench_wf
           UNION ALL
           SELECT campaign_id, id, staged_at, 'stage_changed', 'applied', stage
           FROM bench_wf WHERE staged_at IS NOT NULL
           UNION ALL
           SELECT campaign_id, id, sent_at, 'agreement_sent', NULL, 'pending'
           FROM bench_wf WHERE sent_at IS NOT NULL
           UNION ALL
           SELECT campaign_id, id, sent_at + to_hours(answer_hours), 'agreement_' || outcome,
                  'pending', outcome
           FROM bench_wf WHERE outcome IS NOT NULL
       )""",
)


# Campaigns get their history in parts of about this many collaborations, one transaction each:
# in one transaction, 10M collaborations' history (20M applications, 60M campaign events) ran
# out of 6 GB. The ids follow campaign order, so the parts give the same rows as one pass.
HISTORY_PART = 2_000_000


def history_parts(db: Database, part: int = HISTORY_PART) -> list[tuple[int, int]]:
    """(first, last) campaign ids of the campaigns without applications, in ranges of about
    `part` collaborations each."""
    return [(int(a), int(b)) for a, b in db.rows(
        "SELECT min(campaign_id), max(campaign_id) FROM ("
        "  SELECT campaign_id, sum(count(*)) OVER (ORDER BY campaign_id) AS upto"
        "  FROM collaborations"
        "  WHERE campaign_id NOT IN (SELECT campaign_id FROM applications) GROUP BY 1"
        ") GROUP BY (upto - 1) // ? ORDER BY 1", [part])]


def add_workflow_history(db: Database, part: int = HISTORY_PART) -> dict[str, int]:
    """Give every campaign with collaborations (and no applications yet) the applications,
    agreements and campaign events that would have led to them; returns the row counts.
    Only ever run on the work copy."""
    parts = history_parts(db, part)
    for n, (first, last) in enumerate(parts, 1):
        with db.transaction() as cur:
            cur.execute(_WORKFLOW, {"first": first, "last": last})
            for sql in _WORKFLOW_INSERTS:
                cur.execute(sql)
            cur.execute("DROP TABLE bench_wf")
        if len(parts) > 1:
            print(f"  progress: workflow history, part {n} of {len(parts)}", flush=True)
    tables = ("applications", "agreements", "campaign_events")
    return {t: int(db.value(f"SELECT count(*) FROM {t}")) for t in tables}


def run(db: Database, repeat: int) -> list[ProgressOutcome]:
    started = time.perf_counter()
    with setup_memory(db):  # setup, not measured: the reads below keep the app's limit
        counts = add_workflow_history(db)
    print(f"  progress: workflow history added in {time.perf_counter() - started:.0f} s"
          f" ({', '.join(f'{n:,} {t}' for t, n in counts.items())})", flush=True)
    outcomes = []
    for aggregation in AGGREGATIONS:
        for s in scenarios(db):
            print(f"  progress {aggregation.name}: {s.name}", flush=True)
            outcomes.append(_measure(db, aggregation, s, repeat))
    return outcomes


def _measure(db: Database, aggregation: Aggregation, s: ProgressScenario,
             repeat: int) -> ProgressOutcome:
    sides = {"service": lambda: aggregation.service(db, s),
             "sql": lambda: aggregation.hand(db, s)}
    try:
        stats, results = compare(sides, repeat)
    except duckdb.Error as failure:
        print(f"    failed: {failure!s:.200}", flush=True)
        return ProgressOutcome(aggregation.name, s, {}, 0, False, _each_once(sides))
    agree = aggregation.same(results["service"], results["sql"])
    return ProgressOutcome(aggregation.name, s, stats, len(results["service"]), agree)


def _each_once(sides: dict[str, Callable[[], pd.DataFrame]]) -> dict[str, str]:
    """After a failure: each side once on its own, to tell which one fails and after how long."""
    found = {}
    for side, action in sides.items():
        started = time.perf_counter()
        try:
            action()
            found[side] = f"{time.perf_counter() - started:.1f} s"
        except duckdb.Error as failure:
            said = str(failure).splitlines()[0]
            found[side] = f"failed after {time.perf_counter() - started:.1f} s: {said}"
        print(f"    {side} alone: {found[side]}", flush=True)
    return found
