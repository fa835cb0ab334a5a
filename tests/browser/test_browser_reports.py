"""Reports in a real browser: a viewer builds the weekly report of a client and downloads the
workbook and the CSV files; a manager imports creators from a file (one row fails and is left
out) and finds them in the SQL console, which refuses a DELETE.

The seeded data (tests/browser/conftest.py): Acme's Spring and Summer campaigns hold 40
collaborations created on Monday 2 March 2026 (ISO week 2026-W10), 12 pending, 10
negotiating, 8 fulfilling, 6 completed and 4 cancelled (no status changes since).
"""

from __future__ import annotations

import csv
import io
import zipfile
from pathlib import Path

import pytest
from openpyxl import load_workbook
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import Locator, Page, expect

from tests.browser import ui

pytestmark = pytest.mark.browser


def button(page: Page, name: str) -> Locator:
    return page.get_by_role("button", name=name, exact=True)


def open_page(page: Page, title: str) -> None:
    ui.click(page, page.get_by_test_id("stSidebarNav").get_by_role("link", name=title))
    expect(page.get_by_role("heading", name=title, exact=True)).to_be_visible()


def pick(page: Page, label: str, option: str) -> None:
    """Choose the option labelled exactly `option` in a selectbox that starts empty."""
    combobox = page.get_by_role("combobox", name=label, exact=True)
    item = page.get_by_role("option", name=option, exact=True)
    since = ui.start_action(page)
    for attempt in range(1, ui.ATTEMPTS + 1):
        ui.scroll_into_view(page, combobox, center=True)
        combobox.click()
        try:
            item.click(timeout=ui.RETRY_MS)
        except PlaywrightError:
            if attempt == ui.ATTEMPTS:
                raise
            ui.close_list(combobox)
            continue
        if ui.request_sent(page, since):
            break
    ui.wait_for_run(page, since)
    expect(combobox).to_have_value(option)


def set_date(page: Page, label: str, day: str) -> None:
    """Type a date into a st.date_input: its year, month and day fields take the digits in
    turn, and Escape closes the calendar, which sends the date to the app."""
    year, month, date = day.split("-")
    page.get_by_role("spinbutton", name=f"year, {label}", exact=True).click()
    page.keyboard.type(year + month + date)
    ui.rerun(page, lambda: page.keyboard.press("Escape"))
    expect(page.get_by_role("spinbutton", name=f"day, {label}", exact=True)).to_have_text(date)


def download(page: Page, label: str, folder: Path) -> Path:
    """Click a download button (it starts no script run) and save what the browser got."""
    file = ui.download(page, button(page, label))
    target = folder / file.suggested_filename
    file.save_as(target)
    return target


def test_a_viewer_downloads_the_weekly_report(page: Page, login, tmp_path: Path) -> None:
    login(page, "viewer")
    open_page(page, "Reports")
    pick(page, "Client", "Acme")
    set_date(page, "Week of", "2026-03-04")
    expect(page.get_by_text("ISO week 2026-W10 (Monday 02 Mar to Sunday 08 Mar 2026)")
           ).to_be_visible()
    ui.click(page, button(page, "Build report"))
    expect(page.get_by_text("Report ready.")).to_be_visible()
    expect(page.get_by_text("Client Acme, week 2026-W10", exact=False)).to_be_visible()
    ui.screenshot(page, "08-reports-weekly")

    workbook = download(page, "Download workbook (.xlsx)", tmp_path)
    assert workbook.name == "weekly-report_client-acme_2026-W10.xlsx"
    book = load_workbook(workbook)
    assert book.sheetnames[:3] == ["Summary", "Status at week end", "Changes"]
    figures = {row[0]: row[1:3] for row in book["Summary"].iter_rows(min_row=7,
                                                                     values_only=True)}
    assert figures["Collaborations at week end"] == (40, 0)
    assert figures["New collaborations"] == (40, 0)
    assert figures["  Pending at week end"] == (12, 0)
    assert figures["  Cancelled at week end"] == (4, 0)
    statuses = [r[5] for r in book["Status at week end"].iter_rows(min_row=2, values_only=True)]
    assert len(statuses) == 40 and statuses.count("fulfilling") == 8

    archive = zipfile.ZipFile(download(page, "Download CSV files (.zip)", tmp_path))
    changes = list(csv.DictReader(io.StringIO(archive.read("changes.csv").decode())))
    assert len(changes) == 40 and {row["Change"] for row in changes} == {"new"}


CREATORS_FILE = (
    "name,handle,platform,email,followers,engagement_rate,tags\n"
    "Grace Imported,grace.imported,youtube,grace.i@example.com,\"25,000\",4.2,Imported\n"
    "Nobody Valid,nobody,myspace,,,,\n"
)


def test_a_manager_imports_creators_and_queries_them(page: Page, private_app, login,
                                                     tmp_path: Path) -> None:
    source = tmp_path / "creators.csv"
    source.write_text(CREATORS_FILE)
    login(page, "manager", private_app)
    open_page(page, "Imports")
    upload = page.get_by_test_id("stFileUploaderDropzoneInput")
    ui.rerun(page, lambda: upload.set_input_files(source))
    expect(page.get_by_text("2 rows: 1 pass, 1 fail.")).to_be_visible()
    rows = ui.grid_rows(page, table=1)  # (the first grid is the column list, in its expander)
    expect(rows.first).to_contain_text("Unknown platform")
    expect(button(page, "Import 1 creator")).to_be_disabled()
    ui.click(page, page.get_by_text(
        "Import only the rows that pass (1) and leave out the failing ones (1)"))
    ui.screenshot(page, "08-imports-preview")
    ui.click(page, button(page, "Import 1 creator"))
    ui.expect_toast(page, "1 creator imported; 1 failing row left out.")

    open_page(page, "SQL console")
    ui.click(page, button(page, "Refresh the data"))  # a snapshot with the new creator
    query = page.get_by_role("textbox", name="SQL query", exact=True)
    query.fill("SELECT name, followers FROM creators WHERE handle = 'grace.imported'")
    ui.click(page, button(page, "Run query"))
    expect(page.get_by_text("1 row.", exact=False)).to_be_visible()
    expect(ui.grid_rows(page, table=1).first).to_contain_text("Grace Imported")
    ui.screenshot(page, "08-sql-console")
    query.fill("DELETE FROM creators")
    ui.click(page, button(page, "Run query"))
    expect(page.get_by_test_id("stAlertContentError")).to_contain_text(
        "read-only: it runs SELECT queries only, and this is a DELETE statement")

    db = private_app.open_db()  # stops the server
    try:
        assert db.rows("SELECT name, followers FROM creators WHERE handle IN"
                       " ('grace.imported', 'nobody')") == [("Grace Imported", 25000)]
        assert db.value("SELECT count(*) FROM creators") == 21  # 20 seeded + 1
    finally:
        db.close()
