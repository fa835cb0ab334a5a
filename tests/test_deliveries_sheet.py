"""The warehouse's spreadsheet round trip against a real temporary database: the address list
exported as .xlsx (read back with openpyxl), and filled-in sheets imported from .xlsx and CSV
with good, unchanged, duplicate, unknown, malformed and rule-breaking rows."""

from __future__ import annotations

import io
from typing import Any

import pytest
from openpyxl import Workbook, load_workbook

from lib import deliveries, delivery_sheet
from lib.db import Database, NotFound
from lib.deliveries import changes as deliveries_changes
from lib.models import MAX_SHEET_ROWS, ChangeOutcome, DeliveryStatus, Role, ShipmentChange, User
from lib.rules import RuleViolation
from tests.conftest import World, event_count
from tests.test_deliveries import execute, shipment, snapshot

HEADER = ["Shipment #", "Creator", "Item", "Carrier", "Tracking number", "Status",
          "Exception reason"]  # fmt: skip


@pytest.fixture
def staff(people: dict[Role, User]) -> User:
    return people[Role.STAFF]


@pytest.fixture
def spring(db: Database, world: World, staff: User) -> dict[str, int]:
    """Shipments of the Spring campaign (and one of Launch, another campaign)."""
    w = world.collabs
    return {
        key: deliveries.create_shipment(db, staff, w[key], "Serum kit")
        for key in ("ada_spring", "grace_spring", "linus_spring", "mary_spring", "grace_launch")
    }


def xlsx(rows: list[list[Any]], header: list[str] = HEADER) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def csv_bytes(rows: list[list[Any]], sep: str = ",", encoding: str = "utf-8-sig") -> bytes:
    lines = [sep.join(HEADER), *(sep.join(str(c) for c in row) for row in rows)]
    return ("\r\n".join(lines) + "\r\n").encode(encoding)


def outcomes(preview: deliveries.ChangePreview) -> dict[int, tuple[str, str]]:
    """sheet row -> (outcome, message)."""
    return {r.row: (r.outcome.value, r.message) for r in preview.rows}  # type: ignore[misc]


# --- export ---------------------------------------------------------------------------------


def test_export_the_address_list(
    db: Database, world: World, spring: dict[str, int], people: dict[Role, User], staff: User
) -> None:
    # A name that a spreadsheet would run as a formula must arrive as text.
    execute(db, "UPDATE creators SET name = '=HYPERLINK(\"http://evil\",\"x\")' WHERE id = ?",
            [world.creators["Grace"]])  # fmt: skip
    # A control character (which a worksheet cannot hold) is left out.
    execute(db, "UPDATE shipments SET address = 'Main St 1,' || chr(1) || ' Berlin' WHERE id = ?",
            [spring["linus_spring"]])  # fmt: skip
    deliveries.update_shipment(db, staff, spring["linus_spring"], 1,
                               ShipmentChange(0, None, None, "JJD77", "DHL"))
    name, data = deliveries.export_addresses(db, people[Role.VIEWER], world.campaigns["Spring"])
    assert name.startswith("shipments-spring-") and name.endswith(".xlsx")
    sheet = load_workbook(io.BytesIO(data)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0] == delivery_sheet.EXPORT_COLUMNS
    assert len(rows) == 5  # the header and Spring's four shipments, not Launch's
    by_id = {r[0]: r for r in rows[1:]}
    assert by_id[spring["linus_spring"]] == (
        spring["linus_spring"], "Linus Field", "@linus", "Spring", "Serum kit",
        "Main St 1, Berlin", "DHL", "JJD77", "Pending", None)  # fmt: skip
    formula_cell = next(c for c in sheet["B"] if str(c.value).startswith("=HYPERLINK"))
    assert formula_cell.data_type == "s"  # text, not a formula
    assert sheet.data_validations.dataValidation  # the Status column offers the four statuses


def test_export_of_an_unknown_campaign(db: Database, world: World, staff: User) -> None:
    with pytest.raises(NotFound):
        deliveries.export_addresses(db, staff, 98765)
    with pytest.raises(NotFound):
        deliveries.export_addresses(db, staff, "x; DROP TABLE shipments")
    with pytest.raises(PermissionError):
        deliveries.export_addresses(db, None, world.campaigns["Spring"])  # type: ignore[arg-type]


def test_an_exported_sheet_comes_back_unchanged(
    db: Database, world: World, spring: dict[str, int], staff: User
) -> None:
    _, data = deliveries.export_addresses(db, staff, world.campaigns["Spring"])
    preview = deliveries.preview_import(db, staff, world.campaigns["Spring"], "back.xlsx", data)
    assert [r.outcome for r in preview.rows] == [ChangeOutcome.UNCHANGED] * 4
    with pytest.raises(RuleViolation, match="Nothing to import"):
        deliveries.apply_import(db, staff, preview)


# --- import ---------------------------------------------------------------------------------


def test_import_with_good_duplicate_unknown_and_malformed_rows(
    db: Database, world: World, spring: dict[str, int], staff: User
) -> None:
    s = spring
    rows = [
        [s["ada_spring"], "Ada", "Serum kit", "DHL", "JJD0001", "In transit", ""],  # 2: good
        [s["grace_spring"], "Grace", "Serum kit", "", "", "delivered", ""],  # 3: good
        [s["linus_spring"], "Linus", "Serum kit", "", "", "exception", ""],  # 4: no reason
        [s["mary_spring"], "Mary", "Serum kit", "", "", "Pending", ""],  # 5: unchanged
        [s["grace_launch"], "Grace", "Serum kit", "", "", "delivered", ""],  # 6: other campaign
        [424242, "Nobody", "", "", "", "delivered", ""],  # 7: no such shipment
        ["abc", "", "", "", "", "delivered", ""],  # 8: not a number
        [s["mary_spring"], "Mary", "", "", "", "lost in space", ""],  # 9: duplicate + bad status
        ["", "", "", "", "", "", ""],  # 10: empty, skipped
        [s["linus_spring"], "Linus", "", "", "=HYPERLINK(1)", "", ""],  # 11: duplicate
    ]
    before = snapshot(db)
    preview = deliveries.preview_import(db, staff, world.campaigns["Spring"], "w.xlsx", xlsx(rows))
    assert snapshot(db) == before  # the preview writes nothing
    got = outcomes(preview)
    assert got[2] == ("updated", "Pending → In transit; carrier DHL; tracking JJD0001")
    assert got[3] == ("updated", "Pending → Delivered")
    assert got[4][0] == "refused" and "rows 4, 11" in got[4][1]
    assert got[5][0] == "refused" and "rows 5, 9" in got[5][1]
    assert got[6] == ("refused", f"No shipment #{s['grace_launch']} in this campaign.")
    assert got[7] == ("refused", "No shipment #424242 in this campaign.")
    assert got[8] == ("refused", "Shipment # 'abc' is not a shipment number.")
    assert got[9][0] == "refused"
    assert 10 not in got and preview.blank_rows == 1
    assert got[11][0] == "refused"
    assert set(preview.planned) == {s["ada_spring"], s["grace_spring"]}

    result = deliveries.apply_import(db, staff, preview)
    assert sorted(result.done) == sorted(preview.planned) and not result.refused
    ada = shipment(db, s["ada_spring"])
    assert (ada["status"], ada["tracking_number"], ada["carrier"]) == ("in_transit", "JJD0001",
                                                                      "DHL")  # fmt: skip
    assert shipment(db, s["grace_spring"])["status"] == "delivered"
    for key in ("linus_spring", "mary_spring", "grace_launch"):
        assert shipment(db, s[key])["version"] == 1  # refused and unchanged rows: untouched
    assert event_count(db, None, "delivery_changed") == 2


def test_rule_breaking_and_malformed_cells_are_refused_with_the_reason(
    db: Database, world: World, spring: dict[str, int], staff: User
) -> None:
    s = spring
    rows = [
        [s["ada_spring"], "", "", "", "", "Exception", ""],  # no reason
        [s["grace_spring"], "", "", "", "ab<cd>", "", ""],  # not a tracking number
        [s["linus_spring"], "", "", "x" * 61, "", "", ""],  # carrier too long
        [s["mary_spring"], "", "", "", "", "Exception", "lost by the carrier"],  # good
    ]
    preview = deliveries.preview_import(db, staff, world.campaigns["Spring"], "w.xlsx",
                                        xlsx(rows))  # fmt: skip
    got = outcomes(preview)
    assert got[2] == ("refused", "Give a reason for the exception (for example: returned, "
                                 "damaged).")  # fmt: skip
    assert got[3][0] == "refused" and "tracking number" in got[3][1]
    assert got[4][0] == "refused" and "carrier is too long" in got[4][1]
    assert got[5] == ("updated", "Pending → Exception (lost by the carrier)")
    by_row = {r.row: r for r in preview.rows}
    assert (by_row[2].creator, by_row[2].item) == ("Ada Lovelace", "Serum kit")
    deliveries.apply_import(db, staff, preview)
    mary = shipment(db, s["mary_spring"])
    assert (mary["status"], mary["exception_reason"]) == ("exception", "lost by the carrier")


def test_a_csv_from_excel(db: Database, world: World, spring: dict[str, int], staff: User) -> None:
    """Excel in Europe writes semicolons, and on Windows in cp1252; both are read."""
    s = spring
    rows = [[s["ada_spring"], "Adà", "Serum kit", "DPD", "0150 1234", "in transit", ""]]
    for data in (csv_bytes(rows), csv_bytes(rows, ";"), csv_bytes(rows, ";", "cp1252"),
                 csv_bytes(rows, "\t", "utf-8")):  # fmt: skip
        preview = deliveries.preview_import(db, staff, world.campaigns["Spring"], "w.CSV", data)
        assert outcomes(preview) == {2: ("updated", "Pending → In transit; carrier DPD; "
                                                    "tracking 0150 1234")}  # fmt: skip


def test_tracking_numbers_typed_as_numbers(
    db: Database, world: World, spring: dict[str, int], staff: User
) -> None:
    sid = spring["ada_spring"]
    data = xlsx([[sid, "", "", "", 123456789012, "", ""]])
    preview = deliveries.preview_import(db, staff, world.campaigns["Spring"], "w.xlsx", data)
    assert outcomes(preview)[2] == ("updated", "tracking 123456789012")


def test_an_import_that_fails_half_way_writes_nothing(
    db: Database, world: World, spring: dict[str, int], staff: User,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    """The shipments are updated, then writing their events fails: the transaction is rolled
    back, so no shipment changed either."""
    rows = [[spring[k], "", "", "DHL", f"JJD{i}", "In transit", ""]
            for i, k in enumerate(("ada_spring", "grace_spring", "linus_spring"))]
    preview = deliveries.preview_import(db, staff, world.campaigns["Spring"], "w.xlsx",
                                        xlsx(rows))  # fmt: skip
    assert len(preview.planned) == 3
    before = snapshot(db)
    written: list[int] = []
    real_events = deliveries_changes.log_events

    def events_then_fail(cur: Any, *args: Any, **kwargs: Any) -> None:
        written.append(cur.execute("SELECT count(*) FROM shipments WHERE version = 2")
                       .fetchone()[0])  # fmt: skip
        real_events(cur, *args, **kwargs)
        raise OSError("disk full")

    monkeypatch.setattr(deliveries_changes, "log_events", events_then_fail)
    with pytest.raises(OSError, match="disk full"):
        deliveries.apply_import(db, staff, preview)
    assert written == [3]  # the shipments were updated inside the transaction …
    assert snapshot(db) == before  # … and rolled back with it
    monkeypatch.setattr(deliveries_changes, "log_events", real_events)
    assert len(deliveries.apply_import(db, staff, preview).done) == 3


def test_a_sheet_changed_since_the_preview(
    db: Database, world: World, spring: dict[str, int], staff: User
) -> None:
    s = spring
    rows = [[s["ada_spring"], "", "", "", "", "delivered", ""],
            [s["grace_spring"], "", "", "", "", "delivered", ""]]  # fmt: skip
    preview = deliveries.preview_import(db, staff, world.campaigns["Spring"], "w.xlsx",
                                        xlsx(rows))  # fmt: skip
    deliveries.update_shipment(db, staff, s["ada_spring"], 1,
                               ShipmentChange(0, DeliveryStatus.IN_TRANSIT))
    result = deliveries.apply_import(db, staff, preview)
    assert result.done == [s["grace_spring"]]
    assert "Changed since the preview" in result.refused[s["ada_spring"]]
    assert shipment(db, s["ada_spring"])["status"] == "in_transit"


def test_a_viewer_may_not_import(
    db: Database, world: World, spring: dict[str, int], people: dict[Role, User]
) -> None:
    data = xlsx([[spring["ada_spring"], "", "", "", "", "delivered", ""]])
    with pytest.raises(PermissionError):
        deliveries.preview_import(db, people[Role.VIEWER], world.campaigns["Spring"], "w.xlsx",
                                  data)  # fmt: skip
    preview = deliveries.preview_import(db, people[Role.STAFF], world.campaigns["Spring"],
                                        "w.xlsx", data)  # fmt: skip
    before = snapshot(db)
    with pytest.raises(PermissionError):
        deliveries.apply_import(db, people[Role.VIEWER], preview)
    assert snapshot(db) == before


def long_sheet() -> bytes:
    return xlsx([[i + 1, "", "", "", "", "delivered", ""] for i in range(MAX_SHEET_ROWS + 1)])


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("w.xlsx", b"", "The file is empty"),
        ("w.xlsx", b"x" * 5_000_001, "at most 5 MB"),
        ("w.pdf", b"%PDF-1.4", "neither a .csv nor an .xlsx"),
        ("w.xlsx", b"Shipment #,Status\n1,delivered\n", "not an .xlsx workbook"),
        ("w.xlsx", b"PK\x03\x04 broken zip", "cannot be read"),
        ("w.csv", b"\x00\x01\x02binary", "not a CSV"),
        ("w.csv", b"Creator,Status\nAda,delivered\n", "no 'Shipment #' column"),
        ("w.csv", b"Shipment #,Creator\n1,Ada\n", "nothing to import"),
        ("w.csv", b"Shipment #,Status,status\n1,delivered,pending\n", "twice"),
        ("w.csv", b"\n1,delivered\n", "first row must be the header"),
        ("w.xlsx", None, "more than 5,000 rows"),
    ],
)
def test_whole_files_refused(
    db: Database, world: World, staff: User, name: str, data: bytes | None, message: str
) -> None:
    before = snapshot(db)
    with pytest.raises(RuleViolation, match=message):
        deliveries.preview_import(db, staff, world.campaigns["Spring"], name,
                                  long_sheet() if data is None else data)  # fmt: skip
    assert snapshot(db) == before


def test_import_into_an_unknown_campaign(db: Database, world: World, staff: User) -> None:
    with pytest.raises(NotFound):
        deliveries.preview_import(db, staff, 31337, "w.csv", csv_bytes([[1, "", "", "", "", "",
                                                                          ""]]))  # fmt: skip
