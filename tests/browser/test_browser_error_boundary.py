"""A page that fails in the real server (issue 13, point 7): the person sees a plain message
with a short reference and no traceback anywhere in the page; the server log has the reference
with the traceback.

The failure is a real one: the database file lost a table (as a copy restored from a broken
backup would), so the Deliveries page's query raises DuckDB's CatalogException.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from lib.db import Database
from tests.browser import ui
from tests.browser.conftest import AppServer, Seed

pytestmark = pytest.mark.browser

MESSAGE = re.compile(
    r"Something went wrong on this page\. Give this reference to an admin: ([0-9a-f]{6})\."
)


@pytest.fixture
def broken_app(seed: Seed, tmp_path: Path) -> Iterator[AppServer]:
    server = AppServer(seed, tmp_path / "app")
    db = Database(server.db_path)
    try:
        db.write(lambda cur: cur.execute("DROP TABLE shipments"))
    finally:
        db.close()
    server.start()
    yield server
    server.stop()


def test_a_failing_page_shows_a_reference_and_no_traceback(
    page: Page, broken_app: AppServer, login: Callable[..., None]
) -> None:
    login(page, "staff", broken_app)
    link = page.get_by_test_id("stSidebarNav").get_by_role("link", name="Deliveries", exact=True)
    ui.rerun(page, link.click)
    alert = page.get_by_test_id("stAlertContentError").filter(has_text=MESSAGE)
    expect(alert).to_have_count(1)
    reference = MESSAGE.search(alert.inner_text()).group(1)
    shown = page.content()
    for leak in ("Traceback", "CatalogException", "Catalog Error", 'File "', "shipments",
                 "stException"):
        assert leak not in shown, leak
    expect(page.get_by_test_id("stException")).to_have_count(0)
    expect(page.get_by_test_id("stSidebar")).to_contain_text("Staff Person")  # the app goes on
    log = broken_app.log_path.read_text(errors="replace")
    assert f"reference {reference}" in log
    after = log.split(f"reference {reference}", 1)[1]
    assert "Traceback (most recent call last)" in after and "CatalogException" in after
