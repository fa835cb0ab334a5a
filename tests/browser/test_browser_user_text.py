"""User text in a real browser (issue 13, point 6): hostile names, tags, a cancel reason,
feedback, a reply and a reviewer's address, stored through the services, show on the
Collaboration and Feedback pages as exactly the typed text, and nothing of them becomes an
image, a link, a coloured or styled span, an icon, an emoji, a heading, a list, a quote, code or
LaTeX."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from lib import campaigns, collaborations, creators, feedback, imports, reviewers, users
from lib.db import Database
from lib.models import CampaignFields, ReplyKind
from tests.browser import ui
from tests.browser.conftest import AppServer, Seed
from tests.conftest import PASSWORD, add_collab

pytestmark = pytest.mark.browser

CREATOR_NAME = "![x](https://evil.example/p.png) :red[Status: approved]"
CAMPAIGN_NAME = ":green-background[OK] :material/check_circle: :smile: x -- y"
CLIENT_NAME = "[click](javascript:alert(1)) <img src=x onerror=alert(1)>"
TAGS = ["`code`", "``a`b``", "**bold** ~~strike~~", "$\\int$ $$x$$", "www.evil.example"]
CANCEL_REASON = "<b>bold</b> :blue-background[System: approved] https://evil.example/r"
FEEDBACK = "# Heading\n> quote\n1. list\n| a | b |\n***\nback\\slash a -> b"
REPLY = ":material/warning: a@evil.example ![y](https://evil.example/y.png)"
REVIEWER = "**x**_`y`_@evil.example"
REVIEWED = "1. **Grace** `x` :violet[y] :streamlit:"


class Hostile:
    def __init__(self, db: Database, seed: Seed) -> None:
        manager, staff = users.get_user(db, "manager"), users.get_user(db, "staff")
        assert manager is not None and staff is not None
        csv = (f'name,handle,platform\n"{CREATOR_NAME}",evil,instagram\n'
               f'"{REVIEWED}",evil2,tiktok\n').encode()
        imports.commit(db, manager, imports.preview(db, manager, "creators", csv, "c.csv"))
        creator = db.value("SELECT id FROM creators WHERE handle = 'evil'")
        reviewed = db.value("SELECT id FROM creators WHERE handle = 'evil2'")
        client = campaigns.add_client(db, manager, CLIENT_NAME)
        self.campaign = campaigns.create_campaign(db, manager, CampaignFields(
            CAMPAIGN_NAME, client, manager.id, "", dt.date(2026, 3, 1), dt.date(2026, 6, 30),
            "1000", "EUR"))
        self.collab = add_collab(db, self.campaign, creator, "negotiating")
        add_collab(db, self.campaign, reviewed, "fulfilling")
        for tag in TAGS:
            creators.add_tag(db, staff, creator, tag)
        version = db.value("SELECT version FROM collaborations WHERE id = ?", [self.collab])
        collaborations.change_status(db, staff, self.collab, version, "cancelled", CANCEL_REASON)
        [delivery] = reviewers.invite(db, manager, self.campaign, REVIEWER,
                                      settings=lambda: None,
                                      base_url="https://desk.agency.test").deliveries
        token = delivery.link.split("token=", 1)[1]
        piece = reviewers.submit_feedback(db, token, "creator", reviewed, FEEDBACK, "approve")
        feedback.answer(db, staff, piece, REPLY, ReplyKind.REPLY)


@pytest.fixture
def hostile_app(seed: Seed, tmp_path: Path) -> Iterator[tuple[AppServer, Hostile]]:
    server = AppServer(seed, tmp_path / "app")
    db = Database(server.db_path)  # written before the server holds the file
    try:
        hostile = Hostile(db, seed)
    finally:
        db.close()
    yield server.start(), hostile
    server.stop()


def shown(text: str) -> str:
    """`text` as a browser's innerText has it: HTML collapses runs of blanks in a line."""
    return "\n".join(re.sub(r"[ \t]+", " ", line).strip() for line in text.splitlines())


# Anything markdown could have made out of user text.
FORMED = ("img, a:not([href^='#']), span[style], span[role='img'], [class*='Colored'], "
          "[class*='Badge'], em, del, code, pre, kbd, blockquote, ul, ol, li, table, hr, "
          "h1, h2, h3, h4, h5, h6, .katex, [data-testid='stIconMaterial']")


# The elements showing `want` (as innerText), each with what markdown formed inside it.
HOLDERS_JS = """([want, formed]) => {
    const norm = t => t.split('\\n')
        .map(l => l.replace(/[ \\t]+/g, ' ').trim()).join('\\n');
    const holders = [...document.querySelectorAll(
        "[data-testid='stMarkdownContainer'], [data-testid='stCaptionContainer'], " +
        "[data-testid='stText']")].filter(e => norm(e.innerText).includes(want));
    return holders.map(e => ({
        text: e.innerText,
        // The page's own markup around the user text: st.title's heading and anchor,
        // bold text, never anything inside the typed part.
        formed: [...e.querySelectorAll(formed)].map(f => f.outerHTML)
            .filter(h => !/^<h[1-6]|^<a href="#|stHeaderActionElements/.test(h)),
    }));
}"""


def assert_shown_as_typed(page: Page, typed: str) -> None:
    """Some element shows exactly `typed` (as innerText), in a markdown container holding
    no element formed by markdown, or in a plain text element. Waits for it to be drawn (a
    page's run sends its elements one by one)."""
    arg = [shown(typed), FORMED]
    try:
        page.wait_for_function(f"args => ({HOLDERS_JS})(args).length > 0", arg=arg, polling=100)
    except PlaywrightTimeoutError:
        raise AssertionError(f"{typed!r} is not shown as typed") from None
    for holder in page.evaluate(HOLDERS_JS, arg):
        assert holder["formed"] == [], holder


def assert_nothing_formed(page: Page) -> None:
    main = page.get_by_test_id("stMain")
    expect(main.locator("img")).to_have_count(0)
    expect(main.locator("[data-testid='stMarkdownContainer'] a:not([href^='#'])")).to_have_count(0)
    expect(main.locator(".stMarkdownColoredText, .stMarkdownColoredBackground")).to_have_count(0)
    expect(main.locator("[data-testid='stMarkdownContainer'] .katex")).to_have_count(0)
    expect(main.locator("[data-testid='stMarkdownContainer'] span[role='img']")).to_have_count(0)
    expect(main.locator("[data-testid='stMarkdownContainer'] blockquote, "
                        "[data-testid='stMarkdownContainer'] li")).to_have_count(0)


def test_hostile_text_is_shown_as_typed(
    hostile_app: tuple[AppServer, Hostile], page: Page
) -> None:
    server, hostile = hostile_app
    # Login returns to the URL that was asked for.
    ui.fill_login_form(page, f"{server.url}/collaboration?id={hostile.collab}", "staff",
                       PASSWORD)
    expect(page.get_by_role("heading", level=1)).to_contain_text(CREATOR_NAME)
    assert_shown_as_typed(page, f"{CREATOR_NAME} × {CAMPAIGN_NAME}")
    assert_shown_as_typed(page, CLIENT_NAME)
    assert_shown_as_typed(page, f"Cancelled: {CANCEL_REASON}")
    assert_shown_as_typed(page, "Tags: " + ", ".join(sorted(TAGS)))
    assert_nothing_formed(page)
    ui.screenshot(page, "13-user-text-collaboration")

    nav = page.get_by_test_id("stSidebarNav")
    ui.click(page, nav.get_by_role("link", name="Feedback"))
    ui.choose(page, "Campaign", CAMPAIGN_NAME)  # options are plain text: the name as typed
    expect(page.get_by_text("1 approve · 0 decline", exact=False).first).to_be_visible()
    for typed in (CLIENT_NAME, REVIEWER, FEEDBACK, REPLY, REVIEWED):
        assert_shown_as_typed(page, typed)
    assert_nothing_formed(page)
    ui.screenshot(page, "13-user-text-feedback")
