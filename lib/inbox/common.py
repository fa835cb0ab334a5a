"""What the inbox modules share: limits, the creator and campaign a write names, mail settings."""

from __future__ import annotations

import datetime as dt

from lib import rules
from lib.db import Cursor, NotFound, as_id, utcnow
from lib.mail import MailError, MailSettings

PAGE_SIZES = (25, 50, 100)
THREAD_LIMIT = 200  # the newest items of a thread shown at once

NOT_CONFIGURED = (
    "E-mail is not set up, so nothing was sent. Set COLLABDESK_SMTP_HOST (the SMTP server) and "
    "COLLABDESK_MAIL_FROM (the agency's sender address), and as needed COLLABDESK_SMTP_PORT, "
    "COLLABDESK_SMTP_TLS, COLLABDESK_SMTP_USER and COLLABDESK_SMTP_PASSWORD; then restart the app."
)


def current_time(now: dt.datetime | None) -> dt.datetime:
    return now or utcnow()


def read_creator(cur: Cursor, creator_id: object) -> tuple[int, str, str, str | None]:
    """(id, name, handle, e-mail) of a creator; NotFound when there is none."""
    cid = as_id(creator_id, "creator")
    row = cur.execute(
        "SELECT id, name, handle, email FROM creators WHERE id = $id", {"id": cid}
    ).fetchone()
    if row is None:
        raise NotFound(f"There is no creator #{creator_id}.")
    return row


def campaign_name(cur: Cursor, campaign_id: object) -> str:
    row = cur.execute(
        "SELECT name FROM campaigns WHERE id = $id", {"id": as_id(campaign_id, "campaign")}
    ).fetchone()
    if row is None:
        raise NotFound(f"There is no campaign #{campaign_id}.")
    return row[0]


# --- mail settings ---------------------------------------------------------------------------


def mail_settings() -> MailSettings:
    """The SMTP settings; RuleViolation saying what to configure when there are none."""
    try:
        settings = MailSettings.from_env()
    except MailError as error:
        raise rules.RuleViolation(
            f"E-mail is misconfigured, so nothing was sent: {error}"
        ) from None
    if settings is None:
        raise rules.RuleViolation(NOT_CONFIGURED)
    return settings


def mail_problem() -> str | None:
    """Why e-mail cannot be sent now (for the page to say up front), or None."""
    try:
        mail_settings()
    except rules.RuleViolation as why:
        return str(why)
    return None
