"""The collaborations list: filters, search, the total, row selection, and what a viewer sees."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.browser import ui

pytestmark = pytest.mark.browser


def test_filters_and_search_change_the_total(page: Page, login) -> None:
    login(page, "viewer")
    total = ui.total_caption(page)
    expect(total).to_have_text("60 collaborations · page 1 of 2")

    ui.choose(page, "Status", "Pending")
    expect(total).to_have_text("18 collaborations · page 1 of 1")

    ui.choose(page, "Campaign", "Launch")
    expect(total).to_have_text("6 collaborations · page 1 of 1")
    rows = ui.grid_rows(page)
    expect(rows).to_have_count(6)
    for row in rows.all():
        expect(row).to_contain_text("Launch")
        expect(row).to_contain_text(re.compile("pending", re.IGNORECASE))

    ui.type_into(page, "Search creator", "@ada")  # Ada Lovelace and Mary Shelley share @ada
    expect(total).to_have_text("2 collaborations · page 1 of 1")
    expect(rows).to_have_count(2)
    expect(rows.nth(0)).to_contain_text("Mary Shelley")
    expect(rows.nth(1)).to_contain_text("Ada Lovelace")

    ui.type_into(page, "Search creator", "nobody-has-this-name")
    expect(total).to_have_text("0 collaborations · page 1 of 1")
    expect(rows).not_to_contain_text(["Launch"])  # the grid keeps one blank row when empty


def test_a_viewer_sees_no_edit_controls(page: Page, login) -> None:
    login(page, "viewer")
    expect(page.get_by_text("Your role can read collaborations")).to_be_visible()
    expect(page.get_by_role("button", name="Preview change")).to_have_count(0)
    expect(page.get_by_role("heading", name="Change status")).to_have_count(0)

    ui.select_rows(page, 0)
    ui.click(page, page.get_by_role("button", name="Open #"))

    expect(page.get_by_role("heading", name="×")).to_be_visible()
    expect(page.get_by_role("heading", name="Timeline")).to_have_count(0)
    expect(page.get_by_role("tab", name="Timeline")).to_be_visible()
    expect(page.get_by_role("tab", name="Add a note")).to_have_count(0)
    expect(page.get_by_role("button", name="Add note")).to_have_count(0)
    expect(page.get_by_role("button", name="Change status")).to_have_count(0)
    expect(page.get_by_role("button", name="Edit tags and badge")).to_have_count(0)
    expect(page.get_by_role("button", name="Save terms")).to_be_disabled()
    ui.screenshot(page, "04-detail-viewer")


def test_changing_the_filter_clears_the_row_selection(page: Page, login) -> None:
    """Selected rows are positions on the shown page; under another filter they would name
    other collaborations (or none), so a new filter must start with nothing selected."""
    login(page, "staff")
    ui.select_rows(page, 0, 8)
    expect(page.get_by_role("radio", name="Selected rows (2)")).to_be_attached()

    ui.choose(page, "Campaign", "Launch")
    ui.choose(page, "Status", "Pending")

    expect(ui.total_caption(page)).to_have_text("6 collaborations · page 1 of 1")
    expect(page.get_by_test_id("stException")).to_have_count(0)
    expect(page.get_by_role("radio", name="Selected rows (0)")).to_be_attached()
    expect(ui.grid(page).locator('tbody tr[aria-selected="true"]')).to_have_count(0)

    ui.select_rows(page, 1)  # ticking a row afterwards must not bring the old ones back
    expect(page.get_by_role("radio", name="Selected rows (1)")).to_be_attached()
    expect(ui.grid(page).locator('tbody tr[aria-selected="true"]')).to_have_count(1)
