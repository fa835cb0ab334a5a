"""Every page has its own address: typed, reloaded, shared, and asked for before the login."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.browser import ui
from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser


def heading(page: Page, name: str):
    return page.get_by_role("heading", name=name, exact=True)


def reload(page: Page) -> None:
    since = page.evaluate("performance.now()")
    page.reload()
    ui.wait_for_run(page, quiet_ms=ui.SETTLE_MS)
    del since


def test_a_typed_address_opens_its_page(page: Page, app, login) -> None:
    login(page, "staff")
    ui.goto(page, f"{app.url}/inbox")
    expect(heading(page, "Inbox")).to_be_visible()
    expect(page).to_have_url(re.compile(r"/inbox$"))
    reload(page)
    expect(heading(page, "Inbox")).to_be_visible()


def test_a_collaboration_link_asked_for_logged_out_opens_after_the_login(
    page: Page, app
) -> None:
    grace_spring = app.seed.collabs[("Spring", "pending")][-2]
    ui.fill_login_form(page, f"{app.url}/collaboration?id={grace_spring}", "staff", PASSWORD)
    expect(heading(page, "Grace Hopper × Spring")).to_be_visible()
    expect(page).to_have_url(re.compile(rf"/collaboration\?id={grace_spring}$"))
    page.wait_for_function("document.cookie.includes('collabdesk')")
    reload(page)
    expect(heading(page, "Grace Hopper × Spring")).to_be_visible()
    expect(page).to_have_url(re.compile(rf"/collaboration\?id={grace_spring}$"))
