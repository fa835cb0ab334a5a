""".xlsx bombs: small files that expand to a gigabyte, honest about it or lying in their zip
headers, and a workbook with no dimension record near the limits. Each is read through the
real paths (lib.imports.read_rows, lib.delivery_sheet.read) in a child process, which reports
how far its peak memory (VmHWM, reset just before the read) grew: under 200 MB, and refused
with a message naming the limit."""

from __future__ import annotations

import io
import json
import os
import random
import re
import subprocess
import sys
import threading
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from openpyxl import Workbook

from lib import imports
from lib.rules import RuleViolation
from tests.test_imports import open_imports
from tests.test_uploads import MAIN, SHEET, STRINGS, declare

ROOT = Path(__file__).resolve().parent.parent
GIB = 1 << 30
MAX_GROWTH_KB = 200 * 1024

CHILD = r"""
import json, re, sys
from lib import delivery_sheet, imports
from lib.rules import RuleViolation

def peak_kb():
    return int(re.search(r"VmHWM:\s+(\d+)", open("/proc/self/status").read()).group(1))

path, reader = sys.argv[1], sys.argv[2]
data = open(path, "rb").read()
with open("/proc/self/clear_refs", "w") as out:
    out.write("5")  # the peak so far becomes the memory now
before = peak_kb()
try:
    if reader == "imports":
        imports.read_rows(data, "bomb.xlsx", "creators")
    else:
        delivery_sheet.read("bomb.xlsx", data)
    message = None
except RuleViolation as refusal:
    message = str(refusal)
print(json.dumps({"message": message, "growth_kb": peak_kb() - before}))
"""


def parts() -> dict[str, bytes]:
    """The members of a small workbook openpyxl wrote."""
    book = Workbook()
    book.active.append(["name", "handle", "platform", "Shipment #", "Status"])
    out = io.BytesIO()
    book.save(out)
    archive = zipfile.ZipFile(out)
    return {name: archive.read(name) for name in archive.namelist()}


def write_book(path: Path, member: str, chunks: Iterator[bytes]) -> Path:
    """A workbook whose `member` is streamed from `chunks`, deflated as hard as zlib can."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        for name, content in parts().items():
            if name != member:
                archive.writestr(name, content)
        with archive.open(member, "w", force_zip64=True) as stream:
            for chunk in chunks:
                stream.write(chunk)
    return path


def cells_xml(total: int) -> Iterator[bytes]:
    """A sheet of `total` bytes of one-digit cells, a thousand to a row, no dimension record."""
    yield b'<?xml version="1.0"?><worksheet ' + MAIN + b"><sheetData>"
    block = (b"<row>" + b"<c><v>1</v></c>" * 1000 + b"</row>") * 64
    for _ in range(total // len(block)):
        yield block
    yield b"</sheetData></worksheet>"


def one_string_xml(total: int) -> Iterator[bytes]:
    """One shared string of `total` characters."""
    yield b'<?xml version="1.0"?><sst ' + MAIN + b' count="1" uniqueCount="1"><si><t>'
    block = b"a" * (1 << 20)
    for _ in range(total // len(block)):
        yield block
    yield b"</t></si></sst>"


def many_strings_xml(total: int) -> Iterator[bytes]:
    yield b'<?xml version="1.0"?><sst ' + MAIN + b">"
    block = b"<si><t>s</t></si>" * 10_000
    for _ in range(total // len(block)):
        yield block
    yield b"</sst>"


def undimensioned_xml(rows: int, width: int) -> Iterator[bytes]:
    """A plausible sheet with no dimension record: a header, then `rows` rows of varied
    numbers (so it packs no tighter than real data), refused for its rows."""
    random.seed(13)
    yield b'<?xml version="1.0"?><worksheet ' + MAIN + b"><sheetData><row>"
    yield b"".join(f'<c t="inlineStr"><is><t>{name}</t></is></c>'.encode()
                   for name in ("name", "handle", "platform", "Shipment #", "Status"))
    yield b"</row>"
    for _ in range(rows // 1000):
        yield b"".join(
            b"<row>" + b"".join(f"<c><v>{random.randrange(10**6)}</v></c>".encode()
                                for _ in range(width)) + b"</row>"
            for _ in range(1000))
    yield b"</sheetData></worksheet>"


def attributes_xml(count: int) -> Iterator[bytes]:
    """One cell with `count` attributes: pyexpat would make two strings of each."""
    yield b'<?xml version="1.0"?><worksheet ' + MAIN + b"><sheetData><row><c"
    for start in range(0, count, 100_000):
        yield b"".join(b' a%d=""' % i for i in range(start, start + 100_000))
    yield b"><v>1</v></c></row></sheetData></worksheet>"


def long_value_xml(total: int) -> Iterator[bytes]:
    """One attribute value of `total` bytes: expat holds the whole tag."""
    yield b'<?xml version="1.0"?><worksheet ' + MAIN + b'><sheetData><row><c r="A1" x="'
    block = b"y" * (1 << 20)
    for _ in range(total // len(block)):
        yield block
    yield b'"><v>1</v></c></row></sheetData></worksheet>'


@pytest.fixture(scope="module")
def bombs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("bombs")
    cells = write_book(folder / "cells.xlsx", SHEET, cells_xml(GIB))
    string = write_book(folder / "string.xlsx", STRINGS, one_string_xml(GIB))
    strings = write_book(folder / "strings.xlsx", STRINGS, many_strings_xml(GIB // 4))
    made = {"cells": cells, "string": string, "strings": strings}
    # The same bytes, claiming to expand only to 45 MB: past the archive checks, so the XML
    # census (and zipfile's stop at the declared size) must hold the line.
    for name, member in (("cells", SHEET), ("string", STRINGS), ("strings", STRINGS)):
        lying = folder / f"{name}-lying.xlsx"
        size = 45_000_000 if name != "strings" else 9_000_000  # within the ratio of 100
        lying.write_bytes(declare(made[name].read_bytes(), member, size))
        made[f"{name}-lying"] = lying
    made["attributes"] = write_book(folder / "attributes.xlsx", SHEET,
                                    attributes_xml(3_000_000))
    tag = write_book(folder / "tag.xlsx", SHEET, long_value_xml(GIB))
    made["tag-lying"] = folder / "tag-lying.xlsx"
    made["tag-lying"].write_bytes(declare(tag.read_bytes(), SHEET, 45_000_000))
    made["undimensioned"] = write_book(folder / "undimensioned.xlsx", SHEET,
                                       undimensioned_xml(95_000, 12))
    made["undimensioned-small"] = write_book(folder / "undimensioned-small.xlsx", SHEET,
                                             undimensioned_xml(20_000, 12))
    return made


def read_in_child(path: Path, reader: str) -> dict[str, object]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-c", CHILD, str(path), reader], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=600, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize(("bomb", "message"), [
    ("cells", r"'xl/worksheets/sheet1.xml' unpacks to 1,07\d.\d MB; a part may be at most 50 MB"),
    ("cells-lying", r"more than 2,000,000 cells|more than 100,00[01] rows"),
    ("string", r"'xl/sharedStrings.xml' unpacks to 1,07\d.\d MB"),
    ("string-lying", r"a text of more than 100,000 characters"),
    ("strings", r"'xl/sharedStrings.xml' unpacks to 26\d.\d MB"),
    ("strings-lying", r"more than 1,000,000 different texts|zip archive is damaged"),
    ("attributes", r"an element with more than 10,000 attributes"),
    ("tag-lying", r"a tag or text of more than 1 MB"),
    ("undimensioned", r"more than 50,000 rows|more than 5,000 rows"),
    ("undimensioned-small", r"more than 5,000 rows"),
])
@pytest.mark.parametrize("reader", ["imports", "sheet"])
def test_bombs_are_refused_with_memory_bounded(bombs: dict[str, Path], bomb: str, message: str,
                                               reader: str) -> None:
    path = bombs[bomb]
    assert path.stat().st_size < 20_000_000  # small files …
    if reader == "sheet" and path.stat().st_size > 5_000_000:
        pytest.skip("over the sheet's 5 MB upload limit: refused before it is opened")
    if (bomb, reader) == ("undimensioned-small", "imports"):
        pytest.skip("20,000 rows: an import may have them")
    outcome = read_in_child(path, reader)
    print(bomb, reader, outcome)  # the growth, for the record (pytest -s)
    assert outcome["message"], outcome
    assert re.search(message, str(outcome["message"])), outcome
    assert int(outcome["growth_kb"]) < MAX_GROWTH_KB, outcome  # … that cannot grow memory


def test_pages_render_while_bombs_are_parsed(bombs: dict[str, Path], app: object) -> None:
    """A thread reads the lying bombs through the import path, over and over; another session
    logs in and opens the imports page meanwhile, and it renders without error."""

    files = [bombs[name].read_bytes() for name in ("cells-lying", "string-lying")]
    stop = threading.Event()
    refusals: list[str] = []

    def parse_until_stopped() -> None:
        while not stop.is_set():
            for data in files:
                try:
                    imports.read_rows(data, "bomb.xlsx", "creators")
                except RuleViolation as refusal:
                    refusals.append(str(refusal))

    worker = threading.Thread(target=parse_until_stopped, daemon=True)
    worker.start()
    try:
        open_imports(app)  # type: ignore[arg-type]
        assert worker.is_alive()  # the page rendered while the bombs were being parsed
    finally:
        stop.set()
        worker.join(timeout=300)
    assert not worker.is_alive()
    assert refusals and all("more than" in r for r in refusals)
