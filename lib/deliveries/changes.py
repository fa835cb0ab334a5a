"""Status and tracking changes of shipments: preview, then one all-or-nothing write with
versions checked."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from lib import rules, users
from lib.batches import BatchPreview, BatchResult
from lib.db import BIGINT_RANGE, Cursor, Database, NotFound, as_id, utcnow
from lib.deliveries.common import batch_ids, log_events
from lib.models import (
    ChangeOutcome,
    DeliveryStatus,
    EventKind,
    Role,
    ShipmentChange,
    User,
)

# --- status and tracking changes -------------------------------------------------------


@dataclass(frozen=True)
class _Shipment:
    id: int
    collab_id: int
    campaign_id: int
    status: str
    tracking_number: str
    carrier: str
    exception_reason: str | None
    shipped_on: dt.date | None
    delivered_on: dt.date | None
    version: int
    item: str
    creator: str
    campaign: str


def load_shipments(cur: Cursor, ids: list[int]) -> dict[int, _Shipment]:
    rows = cur.execute(
        "SELECT s.id, s.collab_id, c.campaign_id, s.status, s.tracking_number, s.carrier,"
        " s.exception_reason, s.shipped_on, s.delivered_on, coalesce(s.version, 1), s.item,"
        " cr.name, ca.name"
        " FROM shipments s JOIN collaborations c ON c.id = s.collab_id"
        " JOIN creators cr ON cr.id = c.creator_id JOIN campaigns ca ON ca.id = c.campaign_id"
        " WHERE s.id IN (SELECT unnest(?::BIGINT[]))",
        [[i for i in ids if i in BIGINT_RANGE]],
    ).fetchall()
    return {r[0]: _Shipment(*r) for r in rows}


@dataclass(frozen=True)
class ChangeRow:
    shipment_id: int | None
    creator: str
    campaign: str
    item: str
    current: str | None
    version: int | None
    outcome: ChangeOutcome
    message: str
    change: ShipmentChange | None = None
    row: int | None = None  # the row of an imported sheet

    @property
    def ok(self) -> bool:
        return self.outcome is not ChangeOutcome.REFUSED


@dataclass(frozen=True)
class ChangePreview(BatchPreview[ChangeRow]):
    campaign_id: int | None = None  # an imported sheet's campaign
    blank_rows: int = 0  # empty rows of an imported sheet, skipped

    @property
    def planned(self) -> dict[int, tuple[ShipmentChange, int]]:
        """shipment id -> (change, version seen), for the rows that will change: what
        apply_changes takes back."""
        return {
            r.shipment_id: (r.change, r.version)
            for r in self.rows
            if r.outcome is ChangeOutcome.UPDATED
            and r.change is not None and r.shipment_id is not None and r.version is not None
        }

    def count(self, outcome: ChangeOutcome) -> int:
        return sum(r.outcome is outcome for r in self.rows)


def judge_change(ship: _Shipment, change: ShipmentChange, row: int | None = None) -> ChangeRow:
    outcome, message = rules.judge_shipment_change(
        ship.status, ship.tracking_number, ship.carrier, change
    )
    return ChangeRow(ship.id, ship.creator, ship.campaign, ship.item, ship.status,
                     ship.version, outcome, message, change, row)  # fmt: skip


def refused_row(
    shipment_id: int | None, message: str, row: int | None = None, ship: _Shipment | None = None
) -> ChangeRow:
    """A refused row; with the shipment's names when it is one the user may see."""
    if ship is None:
        return ChangeRow(shipment_id, "", "", "", None, None, ChangeOutcome.REFUSED, message,
                         None, row)  # fmt: skip
    return ChangeRow(ship.id, ship.creator, ship.campaign, ship.item, ship.status, ship.version,
                     ChangeOutcome.REFUSED, message, None, row)  # fmt: skip


def preview_changes(db: Database, user: User, changes: list[ShipmentChange]) -> ChangePreview:
    """What each change would do, row by row; writes nothing."""
    rules.require_role(user, Role.STAFF, "update shipments")
    ids = batch_ids([c.shipment_id for c in changes], "shipment")
    if len(ids) != len(changes):
        raise rules.RuleViolation("Each shipment may appear only once in a batch.")
    with db.cursor() as cur:
        found = load_shipments(cur, ids)
    return ChangePreview([
        judge_change(found[c.shipment_id], c) if c.shipment_id in found
        else refused_row(c.shipment_id, f"No shipment #{c.shipment_id}.")
        for c in changes
    ])  # fmt: skip


def preview_status_change(
    db: Database,
    user: User,
    shipment_ids: list[object],
    target: DeliveryStatus | str,
    reason: str | None = None,
) -> ChangePreview:
    """What moving these shipments to `target` would do, row by row; writes nothing."""
    rules.require_role(user, Role.STAFF, "update shipments")
    status = rules.parse_delivery_status(target)
    ids = batch_ids(shipment_ids, "shipment")
    reason = reason.strip() if reason and reason.strip() else None
    return preview_changes(db, user, [ShipmentChange(i, status, reason) for i in ids])


def apply_changes(
    db: Database,
    user: User,
    planned: Mapping[int, tuple[ShipmentChange, int]],
    campaign_id: int | None = None,
) -> BatchResult:
    """Write the previewed changes (shipment id -> (change, version seen in the preview)).

    Shipments changed since the preview, gone, outside `campaign_id` (when given) or no longer
    allowed by the rules are refused; the rest change in one transaction, each with a
    delivery_changed event on its collaboration.
    """
    grant = rules.require_role(user, Role.STAFF, "update shipments")
    ids = batch_ids(list(planned), "shipment")

    def write(cur: Cursor) -> BatchResult:
        found = load_shipments(cur, ids)
        result, writes = BatchResult(verb="updated", noun="shipment"), []
        for sid in ids:
            change, version = planned[sid]
            ship = found.get(sid)
            if ship is None or (campaign_id is not None and ship.campaign_id != campaign_id):
                result.refused[sid] = f"No shipment #{sid}" + (
                    " in this campaign." if campaign_id is not None else "."
                )
                continue
            if ship.version != version:
                result.refused[sid] = "Changed since the preview by someone else; preview again."
                continue
            judged = judge_change(ship, change)
            if judged.outcome is ChangeOutcome.REFUSED:
                result.refused[sid] = judged.message
            elif judged.outcome is ChangeOutcome.UNCHANGED:
                result.unchanged.append(sid)
            else:
                result.done.append(sid)
                writes.append((ship, change, judged.message))
        if writes:
            _write_changes(cur, user, writes)
        return result

    return db.write(users.recheck(grant, write))


def update_shipment(
    db: Database, user: User, shipment_id: object, version: int, change: ShipmentChange
) -> str:
    """Change one shipment (as seen at `version`); return what changed, or raise
    RuleViolation saying why not (also when there is nothing to change)."""
    sid = as_id(shipment_id, "shipment")
    change = ShipmentChange(sid, change.status, change.reason, change.tracking_number,
                            change.carrier)  # fmt: skip
    with db.cursor() as cur:
        if sid not in load_shipments(cur, [sid]):
            raise NotFound(f"There is no shipment #{sid}.")
    result = apply_changes(db, user, {sid: (change, int(version))})
    if result.refused:
        raise rules.RuleViolation(result.refused[sid])
    if result.unchanged:
        raise rules.RuleViolation("Nothing to change: the shipment already looks like that.")
    return result.summary()


def _write_changes(
    cur: Cursor, user: User, writes: list[tuple[_Shipment, ShipmentChange, str]]
) -> None:
    """One UPDATE for all the rows (each with its own new values), then their events."""
    now = utcnow()
    columns: dict[str, list[Any]] = {k: [] for k in (
        "ids", "statuses", "reasons", "tracking", "carriers", "shipped", "delivered", "moved"
    )}  # fmt: skip
    froms: list[str | None] = []
    tos: list[str | None] = []
    for ship, change, _ in writes:
        target = rules.parse_delivery_status(change.status or ship.status)
        moved = target.value != ship.status
        shipped, delivered = (
            rules.shipment_dates(target, ship.shipped_on, ship.delivered_on, now.date())
            if moved else (ship.shipped_on, ship.delivered_on)
        )  # fmt: skip
        if not moved:
            reason = ship.exception_reason
        else:
            reason = (change.reason or "").strip() if target is DeliveryStatus.EXCEPTION else None
        tracking = ship.tracking_number
        if change.tracking_number is not None:
            tracking = rules.check_tracking_number(change.tracking_number)
        carrier = ship.carrier if change.carrier is None else rules.check_carrier(change.carrier)
        for key, value in zip(columns, (ship.id, target.value, reason, tracking, carrier,
                                        shipped, delivered, moved), strict=True):
            columns[key].append(value)
        froms.append(ship.status if moved else None)
        tos.append(target.value if moved else None)
    cur.execute(
        "UPDATE shipments SET status = n.status, exception_reason = n.reason,"
        " tracking_number = n.tracking, carrier = n.carrier, shipped_on = n.shipped,"
        " delivered_on = n.delivered,"
        " status_changed_at = CASE WHEN n.moved THEN $now ELSE shipments.status_changed_at END,"
        " version = coalesce(shipments.version, 1) + 1"
        " FROM (SELECT unnest($ids::BIGINT[]) AS id, unnest($statuses::VARCHAR[]) AS status,"
        "   unnest($reasons::VARCHAR[]) AS reason, unnest($tracking::VARCHAR[]) AS tracking,"
        "   unnest($carriers::VARCHAR[]) AS carrier, unnest($shipped::DATE[]) AS shipped,"
        "   unnest($delivered::DATE[]) AS delivered, unnest($moved::BOOLEAN[]) AS moved) n"
        " WHERE shipments.id = n.id",
        {**columns, "now": now},
    )
    texts = [f"Shipment #{ship.id}, {ship.item}: {message}" for ship, _, message in writes]
    log_events(cur, user, EventKind.DELIVERY_CHANGED, [ship.collab_id for ship, _, _ in writes],
               froms, tos, texts, now)  # fmt: skip
