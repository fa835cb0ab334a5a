"""New shipments: a preview per collaboration, then one write for the allowed ones."""

from __future__ import annotations

from dataclasses import dataclass

from lib import rules, users
from lib.batches import BatchPreview, BatchResult
from lib.db import Cursor, Database, utcnow
from lib.deliveries.common import batch_ids, log_events
from lib.models import (
    DeliveryStatus,
    EventKind,
    Role,
    User,
)

# --- new shipments --------------------------------------------------------------------


@dataclass(frozen=True)
class NewShipmentRow:
    collab_id: int
    creator: str
    campaign: str
    collab_status: str | None
    address: str
    ok: bool
    message: str


@dataclass(frozen=True)
class NewShipmentsPreview(BatchPreview[NewShipmentRow]):
    item: str
    carrier: str

    @property
    def valid(self) -> list[int]:
        """The collaborations that will get a shipment, to hand back to create_shipments."""
        return [r.collab_id for r in self.accepted]


def _load_collabs(cur: Cursor, ids: list[int], item: str) -> dict[int, tuple]:
    """id -> (status, creator, campaign, address, status of an open shipment of `item`)."""
    rows = cur.execute(
        "SELECT c.id, c.status, cr.name, ca.name, coalesce(trim(cr.address), ''),"
        " (SELECT arg_min(s.status, s.id) FROM shipments s WHERE s.collab_id = c.id"
        "   AND lower(trim(s.item)) = lower($item) AND s.status <> 'exception')"
        " FROM collaborations c JOIN creators cr ON cr.id = c.creator_id"
        " JOIN campaigns ca ON ca.id = c.campaign_id"
        " WHERE c.id IN (SELECT unnest($ids::BIGINT[]))",
        {"ids": ids, "item": item},
    ).fetchall()
    return {r[0]: r[1:] for r in rows}


def _judge_new(found: dict[int, tuple], ids: list[int]) -> list[NewShipmentRow]:
    rows = []
    for cid in ids:
        if cid not in found:
            rows.append(NewShipmentRow(cid, "", "", None, "", False, f"No collaboration #{cid}."))
            continue
        status, creator, campaign, address, same_item = found[cid]
        try:
            rules.check_new_shipment(status, address, same_item)
            ok, message = True, f"Ships to {address}"
        except rules.RuleViolation as refusal:
            ok, message = False, str(refusal)
        rows.append(NewShipmentRow(cid, creator, campaign, status, address, ok, message))
    return rows


def preview_new_shipments(
    db: Database, user: User, collab_ids: list[object], item: str, carrier: str = ""
) -> NewShipmentsPreview:
    """Which collaborations would get a shipment of `item`, and why the others would not."""
    rules.require_role(user, Role.STAFF, "create shipments")
    item, carrier = rules.check_item(item), rules.check_carrier(carrier)
    ids = batch_ids(collab_ids, "collaboration")
    with db.cursor() as cur:
        found = _load_collabs(cur, ids, item)
    return NewShipmentsPreview(_judge_new(found, ids), item, carrier)


def create_shipments(
    db: Database, user: User, collab_ids: list[object], item: str, carrier: str = ""
) -> BatchResult:
    """A pending shipment of `item` for each collaboration the rules allow, with its creator's
    shipping address copied now; the rest are refused with the reason. One transaction."""
    grant = rules.require_role(user, Role.STAFF, "create shipments")
    item, carrier = rules.check_item(item), rules.check_carrier(carrier)
    ids = batch_ids(collab_ids, "collaboration")

    def write(cur: Cursor) -> BatchResult:
        rows = _judge_new(_load_collabs(cur, ids, item), ids)
        result = BatchResult(refused={r.collab_id: r.message for r in rows if not r.ok},
                             verb="created", noun="shipment")
        chosen = [r for r in rows if r.ok]
        if chosen:
            result.made = _insert_shipments(cur, user, chosen, item, carrier)
            result.done = list(result.made)
        return result

    return db.write(users.recheck(grant, write))


def create_shipment(
    db: Database, user: User, collab_id: object, item: str, carrier: str = ""
) -> int:
    """One new shipment for one collaboration; RuleViolation saying why when refused."""
    result = create_shipments(db, user, [collab_id], item, carrier)
    if result.refused:
        raise rules.RuleViolation(next(iter(result.refused.values())))
    return next(iter(result.made.values()))


def _insert_shipments(
    cur: Cursor, user: User, rows: list[NewShipmentRow], item: str, carrier: str
) -> dict[int, int]:
    now = utcnow()
    created = cur.execute(
        "INSERT INTO shipments (collab_id, item, carrier, address, status, status_changed_at,"
        " created_at, version)"
        " SELECT unnest($collabs::BIGINT[]), $item, $carrier, unnest($addresses::VARCHAR[]),"
        " 'pending', $now, $now, 1 RETURNING collab_id, id",
        {"collabs": [r.collab_id for r in rows], "addresses": [r.address for r in rows],
         "item": item, "carrier": carrier, "now": now},
    ).fetchall()  # fmt: skip
    by_collab = dict(created)
    texts = [
        f"Shipment #{by_collab[r.collab_id]} created: {item}" + (f" ({carrier})" if carrier else "")
        for r in rows
    ]
    log_events(cur, user, EventKind.SHIPMENT_CREATED, [r.collab_id for r in rows],
               [None] * len(rows), [DeliveryStatus.PENDING.value] * len(rows), texts, now)
    return by_collab
