"""Uploaded tables: the rows of a CSV or .xlsx file someone sent, read within fixed limits.

One reader for every upload of a table (lib/imports.py, lib/delivery_sheet.py). Bytes in, rows
out; what the rows mean is the caller's business. Everything is capped before and while it is
parsed, so time and memory grow linearly with the file and stop at the limits; every refusal is a
RuleViolation that says which limit was hit, or which line is malformed.

CSV: any file that Excel or Python's csv module writes is read exactly: comma, semicolon or tab,
UTF-8 with or without BOM, UTF-16 with BOM (Excel's "Unicode text"), Windows-1252 (Excel's
"CSV" on Windows), CRLF, LF or CR, quoted newlines, quoted delimiters, doubled quotes, minimal
or full quoting. The delimiter is the one under which real csv parsing of the header yields the
known column names; failing that, the one under which every row has the header's width.

.xlsx: the zip archive is checked before openpyxl sees it (members, sizes, compression ratio, then
a streaming XML census of every member: no DTD, elements, depth, text runs, rows, cells, shared
strings), because openpyxl keeps every row of a sheet without a dimension record and every shared
string in memory. Then the first sheet is streamed in read-only mode, counting rows and cells.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
import struct
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Literal
from xml.parsers import expat

from openpyxl import load_workbook
from openpyxl.utils import get_column_letter

from lib.rules import RuleViolation

# --- limits ----------------------------------------------------------------------------------
# Callers pass their own file size and row limits (UploadLimits); the rest default to these.
MAX_UPLOAD_COLUMNS = 100  # columns of a table (cells past the last non-empty one aside)
MAX_UPLOAD_CELL_CHARS = 10_000  # characters in one cell
MAX_UPLOAD_CELLS = 2_000_000  # rows x columns, blank cells included
# .xlsx archives: checked before openpyxl opens them.
MAX_XLSX_MEMBERS = 1_000  # files in the zip archive (Excel writes 10 to 30)
MAX_XLSX_UNZIPPED_BYTES = 100_000_000  # all members together, uncompressed
MAX_XLSX_MEMBER_BYTES = 50_000_000  # one member, uncompressed
MAX_XLSX_RATIO = 100  # uncompressed / compressed size of a member bigger than 1 MB
XLSX_RATIO_FROM_BYTES = 1_000_000  # smaller members cannot make a bomb; their ratio is not judged
MAX_XLSX_ELEMENTS = 6_000_000  # XML elements in all members together
MAX_XLSX_DEPTH = 100  # nesting of XML elements
MAX_XLSX_TEXT_CHARS = 100_000  # one run of text in the XML (Excel's cells hold at most 32,767)
MAX_XLSX_ROW_CELLS = 16_384  # <c> elements in one <row> (Excel's last column is XFD, 16,384)
MAX_XLSX_SHARED_STRINGS = 1_000_000  # openpyxl keeps them all in memory
MAX_XLSX_TAG_BYTES = 1_000_000  # bytes from one "<" to the next: a tag and the text after it
MAX_XLSX_ATTRIBUTES = 10_000  # "=" from one "<" to the next: an element's attributes

CSV_DELIMITERS = (",", ";", "\t")
_ZIP_MAGIC = b"PK\x03\x04"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # an old .xls, or a password-protected .xlsx
_EOCD = b"PK\x05\x06"  # a zip's end-of-central-directory record
_CENTRAL_RECORD_BYTES = 1_024  # room per member in the central directory (name and extras)
_LINE_BREAK = re.compile(r"\r\n|\r|\n")
_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+")
_ESCAPED_BYTE = re.compile("[\udc80-\udcff]")
_NON_ASCII = re.compile("[^\x00-\x7f]")


@dataclass(frozen=True)
class UploadLimits:
    """What one upload may hold; every refusal names the limit it hit."""

    max_bytes: int  # the file as uploaded
    max_rows: int  # rows read, the header and blank rows included
    max_columns: int = MAX_UPLOAD_COLUMNS
    max_cell_chars: int = MAX_UPLOAD_CELL_CHARS
    max_cells: int = MAX_UPLOAD_CELLS

    @property
    def max_record_chars(self) -> int:
        """The longest CSV record: every column full, quoted, with its delimiter."""
        return self.max_columns * (self.max_cell_chars + 3)


Cell = object  # str for CSV; str, int, float, bool, datetime or None for .xlsx
Row = tuple[int, list[Cell]]  # (the line or sheet row where it starts, its cells)


@dataclass
class Table:
    header: list[Cell]  # the first row; [] when it is blank or the file has no rows
    rows: Iterator[Row]  # the other rows, read as they are asked for (limits hold while reading)
    kind: Literal["csv", "xlsx"]


def read_table(data: bytes, kind: Literal["csv", "xlsx"], limits: UploadLimits,
               is_known: Callable[[str], bool] = lambda name: False) -> Table:
    """The rows of an uploaded CSV or .xlsx file.

    `is_known` tells a column name the caller expects; it decides a CSV file's delimiter.
    Raises RuleViolation for a file beyond a limit or malformed, naming the limit or the line.
    """
    if not data:
        raise RuleViolation("The file is empty.")
    if len(data) > limits.max_bytes:
        size = _size(len(data))
        if size == _size(limits.max_bytes):
            size = f"{len(data):,} bytes"  # just over: "5 MB; at most 5 MB" would say nothing
        raise RuleViolation(
            f"The file is {size}; a file may be at most {_size(limits.max_bytes)}."
            " Split it into smaller files, or leave out the columns it does not need."
        )
    if kind == "xlsx":
        return _xlsx_table(data, limits)
    return _csv_table(data, limits, is_known)


def _size(count: int) -> str:
    if count < 100_000:
        return f"{count:,} bytes"
    return f"{count / 1e6:,.1f}".removesuffix(".0") + " MB"


def _line_of(text: str, position: int) -> int:
    """The line (from 1) that holds `position`; \\r\\n, \\r and \\n each end a line."""
    return 1 + sum(1 for _ in _LINE_BREAK.finditer(text, 0, position))


# --- CSV -------------------------------------------------------------------------------------


def _csv_table(data: bytes, limits: UploadLimits, is_known: Callable[[str], bool]) -> Table:
    text = decode_csv(data)
    nul = text.find("\x00")
    if nul >= 0:
        raise RuleViolation(
            f"The file is not a CSV text file: line {_line_of(text, nul)} holds a NUL character"
            " (a binary file, or a CSV saved as UTF-16 without its BOM)."
        )
    delimiter, start, first_line = _delimiter(text, limits, is_known)
    records = _csv_records(text, start, first_line, delimiter, limits)
    header = next(records, None)
    if header is None:
        return Table([], iter(()), "csv")
    _, names = header
    return Table(list(names), _same_width(records, len(names)), "csv")


def decode_csv(data: bytes) -> str:
    """The text of a CSV file: UTF-8 (BOM or not), UTF-16 with its BOM, or Windows-1252.

    A file that is mostly UTF-8 but for a few bytes is refused, naming the line, rather than
    read as Windows-1252, which would turn every accented letter into two wrong ones.
    """
    if data.startswith(codecs.BOM_UTF16_LE):
        return _decode(data, "utf-16-le", "UTF-16", len(codecs.BOM_UTF16_LE))
    if data.startswith(codecs.BOM_UTF16_BE):
        return _decode(data, "utf-16-be", "UTF-16", len(codecs.BOM_UTF16_BE))
    if data.startswith(codecs.BOM_UTF8):
        return _decode(data, "utf-8", "UTF-8", len(codecs.BOM_UTF8))
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    if _mostly_utf8(data):
        return _decode(data, "utf-8", "UTF-8")  # refused, naming the line of the bad bytes
    return _decode(data, "cp1252", "Windows-1252")


def _mostly_utf8(data: bytes) -> bool:
    """More valid UTF-8 letters than bytes that are not UTF-8: a UTF-8 file with a few bad
    bytes. Windows-1252 text seldom holds a valid UTF-8 sequence ("Â©" is one), and then
    also holds many bytes that are not."""
    loose = data.decode("utf-8", errors="surrogateescape")  # a bad byte becomes U+DC80-U+DCFF
    bad = len(loose) - len(_ESCAPED_BYTE.sub("", loose))  # counted in C: the file may be big
    letters = len(loose) - len(_NON_ASCII.sub("", loose)) - bad
    return letters > bad


def _decode(data: bytes, codec: str, name: str, bom: int = 0) -> str:
    try:
        return data[bom:].decode(codec)
    except UnicodeDecodeError as error:
        start = bom + error.start
        line = _line_of(data[bom:start].decode(codec), start - bom)  # the text before is good
        raise RuleViolation(
            f"Line {line} holds bytes that are not {name} text"
            f" ({data[start:start + 4].hex(' ')}). Save the file as"
            " “CSV UTF-8 (comma delimited)”."
        ) from None


def _delimiter(text: str, limits: UploadLimits, is_known: Callable[[str], bool]
               ) -> tuple[str, int, int]:
    """(delimiter, where the header starts in `text`, its line).

    Excel's `sep=;` first line names it. Otherwise the header is parsed with each candidate and
    the one that yields the most known column names wins; on a tie, the one under which every
    row has the header's width (parsed for real, so quoted delimiters do not count).
    """
    hint = re.match(r"sep=(.)(\r\n|\r|\n)", text)
    if hint and hint.group(1) in (*CSV_DELIMITERS, "|"):
        return hint.group(1), hint.end(), 2
    scores = {d: _known_names(text, d, limits, is_known) for d in CSV_DELIMITERS}
    best = max(scores.values())
    tied = [d for d in CSV_DELIMITERS if scores[d] == best]
    if best > 0 and len(tied) == 1:
        return tied[0], 0, 1
    consistent = [d for d in tied if _consistent_width(text, d, limits)]
    if consistent:  # the most columns: a one-column reading of a two-column file is also even
        return max(consistent, key=lambda d: _header_width(text, d, limits)), 0, 1
    return tied[0], 0, 1


def _first_record(text: str, delimiter: str, limits: UploadLimits) -> list[str] | None:
    try:
        header = next(_csv_records(text, 0, 1, delimiter, limits, checked=False), None)
    except RuleViolation:
        return None
    return None if header is None else header[1]


def _known_names(text: str, delimiter: str, limits: UploadLimits,
                 is_known: Callable[[str], bool]) -> int:
    header = _first_record(text, delimiter, limits)
    return -1 if header is None else sum(1 for name in header if is_known(name))


def _header_width(text: str, delimiter: str, limits: UploadLimits) -> int:
    return len(_first_record(text, delimiter, limits) or [])


def _consistent_width(text: str, delimiter: str, limits: UploadLimits) -> bool:
    """Whether every record but an empty line is as wide as the header (stricter than reading:
    a row of empty cells of another width counts against the delimiter)."""
    records = _csv_records(text, 0, 1, delimiter, limits, checked=False)
    try:
        header = next(records, None)
        return header is not None and all(
            len(fields) in (0, len(header[1])) for _, fields in records)
    except RuleViolation:
        return False


class _Lines:
    """The physical lines of the text, for csv.reader, refusing a record longer than the limit
    before csv builds it (a record is counted from the line csv last finished one on)."""

    def __init__(self, text: str, start: int, limit: int) -> None:
        self.text, self.start, self.limit = text, start, limit
        self.record_chars = 0

    def __iter__(self) -> Iterator[str]:
        for match in _LINE.finditer(self.text, self.start):
            line = match.group()
            self.record_chars += len(line)
            if self.record_chars > self.limit:
                raise _RecordTooLong
            yield line


class _RecordTooLong(Exception):
    pass


def _csv_records(text: str, start: int, first_line: int, delimiter: str, limits: UploadLimits,
                 checked: bool = True) -> Iterator[Row]:
    """Every record as (its first line, its fields), within the limits.

    Unchecked (to judge a delimiter), only the length of a record is capped: a wrong delimiter
    must not hide a limit that the right one will report, nor be refused for one."""
    lines = _Lines(text, start, limits.max_record_chars)
    reader = csv.reader(iter(lines), delimiter=delimiter, quotechar='"', doublequote=True,
                        strict=True)
    offset = first_line - 1
    line, count, cells = first_line, 0, 0
    while True:
        try:
            fields = next(reader)
        except StopIteration:
            return
        except _RecordTooLong:
            raise RuleViolation(
                f"Line {line}: the row goes on for more than {limits.max_record_chars:,}"
                f" characters (at most {limits.max_columns:,} columns of"
                f" {limits.max_cell_chars:,} characters)."
            ) from None
        except csv.Error as error:
            raise RuleViolation(_csv_error(str(error), line, offset + reader.line_num,
                                           delimiter, limits)) from None
        count += 1
        cells += len(fields)
        if checked:
            _check_record(fields, line, count, cells, limits)
        yield line, fields
        lines.record_chars = 0
        line = offset + reader.line_num + 1


def _csv_error(error: str, line: int, found_on: int, delimiter: str,
               limits: UploadLimits) -> str:
    shown = {"\t": "tab", ",": "comma", ";": "semicolon"}.get(delimiter, delimiter)
    if "unexpected end of data" in error:
        return (f"Line {line}: unexpected end of the file inside a quoted field: a quote (\")"
                " opened in this row is never closed.")
    if "field larger than field limit" in error:
        return (f"Line {line}: a cell holds more than {limits.max_cell_chars:,} characters;"
                f" at most {limits.max_cell_chars:,}.")
    if "expected after" in error:
        return (f"Line {found_on}: text follows a closing quote (\"). A quoted cell must end"
                f" with its quote and the {shown}; a quote inside a cell is written twice (\"\").")
    return f"Line {found_on}: the CSV cannot be read ({error})."


def _check_record(fields: list[str], line: int, count: int, cells: int,
                  limits: UploadLimits) -> None:
    if count > limits.max_rows:
        raise RuleViolation(
            f"The file goes on past {limits.max_rows:,} rows (line {line}), blank ones included;"
            " delete the empty rows at its end, or split it into smaller files."
        )
    if len(fields) > limits.max_columns:
        raise RuleViolation(
            f"Line {line} has {len(fields):,} columns; at most {limits.max_columns:,}."
        )
    if cells > limits.max_cells:
        raise RuleViolation(
            f"The file holds more than {limits.max_cells:,} cells (rows x columns) by line"
            f" {line}; split it into smaller files."
        )
    for column, value in enumerate(fields, start=1):
        if len(value) > limits.max_cell_chars:
            raise RuleViolation(
                f"Line {line}, column {column}: the cell holds {len(value):,} characters;"
                f" at most {limits.max_cell_chars:,}."
            )


def _same_width(records: Iterator[Row], width: int) -> Iterator[Row]:
    """The records, each as wide as the header; a blank line is a row of no cells."""
    for line, fields in records:
        if len(fields) != width and any(f.strip() for f in fields):
            raise RuleViolation(
                f"Line {line} has {len(fields)} cells but the header has {width}. A cell that"
                " holds the delimiter or a line break must be in quotes (\"…\")."
            )
        yield line, list(fields)


# --- .xlsx -----------------------------------------------------------------------------------


def _xlsx_table(data: bytes, limits: UploadLimits) -> Table:
    if data.startswith(_OLE_MAGIC):
        raise RuleViolation(
            "The file is an old .xls workbook or a password-protected one, not an .xlsx workbook."
            " Save it from Excel as .xlsx, without a password."
        )
    if not data.startswith(_ZIP_MAGIC):
        raise RuleViolation(
            "The file is not an .xlsx workbook (not a readable .xlsx file); save it from Excel"
            " as .xlsx."
        )
    _check_central_directory(data)
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError,
            struct.error, NotImplementedError) as error:
        raise _damaged(error) from None
    with archive:
        members = _check_members(archive)
        census = _XmlCensus(limits)
        for member in members:
            census.scan(archive, member)
    return _stream_first_sheet(data, limits)


def _damaged(error: BaseException) -> RuleViolation:
    return RuleViolation(
        f"The .xlsx file cannot be read: its zip archive is damaged ({type(error).__name__})."
        " Open it in Excel and save it again."
    )


def _check_central_directory(data: bytes) -> None:
    """Refuse an archive that lists more members than allowed before zipfile makes an object
    for each of them (a 20 MB central directory is some 400,000 members)."""
    end = data.rfind(_EOCD, max(0, len(data) - 22 - 65_535))
    if end < 0 or len(data) < end + 22:
        raise _damaged(zipfile.BadZipFile("no end of central directory"))
    entries, directory_bytes = struct.unpack("<HI", data[end + 10:end + 16])
    if entries > MAX_XLSX_MEMBERS or directory_bytes > MAX_XLSX_MEMBERS * _CENTRAL_RECORD_BYTES:
        raise RuleViolation(
            f"The workbook's archive lists more than {MAX_XLSX_MEMBERS:,} files; an .xlsx"
            " workbook holds a few dozen."
        )


def _check_members(archive: zipfile.ZipFile) -> list[zipfile.ZipInfo]:
    """The archive's members, refused before any is decompressed when they are too many or
    would expand too far. zipfile never yields more than a member's declared size (it stops
    there and the CRC check fails), so the declared sizes bound what decompression produces."""
    members = archive.infolist()
    if len(members) > MAX_XLSX_MEMBERS:
        raise RuleViolation(
            f"The workbook's archive holds {len(members):,} files; at most {MAX_XLSX_MEMBERS:,}."
        )
    total = 0
    for member in members:
        if member.flag_bits & 0x1:
            raise RuleViolation("The workbook is encrypted; save it from Excel without a password.")
        if member.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            raise RuleViolation(
                f"The workbook's part {member.filename[:80]!r} is compressed in a way Excel"
                " never uses; open the file in Excel and save it again."
            )
        if member.file_size > MAX_XLSX_MEMBER_BYTES:
            raise RuleViolation(
                f"The workbook's part {member.filename[:80]!r} unpacks to"
                f" {_size(member.file_size)}; a part may be at most"
                f" {_size(MAX_XLSX_MEMBER_BYTES)}."
            )
        ratio = member.file_size / max(member.compress_size, 1)
        if member.file_size > XLSX_RATIO_FROM_BYTES and ratio > MAX_XLSX_RATIO:
            raise RuleViolation(
                f"The workbook's part {member.filename[:80]!r} unpacks to {ratio:,.0f} times its"
                f" packed size; at most {MAX_XLSX_RATIO:,} times. It is not a sheet Excel wrote."
            )
        total += member.file_size
        if total > MAX_XLSX_UNZIPPED_BYTES:
            raise RuleViolation(
                f"The workbook unpacks to more than {_size(MAX_XLSX_UNZIPPED_BYTES)}; at most"
                f" {_size(MAX_XLSX_UNZIPPED_BYTES)}. Split it into smaller files."
            )
    return members


class _XmlCensus:
    """Counts what openpyxl would build from the archive's XML, streaming it through expat with
    no tree, and refuses past the limits: openpyxl keeps each row of a sheet without a dimension
    record, each cell of a row, and every shared string, in memory."""

    def __init__(self, limits: UploadLimits) -> None:
        self.limits = limits
        self.max_elements, self.max_strings = MAX_XLSX_ELEMENTS, MAX_XLSX_SHARED_STRINGS
        self.elements = self.cells = self.rows = self.strings = 0
        self.row_cells = self.depth = self.text = 0
        self.gap = self.equals = 0  # bytes and "=" since the last "<" (see _measure)

    def scan(self, archive: zipfile.ZipFile, member: zipfile.ZipInfo) -> None:
        parser = expat.ParserCreate(namespace_separator=" ")
        parser.buffer_text = True
        parser.ordered_attributes = True  # a list, cheaper than a dict, and never read
        parser.StartElementHandler = self._start
        parser.EndElementHandler = self._end
        parser.CharacterDataHandler = self._characters
        parser.StartDoctypeDeclHandler = self._doctype
        parser.EntityDeclHandler = self._doctype
        self.depth = self.text = self.gap = self.equals = 0
        try:
            with archive.open(member) as stream:
                while chunk := stream.read(1 << 16):
                    self._measure(chunk)
                    parser.Parse(chunk, False)
                parser.Parse(b"", True)
        except RuleViolation:
            raise  # a limit hit by the handlers (RuleViolation is a ValueError)
        except expat.ExpatError:
            return  # not XML (an image) or malformed: openpyxl refuses the latter if it reads it
        except (zipfile.BadZipFile, OSError, EOFError, ValueError, NotImplementedError) as error:
            raise _damaged(error) from None

    def _measure(self, chunk: bytes) -> None:
        """Refuse a start tag too long or with too many attributes before expat reads it: expat
        holds a whole tag, and pyexpat makes two strings per attribute, before any handler
        runs. "<" cannot occur inside a tag, so what lies between two "<" bounds one tag."""
        first = chunk.find(b"<")
        if first < 0:
            self._judge_tag(self.gap + len(chunk), self.equals + chunk.count(b"="))
            self.gap, self.equals = self.gap + len(chunk), self.equals + chunk.count(b"=")
            return
        self._judge_tag(self.gap + first, self.equals + chunk.count(b"=", 0, first))
        last = chunk.rfind(b"<")
        if chunk.count(b"=", first, last) > MAX_XLSX_ATTRIBUTES:  # seldom: look at each tag
            for tag in chunk[first:last].split(b"<"):
                self._judge_tag(len(tag), tag.count(b"="))
        self.gap, self.equals = len(chunk) - last, chunk.count(b"=", last)

    def _judge_tag(self, size: int, equals: int) -> None:
        if size > MAX_XLSX_TAG_BYTES:
            raise RuleViolation(
                f"The workbook's XML holds a tag or text of more than {_size(MAX_XLSX_TAG_BYTES)}"
                "; it is not a sheet Excel wrote."
            )
        if equals > MAX_XLSX_ATTRIBUTES:
            raise RuleViolation(
                f"The workbook's XML holds an element with more than {MAX_XLSX_ATTRIBUTES:,}"
                " attributes; it is not a sheet Excel wrote."
            )

    def _doctype(self, *_: object) -> None:
        raise RuleViolation(
            "The workbook's XML declares a document type or entities, which Excel never writes;"
            " it is refused."
        )

    def _start(self, name: str, _attributes: object) -> None:
        # Called for every element of the archive: kept to a few comparisons.
        self.elements += 1
        self.depth += 1
        self.text = 0
        if self.elements > self.max_elements or self.depth > MAX_XLSX_DEPTH:
            raise RuleViolation(
                f"The workbook's XML holds more than {self.max_elements:,} elements or nests"
                f" them deeper than {MAX_XLSX_DEPTH}; it is not a sheet to import."
            )
        local = name[name.rfind(" ") + 1:]
        if local == "c":
            self.cells += 1
            self.row_cells += 1
            if self.cells > self.limits.max_cells or self.row_cells > MAX_XLSX_ROW_CELLS:
                self._too_many_cells()
        elif local == "row":
            self.rows += 1
            self.row_cells = 0
            if self.rows > self.limits.max_rows:
                raise RuleViolation(
                    f"The workbook holds more than {self.limits.max_rows:,} rows (in all its"
                    " sheets, blank ones included); delete the empty rows, or split it."
                )
        elif local == "si":
            self.strings += 1
            if self.strings > self.max_strings:
                raise RuleViolation(
                    f"The workbook holds more than {self.max_strings:,} different texts;"
                    " split it into smaller files."
                )

    def _too_many_cells(self) -> None:
        if self.row_cells > MAX_XLSX_ROW_CELLS:
            raise RuleViolation(
                f"A row of the workbook holds more than {MAX_XLSX_ROW_CELLS:,} cells, more"
                " than Excel's last column."
            )
        raise RuleViolation(
            f"The workbook holds more than {self.limits.max_cells:,} cells (rows x columns, in"
            " all its sheets); split it into smaller files."
        )

    def _end(self, _name: str) -> None:
        self.depth -= 1
        self.text = 0

    def _characters(self, text: str) -> None:
        self.text += len(text)
        if self.text > MAX_XLSX_TEXT_CHARS:
            raise RuleViolation(
                f"The workbook holds a text of more than {MAX_XLSX_TEXT_CHARS:,} characters;"
                f" a cell may hold at most {self.limits.max_cell_chars:,}."
            )


def _stream_first_sheet(data: bytes, limits: UploadLimits) -> Table:
    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True, keep_links=False)
        sheet = book.worksheets[0]
        # The dimension record is the file's claim, not a fact: rows are as wide as their cells.
        sheet.reset_dimensions()
        values = sheet.iter_rows(values_only=True)
    except Exception as error:  # openpyxl raises many kinds for a file that is not a workbook
        raise RuleViolation(
            f"The .xlsx file cannot be read ({type(error).__name__}); open it in Excel and save"
            " it again."
        ) from None
    rows = _counted_rows(values, limits)
    try:
        header = next(rows, None)
    except RuleViolation:
        book.close()
        raise
    if header is None:
        book.close()
        return Table([], iter(()), "xlsx")
    return Table(header[1], _closing(rows, book), "xlsx")


def _closing(rows: Iterator[Row], book: object) -> Iterator[Row]:
    try:
        yield from rows
    finally:
        book.close()  # type: ignore[attr-defined]


def _counted_rows(values: Iterator[tuple[object, ...]], limits: UploadLimits) -> Iterator[Row]:
    """The sheet's rows as (row number, cells up to the last non-empty one), refusing past the
    limits while streaming: rows (blank ones included) and cells (rows x columns as read)."""
    cells = 0
    number = 0
    while True:
        try:
            row = next(values, None)
        except RuleViolation:
            raise
        except Exception as error:  # a part openpyxl cannot parse, found while streaming
            raise RuleViolation(
                f"The .xlsx file cannot be read after row {number:,} ({type(error).__name__});"
                " open it in Excel and save it again."
            ) from None
        if row is None:
            return
        number += 1
        cells += len(row)
        if number > limits.max_rows:
            raise RuleViolation(
                f"The sheet goes on past row {limits.max_rows:,}, blank rows included; delete"
                " the empty rows at its end, or split it."
            )
        if cells > limits.max_cells:
            raise RuleViolation(
                f"The sheet holds more than {limits.max_cells:,} cells (rows x columns) by row"
                f" {number:,}; delete the empty columns and rows, or split it."
            )
        yield number, _checked_cells(row, number, limits)


def _checked_cells(row: tuple[object, ...], number: int, limits: UploadLimits) -> list[Cell]:
    width = len(row)
    while width and row[width - 1] is None:
        width -= 1
    if width > limits.max_columns:
        raise RuleViolation(
            f"Row {number:,} has cells up to column {get_column_letter(width)}; at most"
            f" {limits.max_columns:,} columns ({get_column_letter(limits.max_columns)})."
        )
    for column, value in enumerate(row[:width], start=1):
        if isinstance(value, str) and len(value) > limits.max_cell_chars:
            raise RuleViolation(
                f"Cell {get_column_letter(column)}{number} holds {len(value):,} characters;"
                f" at most {limits.max_cell_chars:,}."
            )
    return list(row[:width])
