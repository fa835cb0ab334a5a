"""Two app servers on one shared PostgreSQL store (issue 17), in Chromium at 1366x768: what
one server saves, the other shows; a save made on one server while the same form was open on
the other reaches that person as the usual stale-edit message, and what they typed is kept;
the SQL console of either server reads a snapshot of the whole store.

The servers share a cookie key, as servers behind one load balancer must (docs/scale-out.md).
"""

from __future__ import annotations

import itertools
import secrets
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from playwright.sync_api import Browser, Locator, Page, expect

from tests.browser import ui
from tests.browser.conftest import AppServer, Seed, new_tab
from tests.conftest import PASSWORD
from tests.postgres import create_database

pytestmark = pytest.mark.browser

LAPTOP = {"width": 1366, "height": 768}
_names = itertools.count(1)


@pytest.fixture
def two_servers(seed: Seed, pg_cluster: str, tmp_path: Path
                ) -> Iterator[tuple[AppServer, AppServer, str]]:
    """Servers a and b on one store holding the seeded data; yields them and the store's URL."""
    from lib.pg_store import PostgresDatabase, copy_from_duckdb

    url = create_database(pg_cluster, f"browser_{next(_names)}")
    store = PostgresDatabase(url)
    copy_from_duckdb(seed.path, store)
    store.close()
    shared = {"COLLABDESK_STORE": url, "COLLABDESK_COOKIE_KEY": secrets.token_urlsafe(32)}
    servers = [AppServer(seed, tmp_path / name, shared) for name in ("a", "b")]
    try:
        for server in servers:
            server.start()
        yield servers[0], servers[1], url
    finally:
        for server in servers:
            server.stop()


@pytest.fixture
def other_page(browser: Browser) -> Iterator[Page]:
    """A second person's tab, in a browser context of its own."""
    with new_tab(browser, LAPTOP) as tab:
        yield tab


def deliverables(page: Page) -> Locator:
    return page.get_by_role("textbox", name="Deliverables", exact=True)


def save_terms(page: Page, text: str | None = None) -> None:
    if text is not None:
        deliverables(page).fill(text)
    ui.click(page, page.get_by_role("button", name="Save terms"))


def terms_events(url: str, collab_id: int) -> int:
    with psycopg.connect(url) as conn:
        found = conn.execute("SELECT count(*) FROM activity_events WHERE collab_id = %s AND"
                             " kind = 'terms_changed'", [collab_id]).fetchone()
    return int(found[0]) if found else 0


def test_two_servers_on_one_store(page: Page, other_page: Page, two_servers) -> None:
    a, b, url = two_servers
    page.set_viewport_size(LAPTOP)
    collab_id = a.seed.collabs[("Spring", "negotiating")][0]
    ui.log_in(page, a.url, "staff", PASSWORD)
    ui.log_in(other_page, b.url, "manager", PASSWORD)
    for tab, server in ((page, a), (other_page, b)):  # the same record open on both servers
        ui.goto(tab, f"{server.url}/collaboration?id={collab_id}")
        expect(deliverables(tab)).to_be_visible()

    save_terms(page, "Three reels, from server A")
    ui.expect_toast(page, "Terms saved.")

    save_terms(other_page, "Two reels and a story, from server B")
    refusal = other_page.get_by_test_id("stAlertContentError")
    expect(refusal).to_contain_text("Someone changed these terms or the status since you"
                                    " opened it, so nothing was saved")
    expect(deliverables(other_page)).to_have_value("Two reels and a story, from server B")
    ui.screenshot(other_page, "17-shared-store-stale-edit")
    assert terms_events(url, collab_id) == 1

    save_terms(other_page)  # again, now over server A's save: what was typed goes in
    ui.expect_toast(other_page, "Terms saved.")
    ui.goto(page, f"{a.url}/collaboration?id={collab_id}")  # server A shows B's save
    expect(deliverables(page)).to_have_value("Two reels and a story, from server B")
    assert terms_events(url, collab_id) == 2

    # The SQL console of server A reads a snapshot of the store: server B's save is in it.
    ui.goto(page, f"{a.url}/sql-console")
    ui.click(page, page.get_by_role("button", name="Refresh the data"))
    query = page.get_by_role("textbox", name="SQL query", exact=True)
    query.fill(f"SELECT id, deliverables FROM collaborations WHERE id = {collab_id}")
    ui.click(page, page.get_by_role("button", name="Run query"))
    expect(page.get_by_text("1 row.", exact=False)).to_be_visible()
    expect(ui.grid_rows(page, table=1).first).to_contain_text(
        "Two reels and a story, from server B")
    ui.screenshot(page, "17-shared-store-sql-console")
