"""Who sees which page: the Users page is for admins, by menu and by URL."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.browser import ui
from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser


def users_page_content(page: Page):
    return page.get_by_role("heading", name="Users", exact=True).or_(
        page.get_by_role("tab", name="Add a user")
    )


def test_an_admin_manages_users_from_the_menu(page: Page, login) -> None:
    login(page, "admin")
    nav = page.get_by_test_id("stSidebarNav")
    expect(nav.get_by_role("link", name="Collaborations")).to_be_visible()

    ui.click(page, nav.get_by_role("link", name="Users"))

    expect(page.get_by_role("heading", name="Users", exact=True)).to_be_visible()
    users = ui.grid_rows(page)
    expect(users).to_have_count(4)
    for row, username in zip(users.all(), ("admin", "manager", "staff", "viewer"), strict=True):
        expect(row.locator("td").first).to_have_text(username)
    for tab in ("Add a user", "Change a role", "Reset a password", "Disable or enable"):
        expect(page.get_by_role("tab", name=tab)).to_be_visible()
    ui.screenshot(page, "06-users-admin")


def test_staff_cannot_open_the_users_page_by_its_url(page: Page, app, login) -> None:
    login(page, "staff")
    expect(page.get_by_test_id("stSidebarNav").get_by_role("link", name="Users")).to_have_count(0)

    # A fresh session at /users (the login cookie is not what is tested here; see below).
    page.context.clear_cookies()
    ui.fill_login_form(page, f"{app.url}/users", "staff", PASSWORD)

    heading = page.get_by_role("heading", name="Collaborations", exact=True)
    expect(heading).to_have_count(1)  # not strict: a redrawn page may hold a stale copy a moment
    ui.wait_for_run(page, quiet_ms=ui.SETTLE_MS)
    expect(heading).to_be_visible()
    expect(users_page_content(page)).to_have_count(0)
    expect(page).not_to_have_url(f"{app.url}/users")


def test_a_deep_link_on_a_fresh_server_goes_through_the_login_and_the_navigation(
    page: Page, private_app
) -> None:
    """Until a session of a freshly started server reaches app.py's st.navigation, Streamlit
    runs a deep-linked page file on its own, with every page file listed in a sidebar; the page
    reruns through app.py instead, so the login and the role's navigation apply as always."""
    ui.fill_login_form(page, f"{private_app.url}/users", "staff", PASSWORD)

    expect(page.get_by_role("heading", name="Collaborations", exact=True)).to_be_visible()
    expect(users_page_content(page)).to_have_count(0)
    nav = page.get_by_test_id("stSidebarNav")
    expect(nav.get_by_role("link", name="Collaborations")).to_be_visible()
    for hidden in ("Users", "Collaboration", "Review", "users", "review"):  # no page-file list
        expect(nav.get_by_role("link", name=hidden, exact=True)).to_have_count(0)
