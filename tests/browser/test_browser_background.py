"""Slow reads in a real browser (lib.web.background): on a server whose pages wait for none of
them, the Progress page first says what it is counting, then draws its charts by itself (the
polling fragment reruns it; nobody clicks), and the SQL console of a server with no snapshot
yet says it is taking one, then opens by itself."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.browser import ui
from tests.browser.conftest import PASSWORD, AppServer, Seed

pytestmark = pytest.mark.browser
BY_ITSELF_MS = 30_000  # the page must get there with no help, however loaded the machine


@pytest.fixture
def impatient_app(seed: Seed, tmp_path: Path) -> Iterator[AppServer]:
    """A server of its own (no snapshot yet) whose pages never wait for a slow read."""
    server = AppServer(seed, tmp_path / "app", {"COLLABDESK_PAGE_WAIT_SECONDS": "0",
                                                "COLLABDESK_SNAPSHOT_MINUTES": "0"}).start()
    yield server
    server.stop()


def test_progress_counts_then_draws_by_itself(page: Page, impatient_app: AppServer) -> None:
    ui.log_in(page, impatient_app.url, "viewer", PASSWORD)
    page.goto(f"{impatient_app.url}/progress")
    counting = page.get_by_test_id("stExpander").filter(has_text="Counting week by week")
    expect(counting).to_be_visible()
    # The weekly chart and the funnel; the seed has no stage anyone got through.
    expect(page.get_by_test_id("stVegaLiteChart")).to_have_count(2, timeout=BY_ITSELF_MS)
    expect(page.get_by_text("Nothing got through a stage in this selection.")).to_be_visible(
        timeout=BY_ITSELF_MS)
    expect(page.get_by_text("Counting", exact=False)).to_have_count(0)
    expect(page.get_by_text("newer figures are being counted")).to_have_count(0)
    ui.screenshot(page, "16-progress-drawn-by-itself")


def test_the_console_opens_once_its_first_snapshot_is_written(
    page: Page, impatient_app: AppServer
) -> None:
    ui.log_in(page, impatient_app.url, "viewer", PASSWORD)
    page.goto(f"{impatient_app.url}/sql-console")
    expect(page.get_by_text("Taking the first snapshot of the data")).to_be_visible()
    editor = page.get_by_role("textbox", name="SQL query")
    expect(editor).to_be_visible(timeout=BY_ITSELF_MS)
    expect(page.get_by_text("Taking the first snapshot of the data")).to_have_count(0)
    ui.screenshot(page, "16-console-after-first-snapshot")
