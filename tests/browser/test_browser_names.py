"""Issue 15, points 4 and 8 in Chromium at 1366x768: campaign pickers name the client, and the
pages these points changed, saved as screenshots (test-artifacts/screenshots/15-names-*.png)."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, expect

from tests.browser import ui
from tests.browser.conftest import TIMEOUT_MS, AppServer
from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser

WINDOW = {"width": 1366, "height": 768}
PAGES = ("Collaborations", "Campaigns", "Progress", "Deliveries", "Feedback", "Inbox",
         "Reports", "Users")


def test_campaign_pickers_name_the_client_on_every_changed_page(
    browser: Browser, app: AppServer
) -> None:
    context = browser.new_context(viewport=WINDOW)
    context.set_default_timeout(TIMEOUT_MS)
    context.add_init_script(ui.RUN_TRACKER_JS)
    tab = context.new_page()
    ui.log_in(tab, app.url, "admin", PASSWORD)
    combobox = tab.get_by_role("combobox", name="Campaign", exact=True)
    ui.scroll_into_view(tab, combobox, center=True)
    combobox.click()
    expect(tab.get_by_role("option", name="Spring — Acme", exact=True)).to_be_visible()
    ui.close_list(combobox)
    nav = tab.get_by_test_id("stSidebarNav")
    for title in PAGES:
        ui.click(tab, nav.get_by_role("link", name=title))
        expect(tab.get_by_role("heading", name=title, exact=True)).to_be_visible()
        ui.wait_for_run(tab, quiet_ms=ui.SETTLE_MS)
        tab.screenshot(path=ui.SCREENSHOTS / f"15-names-{title.lower()}-1366x768.png",
                       animations="disabled")  # the first screen, as staff see it
    context.close()
