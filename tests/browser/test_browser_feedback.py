"""Feedback in the browser: a manager invites a reviewer (the invitation goes through a real
SMTP server on 127.0.0.1), the reviewer opens the mailed link in a fresh browser context,
approves one creator and declines another with comments; the manager sees both on the
Feedback page and replies; the reviewer sees the reply. And a bad link shows nothing else.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Locator, Page, expect

from tests.browser import ui
from tests.browser.conftest import TIMEOUT_MS, VIEWPORT, AppServer, Seed

pytestmark = pytest.mark.browser

REVIEWER = "client@brand.test"
NOT_VALID = "This link is not valid."
HOSTILE = '![pixel](http://127.0.0.1:9/pixel.png) <img src="x" id="injected"> **loud**'


@pytest.fixture
def review_app(seed: Seed, tmp_path: Path, smtp_server, monkeypatch) -> Iterator[AppServer]:
    """A server of the test's own that mails through `smtp_server` and links to itself."""
    server = AppServer(seed, tmp_path / "app")
    monkeypatch.setenv("COLLABDESK_BASE_URL", server.url)  # smtp_server set COLLABDESK_SMTP_*
    yield server.start()
    server.stop()


def fresh_page(browser: Browser) -> Page:
    """A page in a browser context of its own: no cookie of the staff's session."""
    context = browser.new_context(viewport=VIEWPORT)
    context.set_default_timeout(TIMEOUT_MS)
    context.add_init_script(ui.RUN_TRACKER_JS)
    return context.new_page()


def button(where: Page | Locator, name: str) -> Locator:
    return where.get_by_role("button", name=name, exact=True)


def open_tab(page: Page, name: str) -> None:
    page.get_by_role("tab", name=name).click()  # switching tabs runs no script
    expect(page.get_by_role("tab", name=name)).to_have_attribute("aria-selected", "true")


def form_with(page: Page, text: str) -> Locator:
    return page.get_by_test_id("stForm").filter(has_text=text)


def assert_nothing_but_not_valid(page: Page) -> None:
    expect(page.get_by_role("heading", name=NOT_VALID)).to_be_visible()
    expect(page.get_by_test_id("stSidebar")).to_have_count(0)
    expect(page.get_by_test_id("stSidebarNav")).to_have_count(0)
    expect(page.get_by_role("textbox")).to_have_count(0)
    expect(page.get_by_test_id("stMarkdown")).to_have_count(1)  # the caption asking for a link


# --- the round trip ------------------------------------------------------------------------


def invite_reviewer(page: Page, smtp_server) -> str:
    ui.click(page, page.get_by_test_id("stSidebarNav").get_by_role("link", name="Feedback"))
    expect(page.get_by_role("heading", name="Feedback", exact=True)).to_be_visible()
    ui.choose(page, "Campaign", "Spring — Acme")
    open_tab(page, "Reviewers")
    expect(page.get_by_text("Nobody reviews this campaign yet.")).to_be_visible()
    page.get_by_role("textbox", name="Invite reviewers: e-mail addresses").fill(REVIEWER)
    ui.click(page, button(page, "Send invitations"))
    ui.expect_toast(page, "1 invited.")
    expect(page.get_by_text(f"Link mailed to {REVIEWER}.")).to_be_visible()
    ui.screenshot(page, "07-feedback-reviewer-invited")

    [mail] = smtp_server.to(REVIEWER)
    assert mail["Subject"] == "Your review link for Spring (Acme)"
    [link] = re.findall(r"http://localhost:\d+/review\?token=[\w-]{43}", mail.get_content())
    return link


def give_feedback(page: Page, creator: str, text: str, verdict: str) -> None:
    form = form_with(page, f"Your feedback on {creator}")
    form.get_by_role("textbox").fill(text)
    form.get_by_text(verdict, exact=True).click()  # a radio in a form runs no script
    ui.click(page, button(form, "Submit feedback"))
    ui.expect_toast(page, "Thank you: your feedback was sent.")
    expect(page.get_by_text(text, exact=True)).to_be_visible()


def reviewer_gives_feedback(reviewer: Page, link: str) -> None:
    ui.goto(reviewer, link)
    expect(reviewer.get_by_role("heading", name="Spring", exact=True)).to_be_visible()
    expect(reviewer.get_by_text(f"you review as {REVIEWER}")).to_be_visible()
    expect(reviewer.get_by_test_id("stSidebarNav")).to_have_count(0)
    expect(reviewer.get_by_test_id("stSidebar")).to_have_count(0)
    expect(reviewer.get_by_role("button", name="Log out")).to_have_count(0)
    pdf_button = reviewer.get_by_role("button", name="Profile (PDF)")
    card = reviewer.get_by_test_id("stVerticalBlock").filter(
        has_text="Your feedback on Ada Lovelace").filter(has=pdf_button).last
    download = ui.download(reviewer, card.get_by_role("button", name="Profile (PDF)"))
    report = Path(download.path()).read_bytes()
    assert report.startswith(b"%PDF-") and b"Creator profile: Ada Lovelace" in report
    give_feedback(reviewer, "Ada Lovelace", "Great fit for the spring look", "Approve")
    give_feedback(reviewer, "Alan Turing", HOSTILE, "No verdict")  # shown as typed
    assert_shown_as_text(reviewer)
    ui.screenshot(reviewer, "07-feedback-reviewer-page")
    turn_to_page(reviewer, 2)  # five creators a page, by name: Grace is on the second
    give_feedback(reviewer, "Grace Hopper", "Not the right audience for us", "Decline")


def turn_to_page(page: Page, number: int) -> None:
    """Type a page number into the visible tab's page box (Enter sends it)."""
    box = page.get_by_role("spinbutton", name="Page").locator("visible=true").first
    box.fill(str(number))
    ui.rerun(page, lambda: box.press("Enter"))


def assert_shown_as_text(page: Page) -> None:
    expect(page.get_by_text(HOSTILE, exact=True)).to_be_visible()
    expect(page.locator("#injected")).to_have_count(0)
    expect(page.locator("img[src*='pixel']")).to_have_count(0)
    expect(page.locator("strong", has_text="loud")).to_have_count(0)


def manager_is_notified(page: Page) -> None:
    nav = page.get_by_test_id("stSidebarNav")
    ui.click(page, nav.get_by_role("link", name="Feedback"))  # a run draws the count anew
    ui.click(page, nav.get_by_role("link", name="Notifications (3)"))
    expect(page.get_by_text(f"{REVIEWER} approved Ada Lovelace (Spring)")).to_be_visible()
    expect(page.get_by_text(f"{REVIEWER} declined Grace Hopper (Spring)")).to_be_visible()
    expect(nav.get_by_role("link", name="Notifications", exact=True)).to_be_visible()  # read
    ui.screenshot(page, "07-feedback-notifications")
    ui.click(page, page.get_by_role("link", name="Open feedback").first)


def answer(page: Page, feedback_text: str, text: str, how: str) -> None:
    """Answer the piece of feedback saying `feedback_text`, in its own thread's form."""
    thread = page.get_by_test_id("stVerticalBlock").filter(has_text=feedback_text).filter(
        has=page.get_by_role("button", name=how)).last
    form = thread.get_by_test_id("stForm")
    form.get_by_role("textbox", name="Answer").fill(text)
    ui.click(page, button(form, how))


def manager_reads_and_replies(page: Page) -> None:
    expect(page.get_by_role("heading", name="Feedback", exact=True)).to_be_visible()
    expect(page.get_by_role("combobox", name="Campaign", exact=True)).to_have_value(
        "Spring — Acme")
    ada = page.get_by_test_id("stVerticalBlock").filter(
        has_text="Great fit for the spring look").last
    expect(ada).to_contain_text(REVIEWER)
    expect(ada).to_contain_text("Approve")
    grace = page.get_by_test_id("stVerticalBlock").filter(
        has_text="Not the right audience for us").last
    expect(grace).to_contain_text("Decline")
    expect(page.get_by_text("1 approve · 0 decline", exact=False).first).to_be_visible()
    expect(page.get_by_text("0 approve · 1 decline", exact=False).first).to_be_visible()
    expect(page.get_by_text("3 pieces of feedback, 3 unanswered", exact=False)).to_be_visible()
    assert_shown_as_text(page)

    answer(page, "Not the right audience for us", "Thanks, we will propose someone else.",
           "Reply to reviewer")
    ui.expect_toast(page, "Reply sent to the reviewer.")
    expect(page.get_by_text("Thanks, we will propose someone else.")).to_be_visible()
    answer(page, "Great fit for the spring look", "She costs too much anyway",
           "Add internal note")
    ui.expect_toast(page, "Internal note added.")
    expect(page.get_by_text("She costs too much anyway")).to_be_visible()
    ui.screenshot(page, "07-feedback-staff-page")


def reviewer_sees_the_reply(reviewer: Page, link: str) -> None:
    ui.goto(reviewer, link)
    turn_to_page(reviewer, 2)  # Grace's card, where the reply to her feedback is
    expect(reviewer.get_by_text("Thanks, we will propose someone else.")).to_be_visible()
    expect(reviewer.get_by_text("Reply from Manager Person", exact=False)).to_be_visible()
    expect(reviewer.get_by_text("She costs too much anyway")).to_have_count(0)
    ui.screenshot(reviewer, "07-feedback-reviewer-sees-reply")


def test_a_reviewer_round_trip(
    page: Page, browser: Browser, review_app: AppServer, login, smtp_server
) -> None:
    login(page, "manager", review_app)
    link = invite_reviewer(page, smtp_server)
    reviewer = fresh_page(browser)
    try:
        reviewer_gives_feedback(reviewer, link)
        manager_is_notified(page)
        manager_reads_and_replies(page)
        reviewer_sees_the_reply(reviewer, link)
    finally:
        reviewer.context.close()

    db = review_app.open_db()  # stops the server
    token = link.split("token=")[1]
    assert token not in review_app.log_path.read_text(errors="replace")  # never logged
    try:
        assert db.rows(
            "SELECT cr.name, f.verdict, f.body FROM feedback f JOIN creators cr"
            " ON cr.id = f.creator_id ORDER BY f.id") == [
            ("Ada Lovelace", "approve", "Great fit for the spring look"),
            ("Alan Turing", None, HOSTILE),
            ("Grace Hopper", "decline", "Not the right audience for us")]
        assert dict(db.rows("SELECT kind, count(*) FROM feedback_replies GROUP BY ALL")) == {
            "reply": 1, "internal_note": 1}
        assert db.value("SELECT last_visit_at IS NOT NULL FROM reviewers") is True
        assert db.value("SELECT count(*) FROM notifications WHERE read_at IS NULL") == 0
    finally:
        db.close()


# --- bad links ------------------------------------------------------------------------------


def test_a_bad_link_shows_only_that_it_is_not_valid(page: Page, app: AppServer, login) -> None:
    ui.goto(page, f"{app.url}/review?token={'A' * 43}")
    assert_nothing_but_not_valid(page)
    ui.goto(page, f"{app.url}/review")
    assert_nothing_but_not_valid(page)
    ui.goto(page, f"{app.url}/?token=%3Cscript%3E")
    assert_nothing_but_not_valid(page)
    ui.screenshot(page, "07-feedback-link-not-valid")
    # Logged in as staff in the same browser: a bad link still shows nothing of the app.
    login(page, "manager")
    ui.goto(page, f"{app.url}/review?token={'B' * 43}")
    assert_nothing_but_not_valid(page)
    expect(page.get_by_role("button", name="Log out")).to_have_count(0)


def test_a_link_as_the_first_visit_of_a_fresh_server_shows_no_page_list(
    page: Page, private_app: AppServer
) -> None:
    """On a fresh server Streamlit would run the page file alone with every page listed in a
    sidebar; the review page sends itself through app.py instead."""
    ui.goto(page, f"{private_app.url}/review?token={'C' * 43}")
    assert_nothing_but_not_valid(page)
