"""The last active admin stays, also when admins disable or demote each other at the same moment:
real threads on one real database file, released together by a barrier, round after round."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field

import pytest

from lib import users
from lib.db import Database
from lib.models import Role, User
from lib.rules import RuleViolation
from tests.conftest import T0

ROUNDS = 12
REFUSAL = "last active admin"


def clear_refusal(refusal: str) -> bool:
    """The guard's message; or, once services re-read the actor in the transaction (issue
    14.2), the loser may instead be told they are no longer an admin: a refusal too."""
    return ("RuleViolation" in refusal and REFUSAL in refusal
            and "make someone else admin first" in refusal) or "PermissionError" in refusal


def admins(db: Database, password_hash: str, names: list[str]) -> list[User]:
    """Only these admins (and no one else) are in the database, active."""
    for name in names:
        db.value(
            "INSERT INTO users (username, name, email, role, password_hash, created_at)"
            " VALUES (?, ?, ?, 'admin', ?, ?) RETURNING id",
            [name, name.title(), f"{name}@agency.test", password_hash, T0],
        )
    found = [users.get_user(db, name) for name in names]
    assert all(found)
    return found  # type: ignore[return-value]


def reset(db: Database, names: list[str]) -> None:
    """Every one of `names` an active admin again, before a round."""
    db.write(lambda cur: cur.execute(
        "UPDATE users SET role = 'admin', disabled = false WHERE username IN"
        " (SELECT unnest(?::VARCHAR[]))", [names]))


def active_admins(db: Database) -> list[str]:
    return [r[0] for r in db.rows(
        "SELECT username FROM users WHERE role = 'admin' AND NOT disabled ORDER BY username")]


@dataclass
class Outcome:
    done: list[str] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)
    errors: list[BaseException] = field(default_factory=list)


def race(actions: dict[str, Callable[[], None]]) -> Outcome:
    """Run the actions on threads released at one moment; what each one got."""
    outcome = Outcome()
    lock = threading.Lock()
    barrier = threading.Barrier(len(actions))

    def run(name: str, action: Callable[[], None]) -> None:
        barrier.wait()
        try:
            action()
        except (RuleViolation, PermissionError) as refusal:
            with lock:
                outcome.refused.append(f"{name}: {type(refusal).__name__}: {refusal}")
        except BaseException as error:  # reported by the test
            with lock:
                outcome.errors.append(error)
        else:
            with lock:
                outcome.done.append(name)

    threads = [threading.Thread(target=run, args=item) for item in actions.items()]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(t.is_alive() for t in threads)
    return outcome


def disable(db: Database, actor: User, target: User) -> Callable[[], None]:
    return lambda: users.set_disabled(db, actor, target.username, True)


def demote(db: Database, actor: User, target: User) -> Callable[[], None]:
    return lambda: users.set_role(db, actor, target.username, Role.MANAGER)


def demote_self(db: Database, actor: User) -> Callable[[], None]:
    return lambda: users.set_role(db, actor, actor.username, Role.VIEWER)


@pytest.mark.parametrize(("first", "second"), [
    (disable, disable), (demote, demote), (disable, demote), (demote, disable),
])
def test_two_admins_acting_on_each_other_leave_one(
    db: Database, password_hash: str, first: Callable, second: Callable
) -> None:
    a, b = admins(db, password_hash, ["ann", "bob"])
    for _ in range(ROUNDS):
        reset(db, ["ann", "bob"])
        outcome = race({"ann": first(db, a, b), "bob": second(db, b, a)})
        assert not outcome.errors, outcome.errors
        assert len(outcome.done) == 1, outcome
        [refusal] = outcome.refused
        assert clear_refusal(refusal), refusal
        assert len(active_admins(db)) == 1


def test_three_admins_in_a_circle_leave_at_least_one(db: Database, password_hash: str) -> None:
    a, b, c = admins(db, password_hash, ["ann", "bob", "cyd"])
    for _ in range(ROUNDS):
        reset(db, ["ann", "bob", "cyd"])
        outcome = race({
            "ann": disable(db, a, b), "bob": demote(db, b, c), "cyd": disable(db, c, a),
            "ann-self": demote_self(db, a),
        })
        assert not outcome.errors, outcome.errors
        assert len(active_admins(db)) >= 1
        assert outcome.refused and all(clear_refusal(r) for r in outcome.refused)
        assert len(outcome.done) + len(outcome.refused) == 4


def test_changes_that_remove_no_admin_are_not_held_up(db: Database, password_hash: str) -> None:
    """Only an active admin's removal takes the guard: a disabled admin can be demoted, and
    anyone can be promoted or enabled, whatever the count."""
    [ann] = admins(db, password_hash, ["ann"])
    admins(db, password_hash, ["old"])
    users.set_disabled(db, ann, "old", True)
    users.set_role(db, ann, "old", Role.STAFF)  # a disabled admin is no active admin
    with pytest.raises(RuleViolation, match=REFUSAL):
        users.set_role(db, ann, "ann", Role.STAFF)
    users.set_role(db, ann, "old", Role.ADMIN)
    users.set_disabled(db, ann, "old", False)
    users.set_role(db, ann, "ann", Role.STAFF)  # now someone else is admin
    assert active_admins(db) == ["old"]
    assert db.value("SELECT seq FROM admin_guard") == 2  # claimed by the two removals only
