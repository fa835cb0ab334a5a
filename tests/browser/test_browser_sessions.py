"""Issue 14.1 in the real browser: a login cookie stops working once the store ends its
session (a password reset by an admin elsewhere, a logout), and a reload never renews it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from lib.config import COOKIE_NAME
from tests.browser import ui
from tests.browser.conftest import TIMEOUT_MS, VIEWPORT, AppServer
from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser


@pytest.fixture
def contexts(browser: Browser) -> Iterator[list[BrowserContext]]:
    """Fresh browser contexts (separate cookie jars, as separate browsers), closed at the end."""
    made: list[BrowserContext] = []
    yield made
    for context in made:
        context.close()


def open_tab(browser: Browser, contexts: list[BrowserContext],
             cookies: list[dict] | None = None) -> Page:
    context = browser.new_context(viewport=VIEWPORT)
    context.set_default_timeout(TIMEOUT_MS)
    context.add_init_script(ui.RUN_TRACKER_JS)
    if cookies:
        context.add_cookies(cookies)  # type: ignore[arg-type]
    contexts.append(context)
    return context.new_page()


def login_cookie(page: Page) -> dict:
    [cookie] = [c for c in page.context.cookies() if c["name"] == COOKIE_NAME]
    return dict(cookie)


def login_form(page: Page):
    return page.get_by_test_id("stForm").get_by_role("button", name="Login")


def collaborations_heading(page: Page):
    return page.get_by_role("heading", name="Collaborations", exact=True)


def test_a_password_reset_by_an_admin_ends_the_login_at_the_next_reload(
    browser: Browser, contexts: list[BrowserContext], private_app: AppServer
) -> None:
    staff = open_tab(browser, contexts)
    ui.log_in(staff, private_app.url, "staff", PASSWORD)
    issued = login_cookie(staff)
    # A reload logs in from the cookie, and does not re-issue it: its expiry is absolute.
    ui.goto(staff, private_app.url)
    expect(collaborations_heading(staff)).to_be_visible()
    assert login_cookie(staff)["value"] == issued["value"]
    assert login_cookie(staff)["expires"] == issued["expires"]

    admin = open_tab(browser, contexts)
    ui.log_in(admin, private_app.url, "admin", PASSWORD)
    ui.click(admin, admin.get_by_test_id("stSidebarNav").get_by_role("link", name="Users"))
    expect(admin.get_by_role("heading", name="Users", exact=True)).to_be_visible()
    admin.get_by_role("tab", name="Reset a password").click()  # tabs switch without a run
    # Inside a form, picking the user starts no run (the form's button sends it).
    admin.get_by_role("combobox", name="User", exact=True).click()
    admin.get_by_role("option", name="staff", exact=True).click()
    expect(admin.get_by_role("combobox", name="User", exact=True)).to_have_value("staff")
    ui.click(admin, admin.get_by_role("button", name="Reset password"))
    expect(admin.get_by_text("New password for staff")).to_be_visible()

    ui.goto(staff, private_app.url)
    expect(login_form(staff)).to_be_visible()
    expect(collaborations_heading(staff)).to_have_count(0)
    expect(staff.get_by_test_id("stSidebar").get_by_role("button", name="Log out")).to_have_count(0)
    ui.screenshot(staff, "sessions-ended-by-reset")


def test_a_cookie_copied_before_logout_no_longer_logs_in(
    browser: Browser, contexts: list[BrowserContext], app: AppServer
) -> None:
    viewer = open_tab(browser, contexts)
    ui.log_in(viewer, app.url, "viewer", PASSWORD)
    copied = login_cookie(viewer)
    # The copy works while the session lasts (so the refusal below is the logout's doing).
    before = open_tab(browser, contexts, [copied])
    ui.goto(before, app.url)
    expect(collaborations_heading(before)).to_be_visible()

    ui.click(viewer, viewer.get_by_test_id("stSidebar").get_by_role("button", name="Log out"))
    expect(login_form(viewer)).to_be_visible()

    after = open_tab(browser, contexts, [copied])
    ui.goto(after, app.url)
    expect(login_form(after)).to_be_visible()
    expect(collaborations_heading(after)).to_have_count(0)
