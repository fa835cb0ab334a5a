"""Uploaded tables (lib.uploads) through the real paths that read them: lib.imports.read_rows
(creators and collaborations imports) and lib.delivery_sheet.read (the warehouse's sheet).

Any CSV that Python's csv module or Excel writes reads back exactly (a property test over
delimiters, encodings, line ends, quoting and awkward cells); malformed CSV and hostile .xlsx
files are refused with a message naming the line or the limit, and nothing is written.
"""

from __future__ import annotations

import codecs
import csv
import io
import random
import re
import threading
import zipfile
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook

from lib import delivery_sheet, imports, rules, uploads
from lib.db import Database
from lib.models import MAX_SHEET_BYTES, Role, User
from lib.rules import RuleViolation
from tests.test_imports import counts
from tests.test_imports import open_imports as open_imports_page

# --- writing tables the ways Excel and Python do ---------------------------------------------

ENCODINGS = ("utf-8", "utf-8-sig", "cp1252", "utf-16")
AWKWARD = ['"', '""', ",", ";", "\t", "\n", "\r\n", "\r", " ", "a,b", 'say "hi"', "x;y\tz",
           "\ufeff", "é", "€", "日本", "😀", "=1+2", "'", "\\", "sep=;"]


def write_csv(header: list[str], rows: list[list[str]], delimiter: str = ",",
              line_end: str = "\r\n", quoting: int = csv.QUOTE_MINIMAL,
              encoding: str = "utf-8") -> bytes:
    out = io.StringIO(newline="")
    writer = csv.writer(out, delimiter=delimiter, lineterminator=line_end, quoting=quoting)
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue().encode(encoding)


def lines_of(header: list[str], rows: list[list[str]], delimiter: str, line_end: str,
             quoting: int) -> list[int]:
    """The line each row starts on, counting every \\r\\n, \\r or \\n before it (quoted ones
    too, as an editor shows them)."""
    starts, text = [], ""
    for row in [header, *rows]:
        starts.append(1 + len(re.findall(r"\r\n|\r|\n", text)))
        out = io.StringIO(newline="")
        csv.writer(out, delimiter=delimiter, lineterminator=line_end, quoting=quoting
                   ).writerow(row)
        text += out.getvalue()
    return starts[1:]


cell_text = st.one_of(
    st.sampled_from(AWKWARD),
    st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"),
            max_size=12),
    st.lists(st.sampled_from(AWKWARD), max_size=4).map("".join),
)
dialects = st.fixed_dictionaries({
    "delimiter": st.sampled_from([",", ";", "\t"]),
    "line_end": st.sampled_from(["\r\n", "\n"]),
    "quoting": st.sampled_from([csv.QUOTE_MINIMAL, csv.QUOTE_ALL]),
    "encoding": st.sampled_from(ENCODINGS),
})


def writable(cells: list[list[str]], dialect: dict[str, Any]) -> bool:
    """Python 3.11's csv.writer quotes a field for the characters of its own line terminator
    only: with "\n" it writes a lone "\r" unquoted, and no reader can tell it from a line end
    (Excel quotes both). Such files are not what this test is about."""
    lone_cr = dialect["quoting"] == csv.QUOTE_MINIMAL and dialect["line_end"] == "\n"
    return not (lone_cr and any("\r" in cell for row in cells for cell in row)) and encodable(
        cells, dialect["encoding"])


def encodable(cells: list[list[str]], encoding: str) -> bool:
    """Windows-1252 holds few characters; and text whose Windows-1252 bytes are mostly valid
    UTF-8 (such as "Ã©") is taken for UTF-8, as any reader without a BOM must guess."""
    if encoding != "cp1252":
        return True
    text = "".join("".join(row) for row in cells)
    try:
        data = text.encode("cp1252")
    except UnicodeEncodeError:
        return False
    loose = data.decode("utf-8", errors="surrogateescape")
    bad = sum(1 for c in loose if 0xDC80 <= ord(c) <= 0xDCFF)
    return bad >= sum(1 for c in loose if ord(c) > 0x7F) - bad  # else: damaged UTF-8


# --- the property: what is written is what is read ---------------------------------------------


@settings(max_examples=300, deadline=None)
@given(data=st.data(), dialect=dialects)
def test_any_csv_reads_back_exactly_through_the_import_path(data: st.DataObject,
                                                            dialect: dict[str, Any]) -> None:
    optional = [c.name for c in imports.CREATOR_COLUMNS if not c.required]
    header = data.draw(st.permutations(
        ["name", "handle", "platform", *data.draw(st.lists(st.sampled_from(optional),
                                                           unique=True, max_size=6))]))
    rows = data.draw(st.lists(st.lists(cell_text, min_size=len(header), max_size=len(header)),
                              min_size=1, max_size=8))
    assume(writable([header, *rows], dialect))
    assume(any(any(rules.cell_text(v) for v in row) for row in rows))
    file = write_csv(header, rows, **dialect)
    expected = [
        (line, dict(zip(header, row, strict=True)))
        for line, row in zip(lines_of(header, rows, dialect["delimiter"], dialect["line_end"],
                                      dialect["quoting"]), rows, strict=True)
        if any(rules.cell_text(v) for v in row)
    ]
    found, warnings = imports.read_rows(file, "creators.csv", "creators")
    assert (found, warnings) == (expected, [])


@settings(max_examples=200, deadline=None)
@given(data=st.data(), dialect=dialects)
def test_any_csv_reads_back_exactly_through_the_delivery_sheet(data: st.DataObject,
                                                               dialect: dict[str, Any]) -> None:
    header = data.draw(st.permutations(list(delivery_sheet.EXPORT_COLUMNS)))
    rows = data.draw(st.lists(st.lists(cell_text, min_size=len(header), max_size=len(header)),
                              max_size=8))
    assume(writable([header, *rows], dialect))
    sheet = delivery_sheet.read("back.csv", write_csv(header, rows, **dialect))
    fields = {"Shipment #": "id", "Carrier": "carrier", "Tracking number": "tracking",
              "Status": "status", "Exception reason": "reason"}
    expected = []
    for number, row in enumerate(rows, start=2):
        values = {fields[h]: v.strip() for h, v in zip(header, row, strict=True) if h in fields}
        if any(values.values()):
            expected.append(delivery_sheet.SheetRow(number, values))
    assert sheet.rows == expected
    assert sheet.blank_rows == len(rows) - len(expected)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.filter_too_much])
@given(data=st.data(), dialect=dialects)
def test_any_table_reads_back_exactly(data: st.DataObject, dialect: dict[str, Any]) -> None:
    """Any header at all, the reader knowing its names (as both callers know theirs)."""
    width = data.draw(st.integers(1, 6))
    header = data.draw(st.lists(cell_text, min_size=width, max_size=width))
    rows = data.draw(st.lists(st.lists(cell_text, min_size=width, max_size=width), max_size=8))
    assume(writable([header, *rows], dialect))
    assume(any(h.strip() for h in header))  # a header of blanks names nothing
    # U+FEFF first in a file without a BOM is read as a BOM, as by Excel.
    assume(not (header[0].startswith("\ufeff") and dialect["encoding"] == "utf-8"))
    assume(not re.match(r"sep=.(\r|\n)", write_csv(header, [], **dialect).decode(
        dialect["encoding"]).lstrip("\ufeff")))  # Excel's own hint line: it is obeyed
    limits = uploads.UploadLimits(max_bytes=10**6, max_rows=100)
    file = write_csv(header, rows, **dialect)
    table = uploads.read_table(file, "csv", limits, set(header).__contains__)
    assert table.header == header
    assert list(table.rows) == list(zip(
        lines_of(header, rows, dialect["delimiter"], dialect["line_end"], dialect["quoting"]),
        rows, strict=True))


# --- files Excel writes ------------------------------------------------------------------------

CREATORS = ["name", "handle", "platform", "tags"]
TRICKY_ROWS = [
    ['Ada "The Countess" Lovelace', "ada", "instagram", "Tech; Math"],
    ["Line\nbreak, and comma", "lb", "tiktok", ""],
    ["Zoë Ærø €", "zoe", "youtube", 'a "quoted"; tag'],
]


@pytest.mark.parametrize("delimiter", [",", ";", "\t"])
@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp1252", "utf-16"])
@pytest.mark.parametrize("line_end", ["\r\n", "\n", "\r"])
def test_excel_and_python_dialects(delimiter: str, encoding: str, line_end: str) -> None:
    # Python's writer leaves a "\n" unquoted when its line end is "\r" (see writable()).
    for quoting in (csv.QUOTE_MINIMAL, csv.QUOTE_ALL)[line_end == "\r":]:
        file = write_csv(CREATORS, TRICKY_ROWS, delimiter, line_end, quoting, encoding)
        found, _ = imports.read_rows(file, "c.csv", "creators")
        assert [row for _, row in found] == [dict(zip(CREATORS, r, strict=True))
                                             for r in TRICKY_ROWS]
        assert [line for line, _ in found] == [2, 3, 5]  # the second row spans two lines


def test_excels_sep_line_names_the_delimiter() -> None:
    file = b"sep=;\r\n" + write_csv(CREATORS, TRICKY_ROWS, ";")
    found, _ = imports.read_rows(file, "c.csv", "creators")
    assert [row["name"] for _, row in found] == [r[0] for r in TRICKY_ROWS]
    assert [line for line, _ in found] == [3, 4, 6]


def test_the_header_decides_the_delimiter_not_the_count_of_characters() -> None:
    """More semicolons than commas in the text, and quoted commas in the header line: the
    delimiter is still the one that yields the known column names."""
    file = write_csv(["name", "handle", "platform", "address"],
                     [["A;B;C;D;E", "h", "tiktok", "1; 2; 3; 4"]] * 3)
    found, _ = imports.read_rows(file, "c.csv", "creators")
    assert found[0][1] == {"name": "A;B;C;D;E", "handle": "h", "platform": "tiktok",
                           "address": "1; 2; 3; 4"}
    sheet = b'"Shipment #";"Carrier, or courier";Status\r\n7;"DHL, express";delivered\r\n'
    read = delivery_sheet.read("w.csv", sheet)
    assert read.rows == [delivery_sheet.SheetRow(2, {"id": "7", "status": "delivered"})]


def test_unknown_headers_fall_back_to_even_rows() -> None:
    limits = uploads.UploadLimits(max_bytes=10**6, max_rows=100)
    file = write_csv(["x"], [["a,b"], ["c,d"]], ";")  # one column; commas unquoted under ;
    table = uploads.read_table(file, "csv", limits)
    assert (table.header, list(table.rows)) == (["x"], [(2, ["a,b"]), (3, ["c,d"])])
    file = write_csv(["x", "y"], [["1", "2"], ["3", "4"]], "\t")
    table = uploads.read_table(file, "csv", limits)
    assert (table.header, list(table.rows)) == (["x", "y"], [(2, ["1", "2"]), (3, ["3", "4"])])


# --- malformed CSV: refused, naming the line; nothing written ------------------------------------

HEAD = "name,handle,platform\r\n"
MALFORMED_CSV = [
    (HEAD + 'A,a,tiktok\r\n"B,b,tiktok\r\nC,c,tiktok\r\n', r"Line 3: unexpected end of the file"
                                                              r" inside a quoted field"),
    (HEAD + 'A,a,tiktok\r\nB,b,tiktok,extra\r\n', r"Line 3 has 4 cells but the header has 3"),
    (HEAD + 'A,a,tiktok\r\nB,b\r\n', r"Line 3 has 2 cells but the header has 3"),
    (HEAD + '"A, \r\nmulti",a,tiktok\r\nB,b,tiktok,x\r\n', r"Line 4 has 4 cells"),
    (HEAD + 'A,"a"x,tiktok\r\n', r"Line 2: text follows a closing quote"),
    (HEAD + "A,a,tiktok\r\nB\x00,b,tiktok\r\n", r"not a CSV text file: line 3 holds a NUL"),
    (HEAD.encode() + "Zoë Ærø,z,tiktok\r\n".encode() + b"B\xff,b,tiktok\r\n",
     r"Line 3 holds bytes that are not UTF-8"),
    (HEAD.encode() + b"A,a,tiktok\r\nB\x81,b,tiktok\r\n",
     r"Line 3 holds bytes that are not Windows-1252"),
    (codecs.BOM_UTF8 + HEAD.encode() + b"A\xe9,a,tiktok\r\n", r"Line 2 holds bytes that are not"
                                                               r" UTF-8"),
]


@pytest.mark.parametrize(("file", "message"), MALFORMED_CSV)
def test_malformed_csv_is_refused_naming_the_line(db: Database, world: Any, manager: User,
                                                  file: str | bytes, message: str) -> None:
    data = file.encode() if isinstance(file, str) else file
    before = counts(db)
    with pytest.raises(RuleViolation, match=message):
        imports.preview(db, manager, "creators", data, "c.csv")
    sheet = data.replace(b"name,handle,platform", b"Shipment #,Carrier,Status")
    with pytest.raises(RuleViolation, match=message):
        delivery_sheet.read("w.csv", sheet)
    assert counts(db) == before


# --- caps: each refusal names its limit ---------------------------------------------------------

SMALL = uploads.UploadLimits(max_bytes=200_000, max_rows=50, max_columns=8, max_cell_chars=100,
                             max_cells=300)


@pytest.mark.parametrize(("file", "message"), [
    (b"a" * 200_001, r"The file is 200,001 bytes; a file may be at most 0.2 MB"),
    (b"a,b\n" + b"1,2\n" * 60, r"goes on past 50 rows \(line 51\)"),
    (b"a,b\n" + b"\n" * 60, r"goes on past 50 rows"),
    (b",".join([b"c"] * 9) + b"\n", r"Line 1 has 9 columns; at most 8"),
    (b"a,b,c,d,e,f,g\n" + b"1,2,3,4,5,6,7\n" * 45, r"more than 300 cells \(rows x columns\)"),
    (b"a,b\n1," + b"x" * 101 + b"\n", r"Line 2, column 2: the cell holds 101 characters;"
                                      r" at most 100"),
    (b'a,b\n1,"' + b"x" * 150_000 + b'"\n', r"Line 2: the row goes on for more than 824"),
    (b'a,b\n1,"' + b"x\n" * 500 + b'"\n', r"Line 2: the row goes on for more than 824"),
    (b'a,b\n' + b',' * 150_000 + b'\n', r"Line 2: the row goes on for more than 824"),
])
def test_csv_caps_name_the_limit(file: bytes, message: str) -> None:
    with pytest.raises(RuleViolation, match=message):
        table = uploads.read_table(file, "csv", SMALL)
        list(table.rows)


def test_a_cell_past_the_csv_modules_own_limit(db: Database, world: Any, manager: User) -> None:
    data = (HEAD + 'A,a,"' + "x" * 200_000 + '"\r\n').encode()
    before = counts(db)
    with pytest.raises(RuleViolation, match=r"Line 2: the row goes on for more than|Line 2: a"
                                            r" cell holds more than 10,000 characters"):
        imports.preview(db, manager, "creators", data, "c.csv")
    with pytest.raises(RuleViolation, match=r"Line 2, column 1: the cell holds 10,001"):
        imports.preview(db, manager, "creators", (HEAD + "x" * 10_001 + ",a,tiktok").encode(),
                        "c.csv")
    assert counts(db) == before


def test_the_imports_row_limits(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(imports, "MAX_IMPORT_ROWS", 3)
    blank_then_rows = HEAD + "\r\n" * 10 + "A,a,tiktok\r\n"
    with pytest.raises(RuleViolation, match=r"goes on past 7 rows"):
        imports.read_rows(blank_then_rows.encode(), "c.csv", "creators")


# --- .xlsx: hostile archives -------------------------------------------------------------------


def workbook(rows: list[list[Any]]) -> bytes:
    book = Workbook()
    for row in rows:
        book.active.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def rezip(data: bytes, change: Callable[[str, bytes], bytes | None] = lambda n, b: b,
          extra: dict[str, bytes] | None = None, level: int = 6) -> bytes:
    """The workbook's archive with members changed (None drops one) or added."""
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=level) as target:
        for info in source.infolist():
            content = change(info.filename, source.read(info.filename))
            if content is not None:
                target.writestr(info.filename, content)
        for name, content in (extra or {}).items():
            target.writestr(name, content)
    return out.getvalue()


SHEET = "xl/worksheets/sheet1.xml"
MAIN = b'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'


def sheet_xml(body: bytes, dimension: bytes = b"") -> bytes:
    return (b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<worksheet ' + MAIN + b">"
            + dimension + b"<sheetData>" + body + b"</sheetData></worksheet>")


def with_sheet(body: bytes, dimension: bytes = b"") -> bytes:
    return rezip(workbook([["x"]]), lambda n, b: sheet_xml(body, dimension) if n == SHEET else b)


def inline(text: str, ref: str = "") -> bytes:
    at = f' r="{ref}"' if ref else ""
    return f'<c{at} t="inlineStr"><is><t>{text}</t></is></c>'.encode()


def declare(data: bytes, member: str, size: int) -> bytes:
    """The archive with `member`'s uncompressed size replaced by `size` in its local header and
    in the central directory: a zip that lies about how far it expands."""
    patched = bytearray(data)
    name = member.encode()
    for signature, size_at in ((b"PK\x03\x04", 22), (b"PK\x01\x02", 24)):
        at = 0
        while (at := patched.find(signature, at)) >= 0:
            name_at = at + (30 if signature == b"PK\x03\x04" else 46)
            if patched[name_at:name_at + len(name)] == name:
                patched[at + size_at:at + size_at + 4] = size.to_bytes(4, "little")
            at += 4
    return bytes(patched)


def many_members() -> bytes:
    return rezip(workbook([["x"]]), extra={f"junk/{i}.bin": b"" for i in range(1_001)})


def ole() -> bytes:
    return b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600


def billion_laughs() -> bytes:
    entities = '<!ENTITY a0 "ha">' + "".join(
        f'<!ENTITY a{i} "{("&a" + str(i - 1) + ";") * 10}">' for i in range(1, 10))
    xml = (f'<?xml version="1.0"?><!DOCTYPE worksheet [{entities}]><worksheet '
           f'{MAIN.decode()}><sheetData><row><c t="inlineStr"><is><t>&a9;</t></is></c></row>'
           "</sheetData></worksheet>").encode()
    return rezip(workbook([["x"]]), lambda n, b: xml if n == SHEET else b)


def many_attributes() -> bytes:
    names = b"".join(b' a%d=""' % i for i in range(20_000))
    return with_sheet(b"<row><c" + names + b"><v>1</v></c></row>")


def long_tag() -> bytes:
    value = random.Random(13).randbytes(750_000).hex().encode()  # packs too little for a bomb
    return with_sheet(b'<row><c r="A1" x="' + value + b'"><v>1</v></c></row>')


def deep() -> bytes:
    return with_sheet(b"<row><c><v>1</v></c></row>" + b"<x>" * 200 + b"</x>" * 200)


STRINGS = "xl/sharedStrings.xml"


def with_strings(xml: bytes) -> bytes:
    return rezip(workbook([["x"]]), lambda n, b: None if n == STRINGS else b, {STRINGS: xml})


def huge_string() -> bytes:
    return with_strings(b'<?xml version="1.0"?><sst ' + MAIN + b' count="1" uniqueCount="1">'
                        b"<si><t>" + b"a" * 150_000 + b"</t></si></sst>")


# Row 1 names the columns of both readers, so the hostile rows after it are reached.
BOTH_HEADER = b"<row r=\"1\">" + b"".join(
    inline(name) for name in ("name", "handle", "platform", "Shipment #", "Status")) + b"</row>"


def wide_rows() -> bytes:
    """No dimension record; each row has an empty formatted cell in column XFD, so openpyxl
    makes each row 16,384 cells wide: refused while streaming, by the count of cells."""
    return with_sheet(BOTH_HEADER + b"".join(
        f'<row r="{i}"><c r="A{i}"><v>1</v></c><c r="XFD{i}" s="1"/></row>'.encode()
        for i in range(2, 3_000)))


def far_row() -> bytes:
    """Row 1 then row 1,000,000: openpyxl yields the 999,998 empty rows between them."""
    return with_sheet(BOTH_HEADER + b'<row r="1000000">' + inline("7") + b"</row>")


def lying_dimension() -> bytes:
    """A dimension record claiming the whole grid, over two small rows: read as they are."""
    return with_sheet(b"<row>" + inline("a") + b"</row>", b'<dimension ref="A1:XFD1048576"/>')


def truncated() -> bytes:
    data = workbook([["x"]])
    return data[: len(data) // 2]


def bad_crc() -> bytes:
    data = bytearray(rezip(workbook([["x"] * 50] * 50), level=0))
    at = data.find(b"<sheetData>")
    data[at + 1:at + 4] = b"XYZ"
    return bytes(data)


def encrypted_flag() -> bytes:
    data = bytearray(workbook([["x"]]))
    at = data.find(b"PK\x01\x02")
    data[at + 8] |= 0x1
    return bytes(data)


def lying_sizes() -> bytes:
    """The sheet really expands to 3 MB of cells but says 200 bytes: zipfile stops at the
    declared size and the CRC check fails."""
    body = b"<row>" + b"<c><v>1</v></c>" * 10_000 + b"</row>"
    return declare(with_sheet(body * 20), SHEET, 200)


HOSTILE_XLSX = [
    (b"Shipment #,Status\n1,delivered\n", r"not an \.xlsx workbook"),
    (ole(), r"old \.xls workbook or a password-protected one"),
    (truncated(), r"cannot be read: its zip archive is damaged"),
    (b"PK\x03\x04 broken", r"cannot be read: its zip archive is damaged"),
    (bad_crc(), r"cannot be read: its zip archive is damaged \(BadZipFile\)"),
    (lying_sizes(), r"cannot be read: its zip archive is damaged"),
    (encrypted_flag(), r"The workbook is encrypted"),
    (many_members(), r"archive holds 1,010 files; at most 1,000|lists more than 1,000 files"),
    (billion_laughs(), r"declares a document type or entities"),
    (deep(), r"nests them deeper than 100"),
    (many_attributes(), r"an element with more than 10,000 attributes"),
    (long_tag(), r"a tag or text of more than 1 MB"),
    (huge_string(), r"a text of more than 100,000 characters"),
    (wide_rows(), r"more than 2,000,000 cells|more than 500,000 cells"),
    (far_row(), r"goes on past row 100,00[01]"),
]


@pytest.mark.parametrize(("file", "message"), HOSTILE_XLSX)
def test_hostile_xlsx_is_refused_and_nothing_written(
    db: Database, world: Any, people: dict[Role, User], file: bytes, message: str
) -> None:
    from lib import deliveries

    before = counts(db)
    with pytest.raises(RuleViolation, match=message):
        imports.preview(db, people[Role.MANAGER], "creators", file, "c.xlsx")
    if len(file) <= MAX_SHEET_BYTES:
        with pytest.raises(RuleViolation, match=message):
            deliveries.preview_import(db, people[Role.STAFF], world.campaigns["Spring"],
                                      "w.xlsx", file)
    assert counts(db) == before


def test_archive_limits_before_decompression(monkeypatch: pytest.MonkeyPatch) -> None:
    limits = uploads.UploadLimits(max_bytes=10**8, max_rows=1_000)
    big = rezip(workbook([["x"]]), extra={"xl/big.bin": b"\x00" * 3_000_000})
    with pytest.raises(RuleViolation, match=r"unpacks to [\d,]+ times its packed size; at most"
                                            r" 100 times"):
        uploads.read_table(big, "xlsx", limits)
    monkeypatch.setattr(uploads, "MAX_XLSX_MEMBER_BYTES", 2_000_000)
    with pytest.raises(RuleViolation, match=r"'xl/big.bin' unpacks to 3 MB; a part may be at"
                                            r" most 2 MB"):
        uploads.read_table(big, "xlsx", limits)
    monkeypatch.setattr(uploads, "MAX_XLSX_MEMBER_BYTES", 50_000_000)
    monkeypatch.setattr(uploads, "MAX_XLSX_RATIO", 10_000)
    monkeypatch.setattr(uploads, "MAX_XLSX_UNZIPPED_BYTES", 2_500_000)
    with pytest.raises(RuleViolation, match=r"unpacks to more than 2.5 MB"):
        uploads.read_table(big, "xlsx", limits)


def test_census_caps(monkeypatch: pytest.MonkeyPatch) -> None:
    limits = uploads.UploadLimits(max_bytes=10**8, max_rows=100, max_cells=1_000)
    many_cells = with_sheet(b"<row>" + b"<c><v>1</v></c>" * 1_001 + b"</row>")
    with pytest.raises(RuleViolation, match=r"more than 1,000 cells \(rows x columns, in all"):
        uploads.read_table(many_cells, "xlsx", limits)
    many_rows = with_sheet(b"<row/>" * 101)
    with pytest.raises(RuleViolation, match=r"more than 100 rows \(in all its sheets"):
        uploads.read_table(many_rows, "xlsx", limits)
    monkeypatch.setattr(uploads, "MAX_XLSX_SHARED_STRINGS", 10)
    strings = b'<sst ' + MAIN + b">" + b"<si><t>s</t></si>" * 11 + b"</sst>"
    with pytest.raises(RuleViolation, match=r"more than 10 different texts"):
        uploads.read_table(with_strings(strings), "xlsx", limits)
    monkeypatch.setattr(uploads, "MAX_XLSX_ELEMENTS", 50)
    with pytest.raises(RuleViolation, match=r"more than 50 elements"):
        uploads.read_table(with_sheet(b"<row/>" * 60), "xlsx", limits)


def test_streamed_cells_rows_columns_and_cell_length() -> None:
    limits = uploads.UploadLimits(max_bytes=10**8, max_rows=1_000, max_columns=5,
                                  max_cell_chars=20, max_cells=10_000)
    wide = workbook([["a", "b"], [1, 2, 3, 4, 5, 6]])
    with pytest.raises(RuleViolation, match=r"Row 2 has cells up to column F; at most 5"):
        list(uploads.read_table(wide, "xlsx", limits).rows)
    long = workbook([["a", "b"], ["x" * 21]])
    with pytest.raises(RuleViolation, match=r"Cell A2 holds 21 characters; at most 20"):
        list(uploads.read_table(long, "xlsx", limits).rows)


def test_a_workbook_without_dimension_or_with_a_false_one_is_read_as_it_is() -> None:
    limits = uploads.UploadLimits(max_bytes=10**8, max_rows=1_000)
    plain = workbook([["name", "handle"], ["Ada", "ada"], [None, None], ["Bo", 7]])
    undimensioned = rezip(plain, lambda n, b: re.sub(rb"<dimension[^>]*/>", b"", b)
                          if n == SHEET else b)
    assert b"<dimension" not in zipfile.ZipFile(io.BytesIO(undimensioned)).read(SHEET)
    for data in (plain, undimensioned):
        table = uploads.read_table(data, "xlsx", limits)
        assert (table.header, list(table.rows)) == (
            ["name", "handle"], [(2, ["Ada", "ada"]), (3, []), (4, ["Bo", 7])])
    table = uploads.read_table(lying_dimension(), "xlsx", limits)
    assert (table.header, list(table.rows)) == (["a"], [])


# --- fixtures ------------------------------------------------------------------------------------


@pytest.fixture
def manager(people: dict[Role, User]) -> User:
    return people[Role.MANAGER]


# --- a hostile parse does not stop other sessions ---------------------------------------------


def test_pages_render_while_a_hostile_workbook_is_parsed(app: Any, db: Database) -> None:
    """One thread parses hostile workbooks over and over; meanwhile another session logs in
    and opens the imports page, which renders without error while the parse is still running."""
    stop = threading.Event()
    refusals: list[str] = []
    hostile = [lying_sizes(), wide_rows(), far_row(), billion_laughs()]

    def parse_forever() -> None:
        while not stop.is_set():
            for file in hostile:
                try:
                    imports.read_rows(file, "c.xlsx", "creators")
                except RuleViolation as refusal:
                    refusals.append(str(refusal))

    worker = threading.Thread(target=parse_forever, daemon=True)
    worker.start()
    try:
        open_imports_page(app)
        assert worker.is_alive()  # the page rendered while the hostile parse ran
        before = counts(db)
    finally:
        stop.set()
        worker.join(timeout=120)
    assert not worker.is_alive()
    assert refusals and all(refusals)
    assert counts(db) == before
