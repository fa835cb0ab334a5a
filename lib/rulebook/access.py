"""Who may do what: roles, the end of a login session, usernames and passwords.

Pure functions, no I/O (see lib/rules.py)."""

from __future__ import annotations

import datetime as dt
import re

from lib.models import (
    Grant,
    Role,
    User,
)
from lib.rulebook.common import RuleViolation, shown

# --- roles -----------------------------------------------------------------


def require_role(user: User | None, role: Role, action: str) -> Grant:
    """Raise PermissionError unless `user` is an enabled user with at least `role`.

    The Grant it returns goes to users.recheck, so the write asks the store the same question
    again inside its transaction (the User held in a session may be stale)."""
    if user is None or user.disabled:
        raise PermissionError(f"You must be logged in to {action}.")
    if not user.can(role):
        raise PermissionError(
            f"Your role ({user.role.value}) may not {action}; it needs {role.value} or higher."
        )
    return Grant(user, role, action)


def session_end_reason(
    now: dt.datetime,
    expires_at: dt.datetime,
    revoked_reason: str | None,
    role_at_sign_in: Role | str,
    role_now: Role | str,
    disabled: bool,
    password_changed: bool,
) -> str | None:
    """Why a login session no longer holds (a sentence for the login form), or None when it
    does. A raised role keeps the session (the user is re-read on every run); a lowered one,
    a disabled account, a new password, a revocation (logout) or the absolute expiry end it."""
    if revoked_reason is not None:
        return SESSION_ENDED.get(revoked_reason, SESSION_ENDED["revoked"])
    if disabled:
        return SESSION_ENDED["disabled"]
    if password_changed:
        return SESSION_ENDED["password"]
    if not Role(role_now).at_least(Role(role_at_sign_in)):
        return SESSION_ENDED["role"]
    if now >= expires_at:
        return SESSION_ENDED["expired"]
    return None


SESSION_ENDED: dict[str, str] = {
    "logout": "You logged out. Log in again.",
    "password": "Your password was changed. Log in with the new password.",
    "disabled": "This account is disabled. Ask an admin to enable it.",
    "role": "Your role was changed. Log in again.",
    "expired": "Your session has expired. Log in again.",
    "revoked": "Your session was ended. Log in again.",
}



_USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,39}$")
MIN_PASSWORD_CHARS = 10
MAX_PASSWORD_BYTES = 72  # bcrypt refuses longer passwords (bcrypt >= 5 raises ValueError)


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
