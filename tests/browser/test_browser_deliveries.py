"""Deliveries in the browser, as staff: three products shipped to a campaign's creators, one
marked in transit with a tracking number, one delivered, one an exception with a reason; the
summary tiles follow each step. Then the spreadsheet round trip: the address list downloaded,
filled in and uploaded again. The database file is checked afterwards (the test has a server
of its own)."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from openpyxl import load_workbook
from playwright.sync_api import Locator, Page, expect

from tests.browser import ui

pytestmark = pytest.mark.browser

ITEM = "Serum kit"
REASON = "Returned: parcel damaged"
TRACKING = "JJD0099887766"


def grid_with(page: Page, column: str) -> Locator:
    """The visible data grid with a column called `column` (grids in hidden tabs are left out)."""
    grids = page.locator('[data-testid="stDataFrame"]:visible')
    header = page.locator("thead th", has_text=re.compile(f"^{re.escape(column)}$"))
    return grids.filter(has=header)


def tile(page: Page, label: str) -> Locator:
    """The value of the summary tile labelled `label`."""
    label_box = page.get_by_test_id("stMetricLabel").filter(
        has_text=re.compile(f"^{re.escape(label)}$")
    )
    return page.get_by_test_id("stMetric").filter(has=label_box).get_by_test_id("stMetricValue")


def expect_tiles(
    page: Page, pending: int, in_transit: int, delivered: int, exceptions: int
) -> None:
    for label, count in (("Pending", pending), ("In transit", in_transit),
                         ("Delivered", delivered), ("Exceptions", exceptions)):  # fmt: skip
        expect(tile(page, label)).to_have_text(str(count))


def button(page: Page, name: str) -> Locator:
    return page.get_by_role("button", name=name, exact=True)


def open_tab(page: Page, name: str) -> None:
    page.get_by_role("tab", name=name).click()  # switching tabs runs no script
    expect(page.get_by_role("tab", name=name)).to_have_attribute("aria-selected", "true")


def ship_three(page: Page) -> None:
    open_tab(page, "New shipments")
    ui.choose(page, "Campaign to ship for", "Launch")
    offered = grid_with(page, "Shipping address")
    expect(offered.locator("tbody tr")).to_have_count(4)  # Launch's fulfilling collaborations
    ui.tick_rows(page, offered, 0, 1, 2)
    expect(page.get_by_text("Ticked collaborations (3)")).to_be_visible()
    ui.type_into(page, "Item", ITEM)
    ui.click(page, button(page, "Preview shipments"))
    expect(page.get_by_text("3 will get a shipment of " + ITEM)).to_be_visible()
    ui.screenshot(page, "08-deliveries-new-shipments")
    ui.click(page, button(page, "Create 3 shipments"))
    ui.expect_toast(page, "3 shipments created.")
    expect_tiles(page, 3, 0, 0, 0)


def change_first_pending(page: Page, status: str, reason: str = "", tracking: str = "") -> None:
    """Tick the first pending shipment of the list (filtered to pending ones) and move it."""
    # The toast of the change before says the same words; Streamlit would take a new one for
    # the old one (and let it go when the old one's time is up), so it must be gone first.
    expect(page.get_by_test_id("stToast")).to_have_count(0)
    open_tab(page, "Change status")
    # The list is wider than the screen (its columns hold their titles): a column on the left.
    pending = grid_with(page, "Tracking number")
    ui.tick_rows(page, pending, 0)
    ui.choose(page, "New status", status)
    if reason:
        ui.type_into(page, "Reason (required for an exception: returned, damaged, lost…)",
                     reason)  # fmt: skip
    if tracking:
        ui.type_into(page, "Tracking number", tracking)
    ui.click(page, button(page, "Preview change"))
    expect(page.get_by_text("1 will change")).to_be_visible()
    ui.click(page, button(page, "Confirm 1 change"))
    ui.expect_toast(page, "1 shipment updated.")


def spreadsheet_round_trip(page: Page, folder: Path) -> None:
    """Download the campaign's address list, mark the shipment in transit as delivered in it,
    upload it, check the preview and apply."""
    open_tab(page, "Spreadsheet")
    ui.choose(page, "Campaign of the sheet", "Launch")
    download = ui.download(page, button(page, "Download address list (.xlsx)"))
    saved = folder / download.suggested_filename
    download.save_as(saved)
    assert saved.name.startswith("shipments-launch-") and saved.suffix == ".xlsx"
    book = load_workbook(io.BytesIO(saved.read_bytes()))
    sheet = book.active
    statuses = {row[0].row: row[8].value for row in sheet.iter_rows(min_row=2)}
    assert sorted(statuses.values()) == ["Delivered", "Exception", "In transit"]
    in_transit = next(r for r, status in statuses.items() if status == "In transit")
    sheet.cell(row=in_transit, column=9).value = "Delivered"
    book.save(saved)

    upload = page.get_by_test_id("stFileUploaderDropzoneInput")
    ui.rerun(page, lambda: upload.set_input_files(saved))
    ui.click(page, button(page, "Preview import"))
    expect(page.get_by_text("1 will update, 2 unchanged, 0 refused")).to_be_visible()
    ui.screenshot(page, "08-deliveries-import-preview")
    ui.click(page, button(page, "Apply 1 update"))
    ui.expect_toast(page, "Import: 1 shipment updated.")
    expect_tiles(page, 0, 0, 2, 1)


def test_ship_three_and_move_them(page: Page, private_app, login, tmp_path: Path) -> None:
    login(page, "staff", private_app)
    ui.click(page, page.get_by_test_id("stSidebarNav").get_by_role("link", name="Deliveries"))
    expect(page.get_by_role("heading", name="Deliveries", exact=True)).to_be_visible()
    expect_tiles(page, 0, 0, 0, 0)
    ship_three(page)

    ui.choose(page, "Status", "Pending")  # the list shows what is still to move
    expect(page.get_by_text(re.compile(r"3\s+shipments · page 1 of 1"))).to_be_visible()
    change_first_pending(page, "In transit", tracking=TRACKING)
    expect_tiles(page, 2, 1, 0, 0)
    expect(tile(page, "Oldest in transit")).to_have_text("0 days")
    change_first_pending(page, "Delivered")
    expect_tiles(page, 1, 1, 1, 0)
    change_first_pending(page, "Exception", reason=REASON)
    expect_tiles(page, 0, 1, 1, 1)
    expect(page.get_by_text(re.compile(r"0\s+shipments · page 1 of 1"))).to_be_visible()
    ui.screenshot(page, "08-deliveries-summary")
    spreadsheet_round_trip(page, tmp_path)

    db = private_app.open_db()  # stops the server
    try:
        campaign_id = db.value("SELECT id FROM campaigns WHERE name = 'Launch'")
        shipped = db.rows(
            "SELECT s.status, s.tracking_number, s.exception_reason, s.item, s.address,"
            " s.version FROM shipments s JOIN collaborations c ON c.id = s.collab_id"
            " WHERE c.campaign_id = ? ORDER BY s.status",
            [campaign_id],
        )
        assert shipped == [
            ("delivered", "", None, ITEM, "Main St 1, Berlin", 2),
            ("delivered", TRACKING, None, ITEM, "Main St 1, Berlin", 3),  # by the sheet
            ("exception", "", REASON, ITEM, "Main St 1, Berlin", 2),
        ]
        events = db.rows(
            "SELECT kind, to_status, actor FROM activity_events"
            " WHERE kind IN ('shipment_created', 'delivery_changed') ORDER BY id"
        )
        assert events == [("shipment_created", "pending", "staff")] * 3 + [
            ("delivery_changed", "in_transit", "staff"),
            ("delivery_changed", "delivered", "staff"),
            ("delivery_changed", "exception", "staff"),
            ("delivery_changed", "delivered", "staff"),
        ]
    finally:
        db.close()
