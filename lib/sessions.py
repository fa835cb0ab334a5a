"""Login sessions kept in the store (issue 14.1), so that a login cookie can be ended.

A password login starts a session: a random id that the login cookie carries (signed, see
lib/web/login.py), stored only as its SHA-256, with the user, the role and a fingerprint of the
password hash at sign-in, and an absolute expiry (config.session_lifetime) that nothing ever
moves. Every page run asks `check`: a logout (`revoke`), a new password, a disabled account,
a lowered role (`users` revokes in the same transaction as the change, and `check` compares
the user's row with the sign-in anyway) or the expiry ends it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass

from lib import config, rules
from lib.db import Cursor, Database, utcnow
from lib.models import Role, User

SESSION_ID_BYTES = 32
# Rows of sessions that ended this long ago are deleted when a new session starts: the table
# stays as small as the logins of a month (the audit of sign-ins is issue 14.7's, not this).
KEEP_ENDED = dt.timedelta(days=30)
_MAX_SESSION_ID_CHARS = 200  # a longer "id" from a cookie is refused before hashing


@dataclass(frozen=True)
class Session:
    """A started session: the id for the cookie (never stored) and its absolute expiry."""

    session_id: str
    expires_at: dt.datetime  # UTC, naive like every TIMESTAMP column


@dataclass(frozen=True)
class Check:
    """A session checked against the store: the user when it holds, else why it ended."""

    user: User | None
    ended: str | None  # a sentence for the login form


def _digest(session_id: str) -> str:
    return hashlib.sha256(session_id.encode()).hexdigest()


def _fingerprint(password_hash: str) -> str:
    """Tells whether the password changed since sign-in without keeping another copy of it."""
    return hashlib.sha256(password_hash.encode()).hexdigest()


def start(db: Database, user: User, now: dt.datetime | None = None) -> Session:
    """A new session for `user`, who has just given the right password."""
    session_id = secrets.token_urlsafe(SESSION_ID_BYTES)
    created = now or utcnow()
    expires = created + config.session_lifetime()

    def insert(cur: Cursor) -> None:
        row = cur.execute(
            "SELECT role, password_hash FROM users WHERE id = ? AND NOT disabled", [user.id]
        ).fetchone()
        if row is None:
            raise PermissionError("This account is disabled. Ask an admin to enable it.")
        cur.execute(
            "DELETE FROM login_sessions WHERE expires_at < ? OR revoked_at < ?",
            [created - KEEP_ENDED, created - KEEP_ENDED],
        )
        cur.execute(
            "INSERT INTO login_sessions (token_hash, user_id, role, password_hash_fingerprint,"
            " created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?)",
            [_digest(session_id), user.id, row[0], _fingerprint(row[1]), created, expires],
        )

    db.write(insert)
    return Session(session_id, expires)


def check(
    db: Database, session_id: object, username: object = None, now: dt.datetime | None = None
) -> Check:
    """The session's user if it still holds (and, when given, belongs to `username`)."""
    if not isinstance(session_id, str) or not 0 < len(session_id) <= _MAX_SESSION_ID_CHARS:
        return Check(None, rules.SESSION_ENDED["revoked"])
    row = db.one(
        "SELECT s.expires_at, s.revoked_reason, s.role, s.password_hash_fingerprint,"
        " u.id, u.username, u.name, u.email, u.role, u.disabled, u.password_hash"
        " FROM login_sessions s JOIN users u ON u.id = s.user_id WHERE s.token_hash = ?",
        [_digest(session_id)],
    )
    if row is None or (username is not None and row[5] != username):
        return Check(None, rules.SESSION_ENDED["revoked"])
    expires_at, revoked_reason, role_at_sign_in, fingerprint = row[:4]
    uid, name_of_user, name, email, role, disabled, password_hash = row[4:]
    ended = rules.session_end_reason(
        now or utcnow(),
        expires_at,
        revoked_reason,
        role_at_sign_in,
        role,
        bool(disabled),
        _fingerprint(password_hash) != fingerprint,
    )
    if ended is not None:
        return Check(None, ended)
    return Check(User(uid, name_of_user, name, email, Role(role), bool(disabled)), None)


def expires_at(db: Database, session_id: str) -> dt.datetime | None:
    """The absolute expiry of a session (what a re-issued cookie must keep), if it exists."""
    return db.value(
        "SELECT expires_at FROM login_sessions WHERE token_hash = ?", [_digest(session_id)]
    )


def revoke(db: Database, session_id: object, reason: str = "logout") -> None:
    """End one session (logout): its cookie, copied or not, no longer logs anyone in."""
    if not isinstance(session_id, str) or not 0 < len(session_id) <= _MAX_SESSION_ID_CHARS:
        return
    db.write(
        lambda cur: cur.execute(
            "UPDATE login_sessions SET revoked_at = ?, revoked_reason = ?"
            " WHERE token_hash = ? AND revoked_at IS NULL",
            [utcnow(), reason, _digest(session_id)],
        )
    )


def revoke_all(cur: Cursor, user_id: int, reason: str) -> None:
    """End every live session of a user, inside the caller's transaction (the change that
    ends them and the ending commit together)."""
    cur.execute(
        "UPDATE login_sessions SET revoked_at = ?, revoked_reason = ?"
        " WHERE user_id = ? AND revoked_at IS NULL AND expires_at > ?",
        [utcnow(), reason, user_id, utcnow()],
    )
