"""The campaign services against a temporary database: a whole campaign week, batches,
refusals that write nothing, roles, and two managers starting collaborations at once."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest

from lib import campaigns as camps
from lib import collaborations, progress
from lib.campaigns import CampaignFilter, CreatorSearch
from lib.campaigns import start as camps_start
from lib.db import Database, NotFound
from lib.models import CampaignFields, Role, Terms, User
from lib.rules import RuleViolation
from tests.conftest import T0, World
from tests.test_demo import consistency_problems

DAY, HOUR, SECOND = dt.timedelta(days=1), dt.timedelta(hours=1), dt.timedelta(seconds=1)
START = T0.date() + dt.timedelta(days=7)  # the campaign's start date: day seven of the week
TERMS = Terms("1 reel + 2 stories", Decimal("750.00"), "EUR", START, START + 21 * DAY,
              "Usage rights: 6 months")
TABLES = ("clients", "campaigns", "applications", "agreements", "campaign_events", "messages",
          "collaborations", "activity_events", "creators")
# name, handle, platform, followers, tag
CREATORS = [
    ("Nina Berg", "nina.berg", "instagram", 12_000, "Beauty"),
    ("Omar Haddad", "omarh", "tiktok", 80_000, "Gaming"),
    ("Paula Reyes", "paula", "instagram", 45_000, "Beauty"),
    ("Quentin Roux", "qroux", "youtube", 250_000, "Tech"),
    ("Rosa Klein", "rosak", "instagram", 3_000, "Food"),
    ("Sven Olsen", "sven", "tiktok", 9_000, "Travel"),
    ("Tara Singh", "tara", "instagram", 30_000, "Beauty"),
    ("Umar Aziz", "umar", "youtube", 60_000, "Tech"),
]


@dataclass
class Week:
    campaign: int
    client: int
    creators: dict[str, int]  # first name -> creator id
    manager: User

    def apps(self, db: Database) -> dict[str, int]:
        """first name -> application id in the campaign."""
        rows = db.rows(
            "SELECT split_part(cr.name, ' ', 1), a.id FROM applications a"
            " JOIN creators cr ON cr.id = a.creator_id WHERE a.campaign_id = ?", [self.campaign]
        )
        return dict(rows)


def add_creator(db: Database, name: str, handle: str, platform: str, followers: int,
                tag: str) -> int:
    creator = db.value(
        "INSERT INTO creators (name, handle, platform, email, followers, engagement_rate,"
        " created_at) VALUES (?, ?, ?, ?, ?, 3.0, ?) RETURNING id",
        [name, handle, platform, f"{handle}@example.com", followers, T0],
    )
    db.value("INSERT INTO creator_tags VALUES (?, ?) RETURNING 1", [creator, tag])
    return creator


@pytest.fixture
def week(db: Database, people: dict[Role, User]) -> Week:
    """A client, eight creators and an open campaign starting on day seven (no collaborations)."""
    manager = people[Role.MANAGER]
    client = camps.add_client(db, manager, "Nordlicht Cosmetics")
    creators = {c[0].split()[0]: add_creator(db, *c) for c in CREATORS}
    fields = CampaignFields("Autumn Glow", client, manager.id, "Skincare launch, <b>bold</b>",
                            START, START + 30 * DAY, "12000", "EUR")
    campaign = camps.create_campaign(db, manager, fields, "open", now=T0)
    return Week(campaign, client, creators, manager)


def fingerprint(db: Database) -> dict[str, Any]:
    """Every row of the tables a campaign write may touch, to compare before and after."""
    return {t: db.rows(f"SELECT * FROM {t} ORDER BY ALL") for t in TABLES}


def events(db: Database, campaign_id: int, kind: str | None = None) -> list[tuple]:
    sql = ("SELECT kind, application_id, from_value, to_value FROM campaign_events"
           " WHERE campaign_id = ?" + (" AND kind = ?" if kind else "") + " ORDER BY id")
    return db.rows(sql, [campaign_id, kind] if kind else [campaign_id])


def messages(db: Database, kind: str) -> list[int]:
    return [r[0] for r in db.rows(
        "SELECT creator_id FROM messages WHERE kind = ? ORDER BY creator_id", [kind])]


# --- the whole week --------------------------------------------------------------------


def test_the_whole_week(db: Database, week: Week) -> None:
    m, cid, who = week.manager, week.campaign, week.creators
    # Day 1: five creators apply; two Beauty creators on Instagram are invited from the base.
    applied = [who[n] for n in ("Nina", "Omar", "Quentin", "Rosa", "Sven")]
    assert camps.add_applications(db, m, cid, applied, now=T0 + HOUR).done == applied
    found = camps.search_creators(
        db, CreatorSearch(tag="Beauty", platform="instagram", min_followers=20_000), cid
    )
    assert list(found.rows["name"]) == ["Paula Reyes", "Tara Singh"]
    invited = camps.add_applications(
        db, m, cid, list(found.rows["id"]), "invited", now=T0 + 2 * HOUR)
    assert len(invited.done) == 2
    apps = week.apps(db)

    # Day 2: pre-selection in one batch, then a change of mind; nobody hears of either.
    chosen = [apps[n] for n in ("Nina", "Omar", "Paula", "Quentin", "Tara")]
    assert camps.change_stages(db, m, cid, chosen, "selected", now=T0 + DAY).done == chosen
    camps.change_stages(db, m, cid, [apps["Rosa"]], "declined", now=T0 + DAY)
    camps.change_stage(db, m, cid, apps["Tara"], 2, "applied", now=T0 + DAY + HOUR)
    camps.change_stage(db, m, cid, apps["Tara"], 3, "selected", now=T0 + DAY + 2 * HOUR)
    assert db.value("SELECT count(*) FROM messages") == 0

    # Day 3: agreements to the four first picks; Tara waits in reserve.
    sent_at = T0 + 2 * DAY
    first = [apps[n] for n in ("Nina", "Omar", "Paula", "Quentin")]
    assert camps.send_agreements(db, m, cid, first, TERMS, now=sent_at).done == first
    assert messages(db, "agreement_sent") == sorted(who[n] for n in ("Nina", "Omar", "Paula",
                                                                       "Quentin"))
    # Days 4-5: Nina signs at the very last second, Omar and Paula earlier, Quentin declines.
    deadline = sent_at + 3 * DAY
    camps.record_responses(db, m, cid, [apps["Omar"], apps["Paula"]], "accepted", now=sent_at + DAY)
    camps.record_response(db, m, cid, apps["Quentin"], "declined", now=sent_at + DAY)
    camps.record_response(db, m, cid, apps["Nina"], "accepted", now=deadline)

    # Quentin declined: send Tara one instead; she lets it expire.
    camps.send_agreement(db, m, cid, apps["Tara"], TERMS, now=sent_at + DAY)
    tara_deadline = sent_at + 4 * DAY
    with pytest.raises(RuleViolation, match="expired unsigned"):
        camps.record_response(db, m, cid, apps["Tara"], "accepted", now=tara_deadline + SECOND)

    # Day 7: the campaign has closed by itself on its start date; the confirmation lists who.
    day7 = dt.datetime.combine(START, dt.time(10))
    assert camps.get_campaign(db, cid, now=day7)["status"] == "closed"
    preview = camps.preview_start(db, cid, now=day7)
    assert preview.refusal is None
    assert {r.creator for r in preview.going_in} == {"Nina Berg", "Omar Haddad", "Paula Reyes"}
    why_not = {r.creator: r.why for r in preview.left_out}
    assert why_not == {
        "Quentin Roux": "Selected, but declined the agreement",
        "Rosa Klein": "Declined in pre-selection",
        "Sven Olsen": "Not selected",
        "Tara Singh": "Selected, agreement expired unsigned",
    }
    result = camps.start_collaborations(db, m, cid, preview.application_ids, now=day7)

    assert (len(result.done), len(result.refused)) == (3, 4)
    assert set(result.done) == preview.application_ids and set(result.refused) == {
        r.application_id for r in preview.left_out}
    check_started(db, week, sorted(result.made.values()), day7)
    made_for = db.rows("SELECT a.id, c.id FROM applications a JOIN collaborations c"
                       " ON c.campaign_id = a.campaign_id AND c.creator_id = a.creator_id"
                       " WHERE a.campaign_id = ?", [cid])
    assert result.made == dict(made_for)  # each application -> the collaboration made from it
    with pytest.raises(RuleViolation, match=r"already started on .*only once"):
        camps.start_collaborations(db, m, cid, preview.application_ids, now=day7 + HOUR)
    assert consistency_problems(db) == {}  # the histories obey the demo's invariants too


def check_started(db: Database, week: Week, collab_ids: list[int], when: dt.datetime) -> None:
    who = week.creators
    rows = db.rows(
        "SELECT creator_id, status, deliverables, compensation, currency, start_date, due_date,"
        " conditions, version, created_at FROM collaborations WHERE campaign_id = ?"
        " ORDER BY creator_id", [week.campaign])
    assert sorted(collab_ids) == sorted(
        db.value("SELECT list(id) FROM collaborations WHERE campaign_id = ?", [week.campaign]))
    agreed = ("fulfilling", TERMS.deliverables, TERMS.compensation, "EUR", TERMS.start_date,
              TERMS.due_date, TERMS.conditions, 2, when)
    assert rows == [(who[n], *agreed) for n in ("Nina", "Omar", "Paula")]
    history = db.rows(
        "SELECT kind, from_status, to_status FROM activity_events WHERE collab_id = ? ORDER BY id",
        [collab_ids[0]])
    assert history == [("created", None, None), ("status_changed", "pending", "fulfilling")]
    assert messages(db, "congratulations") == sorted(who[n] for n in ("Nina", "Omar", "Paula"))
    assert messages(db, "not_selected") == sorted(who[n] for n in ("Quentin", "Rosa", "Sven",
                                                                    "Tara"))
    campaign = camps.get_campaign(db, week.campaign, now=when)
    assert (campaign["status"], campaign["started_at"]) == ("running", when)
    assert campaign["closed_at"] == dt.datetime.combine(START, dt.time())  # closed by its date
    assert [e[0] for e in events(db, week.campaign, "collaborations_started")] == [
        "collaborations_started"]
    # The collaborations list and the progress chart see them like any other.
    listed = collaborations.list_collaborations(
        db, collaborations.CollabFilter(campaign_id=week.campaign))
    assert set(listed.rows["status"]) == {"fulfilling"} and listed.total == 3
    weekly = progress.status_counts_by_week(db, campaign_id=week.campaign, today=when.date())
    assert weekly[["status", "collaborations"]].values.tolist() == [["fulfilling", 3]]


def test_every_write_leaves_one_event_per_change(db: Database, week: Week) -> None:
    m, cid = week.manager, week.campaign
    camps.add_applications(db, m, cid, list(week.creators.values())[:3], now=T0)
    apps = sorted(week.apps(db).values())
    camps.change_stages(db, m, cid, apps, "selected", now=T0 + HOUR)
    camps.send_agreements(db, m, cid, apps[:2], TERMS, now=T0 + 2 * HOUR)
    camps.record_response(db, m, cid, apps[0], "accepted", now=T0 + 3 * HOUR)
    kinds = [e[0] for e in events(db, cid)]
    assert kinds == ["campaign_created", *["applied"] * 3, *["stage_changed"] * 3,
                     *["agreement_sent"] * 2, "agreement_accepted"]
    assert events(db, cid, "stage_changed") == [
        ("stage_changed", a, "applied", "selected") for a in apps]
    assert db.rows("SELECT actor FROM campaign_events GROUP BY ALL") == [("manager",)]


# --- batches ---------------------------------------------------------------------------


def test_a_batch_changes_what_it_may_and_says_why_not_for_the_rest(
    db: Database, week: Week, world: World
) -> None:
    m, cid = week.manager, week.campaign
    camps.add_applications(db, m, cid, list(week.creators.values())[:4], now=T0)
    apps = sorted(week.apps(db).values())
    camps.change_stage(db, m, cid, apps[0], None, "selected", now=T0)
    other = camps.create_campaign(db, m, CampaignFields(
        "Other", week.client, None, "", START, START, "0", "EUR"), "open", now=T0)
    elsewhere = camps.add_applications(db, m, other, [world.creators["Ada"]], now=T0)
    foreign = db.value("SELECT id FROM applications WHERE campaign_id = ?", [other])
    assert elsewhere.done

    result = camps.change_stages(
        db, m, cid, {apps[0]: 2, apps[1]: 1, apps[2]: 7, apps[3]: 1, foreign: 1, 10**30: 1},
        "selected", now=T0 + HOUR,
    )
    assert result.done == [apps[1], apps[3]]
    assert result.refused == {
        apps[0]: "The creator is already selected; nothing to change.",
        apps[2]: "Someone changed this application since you loaded it; reload and retry.",
        foreign: f"No application #{foreign} in this campaign.",
        10**30: f"No application #{10**30} in this campaign.",
    }
    assert result.summary("selected") == "2 selected; 4 refused."
    assert db.rows("SELECT id, stage, version FROM applications WHERE campaign_id = ?"
                   " ORDER BY id", [cid]) == [
        (apps[0], "selected", 2), (apps[1], "selected", 2), (apps[2], "applied", 1),
        (apps[3], "selected", 2)]
    assert len(events(db, cid, "stage_changed")) == 3  # the single change and these two


def test_send_in_a_batch_skips_the_unselected_and_those_who_have_one(
    db: Database, week: Week
) -> None:
    m, cid = week.manager, week.campaign
    camps.add_applications(db, m, cid, list(week.creators.values())[:4], now=T0)
    apps = sorted(week.apps(db).values())
    camps.change_stages(db, m, cid, apps[:3], "selected", now=T0)
    camps.send_agreement(db, m, cid, apps[0], TERMS, now=T0 + HOUR)
    result = camps.send_agreements(db, m, cid, apps, TERMS, now=T0 + 2 * HOUR)
    assert result.done == apps[1:3]
    assert "already has an agreement (pending)" in result.refused[apps[0]]
    assert "Only selected creators" in result.refused[apps[3]]
    assert db.value("SELECT count(*) FROM agreements") == 3
    assert len(messages(db, "agreement_sent")) == 3
    deadlines = db.rows("SELECT sent_at, deadline FROM agreements ORDER BY id")
    assert all(deadline - sent == 3 * DAY for sent, deadline in deadlines)


# --- the deadline, in SQL as in the rules -------------------------------------------------


def test_sql_and_rules_agree_at_the_deadline(db: Database, week: Week) -> None:
    m, cid = week.manager, week.campaign
    camps.add_applications(db, m, cid, [week.creators["Nina"]], now=T0)
    [app] = week.apps(db).values()
    camps.change_stage(db, m, cid, app, None, "selected", now=T0)
    camps.send_agreement(db, m, cid, app, TERMS, now=T0)
    deadline = T0 + 3 * DAY

    def state(now: dt.datetime) -> tuple[str, float]:
        row = camps.list_agreements(db, cid, now=now).rows.iloc[0]
        return row["agreement"], row["hours_left"]

    assert state(deadline) == ("pending", 0.0)
    assert state(deadline + SECOND) == ("expired", 0.0)
    assert state(deadline + 5 * HOUR) == ("expired", -5.0)
    assert state(T0) == ("pending", 72.0)
    issues = camps.needs_attention(db, now=deadline - DAY - SECOND)
    assert issues.empty  # more than 24 hours left
    assert list(camps.needs_attention(db, now=deadline - DAY)["issue"]) == [camps.EXPIRING]
    assert list(camps.needs_attention(db, now=deadline)["issue"]) == [camps.EXPIRING]
    assert list(camps.needs_attention(db, now=deadline + SECOND)["issue"]) == [camps.EXPIRED]
    camps.record_response(db, m, cid, app, "accepted", now=deadline)  # the last second counts
    assert camps.needs_attention(db, now=deadline + SECOND).empty


def test_needs_attention_lists_campaigns_past_their_start_with_nobody_signed(
    db: Database, week: Week
) -> None:
    m, cid = week.manager, week.campaign
    camps.add_applications(db, m, cid, [week.creators["Nina"]], now=T0)
    day_after_start = dt.datetime.combine(START + DAY, dt.time(9))
    on_start = dt.datetime.combine(START, dt.time(23))
    assert camps.needs_attention(db, now=on_start).empty  # not past it yet
    found = camps.needs_attention(db, now=day_after_start)
    assert found[["issue", "campaign_id", "campaign", "client"]].values.tolist() == [
        [camps.NOBODY_SIGNED, cid, "Autumn Glow", "Nordlicht Cosmetics"]]
    assert camps.needs_attention(db, campaign_id=cid, now=day_after_start).shape[0] == 1
    # A draft is not in the workflow yet, and a campaign that started needs nothing.
    draft = camps.create_campaign(db, m, CampaignFields(
        "Later", week.client, None, "", T0.date(), START, "0", "EUR"), now=T0)
    assert draft not in set(camps.needs_attention(db, now=day_after_start)["campaign_id"])


# --- refusals write nothing -----------------------------------------------------------------


def bad_calls(db: Database, week: Week, viewer: User, staff: User) -> dict[str, Callable]:
    m, cid = week.manager, week.campaign
    good = CampaignFields("Fine", week.client, m.id, "", START, START + DAY, "100", "EUR")

    def with_(**changes: Any) -> CampaignFields:
        return CampaignFields(**{**vars(good), **changes})

    return {
        "blank name": lambda: camps.create_campaign(db, m, with_(name="  ")),
        "end before start": lambda: camps.create_campaign(db, m, with_(end_date=START - DAY)),
        "negative budget": lambda: camps.create_campaign(db, m, with_(budget="-100")),
        "oversized brief": lambda: camps.create_campaign(db, m, with_(brief="x" * 100_000)),
        "unknown client": lambda: camps.create_campaign(db, m, with_(client_id=999)),
        "unknown owner": lambda: camps.create_campaign(db, m, with_(owner_id=999)),
        "created running": lambda: camps.create_campaign(db, m, good, "running"),
        "edit unknown": lambda: camps.edit_campaign(db, m, 999, 1, good),
        "edit stale": lambda: camps.edit_campaign(db, m, cid, 7, good),
        "blank client": lambda: camps.add_client(db, m, " "),
        "unknown campaign": lambda: camps.add_applications(db, m, 999, [1]),
        "id beyond BIGINT": lambda: camps.add_applications(db, m, 2**70, [1]),
        "unknown creators only": lambda: camps.add_applications(db, m, cid, [998, 999]),
        "oversized pitch": lambda: camps.add_applications(
            db, m, cid, [week.creators["Nina"]], pitch="x" * 5001),
        "no creators": lambda: camps.add_applications(db, m, cid, []),
        "stage unknown app": lambda: camps.change_stages(db, m, cid, [999], "selected"),
        "unknown stage": lambda: camps.change_stages(db, m, cid, [1], "shortlisted"),
        "send without selection": lambda: camps.send_agreements(db, m, cid, [1], TERMS),
        "send bad terms": lambda: camps.send_agreements(
            db, m, cid, [1], Terms("", Decimal(1), "EUR", None, None, "")),
        "answer without agreement": lambda: camps.record_responses(db, m, cid, [1], "accepted"),
        "answer expired": lambda: camps.record_responses(db, m, cid, [1], "expired"),
        "close a draft": lambda: camps.set_campaign_status(db, m, cid, "running"),
        "start while open": lambda: camps.start_collaborations(db, m, cid, now=T0),
        "viewer creates": lambda: camps.create_campaign(db, viewer, good),
        "staff creates": lambda: camps.create_campaign(db, staff, good),
        "staff edits": lambda: camps.edit_campaign(db, staff, cid, 1, good),
        "staff adds a client": lambda: camps.add_client(db, staff, "X"),
        "staff invites": lambda: camps.add_applications(db, staff, cid, [1], "invited"),
        "staff selects": lambda: camps.change_stages(db, staff, cid, [1], "selected"),
        "staff sends": lambda: camps.send_agreements(db, staff, cid, [1], TERMS),
        "staff records": lambda: camps.record_responses(db, staff, cid, [1], "accepted"),
        "staff closes": lambda: camps.set_campaign_status(db, staff, cid, "closed"),
        "staff starts": lambda: camps.start_collaborations(db, staff, cid),
        "viewer starts": lambda: camps.start_collaborations(db, viewer, cid),
        "nobody starts": lambda: camps.start_collaborations(db, None, cid),  # type: ignore[arg-type]
    }


def test_refusals_write_nothing(db: Database, week: Week, people: dict[Role, User]) -> None:
    camps.add_applications(db, week.manager, week.campaign, [week.creators["Nina"]], now=T0)
    before = fingerprint(db)
    calls = bad_calls(db, week, people[Role.VIEWER], people[Role.STAFF])
    for name, call in calls.items():
        with pytest.raises((RuleViolation, NotFound, PermissionError)) as refusal:
            call()
        assert str(refusal.value), name
        assert len(str(refusal.value)) < 300, name  # never echoes a huge input back
        assert fingerprint(db) == before, name


@pytest.mark.parametrize("role", [Role.VIEWER, Role.STAFF])
def test_only_managers_and_admins_write(
    db: Database, week: Week, people: dict[Role, User], role: Role
) -> None:
    with pytest.raises(PermissionError, match=f"role \\({role.value}\\) may not .* manager"):
        camps.set_campaign_status(db, people[role], week.campaign, "closed")
    camps.set_campaign_status(db, people[Role.ADMIN], week.campaign, "closed", now=T0)
    assert camps.get_campaign(db, week.campaign, now=T0)["status"] == "closed"


def test_start_with_nobody_signed_is_refused_and_writes_nothing(
    db: Database, week: Week
) -> None:
    m, cid = week.manager, week.campaign
    camps.add_applications(db, m, cid, [week.creators["Nina"], week.creators["Omar"]], now=T0)
    apps = week.apps(db)
    camps.change_stages(db, m, cid, list(apps.values()), "selected", now=T0)
    camps.send_agreement(db, m, cid, apps["Nina"], TERMS, now=T0)
    camps.record_response(db, m, cid, apps["Nina"], "declined", now=T0 + HOUR)
    camps.set_campaign_status(db, m, cid, "closed", now=T0 + HOUR)
    preview = camps.preview_start(db, cid, now=T0 + 2 * HOUR)
    assert preview.going_in == () and preview.refusal.startswith("Nobody has signed")
    before = fingerprint(db)
    with pytest.raises(RuleViolation, match="Nobody has signed"):
        camps.start_collaborations(db, m, cid, now=T0 + 2 * HOUR)
    assert fingerprint(db) == before


def test_start_refuses_a_list_that_changed_since_the_confirmation(
    db: Database, week: Week
) -> None:
    m, cid = week.manager, week.campaign
    camps.add_applications(db, m, cid, [week.creators["Nina"], week.creators["Omar"]], now=T0)
    apps = week.apps(db)
    camps.change_stages(db, m, cid, list(apps.values()), "selected", now=T0)
    camps.send_agreements(db, m, cid, list(apps.values()), TERMS, now=T0)
    camps.record_response(db, m, cid, apps["Nina"], "accepted", now=T0 + HOUR)
    camps.set_campaign_status(db, m, cid, "closed", now=T0 + HOUR)
    seen = camps.preview_start(db, cid, now=T0 + HOUR).application_ids
    camps.record_response(db, m, cid, apps["Omar"], "accepted", now=T0 + 2 * HOUR)
    with pytest.raises(RuleViolation, match="changed since you looked"):
        camps.start_collaborations(db, m, cid, seen, now=T0 + 2 * HOUR)
    assert db.value("SELECT count(*) FROM collaborations") == 0
    result = camps.start_collaborations(
        db, m, cid, camps.preview_start(db, cid, now=T0 + 2 * HOUR).application_ids,
        now=T0 + 2 * HOUR)
    assert len(result.made) == 2


def test_nothing_changes_after_the_start(db: Database, week: Week) -> None:
    m, cid = week.manager, week.campaign
    camps.add_applications(db, m, cid, [week.creators["Nina"], week.creators["Omar"]], now=T0)
    apps = week.apps(db)
    camps.change_stages(db, m, cid, list(apps.values()), "selected", now=T0)
    camps.send_agreements(db, m, cid, list(apps.values()), TERMS, now=T0)
    camps.record_response(db, m, cid, apps["Nina"], "accepted", now=T0)
    camps.set_campaign_status(db, m, cid, "closed", now=T0)
    camps.start_collaborations(db, m, cid, now=T0 + HOUR)
    later = T0 + 2 * HOUR
    before = fingerprint(db)
    for call in (
        lambda: camps.change_stage(db, m, cid, apps["Omar"], None, "declined", now=later),
        lambda: camps.record_response(db, m, cid, apps["Omar"], "accepted", now=later),
        lambda: camps.add_applications(db, m, cid, [week.creators["Paula"]], "invited",
                                       now=later),
        lambda: camps.set_campaign_status(db, m, cid, "closed", now=later),
    ):
        with pytest.raises(RuleViolation):
            call()
    assert fingerprint(db) == before
    camps.set_campaign_status(db, m, cid, "finished", now=later)
    assert camps.get_campaign(db, cid, now=later)["status"] == "finished"


# --- two managers press "Start" at once ---------------------------------------------------


def test_two_managers_starting_at_once_start_exactly_once(
    db: Database, week: Week, people: dict[Role, User], monkeypatch: pytest.MonkeyPatch
) -> None:
    m, cid = week.manager, week.campaign
    names = ("Nina", "Omar", "Paula")
    camps.add_applications(db, m, cid, [week.creators[n] for n in names], now=T0)
    apps = week.apps(db)
    camps.change_stages(db, m, cid, list(apps.values()), "selected", now=T0)
    camps.send_agreements(db, m, cid, list(apps.values()), TERMS, now=T0)
    camps.record_responses(db, m, cid, [apps["Nina"], apps["Omar"]], "accepted", now=T0)
    camps.set_campaign_status(db, m, cid, "closed", now=T0)
    expected = camps.preview_start(db, cid, now=T0 + HOUR).application_ids

    # The first transaction to claim the campaign row holds it a moment, so that the other
    # one's claim certainly overlaps: DuckDB refuses it, Database.write retries it.
    claims: list[int] = []
    real_claim = camps_start.claim

    def slow_claim(cur: Any, campaign_id: object, now: dt.datetime) -> Any:
        claims.append(threading.get_ident())
        first = len(claims) == 1
        found = real_claim(cur, campaign_id, now)  # the loser's claim raises a conflict here
        if first:
            threading.Event().wait(0.05)
        return found

    monkeypatch.setattr(camps_start, "claim", slow_claim)
    barrier = threading.Barrier(2)
    outcomes: dict[str, object] = {}

    def press(user: User) -> None:
        barrier.wait()
        try:
            outcomes[user.username] = camps.start_collaborations(
                db, user, cid, expected, now=T0 + HOUR)
        except Exception as error:  # the test looks at whatever happened
            outcomes[user.username] = error

    threads = [threading.Thread(target=press, args=(people[r],))
               for r in (Role.MANAGER, Role.ADMIN)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    started = [o for o in outcomes.values() if isinstance(o, camps.BatchResult)]
    refused = [o for o in outcomes.values() if isinstance(o, RuleViolation)]
    assert len(started) == 1 and len(refused) == 1, outcomes
    assert "already started" in str(refused[0])
    assert len(claims) >= 3  # both tried, and the loser tried again after its conflict
    assert db.value("SELECT count(*) FROM collaborations WHERE campaign_id = ?", [cid]) == 2
    assert len(messages(db, "congratulations")) == 2
    assert len(messages(db, "not_selected")) == 1
    assert len(events(db, cid, "collaborations_started")) == 1


# --- campaigns themselves ---------------------------------------------------------------------


def test_create_edit_and_status(db: Database, week: Week, people: dict[Role, User]) -> None:
    m = week.manager
    fields = CampaignFields("  Winter  ", week.client, m.id, "Brief", START, START + DAY,
                            "1,500.50", "GBP")
    cid = camps.create_campaign(db, m, fields, now=T0)
    campaign = camps.get_campaign(db, cid, now=T0)
    assert (campaign["name"], campaign["budget"], campaign["status"], campaign["version"]) == (
        "Winter", Decimal("1500.50"), "draft", 1)

    edited = CampaignFields("Winter Sale", week.client, m.id, "Brief", START, START + 9 * DAY,
                            "1500.50", "GBP")
    assert camps.edit_campaign(db, m, cid, 1, edited, now=T0 + HOUR) == ["name", "end date"]
    assert events(db, cid, "campaign_edited") == [("campaign_edited", None, None, None)]
    assert db.value("SELECT text FROM campaign_events WHERE kind = 'campaign_edited'") == (
        "Changed name, end date")
    assert camps.get_campaign(db, cid)["version"] == 2
    with pytest.raises(RuleViolation, match="since you opened it"):
        camps.edit_campaign(db, m, cid, 1, fields)
    with pytest.raises(RuleViolation, match="Nothing changed"):
        camps.edit_campaign(db, m, cid, 2, CampaignFields(**{**vars(edited), "budget": "1500.5"}))

    camps.set_campaign_status(db, m, cid, "open", now=T0)
    camps.set_campaign_status(db, m, cid, "closed", now=T0 + HOUR)
    assert events(db, cid, "campaign_status") == [
        ("campaign_status", None, "draft", "open"), ("campaign_status", None, "open", "closed")]
    assert db.value("SELECT text FROM campaign_events WHERE to_value = 'closed'") == (
        f"Closed early, before the start date {START}")
    with pytest.raises(RuleViolation, match="only through “Start collaborations”"):
        camps.set_campaign_status(db, m, cid, "running", now=T0)


def test_a_campaign_with_history_moves_to_another_client_and_owner(
    db: Database, world: World, people: dict[Role, User]
) -> None:
    """Spring (Acme) has collaborations; handing it to Globex and to the admin shows everywhere
    a client's campaigns are read: campaigns, the collaborations list and the progress chart."""
    manager, admin = people[Role.MANAGER], people[Role.ADMIN]
    spring = world.campaigns["Spring"]
    before = camps.get_campaign(db, spring)
    fields = CampaignFields(before["name"], world.clients["Globex"], admin.id, before["brief"],
                            before["start_date"], before["end_date"], before["budget"],
                            before["currency"])
    assert camps.edit_campaign(db, manager, spring, before["version"], fields) == [
        "client", "owner"]

    after = camps.get_campaign(db, spring)
    assert (after["client"], after["owner"], after["version"]) == (
        "Globex", admin.name, before["version"] + 1)
    globex = camps.list_campaigns(db, CampaignFilter(client_id=world.clients["Globex"]))
    assert spring in set(globex.rows["id"])
    acme = camps.list_campaigns(db, CampaignFilter(client_id=world.clients["Acme"]))
    assert spring not in set(acme.rows["id"])
    spring_collabs = db.value("SELECT count(*) FROM collaborations WHERE campaign_id = ?", [spring])
    assert spring_collabs > 0
    listed = collaborations.list_collaborations(
        db, collaborations.CollabFilter(client_id=world.clients["Globex"], campaign_id=spring))
    assert listed.total == spring_collabs
    assert set(listed.rows["client"]) == {"Globex"}
    assert (spring, "Spring", "Globex") in camps.campaign_choices(db, world.clients["Globex"])
    def last_week_total(client: str) -> int:
        weekly = progress.status_totals_by_week(db, client_id=world.clients[client])
        return int(weekly[weekly["week"] == weekly["week"].max()]["collaborations"].sum())

    def collabs_of(*names: str) -> int:
        ids = [world.campaigns[n] for n in names]
        return db.value("SELECT count(*) FROM collaborations WHERE list_contains(?, campaign_id)",
                        [ids])

    assert last_week_total("Globex") == collabs_of("Spring", "Launch")
    assert last_week_total("Acme") == collabs_of("Summer")
    collaborating = progress.funnel(db, client_id=world.clients["Globex"]).set_index("stage")
    assert collaborating["count"]["collaborating"] == collabs_of("Spring", "Launch")


def test_an_unknown_client_or_owner_is_refused_and_nothing_changes(
    db: Database, world: World, people: dict[Role, User]
) -> None:
    spring = world.campaigns["Spring"]
    before = camps.get_campaign(db, spring)
    base = CampaignFields(before["name"], before["client_id"], before["owner_id"],
                          before["brief"], before["start_date"], before["end_date"],
                          before["budget"], before["currency"])
    for key, value, message in (("client_id", 999_999, "no client #999999"),
                                ("owner_id", 999_999, "no user #999999")):
        with pytest.raises(NotFound, match=message):
            camps.edit_campaign(db, people[Role.MANAGER], spring, before["version"],
                                CampaignFields(**{**vars(base), key: value}))
    assert camps.get_campaign(db, spring) == before


def test_list_campaigns_filters_by_status_now_client_and_name(
    db: Database, week: Week, world: World
) -> None:
    m = week.manager
    draft = camps.create_campaign(db, m, CampaignFields(
        "Zeta Draft", week.client, None, "", START, START, "0", "EUR"), now=T0 + HOUR)
    everything = camps.list_campaigns(db, now=T0)
    assert everything.total == 5  # the world's three, the week's, the draft
    assert everything.rows["id"].iloc[0] == draft  # newest first
    assert set(everything.rows.columns) >= {"status", "applications", "signed", "collaborations"}

    def ids(filt: CampaignFilter, now: dt.datetime = T0) -> list[int]:
        return list(camps.list_campaigns(db, filt, now=now).rows["id"])

    assert ids(CampaignFilter(statuses=("open",))) == [week.campaign]
    on_start = dt.datetime.combine(START, dt.time(8))
    assert ids(CampaignFilter(statuses=("open",)), on_start) == []  # closed by its date
    assert ids(CampaignFilter(statuses=("closed",)), on_start) == [week.campaign]
    assert ids(CampaignFilter(search="zeta")) == [draft]
    assert ids(CampaignFilter(client_id=world.clients["Globex"])) == [world.campaigns["Launch"]]
    counted = camps.list_campaigns(db, CampaignFilter(search="Spring"), now=T0).rows.iloc[0]
    assert counted["collaborations"] == 4
    paged = camps.list_campaigns(db, page=3, page_size=2, now=T0)
    assert (paged.page, paged.pages, len(paged.rows)) == (3, 3, 1)
    assert camps.list_campaigns(db, page=99, page_size=2, now=T0).page == 3
    with pytest.raises(RuleViolation):
        camps.list_campaigns(db, CampaignFilter(statuses=("paused",)))
    with pytest.raises(RuleViolation):
        camps.list_campaigns(db, page_size=10_000)


# --- the creator base -----------------------------------------------------------------------


def test_search_the_creator_base(db: Database, week: Week, world: World) -> None:
    def names(search: CreatorSearch, campaign: int | None = None) -> list[str]:
        return list(camps.search_creators(db, search, campaign, page_size=200).rows["name"])

    assert names(CreatorSearch(text="@PAULA")) == ["Paula Reyes"]
    assert names(CreatorSearch(text="ada")) == ["Ada Lovelace", "Mary Shelley"]  # the handle
    assert names(CreatorSearch(tag="Tech")) == ["Quentin Roux", "Umar Aziz"]  # most followed
    assert names(CreatorSearch(platform="tiktok", max_followers=50_000)) == [
        "Mary Shelley", "Sven Olsen"]  # Mary has Ada's handle on TikTok (tests/conftest.py)
    assert names(CreatorSearch(min_followers=40_000, max_followers=80_000)) == [
        "Omar Haddad", "Umar Aziz", "Paula Reyes"]
    camps.add_applications(db, week.manager, week.campaign, [week.creators["Quentin"]], now=T0)
    assert names(CreatorSearch(tag="Tech"), week.campaign) == ["Umar Aziz"]  # not twice
    spring = names(CreatorSearch(), world.campaigns["Spring"])
    assert "Ada Lovelace" not in spring and "Nina Berg" in spring  # Ada collaborates there
    page = camps.search_creators(db, CreatorSearch(), page=2, page_size=5)
    assert (page.total, page.pages, len(page.rows)) == (12, 3, 5)
    assert camps.search_creators(db, CreatorSearch(tag="Beauty")).rows["tags"].tolist() == [
        "Beauty", "Beauty", "Beauty"]
    for bad in (CreatorSearch(min_followers=10, max_followers=5),
                CreatorSearch(platform="myspace"), CreatorSearch(text="x" * 101),
                CreatorSearch(min_followers=-1)):
        with pytest.raises(RuleViolation):
            camps.search_creators(db, bad)


def test_who_may_join_which_campaign(db: Database, week: Week, world: World) -> None:
    m = week.manager
    spring = world.campaigns["Spring"]  # the world's campaigns are drafts with collaborations
    with pytest.raises(RuleViolation, match="not open for applications; invite"):
        camps.add_applications(db, m, spring, [week.creators["Nina"]], now=T0)
    result = camps.add_applications(
        db, m, spring, [week.creators["Nina"], world.creators["Ada"]], "invited", now=T0)
    assert result.done == [week.creators["Nina"]]
    assert "already has collaboration" in result.refused[world.creators["Ada"]]
    again = camps.add_applications(
        db, m, spring, [week.creators["Nina"], week.creators["Omar"]], "invited", now=T0)
    assert again.refused == {week.creators["Nina"]: "This creator is already in the campaign."}
    assert events(db, spring, "invited") == [
        ("invited", a, None, "applied") for a in sorted(
            db.value("SELECT list(id) FROM applications WHERE campaign_id = ?", [spring]))]


# --- the demo's campaigns in the workflow -------------------------------------------------------


@pytest.fixture
def demo_db(tmp_path: Any) -> Any:
    from lib.demo import build_demo

    database = Database(tmp_path / "demo.duckdb")
    build_demo(database, 200, today=DEMO_DAY)
    yield database
    database.close()


DEMO_DAY = dt.date(2026, 3, 16)


def workflow_campaigns(db: Database) -> list[tuple]:
    return db.rows("SELECT id, status, start_date, closed_at IS NOT NULL, started_at FROM campaigns"
                   " WHERE id > (SELECT max(campaign_id) FROM collaborations) ORDER BY id")


def test_the_demo_has_campaigns_in_every_status(demo_db: Database) -> None:
    from lib.demo import DEMO_TODAY

    statuses = dict(demo_db.rows("SELECT status, count(*) FROM campaigns GROUP BY ALL"))
    assert set(statuses) == {"draft", "open", "closed", "running", "finished"}
    # Campaigns with collaborations were started; running or finished by DEMO_TODAY.
    assert demo_db.value("""
        SELECT count(*) FROM campaigns ca WHERE EXISTS (
            SELECT 1 FROM collaborations c WHERE c.campaign_id = ca.id)
        AND (started_at IS NULL OR closed_at IS NULL
             OR status <> CASE WHEN end_date < ? THEN 'finished' ELSE 'running' END)""",
        [DEMO_TODAY]) == 0
    assert [(s, start - DEMO_DAY) for _, s, start, _, _ in workflow_campaigns(demo_db)] == [
        ("open", 4 * DAY), ("closed", DAY), ("closed", -2 * DAY), ("draft", 14 * DAY)]


def test_the_demo_workflow_needs_attention_and_can_start(demo_db: Database) -> None:
    now = dt.datetime.combine(DEMO_DAY, dt.time(10))
    [open_, ready, stalled, _draft] = [r[0] for r in workflow_campaigns(demo_db)]
    issues = camps.needs_attention(demo_db, now=now)
    assert issues[["issue", "campaign_id"]].values.tolist() == [
        [camps.EXPIRING, ready], [camps.NOBODY_SIGNED, stalled], [camps.EXPIRED, ready],
        [camps.EXPIRED, stalled], [camps.EXPIRED, stalled]]
    states = camps.list_agreements(demo_db, ready, now=now).rows["agreement"].tolist()
    assert sorted(states) == ["accepted"] * 4 + ["declined", "expired", "pending"]
    assert camps.list_agreements(demo_db, open_, now=now).rows["agreement"].tolist()[0] == (
        "pending")
    assert camps.preview_start(demo_db, stalled, now=now).refusal.startswith("Nobody has signed")

    manager = User(1, "demo.manager1", "Anna Lindqvist", "", Role.MANAGER)
    preview = camps.preview_start(demo_db, ready, now=now)
    assert (len(preview.going_in), len(preview.left_out), preview.refusal) == (4, 8, None)
    camps.start_collaborations(demo_db, manager, ready, preview.application_ids, now=now)
    assert consistency_problems(demo_db) == {}


def test_the_demo_workflow_is_the_same_for_the_same_day(tmp_path: Any) -> None:
    from lib.demo import build_demo

    tables = ("campaigns", "applications", "agreements", "campaign_events", "messages")
    built = []
    for name, day in (("a", DEMO_DAY), ("b", DEMO_DAY), ("c", DEMO_DAY + DAY)):
        database = Database(tmp_path / f"{name}.duckdb")
        build_demo(database, 100, seed=3, today=day)
        built.append({t: database.rows(f"SELECT * FROM {t} ORDER BY ALL") for t in tables})
        database.close()
    assert built[0] == built[1]
    assert built[0]["agreements"] != built[2]["agreements"]  # a day later, a day later
