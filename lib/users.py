"""Staff accounts: passwords (bcrypt), roles, lock-out after repeated failures, admin actions."""

from __future__ import annotations

import datetime as dt
import functools
import secrets
from collections.abc import Callable
from typing import TypeVar

import bcrypt

from lib import audit, rules, sessions
from lib.db import Cursor, Database, NotFound, utcnow
from lib.models import Grant, Role, User

T = TypeVar("T")

MAX_FAILED_LOGINS = 5
LOCKOUT = dt.timedelta(minutes=15)
UNUSABLE_PREFIX = "!"  # a password_hash starting with this never matches (demo accounts)

# The command line acts as this admin: whoever runs it already holds the database file.
CLI_ADMIN = User(id=0, username="cli", name="Command line", email="", role=Role.ADMIN)

_USER_COLUMNS = "id, username, name, email, role, disabled"


class LoginRefused(Exception):
    """A login attempt that must not go through; the message is safe to show."""


def hash_password(password: str) -> str:
    return bcrypt.hashpw(password.encode(), bcrypt.gensalt()).decode()


def _matches(password: str, password_hash: str) -> bool:
    if not password_hash or password_hash.startswith(UNUSABLE_PREFIX):
        return False
    try:
        return bcrypt.checkpw(password.encode(), password_hash.encode())
    except ValueError:
        return False


@functools.cache
def _dummy_hash() -> str:
    """A hash no password is known for: an unknown username costs the same bcrypt work as a
    wrong password, so the time taken does not tell which usernames exist."""
    return hash_password(secrets.token_urlsafe(16))


def random_password() -> str:
    return secrets.token_urlsafe(12)


def _user(row: tuple) -> User:
    return User(row[0], row[1], row[2], row[3], Role(row[4]), bool(row[5]))


# --- reads -----------------------------------------------------------------


def get_user(db: Database, username: str) -> User | None:
    row = db.one(f"SELECT {_USER_COLUMNS} FROM users WHERE username = ?", [username])
    return _user(row) if row else None


def list_users(db: Database) -> list[User]:
    return [_user(r) for r in db.rows(f"SELECT {_USER_COLUMNS} FROM users ORDER BY username")]


def count_users(db: Database) -> int:
    return db.value("SELECT count(*) FROM users")


def login_credentials(db: Database) -> dict:
    """Enabled accounts in the shape streamlit-authenticator expects.

    Disabled accounts are left out, so a login cookie of a disabled user no longer works.
    """
    rows = db.rows(
        "SELECT username, name, email, password_hash, role FROM users WHERE NOT disabled"
    )
    return {
        "usernames": {
            u: {"name": n, "email": e, "password": h, "roles": [r]} for u, n, e, h, r in rows
        }
    }


# --- login -----------------------------------------------------------------


def attempt_login(db: Database, username: str, password: str) -> bool:
    """Check a password, counting failures in the database.

    Returns False for a wrong username or password. Raises LoginRefused for a locked account,
    or for a disabled one when the password was right (so strangers learn nothing from it).
    """

    def check(cur: Cursor) -> bool | str:
        row = cur.execute(
            "SELECT password_hash, disabled, failed_logins, locked_until FROM users"
            " WHERE username = ?",
            [username],
        ).fetchone()
        now = utcnow()
        if row is None:
            _matches(password, _dummy_hash())  # the same work as a wrong password
            audit.record(cur, "sign_in_failed", None, audit.typed_name(username),
                         "unknown username", now)
            return False
        password_hash, disabled, failed, locked_until = row
        if locked_until and locked_until > now:
            audit.record(cur, "sign_in_failed", None, username,
                         f"account locked until {locked_until:%Y-%m-%d %H:%M} UTC", now)
            return f"locked:{locked_until:%H:%M} UTC"
        if _matches(password, password_hash):
            cur.execute(
                "UPDATE users SET failed_logins = 0, locked_until = NULL WHERE username = ?",
                [username],
            )
            if disabled:
                audit.record(cur, "sign_in_failed", None, username, "account disabled", now)
                return "disabled"
            audit.record(cur, "signed_in", username, username, None, now)
            return True
        failed = failed + 1
        lock = now + LOCKOUT if failed >= MAX_FAILED_LOGINS else None
        cur.execute(
            "UPDATE users SET failed_logins = ?, locked_until = ? WHERE username = ?",
            [0 if lock else failed, lock, username],
        )
        audit.record(cur, "sign_in_failed", None, username,
                     f"wrong password ({failed} of {MAX_FAILED_LOGINS})", now)
        if lock:
            audit.record(cur, "locked_out", None, username,
                         f"{failed} failed sign-ins; locked until {lock:%Y-%m-%d %H:%M} UTC",
                         now)
        return f"locked:{lock:%H:%M} UTC" if lock else False

    outcome = db.write(check)
    if outcome == "disabled":
        raise LoginRefused("This account is disabled. Ask an admin to enable it.")
    if isinstance(outcome, str):
        until = outcome.removeprefix("locked:")
        raise LoginRefused(
            f"Too many failed logins: this account is locked until {until}. "
            "Try again then, or ask an admin to reset the password."
        )
    return outcome


# --- admin actions ---------------------------------------------------------


def add_user(
    db: Database,
    actor: User,
    username: str,
    name: str,
    role: Role | str,
    password: str,
    email: str = "",
) -> User:
    grant = rules.require_role(actor, Role.ADMIN, "add users")
    username = rules.check_username(username)
    name = rules.check_text(name, "The name", 100)
    role = rules.check_role(role)
    email = rules.check_email(email, required=False)
    password_hash = hash_password(rules.check_password(password))

    def insert(cur: Cursor) -> None:
        if cur.execute("SELECT 1 FROM users WHERE username = ?", [username]).fetchone():
            raise rules.RuleViolation(f"The username {username!r} is taken; choose another.")
        cur.execute(
            "INSERT INTO users (username, name, email, role, password_hash, created_at)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            [username, name, email, role.value, password_hash, utcnow()],
        )
        audit.record(cur, "user_created", actor.username, username, f"role {role.value}")

    db.write(recheck(grant, insert))
    return get_user(db, username)  # type: ignore[return-value]


def _end_sessions(cur: Cursor, username: str, reason: str) -> None:
    """End the user's login sessions in the transaction of the change that ends them (a new
    password, a disable, a lowered role: issue 14.1); sessions.check would also notice."""
    [user_id] = cur.execute("SELECT id FROM users WHERE username = ?", [username]).fetchone()
    sessions.revoke_all(cur, user_id, reason)


def _require_user(cur: Cursor, username: str) -> tuple[Role, bool]:
    """(role, disabled) of the account, read in the caller's transaction."""
    row = cur.execute("SELECT role, disabled FROM users WHERE username = ?", [username]).fetchone()
    if row is None:
        raise NotFound(f"There is no user {rules.shown(username)}.")
    return Role(row[0]), bool(row[1])


def _keep_an_admin(cur: Cursor, username: str) -> None:
    """Refuse a change that would leave no active admin besides `username`, atomically.

    Under snapshot isolation a count alone is not enough: two admins demoting or disabling
    each other at once would both see the other still active. So every such change first
    bumps the one guard row; two of them then write the same row, DuckDB lets one commit, and
    Database.write retries the other on a fresh snapshot, where the count sees the first one.
    """
    cur.execute("UPDATE admin_guard SET seq = seq + 1 WHERE id = 1")
    others = cur.execute(
        "SELECT count(*) FROM users WHERE role = 'admin' AND NOT disabled AND username <> ?",
        [username],
    ).fetchone()[0]
    if others == 0:
        raise rules.RuleViolation(
            f"{username} is the last active admin, so this would leave nobody able to manage "
            "users: make someone else admin first (another admin may have just been "
            "disabled or demoted)."
        )


def set_role(db: Database, actor: User, username: str, role: Role | str) -> None:
    grant = rules.require_role(actor, Role.ADMIN, "change roles")
    role = rules.check_role(role)

    def update(cur: Cursor) -> None:
        current, disabled = _require_user(cur, username)
        if current is Role.ADMIN and not disabled and role is not Role.ADMIN:
            _keep_an_admin(cur, username)
        cur.execute("UPDATE users SET role = ? WHERE username = ?", [role.value, username])
        if not role.at_least(current):
            _end_sessions(cur, username, "role")
        if role is not current:
            audit.record(cur, "role_changed", actor.username, username,
                         f"{current.value} → {role.value}")

    db.write(recheck(grant, update))


def reset_password(db: Database, actor: User, username: str, password: str) -> None:
    """A new password for `username` (an admin's reset, or `password_changed` when the admin
    sets their own); it also lifts a lock-out."""
    grant = rules.require_role(actor, Role.ADMIN, "reset passwords")
    if db.one("SELECT 1 FROM users WHERE username = ?", [username]) is None:
        raise NotFound(f"There is no user {rules.shown(username)}.")  # before bcrypt's work
    password_hash = hash_password(rules.check_password(password))
    own = actor.username == username

    def update(cur: Cursor) -> None:
        _require_user(cur, username)
        cur.execute(
            "UPDATE users SET password_hash = ?, failed_logins = 0, locked_until = NULL"
            " WHERE username = ?",
            [password_hash, username],
        )
        _end_sessions(cur, username, "password")
        audit.record(cur, "password_changed" if own else "password_reset", actor.username,
                     username)

    db.write(recheck(grant, update))


def set_disabled(db: Database, actor: User, username: str, disabled: bool) -> None:
    grant = rules.require_role(actor, Role.ADMIN, "disable users")
    if disabled and username == actor.username:
        raise rules.RuleViolation("You cannot disable your own account.")

    def update(cur: Cursor) -> None:
        role, was_disabled = _require_user(cur, username)
        if disabled and role is Role.ADMIN and not was_disabled:
            _keep_an_admin(cur, username)
        cur.execute("UPDATE users SET disabled = ? WHERE username = ?", [disabled, username])
        if disabled:
            _end_sessions(cur, username, "disabled")
        if disabled != was_disabled:
            audit.record(cur, "disabled" if disabled else "enabled", actor.username, username)

    db.write(recheck(grant, update))


def ensure_first_admin(db: Database, username: str = "admin") -> str | None:
    """Create the first admin with a random password when there are no login-capable users.

    Returns the password (to print once), or None when an admin could already log in.
    """
    usable = db.value(
        "SELECT count(*) FROM users WHERE role = 'admin' AND NOT starts_with(password_hash, ?)",
        [UNUSABLE_PREFIX],
    )
    if usable:
        return None
    password = random_password()
    add_user(db, CLI_ADMIN, username, "Administrator", Role.ADMIN, password)
    return password


# --- the actor, re-read inside each write (issue 14.2) ----------------------------------------


def confirm_actor(cur: Cursor, grant: Grant) -> None:
    """Raise PermissionError unless the store, read inside the caller's transaction, still
    says what `grant` assumed: the actor exists, is enabled and has at least its role.

    The User a session holds was read when the page run began (or earlier); a demotion or a
    disable committed since must stop the write that trusts it."""
    actor = grant.user
    if actor is CLI_ADMIN:  # whoever runs the command line already holds the database file
        return
    row = cur.execute(
        "SELECT role, disabled FROM users WHERE id = ? AND username = ?",
        [actor.id, actor.username],
    ).fetchone()
    if row is None or row[1]:
        raise PermissionError(
            f"Your account is disabled or gone, so you may not {grant.action}; nothing was saved."
        )
    if not Role(row[0]).at_least(grant.role):
        raise PermissionError(
            f"Your role is now {row[0]}, which may not {grant.action}; it needs "
            f"{grant.role.value} or higher. Nothing was saved."
        )


def recheck(grant: Grant, work: Callable[[Cursor], T]) -> Callable[[Cursor], T]:
    """`work` for Database.write, preceded by confirm_actor in the same transaction (and
    again on each retry, which starts from a fresh snapshot)."""

    def checked(cur: Cursor) -> T:
        confirm_actor(cur, grant)
        return work(cur)

    return checked
