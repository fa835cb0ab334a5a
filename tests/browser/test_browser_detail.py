"""One collaboration: opened from the list, a note added, and the note in the timeline."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.browser import ui

pytestmark = pytest.mark.browser


def test_open_a_collaboration_and_add_a_note(page: Page, app, login) -> None:
    grace_spring = app.seed.collabs[("Spring", "pending")][-2]  # Ada is the oldest, then Grace
    login(page, "staff")
    ui.choose(page, "Campaign", "Spring")
    ui.type_into(page, "Search creator", "grace")
    expect(ui.total_caption(page)).to_have_text("1 collaboration · page 1 of 1")
    ui.select_rows(page, 0)

    ui.click(page, page.get_by_role("button", name=f"Open #{grace_spring}"))

    expect(page).to_have_url(re.compile(rf"/collaboration\?id={grace_spring}$"))
    expect(page.get_by_role("heading", name="Grace Hopper × Spring")).to_be_visible()
    expect(page.get_by_text(f"#{grace_spring} · Acme")).to_be_visible()
    expect(page.get_by_text("@grace on instagram")).to_be_visible()
    ui.screenshot(page, "05-detail")

    note = "Called Grace: shoot moved to Friday, <b>bring</b> the *red* jacket"
    page.get_by_role("tab", name="Timeline").click()  # the note form is above the timeline
    page.get_by_role("textbox", name="Note").fill(note)
    ui.click(page, page.get_by_role("button", name="Add note"))

    expect(ui.toast(page, "Note added.")).to_be_visible()
    expect(page.get_by_role("textbox", name="Note")).to_have_value("")  # the form was cleared
    page.get_by_role("tab", name="Timeline").click()
    timeline = page.get_by_role("tabpanel", name="Timeline")
    newest = timeline.get_by_test_id("stDataFrame").locator("tbody tr").first
    expect(newest).to_contain_text(note)  # as text: no markdown or HTML rendering
    expect(newest).to_contain_text("staff")
    expect(newest).to_contain_text("Note")
    ui.screenshot(page, "05-detail-note-added")
