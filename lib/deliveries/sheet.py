"""The warehouse's spreadsheet: the address export, and the import of its tracking columns."""

from __future__ import annotations

import re

from lib import delivery_sheet, rules
from lib.batches import BatchResult
from lib.db import BIGINT_RANGE, Database, NotFound, as_id, utcnow
from lib.deliveries.changes import (
    ChangePreview,
    ChangeRow,
    _Shipment,
    apply_changes,
    judge_change,
    load_shipments,
    refused_row,
)
from lib.models import (
    DeliveryStatus,
    Role,
    ShipmentChange,
    User,
)

# --- the warehouse's spreadsheet ------------------------------------------------------


def _campaign_name(db: Database, campaign_id: object) -> tuple[int, str]:
    cid = as_id(campaign_id, "campaign")
    name = db.value("SELECT name FROM campaigns WHERE id = ?", [cid])
    if name is None:
        raise NotFound(f"There is no campaign #{cid}.")
    return cid, name


def export_addresses(db: Database, user: User, campaign_id: object) -> tuple[str, bytes]:
    """The address list of a campaign's shipments as an .xlsx file: (file name, content)."""
    rules.require_role(user, Role.VIEWER, "export shipments")
    cid, name = _campaign_name(db, campaign_id)
    rows = db.rows(
        "SELECT s.id, cr.name, '@' || cr.handle, ca.name, s.item, s.address, s.carrier,"
        " s.tracking_number, s.status, coalesce(s.exception_reason, '')"
        " FROM shipments s JOIN collaborations c ON c.id = s.collab_id"
        " JOIN creators cr ON cr.id = c.creator_id JOIN campaigns ca ON ca.id = c.campaign_id"
        " WHERE c.campaign_id = ? ORDER BY lower(cr.name), s.id",
        [cid],
    )
    labelled = [(*r[:8], DeliveryStatus(r[8]).label, r[9]) for r in rows]
    return export_file_name(db, cid), delivery_sheet.address_list(labelled, name)


def export_file_name(db: Database, campaign_id: object) -> str:
    """The address list's file name: the campaign's name and today's date."""
    cid, name = _campaign_name(db, campaign_id)
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:40] or f"campaign-{cid}"
    return f"shipments-{slug}-{utcnow():%Y-%m-%d}.xlsx"


def _sheet_id(row: delivery_sheet.SheetRow) -> int | None:
    """The shipment number a row names (a leading # is allowed), or None when it names none."""
    raw = row.values["id"].lstrip("#").strip()
    return int(raw) if raw.isdigit() and int(raw) in BIGINT_RANGE else None


def _sheet_change(row: delivery_sheet.SheetRow, shipment_id: int) -> ShipmentChange:
    """The change one row of a sheet asks for; RuleViolation when the row is malformed."""

    def given(name: str) -> str | None:
        return row.values.get(name) or None  # an empty cell keeps what is there

    status = given("status")
    return ShipmentChange(
        shipment_id,
        None if status is None else rules.parse_delivery_status(status),
        given("reason"),
        given("tracking"),
        given("carrier"),
    )


def preview_import(
    db: Database, user: User, campaign_id: object, file_name: str, data: bytes
) -> ChangePreview:
    """Every row of a filled-in sheet and its outcome (updated, unchanged, refused and why);
    writes nothing. Rows that are malformed, name no shipment of this campaign, name one
    shipment twice or break a rule are refused."""
    rules.require_role(user, Role.STAFF, "import shipment updates")
    cid, _ = _campaign_name(db, campaign_id)
    sheet = delivery_sheet.read(file_name, data)
    rows_of: dict[int, list[int]] = {}  # shipment id -> the sheet rows naming it
    for row in sheet.rows:
        sid = _sheet_id(row)
        if sid is not None:
            rows_of.setdefault(sid, []).append(row.number)
    with db.cursor() as cur:
        found = load_shipments(cur, list(rows_of))
    return ChangePreview([_judge_row(row, rows_of, found, cid) for row in sheet.rows],
                         campaign_id=cid, blank_rows=sheet.blank_rows)  # fmt: skip


def _judge_row(
    row: delivery_sheet.SheetRow,
    rows_of: dict[int, list[int]],
    found: dict[int, _Shipment],
    campaign_id: int,
) -> ChangeRow:
    sid = _sheet_id(row)
    if sid is None:
        named = rules.shown(row.values["id"])
        return refused_row(None, f"{delivery_sheet.ID_HEADER} {named} is not a shipment number.",
                           row.number)  # fmt: skip
    ship = found.get(sid)
    if ship is None or ship.campaign_id != campaign_id:
        return refused_row(sid, f"No shipment #{sid} in this campaign.", row.number)
    if len(rows_of[sid]) > 1:
        where = ", ".join(str(n) for n in rows_of[sid])
        return refused_row(sid, f"Shipment #{sid} is on rows {where}; keep one of them.",
                           row.number, ship)  # fmt: skip
    try:
        change = _sheet_change(row, sid)
    except rules.RuleViolation as refusal:
        return refused_row(sid, str(refusal), row.number, ship)
    return judge_change(ship, change, row.number)


def apply_import(db: Database, user: User, preview: ChangePreview) -> BatchResult:
    """Write the rows of a previewed sheet that will change, in one transaction."""
    rules.require_role(user, Role.STAFF, "import shipment updates")
    if not preview.planned:
        raise rules.RuleViolation("Nothing to import: no row of the sheet changes anything.")
    return apply_changes(db, user, preview.planned, campaign_id=preview.campaign_id)
