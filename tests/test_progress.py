"""Campaign progress by week (lib.progress), on the small `world` with a hand-written history.

The expected tables are worked out by hand from the history below; weeks start on Mondays
(2026-03-02, the day of conftest.T0, is one).
"""

from __future__ import annotations

import datetime as dt

import pytest

from lib import collaborations as collabs
from lib.db import Database
from lib.models import Role, User
from lib.progress import COLUMNS, status_counts_by_week
from lib.rules import RuleViolation
from tests.conftest import World, add_collab

MAR = {day: dt.date(2026, 3, day) for day in (2, 9, 16, 23)}  # the Mondays


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
    frame = status_counts_by_week(db, campaign_id=spring)
    assert list(frame.columns) == COLUMNS
    assert table(frame) == spring_expected(spring)


def test_a_client_covers_its_campaigns_and_no_one_elses(db: Database, history: World) -> None:
    spring, summer = history.campaigns["Spring"], history.campaigns["Summer"]
    frame = status_counts_by_week(db, client_id=history.clients["Acme"])
    # Summer: ada (cancelled, created Fri 6 Mar) and grace (pending, Sat 7 Mar), no events.
    summer_rows = [(summer, MAR[2], "pending", 1), (summer, MAR[2], "cancelled", 1)]
    assert spring < summer
    assert table(frame) == spring_expected(spring) + summer_rows


def test_every_campaign_by_default(db: Database, history: World) -> None:
    launch = history.campaigns["Launch"]
    frame = status_counts_by_week(db)
    assert set(frame["campaign_id"]) == set(history.campaigns.values())
    # Launch: linus negotiating since Sun 8 Mar, grace fulfilling since Mon 9 Mar.
    assert table(frame[frame["campaign_id"] == launch]) == [
        (launch, MAR[2], "negotiating", 1),
        (launch, MAR[9], "negotiating", 1),
        (launch, MAR[9], "fulfilling", 1),
    ]


def test_a_date_range_keeps_its_weeks_but_counts_the_history_before(
    db: Database, history: World
) -> None:
    spring = history.campaigns["Spring"]
    frame = status_counts_by_week(
        db, campaign_id=spring, date_from=dt.date(2026, 3, 18), date_to=dt.date(2026, 3, 20)
    )
    assert table(frame) == [row for row in spring_expected(spring) if row[1] == MAR[16]]
    later = status_counts_by_week(db, campaign_id=spring, date_from=dt.date(2026, 3, 23))
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
