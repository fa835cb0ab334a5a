"""Every file the app hands out for a spreadsheet is written here: CSV text, .xlsx workbooks and
.zip archives of CSV files. The weekly report, the SQL console's download, the warehouse's
address list, the progress charts' data and the import templates all go through it.

What people typed (a creator's name, a reviewer's feedback, a column name in a console query)
must reach Excel, LibreOffice or Google Sheets as the text that was typed. A spreadsheet runs a
cell that starts with = + - @ (and, in some, a tab or carriage return before one) as a formula,
which can call out over the network or start a program through DDE: the "CSV injection" class.

- .xlsx: text is always a string cell (openpyxl would store "=..." as a formula cell), so the
  typed text shows exactly; text that looks like a formula also gets Excel's quote-prefix
  style, so editing the cell later does not turn it into one. `xlsx_bytes` checks every cell
  of the workbook before saving, so a cell written any other way is made text as well.
- CSV has no cell types, so text that looks like a formula is written behind a single quote
  (OWASP's advice), and every text field is quoted, so a comma, semicolon, carriage return or
  line feed inside it can neither split the cell nor start a new row (also in Excel set up
  for ";" as the separator). Numbers stay unquoted numbers: -5 in a number column is a number.

Characters a worksheet cannot hold (control characters other than tab, CR and LF) are left out
of both formats here, in `clean`.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import math
import numbers
import re
import unicodedata
import zipfile
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from typing import Any

import numpy as np
import pandas as pd
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, Cell
from openpyxl.worksheet.worksheet import Worksheet

CSV_PREFIX = "'"  # put before text a spreadsheet would run (OWASP)
CSV_ENCODING = "utf-8"  # no BOM, as these files always were
CSV_LINE_END = "\r\n"  # RFC 4180, and what Excel writes itself
MAX_XLSX_CELL_CHARS = 32_767  # Excel's limit for one cell; longer text is cut here
MAX_SHEET_TITLE_CHARS = 31  # Excel's limit for a sheet's name
_FORMULA_SIGNS = frozenset("=+-@")
# Characters a spreadsheet may skip before it looks for a formula sign: whitespace (tab, CR,
# LF, no-break space, ...), other control characters and invisible format characters (zero
# width space, byte-order mark, direction marks).
_SKIPPED_CATEGORIES = frozenset({"Zs", "Zl", "Zp", "Cc", "Cf"})
_NOT_XML = re.compile("[\ud800-\udfff\ufffe\uffff]")
_SHEET_TITLE_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")
_RESERVED_SHEET_TITLES = frozenset({"history"})  # Excel keeps this name for itself
Number = int | float | Decimal | bool


# --- what is dangerous -------------------------------------------------------------------


def clean(text: str) -> str:
    """`text` without the characters no worksheet can hold (tab, CR and LF stay): openpyxl's
    list (control characters, which it refuses), and the rest of what XML 1.0 cannot carry
    (U+FFFE, U+FFFF and lone surrogates, which it would write into a file nothing opens)."""
    return _NOT_XML.sub("", ILLEGAL_CHARACTERS_RE.sub("", text))


def _formula_sign(char: str) -> bool:
    """= + - @ and the look-alikes a spreadsheet may read as them: full-width (＝ ＋ － ＠),
    small forms (﹦ ﹢ ﹣ ﹫), the minus sign and every other dash."""
    if unicodedata.normalize("NFKC", char) in _FORMULA_SIGNS:
        return True
    return char == "\u2212" or unicodedata.category(char) == "Pd"


def looks_like_formula(text: str) -> bool:
    """Whether a spreadsheet might run `text` as a formula or DDE call: it starts with a tab
    or carriage return, or its first visible character is a formula sign (whatever
    whitespace, line breaks or invisible characters come before it)."""
    if text[:1] in ("\t", "\r"):
        return True
    for char in text:
        if unicodedata.category(char) in _SKIPPED_CATEGORIES:
            continue
        return _formula_sign(char)
    return False


# --- values --------------------------------------------------------------------------------


def _missing(value: object) -> bool:
    if value is None:
        return True
    if isinstance(value, (str, bytes, list, tuple, dict, set, frozenset)):
        return False
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):  # an array or another container: not one missing value
        return False


def _number(value: object) -> Number | None:
    """`value` as a plain Python number, when it is one a spreadsheet can hold."""
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, Decimal):
        return value if value.is_finite() else None
    if isinstance(value, numbers.Integral):
        return int(value)
    if isinstance(value, numbers.Real):
        number = float(value)
        return number if math.isfinite(number) else None  # inf is text: no sheet holds it
    return None


def _text(value: object, datetime_format: str | None) -> str:
    """Any value that is not a number, as the text a spreadsheet should show."""
    if isinstance(value, dt.datetime):
        if datetime_format:
            return value.strftime(datetime_format)
        return value.isoformat(sep=" ")
    if isinstance(value, (dt.date, dt.time)):
        return value.isoformat()
    return clean(value if isinstance(value, str) else str(value))


# --- CSV -----------------------------------------------------------------------------------


def csv_field(value: object, datetime_format: str | None = None) -> str | Number:
    """One CSV field: a number as it is, anything else as text, behind CSV_PREFIX when a
    spreadsheet would run it."""
    if _missing(value):
        return ""
    number = _number(value)
    if isinstance(number, bool):
        return str(number)  # a quoted word: only numbers go unquoted
    if number is not None:
        return number
    text = _text(value, datetime_format)
    return CSV_PREFIX + text if looks_like_formula(text) else text


def csv_bytes(header: Sequence[object], rows: Iterable[Sequence[object]],
              datetime_format: str | None = None) -> bytes:
    """`header` and `rows` as CSV (UTF-8, comma-separated), every text field quoted."""
    out = io.StringIO()
    # QUOTE_NONNUMERIC quotes every field that is not a number: text holding a separator, a
    # quote, a CR or an LF stays one field of one row in any reader.
    writer = csv.writer(out, quoting=csv.QUOTE_NONNUMERIC, lineterminator=CSV_LINE_END)
    writer.writerow([CSV_PREFIX + t if looks_like_formula(t) else t
                     for t in (_text(name, None) for name in header)])
    for row in rows:
        writer.writerow([csv_field(value, datetime_format) for value in row])
    return out.getvalue().encode(CSV_ENCODING)


def frame_csv(frame: pd.DataFrame, datetime_format: str | None = None) -> bytes:
    """A table as CSV: its column names as the header, then its rows. A column of dates and
    times that are all at midnight is written as dates, as pandas writes it."""
    frame = frame.copy(deep=False)
    for position in range(frame.shape[1]):
        values = frame.iloc[:, position]
        if (datetime_format is None and pd.api.types.is_datetime64_dtype(values)
                and (values.dropna() == values.dropna().dt.normalize()).all()):
            frame.isetitem(position, values.dt.date.astype(object))
    return csv_bytes([str(c) for c in frame.columns],
                     frame.itertuples(index=False, name=None), datetime_format)


def csv_zip(tables: Mapping[str, pd.DataFrame], notes: Mapping[str, str] | None = None,
            datetime_format: str | None = None) -> bytes:
    """A .zip with `notes` as plain text files (name -> text) and each table as
    <name>.csv written by `frame_csv`."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in (notes or {}).items():
            archive.writestr(name, text)
        for name, frame in tables.items():
            archive.writestr(f"{name}.csv", frame_csv(frame, datetime_format))
    return out.getvalue()


# --- .xlsx ---------------------------------------------------------------------------------


def xlsx_value(value: object) -> Any:
    """What a worksheet cell should hold for `value`: None, a number, a naive date or time,
    or text (cleaned and cut to Excel's limit)."""
    if _missing(value):
        return None
    number = _number(value)
    if number is not None:
        return number
    if isinstance(value, pd.Timestamp):
        value = value.to_pydatetime()
    if isinstance(value, (dt.datetime, dt.time)) and value.tzinfo is None:
        return value  # a time zone cannot be stored in a worksheet: such values become text
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value
    return _text(value, None)[:MAX_XLSX_CELL_CHARS]


def _as_text_cell(cell: Cell) -> None:
    """A string value stays a string cell; one that looks like a formula is marked as text
    the way Excel marks what is typed after a quote, so editing it keeps it text."""
    cell.data_type = "s"
    if looks_like_formula(cell.value):
        cell.quotePrefix = True


def put(sheet: Worksheet, row: int, column: int, value: object) -> Cell:
    """Write `value` into one cell: text as a string cell, never a formula."""
    cell = sheet.cell(row=row, column=column)
    cell.value = xlsx_value(value)
    if isinstance(cell.value, str):
        _as_text_cell(cell)
    return cell


def append(sheet: Worksheet, values: Sequence[object]) -> int:
    """Write `values` as the sheet's next row; its row number."""
    empty = sheet.max_row == 1 and all(cell.value is None for cell in sheet[1])
    row = 1 if empty else sheet.max_row + 1
    for column, value in enumerate(values, start=1):
        put(sheet, row, column, value)
    return row


def sheet_title(text: str, fallback: str = "Sheet", taken: Iterable[str] = ()) -> str:
    """A sheet's name made from `text`: without the characters Excel refuses in one (and
    without leading or trailing quotes), at most 31 characters, not a name Excel reserves,
    and not one of `taken` (compared as Excel does, ignoring case)."""
    title = _SHEET_TITLE_FORBIDDEN.sub(" ", clean(text)).replace("\r", " ").replace("\n", " ")
    title = title.strip(" \t'")[:MAX_SHEET_TITLE_CHARS].strip(" \t'")
    if not title or title.lower() in _RESERVED_SHEET_TITLES:
        title = fallback
    used = {t.lower() for t in taken}
    candidate, number = title, 1
    while candidate.lower() in used:
        number += 1
        suffix = f" ({number})"
        candidate = title[: MAX_SHEET_TITLE_CHARS - len(suffix)].rstrip(" '") + suffix
    return candidate


def xlsx_bytes(book: Workbook) -> bytes:
    """The workbook as .xlsx bytes, after making sure no cell in it is a formula."""
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                if isinstance(cell.value, str):  # a formula cell's value is its text too
                    _as_text_cell(cell)
    out = io.BytesIO()
    book.save(out)
    return _keep_carriage_returns(out.getvalue())


def _keep_carriage_returns(data: bytes) -> bytes:
    """openpyxl writes a carriage return inside a cell's text as it is, and every XML reader
    (Excel's too) turns it into a line feed. Written as the character reference &#13; it
    reaches the spreadsheet as typed. Outside text, openpyxl's XML holds no raw CR."""
    source = zipfile.ZipFile(io.BytesIO(data))
    members = [(info, source.read(info)) for info in source.infolist()]
    if not any(b"\r" in content for info, content in members if _holds_cells(info.filename)):
        return data
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for info, content in members:
            if _holds_cells(info.filename):
                content = content.replace(b"\r", b"&#13;")
            archive.writestr(info, content)
    return out.getvalue()


def _holds_cells(member: str) -> bool:
    return member.startswith("xl/worksheets/") or member == "xl/sharedStrings.xml"
