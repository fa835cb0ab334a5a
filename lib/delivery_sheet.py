"""The warehouse's spreadsheets: the address list written as .xlsx, a filled-in sheet read back
from CSV or .xlsx. Bytes in and out only; lib/deliveries.py decides what the rows mean.

A sheet that comes back is someone's file, so everything about it is checked: its size, its
format, its header, the number of rows. A problem with the file as a whole raises
RuleViolation; problems with single rows are for lib/deliveries.py to report per row.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Literal

from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from lib import exports
from lib.models import MAX_SHEET_BYTES, MAX_SHEET_ROWS, DeliveryStatus
from lib.rules import RuleViolation, shown
from lib.uploads import UploadLimits, read_table

XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
ID_HEADER = "Shipment #"
# The address list's columns; the warehouse fills in the last four.
EXPORT_COLUMNS: tuple[str, ...] = (
    ID_HEADER, "Creator", "Handle", "Campaign", "Item", "Address",
    "Carrier", "Tracking number", "Status", "Exception reason",
)  # fmt: skip
# What a column of a returned sheet may be called (lower case, letters and digits only).
_FIELDS: dict[str, str] = {
    "shipment": "id", "shipmentid": "id", "shipmentno": "id", "shipmentnumber": "id",
    "carrier": "carrier",
    "trackingnumber": "tracking", "tracking": "tracking", "trackingno": "tracking",
    "status": "status",
    "exceptionreason": "reason", "reason": "reason",
}  # fmt: skip
UPDATE_FIELDS = ("carrier", "tracking", "status")
_MAX_READ_ROWS = 20 * MAX_SHEET_ROWS  # blank rows included (formatted but empty rows count)


@dataclass(frozen=True)
class SheetRow:
    number: int  # the row's number as the spreadsheet shows it (the header is row 1)
    values: dict[str, str]  # field -> text ("" for an empty cell), for the fields the sheet has


@dataclass(frozen=True)
class Sheet:
    rows: list[SheetRow]
    fields: frozenset[str]  # the known fields the header names
    blank_rows: int  # empty rows, skipped


# --- writing ------------------------------------------------------------------------


def address_list(rows: Iterable[Sequence[object]], title: str) -> bytes:
    """An .xlsx of `rows` under EXPORT_COLUMNS: numbers as numbers, everything else as text
    (lib.exports: "=HYPERLINK(…)" in a creator's name or address stays text the warehouse
    sees, never a formula Excel runs)."""
    book = Workbook()
    sheet = book.active
    sheet.title = exports.sheet_title(title, fallback="Shipments")
    exports.append(sheet, EXPORT_COLUMNS)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    count = 0
    for count, row in enumerate(rows, start=1):
        for column, value in enumerate(row, start=1):
            # Only the shipment number is a number; a carrier or tracking number such as
            # "0049" must keep its digits as typed.
            exports.put(sheet, count + 1, column, value if isinstance(value, int) else
                        ("" if value is None else str(value)))
    sheet.freeze_panes = "A2"
    widths = (11, 24, 18, 24, 24, 44, 12, 22, 13, 30)
    for column, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(column)].width = width
    statuses = ",".join(s.label for s in DeliveryStatus)
    pick = DataValidation(type="list", formula1=f'"{statuses}"', allow_blank=True)
    sheet.add_data_validation(pick)
    status_column = get_column_letter(EXPORT_COLUMNS.index("Status") + 1)
    pick.add(f"{status_column}2:{status_column}{max(count + 1, 2)}")
    return exports.xlsx_bytes(book)


# --- reading ------------------------------------------------------------------------


def read(filename: str, data: bytes) -> Sheet:
    """The rows of an uploaded CSV or .xlsx file, keyed by the fields its header names.

    Read by lib.uploads within the sheet's limits (size, rows, columns, cells, cell length;
    for .xlsx also the archive's unpacked size), each refusal naming the limit it hit.
    """
    name = filename.lower()
    kind: Literal["csv", "xlsx"]
    if name.endswith(".xlsx"):
        kind = "xlsx"
    elif name.endswith(".csv"):
        kind = "csv"
    else:
        if not data:
            raise RuleViolation("The file is empty.")
        raise RuleViolation(f"{shown(filename)} is neither a .csv nor an .xlsx file.")
    limits = UploadLimits(max_bytes=MAX_SHEET_BYTES, max_rows=_MAX_READ_ROWS)
    table = read_table(data, kind, limits, lambda header: _field(header) is not None)
    header = [_text(value) for value in table.header]
    return _sheet(header, ([_text(value) for value in cells] for _, cells in table.rows))


def _text(value: object) -> str:
    """A cell as the text a person sees in it."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # a tracking number typed as a number
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value).strip()


def _field(header: str) -> str | None:
    return _FIELDS.get(re.sub(r"[^a-z0-9]", "", header.lower()))


def _sheet(header: list[str], cells: Iterator[list[str]]) -> Sheet:
    if not any(header):
        raise RuleViolation(f"The first row must be the header, with a {ID_HEADER!r} column.")
    columns: dict[str, int] = {}
    for position, name in enumerate(header):
        field = _field(name)
        if field is None:
            continue  # creator, address and the like: for the warehouse, not read back
        if field in columns:
            raise RuleViolation(f"The header names the column {shown(name)} twice; keep one.")
        columns[field] = position
    if "id" not in columns:
        raise RuleViolation(
            f"The sheet has no {ID_HEADER!r} column; import the sheet exported from this page."
        )
    if not columns.keys() & set(UPDATE_FIELDS):
        raise RuleViolation(
            "The sheet has none of the columns Carrier, Tracking number or Status: "
            "there is nothing to import."
        )
    rows, blank = [], 0
    for number, row in enumerate(cells, start=2):
        values = {f: row[i] if i < len(row) else "" for f, i in columns.items()}
        if not any(values.values()):
            blank += 1
            continue
        if len(rows) == MAX_SHEET_ROWS:
            raise RuleViolation(
                f"The sheet has more than {MAX_SHEET_ROWS:,} rows; split it into smaller ones."
            )
        rows.append(SheetRow(number, values))
    return Sheet(rows, frozenset(columns), blank)
