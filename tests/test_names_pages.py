"""Issue 15, point 4 on the pages: names are whole and distinct.

Two campaigns of one name under two clients are told apart in every campaign picker ("Name —
Client"), and no table of the main pages shows the word None for an empty cell.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from lib import web
from lib.db import Database
from lib.demo import build_demo
from tests.conftest import T0, World, add_collab, assert_ok, labelled, login, own_campaigns
from tests.test_inbox_page import open_thread

CAMPAIGN_PICKERS = {  # page: the labels of its campaign pickers
    "collaborations": ["Campaign"],
    "campaigns": ["Open campaign"],
    "progress": ["Campaign"],
    "deliveries": ["Campaign", "Campaign to ship for", "Campaign of the sheet"],
    "feedback": ["Campaign"],
    "inbox": ["Campaign", "About campaign"],
    "reports": ["Campaign"],
}
PICKER_TABS = {"Campaign to ship for": "New shipments", "Campaign of the sheet": "Spreadsheet"}


@pytest.fixture
def twin_spring(db: Database, world: World) -> int:
    """A second campaign called Spring, of the other client (Globex), with a collaboration."""
    twin = db.value(
        "INSERT INTO campaigns (client_id, name, owner_id, start_date, end_date, budget,"
        " created_at) SELECT ?, 'Spring', owner_id, start_date, end_date, budget, created_at"
        " FROM campaigns WHERE id = ? RETURNING id",
        [world.clients["Globex"], world.campaigns["Spring"]],
    )
    own_campaigns(db)
    add_collab(db, twin, world.creators["Ada"], "pending", T0 + dt.timedelta(days=8))
    return twin


def open_page(at: AppTest, page: str) -> AppTest:
    at.switch_page(f"pages/{page}.py").run()
    if page == "reports":
        labelled(at.radio, "Report on").set_value("Campaign").run()
    assert_ok(at)
    return at


def picker_options(at: AppTest, label: str) -> list[str]:
    return list(labelled(at.selectbox, label).options)


def test_the_formatter_names_the_client_and_numbers_true_twins() -> None:
    assert web.campaign_label("Always-On", "Acme") == "Always-On — Acme"
    labels = web.campaign_options([(1, "Spring", "Acme"), (2, "Spring", "Globex"),
                                   (3, "Launch", "Acme"), (4, "Launch", "Acme")])
    assert labels == {1: "Spring — Acme", 2: "Spring — Globex", 3: "Launch — Acme (#3)",
                      4: "Launch — Acme (#4)"}


@pytest.mark.parametrize("page", list(CAMPAIGN_PICKERS))
def test_every_campaign_picker_tells_two_campaigns_of_one_name_apart(
    app: AppTest, twin_spring: int, page: str
) -> None:
    at = open_page(login(app, "manager"), page)
    for label in CAMPAIGN_PICKERS[page]:
        if label in PICKER_TABS:  # only the open tab of Deliveries runs
            at.session_state["dlv_tab"] = PICKER_TABS[label]
            at.run()
        options = picker_options(at, label)
        assert "Spring — Acme" in options, (label, options)
        assert "Spring — Globex" in options, (label, options)
        assert "Spring" not in options
        assert not any("\\" in option for option in options)  # plain text, never escaped


def test_a_client_filter_keeps_the_client_in_the_label(app: AppTest, world: World,
                                                        twin_spring: int) -> None:
    at = open_page(login(app, "manager"), "collaborations")
    labelled(at.selectbox, "Client").set_value(world.clients["Globex"]).run()
    assert picker_options(at, "Campaign") == ["All campaigns", "Launch — Globex", "Spring — Globex"]


def test_a_name_with_markdown_characters_is_shown_as_typed(
    db: Database, world: World, app: AppTest
) -> None:
    db.value("INSERT INTO campaigns (client_id, name, owner_id, start_date, end_date, budget,"
             " created_at) SELECT client_id, 'Always-On *Spring* [1]', owner_id, start_date,"
             " end_date, budget, created_at FROM campaigns WHERE id = ? RETURNING id",
             [world.campaigns["Spring"]])
    own_campaigns(db)
    at = login(app, "manager")
    for page in ("collaborations", "feedback", "inbox", "progress", "deliveries"):
        open_page(at, page)
        assert "Always-On *Spring* [1] — Acme" in picker_options(at, "Campaign"), page


# --- no "None" in a table ---------------------------------------------------------------------


def shown_cells(frame: Any) -> list[str]:
    """Every cell of a table as the page hands it to st.dataframe, as text."""
    if not isinstance(frame, pd.DataFrame):
        return []
    return [str(v) for column in frame.columns for v in frame[column].tolist()]


def visible_cells(at: AppTest) -> dict[str, list[str]]:
    """Each table's shown columns (column_order when set) as text, by a readable name."""
    found: dict[str, list[str]] = {}
    for number, table in enumerate(at.dataframe):
        frame = table.value
        if not isinstance(frame, pd.DataFrame):
            continue
        order = [c for c in table.proto.column_order if c in frame.columns] or list(frame.columns)
        for column in order:
            found[f"table {number} ({list(order)[:3]}...) column {column}"] = [
                str(v) for v in frame[column].tolist()]
    return found


def assert_no_none(at: AppTest, where: str) -> None:
    assert_ok(at)
    bad = {name: cells for name, cells in visible_cells(at).items()
           if any(cell in ("None", "nan", "NaN", "NaT", "<NA>") for cell in cells)}
    assert not bad, (where, list(bad))


@pytest.fixture
def demo(db: Database, people: dict) -> None:
    """Demo-like data (the demo generator, small) beside the test world."""
    build_demo(db, 200)


def test_no_table_of_the_main_pages_shows_none(demo: None, app: AppTest, db: Database) -> None:
    at = login(app, "admin")
    for page in ("collaborations", "campaigns", "progress", "deliveries", "feedback", "inbox",
                 "users", "notifications", "imports"):
        assert_no_none(open_page(at, page), page)
    # the detail views, on the records with the most history
    campaign = db.value("SELECT campaign_id FROM applications GROUP BY ALL"
                        " ORDER BY count(*) DESC, campaign_id LIMIT 1")
    at.switch_page("pages/campaigns.py").run()
    at.session_state["campaign_choice"] = campaign
    assert_no_none(at.run(), "campaign detail")
    reviewed = db.value("SELECT campaign_id FROM reviewers GROUP BY ALL"
                        " ORDER BY count(*) DESC, campaign_id LIMIT 1")
    at.switch_page("pages/feedback.py").run()
    at.session_state["feedback_campaign"] = reviewed
    assert_no_none(at.run(), "feedback of a campaign")
    for collab in db.rows("SELECT collab_id FROM activity_events GROUP BY ALL"
                          " ORDER BY count(DISTINCT kind) DESC, collab_id LIMIT 3"):
        at.switch_page("pages/collaboration.py")
        at.query_params["id"] = str(collab[0])
        assert_no_none(at.run(), f"collaboration {collab[0]}")
    creator = db.value("SELECT creator_id FROM messages GROUP BY ALL"
                       " ORDER BY count(*) DESC, creator_id LIMIT 1")
    at.switch_page("pages/inbox.py").run()
    at.session_state["inbox_open"] = creator
    assert_no_none(at.run(), "inbox thread")


def test_the_users_table_has_titles_not_column_names(app: AppTest) -> None:
    at = login(app, "admin")
    at.switch_page("pages/users.py").run()
    assert_ok(at)
    [people] = [t for t in at.dataframe if "username" in t.value.columns]
    titles = {c: json.loads(people.proto.columns)[c].get("label") for c in people.value.columns}
    assert titles == {"username": "Username", "name": "Name", "e-mail": "E-mail",
                      "role": "Role", "disabled": "Disabled"}


# --- issue 15, point 8: workflow notices that were only recorded say so ------------------------


def test_a_recorded_workflow_notice_says_it_was_not_emailed(
    app: AppTest, db: Database, world: World
) -> None:
    ada, spring = world.creators["Ada"], world.campaigns["Spring"]
    for minute, (direction, kind) in enumerate((("out", "agreement_sent"),
                                                ("out", "congratulations"),
                                                ("out", "not_selected"),
                                                ("in", "message"))):
        db.value(
            "INSERT INTO messages (creator_id, campaign_id, direction, kind, subject, body, state,"
            " created_at, created_by) VALUES (?, ?, ?, ?, ?, 'Text', 'recorded', ?, 'manager')"
            " RETURNING id",
            [ada, spring, direction, kind, f"Notice {kind}", T0 + dt.timedelta(minutes=minute)],
        )
    at = login(app, "staff")
    at.switch_page("pages/inbox.py").run()
    open_thread(at, ada)
    assert_ok(at)
    said = [m.value for m in at.markdown if "Not e-mailed" in m.value]
    assert len(said) == 3, said  # the three notices; the reply recorded by hand came in
    notes = [c.value for c in at.caption if "not sent by e-mail" in c.value]
    assert len(notes) == 3


# --- whole names in confirmations ---------------------------------------------------------------


def test_the_batch_confirmation_gives_names_room_to_show_whole(
    app: AppTest, db: Database, world: World
) -> None:
    from tests.test_pages import preview, select_rows

    long_name = "Maximiliane Alexandrina von Hohenzollern-Sigmaringen"
    creator = db.value(
        "INSERT INTO creators (name, handle, platform, email, followers, engagement_rate,"
        " created_at) VALUES (?, 'maxi', 'instagram', 'maxi@example.com', 1000, 2.0, ?)"
        " RETURNING id", [long_name, T0])
    collab = add_collab(db, world.campaigns["Spring"], creator, "pending", T0)
    at = login(app, "staff")
    at = preview(select_rows(at, [collab]), "fulfilling")
    assert_ok(at)
    [table] = [t for t in at.dataframe if "outcome" in t.value.columns]
    assert table.value["creator"].tolist() == [long_name]  # the whole name, not cut
    widths = {c: json.loads(table.proto.columns)[c].get("width") for c in ("creator", "campaign")}
    assert widths == {"creator": "medium", "campaign": "medium"}


def test_a_reviewer_who_never_visited_shows_a_dash_for_the_last_visit(
    app: AppTest, db: Database, world: World, people: dict
) -> None:
    from lib.models import Role
    from tests.test_feedback import invite

    invite(db, people[Role.MANAGER], world.campaigns["Spring"], "anna@client.test")
    at = login(app, "manager")
    at.switch_page("pages/feedback.py").run()
    at.session_state["feedback_campaign"] = world.campaigns["Spring"]
    at.run()
    assert_ok(at)
    [listed] = [t for t in at.dataframe if "last_visit_at" in t.value.columns]
    assert listed.value["last_visit_at"].tolist() == [web.MISSING]
    assert json.loads(listed.proto.columns)["last_visit_at"]["label"] == "Last visit (UTC)"
