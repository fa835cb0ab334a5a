"""Creators: the validation badge and the fields of a creator (handle, platform, phone,
counts, tags).

Pure functions, no I/O (see lib/rules.py)."""

from __future__ import annotations

import re
import unicodedata

from lib import models
from lib.models import (
    CreatorFacts,
    ValidationStatus,
)
from lib.rulebook.common import RuleViolation, cell_text, is_blank, shown
from lib.rulebook.fields import check_text

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
    """The badge shown beside a creator: a manual override wins over the computed one.

    Flagged: the handle is also on another platform under another name (see
    CreatorFacts.handle_shared), or the engagement looks bought or dead."""
    if override:
        return ValidationStatus(override)
    if facts.handle_shared or engagement_anomaly(facts.followers, facts.engagement_rate):
        return ValidationStatus.FLAGGED
    if is_blank(facts.email) or is_blank(facts.phone) or is_blank(facts.address):
        return ValidationStatus.NEEDS_REVIEW
    return ValidationStatus.VERIFIED



_HANDLE = re.compile(r"^[^\s@]+$")
_PHONE = re.compile(r"^\+?[0-9 ()./-]{4,}$")
_WHOLE = re.compile(r"^(\d{1,3}(,\d{3})+|\d+)$")
_RATE = re.compile(r"^\d+(\.\d+)?%?$")


def check_handle(value: object) -> str:
    """A creator's handle as it is kept: NFKC-normalised (full-width letters, ligatures and
    other compatibility forms become the plain characters, so that look-alike spellings are one
    handle), without surrounding whitespace or leading @; refused with a space, a second @ or
    an invisible character inside. The store compares handles by this form in lower case
    (lib.creators.HANDLE_KEY)."""
    text = unicodedata.normalize("NFKC", cell_text(value)).strip()
    handle = check_text(text.lstrip("@").strip(), "The handle", models.MAX_HANDLE_CHARS)
    if not _HANDLE.match(handle):
        raise RuleViolation(f"The handle {shown(handle)} cannot contain spaces or a second @.")
    if any(unicodedata.category(ch)[0] in "CZ" for ch in handle):
        raise RuleViolation(
            f"The handle {shown(handle)} contains an invisible or control character;"
            " type it again."
        )
    return handle


def check_platform(value: object) -> str:
    platform = cell_text(value).lower()
    if platform not in models.PLATFORMS:
        raise RuleViolation(
            f"Unknown platform {shown(cell_text(value))}; "
            f"use one of {', '.join(models.PLATFORMS)}."
        )
    return platform


def check_phone(value: object) -> str | None:
    phone = check_text(
        cell_text(value), "The phone number", models.MAX_PHONE_CHARS, required=False
    )
    if phone and not _PHONE.match(phone):
        raise RuleViolation(f"{shown(phone)} is not a phone number (digits, spaces, + ( ) - .).")
    return phone or None


def check_count(value: object, field: str, maximum: int = models.MAX_FOLLOWERS) -> int:
    """A whole number of zero or more, written 12000 or 12,000; empty is 0."""
    text = cell_text(value)
    if not text:
        return 0
    if not _WHOLE.match(text):
        raise RuleViolation(f"{field} must be a whole number like 12000, not {shown(text)}.")
    count = int(text.replace(",", ""))
    if count > maximum:
        raise RuleViolation(f"{field} is implausibly large (over {maximum:,}).")
    return count


def check_rate(value: object, field: str = "The engagement rate") -> float:
    """A percentage from 0 to 100, written 3.5 or 3.5%; empty is 0."""
    text = cell_text(value).replace(" ", "")
    if not text:
        return 0.0
    if not _RATE.match(text):
        raise RuleViolation(f"{field} must be a percentage like 3.5, not {shown(text)}.")
    rate = float(text.rstrip("%"))
    if rate > 100:
        raise RuleViolation(f"{field} is a percentage: at most 100, not {rate:g}.")
    return rate


def check_tags(value: object) -> tuple[str, ...]:
    """Tags separated by semicolons: "Top Performer; Beauty"."""
    tags: list[str] = []
    for part in cell_text(value).split(";"):
        tag = check_text(part, "A tag", models.MAX_TAG_CHARS, required=False)
        if tag and tag not in tags:
            tags.append(tag)
    if len(tags) > models.MAX_TAGS_PER_CREATOR:
        raise RuleViolation(
            f"At most {models.MAX_TAGS_PER_CREATOR} tags per creator, not {len(tags)}."
        )
    return tuple(tags)
