"""Every page has its own address: typed, reloaded, shared, and asked for before the login."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from lib.config import COOKIE_NAME
from tests.browser import ui
from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser
SMALL_SCREEN = {"width": 1366, "height": 768}


def heading(page: Page, name: str):
    return page.get_by_role("heading", name=name, exact=True)


def reload(page: Page) -> None:
    """Reload the tab (a new Streamlit session, logged in again from the cookie)."""
    page.reload()
    ui.wait_for_run(page, quiet_ms=ui.SETTLE_MS)


# url path -> the page's heading (every page of an admin's navigation)
PAGES = {
    "collaborations": "Collaborations",
    "campaigns": "Campaigns",
    "progress": "Progress",
    "deliveries": "Deliveries",
    "feedback": "Feedback",
    "inbox": "Inbox",
    "reports": "Reports",
    "sql-console": "SQL console",
    "imports": "Imports",
    "users": "Users",
    "notifications": "Notifications",
}


def test_a_typed_address_opens_its_page(page: Page, app, login) -> None:
    login(page, "staff")
    ui.goto(page, f"{app.url}/inbox")
    expect(heading(page, "Inbox")).to_be_visible()
    expect(page).to_have_url(re.compile(r"/inbox$"))
    reload(page)
    expect(heading(page, "Inbox")).to_be_visible()


def test_every_page_has_its_address(page: Page, app, login) -> None:
    page.set_viewport_size(SMALL_SCREEN)
    login(page, "admin")
    for path, title in PAGES.items():
        ui.goto(page, f"{app.url}/{path}")
        expect(heading(page, title)).to_be_visible()
        expect(page).to_have_url(f"{app.url}/{path}")
        ui.screenshot(page, f"url-{path}")


def test_a_filter_in_the_address_applies_and_survives_a_reload(page: Page, app, login) -> None:
    login(page, "staff")
    ui.goto(page, f"{app.url}/?status=completed")  # the root leads to Collaborations
    expect(page).to_have_url(re.compile(r"/collaborations\?status=completed$"))
    expect(ui.total_caption(page)).to_have_text("9 collaborations · page 1 of 1")
    ui.choose(page, "Campaign", "Launch")
    launch = app.seed.campaigns["Launch"]
    expect(page).to_have_url(re.compile(rf"/collaborations\?status=completed&campaign={launch}$"))
    expect(ui.total_caption(page)).to_have_text("3 collaborations · page 1 of 1")
    reload(page)
    expect(ui.total_caption(page)).to_have_text("3 collaborations · page 1 of 1")
    campaign_box = page.get_by_role("combobox", name="Campaign", exact=True)
    expect(campaign_box).to_match_aria_snapshot('- combobox "Campaign": /Launch — Globex/')
    ui.screenshot(page, "url-collaborations-filtered")


def test_a_campaign_link_asked_for_logged_out_opens_after_the_login(page: Page, app) -> None:
    summer = app.seed.campaigns["Summer"]
    page.set_viewport_size(SMALL_SCREEN)
    ui.fill_login_form(page, f"{app.url}/campaigns?campaign={summer}", "manager", PASSWORD)
    expect(heading(page, "Summer")).to_be_visible()
    # the campaign's facts line: its number, client, owner, then its dates
    expect(page.get_by_text(re.compile(rf"^#{summer} · .* · 2026-03-01 to "))).to_be_visible()
    expect(page).to_have_url(re.compile(rf"/campaigns\?campaign={summer}$"))
    ui.screenshot(page, "url-campaign-detail")


def test_a_collaboration_link_asked_for_logged_out_opens_after_the_login(
    page: Page, app
) -> None:
    grace_spring = app.seed.collabs[("Spring", "pending")][-2]
    ui.fill_login_form(page, f"{app.url}/collaboration?id={grace_spring}", "staff", PASSWORD)
    expect(heading(page, "Grace Hopper × Spring")).to_be_visible()
    expect(page).to_have_url(re.compile(rf"/collaboration\?id={grace_spring}$"))
    page.wait_for_function(f"document.cookie.includes('{COOKIE_NAME}=')")
    reload(page)
    expect(heading(page, "Grace Hopper × Spring")).to_be_visible()
    expect(page).to_have_url(re.compile(rf"/collaboration\?id={grace_spring}$"))
    ui.screenshot(page, "url-collaboration")


def test_a_creator_thread_has_its_address(page: Page, app, login) -> None:
    grace = app.seed.creators["Grace"]
    login(page, "staff")
    ui.goto(page, f"{app.url}/inbox?creator={grace}")
    expect(page.get_by_role("heading", level=3, name="Grace Hopper")).to_be_visible()
    reload(page)
    expect(page.get_by_role("heading", level=3, name="Grace Hopper")).to_be_visible()
    expect(page).to_have_url(re.compile(rf"/inbox\?creator={grace}$"))
