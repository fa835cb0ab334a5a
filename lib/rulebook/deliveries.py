"""Shipments (DESIGN.md, "Deliveries"): status moves, exceptions and their dates.

Pure functions, no I/O (see lib/rules.py)."""

from __future__ import annotations

import datetime as dt
import re

from lib.models import (
    MAX_CARRIER_CHARS,
    MAX_SHORT_TEXT_CHARS,
    MAX_TRACKING_CHARS,
    ChangeOutcome,
    CollabStatus,
    DeliveryStatus,
    ShipmentChange,
)
from lib.rulebook.collaborations import as_collab_status
from lib.rulebook.common import RuleViolation, is_blank, shown
from lib.rulebook.fields import check_reason, check_text

# --- delivery status -------------------------------------------------------

_D = DeliveryStatus
# (from, to) -> True when allowed freely, "reason" when a reason is required.
_DELIVERY_ALLOWED: dict[tuple[DeliveryStatus, DeliveryStatus], bool | str] = {
    (_D.PENDING, _D.IN_TRANSIT): True,
    (_D.PENDING, _D.DELIVERED): True,
    (_D.PENDING, _D.EXCEPTION): "reason",
    (_D.IN_TRANSIT, _D.DELIVERED): True,
    (_D.IN_TRANSIT, _D.EXCEPTION): "reason",
    (_D.DELIVERED, _D.EXCEPTION): "reason",
    (_D.EXCEPTION, _D.PENDING): True,
    (_D.EXCEPTION, _D.IN_TRANSIT): True,
    (_D.EXCEPTION, _D.DELIVERED): True,
}


def _as_delivery(value: DeliveryStatus | str) -> DeliveryStatus:
    try:
        return DeliveryStatus(value)
    except ValueError:
        known = ", ".join(s.value for s in DeliveryStatus)
        raise RuleViolation(
            f"Unknown delivery status {shown(value)}; use one of {known}."
        ) from None


def check_delivery_transition(
    current: DeliveryStatus | str, target: DeliveryStatus | str, reason: str | None = None
) -> None:
    """Return None when the shipment may move; raise RuleViolation saying why not."""
    current, target = _as_delivery(current), _as_delivery(target)
    if current is target:
        raise RuleViolation(f"The shipment is already {current.label}; nothing to change.")
    allowed = _DELIVERY_ALLOWED.get((current, target))
    if not allowed:
        raise RuleViolation(
            f"A shipment cannot go from {current.label} back to {target.label}; "
            "record an exception first if something went wrong."
        )
    if allowed == "reason" and is_blank(reason):
        raise RuleViolation("Give a reason for the exception (for example: returned, damaged).")
    if not is_blank(reason):
        check_reason(reason)


def allowed_delivery_targets(current: DeliveryStatus | str) -> list[DeliveryStatus]:
    current = _as_delivery(current)
    return [t for (f, t) in _DELIVERY_ALLOWED if f is current]



# --- deliveries: shipments (issue 6) -------------------------------------------------

# Letters and digits, with the separators carriers print (spaces, dots, slashes, dashes).
# Refusing the rest also keeps spreadsheet formulas ("=…") out of a cell the warehouse opens.
_TRACKING = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 ./_-]*$")


def parse_delivery_status(value: DeliveryStatus | str) -> DeliveryStatus:
    """The delivery status `value` names, written as a person writes it in a sheet too:
    "In transit", "in-transit" and "IN_TRANSIT" all name in_transit."""
    if isinstance(value, DeliveryStatus):
        return value
    try:
        return DeliveryStatus(re.sub(r"[\s-]+", "_", str(value).strip().lower()))
    except ValueError:
        known = ", ".join(s.label.lower() for s in DeliveryStatus)
        raise RuleViolation(
            f"Unknown delivery status {shown(value)}; use one of {known}."
        ) from None


def delivery_reason_required(current: DeliveryStatus | str, target: DeliveryStatus | str) -> bool:
    """True when moving a shipment from `current` to `target` needs a reason (an exception)."""
    return _DELIVERY_ALLOWED.get((_as_delivery(current), _as_delivery(target))) == "reason"


def check_item(value: str | None) -> str:
    return check_text(value, "The item", MAX_SHORT_TEXT_CHARS)


def check_carrier(value: str | None) -> str:
    return check_text(value, "The carrier", MAX_CARRIER_CHARS, required=False)


def check_tracking_number(value: str | None) -> str:
    """A tracking number as stored (blank allowed: tracking is optional)."""
    text = check_text(value, "The tracking number", MAX_TRACKING_CHARS, required=False)
    if text and not _TRACKING.match(text):
        raise RuleViolation(
            f"The tracking number {shown(text)} may hold only letters, digits, spaces and "
            "the signs . / _ - (and must start with a letter or digit)."
        )
    return text


def check_new_shipment(
    collab_status: CollabStatus | str,
    address: str | None,
    same_item: DeliveryStatus | str | None = None,
) -> None:
    """A collaboration may get a new shipment unless it is cancelled, its creator has no
    shipping address to copy, or it already has this item on its way (`same_item`: the
    status of such a shipment that is not an exception)."""
    if as_collab_status(collab_status) is CollabStatus.CANCELLED:
        raise RuleViolation("The collaboration is cancelled; it gets no new shipment.")
    if is_blank(address):
        raise RuleViolation(
            "The creator has no shipping address on file; add it to the creator first."
        )
    if same_item is not None:
        state = _as_delivery(same_item)
        raise RuleViolation(
            f"This collaboration already has a shipment of this item ({state.label.lower()}). "
            "To send it again, record an exception on that one and move it back to pending."
        )


def shipment_dates(
    target: DeliveryStatus | str,
    shipped_on: dt.date | None,
    delivered_on: dt.date | None,
    today: dt.date,
) -> tuple[dt.date | None, dt.date | None]:
    """The shipped and delivered dates after a move to `target` on `today`.

    In transit or delivered means it was shipped (the first such day is kept); only a
    delivered shipment has a delivery day; back to pending (a re-ship) forgets both.
    """
    target = _as_delivery(target)
    if target is _D.PENDING:
        return None, None
    if target is _D.IN_TRANSIT:
        return shipped_on or today, None
    if target is _D.DELIVERED:
        return shipped_on or today, today
    return shipped_on, None  # an exception: returned, damaged or lost, so not delivered now


def judge_shipment_change(
    current: DeliveryStatus | str, tracking_number: str, carrier: str, change: ShipmentChange
) -> tuple[ChangeOutcome, str]:
    """What `change` does to a shipment in `current` with this tracking number and carrier:
    (UPDATED, what changes), (UNCHANGED, why nothing) or (REFUSED, why). Never raises for a
    rule: a batch shows every row's outcome."""
    current = _as_delivery(current)
    changes: list[str] = []
    try:
        tracking = (
            None if change.tracking_number is None
            else check_tracking_number(change.tracking_number)
        )
        new_carrier = None if change.carrier is None else check_carrier(change.carrier)
        target = None if change.status is None else parse_delivery_status(change.status)
        if target is not None and target is not current:
            check_delivery_transition(current, target, change.reason)
            move = f"{current.label} → {target.label}"
            if target is _D.EXCEPTION:
                move += f" ({(change.reason or '').strip()})"
            changes.append(move)
    except RuleViolation as refusal:
        return ChangeOutcome.REFUSED, str(refusal)
    if new_carrier is not None and new_carrier != carrier:
        changes.append(f"carrier {new_carrier}" if new_carrier else "carrier cleared")
    if tracking is not None and tracking != tracking_number:
        changes.append(f"tracking {tracking}" if tracking else "tracking number cleared")
    if not changes:
        state = "an exception" if current is _D.EXCEPTION else current.label.lower()
        return ChangeOutcome.UNCHANGED, f"Already {state}; nothing to change."
    return ChangeOutcome.UPDATED, "; ".join(changes)
