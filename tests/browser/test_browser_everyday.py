"""Issue 15 in the browser: a fresh or restarted server never shows the pages/ folder's menu of
file names (15.9), the reviewer link points at the address the app runs on (15.3), and the pages
show no emoji, only Material icons and coloured badges (15.6)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from tests.browser import ui
from tests.browser.conftest import TIMEOUT_MS, AppServer, Seed
from tests.conftest import PASSWORD
from tests.test_icons import EMOJI

pytestmark = pytest.mark.browser

WINDOW = {"width": 1366, "height": 768}
RESTART_TIMEOUT_MS = 90_000  # a server restart and the browser's reconnect, on a loaded machine
# The menu Streamlit makes of the pages/ folder names each file after its name ("sql console",
# "collaboration", "app" for app.py); app.py's own menu has titles ("SQL console", ...).
FILE_NAME_ENTRIES = {"app"} | {
    path.stem.replace("_", " ") for path in (ui.PROJECT_ROOT / "pages").glob("*.py")
}
# From the document's creation on, every label the sidebar's menu ever shows is recorded (icons
# left out: a Material icon is a word such as "inbox" drawn by the icon font).
MENU_RECORDER_JS = """
(() => {
  const seen = (window.__menuLabels = []);
  const record = () => {
    const menu = document.querySelector('[data-testid="stSidebarNav"]');
    if (menu === null) return;
    for (const link of menu.querySelectorAll("a")) {
      const label = link.cloneNode(true);
      label.querySelectorAll('[data-testid^="stIcon"]').forEach((icon) => icon.remove());
      const text = label.textContent.trim();
      if (text && !seen.includes(text)) seen.push(text);
    }
  };
  new MutationObserver(record).observe(document, {childList: true, subtree: true,
                                                  characterData: true, attributes: true});
})();
"""


def recording_page(browser: Browser) -> Page:
    """A tab of its own (no cookie) that records every label its sidebar menu shows."""
    context = browser.new_context(viewport=WINDOW)
    context.set_default_timeout(TIMEOUT_MS)
    context.add_init_script(ui.RUN_TRACKER_JS)
    context.add_init_script(MENU_RECORDER_JS)
    return context.new_page()


def menu_labels(page: Page) -> list[str]:
    return page.evaluate("window.__menuLabels")


def assert_no_file_names_shown(page: Page) -> None:
    labels = menu_labels(page)
    assert not FILE_NAME_ENTRIES & set(labels), f"the menu showed file names: {labels}"


def assert_login_page(page: Page) -> None:
    expect(page.get_by_role("heading", name="Collabdesk")).to_be_visible()
    form = page.get_by_test_id("stForm")
    expect(form.get_by_role("textbox", name="Username")).to_be_visible()
    expect(form.get_by_role("button", name="Login")).to_be_visible()


def test_the_recorder_sees_the_apps_menu(app: AppServer, browser: Browser) -> None:
    """The recorder is not blind: it records the titles of app.py's menu, icons left out."""
    tab = recording_page(browser)
    ui.log_in(tab, app.url, "staff", PASSWORD)
    labels = menu_labels(tab)
    assert {"Collaborations", "SQL console", "Inbox"} <= set(labels), labels
    assert not FILE_NAME_ENTRIES & set(labels)
    tab.context.close()


# --- 15.9: a fresh server, a restart ----------------------------------------------------------


@pytest.mark.parametrize("path", ["/inbox", "/"])
def test_a_fresh_server_shows_the_login_page_and_never_the_file_names(
    private_app: AppServer, browser: Browser, path: str
) -> None:
    tab = recording_page(browser)
    ui.goto(tab, private_app.url + path)  # the first session this server ever sees
    assert_login_page(tab)
    expect(tab.get_by_test_id("stSidebarNav")).to_have_count(0)
    assert_no_file_names_shown(tab)
    ui.screenshot(tab, f"15-fresh-server-{path.strip('/') or 'root'}")
    tab.context.close()


# Reconnected: connected again, and a run that started after the restart has finished. The
# component conditions of ui.IDLE_JS are left out here: what the tabs show in the end is
# asserted below (with the restart's timeout), and the menu recorder sees every state between.
RECONNECTED_JS = """([since, quietMs]) => {
  const runs = window.__runs, app = document.querySelector('[data-testid="stApp"]');
  const started = runs.starts.filter(t => t > since);
  return app !== null
    && app.getAttribute("data-test-connection-state") === "CONNECTED"
    && app.getAttribute("data-test-script-state") === "notRunning"
    && started.length > 0
    && runs.ends.some(t => t > started[0])
    && performance.now() - runs.lastMessage > quietMs;
}"""


def wait_for_reconnect(page: Page, since: float) -> None:
    """Wait until the tab has reconnected to the restarted server, a run has finished and no
    message came for ui.SETTLE_MS."""
    try:
        page.wait_for_function(RECONNECTED_JS, arg=[since, ui.SETTLE_MS], polling=100,
                               timeout=RESTART_TIMEOUT_MS)
    except PlaywrightTimeoutError:
        state = page.evaluate(ui.STATE_JS)
        raise AssertionError(f"no reconnect since t={since:.0f} ms: {state}") from None


def test_a_restart_never_shows_the_file_names_to_an_open_tab(
    private_app: AppServer, browser: Browser
) -> None:
    logged_in, logged_out = recording_page(browser), recording_page(browser)
    ui.log_in(logged_in, private_app.url, "staff", PASSWORD)
    ui.goto(logged_out, private_app.url)
    assert_login_page(logged_out)
    since = {tab: tab.evaluate("performance.now()") for tab in (logged_in, logged_out)}

    private_app.stop()
    private_app.start()  # the same port and database; the login cookie's key is kept

    for tab in (logged_in, logged_out):
        wait_for_reconnect(tab, since[tab])
    # The open tab logs in again from its cookie, with app.py's menu; the other shows the form.
    heading = logged_in.get_by_role("heading", name="Collaborations", exact=True)
    expect(heading).to_be_visible(timeout=RESTART_TIMEOUT_MS)
    menu = logged_in.get_by_test_id("stSidebarNav")
    expect(menu.get_by_role("link", name="SQL console")).to_be_visible()
    assert_login_page(logged_out)
    for tab in (logged_in, logged_out):
        wait_for_reconnect(tab, since[tab])  # and quiet again: nothing more is coming
        assert_no_file_names_shown(tab)
    for tab in (logged_in, logged_out):
        tab.context.close()


# --- 15.3: the reviewer link --------------------------------------------------------------


@pytest.fixture
def bare_app(seed: Seed, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[AppServer]:
    """A server on a random port with neither a public URL nor a mail server configured."""
    for name in ("COLLABDESK_BASE_URL", "COLLABDESK_SMTP_HOST"):
        monkeypatch.delenv(name, raising=False)
    server = AppServer(seed, tmp_path / "app").start()
    yield server
    server.stop()


def test_the_reviewer_link_points_at_the_port_the_app_runs_on(
    bare_app: AppServer, browser: Browser
) -> None:
    address = f"http://127.0.0.1:{bare_app.port}"  # not the name the server was started with
    manager = recording_page(browser)
    ui.log_in(manager, address, "manager", PASSWORD)
    ui.click(manager, manager.get_by_test_id("stSidebarNav").get_by_role("link", name="Feedback"))
    ui.choose(manager, "Campaign", "Spring")
    manager.get_by_role("tab", name="Reviewers").click()  # switching tabs runs no script
    manager.get_by_role("textbox", name="Invite reviewers: e-mail addresses").fill(
        "client@brand.test")
    ui.click(manager, manager.get_by_role("button", name="Send invitations", exact=True))

    expect(manager.get_by_text("No mail server is configured")).to_be_visible()
    shown = manager.get_by_test_id("stCode")
    expect(shown).to_have_count(1)  # shown this once, to copy
    link = shown.inner_text().strip()
    assert link.startswith(f"{address}/review?token="), link
    ui.screenshot(manager, "15-reviewer-link-without-smtp")

    reviewer = recording_page(browser)
    ui.goto(reviewer, link)
    expect(reviewer.get_by_role("heading", name="Spring", exact=True)).to_be_visible()
    expect(reviewer.get_by_text("you review as client@brand.test")).to_be_visible()
    for tab in (manager, reviewer):
        tab.context.close()


# --- 15.6: no emoji on the pages ------------------------------------------------------------


def test_the_pages_show_material_icons_and_badges_not_emoji(
    browser: Browser, app: AppServer
) -> None:
    tab = recording_page(browser)
    ui.log_in(tab, app.url, "manager", PASSWORD)
    tab.wait_for_function("document.fonts.status === 'loaded'")
    tab.screenshot(path=ui.SCREENSHOTS / "15-collaborations-1366x768.png",
                   animations="disabled")  # the first screen, as staff see it
    nav = tab.get_by_test_id("stSidebarNav")
    for title in ("Collaborations", "Campaigns"):
        ui.click(tab, nav.get_by_role("link", name=title))
        expect(tab.get_by_role("heading", name=title, exact=True)).to_be_visible()
        text = tab.evaluate("document.body.innerText")
        assert not EMOJI.findall(text), f"{title} shows emoji: {set(EMOJI.findall(text))}"
        # Icons are drawn by the Material Symbols font, which ships with Streamlit.
        expect(tab.get_by_test_id("stIconMaterial").first).to_be_visible()
    ui.wait_for_run(tab, quiet_ms=ui.SETTLE_MS)  # a late run could swallow the choice
    ui.choose(tab, "Open campaign", "Spring")  # its status: st.badge with a Material icon
    badge = tab.locator(".stMarkdownBadge").filter(has_text="Draft")
    expect(badge.get_by_role("img", name="edit_note icon")).to_be_visible()
    text = tab.evaluate("document.body.innerText")
    assert not EMOJI.findall(text), f"a campaign shows emoji: {set(EMOJI.findall(text))}"
    ui.screenshot(tab, "15-campaign")
    tab.context.close()
