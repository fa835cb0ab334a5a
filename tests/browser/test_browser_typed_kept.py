"""Nothing typed is thrown away (issue 15, point 2), in the browser at 1366x768: a message the
SMTP server on 127.0.0.1 refuses stays in the form with one message saying what to do; sent
once the server takes it, the form is empty again."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.browser import ui
from tests.browser.conftest import AppServer, Seed
from tests.browser.test_browser_inbox import open_thread

pytestmark = pytest.mark.browser

LAPTOP = {"width": 1366, "height": 768}


@pytest.fixture
def mail_app(seed: Seed, tmp_path: Path, smtp_server) -> Iterator[AppServer]:
    """A server of the test's own whose e-mail goes to `smtp_server` (started after it, so it
    inherits the COLLABDESK_SMTP_* variables)."""
    server = AppServer(seed, tmp_path / "app").start()
    yield server
    server.stop()


def test_a_refused_send_keeps_the_message(
    page: Page, mail_app: AppServer, seed: Seed, smtp_server, login
) -> None:
    page.set_viewport_size(LAPTOP)
    smtp_server.refuse.add("hedy@example.com")
    login(page, "staff", mail_app)
    ui.click(page, page.get_by_test_id("stSidebarNav").get_by_role("link", name="Inbox"))
    hedy = seed.creators["Hedy"]
    ui.type_into(page, "Search creators", "Hedy")
    open_thread(page, seed, "Hedy")  # and sees her heading
    subject = page.locator(f".st-key-compose_subject_{hedy} input")
    body = page.locator(f".st-key-compose_body_{hedy} textarea")
    subject.fill("Your Spring brief")
    body.fill("Hi {first_name},\nthe brief is below; three paragraphs typed with care.")
    send = page.get_by_role("button", name="Send e-mail")
    ui.click(page, send)

    errors = page.get_by_test_id("stAlertContentError")
    expect(errors).to_have_count(1)
    expect(errors).to_contain_text("550 No such user here")
    expect(errors).to_contain_text("Press Retry")
    expect(subject).to_have_value("Your Spring brief")
    expect(body).to_have_value(
        "Hi {first_name},\nthe brief is below; three paragraphs typed with care.")
    ui.scroll_into_view(page, send, center=True)
    ui.screenshot(page, "15-inbox-send-refused")

    smtp_server.refuse.clear()  # the server takes it now: the kept text goes out as typed
    ui.click(page, send)
    ui.expect_toast(page, "Sent to hedy@example.com.")
    expect(subject).to_have_value("")
    expect(body).to_have_value("")
    [received] = smtp_server.to("hedy@example.com")
    assert received["Subject"] == "Your Spring brief"
