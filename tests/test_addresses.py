"""Every page and detail view has an address: the query string opens a record or sets a shared
filter, a choice made on the page is written back to it, and a bad address gets a message.

The real app.py under AppTest (tests/conftest.py's `app`); AppTest has no browser URL, so the
page part of an address (and the login's return to it) is covered in tests/browser.
"""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from lib import web
from tests.conftest import World, assert_ok, labelled, login, texts

BAD_IDS = ["abc", "12abc", "-3", "0", "1.5", "²", "9" * 40, "<b>1</b>", " "]


def listed_statuses(at: AppTest) -> set[str]:
    return {value[0] for value in at.dataframe(key="collab_table").value["status"]}


def open_page(at: AppTest, file: str, **query: str) -> AppTest:
    at.switch_page(file)
    for key, value in query.items():
        at.query_params[key] = value
    return at.run()


def messages(at: AppTest) -> list[str]:
    return texts(at.error) + texts(at.warning) + texts(at.info)


def test_a_status_in_the_address_filters_the_list(app: AppTest) -> None:
    login(app, "viewer")
    open_page(app, "pages/collaborations.py", status="pending,completed")
    assert_ok(app)
    assert app.multiselect(key="list_status").value == ["pending", "completed"]
    assert listed_statuses(app) == {"pending", "completed"}


def test_a_filter_chosen_on_the_page_goes_into_the_address(app: AppTest, world: World) -> None:
    login(app, "viewer")
    app.multiselect(key="list_status").set_value(["negotiating"]).run()
    app.selectbox(key="list_campaign").set_value(world.campaigns["Launch"]).run()
    assert_ok(app)
    assert app.query_params["status"] == "negotiating"
    assert app.query_params["campaign"] == str(world.campaigns["Launch"])
    assert set(app.dataframe(key="collab_table").value["id"]) == {world.collabs["linus_launch"]}
    app.multiselect(key="list_status").set_value([]).run()
    assert "status" not in app.query_params  # an empty filter leaves the address
    app.selectbox(key="list_campaign").set_value(None).run()
    assert "campaign" not in app.query_params


def shows_first_option(at: AppTest, key: str) -> bool:
    """Whether the browser draws the selectbox on its first option ("All campaigns"), not as
    an empty box (a value of None set through session state; AppTest reads both as None)."""
    proto = at.selectbox(key=key).proto
    return proto.default == 0 and not proto.set_value


def test_the_filters_show_all_when_the_address_has_none(app: AppTest) -> None:
    login(app, "viewer")
    assert shows_first_option(app, "list_campaign")
    open_page(app, "pages/deliveries.py")
    assert shows_first_option(app, "dlv_campaign")
    open_page(app, "pages/feedback.py")
    assert shows_first_option(app, "feedback_campaign")


def test_a_campaign_in_the_address_filters_the_list(app: AppTest, world: World) -> None:
    login(app, "viewer")
    open_page(app, "pages/collaborations.py", campaign=str(world.campaigns["Summer"]))
    assert_ok(app)
    ids = set(app.dataframe(key="collab_table").value["id"])
    assert ids == {world.collabs["ada_summer"], world.collabs["grace_summer"]}


@pytest.mark.parametrize("status", ["shipped", "<script>", "PENDING", "a" * 500])
def test_an_unknown_status_in_the_address_is_named_and_left_out(app: AppTest, status: str) -> None:
    login(app, "viewer")
    open_page(app, "pages/collaborations.py", status=f"{status},pending")
    assert not app.exception
    [warning] = texts(app.warning)
    assert warning.startswith("No status ")
    assert listed_statuses(app) == {"pending"}
    assert app.query_params["status"] == "pending"  # the address now says what is shown


@pytest.mark.parametrize("raw", [*BAD_IDS, "999999"])
def test_a_campaign_filter_that_names_nothing_gets_a_message(app: AppTest, raw: str) -> None:
    login(app, "viewer")
    open_page(app, "pages/collaborations.py", campaign=raw)
    assert not app.exception
    assert any(m.startswith("No campaign") for m in messages(app)), messages(app)
    assert app.selectbox(key="list_campaign").value is None
    assert shows_first_option(app, "list_campaign")


def test_deliveries_read_their_filters_from_the_address(app: AppTest, world: World) -> None:
    login(app, "viewer")
    open_page(app, "pages/deliveries.py", status="pending",
              campaign=str(world.campaigns["Launch"]))
    assert_ok(app)
    assert app.multiselect(key="dlv_status").value == ["pending"]
    assert app.selectbox(key="dlv_campaign").value == world.campaigns["Launch"]


def test_a_collaboration_address_opens_it(app: AppTest, world: World) -> None:
    login(app, "viewer")
    open_page(app, "pages/collaboration.py", id=str(world.collabs["grace_launch"]))
    assert_ok(app)
    assert texts(app.title) == ["Grace Hopper × Launch"]
    app.number_input(key="detail_id").set_value(world.collabs["ada_spring"]).run()
    assert texts(app.title) == ["Ada Lovelace × Spring"]
    assert app.query_params["id"] == str(world.collabs["ada_spring"])


@pytest.mark.parametrize("raw", BAD_IDS)
def test_a_collaboration_address_that_is_no_number_gets_a_message(app: AppTest, raw: str) -> None:
    login(app, "viewer")
    open_page(app, "pages/collaboration.py", id=raw)
    assert not app.exception
    if raw.strip():
        [error] = texts(app.error)
        assert error.startswith("No collaboration ")
    assert not app.title  # nothing opened


def test_an_unknown_collaboration_gets_a_message(app: AppTest) -> None:
    login(app, "viewer")
    open_page(app, "pages/collaboration.py", id=str(web.MAX_ID))
    assert not app.exception
    assert texts(app.error) == [f"There is no collaboration #{web.MAX_ID}."]


def test_a_campaign_address_opens_it_and_a_choice_goes_into_it(app: AppTest,
                                                               world: World) -> None:
    login(app, "viewer")
    open_page(app, "pages/campaigns.py", campaign=str(world.campaigns["Launch"]))
    assert_ok(app)
    assert app.selectbox(key="campaign_choice").value == world.campaigns["Launch"]
    assert any("Launch" in t for t in texts(app.header) + texts(app.subheader))
    app.selectbox(key="campaign_choice").set_value(world.campaigns["Spring"]).run()
    assert app.query_params["campaign"] == str(world.campaigns["Spring"])


def test_an_unknown_campaign_address_gets_a_message(app: AppTest) -> None:
    login(app, "viewer")
    open_page(app, "pages/campaigns.py", campaign="424242")
    assert not app.exception
    assert "There is no campaign #424242." in texts(app.error)
    assert app.selectbox(key="campaign_choice").value is None


def test_a_creator_address_opens_the_thread(app: AppTest, world: World) -> None:
    login(app, "staff")
    open_page(app, "pages/inbox.py", creator=str(world.creators["Grace"]))
    assert_ok(app)
    assert "Grace Hopper" in texts(app.subheader)
    labelled(app.button, "Close").click().run()
    assert "creator" not in app.query_params


@pytest.mark.parametrize("raw", ["424242", "x1"])
def test_an_unknown_creator_address_gets_a_message(app: AppTest, raw: str) -> None:
    login(app, "staff")
    open_page(app, "pages/inbox.py", creator=raw)
    assert not app.exception
    assert any("creator" in m for m in texts(app.error)), texts(app.error)
    assert "Click a creator on the left to see the whole thread." in texts(app.info)


def test_a_feedback_address_opens_the_campaign(app: AppTest, world: World) -> None:
    login(app, "manager")
    open_page(app, "pages/feedback.py", campaign=str(world.campaigns["Summer"]))
    assert_ok(app)
    assert app.selectbox(key="feedback_campaign").value == world.campaigns["Summer"]


@pytest.mark.parametrize("raw", ["²", "424242", "x"])
def test_a_feedback_address_that_names_nothing_gets_a_message(app: AppTest, raw: str) -> None:
    login(app, "manager")
    open_page(app, "pages/feedback.py", campaign=raw)
    assert not app.exception
    assert any(m.startswith("No campaign") for m in messages(app)), messages(app)
    assert app.selectbox(key="feedback_campaign").value is None
