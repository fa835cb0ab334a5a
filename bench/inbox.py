"""The inbox's creator list (lib.inbox.list_creators) against hand-written SQL.

The list is per user: creators with unread incoming messages first, then by the most recent
interaction, with each one's unread count and last subject. The reader is the demo user who has
read the most threads (the demo gives managers read state), so unread counts are mixed. Both
produce the page's ids in order, the total, each row's unread count and last subject, and with
a campaign filter each row's standing in that campaign (its label, and whether staff may write
about the campaign); the run checks that they agree before trusting any timing.

The hand-written SQL is written out per scenario, as one would at a DuckDB prompt (the page
of creators over this user's per-creator message summary, the page's last subjects, and a
count of the matching creators), and shares nothing with lib.inbox's query builder.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from bench.dataset import scaled
from bench.versus import VersusOutcome, versus_sql
from lib import inbox
from lib.db import Database, bind, utcnow
from lib.inbox import InboxFilter
from lib.models import Role, User

PAGE_SIZE = 25
# Of 250,000 creators at 1M: past the ones with messages; the same share of them at other
# sizes (bench.dataset.scaled).
DEEP_PAGE = 2_000
SEARCH = "anna"
# One row: (unread, last subject, standing label, may message); the last two None without a
# campaign filter.
Shown = tuple[int, str | None, str | None, bool | None]
Result = tuple[list[int], int, list[Shown]]  # (ids in order, total matching, rows)


@dataclass(frozen=True)
class HandSQL:
    """A page and its count written by hand: `matching` is the condition on creators `cr`,
    `count` counts them, `standing` (with a campaign filter) adds each page row's standing.
    $user, $campaign, $now and $offset where they are used."""

    matching: str
    count: str
    standing: bool = False


@dataclass(frozen=True)
class Scenario:
    name: str
    filt: InboxFilter
    hand: HandSQL
    page: int = 1
    target: float = 1.5


def reader(db: Database) -> User:
    row = db.one(
        "SELECT u.id, u.username, u.name, u.role FROM users u JOIN thread_reads t"
        " ON t.user_id = u.id GROUP BY ALL ORDER BY count(*) DESC, u.id LIMIT 1"
    )
    if row is None:
        raise SystemExit("The bench database has no read state: rebuild it (--rebuild).")
    return User(row[0], row[1], row[2], "", Role(row[3]))


# --- the hand-written SQL, per scenario ----------------------------------------------------

EVERYONE = HandSQL(matching="true", count="SELECT count(*) FROM creators")
IN_CAMPAIGN = HandSQL(
    matching="""cr.id IN (SELECT creator_id FROM applications WHERE campaign_id = $campaign
                          UNION SELECT creator_id FROM collaborations
                          WHERE campaign_id = $campaign)""",
    count="""SELECT count(*) FROM (SELECT creator_id FROM applications
                                   WHERE campaign_id = $campaign
                                   UNION SELECT creator_id FROM collaborations
                                   WHERE campaign_id = $campaign)""",
    standing=True,
)
NAMED_ANNA = HandSQL(
    matching=f"""(contains(lower(cr.name), '{SEARCH}') OR contains(lower(cr.handle), '{SEARCH}')
                 OR contains(lower(cr.email), '{SEARCH}'))""",
    count=f"""SELECT count(*) FROM creators cr
              WHERE contains(lower(cr.name), '{SEARCH}') OR contains(lower(cr.handle), '{SEARCH}')
                 OR contains(lower(cr.email), '{SEARCH}')""",
)

# This user's view of each thread, the page of creators in the list's order, and their last
# subjects: looked up for the page's 25 creators only.
_PAGE = """
WITH r AS (SELECT creator_id, last_read_id, marked_unread FROM thread_reads WHERE user_id = $user),
per AS (
    SELECT m.creator_id, max(coalesce(m.received_at, m.created_at)) AS last_at,
           count(*) FILTER (WHERE m.direction = 'in' AND m.id > coalesce(r.last_read_id, 0))
               AS unseen
    FROM messages m LEFT JOIN r ON r.creator_id = m.creator_id GROUP BY m.creator_id
),
p AS (
    SELECT cr.id, per.last_at,
           greatest(coalesce(per.unseen, 0), CASE WHEN r.marked_unread THEN 1 ELSE 0 END)
               AS unread
    FROM creators cr LEFT JOIN per ON per.creator_id = cr.id
    LEFT JOIN r ON r.creator_id = cr.id
    WHERE {matching}
    ORDER BY unread > 0 DESC, last_at DESC NULLS LAST, cr.id LIMIT 25 OFFSET $offset
),
last AS (
    SELECT creator_id,
           arg_max(CASE WHEN subject = '' THEN left(body, 80) ELSE subject END,
                   (coalesce(received_at, created_at), id)) AS subject
    FROM messages WHERE creator_id IN (SELECT id FROM p) GROUP BY creator_id
)
SELECT p.id, p.unread, last.subject, {standing}
FROM p LEFT JOIN last ON last.creator_id = p.id {standing_joins}
ORDER BY p.unread > 0 DESC, p.last_at DESC NULLS LAST, p.id
"""
_NO_STANDING = ("NULL, NULL", "")
# The furthest step the creator reached in the campaign (lib.inbox.standing_label's words),
# and whether staff may write about it (a collaboration, or an accepted agreement).
_STANDING = ("""
    CASE WHEN k.status IS NOT NULL THEN 'Collaboration ' || k.status
         WHEN g.outcome IS NOT NULL THEN 'Agreement ' || g.outcome
         WHEN g.id IS NOT NULL AND $now > g.deadline THEN 'Agreement expired'
         WHEN g.id IS NOT NULL THEN 'Agreement pending'
         WHEN a.stage IS NOT NULL THEN upper(a.stage[1]) || a.stage[2:]
         ELSE 'Not in this campaign' END,
    k.status IS NOT NULL OR coalesce(g.outcome = 'accepted', false)""", """
    LEFT JOIN (SELECT creator_id, arg_max(status, id) AS status FROM collaborations
               WHERE campaign_id = $campaign GROUP BY creator_id) k ON k.creator_id = p.id
    LEFT JOIN applications a ON a.campaign_id = $campaign AND a.creator_id = p.id
    LEFT JOIN agreements g ON g.application_id = a.id""")


def scenarios(db: Database) -> list[Scenario]:
    campaign = db.value(
        "SELECT campaign_id FROM (SELECT campaign_id, creator_id FROM applications UNION"
        " SELECT campaign_id, creator_id FROM collaborations) GROUP BY 1"
        " ORDER BY count(*) DESC, 1 LIMIT 1"
    )
    deep = scaled(DEEP_PAGE, db.value("SELECT count(*) FROM collaborations"))
    return [
        Scenario("no filter (the page's first view), p1", InboxFilter(), EVERYONE),
        Scenario("one campaign (with standings), p1", InboxFilter(campaign_id=campaign),
                 IN_CAMPAIGN),
        Scenario(f"search '{SEARCH}', p1", InboxFilter(search=SEARCH), NAMED_ANNA),
        Scenario(f"no filter, p{deep:,}", InboxFilter(), EVERYONE, deep),
    ]


# --- the product ---------------------------------------------------------------------------


def service(db: Database, user: User, s: Scenario, now: dt.datetime) -> Result:
    page = inbox.list_creators(db, user, s.filt, s.page, PAGE_SIZE, now)
    rows = page.rows
    subjects = [None if not isinstance(x, str) else x for x in rows["last_subject"]]
    standings = (list(zip(rows["standing"], (bool(x) for x in rows["may_message"]),
                          strict=True))
                 if "standing" in rows else [(None, None)] * len(rows))
    return ([int(i) for i in rows["id"]], int(page.total),
            [(int(n), subject, label, may) for n, subject, (label, may)
             in zip(rows["unread"], subjects, standings, strict=True)])


# --- one hand-written page and count -------------------------------------------------------


def hand_sql(db: Database, user: User, s: Scenario, now: dt.datetime) -> Result:
    standing, joins = _STANDING if s.hand.standing else _NO_STANDING
    sql = _PAGE.format(matching=s.hand.matching, standing=standing, standing_joins=joins)
    values = {"user": user.id, "campaign": s.filt.campaign_id, "now": now,
              "offset": (s.page - 1) * PAGE_SIZE}
    rows = db.rows(sql, bind(sql, values))
    total = db.value(s.hand.count, bind(s.hand.count, values))
    return ([int(r[0]) for r in rows], int(total),
            [(int(r[1]), r[2], r[3], r[4]) for r in rows])


# --- the run -------------------------------------------------------------------------------


def run(db: Database, repeat: int) -> list[VersusOutcome]:
    user, now = reader(db), utcnow()
    print(f"  inbox: reading as {user.username} (#{user.id})", flush=True)
    outcomes = []
    for s in scenarios(db):
        print(f"  inbox: {s.name}", flush=True)
        outcomes.append(versus_sql(s, lambda s=s: service(db, user, s, now),
                                   lambda s=s: hand_sql(db, user, s, now),
                                   repeat, PAGE_SIZE, "creators"))
    return outcomes

