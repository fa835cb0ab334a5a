"""Page tests: the real app.py, driven through Streamlit's AppTest against a temporary database.

Every test logs in through the login form, the way a person does (AppTest cannot run the
cookie component), then checks what the page shows and what reached the database. The `app`
fixture and the helpers are in conftest.py.
"""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Any

import pytest
from streamlit.testing.v1 import AppTest

from lib import collaborations, users, web
from lib.db import Database
from tests.conftest import (
    APP,
    PASSWORD,
    World,
    assert_ok,
    event_count,
    labelled,
    labels,
    login,
    status_of,
    texts,
)

ROOT = Path(__file__).resolve().parents[1]


def total_caption(at: AppTest) -> str:
    [caption] = [c.value for c in at.caption if " · page " in c.value]
    return caption


def listed_ids(at: AppTest) -> set[int]:
    return {int(i) for i in at.dataframe(key="collab_table").value["id"]}


def select_rows(at: AppTest, ids: list[int]) -> AppTest:
    """Tick the rows of these collaborations in the list (they must be on the current page)."""
    shown = [int(i) for i in at.dataframe(key="collab_table").value["id"]]
    rows = [shown.index(i) for i in ids]
    at.session_state["collab_table"] = {"selection": {"rows": rows, "columns": [], "cells": []}}
    return at.run()


def preview(at: AppTest, target: str, reason: str = "") -> AppTest:
    at.selectbox(key="batch_target").set_value(target)
    at.text_input(key="batch_reason").input(reason)
    return labelled(at.button, "Preview change").click().run()


def open_detail(at: AppTest, collab_id: int) -> AppTest:
    at.switch_page("pages/collaboration.py")
    at.query_params["id"] = str(collab_id)
    return at.run()


def preview_table(at: AppTest) -> Any:
    """The batch preview's table (only the list's own table has a key AppTest can see)."""
    [table] = [d.value for d in at.dataframe if "outcome" in d.value.columns]
    return table


def timeline_kinds(at: AppTest) -> list[str]:
    tab = labelled(at.tabs, "Timeline")
    return list(tab.dataframe[0].value["kind"])


# --- login -----------------------------------------------------------------


def test_login_with_the_right_password_opens_collaborations(app: AppTest) -> None:
    assert labels(app.text_input) == ["Username", "Password"]
    login(app, "staff")
    assert_ok(app)
    assert texts(app.title) == ["Collaborations"]
    assert "Login" not in labels(app.button)
    assert len(listed_ids(app)) == 8
    assert total_caption(app).startswith("**8** collaborations")
    assert app.session_state["user"].username == "staff"


def test_wrong_password_is_refused(app: AppTest) -> None:
    login(app, "staff", "not-the-password")
    assert texts(app.error) == ["Wrong username or password."]
    assert "Collaborations" not in texts(app.title)
    assert "Login" in labels(app.button)
    login(app, "nobody", PASSWORD)  # an unknown user reads the same
    assert texts(app.error) == ["Wrong username or password."]


def test_five_wrong_passwords_lock_the_account(app: AppTest, db: Database) -> None:
    for _ in range(users.MAX_FAILED_LOGINS - 1):
        login(app, "staff", "not-the-password")
        assert texts(app.error) == ["Wrong username or password."]
    login(app, "staff", "not-the-password")
    [message] = texts(app.error)
    assert "Too many failed logins" in message and "locked until" in message
    assert db.value("SELECT locked_until FROM users WHERE username = 'staff'") is not None
    login(app, "staff")  # locked: the right password is refused too
    assert "locked until" in texts(app.error)[0]
    assert "Collaborations" not in texts(app.title)


def test_log_out_returns_to_the_login_form(app: AppTest) -> None:
    login(app, "staff")
    assert_ok(app)
    labelled(app.button, "Log out").click().run()
    assert_ok(app)
    assert "Collaborations" not in texts(app.title)
    assert labels(app.text_input) == ["Username", "Password"]
    assert "user" not in app.session_state
    login(app, "viewer")  # the same browser tab, someone else
    assert_ok(app)
    assert app.session_state["user"].username == "viewer"


def test_a_disabled_account_is_logged_out_on_its_next_run(
    app: AppTest, db: Database, people: dict
) -> None:
    login(app, "staff")
    assert_ok(app)
    users.set_disabled(db, people["admin"], "staff", True)
    app.run()
    assert "This account is disabled. Ask an admin to enable it." in texts(app.error)
    assert "Collaborations" not in texts(app.title)


# --- the list: filters -----------------------------------------------------


def test_search_filters_rows_and_total(app: AppTest, world: World) -> None:
    login(app, "viewer")
    labelled(app.text_input, "Search creator").input("grace").run()
    assert_ok(app)
    grace = {world.collabs[k] for k in ("grace_spring", "grace_summer", "grace_launch")}
    assert listed_ids(app) == grace
    assert total_caption(app).startswith("**3** collaborations")
    # A handle with its @ finds Ada and Mary, who share the handle "ada".
    labelled(app.text_input, "Search creator").input("@ada").run()
    assert listed_ids(app) == {
        world.collabs[k] for k in ("ada_spring", "ada_summer", "mary_spring")
    }
    labelled(app.text_input, "Search creator").input("nobody-like-this").run()
    assert_ok(app)
    assert listed_ids(app) == set()
    assert total_caption(app).startswith("**0** collaborations")


def test_status_and_campaign_filters(app: AppTest, world: World) -> None:
    login(app, "viewer")
    labelled(app.multiselect, "Status").set_value(["pending", "negotiating"]).run()
    assert_ok(app)
    assert listed_ids(app) == {
        world.collabs[k] for k in ("ada_spring", "grace_summer", "grace_spring", "linus_launch")
    }
    assert total_caption(app).startswith("**4** collaborations")
    labelled(app.selectbox, "Campaign").set_value(world.campaigns["Spring"]).run()
    assert_ok(app)
    assert listed_ids(app) == {world.collabs["ada_spring"], world.collabs["grace_spring"]}
    assert total_caption(app).startswith("**2** collaborations")
    labelled(app.multiselect, "Status").set_value([]).run()
    assert len(listed_ids(app)) == 4  # the whole Spring campaign
    assert total_caption(app).startswith("**4** collaborations")


def test_client_filter_narrows_the_campaign_choices(app: AppTest, world: World) -> None:
    login(app, "viewer")
    labelled(app.selectbox, "Client").set_value(world.clients["Globex"]).run()
    assert_ok(app)
    assert labelled(app.selectbox, "Campaign").options == ["All campaigns", "Launch — Globex"]
    assert listed_ids(app) == {world.collabs["linus_launch"], world.collabs["grace_launch"]}
    assert total_caption(app).startswith("**2** collaborations")


# --- the list: batch status change -----------------------------------------


def test_batch_change_previews_then_applies(app: AppTest, db: Database, world: World) -> None:
    login(app, "staff")
    chosen = {k: world.collabs[k] for k in ("ada_spring", "grace_spring", "mary_spring")}
    select_rows(app, list(chosen.values()))
    assert_ok(app)
    assert "Selected rows (3)" in labelled(app.radio, "Apply to").options
    preview(app, "fulfilling")
    assert_ok(app)
    [info] = texts(app.info)
    assert info == "**2** will move to Fulfilling; **1** refused."
    table = preview_table(app).set_index("id")
    assert table.loc[chosen["mary_spring"], "outcome"] == ["refused"]
    assert "final" in table.loc[chosen["mary_spring"], "message"].lower()
    for key in ("ada_spring", "grace_spring"):
        assert table.loc[chosen[key], "outcome"] == ["will change"]
    assert status_of(db, chosen["ada_spring"])[0] == "pending"  # a preview writes nothing
    assert event_count(db) == 0

    labelled(app.button, "Confirm 2 changes").click().run()
    assert_ok(app)
    assert status_of(db, chosen["ada_spring"]) == ("fulfilling", 2)
    assert status_of(db, chosen["grace_spring"]) == ("fulfilling", 2)
    assert status_of(db, chosen["mary_spring"]) == ("completed", 1)
    assert event_count(db, chosen["ada_spring"]) == 1
    assert event_count(db, chosen["grace_spring"]) == 1
    assert event_count(db) == 2
    assert texts(app.toast) == ["2 moved to Fulfilling."]
    assert not app.info  # the preview is gone
    assert "Selected rows (0)" in labelled(app.radio, "Apply to").options  # selection cleared


def test_batch_cancel_without_reason_is_refused(app: AppTest, db: Database, world: World) -> None:
    login(app, "staff")
    ids = [world.collabs["ada_spring"], world.collabs["linus_spring"]]
    select_rows(app, ids)
    preview(app, "cancelled")
    assert_ok(app)
    assert texts(app.info) == ["**0** will move to Cancelled; **2** refused."]
    table = preview_table(app)
    assert {tuple(o) for o in table["outcome"]} == {("refused",)}
    assert all("reason" in m.lower() for m in table["message"])
    confirm = labelled(app.button, "Confirm 0 changes")
    assert confirm.disabled
    assert [status_of(db, i)[0] for i in ids] == ["pending", "fulfilling"]
    assert event_count(db) == 0

    # With a reason the same rows may be cancelled; the preview follows the new choice.
    preview(app, "cancelled", "Client cut the budget")
    assert texts(app.info) == ["**2** will move to Cancelled; **0** refused."]
    labelled(app.button, "Confirm 2 changes").click().run()
    assert_ok(app)
    assert [status_of(db, i)[0] for i in ids] == ["cancelled", "cancelled"]
    assert db.value(
        "SELECT count(*) FROM collaborations WHERE cancel_reason = 'Client cut the budget'"
    ) == 2


def test_a_preview_is_dropped_when_the_choice_changes(app: AppTest, world: World) -> None:
    login(app, "staff")
    select_rows(app, [world.collabs["ada_spring"]])
    preview(app, "negotiating")
    assert texts(app.info) == ["**1** will move to Negotiating; **0** refused."]
    app.selectbox(key="batch_target").set_value("fulfilling").run()
    assert not app.info
    assert not [b for b in app.button if b.label.startswith("Confirm")]


def test_batch_over_every_row_matching_the_filter(
    app: AppTest, db: Database, world: World
) -> None:
    login(app, "staff")
    labelled(app.multiselect, "Status").set_value(["pending"]).run()
    assert total_caption(app).startswith("**2** collaborations")
    labelled(app.radio, "Apply to").set_value("filter").run()
    assert_ok(app)
    preview(app, "negotiating")
    assert_ok(app)
    assert "**Change 2 collaborations matching:** status Pending" in texts(app.markdown)
    assert texts(app.info) == ["**2** will move to Negotiating; **0** refused."]
    labelled(app.button, "Confirm 2 changes").click().run()
    assert_ok(app)
    for key in ("ada_spring", "grace_summer"):
        assert status_of(db, world.collabs[key]) == ("negotiating", 2)
    assert event_count(db) == 2
    assert status_of(db, world.collabs["linus_launch"]) == ("negotiating", 1)  # untouched
    assert texts(app.toast) == ["2 moved to Negotiating."]
    # The filter still asks for pending ones: none are left.
    assert total_caption(app).startswith("**0** collaborations")


def test_rows_changed_since_the_preview_are_refused(
    app: AppTest, db: Database, world: World, people: dict
) -> None:
    login(app, "staff")
    ids = [world.collabs["ada_spring"], world.collabs["grace_summer"]]
    select_rows(app, ids)
    preview(app, "negotiating")
    assert texts(app.info) == ["**2** will move to Negotiating; **0** refused."]
    # Someone else moves one of them on in the meantime.
    collaborations.change_status(db, people["manager"], ids[1], 1, "fulfilling")
    labelled(app.button, "Confirm 2 changes").click().run()
    assert_ok(app)
    assert status_of(db, ids[0]) == ("negotiating", 2)
    assert status_of(db, ids[1]) == ("fulfilling", 2)
    assert texts(app.toast) == ["1 moved to Negotiating; 1 refused."]
    assert app.toast[0].icon == web.WARN_ICON


def test_the_scope_resets_on_a_filter_change(app: AppTest, world: World) -> None:
    """"Every row matching" meant the rows of the filter it was chosen under: any change of
    the filter (narrowed, widened or reset) asks for the scope again."""
    login(app, "staff")
    labelled(app.radio, "Apply to").set_value("filter").run()
    labelled(app.multiselect, "Status").set_value(["pending"]).run()
    assert_ok(app)
    assert labelled(app.radio, "Apply to").value == "selected"
    labelled(app.radio, "Apply to").set_value("filter").run()
    labelled(app.selectbox, "Campaign").set_value(world.campaigns["Spring"]).run()
    assert labelled(app.radio, "Apply to").value == "selected"
    labelled(app.radio, "Apply to").set_value("filter").run()
    preview(app, "negotiating")
    # (The campaign's name may carry its client: "Spring — Acme".)
    assert [m for m in texts(app.markdown) if m.startswith(
        "**Change 1 collaboration matching:** status Pending, campaign Spring")]
    labelled(app.multiselect, "Status").set_value([]).run()  # the filter reset
    labelled(app.selectbox, "Campaign").set_value(None).run()
    assert_ok(app)
    assert labelled(app.radio, "Apply to").value == "selected"
    assert not [m for m in texts(app.markdown) if "matching:" in m]  # the preview went too


def test_the_scope_survives_ticking_rows(app: AppTest, world: World) -> None:
    login(app, "staff")
    labelled(app.radio, "Apply to").set_value("filter").run()
    select_rows(app, [world.collabs["ada_spring"]])
    assert labelled(app.radio, "Apply to").value == "filter"


def test_a_selection_does_not_outlive_a_filter_change(app: AppTest, world: World) -> None:
    login(app, "staff")
    select_rows(app, [world.collabs["ada_spring"], world.collabs["grace_spring"]])  # rows 6, 7
    labelled(app.multiselect, "Status").set_value(["fulfilling"]).run()
    assert_ok(app)
    assert "Selected rows (0)" in labelled(app.radio, "Apply to").options
    assert not [b for b in app.button if b.label.startswith("Open #")]

def test_opening_a_selected_row(app: AppTest, world: World) -> None:
    login(app, "viewer")
    first, second = world.collabs["grace_launch"], world.collabs["linus_spring"]
    select_rows(app, [first])
    labelled(app.button, f"Open #{first}").click().run()
    assert_ok(app)
    assert texts(app.title) == ["Grace Hopper × Launch"]
    assert app.query_params["id"] == str(first)
    # Back to the list and open another one: the detail follows the new choice.
    app.switch_page("pages/collaborations.py").run()
    assert texts(app.title) == ["Collaborations"]
    select_rows(app, [second])
    labelled(app.button, f"Open #{second}").click().run()
    assert_ok(app)
    assert texts(app.title) == ["Linus Field × Spring"]


def test_open_needs_exactly_one_row(app: AppTest, world: World) -> None:
    login(app, "viewer")
    select_rows(app, [world.collabs["grace_launch"], world.collabs["linus_spring"]])
    assert not [b for b in app.button if b.label.startswith("Open #")]
    assert "Select one row to open it" in " ".join(texts(app.caption))


# --- the detail page -------------------------------------------------------


def test_add_a_note(app: AppTest, db: Database, world: World) -> None:
    collab_id = world.collabs["grace_spring"]
    login(app, "staff")
    open_detail(app, collab_id)
    assert_ok(app)
    assert texts(app.title) == ["Grace Hopper × Spring"]
    labelled(app.text_area, "Note").input("Called her agent; <b>contract</b> by Friday.")
    labelled(app.button, "Add note").click().run()
    assert_ok(app)
    assert texts(app.toast) == ["Note added."]
    timeline = labelled(app.tabs, "Timeline").dataframe[0].value
    assert list(timeline["kind"]) == ["Note"]
    assert timeline["text"].iloc[0] == "Called her agent; <b>contract</b> by Friday."
    assert timeline["actor"].iloc[0] == "staff"
    assert db.rows(
        "SELECT actor, text FROM activity_events WHERE collab_id = ? AND kind = 'note'", [collab_id]
    ) == [("staff", "Called her agent; <b>contract</b> by Friday.")]


def test_a_blank_note_is_refused(app: AppTest, db: Database, world: World) -> None:
    login(app, "staff")
    open_detail(app, world.collabs["grace_spring"])
    labelled(app.text_area, "Note").input("   ")
    labelled(app.button, "Add note").click().run()
    assert len(app.error) == 1
    assert event_count(db, kind="note") == 0


def test_change_status_on_the_detail_page(app: AppTest, db: Database, world: World) -> None:
    collab_id = world.collabs["grace_spring"]  # negotiating
    login(app, "staff")
    open_detail(app, collab_id)
    assert labelled(app.selectbox, "Move to").options == [
        "Pending", "Fulfilling", "Completed", "Cancelled"
    ]
    labelled(app.selectbox, "Move to").set_value("fulfilling").run()
    labelled(app.button, "Change status").click().run()
    assert_ok(app)
    assert status_of(db, collab_id) == ("fulfilling", 2)
    assert event_count(db, collab_id) == 1
    assert texts(app.toast) == ["Moved to Fulfilling."]
    assert timeline_kinds(app) == ["Status changed"]
    assert "version 2" in " ".join(texts(app.caption))


def test_moving_back_without_a_reason_is_refused(
    app: AppTest, db: Database, world: World
) -> None:
    collab_id = world.collabs["linus_spring"]  # fulfilling
    login(app, "staff")
    open_detail(app, collab_id)
    labelled(app.selectbox, "Move to").set_value("pending").run()
    assert app.text_input(key="status_reason").label == "Reason (required)"
    labelled(app.button, "Change status").click().run()
    assert len(app.error) == 1 and "reason" in app.error[0].value.lower()
    assert status_of(db, collab_id) == ("fulfilling", 1)
    assert event_count(db, collab_id) == 0


def test_a_final_collaboration_offers_no_status_change(app: AppTest, world: World) -> None:
    login(app, "staff")
    open_detail(app, world.collabs["mary_spring"])
    assert_ok(app)
    assert "Completed is final." in texts(app.caption)
    assert "Change status" not in labels(app.button)
    assert labelled(app.button, "Save terms").disabled


def test_a_negative_payment_is_refused(app: AppTest, db: Database, world: World) -> None:
    collab_id = world.collabs["linus_spring"]
    login(app, "staff")
    open_detail(app, collab_id)
    labelled(app.text_input, "Amount").input("-50")
    labelled(app.button, "Record payment").click().run()
    assert not app.exception
    assert texts(app.error) == ["The amount must be more than zero."]
    assert db.value("SELECT count(*) FROM payments") == 0
    assert event_count(db, kind="payment") == 0
    assert not app.toast


def test_a_payment_is_recorded(app: AppTest, db: Database, world: World) -> None:
    collab_id = world.collabs["linus_spring"]
    login(app, "staff")
    open_detail(app, collab_id)
    labelled(app.text_input, "Amount").input("250.50")
    labelled(app.text_input, "Reference").input("INV-7")
    labelled(app.button, "Record payment").click().run()
    assert_ok(app)
    assert texts(app.toast) == ["Payment recorded."]
    payments = labelled(app.tabs, "Payments").dataframe[0].value
    assert list(payments["amount"]) == [250.5]
    assert db.rows("SELECT amount::VARCHAR, reference FROM payments") == [("250.50", "INV-7")]
    assert timeline_kinds(app) == ["Payment"]


def test_typing_a_number_on_the_detail_page(app: AppTest, world: World) -> None:
    login(app, "viewer")
    app.switch_page("pages/collaboration.py").run()
    assert_ok(app)
    assert "Open a collaboration from the Collaborations page" in texts(app.info)[0]
    app.number_input(key="detail_id").set_value(world.collabs["linus_launch"]).run()
    assert_ok(app)
    assert texts(app.title) == ["Linus Field × Launch"]
    assert app.query_params["id"] == str(world.collabs["linus_launch"])


def test_an_unknown_collaboration_number(app: AppTest) -> None:
    login(app, "staff")
    open_detail(app, 999)
    assert not app.exception
    assert texts(app.error) == ["There is no collaboration #999."]


# --- roles -----------------------------------------------------------------


def test_a_viewer_sees_no_edit_controls(app: AppTest, world: World) -> None:
    login(app, "viewer")
    assert_ok(app)
    select_rows(app, [world.collabs["ada_spring"]])
    assert "Preview change" not in labels(app.button)
    assert not app.radio  # no batch scope either
    assert "Your role can read collaborations" in " ".join(texts(app.caption))

    open_detail(app, world.collabs["grace_spring"])
    assert_ok(app)
    assert texts(app.title) == ["Grace Hopper × Spring"]
    buttons = labels(app.button)
    for label in ("Change status", "Add note", "Record payment", "Record content", "Add tag"):
        assert label not in buttons
    assert "Note" not in labels(app.text_area)
    assert labelled(app.button, "Save terms").disabled
    assert "Timeline" in labels(app.tabs)  # reading is still allowed


def test_a_viewer_has_no_users_page(app: AppTest) -> None:
    login(app, "viewer")
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        app.switch_page("pages/users.py")


def test_a_manager_cannot_reach_the_users_page(app: AppTest) -> None:
    login(app, "manager")
    assert_ok(app)
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        app.switch_page("pages/users.py")


def test_the_users_page_checks_the_role_itself(app: AppTest, people: dict) -> None:
    """Hidden from the navigation is not enough: the page refuses a manager on its own."""
    page = AppTest.from_file(str(Path(APP).parent / "pages" / "users.py"), default_timeout=60)
    page.run()
    assert labels(page.button) == ["Login"]  # run alone, the page asks for a login itself
    assert not page.dataframe
    login(page, "manager")
    assert texts(page.error) == ["This page needs the admin role."]
    assert not page.dataframe and "Add a user" not in [t.label for t in page.tabs]


def test_an_admin_demoted_mid_session_loses_the_users_page(app: AppTest, db: Database) -> None:
    login(app, "admin")
    app.switch_page("pages/users.py").run()
    assert texts(app.title) == ["Users"]
    db.value("UPDATE users SET role = 'manager' WHERE username = 'admin' RETURNING 1")
    app.run()  # a lowered role ends the login session (issue 14.1), even without lib.users
    assert texts(app.error) == ["Your role was changed. Log in again."]
    assert labels(app.text_input) == ["Username", "Password"]
    login(app, "admin")  # still asking for the Users page, which the navigation no longer has
    assert_ok(app)
    assert texts(app.title) == ["Collaborations"]
    assert not [t for t in app.text_input if t.label == "Full name"]
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        app.switch_page("pages/users.py")


def test_an_admin_adds_a_user(app: AppTest, db: Database) -> None:
    login(app, "admin")
    app.switch_page("pages/users.py").run()
    assert_ok(app)
    assert texts(app.title) == ["Users"]
    assert len(app.dataframe[0].value) == 4
    labelled(app.text_input, "Username").input("nina")
    labelled(app.text_input, "Full name").input("Nina Simone")
    labelled(app.text_input, "E-mail").input("nina@agency.test")
    labelled(app.selectbox, "Role").set_value("staff")
    labelled(app.text_input, "Password (at least 10 characters)").input("a-long-password-1")
    labelled(app.button, "Add user").click().run()
    assert_ok(app)
    assert texts(app.toast) == ["Added nina."]
    assert "nina" in list(app.dataframe[0].value["username"])
    added = users.get_user(db, "nina")
    assert added is not None and added.role.value == "staff" and added.name == "Nina Simone"
    assert users.attempt_login(db, "nina", "a-long-password-1") is True


def test_adding_a_user_with_a_short_password_is_refused(app: AppTest, db: Database) -> None:
    login(app, "admin")
    app.switch_page("pages/users.py").run()
    labelled(app.text_input, "Username").input("nina")
    labelled(app.text_input, "Full name").input("Nina Simone")
    labelled(app.text_input, "Password (at least 10 characters)").input("short")
    labelled(app.button, "Add user").click().run()
    assert len(app.error) == 1
    assert users.get_user(db, "nina") is None



def download_buttons(source: str) -> list[ast.Call]:
    """Every st.download_button(...) call in a page's source."""
    return [
        node for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
        and node.func.attr == "download_button"
    ]


@pytest.mark.parametrize("file", sorted(p.name for p in (ROOT / "pages").glob("*.py")))
def test_a_download_never_reruns_the_page(file: str) -> None:
    """A download button's click must not rerun the page. For a file built when clicked, the
    rerun registers the builder anew and drops the one the click asked for; when the rerun ends
    first, the person gets "Failed to generate file for download" (seen in CI). For any other
    file it is a run for nothing."""
    for call in download_buttons((ROOT / "pages" / file).read_text()):
        on_click = {k.arg: k.value for k in call.keywords}.get("on_click")
        assert isinstance(on_click, ast.Constant) and on_click.value == "ignore", (
            f"pages/{file}:{call.lineno}: download_button without on_click=\"ignore\""
        )
