"""Batch status changes through preview and confirm, checked in the database file afterwards.

The test has a server and database of its own: it stops the server to open the file.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.browser import ui

pytestmark = pytest.mark.browser


def statuses(db, collab_ids: list[int]) -> dict[int, str]:
    rows = db.rows(
        "SELECT id, status FROM collaborations WHERE id IN (SELECT unnest(?::BIGINT[]))",
        [collab_ids],
    )
    return dict(rows)


def test_batch_changes_by_selected_rows_and_by_filter(page: Page, private_app, login) -> None:
    seed = private_app.seed
    summer = seed.collabs[("Summer", "negotiating")]  # in the order the list shows them
    chosen, others = [summer[0], summer[2], summer[3]], [summer[1], summer[4]]
    launch_pending = seed.collabs[("Launch", "pending")]
    login(page, "staff", private_app)

    # 1. Rows ticked in the grid: cancel three Summer collaborations.
    ui.choose(page, "Campaign", "Summer")
    ui.choose(page, "Status", "Negotiating")
    expect(ui.total_caption(page)).to_have_text("5 collaborations · page 1 of 1")
    ui.select_rows(page, 0, 2, 3)
    expect(page.get_by_role("radio", name="Selected rows (3)")).to_be_checked()
    ui.choose(page, "New status", "Cancelled")
    ui.click(page, page.get_by_role("button", name="Preview change"))
    # Cancelling needs a reason: without one every row is refused and nothing can be confirmed.
    expect(page.get_by_text("0 will move to Cancelled; 3 refused.")).to_be_visible()
    expect(page.get_by_role("button", name="Confirm 0 changes")).to_be_disabled()
    ui.type_into(page, "Reason (needed to cancel or to move back a stage)", "Budget cut")
    expect(page.get_by_role("button", name="Confirm 0 changes")).to_have_count(0)  # outdated
    ui.click(page, page.get_by_role("button", name="Preview change"))
    expect(page.get_by_text("3 will move to Cancelled; 0 refused.")).to_be_visible()
    preview = ui.grid_rows(page, table=1)
    expect(preview).to_have_count(3)
    for row, collab_id in zip(preview.all(), chosen, strict=True):
        expect(row.locator("td").first).to_have_text(str(collab_id))
        expect(row).to_contain_text("will change")
    ui.screenshot(page, "03-batch-preview")

    ui.click(page, page.get_by_role("button", name="Confirm 3 changes"))

    ui.expect_toast(page, "3 moved to Cancelled.")
    expect(ui.total_caption(page)).to_have_text("2 collaborations · page 1 of 1")
    expect(page.get_by_role("radio", name="Selected rows (0)")).to_be_checked()

    # 2. Every row matching the filter, chosen before the filter changes: it meant the old
    # filter's rows, so each change of the filter (and its reset) asks for the scope again.
    ui.click(page, page.get_by_text("Every row matching the filter (2)"))
    ui.choose(page, "Campaign", "Launch")
    expect(page.get_by_role("radio", name="Selected rows (0)")).to_be_checked()
    ui.click(page, page.get_by_text("Every row matching the filter (5)"))
    ui.choose(page, "Status", "Pending")  # Negotiating stays chosen: pending or negotiating
    expect(ui.total_caption(page)).to_have_text("11 collaborations · page 1 of 1")
    expect(page.get_by_role("radio", name="Selected rows (0)")).to_be_checked()
    ui.click(page, page.get_by_text("Every row matching the filter (11)"))
    ui.choose(page, "New status", "Negotiating")
    ui.type_into(page, "Reason (needed to cancel or to move back a stage)", "")
    ui.click(page, page.get_by_role("button", name="Preview change"))
    expect(page.get_by_text("6 will move to Negotiating; 5 refused.")).to_be_visible()
    # The confirmation names the count and the filter it applies to.
    expect(page.get_by_text(re.compile(
        r"^Change 11 collaborations matching: status Negotiating or Pending, campaign Launch"
    ))).to_be_visible()
    page.set_viewport_size({"width": 1366, "height": 768})
    ui.screenshot(page, "15-batch-scope-named")

    ui.click(page, page.get_by_role("button", name="Confirm 6 changes"))

    ui.expect_toast(page, "6 moved to Negotiating.")
    expect(ui.total_caption(page)).to_have_text("11 collaborations · page 1 of 1")
    ui.screenshot(page, "03-batch-done")

    db = private_app.open_db()  # stops the server
    try:
        assert statuses(db, chosen + others + launch_pending) == {
            **dict.fromkeys(chosen, "cancelled"),
            **dict.fromkeys(others, "negotiating"),
            **dict.fromkeys(launch_pending, "negotiating"),
        }
        assert db.rows(
            "SELECT DISTINCT cancel_reason FROM collaborations WHERE id IN"
            " (SELECT unnest(?::BIGINT[]))",
            [chosen],
        ) == [("Budget cut",)]
        events = db.rows(
            "SELECT collab_id, actor, from_status, to_status, text FROM activity_events"
            " WHERE kind = 'status_changed' ORDER BY collab_id"
        )
        assert events == sorted(
            [(cid, "staff", "negotiating", "cancelled", "Budget cut") for cid in chosen]
            + [(cid, "staff", "pending", "negotiating", None) for cid in launch_pending]
        )
        counts = dict(db.rows("SELECT status, count(*) FROM collaborations GROUP BY status"))
        assert counts == {
            "pending": 18 - 6,
            "negotiating": 15 - 3 + 6,
            "fulfilling": 12,
            "completed": 9,
            "cancelled": 6 + 3,
        }
    finally:
        db.close()
