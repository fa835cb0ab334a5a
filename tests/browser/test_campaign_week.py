"""A whole campaign week in the browser, as a manager: a new campaign, creators in from the
creator base, a pre-selection, agreements out, some accepted and one declined, the start of
collaborations, and the new collaborations on the Collaborations page and in the Progress
charts (their downloaded data). The database file is
checked afterwards (the test has a server of its own).
"""

from __future__ import annotations

import csv
import re

import pytest
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import Locator, Page, expect

from tests.browser import ui

pytestmark = pytest.mark.browser

CAMPAIGN = "Browser Week"


def grid_with(page: Page, column: str) -> Locator:
    """The visible data grid that has a column called `column` (grids in hidden tabs and
    closed expanders are left out, so one page may hold several tables)."""
    grids = page.locator('[data-testid="stDataFrame"]:visible')
    header = page.locator("thead th", has_text=re.compile(f"^{re.escape(column)}$"))
    return grids.filter(has=header)


def pick_in_form(page: Page, label: str, option: str) -> None:
    """Choose in a selectbox inside a form: unlike ui.choose, no script run follows."""
    combobox = page.get_by_role("combobox", name=label, exact=True)
    item = page.get_by_role("option", name=option)
    for attempt in range(1, ui.ATTEMPTS + 1):
        # The list closes when the page scrolls or redraws under it: open it again (ui.choose).
        ui.scroll_into_view(page, combobox, center=True)
        combobox.click()
        try:
            item.click(timeout=ui.RETRY_MS)
            break
        except PlaywrightError:
            if attempt == ui.ATTEMPTS:
                raise
            ui.close_list(combobox)
    expect(combobox).to_have_value(option)


def button(page: Page, name: str) -> Locator:
    return page.get_by_role("button", name=name, exact=True)


def open_tab(page: Page, name: str) -> None:
    page.get_by_role("tab", name=name).click()  # switching tabs runs no script
    expect(page.get_by_role("tab", name=name)).to_have_attribute("aria-selected", "true")


def create_campaign(page: Page) -> None:
    ui.click(page, page.get_by_test_id("stSidebarNav").get_by_role("link", name="Campaigns"))
    expect(page.get_by_role("heading", name="Campaigns", exact=True)).to_be_visible()
    page.get_by_text("New campaign", exact=True).click()
    form = page.get_by_test_id("stForm").filter(has=button(page, "Create campaign"))
    form.get_by_role("textbox", name="Campaign name").fill(CAMPAIGN)
    pick_in_form(page, "Client of the campaign", "Acme")
    form.get_by_role("spinbutton", name="Budget").fill("4000")
    form.get_by_text("Open for applications right away").click()
    ui.click(page, button(page, "Create campaign"))
    ui.expect_toast(page, f"Campaign {CAMPAIGN} created.")
    expect(page.get_by_role("heading", name=CAMPAIGN)).to_be_visible()


def applications_in_and_preselected(page: Page) -> None:
    page.get_by_text("Add creators from the creator base").click()
    found = grid_with(page, "Engagement %")
    ui.tick_rows(page, found, 0, 1, 2, 3, 4)  # the five most followed: Tim, Sophie, Radia, ...
    ui.click(page, button(page, "Record as applied"))
    ui.expect_toast(page, "5 added.")

    applications = grid_with(page, "Source")
    expect(ui.grid_rows(page).first).to_be_attached()
    expect(applications.locator("tbody tr")).to_have_count(5)
    ui.tick_rows(page, applications, 0, 1, 2, 3)
    ui.choose(page, "Move selected to", "Selected")
    ui.click(page, button(page, "Change stage"))
    ui.expect_toast(page, "4 moved to Selected.")
    ui.screenshot(page, "06-campaign-applications")


def agreements_out_and_answered(page: Page) -> None:
    open_tab(page, "Agreements")
    # a column of its own in the first screen's width (the grid draws only the columns in view)
    agreements = grid_with(page, "Compensation")
    expect(agreements.locator("tbody tr")).to_have_count(4)
    ui.tick_rows(page, agreements, 0, 1, 2, 3)
    form = page.get_by_test_id("stForm").filter(has=button(page, "Send agreements"))
    form.get_by_role("textbox", name="Deliverables").fill("1 reel + 2 stories")
    form.get_by_role("spinbutton", name="Compensation").fill("650")
    ui.click(page, button(page, "Send agreements"))
    ui.expect_toast(page, "4 agreements sent.")
    for row in agreements.locator("tbody tr").all():
        # A pill's label ("Pending") is drawn on the grid's canvas; the grid's accessible
        # table, which the DOM holds, carries the stored value ("pending").
        expect(row).to_contain_text(re.compile("pending", re.IGNORECASE))
        expect(row).to_contain_text("left")

    ui.tick_rows(page, agreements, 0, 1, 2)
    ui.click(page, button(page, "Record accepted"))
    ui.expect_toast(page, "3 recorded as accepted.")
    ui.tick_rows(page, agreements, 3)
    ui.click(page, button(page, "Record declined"))
    ui.expect_toast(page, "1 recorded as declined.")
    ui.screenshot(page, "06-campaign-agreements")


def collaborations_started(page: Page) -> None:
    ui.click(page, button(page, "Close applications"))
    ui.expect_toast(page, "The campaign is now closed.")
    open_tab(page, "Start collaborations")
    expect(page.get_by_text("Goes in (3)")).to_be_visible()
    expect(page.get_by_text("Does not go in (2)")).to_be_visible()
    start = button(page, "Start 3 collaborations")
    expect(start).to_be_disabled()
    ui.click(page, page.get_by_text("I have checked who goes in and who does not"))
    ui.screenshot(page, "06-campaign-start-confirmation")
    ui.click(page, start)
    started = "3 collaborations started; 2 creators told they were not selected."
    ui.expect_toast(page, started)
    open_tab(page, "Start collaborations")
    expect(page.get_by_text("Collaborations started on")).to_be_visible()


def seen_on_the_collaborations_page(page: Page) -> None:
    ui.click(page, page.get_by_test_id("stSidebarNav").get_by_role("link", name="Collaborations"))
    ui.choose(page, "Campaign", CAMPAIGN)
    expect(ui.total_caption(page)).to_have_text("3 collaborations · page 1 of 1")
    rows = ui.grid_rows(page)
    expect(rows).to_have_count(3)
    for row in rows.all():
        expect(row).to_contain_text(re.compile("fulfilling", re.IGNORECASE))
        expect(row).to_contain_text(CAMPAIGN)
    ui.screenshot(page, "06-campaign-collaborations")


def downloaded_csv(page: Page, button: str) -> list[dict[str, str]]:
    """Press a download button and read the CSV file the browser saved."""
    download = ui.download(page, page.get_by_role("button", name=button))
    with open(download.path(), newline="") as saved:
        return list(csv.DictReader(saved))


def seen_in_the_progress_chart(page: Page) -> None:
    ui.click(page, page.get_by_test_id("stSidebarNav").get_by_role("link", name="Progress"))
    ui.choose(page, "Campaign", CAMPAIGN)
    charts = page.get_by_test_id("stVegaLiteChart")
    expect(charts).to_have_count(3)  # weekly statuses, funnel, median days
    for chart in charts.all():
        expect(chart.locator("canvas, svg").first).to_be_visible()
    ui.screenshot(page, "07-campaign-progress")

    weeks = downloaded_csv(page, "Download weekly status (CSV)")
    last_week = max(row["week"] for row in weeks)
    at_the_end = {row["status"]: int(row["collaborations"]) for row in weeks
                  if row["week"] == last_week and int(row["collaborations"])}
    assert at_the_end == {"fulfilling": 3}
    funnel = {row["stage"]: row["count"] for row in downloaded_csv(
        page, "Download funnel (CSV)")}
    assert funnel == {"applied": "5", "selected": "4", "agreement sent": "4", "accepted": "3",
                      "collaborating": "3", "completed": "0"}


def test_a_campaign_week(page: Page, private_app, login) -> None:
    login(page, "manager", private_app)
    create_campaign(page)
    applications_in_and_preselected(page)
    agreements_out_and_answered(page)
    collaborations_started(page)
    seen_on_the_collaborations_page(page)
    seen_in_the_progress_chart(page)

    db = private_app.open_db()  # stops the server
    try:
        campaign_id, status = db.one(
            "SELECT id, status FROM campaigns WHERE name = ?", [CAMPAIGN])
        assert status == "running"
        assert db.rows(
            "SELECT status, compensation::VARCHAR, deliverables, version FROM collaborations"
            " WHERE campaign_id = ?", [campaign_id]) == [
            ("fulfilling", "650.00", "1 reel + 2 stories", 2)] * 3
        assert dict(db.rows(
            "SELECT kind, count(*) FROM messages WHERE campaign_id = ? GROUP BY ALL",
            [campaign_id])) == {"agreement_sent": 4, "congratulations": 3, "not_selected": 2}
        assert db.value(
            "SELECT count(*) FROM campaign_events WHERE campaign_id = ?"
            " AND kind = 'collaborations_started'", [campaign_id]) == 1
    finally:
        db.close()
