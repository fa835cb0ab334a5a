"""Free input common to every form: text, reasons, amounts, currencies, dates, URLs, e-mails.

Pure functions, no I/O (see lib/rules.py)."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

from lib.models import (
    CURRENCIES,
    MAX_REASON_CHARS,
)
from lib.rulebook.common import RuleViolation, shown

# --- input -----------------------------------------------------------------

MAX_AMOUNT = Decimal("10000000")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


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


AMOUNT_TEXT = re.compile(r"^-?(\d{1,3}(,\d{3})+|\d+)(\.\d+)?$")  # 1250.50 or 1,250.50
_DECIMAL_COMMA = re.compile(r"^-?\d+,\d{1,2}$")  # 12,50: ambiguous, refused


def check_amount(value: object, field: str = "The amount") -> Decimal:
    """A positive money amount with at most two decimals, written 1250.50 or 1,250.50."""
    text = str(value).strip()
    if _DECIMAL_COMMA.match(text):
        raise RuleViolation(f"{field}: use a dot for decimals, like 12.50 (not 12,50).")
    if not AMOUNT_TEXT.match(text):
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
