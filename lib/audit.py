"""The audit trail: who did what to whose account (and to reviewer links), and when.

Each entry is written by the service that makes the change, inside the same transaction
(`record`), so an entry exists exactly when its change was committed; failed sign-ins are
written in a transaction of their own. Entries never hold a password or a token. Only admins
read them (`list_events`), newest first, optionally for one user, paged in SQL. The table never
leaves the database: snapshots (and so the SQL console) leave it out.
"""

from __future__ import annotations

import datetime as dt
import re

from lib import rules
from lib.db import Cursor, Database, Page, paged, utcnow
from lib.models import Role, User

TABLE = "audit_events"
KINDS = (
    "signed_in", "sign_in_failed", "locked_out", "password_changed", "password_reset",
    "role_changed", "disabled", "enabled", "user_created", "reviewer_invited",
    "reviewer_link_resent", "reviewer_link_regenerated", "reviewer_removed",
)
# What the Users page shows for each kind.
KIND_LABELS = {
    "signed_in": "Signed in", "sign_in_failed": "Sign-in failed", "locked_out": "Locked out",
    "password_changed": "Password changed", "password_reset": "Password reset",
    "role_changed": "Role changed", "disabled": "Disabled", "enabled": "Enabled",
    "user_created": "User created", "reviewer_invited": "Reviewer invited",
    "reviewer_link_resent": "Reviewer link re-sent",
    "reviewer_link_regenerated": "Reviewer link regenerated",
    "reviewer_removed": "Reviewer removed",
}
PAGE_SIZES = (25, 50, 100, 200)
DEFAULT_PAGE_SIZE = 50
MAX_DETAIL_CHARS = 300
MAX_SUBJECT_CHARS = 254  # a username, or a reviewer's e-mail address
_TYPED_NAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,39}$")  # the shape of a username


def record(
    cur: Cursor,
    kind: str,
    actor: str | None,
    subject: str | None,
    detail: str | None = None,
    now: dt.datetime | None = None,
) -> None:
    """Add one entry in the caller's transaction (it commits or rolls back with the change)."""
    if kind not in KINDS:
        raise ValueError(f"Unknown audit event kind {kind!r}")  # a programming error
    cur.execute(
        "INSERT INTO audit_events (occurred_at, actor, subject, kind, detail)"
        " VALUES (?, ?, ?, ?, ?)",
        [now or utcnow(), actor, _cut(subject, MAX_SUBJECT_CHARS),
         kind, _cut(detail, MAX_DETAIL_CHARS)],
    )


def typed_name(username: object) -> str:
    """What a failed sign-in records of the name typed: the name when it has the shape of a
    username, else only its length (a password typed into the wrong field must not be kept)."""
    text = str(username or "").strip().lower()
    if _TYPED_NAME.match(text):
        return text
    return f"(not a username: {len(str(username or '')):,} characters)"


def _cut(text: str | None, limit: int) -> str | None:
    if text is None:
        return None
    return text if len(text) <= limit else text[: limit - 1] + "…"


_EVENTS_SQL = """
    SELECT id, occurred_at, kind, actor, subject, detail FROM audit_events
    WHERE $username IS NULL OR actor = $username OR subject = $username
"""


def list_events(
    db: Database,
    user: User,
    username: str | None = None,
    page: int = 1,
    page_size: int = DEFAULT_PAGE_SIZE,
) -> Page:
    """One page of the audit trail, newest first; with `username`, only the entries where that
    person acted or was acted on. Admins only."""
    rules.require_role(user, Role.ADMIN, "read the audit trail")
    if not isinstance(page_size, int) or not 1 <= page_size <= max(PAGE_SIZES):
        raise rules.RuleViolation(
            f"A page has 1 to {max(PAGE_SIZES)} rows, not {rules.shown(page_size)}."
        )
    name = (username or "").strip() or None
    return paged(db, _EVENTS_SQL, "occurred_at DESC, id DESC", {"username": name},
                 page, page_size)
