"""Campaign progress (lib.progress) on the small `world` with a hand-written history: the
weekly counts by status, the application-to-collaboration funnel and the median days per stage.

The expected tables are worked out by hand from the histories in the fixtures; weeks start on
Mondays (2026-03-02, the day of conftest.T0, is one).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

import pandas as pd
import pytest

from lib import campaigns as camps
from lib import collaborations as collabs
from lib.db import Database
from lib.models import CampaignFields, Role, Terms, User
from lib.progress import (
    COLUMNS,
    FUNNEL_COLUMNS,
    FUNNEL_STAGES,
    STAGE_COLUMNS,
    STAGES,
    TOTAL_COLUMNS,
    funnel,
    median_days_by_stage,
    status_counts_by_week,
    status_totals_by_week,
)
from lib.rules import RuleViolation
from tests.conftest import T0, World, add_collab, own_campaigns

MAR = {day: dt.date(2026, 3, day) for day in (2, 9, 16, 23)}  # the Mondays
TODAY = dt.date(2026, 3, 24)  # the day of the history's last change: the weeks run to its week


def change(db: Database, collab_id: int, day: int, hour: int, old: str, new: str) -> None:
    """A status_changed event on 2026-03-<day> at <hour>:00, written as the service would."""
    db.value(
        "INSERT INTO activity_events (collab_id, occurred_at, actor, kind, from_status,"
        " to_status) VALUES (?, ?, 'manager', 'status_changed', ?, ?) RETURNING id",
        [collab_id, dt.datetime(2026, 3, day, hour), old, new],
    )


@pytest.fixture
def history(db: Database, world: World) -> World:
    """Spring's collaborations get a history that ends in their current status.

    ada   created Mon 2 Mar, pending, never changed
    grace created Tue 3 Mar, pending -> negotiating Thu 12 Mar
    linus created Wed 4 Mar, pending -> negotiating Fri 6, -> fulfilling Sat 7 (same week)
    mary  created Thu 5 Mar, pending -> negotiating Tue 10, -> fulfilling Tue 17,
          -> completed Tue 24
    Summer and Launch have no events: each collaboration counts in today's status from the
    week it was created.
    """
    w = world.collabs
    change(db, w["grace_spring"], 12, 10, "pending", "negotiating")
    change(db, w["linus_spring"], 6, 10, "pending", "negotiating")
    change(db, w["linus_spring"], 7, 10, "negotiating", "fulfilling")
    change(db, w["mary_spring"], 10, 10, "pending", "negotiating")
    change(db, w["mary_spring"], 17, 10, "negotiating", "fulfilling")
    change(db, w["mary_spring"], 24, 10, "fulfilling", "completed")
    return world


def table(frame: object) -> list[tuple[int, dt.date, str, int]]:
    return [(int(c), w, str(s), int(n)) for c, w, s, n in frame.itertuples(index=False)]


def spring_expected(spring: int) -> list[tuple[int, dt.date, str, int]]:
    return [
        (spring, MAR[2], "pending", 3),  # ada, grace, mary
        (spring, MAR[2], "fulfilling", 1),  # linus, past negotiating within the week
        (spring, MAR[9], "pending", 1),
        (spring, MAR[9], "negotiating", 2),  # grace, mary
        (spring, MAR[9], "fulfilling", 1),
        (spring, MAR[16], "pending", 1),
        (spring, MAR[16], "negotiating", 1),
        (spring, MAR[16], "fulfilling", 2),  # linus, mary
        (spring, MAR[23], "pending", 1),
        (spring, MAR[23], "negotiating", 1),
        (spring, MAR[23], "fulfilling", 1),
        (spring, MAR[23], "completed", 1),
    ]


def test_one_campaign_week_by_week(db: Database, history: World) -> None:
    spring = history.campaigns["Spring"]
    frame = status_counts_by_week(db, campaign_id=spring, today=TODAY)
    assert list(frame.columns) == COLUMNS
    assert table(frame) == spring_expected(spring)


def test_a_client_covers_its_campaigns_and_no_one_elses(db: Database, history: World) -> None:
    spring, summer = history.campaigns["Spring"], history.campaigns["Summer"]
    frame = status_counts_by_week(db, client_id=history.clients["Acme"], today=TODAY)
    # Summer: ada (cancelled, created Fri 6 Mar) and grace (pending, Sat 7 Mar), no events:
    # the same two every week up to today's.
    summer_rows = [(summer, week, status, 1) for week in MAR.values()
                   for status in ("pending", "cancelled")]
    assert spring < summer
    assert table(frame) == spring_expected(spring) + summer_rows


def test_every_campaign_by_default(db: Database, history: World) -> None:
    launch = history.campaigns["Launch"]
    frame = status_counts_by_week(db, today=TODAY)
    assert set(frame["campaign_id"]) == set(history.campaigns.values())
    # Launch: linus negotiating since Sun 8 Mar, grace fulfilling since Mon 9 Mar; so to today.
    assert table(frame[frame["campaign_id"] == launch]) == [
        (launch, MAR[2], "negotiating", 1),
        *[(launch, week, status, 1) for week in (MAR[9], MAR[16], MAR[23])
          for status in ("negotiating", "fulfilling")],
    ]


def test_a_date_range_keeps_its_weeks_but_counts_the_history_before(
    db: Database, history: World
) -> None:
    spring = history.campaigns["Spring"]
    frame = status_counts_by_week(
        db, campaign_id=spring, date_from=dt.date(2026, 3, 18), date_to=dt.date(2026, 3, 20)
    )
    assert table(frame) == [row for row in spring_expected(spring) if row[1] == MAR[16]]
    later = status_counts_by_week(db, campaign_id=spring, date_from=dt.date(2026, 3, 23),
                                  today=TODAY)
    assert table(later) == [row for row in spring_expected(spring) if row[1] == MAR[23]]


def test_dates_out_of_order_are_refused(db: Database, history: World) -> None:
    with pytest.raises(RuleViolation, match="before it starts"):
        status_counts_by_week(db, date_from=dt.date(2026, 4, 1), date_to=dt.date(2026, 3, 1))


def test_nothing_to_count_gives_an_empty_table(db: Database, history: World) -> None:
    frame = status_counts_by_week(db, campaign_id=999_999)
    assert list(frame.columns) == COLUMNS and frame.empty
    before = status_counts_by_week(db, date_to=dt.date(2026, 2, 1))
    assert before.empty


def test_a_change_made_through_the_service_shows_in_its_week(
    db: Database, world: World, people: dict[Role, User]
) -> None:
    """Real events from apply_status_change: pending since two weeks ago, negotiating now."""
    created = dt.datetime.now(dt.UTC).replace(tzinfo=None) - dt.timedelta(days=14)
    campaign = world.campaigns["Launch"]
    collab = add_collab(db, campaign, world.creators["Ada"], "pending", created)
    collabs.change_status(db, people[Role.STAFF], collab, 1, "negotiating")
    frame = status_counts_by_week(db, campaign_id=campaign, date_from=created.date())
    weeks = sorted(set(frame["week"]))
    monday = created.date() - dt.timedelta(days=created.weekday())
    assert weeks[0] == monday and len(weeks) == 3
    first, last = frame[frame["week"] == weeks[0]], frame[frame["week"] == weeks[-1]]
    mine_then = dict(zip(first["status"], first["collaborations"], strict=True))
    mine_now = dict(zip(last["status"], last["collaborations"], strict=True))
    # Launch already had linus (negotiating) and grace (fulfilling) since March.
    assert mine_then == {"pending": 1, "negotiating": 1, "fulfilling": 1}
    assert mine_now == {"negotiating": 2, "fulfilling": 1}


# --- the funnel and the days per stage -------------------------------------------------------


def at(day: int, hour: int = 0) -> dt.datetime:
    return dt.datetime(2026, 3, day, hour)


@dataclass
class Autumn:
    """The hand-built workflow campaign (see the `autumn` fixture) and its neighbours."""

    world: World
    campaign: int
    apps: dict[str, int]
    collabs: dict[str, int]


def insert(db: Database, sql: str, params: list[object]) -> int:
    return db.value(sql + " RETURNING id", params)


def campaign_event(
    db: Database, campaign: int, app: int | None, when: dt.datetime, kind: str,
    old: str | None = None, new: str | None = None,
) -> None:
    insert(db, "INSERT INTO campaign_events (campaign_id, application_id, occurred_at, actor,"
           " kind, from_value, to_value) VALUES (?, ?, ?, 'manager', ?, ?, ?)",
           [campaign, app, when, kind, old, new])


def activity(db: Database, collab: int, when: dt.datetime, kind: str, old: str | None = None,
             new: str | None = None) -> None:
    insert(db, "INSERT INTO activity_events (collab_id, occurred_at, actor, kind, from_status,"
           " to_status) VALUES (?, ?, 'manager', ?, ?, ?)", [collab, when, kind, old, new])


Change = tuple[dt.datetime, str, str]  # when, from stage, to stage
Agreement = tuple[dt.datetime, str, dt.datetime]  # sent, outcome, answered
Plan = tuple[str, dt.datetime, list[Change], Agreement | None]  # source, applied at, ...

AUTUMN_PLAN: dict[str, Plan] = {
    "Ada": ("applied", at(2, 10), [(at(3, 10), "applied", "selected")],
            (at(4, 10), "accepted", at(5, 22))),
    "Grace": ("invited", at(2, 12), [(at(4, 12), "applied", "selected")],
              (at(4, 18), "accepted", at(5, 18))),
    "Linus": ("applied", at(3, 10), [(at(6, 10), "applied", "selected")],
              (at(7, 10), "declined", at(8, 10))),
    "Mary": ("applied", at(3, 12), [(at(4, 0), "applied", "selected"),
                                    (at(5, 0), "selected", "declined")], None),
    "Nina": ("applied", at(4, 10), [(at(5, 10), "applied", "declined")], None),
    "Omar": ("applied", at(4, 10), [], None),
}


def add_application(db: Database, campaign: int, creator: int, plan: Plan) -> int:
    """One application with its stage changes and agreement, and their campaign events."""
    source, applied, changes, agreement = plan
    stage = changes[-1][2] if changes else "applied"
    app = insert(db, "INSERT INTO applications (campaign_id, creator_id, source, stage,"
                 " created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)",
                 [campaign, creator, source, stage, applied, applied])
    campaign_event(db, campaign, app, applied, source, None, "applied")
    for when, old, new in changes:
        campaign_event(db, campaign, app, when, "stage_changed", old, new)
    if agreement is not None:
        sent, outcome, answered = agreement
        insert(db, "INSERT INTO agreements (application_id, deliverables, compensation,"
               " currency, sent_at, deadline, sent_by, outcome, responded_at)"
               " VALUES (?, '1 reel', 500, 'EUR', ?, ?, 'manager', ?, ?)",
               [app, sent, sent + dt.timedelta(days=3), outcome, answered])
        campaign_event(db, campaign, app, sent, "agreement_sent", None, "pending")
        campaign_event(db, campaign, app, answered, f"agreement_{outcome}", "pending", outcome)
    return app


@pytest.fixture
def autumn(db: Database, world: World) -> Autumn:
    """Acme's "Autumn", run through the workflow (times in March 2026, AUTUMN_PLAN):

    applied  Ada 2nd 10:00, Grace (invited) 2nd 12:00, Linus 3rd 10:00, Mary 3rd 12:00,
             Nina and Omar 4th 10:00
    selected Ada 3rd 10:00 (1 day), Grace 4th 12:00 (2), Linus 6th 10:00 (3), Mary 4th 00:00
             (0.5; declined again on the 5th); Nina declined on the 5th; Omar never moved
    sent     Ada 4th 10:00 (1 day after her selection), Grace 4th 18:00 (0.25), Linus 7th
             10:00 (1)
    answered Ada accepted 5th 22:00 (1.5 days), Grace accepted 5th 18:00 (1), Linus declined
    started  9th 10:00: Ada and Grace, pending -> fulfilling in that instant
    then     Ada fulfilling -> completed 19th 10:00 (10 days); Grace fulfilling -> negotiating
             11th 10:00 (a move back), -> cancelled 12th 10:00
    """
    # Spring's client and owner; closed on its start date, started an hour later.
    campaign = insert(db, "INSERT INTO campaigns (client_id, name, owner_id, start_date,"
                      " end_date, budget, created_at, status, closed_at, started_at)"
                      " SELECT client_id, 'Autumn', owner_id, DATE '2026-03-09', end_date,"
                      " budget, ?, 'running', ?, ? FROM campaigns WHERE id = ?",
                      [at(2, 9), at(9), at(9, 10), world.campaigns["Spring"]])
    own_campaigns(db)
    creators = dict(world.creators)
    for name in ("Nina", "Omar"):
        creators[name] = insert(db, "INSERT INTO creators (name, handle, platform, created_at)"
                                " VALUES (?, ?, 'tiktok', ?)", [name, name.lower(), at(1)])
    apps = {name: add_application(db, campaign, creators[name], plan)
            for name, plan in AUTUMN_PLAN.items()}
    campaign_event(db, campaign, None, at(9, 10), "collaborations_started", "closed", "running")
    collabs = {
        "Ada": add_collab(db, campaign, creators["Ada"], "completed", at(9, 10)),
        "Grace": add_collab(db, campaign, creators["Grace"], "cancelled", at(9, 10)),
    }
    for collab in collabs.values():
        activity(db, collab, at(9, 10), "created")
        activity(db, collab, at(9, 10), "status_changed", "pending", "fulfilling")
    activity(db, collabs["Ada"], at(19, 10), "status_changed", "fulfilling", "completed")
    activity(db, collabs["Grace"], at(11, 10), "status_changed", "fulfilling", "negotiating")
    activity(db, collabs["Grace"], at(12, 10), "status_changed", "negotiating", "cancelled")
    return Autumn(world, campaign, apps, collabs)


Funnel = list[tuple[str, int | None, int, float | None]]


def funnel_rows(frame: pd.DataFrame) -> Funnel:
    def number(value: object) -> float | None:
        return None if pd.isna(value) else float(value)  # type: ignore[arg-type]

    return [(str(s), None if pd.isna(n) else int(n), int(c), number(p))
            for s, n, c, p in frame[FUNNEL_COLUMNS].itertuples(index=False)]


def stage_rows(frame: pd.DataFrame) -> list[tuple[str, float | None, int, bool]]:
    return [(str(s), None if pd.isna(d) else pytest.approx(float(d)), int(n), bool(slow))
            for s, d, n, slow in frame[STAGE_COLUMNS].itertuples(index=False)]


def test_the_funnel_of_one_campaign(db: Database, autumn: Autumn) -> None:
    assert funnel_rows(funnel(db, campaign_id=autumn.campaign)) == [
        ("applied", 6, 1, None),
        ("selected", 4, 1, pytest.approx(4 / 6)),  # Mary counts: she was selected, then not
        ("agreement sent", 3, 1, 0.75),
        ("accepted", 2, 1, pytest.approx(2 / 3)),  # Linus declined
        ("collaborating", 2, 1, 1.0),  # Grace's cancelled collaboration is one too
        ("completed", 1, 1, 0.5),
    ]


def test_a_campaign_from_before_the_workflow_starts_at_collaborating(
    db: Database, autumn: Autumn
) -> None:
    spring = autumn.world.campaigns["Spring"]
    assert funnel_rows(funnel(db, campaign_id=spring)) == [
        ("applied", None, 0, None),
        ("selected", None, 0, None),
        ("agreement sent", None, 0, None),
        ("accepted", None, 0, None),
        ("collaborating", 4, 1, None),
        ("completed", 1, 1, 0.25),  # Mary: completed, with no event (counted when created)
    ]


def test_a_clients_funnel_counts_each_step_over_the_campaigns_that_have_it(
    db: Database, autumn: Autumn
) -> None:
    """Acme: Spring (4) and Summer (2) from before the workflow, and Autumn (2)."""
    assert funnel_rows(funnel(db, client_id=autumn.world.clients["Acme"])) == [
        ("applied", 6, 1, None),
        ("selected", 4, 1, pytest.approx(4 / 6)),
        ("agreement sent", 3, 1, 0.75),
        ("accepted", 2, 1, pytest.approx(2 / 3)),
        ("collaborating", 8, 3, None),  # 1 campaign before, 3 here: no share
        ("completed", 2, 3, 0.25),  # Mary in Spring, Ada in Autumn
    ]


def test_a_date_range_counts_who_reached_each_step_in_it(db: Database, autumn: Autumn) -> None:
    frame = funnel(db, campaign_id=autumn.campaign, date_from=at(4).date(),
                   date_to=at(5).date())
    assert funnel_rows(frame) == [
        ("applied", 2, 1, None),  # Nina, Omar
        ("selected", 2, 1, 1.0),  # Mary (4th 00:00), Grace (4th 12:00)
        ("agreement sent", 2, 1, 1.0),  # Ada, Grace
        ("accepted", 2, 1, 1.0),  # Grace 5th 18:00, Ada 5th 22:00 (the day's last hours count)
        ("collaborating", 0, 1, 0.0),  # started on the 9th
        ("completed", 0, 1, None),
    ]


def test_a_campaign_with_nothing_yet_counts_zeros(
    db: Database, world: World, people: dict[Role, User]
) -> None:
    fresh = insert(db, "INSERT INTO campaigns (client_id, name, start_date, end_date, budget,"
                   " created_at) VALUES (?, 'Winter', '2026-12-01', '2026-12-31', 0, ?)",
                   [world.clients["Globex"], at(2)])
    own_campaigns(db)
    assert funnel_rows(funnel(db, campaign_id=fresh)) == [
        (stage, 0, 1, None) for stage in FUNNEL_STAGES
    ]
    assert funnel(db, campaign_id=999_999)["count"].isna().all()


def test_median_days_per_stage_of_one_campaign(db: Database, autumn: Autumn) -> None:
    assert list(median_days_by_stage(db).columns) == STAGE_COLUMNS
    assert stage_rows(median_days_by_stage(db, campaign_id=autumn.campaign)) == [
        ("applied → selected", 1.5, 4, False),  # 0.5 (Mary), 1 (Ada), 2 (Grace), 3 (Linus)
        ("selected → agreement sent", 1.0, 3, False),  # 0.25 (Grace), 1 (Ada), 1 (Linus)
        ("agreement sent → accepted", 1.25, 2, False),  # 1 (Grace), 1.5 (Ada); Linus declined
        # The start's pending -> fulfilling took no time: nobody waited in pending.
        ("pending → negotiating", None, 0, False),
        # Grace's negotiating ended in a cancellation and her fulfilling in a move back.
        ("negotiating → fulfilling", None, 0, False),
        ("fulfilling → completed", 10.0, 1, True),  # Ada, 9th to 19th
    ]


def test_median_days_over_a_client_include_the_status_history(
    db: Database, history: World, autumn: Autumn
) -> None:
    """Spring's history (the `history` fixture; created at 09:00, changes at 10:00):
    pending grace 9 d 1 h, linus 2 d 1 h, mary 5 d 1 h; negotiating linus 1 d, mary 7 d;
    fulfilling mary 7 d, with Autumn's Ada 10 d."""
    frame = median_days_by_stage(db, client_id=history.clients["Acme"])
    assert stage_rows(frame)[3:] == [
        ("pending → negotiating", 5 + 1 / 24, 3, False),
        ("negotiating → fulfilling", 4.0, 2, False),
        ("fulfilling → completed", 8.5, 2, True),
    ]
    assert stage_rows(median_days_by_stage(db, client_id=history.clients["Globex"])) == [
        (stage, None, 0, False) for stage in STAGES
    ]


def test_median_days_in_a_date_range_keep_what_ended_in_it(
    db: Database, autumn: Autumn
) -> None:
    frame = median_days_by_stage(
        db, campaign_id=autumn.campaign, date_from=at(4).date(), date_to=at(5).date()
    )
    assert stage_rows(frame) == [
        ("applied → selected", 1.25, 2, True),  # Mary 0.5, Grace 2 (selected on the 4th)
        ("selected → agreement sent", 0.625, 2, False),  # Ada 1, Grace 0.25
        ("agreement sent → accepted", 1.25, 2, True),  # a tie: both are the slowest
        ("pending → negotiating", None, 0, False),
        ("negotiating → fulfilling", None, 0, False),
        ("fulfilling → completed", None, 0, False),
    ]
    with pytest.raises(RuleViolation, match="before it starts"):
        median_days_by_stage(db, date_from=at(5).date(), date_to=at(4).date())
    with pytest.raises(RuleViolation, match="before it starts"):
        funnel(db, date_from=at(5).date(), date_to=at(4).date())


def test_every_campaign_by_default_in_the_funnel_and_the_stages(
    db: Database, history: World, autumn: Autumn
) -> None:
    """With no scope the reads skip the joins onto the campaigns (lib.progress._scope_join):
    Acme's tables (the tests above) plus Globex's Launch, which has two collaborations and
    no history. A selection filed with no application counts nowhere."""
    campaign_event(db, autumn.campaign, None, at(6), "stage_changed", "applied", "selected")
    assert funnel_rows(funnel(db)) == [
        ("applied", 6, 1, None),
        ("selected", 4, 1, pytest.approx(4 / 6)),
        ("agreement sent", 3, 1, 0.75),
        ("accepted", 2, 1, pytest.approx(2 / 3)),
        ("collaborating", 10, 4, None),  # Acme's 8 and Launch's 2
        ("completed", 2, 4, 0.2),
    ]
    assert stage_rows(median_days_by_stage(db)) == [
        ("applied → selected", 1.5, 4, False),
        ("selected → agreement sent", 1.0, 3, False),
        ("agreement sent → accepted", 1.25, 2, False),
        ("pending → negotiating", 5 + 1 / 24, 3, False),
        ("negotiating → fulfilling", 4.0, 2, False),
        ("fulfilling → completed", 8.5, 2, True),
    ]


def test_weekly_totals_of_every_campaign(db: Database, history: World) -> None:
    """Acme's totals (below) plus Launch: linus negotiating from the first week, grace
    fulfilling from the second; read from the events alone, without the join onto scope."""
    frame = status_totals_by_week(db, today=TODAY)
    assert [(w, str(s), int(n)) for w, s, n in frame.itertuples(index=False)] == [
        (MAR[2], "pending", 4), (MAR[2], "negotiating", 1), (MAR[2], "fulfilling", 1),
        (MAR[2], "cancelled", 1),
        (MAR[9], "pending", 2), (MAR[9], "negotiating", 3), (MAR[9], "fulfilling", 2),
        (MAR[9], "cancelled", 1),
        (MAR[16], "pending", 2), (MAR[16], "negotiating", 2), (MAR[16], "fulfilling", 3),
        (MAR[16], "cancelled", 1),
        (MAR[23], "pending", 2), (MAR[23], "negotiating", 2), (MAR[23], "fulfilling", 2),
        (MAR[23], "completed", 1), (MAR[23], "cancelled", 1),
    ]


def test_weekly_totals_add_up_the_campaigns_over_one_grid(db: Database, history: World) -> None:
    """Summer's two (pending, cancelled since the first week) count in every week."""
    frame = status_totals_by_week(db, client_id=history.clients["Acme"], today=TODAY)
    assert list(frame.columns) == TOTAL_COLUMNS
    rows = [(w, str(s), int(n)) for w, s, n in frame.itertuples(index=False)]
    assert rows == [
        (MAR[2], "pending", 4), (MAR[2], "fulfilling", 1), (MAR[2], "cancelled", 1),
        (MAR[9], "pending", 2), (MAR[9], "negotiating", 2), (MAR[9], "fulfilling", 1),
        (MAR[9], "cancelled", 1),
        (MAR[16], "pending", 2), (MAR[16], "negotiating", 1), (MAR[16], "fulfilling", 2),
        (MAR[16], "cancelled", 1),
        (MAR[23], "pending", 2), (MAR[23], "negotiating", 1), (MAR[23], "fulfilling", 1),
        (MAR[23], "completed", 1), (MAR[23], "cancelled", 1),
    ]
    spring = history.campaigns["Spring"]
    one = status_totals_by_week(db, campaign_id=spring, today=TODAY)
    assert [(w, s, n) for _, w, s, n in spring_expected(spring)] == [
        (w, str(s), int(n)) for w, s, n in one.itertuples(index=False)
    ]


def test_a_campaign_run_through_the_workflow_service(
    db: Database, world: World, people: dict[Role, User]
) -> None:
    """The events lib.campaigns writes read as the funnel and stages expect."""
    m, day = people[Role.MANAGER], dt.timedelta(days=1)
    start = T0.date() + 7 * day
    fields = CampaignFields("Week", world.clients["Globex"], m.id, "", start, start + 30 * day,
                            "1000", "EUR")
    cid = camps.create_campaign(db, m, fields, "open", now=T0)
    who = [world.creators[n] for n in ("Ada", "Grace", "Linus")]
    camps.add_applications(db, m, cid, who, now=T0)
    apps = sorted(camps.change_stages(db, m, cid, who_apps(db, cid), "selected",
                                      now=T0 + day).done)
    terms = Terms("1 post", Decimal("100"), "EUR", start, start + 7 * day, "")
    camps.send_agreements(db, m, cid, apps[:2], terms, now=T0 + 2 * day)
    camps.record_response(db, m, cid, apps[0], "accepted", now=T0 + 3 * day)
    camps.record_response(db, m, cid, apps[1], "declined", now=T0 + 3 * day)
    camps.start_collaborations(db, m, cid, now=T0 + 7 * day)
    counts = funnel(db, campaign_id=cid)["count"].tolist()
    assert counts == [3, 3, 2, 1, 1, 0]
    assert stage_rows(median_days_by_stage(db, campaign_id=cid))[:4] == [
        ("applied → selected", 1.0, 3, True),
        ("selected → agreement sent", 1.0, 2, True),
        ("agreement sent → accepted", 1.0, 1, True),
        ("pending → negotiating", None, 0, False),  # the start's collaboration never waited
    ]


def who_apps(db: Database, campaign: int) -> list[int]:
    return [r[0] for r in db.rows("SELECT id FROM applications WHERE campaign_id = ?", [campaign])]


# --- issue 15, point 8: the weeks run to today, or to the campaign's end ----------------------


def test_the_weeks_run_on_to_today_after_the_last_change(db: Database, history: World) -> None:
    spring = history.campaigns["Spring"]
    frame = status_counts_by_week(db, campaign_id=spring, today=dt.date(2026, 4, 15))
    weeks = sorted(set(frame["week"]))
    assert weeks[-1] == dt.date(2026, 4, 13)  # the Monday of today's week, not of Mar 24's
    assert len(weeks) == 7  # no week left out between
    last = {str(s): int(n) for _, _, s, n in frame[frame["week"] == weeks[-1]].itertuples(
        index=False)}
    assert last == {"pending": 1, "negotiating": 1, "fulfilling": 1, "completed": 1}
    totals = status_totals_by_week(db, campaign_id=spring, today=dt.date(2026, 4, 15))
    assert max(totals["week"]) == dt.date(2026, 4, 13)


def test_the_weeks_stop_at_the_campaigns_end_when_it_ended_before_today(
    db: Database, history: World
) -> None:
    spring = history.campaigns["Spring"]  # ends Tue 30 Jun 2026
    frame = status_counts_by_week(db, campaign_id=spring, today=dt.date(2026, 12, 4))
    assert max(frame["week"]) == dt.date(2026, 6, 29)
    totals = status_totals_by_week(db, client_id=history.clients["Acme"],
                                   today=dt.date(2026, 12, 4))
    assert max(totals["week"]) == dt.date(2026, 6, 29)
    # a change after the end (late bookkeeping) still shows: the weeks reach it
    change(db, history.collabs["grace_spring"], 30, 10, "negotiating", "fulfilling")
    early = status_counts_by_week(db, campaign_id=spring, today=dt.date(2026, 3, 2))
    assert max(early["week"]) == dt.date(2026, 3, 30)
