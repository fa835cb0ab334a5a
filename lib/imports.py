"""Imports: creators and collaborations from CSV or .xlsx files (years of spreadsheets).

Two steps. `preview` reads the file and judges every row (lib.rules checks each field; here,
what needs the database: a known campaign, an existing creator, duplicates by handle and
platform) and writes nothing. `commit` judges the rows again inside one transaction and writes
them all, or nothing: a row that fails stops the import unless the person chose to leave the
failing rows out. Each imported collaboration gets its `created` activity event in the same
transaction. Managers and admins may import. The store itself refuses a second creator with
one platform and handle (lib.creators): an import racing another one is judged again, and the
row becomes a duplicate like any other.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import PurePath
from typing import Any, Literal

import pandas as pd
import pyarrow as pa
from openpyxl import Workbook
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter

from lib import creators, exports, rules, uploads, users
from lib.batches import BatchPreview, BatchResult
from lib.db import Cursor, Database, utcnow
from lib.models import (
    MAX_IMPORT_BYTES,
    MAX_IMPORT_ROWS,
    ImportedCollaboration,
    ImportedCreator,
    Role,
    User,
)

Progress = Callable[[str, float], None]
CHUNK_ROWS = 2_000  # rows per INSERT, so a large file shows progress while it is written
MAX_LISTED_FAILURES = 10  # in a refusal's message; the preview lists them all
# Rows read, blank ones included, per row that may be imported: a sheet may hold blank rows,
# but reading stops at twice the rows an import may have.
MAX_IMPORT_READ_ROWS_PER_ROW = 2


@dataclass(frozen=True)
class ImportColumn:
    name: str
    required: bool
    meaning: str
    example: str


CREATOR_COLUMNS = (
    ImportColumn("name", True, "the creator's full name", "Ada Lovelace"),
    # The examples start with no = + - @: the CSV template would write them behind a quote
    # (lib.exports), and the example row must import as it is.
    ImportColumn("handle", True, "the handle on the platform, with or without @", "ada.codes"),
    ImportColumn("platform", True, "instagram, tiktok, youtube, twitch or pinterest", "instagram"),
    ImportColumn("email", False, "e-mail address", "ada@example.com"),
    ImportColumn("phone", False, "phone number: digits, spaces, + ( ) - .", "020 7946 0958"),
    ImportColumn("address", False, "postal address, for shipments", "12 Analytical Row, London"),
    ImportColumn("followers", False, "whole number (12000 or 12,000); empty is 0", "12000"),
    ImportColumn("engagement_rate", False, "percent, 0 to 100 (3.5 or 3.5%); empty is 0", "3.5"),
    ImportColumn("tags", False, "tags separated by semicolons", "Top Performer; Tech"),
)
COLLABORATION_COLUMNS = (
    ImportColumn("campaign_id", False, "the campaign's number (or give `campaign`)", "12"),
    ImportColumn("campaign", False, "the campaign's name, when it is unique (or `campaign_id`)",
                 "Spring Launch"),
    ImportColumn("handle", True, "the creator's handle (the creator must exist)", "ada.codes"),
    ImportColumn("platform", True, "the creator's platform", "instagram"),
    ImportColumn("status", False, "pending, negotiating, fulfilling, completed or cancelled;"
                 " empty is pending", "fulfilling"),
    ImportColumn("compensation", True, "amount, 0 for gifted (1250.50 or 1,250.50)", "1250.50"),
    ImportColumn("currency", False, "EUR, USD, GBP, CHF or SEK; empty is EUR", "EUR"),
    ImportColumn("deliverables", True, "what the creator delivers", "1 reel + 2 stories"),
    ImportColumn("start_date", False, "YYYY-MM-DD", "2026-03-01"),
    ImportColumn("due_date", False, "YYYY-MM-DD, not before start_date", "2026-03-31"),
    ImportColumn("conditions", False, "any conditions of the agreement", "Usage rights 6 months"),
    ImportColumn("cancel_reason", False, "required when the status is cancelled", ""),
    ImportColumn("created_on", False, "YYYY-MM-DD the collaboration began, for its history;"
                 " empty is today", "2025-11-03"),
)
COLUMNS: dict[str, tuple[ImportColumn, ...]] = {
    "creators": CREATOR_COLUMNS, "collaborations": COLLABORATION_COLUMNS,
}
KINDS = tuple(COLUMNS)


@dataclass(frozen=True)
class RowOutcome:
    line: int  # the row's line in the file (the header is line 1)
    ok: bool
    what: str  # the row in a few words: "@ada on instagram"
    message: str  # why it fails, or what it will do


@dataclass(frozen=True)
class ImportPreview(BatchPreview[RowOutcome]):
    """Every row of the file judged, keyed by its line (a file's rows have no ids yet)."""

    kind: str
    filename: str
    records: dict[int, ImportedCreator | ImportedCollaboration]  # line -> checked row
    warnings: list[str] = field(default_factory=list)

    @property
    def ok_count(self) -> int:
        return len(self.accepted)

    def table(self) -> pd.DataFrame:
        """The outcome of every row, the failing ones first."""
        ordered = sorted(self.rows, key=lambda o: (o.ok, o.line))
        return pd.DataFrame(
            [(o.line, "OK" if o.ok else "Fails", o.what, o.message) for o in ordered],
            columns=["Line", "Outcome", "Row", "Reason or result"],
        )


# --- reading files ---------------------------------------------------------------------------


def _check_kind(kind: str) -> str:
    if kind not in COLUMNS:
        raise rules.RuleViolation(f"Import {' or '.join(KINDS)}, not {rules.shown(kind)}.")
    return kind


def _header_name(value: object) -> str:
    return re.sub(r"[\s-]+", "_", rules.cell_text(value).lower())


def read_rows(data: bytes, filename: str, kind: str
              ) -> tuple[list[tuple[int, dict[str, Any]]], list[str]]:
    """The data rows of a CSV or .xlsx file as (line, {column: value}); and warnings.

    Read by lib.uploads within the import limits. Refused (RuleViolation) when the file is too
    big, of another type, malformed, or lacks a required column; unknown columns are ignored
    with a warning.
    """
    columns = COLUMNS[_check_kind(kind)]
    known = {c.name for c in columns}
    table = uploads.read_table(data, _table_kind(filename), _limits(),
                               lambda name: _header_name(name) in known)
    if not table.header:
        raise rules.RuleViolation(
            "Line 1 must hold the column names; it is blank." if table.kind == "csv"
            else "The workbook's first sheet is empty."
        )
    names = [_header_name(h) for h in table.header]
    repeated = sorted({n for n in names if n and names.count(n) > 1})
    if repeated:
        raise rules.RuleViolation(f"The header names a column twice: {', '.join(repeated)}.")
    missing = [c.name for c in columns if c.required and c.name not in names]
    if kind == "collaborations" and not {"campaign_id", "campaign"} & set(names):
        missing.insert(0, "campaign_id or campaign")
    if missing:
        raise rules.RuleViolation(
            f"The file has no {', '.join(missing)} column (line 1 must hold the column names;"
            " download the template to see them)."
        )
    warnings = [f"Column {rules.shown(n)} is not one of the {kind} columns; it is ignored."
                for n in names if n and n not in known]
    found = []
    for line, values in table.rows:
        if all(rules.cell_text(v) == "" for v in values):
            continue  # blank lines in a sheet are not rows
        if len(found) == MAX_IMPORT_ROWS:
            raise rules.RuleViolation(
                f"The file has more than {MAX_IMPORT_ROWS:,} rows; split it into smaller files."
            )
        found.append((line, {n: v for n, v in zip(names, values, strict=False) if n in known}))
    if not found:
        raise rules.RuleViolation("The file has column names but no rows to import.")
    return found, warnings


def _limits() -> uploads.UploadLimits:
    """Read when a file comes in, so the limits above can be changed (tests lower them)."""
    return uploads.UploadLimits(
        max_bytes=MAX_IMPORT_BYTES,
        max_rows=MAX_IMPORT_READ_ROWS_PER_ROW * MAX_IMPORT_ROWS + 1,  # + the header
    )


def _table_kind(filename: str) -> Literal["csv", "xlsx"]:
    suffix = PurePath(filename or "").suffix.lower()
    if suffix in (".csv", ".txt"):
        return "csv"
    if suffix == ".xlsx":
        return "xlsx"
    raise rules.RuleViolation(
        f"Import a .csv or .xlsx file, not {rules.shown(filename)} (save an .xls or"
        " .ods sheet as .xlsx first)."
    )


# --- judging rows ----------------------------------------------------------------------------


def preview(db: Database, user: User, kind: str, data: bytes, filename: str,
            progress: Progress | None = None) -> ImportPreview:
    """Every row of the file and its outcome; writes nothing."""
    rules.require_role(user, Role.MANAGER, "import creators and collaborations")
    rows, warnings = read_rows(data, filename, kind)
    outcomes: dict[int, RowOutcome] = {}
    records: dict[int, ImportedCreator | ImportedCollaboration] = {}
    today = utcnow().date()
    for done, (line, row) in enumerate(rows):
        if progress and done % CHUNK_ROWS == 0:
            progress("Checking rows", done / len(rows) / 2)
        try:
            records[line] = (rules.check_creator_row(row) if kind == "creators"
                             else rules.check_collaboration_row(row, today))
        except rules.RuleViolation as refusal:
            outcomes[line] = RowOutcome(line, False, _what(row), str(refusal))
    if progress:
        progress("Looking for duplicates", 0.5)
    with db.cursor() as cur:
        outcomes.update(_judge(cur, kind, records))
    if progress:
        progress("Checked", 1.0)
    ordered = [outcomes[line] for line, _ in rows]
    return ImportPreview(ordered, kind, filename, records, warnings)


def _what(row: dict[str, Any]) -> str:
    handle = rules.cell_text(row.get("handle")).lstrip("@")
    platform = rules.cell_text(row.get("platform"))
    return f"@{handle} on {platform}" if handle else rules.cell_text(row.get("name"))[:60]


def _judge(cur: Cursor, kind: str, records: dict[int, Any]) -> dict[int, RowOutcome]:
    if kind == "creators":
        return _judge_creators(cur, records)
    return _judge_collaborations(cur, records)


def _judge_creators(cur: Cursor, records: dict[int, ImportedCreator]) -> dict[int, RowOutcome]:
    """Duplicates by platform and handle key (the store's: case, surrounding spaces and a
    leading @ ignored): with a creator already in the database, or with an earlier row."""
    taken = creators.same_account(cur, sorted({(r.handle, r.platform)
                                                for r in records.values()}))
    keys = creators.handle_keys(cur, sorted({r.handle for r in records.values()}))
    seen: dict[tuple[str, str], int] = {}
    outcomes = {}
    for line, record in sorted(records.items()):
        key = (keys[record.handle], record.platform)
        what = f"@{record.handle} on {record.platform}"
        if (record.handle, record.platform) in taken:
            creator_id, name = taken[(record.handle, record.platform)]
            outcome = RowOutcome(line, False, what,
                                 creators.duplicate_message(record.platform, name, creator_id))
        elif key in seen:
            outcome = RowOutcome(line, False, what,
                                 f"Same handle and platform as line {seen[key]}.")
        else:
            seen[key] = line
            outcome = RowOutcome(line, True, what, f"New creator {record.name}.")
        outcomes[line] = outcome
    return outcomes


def _judge_collaborations(cur: Cursor, records: dict[int, ImportedCollaboration]
                          ) -> dict[int, RowOutcome]:
    campaigns = cur.execute("SELECT id, name FROM campaigns").fetchall()
    by_id = dict(campaigns)
    by_name: dict[str, list[int]] = {}
    for campaign_id, name in campaigns:
        by_name.setdefault(_fold(name), []).append(campaign_id)
    named = _creators_named(cur, records.values())
    existing = _existing_pairs(cur, list(named.values()))
    seen: dict[tuple[int, int], int] = {}
    outcomes = {}
    for line, record in sorted(records.items()):
        what = f"@{record.handle} on {record.platform}"
        try:
            campaign_id = _campaign_of(record, by_id, by_name)
            creator_id = _creator_of(record, named)
            pair = (campaign_id, creator_id)
            if pair in seen:
                raise rules.RuleViolation(f"Same creator and campaign as line {seen[pair]}.")
            if pair in existing:
                raise rules.RuleViolation(
                    f"@{record.handle} already has a collaboration in {by_id[campaign_id]}"
                    f" (#{existing[pair]})."
                )
        except rules.RuleViolation as refusal:
            outcomes[line] = RowOutcome(line, False, what, str(refusal))
            continue
        seen[pair] = line
        outcomes[line] = RowOutcome(
            line, True, f"{what} in {by_id[campaign_id]}",
            f"New collaboration, {record.status.label}, {record.terms.compensation}"
            f" {record.terms.currency}.",
        )
    return outcomes


def _fold(name: str) -> str:
    return " ".join(name.split()).lower()


def _creators_named(cur: Cursor, records: Any) -> dict[tuple[str, str], int]:
    """The creator each (handle, platform) of `records` names, by the store's handle key."""
    return {pair: creator_id for pair, (creator_id, _) in creators.same_account(
        cur, sorted({(r.handle, r.platform) for r in records})).items()}


def _existing_pairs(cur: Cursor, creator_ids: list[int]) -> dict[tuple[int, int], int]:
    return {
        (campaign_id, creator_id): collab_id
        for collab_id, campaign_id, creator_id in cur.execute(
            "SELECT min(id), campaign_id, creator_id FROM collaborations"
            " WHERE creator_id IN (SELECT unnest(?::BIGINT[])) GROUP BY ALL",
            [creator_ids],
        ).fetchall()
    }


def _campaign_of(record: ImportedCollaboration, by_id: dict[int, str],
                 by_name: dict[str, list[int]]) -> int:
    if record.campaign_id is not None:
        name = by_id.get(record.campaign_id)
        if name is None:
            raise rules.RuleViolation(f"There is no campaign #{record.campaign_id}.")
        if record.campaign_name and _fold(record.campaign_name) != _fold(name):
            raise rules.RuleViolation(
                f"Campaign #{record.campaign_id} is called {rules.shown(name)}, not "
                f"{rules.shown(record.campaign_name)}."
            )
        return record.campaign_id
    ids = by_name.get(_fold(record.campaign_name or ""), [])
    if not ids:
        raise rules.RuleViolation(
            f"There is no campaign called {rules.shown(record.campaign_name)}."
        )
    if len(ids) > 1:
        raise rules.RuleViolation(
            f"{len(ids)} campaigns are called {rules.shown(record.campaign_name)}"
            f" (#{', #'.join(map(str, ids))}); give campaign_id instead."
        )
    return ids[0]


def _creator_of(record: ImportedCollaboration, named: dict[tuple[str, str], int]) -> int:
    creator_id = named.get((record.handle, record.platform))
    if creator_id is None:
        raise rules.RuleViolation(
            f"There is no creator @{record.handle} on {record.platform}; import the creator first."
        )
    return creator_id


# --- writing ---------------------------------------------------------------------------------


def commit(db: Database, user: User, checked: ImportPreview, leave_out_failing: bool = False,
           progress: Progress | None = None) -> BatchResult:
    """Write the previewed rows in one transaction, judged again against the data as it is now.

    A failing row stops the whole import (nothing is written) unless `leave_out_failing`; then
    the rows that pass are written and the others are left out. The result is keyed by line.
    """
    grant = rules.require_role(user, Role.MANAGER, "import creators and collaborations")
    kind = _check_kind(checked.kind)
    failed_before = {o.line for o in checked.refused}

    def write(cur: Cursor) -> BatchResult:
        judged = _judge(cur, kind, checked.records)
        outcomes = [judged.get(o.line, o) if o.line not in failed_before else o
                    for o in checked.rows]
        failures = [o for o in outcomes if not o.ok]
        if failures and not leave_out_failing:
            raise rules.RuleViolation(_failure_message(failures))
        passing = [o.line for o in outcomes if o.ok]
        if not passing:
            raise rules.RuleViolation("No row passes the checks; nothing was imported.")
        rows = [checked.records[line] for line in passing]
        if kind == "creators":
            _insert_creators(cur, rows, progress)
        else:
            _insert_collaborations(cur, user, checked.filename, passing, rows, progress)
        left_out = "failing row left out" if len(failures) == 1 else "failing rows left out"
        return BatchResult(done=passing, refused={o.line: o.message for o in failures},
                           verb="imported", noun=kind[:-1], refused_as=left_out)

    # A creator another import (or person) adds meanwhile makes the store refuse this one:
    # judged again, its row is then a duplicate like any other.
    result = creators.write_adding_creators(db, users.recheck(grant, write))
    if progress:
        progress("Imported", 1.0)
    return result


def _failure_message(failures: list[RowOutcome]) -> str:
    listed = "; ".join(f"line {o.line}: {o.message.rstrip('.')}"
                       for o in failures[:MAX_LISTED_FAILURES])
    more = len(failures) - MAX_LISTED_FAILURES
    rows = "row fails" if len(failures) == 1 else "rows fail"
    return (f"{len(failures):,} {rows}, so nothing was imported ({listed}"
            + (f"; and {more:,} more" if more > 0 else "") + "). Fix them in the file, or"
            " choose to leave the failing rows out.")


def _chunks(count: int) -> Iterator[tuple[int, int]]:
    for start in range(0, count, CHUNK_ROWS):
        yield start, min(count, start + CHUNK_ROWS)


def _insert_creators(cur: Cursor, rows: list[ImportedCreator], progress: Progress | None
                     ) -> None:
    now = utcnow()
    for start, stop in _chunks(len(rows)):
        if progress:
            progress("Writing creators", start / len(rows))
        chunk = rows[start:stop]
        batch = pa.table({
            "name": [r.name for r in chunk], "handle": [r.handle for r in chunk],
            "platform": [r.platform for r in chunk], "email": [r.email for r in chunk],
            "phone": [r.phone for r in chunk], "address": [r.address for r in chunk],
            "followers": pa.array([r.followers for r in chunk], pa.int64()),
            "engagement_rate": pa.array([r.engagement_rate for r in chunk], pa.float64()),
        })
        cur.register("import_creators", batch)
        created = cur.execute(
            "INSERT INTO creators (name, handle, platform, email, phone, address, followers,"
            " engagement_rate, created_at) SELECT name, handle, platform, email, phone, address,"
            " followers, engagement_rate, ? FROM import_creators"
            " RETURNING id, handle, platform", [now],
        ).fetchall()
        cur.unregister("import_creators")
        ids = {(handle, platform): creator_id for creator_id, handle, platform in created}
        tags = [(ids[(r.handle, r.platform)], tag) for r in chunk for tag in r.tags]
        if tags:
            cur.register("import_tags", pa.table({
                "creator_id": pa.array([t[0] for t in tags], pa.int64()),
                "tag": [t[1] for t in tags],
            }))
            cur.execute("INSERT INTO creator_tags SELECT creator_id, tag FROM import_tags")
            cur.unregister("import_tags")


def _insert_collaborations(cur: Cursor, user: User, filename: str, lines: list[int],
                           rows: list[ImportedCollaboration], progress: Progress | None
                           ) -> None:
    """Collaborations and their `created` events; a row's campaign and creator were looked up
    by _judge in this transaction, and are looked up again here the same way."""
    now = utcnow()
    campaigns = dict(cur.execute("SELECT id, name FROM campaigns").fetchall())
    by_name: dict[str, list[int]] = {}
    for campaign_id, name in campaigns.items():
        by_name.setdefault(_fold(name), []).append(campaign_id)
    named = _creators_named(cur, rows)
    name = PurePath(filename or "file").name[:100]
    for start, stop in _chunks(len(rows)):
        if progress:
            progress("Writing collaborations", start / len(rows))
        chunk = rows[start:stop]
        created = [
            dt.datetime.combine(r.created_on, dt.time()) if r.created_on else now for r in chunk
        ]
        batch = pa.table({
            "campaign_id": pa.array([_campaign_of(r, campaigns, by_name) for r in chunk],
                                    pa.int64()),
            "creator_id": pa.array([_creator_of(r, named) for r in chunk], pa.int64()),
            "status": [r.status.value for r in chunk],
            "deliverables": [r.terms.deliverables for r in chunk],
            "compensation": pa.array([Decimal(r.terms.compensation) for r in chunk],
                                     pa.decimal128(12, 2)),
            "currency": [r.terms.currency for r in chunk],
            "start_date": pa.array([r.terms.start_date for r in chunk], pa.date32()),
            "due_date": pa.array([r.terms.due_date for r in chunk], pa.date32()),
            "conditions": [r.terms.conditions for r in chunk],
            "cancel_reason": [r.cancel_reason for r in chunk],
            "created_at": pa.array(created, pa.timestamp("us")),
            "note": [f"Imported from {name}, line {line}" for line in lines[start:stop]],
        })
        cur.register("import_collabs", batch)
        inserted = cur.execute(
            "INSERT INTO collaborations (campaign_id, creator_id, status, deliverables,"
            " compensation, currency, start_date, due_date, conditions, cancel_reason, version,"
            " created_at, updated_at)"
            " SELECT campaign_id, creator_id, status, deliverables, compensation, currency,"
            " start_date, due_date, conditions, cancel_reason, 1, created_at, ?"
            " FROM import_collabs RETURNING id, campaign_id, creator_id", [now],
        ).fetchall()
        cur.register("import_ids", pa.table({
            "id": pa.array([r[0] for r in inserted], pa.int64()),
            "campaign_id": pa.array([r[1] for r in inserted], pa.int64()),
            "creator_id": pa.array([r[2] for r in inserted], pa.int64()),
        }))
        cur.execute(
            "INSERT INTO activity_events (collab_id, occurred_at, actor, kind, text)"
            " SELECT i.id, b.created_at, ?, 'created', b.note"
            " FROM import_ids i JOIN import_collabs b"
            " ON b.campaign_id = i.campaign_id AND b.creator_id = i.creator_id",
            [user.username],
        )
        cur.unregister("import_ids")
        cur.unregister("import_collabs")


# --- templates -------------------------------------------------------------------------------


def template_csv(kind: str) -> bytes:
    """The columns of `kind` and one example row, as CSV."""
    columns = COLUMNS[_check_kind(kind)]
    return exports.csv_bytes([c.name for c in columns], [[c.example for c in columns]])


def template_xlsx(kind: str) -> bytes:
    """The same as a workbook: the columns, one example row, and a sheet saying what each
    column holds."""
    columns = COLUMNS[_check_kind(kind)]
    book = Workbook()
    sheet = book.active
    sheet.title = exports.sheet_title(kind.capitalize())
    exports.append(sheet, [c.name for c in columns])
    exports.append(sheet, [c.example for c in columns])
    for index, column in enumerate(columns, start=1):
        cell = sheet.cell(1, index)
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="DDE4EE")
        sheet.column_dimensions[get_column_letter(index)].width = max(14, len(column.example) + 2)
    sheet.freeze_panes = "A2"
    about = book.create_sheet("Columns")
    exports.append(about, ["column", "required", "what it holds"])
    for column in columns:
        exports.append(about, [column.name, "yes" if column.required else "", column.meaning])
    about.column_dimensions["A"].width = 18
    about.column_dimensions["C"].width = 80
    return exports.xlsx_bytes(book)
