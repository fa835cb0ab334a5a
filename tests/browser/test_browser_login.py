"""Logging in and out through the real login form (streamlit-authenticator and its cookie)."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.browser import ui
from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser


def login_button(page: Page):
    return page.get_by_test_id("stForm").get_by_role("button", name="Login")


def test_log_in_shows_the_collaborations_of_every_campaign(page: Page, app) -> None:
    ui.goto(page, app.url)
    expect(page.get_by_role("heading", name="Collabdesk")).to_be_visible()
    expect(login_button(page)).to_be_visible()
    ui.screenshot(page, "01-login")

    ui.log_in(page, app.url, "staff", PASSWORD)

    sidebar = page.get_by_test_id("stSidebar")
    expect(sidebar).to_contain_text("Staff Person")
    expect(sidebar.get_by_role("button", name="Log out")).to_be_visible()
    expect(ui.total_caption(page)).to_have_text("60 collaborations · page 1 of 2")
    expect(ui.grid_rows(page).first).to_contain_text("EUR")
    expect(login_button(page)).to_have_count(0)
    ui.screenshot(page, "02-collaborations")


def test_a_wrong_password_shows_an_error_and_keeps_the_form(page: Page, app) -> None:
    ui.fill_login_form(page, app.url, "staff", "not-the-password")

    expect(page.get_by_test_id("stAlert")).to_contain_text("Wrong username or password.")
    expect(login_button(page)).to_be_visible()
    expect(page.get_by_role("heading", name="Collaborations", exact=True)).to_have_count(0)
    expect(page.get_by_test_id("stSidebar").get_by_role("button", name="Log out")).to_have_count(0)
    ui.screenshot(page, "01-login-wrong-password")


def test_log_out_returns_to_the_login_form(page: Page, app, login) -> None:
    login(page, "viewer")

    ui.click(page, page.get_by_test_id("stSidebar").get_by_role("button", name="Log out"))

    expect(page.get_by_test_id("stException")).to_have_count(0)
    expect(login_button(page)).to_be_visible()
    expect(page.get_by_role("heading", name="Collaborations", exact=True)).to_have_count(0)
    # A reload must not log back in from the cookie.
    ui.goto(page, app.url)
    expect(login_button(page)).to_be_visible()
    expect(page.get_by_role("heading", name="Collaborations", exact=True)).to_have_count(0)


def test_a_reload_after_logging_in_keeps_the_user_logged_in(page: Page, app, login) -> None:
    login(page, "manager")

    ui.goto(page, app.url)

    expect(page.get_by_role("heading", name="Collaborations", exact=True)).to_be_visible()
    expect(page.get_by_test_id("stSidebar")).to_contain_text("Manager Person")
