"""The inbox in the browser, as a staff member: two replies waiting (the navigation says so),
opening them marks them read, a mass message to three creators of a campaign with its preview
and progress, the e-mails arriving at a real SMTP server on 127.0.0.1, and a thread marked
unread moving to the top. The database file is checked afterwards (the server is the test's
own, started with the SMTP settings pointing at the local server).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Locator, Page, expect

from lib import inbox, users
from lib.db import Database
from tests.browser import ui
from tests.browser.conftest import AppServer, Seed
from tests.conftest import T0

pytestmark = pytest.mark.browser

MASSED = ("Alan", "Barbara", "Claude")  # creators with collaborations in Spring: they accepted


@pytest.fixture
def inbox_app(seed: Seed, tmp_path: Path, smtp_server) -> Iterator[AppServer]:
    """A server of the test's own whose e-mail goes to `smtp_server`, with a reply from Hedy
    and a newer one from Joan, recorded by the admin (so unread for everyone else)."""
    server = AppServer(seed, tmp_path / "app")
    db = Database(server.db_path)
    try:
        admin = users.get_user(db, "admin")
        assert admin is not None
        for number, name in enumerate(("Hedy", "Joan")):
            incoming = inbox.Incoming("Question", f"A question from {name}", "email",
                                      received_at=T0 + dt.timedelta(hours=number))
            inbox.record_incoming(db, admin, seed.creators[name], incoming)
    finally:
        db.close()
    server.start()  # after smtp_server: the server inherits the COLLABDESK_SMTP_* variables
    yield server
    server.stop()


def nav_link(page: Page, name: str) -> Locator:
    return page.get_by_test_id("stSidebarNav").get_by_role("link", name=name, exact=True)


# The creator list is the page's first table: a row marker (its tick box), then Unread (72 px
# wide, pages/inbox.py) and Creator; a click here lands on the creator's name.
CREATOR_X = 36 + 72 + 40


def creator_row(page: Page, name: str) -> Locator:
    """The creator list's row of the creator whose name starts with `name`."""
    return ui.grid_rows(page).filter(
        has=page.locator('td[aria-colindex="2"]', has_text=re.compile(f"^{name}")))


def row_number(page: Page, name: str) -> int:
    """The position of a creator's row in the list (0 is the first)."""
    return ui.row_position(creator_row(page, name))


def expect_row(page: Page, position: int, name: str, unread: str = "") -> None:
    """The list's row at `position` is the creator named `name`, with `unread` unread items."""
    row = ui.grid_rows(page).nth(position)
    expect(row.locator('td[aria-colindex="2"]')).to_have_text(name)
    expect(row.locator('td[aria-colindex="1"]')).to_have_text(unread)


def row_of(page: Page, position: int) -> Locator:
    """The creator cell of the list's row at `position`."""
    return ui.grid_rows(page).nth(position).locator('td[aria-colindex="2"]')


def open_thread(page: Page, seed: Seed, name: str) -> None:
    """Click the creator in the list: their thread opens beside it."""
    ui.click_cell(page, creator_row(page, name), CREATOR_X)
    heading = page.get_by_role("heading", level=3, name=re.compile(f"^{name} "))
    expect(heading).to_be_visible()


def tick(page: Page, seed: Seed, name: str) -> None:
    """Tick the creator's row: picked for a mass message."""
    ui.select_rows(page, row_number(page, name))
    expect(creator_row(page, name)).to_have_attribute("aria-selected", "true")


def replies_waiting_then_read(page: Page, seed: Seed) -> None:
    ui.click(page, nav_link(page, "Inbox (2)"))
    expect(page.get_by_role("heading", name="Inbox", exact=True)).to_be_visible()
    expect_row(page, 0, "Joan Clarke", unread="1")
    expect_row(page, 1, "Hedy Lamarr", unread="1")
    ui.screenshot(page, "07-inbox-unread")
    open_thread(page, seed, "Joan")
    expect(page.get_by_text("A question from Joan")).to_be_visible()
    expect(nav_link(page, "Inbox (1)")).to_be_visible()
    open_thread(page, seed, "Hedy")
    expect(nav_link(page, "Inbox")).to_be_visible()
    expect_row(page, 0, "Joan Clarke")  # read now: nothing unread
    expect_row(page, 1, "Hedy Lamarr")


def mass_message(page: Page, seed: Seed) -> None:
    ui.choose(page, "Campaign", "Spring")
    expect(page.get_by_text("20 creators · page 1 of 1")).to_be_visible()
    for name in MASSED:
        tick(page, seed, name)
    page.get_by_text("Mass message (3 selected)").click()  # an expander: no script run
    page.locator(".st-key-mass_subject input").fill("Spring news for {first_name}")
    page.locator(".st-key-mass_body textarea").fill("Hi @{handle}, {campaign} starts Monday.")
    ui.click(page, page.get_by_role("button", name="Preview", exact=True))
    expect(page.get_by_text("3 will get it; 0 skipped.")).to_be_visible()
    expect(page.get_by_text("Hi @alan.t, Spring starts Monday.")).to_be_visible()
    expect(page.get_by_text("Hi @liskov, Spring starts Monday.")).to_be_visible()
    ui.screenshot(page, "07-inbox-mass-preview")
    ui.click(page, page.get_by_role("button", name="Send to 3 creators", exact=True))
    expect(page.get_by_text("3 sent, 0 failed, 0 skipped.")).to_be_visible()
    expect(page.get_by_text("Mass message (0 selected)")).to_be_visible()
    for name in MASSED:  # the selection is cleared in the browser too
        expect(creator_row(page, name)).to_have_attribute("aria-selected", "false")
    # The three just written to lead the list now (queued together: same time, then by id).
    for position, name in enumerate(("Alan Turing", "Barbara Liskov", "Claude Shannon")):
        expect_row(page, position, name)
    ui.screenshot(page, "07-inbox-mass-sent")


def marked_unread_moves_to_the_top(page: Page, seed: Seed) -> None:
    expect(row_of(page, 0)).not_to_have_text("Hedy Lamarr")
    # Her thread is still open from before: closed, then opened again by a click in the list.
    ui.click(page, page.get_by_role("button", name="Close", exact=True))
    expect(page.get_by_role("heading", level=3, name=re.compile("^Hedy "))).to_have_count(0)
    open_thread(page, seed, "Hedy")
    ui.click(page, page.get_by_role("button", name="Mark unread"))
    expect_row(page, 0, "Hedy Lamarr", unread="1")
    expect(nav_link(page, "Inbox (1)")).to_be_visible()
    ui.screenshot(page, "07-inbox-marked-unread")


def test_mass_message_and_unread_threads(
    page: Page, inbox_app: AppServer, seed: Seed, smtp_server, login
) -> None:
    login(page, "staff", inbox_app)
    replies_waiting_then_read(page, seed)
    mass_message(page, seed)
    marked_unread_moves_to_the_top(page, seed)

    received = {str(m["To"]): m for m in smtp_server.messages}
    assert sorted(received) == ["alan.t@example.com", "liskov@example.com",
                                "shannon@example.com"]
    assert received["liskov@example.com"]["Subject"] == "Spring news for Barbara"
    assert received["liskov@example.com"].get_content().strip() == (
        "Hi @liskov, Spring starts Monday.")
    assert all("team@agency.test" in str(m["From"]) for m in received.values())

    db = inbox_app.open_db()  # stops the server
    try:
        rows = db.rows(
            "SELECT recipient, state, message_id_header, campaign_id FROM messages"
            " WHERE direction = 'out' ORDER BY recipient")
        spring = seed.campaigns["Spring"]
        assert rows == [(to, "sent", received[to]["Message-ID"], spring) for to in sorted(received)]
    finally:
        db.close()
