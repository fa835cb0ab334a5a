"""Accounts: passwords, lock-out, disabled users and the admin actions."""

from __future__ import annotations

import datetime as dt

import pytest

from lib import users
from lib.db import Database, NotFound
from lib.models import Role
from lib.rules import RuleViolation
from tests.conftest import PASSWORD


def test_login_counts_failures_and_locks(db: Database, people: dict) -> None:
    assert users.attempt_login(db, "staff", PASSWORD) is True
    for _ in range(users.MAX_FAILED_LOGINS - 1):
        assert users.attempt_login(db, "staff", "wrong") is False
    with pytest.raises(users.LoginRefused, match="locked until"):
        users.attempt_login(db, "staff", "wrong")
    # Locked: even the right password is refused until the lock runs out.
    with pytest.raises(users.LoginRefused, match="locked"):
        users.attempt_login(db, "staff", PASSWORD)
    db.value(
        "UPDATE users SET locked_until = ? WHERE username = 'staff' RETURNING 1",
        [dt.datetime(2000, 1, 1)],
    )
    assert users.attempt_login(db, "staff", PASSWORD) is True
    assert db.value("SELECT failed_logins FROM users WHERE username = 'staff'") == 0


def test_a_success_resets_the_count(db: Database, people: dict) -> None:
    for _ in range(users.MAX_FAILED_LOGINS - 1):
        users.attempt_login(db, "staff", "wrong")
    assert users.attempt_login(db, "staff", PASSWORD) is True
    for _ in range(users.MAX_FAILED_LOGINS - 1):
        assert users.attempt_login(db, "staff", "wrong") is False


def test_unknown_user_and_unusable_hash(db: Database, people: dict) -> None:
    assert users.attempt_login(db, "nobody", PASSWORD) is False
    db.value("UPDATE users SET password_hash = '!demo' WHERE username = 'viewer' RETURNING 1")
    assert users.attempt_login(db, "viewer", "!demo") is False


def test_disabled_user_cannot_log_in(db: Database, people: dict) -> None:
    admin = people[Role.ADMIN]
    users.set_disabled(db, admin, "staff", True)
    with pytest.raises(users.LoginRefused, match="disabled"):
        users.attempt_login(db, "staff", PASSWORD)
    assert users.attempt_login(db, "staff", "wrong") is False  # tells a stranger nothing
    assert "staff" not in users.login_credentials(db)["usernames"]


def test_admin_actions(db: Database, people: dict) -> None:
    admin = people[Role.ADMIN]
    new = users.add_user(db, admin, "Jo.Smith", "Jo Smith", "staff", "a-long-password", "jo@a.co")
    assert new.username == "jo.smith" and new.role is Role.STAFF
    users.set_role(db, admin, "jo.smith", Role.MANAGER)
    assert users.get_user(db, "jo.smith").role is Role.MANAGER
    users.reset_password(db, admin, "jo.smith", "another-long-one")
    assert users.attempt_login(db, "jo.smith", "another-long-one")
    with pytest.raises(RuleViolation, match="taken"):
        users.add_user(db, admin, "jo.smith", "Jo", "staff", "a-long-password")
    with pytest.raises(RuleViolation, match="at least"):
        users.add_user(db, admin, "short", "S", "staff", "short")
    with pytest.raises(RuleViolation, match="Unknown role"):
        users.set_role(db, admin, "jo.smith", "owner")
    with pytest.raises(NotFound):
        users.reset_password(db, admin, "ghost", "a-long-password")


@pytest.mark.parametrize("role", [Role.VIEWER, Role.STAFF, Role.MANAGER])
def test_only_admins_manage_users(db: Database, people: dict, role: Role) -> None:
    with pytest.raises(PermissionError):
        users.add_user(db, people[role], "x.y", "X", "viewer", "a-long-password")
    with pytest.raises(PermissionError):
        users.set_disabled(db, people[role], "viewer", True)


def test_the_last_admin_stays(db: Database, people: dict) -> None:
    admin = people[Role.ADMIN]
    with pytest.raises(RuleViolation, match=r"yourself|own account"):
        users.set_disabled(db, admin, "admin", True)
    with pytest.raises(RuleViolation, match="last active admin"):
        users.set_role(db, admin, "admin", Role.STAFF)


def test_first_admin_gets_a_random_password(db: Database) -> None:
    first = users.ensure_first_admin(db)
    assert first and len(first) >= 16
    assert users.ensure_first_admin(db) is None
    assert users.attempt_login(db, "admin", first)
    other = Database(db.path.with_name("other.duckdb"))
    assert users.ensure_first_admin(other) != first
    other.close()
