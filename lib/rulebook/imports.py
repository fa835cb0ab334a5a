"""Reports and imports: ISO weeks, spreadsheet cells and the rows of imported files.

Pure functions, no I/O (see lib/rules.py)."""

from __future__ import annotations

import datetime as dt
import re

from lib import models
from lib.models import (
    MAX_NOTE_CHARS,
    MAX_REASON_CHARS,
    MAX_SHORT_TEXT_CHARS,
    CollabStatus,
    Terms,
)
from lib.rulebook.collaborations import parse_collab_status
from lib.rulebook.common import RuleViolation, cell_text, shown
from lib.rulebook.creators import (
    check_count,
    check_handle,
    check_phone,
    check_platform,
    check_rate,
    check_tags,
)
from lib.rulebook.fields import (
    check_compensation,
    check_currency,
    check_date_order,
    check_email,
    check_text,
)

_ISO_WEEK = re.compile(r"^(\d{4})-?W(\d{1,2})$")


def parse_iso_week(text: str | None) -> dt.date:
    """The Monday that starts ISO week `text`, written like 2026-W47."""
    value = (text or "").strip().upper()
    match = _ISO_WEEK.match(value)
    if not match:
        raise RuleViolation(
            f"Write the week as year-W and week number, like 2026-W47, not {shown(text)}."
        )
    year, week = int(match[1]), int(match[2])
    try:
        return dt.date.fromisocalendar(year, week, 1)
    except ValueError:
        raise RuleViolation(
            f"{year} has no week {week}: an ISO year has 52 or 53 weeks."
        ) from None


def iso_week_label(day: dt.date) -> str:
    """The ISO week `day` falls in, written like 2026-W47."""
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"



def parse_day(value: object, field: str) -> dt.date | None:
    """A date written YYYY-MM-DD (or a spreadsheet date cell); None when empty."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = cell_text(value)
    if not text:
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise RuleViolation(
            f"{field} must be a date written YYYY-MM-DD, like 2026-03-31, not {shown(text)}."
        ) from None


def check_creator_row(row: dict[str, object]) -> models.ImportedCreator:
    """One creator row of an import file (keys are the file's column names)."""
    email = check_email(cell_text(row.get("email")), required=False)
    return models.ImportedCreator(
        name=check_text(cell_text(row.get("name")), "The name", MAX_SHORT_TEXT_CHARS),
        handle=check_handle(row.get("handle")),
        platform=check_platform(row.get("platform")),
        email=email or None,
        phone=check_phone(row.get("phone")),
        address=check_text(cell_text(row.get("address")), "The address", MAX_SHORT_TEXT_CHARS,
                           required=False) or None,
        followers=check_count(row.get("followers"), "The followers"),
        engagement_rate=check_rate(row.get("engagement_rate")),
        tags=check_tags(row.get("tags")),
    )


def check_collaboration_row(
    row: dict[str, object], today: dt.date
) -> models.ImportedCollaboration:
    """One collaboration row of an import file; the campaign and creator are looked up later.

    Any status may be imported (it is history); cancelled needs its reason, as everywhere.
    """
    campaign_text = cell_text(row.get("campaign_id"))
    campaign_name = cell_text(row.get("campaign")) or None
    if not campaign_text and not campaign_name:
        raise RuleViolation("Name the campaign: fill in campaign_id or campaign.")
    campaign_id = None
    if campaign_text:
        if not campaign_text.isdigit() or len(campaign_text) > 18:
            raise RuleViolation(f"campaign_id must be a campaign's number, not "
                                f"{shown(campaign_text)}.")
        campaign_id = int(campaign_text)
    status = parse_collab_status(cell_text(row.get("status")).lower() or "pending")
    reason = cell_text(row.get("cancel_reason")) or None
    if status is CollabStatus.CANCELLED:
        reason = check_text(reason, "The cancel_reason (required for cancelled)",
                            MAX_REASON_CHARS)
    elif reason:
        raise RuleViolation("Only a cancelled collaboration has a cancel_reason.")
    created_on = parse_day(row.get("created_on"), "created_on")
    if created_on and created_on > today:
        raise RuleViolation(f"created_on ({created_on}) is in the future.")
    terms = Terms(
        deliverables=check_text(cell_text(row.get("deliverables")), "The deliverables",
                                MAX_NOTE_CHARS),
        compensation=check_compensation(cell_text(row.get("compensation"))),
        currency=check_currency(cell_text(row.get("currency")).upper() or "EUR"),
        start_date=parse_day(row.get("start_date"), "start_date"),
        due_date=parse_day(row.get("due_date"), "due_date"),
        conditions=check_text(cell_text(row.get("conditions")), "The conditions",
                              MAX_NOTE_CHARS, required=False),
    )
    check_date_order(terms.start_date, terms.due_date)
    return models.ImportedCollaboration(
        campaign_id, campaign_name, check_handle(row.get("handle")),
        check_platform(row.get("platform")), status, reason, terms, created_on,
    )
