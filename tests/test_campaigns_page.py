"""The Campaigns page through Streamlit's AppTest: the real app.py, logged in through the form,
over a temporary database. Data is set up with the services, relative to the real clock (the
page reads agreement states against now), and the page's actions are checked in the database.

The fixture is the same as tests/test_pages.py's (kept here so that the two files do not
depend on each other): it keeps AppTest out of the "pages/ directory" mode a server leaves.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from streamlit.testing.v1 import AppTest

from lib import campaigns as camps
from lib import web
from lib.db import Database, utcnow
from lib.models import CampaignFields, Role, Terms, User
from tests.conftest import PASSWORD, World, assert_ok, labelled, texts

TODAY = dt.date.today()
TERMS = Terms("2 posts", Decimal("300.00"), "EUR", TODAY, TODAY + dt.timedelta(days=20), "")


@pytest.fixture
def autumn(db: Database, world: World, people: dict[Role, User]) -> int:
    """An open campaign starting in a week, with four applicants (Ada, Grace, Linus, Mary
    have collaborations in the world's campaigns, not in this one)."""
    manager = people[Role.MANAGER]
    fields = CampaignFields("Autumn Glow", world.clients["Acme"], manager.id, "Serums",
                            TODAY + dt.timedelta(days=7), TODAY + dt.timedelta(days=37),
                            "8000", "EUR")
    cid = camps.create_campaign(db, manager, fields, "open")
    camps.add_applications(db, manager, cid, list(world.creators.values()))
    return cid


# --- helpers ----------------------------------------------------------------------------


def open_campaigns(at: AppTest, username: str, campaign_id: int | None = None) -> AppTest:
    labelled(at.text_input, "Username").input(username)
    labelled(at.text_input, "Password").input(PASSWORD)
    labelled(at.button, "Login").click().run()
    at.switch_page("pages/campaigns.py").run()
    assert_ok(at)
    if campaign_id is not None:
        at.selectbox(key="campaign_choice").set_value(campaign_id).run()
        assert_ok(at)
    return at


def tables_with(at: AppTest, column: str) -> list[Any]:
    """The shown tables having `column`, in page order. (AppTest sees the key of a table only
    when its rows can be selected, so read-only tables are found by what they show.)"""
    return [d.value for d in at.dataframe if column in d.value.columns]


def tick(at: AppTest, key: str, names: list[str], column: str = "creator") -> AppTest:
    """Tick the rows of these creators in the table `key`."""
    shown = list(at.dataframe(key=key).value[column])
    rows = [shown.index(n) for n in names]
    at.session_state[key] = {"selection": {"rows": rows, "columns": [], "cells": []}}
    return at.run()


def stages(db: Database, campaign_id: int) -> dict[str, str]:
    return dict(db.rows(
        "SELECT cr.name, a.stage FROM applications a JOIN creators cr ON cr.id = a.creator_id"
        " WHERE a.campaign_id = ?", [campaign_id]))


def app_ids(db: Database, campaign_id: int) -> dict[str, int]:
    return dict(db.rows(
        "SELECT cr.name, a.id FROM applications a JOIN creators cr ON cr.id = a.creator_id"
        " WHERE a.campaign_id = ?", [campaign_id]))


# --- reading ------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["viewer", "staff"])
def test_viewers_and_staff_read_but_change_nothing(
    app: AppTest, autumn: int, role: str
) -> None:
    open_campaigns(app, role, autumn)
    assert texts(app.title) == ["Campaigns"]
    assert "Autumn Glow" in list(tables_with(app, "signed")[0]["name"])
    assert [t.label for t in app.tabs] == ["Applications", "Agreements", "Start collaborations",
                                          "Brief and details"]
    shown = [b.label for b in app.button]
    for action in ("Create campaign", "Change stage", "Invite", "Open for applications",
                   "Close applications", "Send agreements"):
        assert action not in shown
    assert "Your role can read campaigns; managers create and change them." in texts(app.caption)


def test_user_text_is_shown_as_typed(
    app: AppTest, db: Database, world: World, people: dict[Role, User]
) -> None:
    name = "**Bold** [click](https://evil.example) <img src=x>"
    cid = camps.create_campaign(db, people[Role.MANAGER], CampaignFields(
        name, world.clients["Acme"], None, "# not a heading\n<script>x</script>", TODAY,
        TODAY, "0", "EUR"))
    open_campaigns(app, "viewer", cid)
    [heading] = app.subheader
    assert heading.value == web.as_text(name)  # tests/test_user_text.py: safe on every page
    assert "# not a heading\n<script>x</script>" in texts(app.text)


def test_the_attention_panel_lists_expiring_and_expired_agreements(
    app: AppTest, db: Database, autumn: int, people: dict[Role, User]
) -> None:
    manager = people[Role.MANAGER]
    ids = app_ids(db, autumn)
    camps.change_stages(db, manager, autumn, ids.values(), "selected")
    now = utcnow()
    camps.send_agreement(db, manager, autumn, ids["Ada Lovelace"], TERMS,
                         now=now - dt.timedelta(days=3, hours=1))  # expired an hour ago
    camps.send_agreement(db, manager, autumn, ids["Grace Hopper"], TERMS,
                         now=now - dt.timedelta(days=2, hours=12))  # 12 hours left
    open_campaigns(app, "viewer")
    [expander] = [e for e in app.expander if e.label.startswith("Needs attention")]
    assert expander.label == "Needs attention (2)"
    [table] = tables_with(app, "issue")
    assert table[["issue", "creator"]].values.tolist() == [
        [camps.EXPIRING, "Grace Hopper"], [camps.EXPIRED, "Ada Lovelace"]]
    assert table["time_left"].iloc[0].endswith(" h left")
    assert table["time_left"].iloc[1].startswith("expired ")


# --- creating and editing --------------------------------------------------------------------


def test_a_manager_creates_a_campaign(app: AppTest, db: Database, world: World) -> None:
    open_campaigns(app, "manager")
    labelled(app.text_input, "Campaign name").input("Winter Warmers")
    labelled(app.selectbox, "Client of the campaign").set_value(world.clients["Globex"])
    labelled(app.number_input, "Budget").set_value(2500.0)
    labelled(app.checkbox, "Open for applications right away").check()
    labelled(app.button, "Create campaign").click().run()
    assert_ok(app)
    row = db.one("SELECT id, name, client_id, budget, status FROM campaigns"
                 " WHERE name = 'Winter Warmers'")
    assert row[1:] == ("Winter Warmers", world.clients["Globex"], Decimal("2500.00"), "open")
    assert texts(app.toast) == ["Campaign Winter Warmers created."]
    assert app.selectbox(key="campaign_choice").value == row[0]  # and it is open on the page
    assert [s.value for s in app.subheader] == ["Winter Warmers"]


def test_a_bad_campaign_is_refused_with_the_reason(
    app: AppTest, db: Database, world: World
) -> None:
    open_campaigns(app, "manager")
    before = db.value("SELECT count(*) FROM campaigns")
    labelled(app.text_input, "Campaign name").input("Backwards")
    labelled(app.selectbox, "Client of the campaign").set_value(world.clients["Acme"])
    labelled(app.date_input, "Start date").set_value(TODAY)
    labelled(app.date_input, "End date").set_value(TODAY - dt.timedelta(days=1))
    labelled(app.button, "Create campaign").click().run()
    assert texts(app.error) == [
        f"The campaign ends ({TODAY - dt.timedelta(days=1)}) before it starts ({TODAY})."]
    assert db.value("SELECT count(*) FROM campaigns") == before


def test_a_campaign_needs_a_client(app: AppTest, db: Database) -> None:
    open_campaigns(app, "manager")
    labelled(app.text_input, "Campaign name").input("Nobody's")
    labelled(app.button, "Create campaign").click().run()
    assert texts(app.error) == ["Choose the client the campaign is for."]
    assert db.value("SELECT count(*) FROM campaigns WHERE name = 'Nobody''s'") == 0


def test_edit_and_close_early(app: AppTest, db: Database, autumn: int) -> None:
    open_campaigns(app, "manager", autumn)
    [name_box] = [t for t in app.text_input if t.label == "Campaign name" and t.value]
    name_box.input("Autumn Glow 2026")
    labelled(app.button, "Save changes").click().run()
    assert_ok(app)
    assert db.value("SELECT name FROM campaigns WHERE id = ?", [autumn]) == "Autumn Glow 2026"
    labelled(app.button, "Close applications").click().run()
    assert_ok(app)
    assert db.one("SELECT status, closed_at IS NOT NULL FROM campaigns WHERE id = ?",
                  [autumn]) == ("closed", True)
    assert "Close applications" not in [b.label for b in app.button]


def test_a_manager_hands_a_campaign_to_another_client_and_owner(
    app: AppTest, db: Database, autumn: int, world: World, people: dict[Role, User]
) -> None:
    open_campaigns(app, "manager", autumn)
    form = f"edit_{autumn}_1"
    assert app.selectbox(key=f"{form}_client").value == world.clients["Acme"]
    app.selectbox(key=f"{form}_client").set_value(world.clients["Globex"])
    app.selectbox(key=f"{form}_owner").set_value(people[Role.ADMIN].id)
    labelled(app.button, "Save changes").click().run()
    assert_ok(app)
    assert db.one("SELECT client_id, owner_id FROM campaign_ownership WHERE campaign_id = ?",
                  [autumn]) == (world.clients["Globex"], people[Role.ADMIN].id)
    assert texts(app.toast) == ["Campaign saved."]
    assert app.selectbox(key=f"edit_{autumn}_2_client").value == world.clients["Globex"]


# --- the week on the page ------------------------------------------------------------------------


def test_preselect_send_answer_and_start(
    app: AppTest, db: Database, autumn: int, people: dict[Role, User]
) -> None:
    open_campaigns(app, "manager", autumn)
    # Pre-select three in one batch, decline one.
    tick(app, "applications_table", ["Ada Lovelace", "Grace Hopper", "Linus Field"])
    app.selectbox(key="stage_target").set_value("selected")
    labelled(app.button, "Change stage").click().run()
    assert_ok(app)
    assert texts(app.toast) == ["3 moved to Selected."]
    tick(app, "applications_table", ["Mary Shelley"])
    app.selectbox(key="stage_target").set_value("declined")
    labelled(app.button, "Change stage").click().run()
    assert stages(db, autumn) == {"Ada Lovelace": "selected", "Grace Hopper": "selected",
                                  "Linus Field": "selected", "Mary Shelley": "declined"}
    assert db.value("SELECT count(*) FROM messages") == 0  # a pre-selection tells nobody

    # Agreements to all three in one batch.
    tick(app, "agreements_table", ["Ada Lovelace", "Grace Hopper", "Linus Field"])
    labelled(app.text_area, "Deliverables").input("1 reel + 3 stories")
    labelled(app.number_input, "Compensation").set_value(450.0)
    labelled(app.button, "Send agreements").click().run()
    assert_ok(app)
    assert texts(app.toast) == ["3 agreements sent."]
    assert db.value("SELECT count(*) FROM agreements WHERE compensation = 450") == 3
    shown = app.dataframe(key="agreements_table").value
    assert {tuple(badge) for badge in shown["agreement"]} == {("pending",)}  # one pill each
    assert all(t.startswith("2 d 23 h") or t.startswith("3 d 0 h") for t in shown["time_left"])

    # Two accept, one declines.
    tick(app, "agreements_table", ["Ada Lovelace", "Grace Hopper"])
    labelled(app.button, "Record accepted").click().run()
    tick(app, "agreements_table", ["Linus Field"])
    labelled(app.button, "Record declined").click().run()
    assert_ok(app)
    assert texts(app.toast) == ["1 recorded as declined."]

    # Starting needs the campaign closed, then a confirmation listing who goes in.
    assert "close it first" in texts(app.warning)[0]
    labelled(app.button, "Close applications").click().run()
    going, left = tables_with(app, "why")
    assert sorted(going["creator"]) == ["Ada Lovelace", "Grace Hopper"]
    assert dict(zip(left["creator"], left["why"], strict=True)) == {
        "Linus Field": "Selected, but declined the agreement",
        "Mary Shelley": "Declined in pre-selection",
    }
    start = labelled(app.button, "Start 2 collaborations")
    assert start.disabled  # not before the confirmation is ticked
    app.checkbox(key="start_confirm").check().run()
    labelled(app.button, "Start 2 collaborations").click().run()
    assert_ok(app)
    assert texts(app.toast) == [
        "2 collaborations started; 2 creators told they were not selected."]
    assert db.rows("SELECT status, compensation, deliverables FROM collaborations"
                   " WHERE campaign_id = ?", [autumn]) == [
        ("fulfilling", Decimal("450.00"), "1 reel + 3 stories")] * 2
    assert texts(app.success)[0].startswith("Collaborations started on ")
    assert "Start 2 collaborations" not in [b.label for b in app.button]


def test_invite_from_the_creator_base(
    app: AppTest, db: Database, world: World, people: dict[Role, User]
) -> None:
    manager = people[Role.MANAGER]
    cid = camps.create_campaign(db, manager, CampaignFields(
        "Launch Party", world.clients["Globex"], None, "", TODAY + dt.timedelta(days=3),
        TODAY + dt.timedelta(days=9), "0", "EUR"))  # a draft: only invitations
    open_campaigns(app, "manager", cid)
    labelled(app.selectbox, "Tag").set_value("Top Performer").run()
    assert list(app.dataframe(key="creator_search_table").value["name"]) == ["Grace Hopper"]
    labelled(app.selectbox, "Tag").set_value(None).run()
    labelled(app.text_input, "Search the creator base").input("@ada").run()
    assert sorted(app.dataframe(key="creator_search_table").value["name"]) == [
        "Ada Lovelace", "Mary Shelley"]
    tick(app, "creator_search_table", ["Ada Lovelace", "Mary Shelley"], column="name")
    labelled(app.button, "Record as applied").click().run()
    assert "not open for applications; invite the creator instead" in texts(app.error)[0]
    labelled(app.button, "Invite").click().run()
    assert_ok(app)
    assert texts(app.toast) == ["2 invited."]
    assert db.rows("SELECT source, stage FROM applications WHERE campaign_id = ?", [cid]) == [
        ("invited", "applied")] * 2
    # Whoever is in the campaign no longer shows up in the search.
    assert app.dataframe(key="creator_search_table").value.empty
