"""The domain rules: which status changes are allowed, what input is acceptable.

Pure functions, no I/O and no Streamlit. Services call these before they write;
pages may call them only to decide what to offer (the service checks again).
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

from lib.models import (
    COLLAB_FINAL,
    COLLAB_LIFECYCLE,
    CURRENCIES,
    MAX_REASON_CHARS,
    CollabStatus,
    CreatorFacts,
    DeliveryStatus,
    Role,
    User,
    ValidationStatus,
)


class RuleViolation(ValueError):
    """A change the rules refuse; the message says what to do instead."""


def shown(value: object, limit: int = 60) -> str:
    """`value` quoted for a message: its repr, cut short so that hostile input is not echoed."""
    text = repr(value)
    return text if len(text) <= limit else f"{text[:limit]}… ({len(str(value)):,} characters)"


# --- roles -----------------------------------------------------------------


def require_role(user: User | None, role: Role, action: str) -> None:
    """Raise PermissionError unless `user` is an enabled user with at least `role`."""
    if user is None or user.disabled:
        raise PermissionError(f"You must be logged in to {action}.")
    if not user.can(role):
        raise PermissionError(
            f"Your role ({user.role.value}) may not {action}; it needs {role.value} or higher."
        )


# --- collaboration status --------------------------------------------------


def _as_collab(value: CollabStatus | str) -> CollabStatus:
    try:
        return CollabStatus(value)
    except ValueError:
        known = ", ".join(s.value for s in CollabStatus)
        raise RuleViolation(
            f"Unknown collaboration status {shown(value)}; use one of {known}."
        ) from None


def _is_blank(reason: str | None) -> bool:
    return reason is None or not reason.strip()


def collab_reason_required(current: CollabStatus | str, target: CollabStatus | str) -> bool:
    """True when moving from `current` to `target` needs a written reason."""
    current, target = _as_collab(current), _as_collab(target)
    if target is CollabStatus.CANCELLED:
        return True
    if current in COLLAB_LIFECYCLE and target in COLLAB_LIFECYCLE:
        return COLLAB_LIFECYCLE.index(target) < COLLAB_LIFECYCLE.index(current)
    return False


def check_collab_transition(
    current: CollabStatus | str, target: CollabStatus | str, reason: str | None = None
) -> None:
    """Return None when the change is allowed; raise RuleViolation saying why not."""
    current, target = _as_collab(current), _as_collab(target)
    if current is target:
        raise RuleViolation(f"The collaboration is already {current.label}; nothing to change.")
    if current in COLLAB_FINAL:
        raise RuleViolation(
            f"The collaboration is {current.label}, which is final; it cannot change any more."
        )
    if collab_reason_required(current, target) and _is_blank(reason):
        what = "cancelling" if target is CollabStatus.CANCELLED else "moving back a stage"
        raise RuleViolation(f"Give a reason for {what} ({current.label} to {target.label}).")
    if not _is_blank(reason):
        check_reason(reason)  # an optional reason is stored too, so it has the same limit


def parse_collab_status(value: CollabStatus | str) -> CollabStatus:
    """The status `value` names; RuleViolation listing the known ones when it names none."""
    return _as_collab(value)


def allowed_collab_targets(current: CollabStatus | str) -> list[CollabStatus]:
    """The statuses a collaboration in `current` may move to (some need a reason)."""
    current = _as_collab(current)
    if current in COLLAB_FINAL:
        return []
    return [s for s in CollabStatus if s is not current]


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
    if allowed == "reason" and _is_blank(reason):
        raise RuleViolation("Give a reason for the exception (for example: returned, damaged).")
    if not _is_blank(reason):
        check_reason(reason)


def allowed_delivery_targets(current: DeliveryStatus | str) -> list[DeliveryStatus]:
    current = _as_delivery(current)
    return [t for (f, t) in _DELIVERY_ALLOWED if f is current]


# --- creator validation ----------------------------------------------------

ENGAGEMENT_TOO_HIGH = 20.0  # percent; above this the audience is likely bought
ENGAGEMENT_TOO_LOW = 0.2  # percent, for accounts of LOW_ENGAGEMENT_MIN_FOLLOWERS or more
LOW_ENGAGEMENT_MIN_FOLLOWERS = 10_000


def engagement_anomaly(followers: int, engagement_rate: float) -> bool:
    if engagement_rate > ENGAGEMENT_TOO_HIGH:
        return True
    return followers >= LOW_ENGAGEMENT_MIN_FOLLOWERS and engagement_rate < ENGAGEMENT_TOO_LOW


def creator_validation(
    facts: CreatorFacts, override: ValidationStatus | str | None = None
) -> ValidationStatus:
    """The badge shown beside a creator: a manual override wins over the computed one."""
    if override:
        return ValidationStatus(override)
    if facts.handle_shared or engagement_anomaly(facts.followers, facts.engagement_rate):
        return ValidationStatus.FLAGGED
    if _is_blank(facts.email) or _is_blank(facts.phone) or _is_blank(facts.address):
        return ValidationStatus.NEEDS_REVIEW
    return ValidationStatus.VERIFIED


# --- input -----------------------------------------------------------------

MAX_AMOUNT = Decimal("10000000")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,39}$")
MIN_PASSWORD_CHARS = 10
MAX_PASSWORD_BYTES = 72  # bcrypt refuses longer passwords (bcrypt >= 5 raises ValueError)


def check_text(value: str | None, field: str, max_chars: int, required: bool = True) -> str:
    """Strip `value` and check it is present (when required) and not too long."""
    text = (value or "").strip()
    if required and not text:
        raise RuleViolation(f"{field} is required.")
    if len(text) > max_chars:
        raise RuleViolation(
            f"{field} is too long: {len(text):,} characters, at most {max_chars:,}."
        )
    return text


def check_reason(reason: str | None) -> str:
    return check_text(reason, "The reason", MAX_REASON_CHARS)


_AMOUNT = re.compile(r"^-?(\d{1,3}(,\d{3})+|\d+)(\.\d+)?$")  # 1250.50 or 1,250.50
_DECIMAL_COMMA = re.compile(r"^-?\d+,\d{1,2}$")  # 12,50: ambiguous, refused


def check_amount(value: object, field: str = "The amount") -> Decimal:
    """A positive money amount with at most two decimals, written 1250.50 or 1,250.50."""
    text = str(value).strip()
    if _DECIMAL_COMMA.match(text):
        raise RuleViolation(f"{field}: use a dot for decimals, like 12.50 (not 12,50).")
    if not _AMOUNT.match(text):
        raise RuleViolation(f"{field} must be a number, like 250 or 99.50.")
    amount = Decimal(text.replace(",", ""))
    if amount <= 0:
        raise RuleViolation(f"{field} must be more than zero.")
    if amount > MAX_AMOUNT:
        raise RuleViolation(f"{field} is implausibly large (over {MAX_AMOUNT:,}).")
    if amount != amount.quantize(Decimal("0.01")):
        raise RuleViolation(f"{field} can have at most two decimals.")
    return amount


def check_compensation(value: object) -> Decimal:
    """Like check_amount, but zero is allowed (gifted collaborations)."""
    if str(value).strip() in {"0", "0.0", "0.00"}:
        return Decimal("0.00")
    return check_amount(value, "The compensation")


def check_currency(currency: str) -> str:
    if currency not in CURRENCIES:
        raise RuleViolation(
            f"Unknown currency {shown(currency)}; use one of {', '.join(CURRENCIES)}."
        )
    return currency


def check_date_order(start: dt.date | None, due: dt.date | None) -> None:
    if start and due and due < start:
        raise RuleViolation(f"The due date ({due}) is before the start date ({start}).")


def check_url(url: str | None) -> str:
    text = check_text(url, "The URL", 2_000)
    if not re.match(r"^https?://\S+$", text):
        raise RuleViolation("The URL must start with http:// or https:// and contain no spaces.")
    return text


def check_email(email: str | None, required: bool = True) -> str:
    text = check_text(email, "The e-mail address", 254, required)
    if text and not _EMAIL.match(text):
        raise RuleViolation(f"{shown(text)} is not an e-mail address.")
    return text


def check_username(username: str) -> str:
    name = (username or "").strip().lower()
    if not _USERNAME.match(name):
        raise RuleViolation(
            "A username is 2 to 40 characters: lowercase letters, digits, dot, dash, underscore."
        )
    return name


def check_password(password: str) -> str:
    if len(password or "") < MIN_PASSWORD_CHARS:
        raise RuleViolation(f"A password needs at least {MIN_PASSWORD_CHARS} characters.")
    if len(password.encode()) > MAX_PASSWORD_BYTES:
        raise RuleViolation(
            f"A password can be at most {MAX_PASSWORD_BYTES} bytes long (bcrypt's limit)."
        )
    return password


def check_role(role: Role | str) -> Role:
    try:
        return Role(role)
    except ValueError:
        raise RuleViolation(
            f"Unknown role {shown(role)}; use one of {', '.join(r.value for r in Role)}."
        ) from None
