"""A collaboration's status: the lifecycle's allowed moves and when a reason is needed.

Pure functions, no I/O (see lib/rules.py)."""

from __future__ import annotations

from lib.models import (
    COLLAB_FINAL,
    COLLAB_LIFECYCLE,
    CollabStatus,
)
from lib.rulebook.common import RuleViolation, is_blank, shown
from lib.rulebook.fields import check_reason

# --- collaboration status --------------------------------------------------


def as_collab_status(value: CollabStatus | str) -> CollabStatus:
    try:
        return CollabStatus(value)
    except ValueError:
        known = ", ".join(s.value for s in CollabStatus)
        raise RuleViolation(
            f"Unknown collaboration status {shown(value)}; use one of {known}."
        ) from None



def collab_reason_required(current: CollabStatus | str, target: CollabStatus | str) -> bool:
    """True when moving from `current` to `target` needs a written reason."""
    current, target = as_collab_status(current), as_collab_status(target)
    if target is CollabStatus.CANCELLED:
        return True
    if current in COLLAB_LIFECYCLE and target in COLLAB_LIFECYCLE:
        return COLLAB_LIFECYCLE.index(target) < COLLAB_LIFECYCLE.index(current)
    return False


def check_collab_transition(
    current: CollabStatus | str, target: CollabStatus | str, reason: str | None = None
) -> None:
    """Return None when the change is allowed; raise RuleViolation saying why not."""
    current, target = as_collab_status(current), as_collab_status(target)
    if current is target:
        raise RuleViolation(f"The collaboration is already {current.label}; nothing to change.")
    if current in COLLAB_FINAL:
        raise RuleViolation(
            f"The collaboration is {current.label}, which is final; it cannot change any more."
        )
    if collab_reason_required(current, target) and is_blank(reason):
        what = "cancelling" if target is CollabStatus.CANCELLED else "moving back a stage"
        raise RuleViolation(f"Give a reason for {what} ({current.label} to {target.label}).")
    if not is_blank(reason):
        check_reason(reason)  # an optional reason is stored too, so it has the same limit


def parse_collab_status(value: CollabStatus | str) -> CollabStatus:
    """The status `value` names; RuleViolation listing the known ones when it names none."""
    return as_collab_status(value)


def allowed_collab_targets(current: CollabStatus | str) -> list[CollabStatus]:
    """The statuses a collaboration in `current` may move to (some need a reason)."""
    current = as_collab_status(current)
    if current in COLLAB_FINAL:
        return []
    return [s for s in CollabStatus if s is not current]
