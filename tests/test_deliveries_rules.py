"""The delivery rules, exhaustively: every (from, to) pair of DESIGN.md's "Delivery status" table
with every kind of reason, through each function that applies the table; and the rules for new
shipments, tracking numbers, dates and the judgement of a requested change."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest

from lib import rules
from lib.models import ChangeOutcome, CollabStatus, DeliveryStatus, ShipmentChange
from lib.rules import RuleViolation

D = DeliveryStatus
# DESIGN.md, "Delivery status", copied by hand: from -> to -> ok | reason | refused.
TABLE: dict[str, dict[str, str]] = {
    "pending": {"pending": "refused", "in_transit": "ok", "delivered": "ok",
                "exception": "reason"},
    "in_transit": {"pending": "refused", "in_transit": "refused", "delivered": "ok",
                   "exception": "reason"},
    "delivered": {"pending": "refused", "in_transit": "refused", "delivered": "refused",
                  "exception": "reason"},
    "exception": {"pending": "ok", "in_transit": "ok", "delivered": "ok",
                  "exception": "refused"},
}  # fmt: skip
REASONS: dict[str, str | None] = {
    "none": None,
    "empty": "",
    "blank": "  \t ",
    "given": "damaged in transit",
    "too long": "x" * 1_001,
}
PAIRS = [(a.value, b.value) for a, b in itertools.product(D, D)]


def allowed(current: str, target: str, reason_kind: str) -> bool:
    expected = TABLE[current][target]
    if reason_kind == "too long":  # an over-long reason is refused wherever it is given
        return False
    return expected == "ok" or (expected == "reason" and reason_kind == "given")


@pytest.mark.parametrize(("current", "target"), PAIRS)
@pytest.mark.parametrize("reason_kind", list(REASONS))
def test_check_delivery_transition(current: str, target: str, reason_kind: str) -> None:
    reason = REASONS[reason_kind]
    if allowed(current, target, reason_kind):
        assert rules.check_delivery_transition(current, target, reason) is None
        assert rules.check_delivery_transition(D(current), D(target), reason) is None
    else:
        with pytest.raises(RuleViolation) as refusal:
            rules.check_delivery_transition(current, target, reason)
        assert len(str(refusal.value)) > 20  # a sentence a person can act on


@pytest.mark.parametrize(("current", "target"), PAIRS)
def test_reason_required_and_targets_follow_the_table(current: str, target: str) -> None:
    expected = TABLE[current][target]
    assert rules.delivery_reason_required(current, target) is (expected == "reason")
    assert (D(target) in rules.allowed_delivery_targets(current)) is (expected != "refused")


@pytest.mark.parametrize(("current", "target"), PAIRS)
@pytest.mark.parametrize("reason_kind", list(REASONS))
def test_judge_a_status_change(current: str, target: str, reason_kind: str) -> None:
    change = ShipmentChange(1, D(target), REASONS[reason_kind])
    outcome, message = rules.judge_shipment_change(current, "", "", change)
    if current == target and reason_kind != "too long":
        assert outcome is ChangeOutcome.UNCHANGED
        assert "nothing to change" in message
    elif current == target:
        assert outcome is ChangeOutcome.UNCHANGED  # the reason is only read on a move
    elif allowed(current, target, reason_kind):
        assert outcome is ChangeOutcome.UPDATED
        assert message.startswith(f"{D(current).label} → {D(target).label}")
    else:
        assert outcome is ChangeOutcome.REFUSED
        assert message  # the rule's sentence


def test_messages_say_what_to_do() -> None:
    with pytest.raises(RuleViolation, match="Give a reason for the exception"):
        rules.check_delivery_transition("in_transit", "exception", " ")
    with pytest.raises(RuleViolation, match="already Delivered"):
        rules.check_delivery_transition("delivered", "delivered")
    with pytest.raises(RuleViolation, match="record an exception first"):
        rules.check_delivery_transition("delivered", "pending")
    with pytest.raises(RuleViolation, match="Unknown delivery status"):
        rules.check_delivery_transition("pending", "shipped")


@pytest.mark.parametrize(
    ("written", "status"),
    [("in_transit", D.IN_TRANSIT), ("In transit", D.IN_TRANSIT), ("IN-TRANSIT", D.IN_TRANSIT),
     ("  in   transit ", D.IN_TRANSIT), ("Delivered", D.DELIVERED), ("exception", D.EXCEPTION),
     ("PENDING", D.PENDING), (D.DELIVERED, D.DELIVERED)],
)  # fmt: skip
def test_statuses_as_people_write_them(written: str, status: DeliveryStatus) -> None:
    assert rules.parse_delivery_status(written) is status


@pytest.mark.parametrize("written", ["", "shipped", "in transit!", "delivered?", "0"])
def test_unknown_statuses_are_named(written: str) -> None:
    with pytest.raises(RuleViolation, match="Unknown delivery status") as refusal:
        rules.parse_delivery_status(written)
    assert "in transit" in str(refusal.value)  # lists what to use instead


@pytest.mark.parametrize(
    "number", ["JJD0001234567", "1Z 999 AA1 01 2345 6784", "CD-123/45.6_7", "", "   "]
)
def test_tracking_numbers_accepted(number: str) -> None:
    assert rules.check_tracking_number(number) == number.strip()


@pytest.mark.parametrize(
    "number",
    ["=HYPERLINK(\"http://x\")", "+1234", "-123", "@SUM(A1)", "abc\x00def", "line\nbreak",
     "x" * 61, "<script>", "ab;cd"],
)  # fmt: skip
def test_tracking_numbers_refused(number: str) -> None:
    with pytest.raises(RuleViolation, match="tracking number"):
        rules.check_tracking_number(number)


def test_item_and_carrier_limits() -> None:
    assert rules.check_item("  Serum kit ") == "Serum kit"
    with pytest.raises(RuleViolation, match="The item is required"):
        rules.check_item("   ")
    with pytest.raises(RuleViolation, match="too long"):
        rules.check_item("x" * 201)
    assert rules.check_carrier("") == ""
    with pytest.raises(RuleViolation, match="too long"):
        rules.check_carrier("x" * 61)


@pytest.mark.parametrize("collab_status", [s.value for s in CollabStatus])
@pytest.mark.parametrize("address", [None, "", "  ", "Main St 1, Berlin"])
@pytest.mark.parametrize("same_item", [None, *[s.value for s in D if s is not D.EXCEPTION]])
def test_new_shipment(collab_status: str, address: str | None, same_item: str | None) -> None:
    may = (
        collab_status != "cancelled"
        and address is not None and address.strip() != ""
        and same_item is None
    )  # fmt: skip
    if may:
        assert rules.check_new_shipment(collab_status, address, same_item) is None
        return
    with pytest.raises(RuleViolation) as refusal:
        rules.check_new_shipment(collab_status, address, same_item)
    message = str(refusal.value)
    if collab_status == "cancelled":
        assert "cancelled" in message  # the first thing wrong is the one named
    elif not (address or "").strip():
        assert "no shipping address" in message
    else:
        assert "already has a shipment of this item" in message


TODAY = dt.date(2026, 5, 4)
EARLIER = dt.date(2026, 4, 28)


@pytest.mark.parametrize(
    ("target", "before", "after"),
    [
        ("pending", (EARLIER, EARLIER), (None, None)),  # a re-ship forgets both
        ("in_transit", (None, None), (TODAY, None)),
        ("in_transit", (EARLIER, None), (EARLIER, None)),  # the first shipping day is kept
        ("delivered", (None, None), (TODAY, TODAY)),  # delivered means it was shipped
        ("delivered", (EARLIER, None), (EARLIER, TODAY)),
        ("exception", (EARLIER, EARLIER), (EARLIER, None)),  # returned: no longer delivered
        ("exception", (None, None), (None, None)),
    ],
)
def test_shipment_dates(target: str, before: tuple, after: tuple) -> None:
    assert rules.shipment_dates(target, *before, TODAY) == after


def test_judge_tracking_and_carrier() -> None:
    judge = rules.judge_shipment_change
    same = ShipmentChange(1, D.IN_TRANSIT, None, "JJD1", "DHL")
    assert judge("in_transit", "JJD1", "DHL", same)[0] is ChangeOutcome.UNCHANGED
    assert judge("in_transit", "JJD1", "DHL", ShipmentChange(1))[0] is ChangeOutcome.UNCHANGED
    outcome, message = judge("in_transit", "", "", ShipmentChange(1, None, None, "JJD2", "UPS"))
    assert outcome is ChangeOutcome.UPDATED
    assert message == "carrier UPS; tracking JJD2"
    outcome, message = judge("pending", "", "", ShipmentChange(1, D.IN_TRANSIT, None, " JJD3 "))
    assert (outcome, message) == (ChangeOutcome.UPDATED, "Pending → In transit; tracking JJD3")
    outcome, message = judge("in_transit", "JJD1", "", ShipmentChange(1, None, None, ""))
    assert (outcome, message) == (ChangeOutcome.UPDATED, "tracking number cleared")
    # A bad tracking number refuses the whole row, even with an allowed move.
    outcome, message = judge("pending", "", "", ShipmentChange(1, D.IN_TRANSIT, None, "=1+1"))
    assert outcome is ChangeOutcome.REFUSED and "tracking number" in message
    outcome, message = judge("in_transit", "", "", ShipmentChange(1, D.EXCEPTION, " lost "))
    assert (outcome, message) == (ChangeOutcome.UPDATED, "In transit → Exception (lost)")
