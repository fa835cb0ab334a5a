"""Issue 15, point 7: table column titles are never cut ("Curr…").

web.dataframe gives every column a width in pixels that holds its title (web.sized_columns);
these tests check the rule directly, then every table of the list and admin pages as the
pages hand them to st.dataframe.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pandas as pd
import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from lib import web
from lib.db import Database
from lib.demo import build_demo
from tests.conftest import World, assert_ok, labelled, login

# --- the rule ------------------------------------------------------------------------------------


def width_of(config: dict[str, Any], column: str) -> int:
    """A column's width in pixels, a named width ("medium") as Streamlit draws it."""
    width = config[column]["width"]
    return web.NAMED_WIDTHS[width] if isinstance(width, str) else int(width)


def test_a_narrow_column_is_as_wide_as_its_title() -> None:
    frame = pd.DataFrame({"currency": ["EUR", "USD", "GBP"], "id": [1, 2, 3]})
    config = web.sized_columns(frame, {"currency": "Currency", "id": "#"})
    assert width_of(config, "currency") == web.title_width("Currency")
    assert width_of(config, "id") >= web.title_width("#")
    assert config["currency"]["label"] == "Currency"  # the title itself is kept


def test_a_long_title_over_short_numbers_gets_the_title_s_width() -> None:
    frame = pd.DataFrame({"days": [3, 12]})
    title = "Longest in transit (days)"
    config = web.sized_columns(
        frame, {"days": st.column_config.NumberColumn(title, format="%d")})
    assert width_of(config, "days") == web.title_width(title)
    assert config["days"]["type_config"]["format"] == "%d"  # the rest of the config stays


def test_the_title_width_grows_with_every_character() -> None:
    widths = [web.title_width("x" * n) for n in range(1, 40)]
    assert widths == sorted(set(widths))  # strictly growing: no title is ever squeezed
    assert web.title_width("Currency") >= 8 * len("Currency")


def test_content_wider_than_the_title_widens_the_column_up_to_a_cap() -> None:
    frame = pd.DataFrame({
        "name": ["Maximiliane Alexandrina von Hohenzollern", "Ada"],
        "essay": ["word " * 400, ""],
    })
    config = web.sized_columns(frame, {"name": "Creator"})
    assert width_of(config, "name") > web.title_width("Creator")
    assert width_of(config, "essay") == web.MAX_CONTENT_PX  # long text is cut, not the page


def test_a_title_longer_than_the_cap_still_shows_whole() -> None:
    title = "A very long column title that a person wrote in a SQL alias of fifty chars"
    frame = pd.DataFrame({title: ["x" * 500]})
    config = web.sized_columns(frame, None)
    assert width_of(config, title) == web.title_width(title) > web.MAX_CONTENT_PX


@pytest.mark.parametrize("given", ["small", 20, 0.5])
def test_a_width_narrower_than_the_title_is_widened(given: Any) -> None:
    frame = pd.DataFrame({"reason": ["x"]})
    config = web.sized_columns(
        frame, {"reason": st.column_config.Column("Exception reason", width=given)})
    assert width_of(config, "reason") == web.title_width("Exception reason")


@pytest.mark.parametrize("given", ["medium", "large", 300])
def test_a_width_that_holds_the_title_stands(given: Any) -> None:
    frame = pd.DataFrame({"message": ["x"]})
    config = web.sized_columns(
        frame, {"message": st.column_config.Column("What happens", width=given)})
    assert config["message"]["width"] == given


def test_badges_are_sized_by_their_labels_not_their_values() -> None:
    frame = pd.DataFrame({"outcome": web.as_badges(pd.Series(["ok", "no"]))})
    words = {"ok": "Will change to fulfilling", "no": "Refused"}
    badge = web.badge_column("Outcome", {"ok": "green", "no": "red"}, words.__getitem__)
    config = web.sized_columns(frame, {"outcome": badge})
    longest = len("Will change to fulfilling")
    assert width_of(config, "outcome") == round(web.CELL_CHAR_PX * longest) + web.BADGE_PAD_PX


def test_hidden_columns_stay_hidden_and_empty_tables_get_title_widths() -> None:
    frame = pd.DataFrame({"secret": pd.Series([], dtype=str), "Currency": pd.Series([], dtype=str)})
    config = web.sized_columns(frame, {"secret": None})
    assert config["secret"] is None
    assert width_of(config, "Currency") == web.title_width("Currency")


def test_values_of_every_kind_are_measured_without_failing() -> None:
    """What a SQL query can return: nested values, bytes, dates pandas cannot format."""
    import numpy as np

    frame = pd.DataFrame({
        "l": [np.array([1, 2]), None], "m": [{"a": 1}, None], "b": [b"\xaa", None],
        "d": [dt.date(1, 1, 1), None], "t": [dt.datetime(9999, 12, 31, 23, 59), None],
        "f": [float("inf"), None], "flag": [True, False],
    })
    shown, config = web.fill_missing(frame)
    sized = web.sized_columns(shown, config)
    for column in frame.columns:
        assert width_of(sized, column) >= web.title_width(column), column


# --- every table of the pages --------------------------------------------------------------------


def assert_titles_fit(at: AppTest, where: str) -> int:
    """Every shown column of every table on the page has a width that holds its title; the
    number of tables checked."""
    assert_ok(at)
    for number, table in enumerate(at.dataframe):
        frame, config = table.value, json.loads(table.proto.columns)
        order = [c for c in table.proto.column_order if c in frame.columns] or list(frame.columns)
        for column in order:
            settings = config.get(column)
            assert settings and settings.get("width") is not None, (where, number, column)
            title = settings.get("label") or column
            assert width_of(config, column) >= web.title_width(title), (where, number, title)
    return len(at.dataframe)


@pytest.fixture
def demo(db: Database, people: dict) -> None:
    """Demo data (the demo generator, small) beside the test world."""
    build_demo(db, 200)


def test_every_table_of_the_list_pages_holds_its_titles(
    demo: None, app: AppTest, db: Database, world: World
) -> None:
    at = login(app, "admin")
    checked = 0
    for page in ("collaborations", "deliveries", "users", "notifications", "imports",
                 "sql_console", "reports"):  # the console takes the snapshot Reports lists
        at.switch_page(f"pages/{page}.py").run()
        checked += assert_titles_fit(at, page)
    at.selectbox(key="report_client").set_value(world.clients["Acme"]).run()
    labelled(at.button, "Build report").click().run()
    checked += assert_titles_fit(at, "reports, built")
    # the detail view with the most history: timeline, payments, content, shipments
    busiest = db.value("SELECT collab_id FROM activity_events GROUP BY ALL"
                       " ORDER BY count(DISTINCT kind) DESC, collab_id LIMIT 1")
    at.switch_page("pages/collaboration.py")
    at.query_params["id"] = str(busiest)
    checked += assert_titles_fit(at.run(), "collaboration")
    # Deliveries' new shipments for a campaign, and the batch preview of Collaborations
    at.switch_page("pages/deliveries.py")
    at.session_state["dlv_tab"] = "New shipments"  # only the open tab runs
    at.run()
    at.selectbox(key="dlv_new_campaign").set_value(world.campaigns["Spring"]).run()
    checked += assert_titles_fit(at, "deliveries, new shipments")
    at.switch_page("pages/collaborations.py").run()
    labelled(at.radio, "Apply to").set_value("filter")
    at.selectbox(key="batch_target").set_value("negotiating")
    labelled(at.button, "Preview change").click().run()
    assert any("outcome" in t.value.columns for t in at.dataframe)
    checked += assert_titles_fit(at, "collaborations, preview")
    assert checked >= 10


def test_a_sql_result_with_long_names_over_short_values_holds_its_titles(
    app: AppTest,
) -> None:
    at = login(app, "viewer")
    at.switch_page("pages/sql_console.py").run()
    labelled(at.text_area, "SQL query").input(
        "SELECT 'EUR' AS currency, 1 AS number_of_collaborations_signed_this_week,"
        " NULL AS nothing_at_all_in_this_column, [1, 2] AS l")
    at.button(key="FormSubmitter:console_form-Run query").click().run()
    assert list(at.dataframe[-1].value.columns) == [
        "currency", "number_of_collaborations_signed_this_week", "nothing_at_all_in_this_column",
        "l"]
    assert assert_titles_fit(at, "sql console") == 2  # the tables' list and the result
