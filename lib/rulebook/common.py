"""What every rule shares: the refusal a person reads, how a value is quoted in it, and a
spreadsheet cell as text.

Pure functions, no I/O (see lib/rules.py)."""

from __future__ import annotations

import datetime as dt
from typing import Any


class RuleViolation(ValueError):
    """A change the rules refuse; the message says what to do instead."""


def shown(value: object, limit: int = 60) -> str:
    """`value` quoted for a message: its repr, cut short so that hostile input is not echoed."""
    text = repr(value)
    return text if len(text) <= limit else f"{text[:limit]}… ({len(str(value)):,} characters)"



def is_blank(reason: str | None) -> bool:
    return reason is None or not reason.strip()



def as_enum(enum: type, value: object, what: str) -> Any:
    try:
        return enum(value)
    except ValueError:
        known = ", ".join(s.value for s in enum)
        raise RuleViolation(f"Unknown {what} {shown(value)}; use one of {known}.") from None

def cell_text(value: object) -> str:
    """A spreadsheet cell as text: empty for nothing, 12000 for the number 12000.0."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime) and value.time() == dt.time():
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value).strip()
