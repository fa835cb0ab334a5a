"""The rules of ../shared/DESIGN.md, checked for every (from, to) pair.

The expected outcome of each pair is written out here independently of lib/rules.py.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from lib import rules
from lib.models import CollabStatus, CreatorFacts, DeliveryStatus, Role, User, ValidationStatus
from lib.rules import RuleViolation, check_collab_transition, check_delivery_transition

C = CollabStatus
LIFECYCLE = ["pending", "negotiating", "fulfilling", "completed"]


def expected_collab(current: str, target: str) -> str:
    """'ok', 'reason' (allowed only with a reason) or 'refused', from DESIGN.md's table."""
    if current == target or current in ("completed", "cancelled"):
        return "refused"
    if target == "cancelled":
        return "reason"
    return "ok" if LIFECYCLE.index(target) > LIFECYCLE.index(current) else "reason"


COLLAB_PAIRS = [(a.value, b.value) for a in C for b in C]
REASONS = {"with a reason": "Creator asked for it", "without one": None, "blank": "   \n\t"}


@pytest.mark.parametrize(("current", "target"), COLLAB_PAIRS)
@pytest.mark.parametrize("reason_kind", list(REASONS))
def test_collab_transition_table(current: str, target: str, reason_kind: str) -> None:
    expected = expected_collab(current, target)
    reason = REASONS[reason_kind]
    allowed = expected == "ok" or (expected == "reason" and reason_kind == "with a reason")
    if allowed:
        assert check_collab_transition(current, target, reason) is None
        assert check_collab_transition(C(current), C(target), reason) is None
    else:
        with pytest.raises(RuleViolation) as refusal:
            check_collab_transition(current, target, reason)
        assert len(str(refusal.value)) > 20  # a sentence a person can act on


def test_collab_messages_say_what_to_do() -> None:
    with pytest.raises(RuleViolation, match="final"):
        check_collab_transition("completed", "pending", "oops")
    with pytest.raises(RuleViolation, match="reason for cancelling"):
        check_collab_transition("pending", "cancelled", " ")
    with pytest.raises(RuleViolation, match="already"):
        check_collab_transition("fulfilling", "fulfilling")
    with pytest.raises(RuleViolation, match="Unknown collaboration status"):
        check_collab_transition("pending", "done")


def test_oversized_reason_is_refused() -> None:
    with pytest.raises(RuleViolation, match="too long"):
        check_collab_transition("fulfilling", "cancelled", "x" * 5_000)


@pytest.mark.parametrize("current", [s.value for s in C])
def test_allowed_targets_match_the_table(current: str) -> None:
    offered = {t.value for t in rules.allowed_collab_targets(current)}
    expected = {t.value for t in C if expected_collab(current, t.value) != "refused"}
    assert offered == expected


DELIVERY_TABLE = {
    # from: {to: outcome}, copied from DESIGN.md "Delivery status"
    "pending": {"pending": "refused", "in_transit": "ok", "delivered": "ok", "exception": "reason"},
    "in_transit": {"pending": "refused", "in_transit": "refused", "delivered": "ok",
                   "exception": "reason"},
    "delivered": {"pending": "refused", "in_transit": "refused", "delivered": "refused",
                  "exception": "reason"},
    "exception": {"pending": "ok", "in_transit": "ok", "delivered": "ok", "exception": "refused"},
}


@pytest.mark.parametrize(("current", "target"),
                         [(a.value, b.value) for a in DeliveryStatus for b in DeliveryStatus])
@pytest.mark.parametrize("reason_kind", list(REASONS))
def test_delivery_transition_table(current: str, target: str, reason_kind: str) -> None:
    expected = DELIVERY_TABLE[current][target]
    allowed = expected == "ok" or (expected == "reason" and reason_kind == "with a reason")
    if allowed:
        assert check_delivery_transition(current, target, REASONS[reason_kind]) is None
    else:
        with pytest.raises(RuleViolation):
            check_delivery_transition(current, target, REASONS[reason_kind])


def facts(**overrides: object) -> CreatorFacts:
    base = dict(email="a@b.co", phone="+1 555", address="1 Road", followers=50_000,
                engagement_rate=3.0, handle_shared=False)
    return CreatorFacts(**{**base, **overrides})  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("changes", "badge"),
    [
        ({}, ValidationStatus.VERIFIED),
        ({"phone": None}, ValidationStatus.NEEDS_REVIEW),
        ({"email": " "}, ValidationStatus.NEEDS_REVIEW),
        ({"address": ""}, ValidationStatus.NEEDS_REVIEW),
        ({"handle_shared": True}, ValidationStatus.FLAGGED),
        ({"engagement_rate": 35.0}, ValidationStatus.FLAGGED),
        ({"engagement_rate": 0.05}, ValidationStatus.FLAGGED),
        ({"engagement_rate": 0.05, "followers": 800}, ValidationStatus.VERIFIED),
        ({"email": None, "handle_shared": True}, ValidationStatus.FLAGGED),
    ],
)
def test_creator_validation(changes: dict, badge: ValidationStatus) -> None:
    assert rules.creator_validation(facts(**changes)) is badge


def test_manual_override_wins() -> None:
    pinned = rules.creator_validation(facts(handle_shared=True), "verified")
    assert pinned is ValidationStatus.VERIFIED


@pytest.mark.parametrize(
    "value", ["abc", "-5", "0", "1e400", "12.345", "NaN", "99999999999", "12,50", "1_000", "1,25,0"]
)
def test_bad_amounts_are_refused(value: str) -> None:
    with pytest.raises(RuleViolation):
        rules.check_amount(value)


def test_good_amounts() -> None:
    assert rules.check_amount("1,250.50") == Decimal("1250.50")
    assert rules.check_amount(" 99.5 ") == Decimal("99.5")


def test_a_decimal_comma_gets_a_hint() -> None:
    with pytest.raises(RuleViolation, match="use a dot"):
        rules.check_amount("12,50")


def test_roles() -> None:
    viewer = User(1, "v", "V", "", Role.VIEWER)
    with pytest.raises(PermissionError, match="viewer"):
        rules.require_role(viewer, Role.STAFF, "change statuses")
    rules.require_role(User(2, "m", "M", "", Role.MANAGER), Role.STAFF, "change statuses")
    with pytest.raises(PermissionError):
        rules.require_role(User(3, "a", "A", "", Role.ADMIN, disabled=True), Role.STAFF, "x")
