"""The Deliveries page and the shipments on the collaboration page: the real app.py under
AppTest against a temporary database, logged in through the form (see conftest.py)."""

from __future__ import annotations

from typing import Any

import pytest
from streamlit.testing.v1 import AppTest

from lib import deliveries
from lib.db import Database
from lib.delivery_sheet import XLSX_MIME
from lib.models import Role, User
from tests.conftest import World, assert_ok, event_count, labelled, labels, login, texts
from tests.test_deliveries import execute, shipment
from tests.test_deliveries_sheet import xlsx


@pytest.fixture
def ships(db: Database, world: World, people: dict[Role, User]) -> dict[str, int]:
    staff = people[Role.STAFF]
    return {
        key: deliveries.create_shipment(db, staff, world.collabs[key], "Serum kit", "DHL")
        for key in ("ada_spring", "linus_spring", "grace_launch")
    }


def open_deliveries(at: AppTest, username: str) -> AppTest:
    login(at, username)
    at.switch_page("pages/deliveries.py")
    at.run()
    assert_ok(at)
    return at


def open_tab(at: AppTest, label: str) -> AppTest:
    """Switch to a tab of the staff's panel (only the open one runs), as a click would."""
    at.session_state["dlv_tab"] = label
    return at.run()


def tiles(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def listed(at: AppTest) -> list[int]:
    """The ids in the list (found by its columns: a viewer's list has no selection, and
    AppTest knows a table's key only when its rows can be selected)."""
    [table] = [d.value for d in at.dataframe if "days_in_status" in d.value.columns]
    return [int(i) for i in table["id"]]


def tick(at: AppTest, key: str, ids: list[int], column: str = "id") -> AppTest:
    """Tick the rows of these ids in the table with `key` (the way AppTest selects rows)."""
    shown = [int(i) for i in at.dataframe(key=key).value[column]]
    rows = [shown.index(i) for i in ids]
    at.session_state[key] = {"selection": {"rows": rows, "columns": [], "cells": []}}
    return at.run()


def table_with(at: AppTest, *columns: str) -> Any:
    """The one table on the page that has all these columns."""
    [table] = [d.value for d in at.dataframe if set(columns) <= set(d.value.columns)]
    return table


def test_a_viewer_reads_and_exports(app: AppTest, world: World, ships: dict[str, int]) -> None:
    at = open_deliveries(app, "viewer")
    assert texts(at.title) == ["Deliveries"]
    assert tiles(at) == {"Pending": "3", "In transit": "0", "Delivered": "0", "Exceptions": "0",
                         "Oldest in transit": "—"}  # fmt: skip
    assert sorted(listed(at)) == sorted(ships.values())
    assert "Preview change" not in labels(at.button) and not at.tabs
    at.selectbox(key="dlv_sheet_campaign").set_value(world.campaigns["Spring"]).run()
    assert_ok(at)
    [download] = at.get("download_button")
    assert download.proto.label == "Download address list (.xlsx)"
    assert not at.get("file_uploader")  # importing is for staff


def test_filters_and_tiles(app: AppTest, db: Database, world: World, ships: dict[str, int]) -> None:
    execute(db, "UPDATE shipments SET status = 'exception', exception_reason = 'lost'"
                " WHERE id = ?", [ships["grace_launch"]])  # fmt: skip
    at = open_deliveries(app, "staff")
    assert tiles(at)["Exceptions"] == "1"
    at.toggle(key="dlv_exceptions").set_value(True).run()
    assert listed(at) == [ships["grace_launch"]]
    at.toggle(key="dlv_exceptions").set_value(False).run()
    at.multiselect(key="dlv_status").set_value(["pending"]).run()
    assert sorted(listed(at)) == sorted([ships["ada_spring"], ships["linus_spring"]])
    at.selectbox(key="dlv_campaign").set_value(world.campaigns["Launch"]).run()
    assert listed(at) == []
    assert tiles(at)["Exceptions"] == "1" and tiles(at)["Pending"] == "0"  # Launch's tiles
    at.number_input(key="dlv_days").set_value(2).run()
    assert_ok(at)
    assert "**0** shipments · page 1 of 1" in texts(at.caption)


def test_a_batch_change_with_preview_and_confirm(
    app: AppTest, db: Database, world: World, ships: dict[str, int]
) -> None:
    at = open_deliveries(app, "staff")
    tick(at, "dlv_table", [ships["ada_spring"], ships["linus_spring"]])
    at.selectbox(key="dlv_target").set_value("exception").run()
    labelled(at.button, "Preview change").click().run()
    preview = table_with(at, "outcome")
    assert list(preview["message"]) == [
        "Give a reason for the exception (for example: returned, damaged)."] * 2  # fmt: skip
    assert labelled(at.button, "Confirm 0 changes").disabled
    at.text_input(key="dlv_reason").input("damaged in the warehouse").run()
    labelled(at.button, "Preview change").click().run()
    assert set(table_with(at, "outcome")["message"]) == {
        "Pending → Exception (damaged in the warehouse)"}  # fmt: skip
    assert shipment(db, ships["ada_spring"])["status"] == "pending"  # nothing written yet
    labelled(at.button, "Confirm 2 changes").click().run()
    assert_ok(at)
    assert "2 shipments updated." in [t.value for t in at.toast]
    for key in ("ada_spring", "linus_spring"):
        row = shipment(db, ships[key])
        assert (row["status"], row["exception_reason"]) == ("exception",
                                                            "damaged in the warehouse")
        assert event_count(db, world.collabs[key], "delivery_changed") == 1
    assert tiles(at)["Exceptions"] == "2"
    assert len(listed(at)) == 3
    assert at.session_state["dlv_table"]["selection"]["rows"] == []  # ticks cleared


def test_one_shipment_gets_a_tracking_number(
    app: AppTest, db: Database, ships: dict[str, int]
) -> None:
    sid = ships["linus_spring"]
    at = open_deliveries(app, "staff")
    tick(at, "dlv_table", [sid])
    at.selectbox(key="dlv_target").set_value("in_transit")
    at.text_input(key=f"dlv_tracking_{sid}").input("JJD000123")
    labelled(at.button, "Preview change").click().run()
    assert list(table_with(at, "outcome")["message"]) == [
        "Pending → In transit; tracking JJD000123"]  # fmt: skip
    labelled(at.button, "Confirm 1 change").click().run()
    assert_ok(at)
    row = shipment(db, sid)
    assert (row["status"], row["tracking_number"], row["carrier"]) == ("in_transit",
                                                                      "JJD000123", "DHL")
    assert tiles(at)["In transit"] == "1" and tiles(at)["Oldest in transit"] == "0 days"


def test_a_preview_is_dropped_when_the_choice_changes(
    app: AppTest, db: Database, ships: dict[str, int]
) -> None:
    at = open_deliveries(app, "staff")
    tick(at, "dlv_table", [ships["ada_spring"]])
    at.selectbox(key="dlv_target").set_value("delivered").run()
    labelled(at.button, "Preview change").click().run()
    assert "Confirm 1 change" in labels(at.button)
    at.selectbox(key="dlv_target").set_value("in_transit").run()
    assert "Confirm 1 change" not in labels(at.button)


def test_only_what_is_open_runs(
    app: AppTest, world: World, ships: dict[str, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The tabs other than the open one, and the by-campaign figures while folded, are not
    run: at a million collaborations they cost every visit a picker of every campaign twice
    and a group-by over every shipment."""
    grouped: list[int] = []
    real = deliveries.summary_by_campaign

    def counted(*args: Any, **kwargs: Any) -> Any:
        grouped.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(deliveries, "summary_by_campaign", counted)
    at = open_deliveries(app, "staff")

    def selectboxes() -> set[str]:
        return {s.key for s in at.selectbox}

    assert "dlv_target" in selectboxes()  # the open tab: Change status
    assert not {"dlv_new_campaign", "dlv_sheet_campaign"} & selectboxes()
    assert grouped == [] and [e.label for e in at.expander] == ["Deliveries by campaign"]
    open_tab(at, "New shipments")
    assert "dlv_new_campaign" in selectboxes() and "dlv_target" not in selectboxes()
    open_tab(at, "Spreadsheet")
    assert "dlv_sheet_campaign" in selectboxes() and "dlv_new_campaign" not in selectboxes()
    at.session_state["dlv_by_campaign"] = True  # unfolded
    at.run()
    assert_ok(at)
    assert grouped == [1]
    assert any("longest_in_transit_days" in d.value.columns for d in at.dataframe)


def test_new_shipments_for_a_campaign(
    app: AppTest, db: Database, world: World, ships: dict[str, int]
) -> None:
    at = open_tab(open_deliveries(app, "staff"), "New shipments")
    at.selectbox(key="dlv_new_campaign").set_value(world.campaigns["Spring"]).run()
    at.multiselect(key="dlv_new_statuses").set_value(["pending", "negotiating", "fulfilling"])
    at.run()
    offered = at.dataframe(key="dlv_new_table").value
    assert set(offered["creator"]) == {"Ada Lovelace", "Grace Hopper", "Linus Field"}
    tick(at, "dlv_new_table", [world.collabs["grace_spring"], world.collabs["linus_spring"]])
    at.text_input(key="dlv_new_item").input("Lip balm")
    labelled(at.button, "Preview shipments").click().run()
    assert_ok(at)
    preview = table_with(at, "collab_id", "ok")
    assert list(preview["message"]) == ["Ships to Main St 1, Berlin"] * 2
    labelled(at.button, "Create 2 shipments").click().run()
    assert_ok(at)
    assert "2 shipments created." in [t.value for t in at.toast]
    made = db.rows("SELECT collab_id, address FROM shipments WHERE item = 'Lip balm'"
                   " ORDER BY collab_id")  # fmt: skip
    assert made == [(world.collabs["grace_spring"], "Main St 1, Berlin"),
                    (world.collabs["linus_spring"], "Main St 1, Berlin")]  # fmt: skip
    assert tiles(at)["Pending"] == "5"

    # The same item again: refused, with the reason, and nothing to confirm.
    labelled(at.radio, "Ship to").set_value("all").run()
    at.text_input(key="dlv_new_item").input("Serum kit")
    labelled(at.button, "Preview shipments").click().run()
    messages = dict(zip(table_with(at, "collab_id", "ok")["creator"],
                        table_with(at, "collab_id", "ok")["message"], strict=True))  # fmt: skip
    assert "already has a shipment" in messages["Linus Field"]
    assert "already has a shipment" in messages["Ada Lovelace"]
    assert messages["Grace Hopper"] == "Ships to Main St 1, Berlin"


def test_import_a_filled_in_sheet(
    app: AppTest, db: Database, world: World, ships: dict[str, int]
) -> None:
    at = open_tab(open_deliveries(app, "staff"), "Spreadsheet")
    at.selectbox(key="dlv_sheet_campaign").set_value(world.campaigns["Spring"]).run()
    data = xlsx([
        [ships["ada_spring"], "", "", "GLS", "ZA123", "In transit", ""],
        [ships["linus_spring"], "", "", "", "", "Pending", ""],
        [ships["grace_launch"], "", "", "", "", "Delivered", ""],
    ])  # fmt: skip
    [upload] = at.get("file_uploader")
    upload.set_value(("back.xlsx", data, XLSX_MIME))
    at.run()
    labelled(at.button, "Preview import").click().run()
    assert_ok(at)
    preview = table_with(at, "row")
    assert [o[0] for o in preview["outcome"]] == ["updated", "unchanged", "refused"]
    assert shipment(db, ships["ada_spring"])["status"] == "pending"
    labelled(at.button, "Apply 1 update").click().run()
    assert_ok(at)
    assert "Import: 1 shipment updated." in [t.value for t in at.toast]
    ada = shipment(db, ships["ada_spring"])
    assert (ada["status"], ada["carrier"], ada["tracking_number"]) == ("in_transit", "GLS",
                                                                      "ZA123")  # fmt: skip
    assert not [b for b in at.button if b.label.startswith("Apply")]  # the preview is gone


def test_a_malformed_sheet_is_refused_on_the_page(
    app: AppTest, db: Database, world: World, ships: dict[str, int]
) -> None:
    at = open_tab(open_deliveries(app, "staff"), "Spreadsheet")
    at.selectbox(key="dlv_sheet_campaign").set_value(world.campaigns["Spring"]).run()
    [upload] = at.get("file_uploader")
    upload.set_value(("back.csv", b"Creator,Status\nAda,delivered\n", "text/csv"))
    at.run()
    labelled(at.button, "Preview import").click().run()
    assert texts(at.error) == [
        "The sheet has no 'Shipment #' column; import the sheet exported from this page."]
    assert not [b for b in at.button if b.label.startswith("Apply")]


# --- the collaboration page ---------------------------------------------------------------


def shipments_tab(at: AppTest) -> Any:
    """The table in the collaboration page's Shipments tab."""
    return labelled(at.tabs, "Shipments").dataframe[0].value


def open_detail(at: AppTest, username: str, collab_id: int) -> AppTest:
    login(at, username)
    at.switch_page("pages/collaboration.py")
    at.query_params["id"] = str(collab_id)
    at.run()
    assert_ok(at)
    return at


def test_shipments_updated_on_the_collaboration_page(
    app: AppTest, db: Database, world: World, ships: dict[str, int]
) -> None:
    collab = world.collabs["linus_spring"]
    sid = ships["linus_spring"]
    at = open_detail(app, "staff", collab)
    assert list(shipments_tab(at)["id"]) == [sid]
    at.selectbox(key=f"shipment_target_{sid}").set_value("exception")
    labelled(at.button, "Update shipment").click().run()
    assert texts(at.error) == [
        "Give a reason for the exception (for example: returned, damaged)."]  # fmt: skip
    assert shipment(db, sid)["status"] == "pending"
    at.text_input(key=f"shipment_reason_{sid}").input("returned: wrong address")
    labelled(at.button, "Update shipment").click().run()
    assert_ok(at)
    assert shipment(db, sid)["exception_reason"] == "returned: wrong address"
    timeline = labelled(at.tabs, "Timeline").dataframe[0].value
    assert "Delivery changed" in list(timeline["kind"])

    at.text_input(key="new_shipment_item").input("Tote bag")
    labelled(at.button, "Create shipment").click().run()
    assert_ok(at)
    assert "Tote bag" in list(shipments_tab(at)["item"])
    assert event_count(db, collab, "shipment_created") == 2


def test_a_viewer_sees_shipments_but_no_form(
    app: AppTest, world: World, ships: dict[str, int]
) -> None:
    at = open_detail(app, "viewer", world.collabs["ada_spring"])
    assert list(shipments_tab(at)["id"]) == [ships["ada_spring"]]
    assert "Update shipment" not in labels(at.button)
    assert "Create shipment" not in labels(at.button)
