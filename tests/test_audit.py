"""The audit trail (lib.audit): each kind of event recorded in the transaction of its change,
never a password or a token, read by admins only, newest first, per user, paged; the Users page
shows it."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from lib import audit, console, reviewers, snapshots, users
from lib.db import Database
from lib.models import Role, User
from lib.rules import RuleViolation
from tests.conftest import PASSWORD, World, assert_ok, labelled, login, texts


def entries(db: Database) -> list[tuple]:
    """(kind, actor, subject, detail), oldest first."""
    return db.rows("SELECT kind, actor, subject, detail FROM audit_events ORDER BY id")


def all_text(db: Database) -> str:
    """Every value in the audit trail, to look for what must never be in it."""
    return " ".join(str(v) for row in db.rows("SELECT * FROM audit_events") for v in row)


@pytest.fixture
def admin(people: dict[Role, User]) -> User:
    return people[Role.ADMIN]


# --- sign-ins ------------------------------------------------------------------------------


def test_a_sign_in_and_a_wrong_password(db: Database, people: dict) -> None:
    assert users.attempt_login(db, "staff", PASSWORD) is True
    assert users.attempt_login(db, "staff", "not-the-password") is False
    assert entries(db) == [
        ("signed_in", "staff", "staff", None),
        ("sign_in_failed", None, "staff", f"wrong password (1 of {users.MAX_FAILED_LOGINS})"),
    ]
    assert "not-the-password" not in all_text(db) and PASSWORD not in all_text(db)


@pytest.mark.parametrize(("typed", "recorded"), [
    ("nobody", "nobody"),
    ("  Nobody.Else ", "nobody.else"),
    ("My Secret Pass!", "(not a username: 15 characters)"),  # a password in the wrong field
    ("x" * 5000, "(not a username: 5,000 characters)"),
    ("<script>alert(1)</script>", "(not a username: 25 characters)"),
    ("", "(not a username: 0 characters)"),
])
def test_an_unknown_name_is_recorded_and_told_as_a_wrong_password(
    db: Database, people: dict, typed: str, recorded: str
) -> None:
    # The same answer as a wrong password: nothing tells a stranger the name is unknown.
    assert users.attempt_login(db, typed, "whatever-it-is") is False
    assert entries(db) == [("sign_in_failed", None, recorded, "unknown username")]
    assert "whatever-it-is" not in all_text(db)


def test_a_lockout_and_the_attempts_during_it(db: Database, people: dict) -> None:
    for _ in range(users.MAX_FAILED_LOGINS - 1):
        users.attempt_login(db, "staff", "wrong")
    with pytest.raises(users.LoginRefused):
        users.attempt_login(db, "staff", "wrong")
    with pytest.raises(users.LoginRefused):
        users.attempt_login(db, "staff", PASSWORD)
    kinds = [e[0] for e in entries(db)]
    assert kinds == ["sign_in_failed"] * users.MAX_FAILED_LOGINS + ["locked_out",
                                                                   "sign_in_failed"]
    locked, during = entries(db)[-2:]
    assert locked[2] == "staff" and "5 failed sign-ins; locked until" in locked[3]
    assert during[2] == "staff" and during[3].startswith("account locked until")


def test_a_disabled_account_signing_in(db: Database, people: dict, admin: User) -> None:
    users.set_disabled(db, admin, "staff", True)
    with pytest.raises(users.LoginRefused):
        users.attempt_login(db, "staff", PASSWORD)
    assert entries(db)[-1] == ("sign_in_failed", None, "staff", "account disabled")


# --- account changes -----------------------------------------------------------------------


def test_each_admin_action_is_recorded(db: Database, people: dict, admin: User) -> None:
    users.add_user(db, admin, "nina", "Nina", Role.STAFF, "first-password-1")
    users.set_role(db, admin, "nina", Role.MANAGER)
    users.set_role(db, admin, "nina", Role.MANAGER)  # no change, nothing recorded
    users.reset_password(db, admin, "nina", "second-password-2")
    users.reset_password(db, admin, "admin", "admins-own-password")
    users.set_disabled(db, admin, "nina", True)
    users.set_disabled(db, admin, "nina", True)  # already disabled
    users.set_disabled(db, admin, "nina", False)
    users.reset_password(db, users.CLI_ADMIN, "nina", "third-password-3")
    assert entries(db) == [
        ("user_created", "admin", "nina", "role staff"),
        ("role_changed", "admin", "nina", "staff → manager"),
        ("password_reset", "admin", "nina", None),
        ("password_changed", "admin", "admin", None),
        ("disabled", "admin", "nina", None),
        ("enabled", "admin", "nina", None),
        ("password_reset", "cli", "nina", None),
    ]
    text = all_text(db)
    for secret in ("first-password-1", "second-password-2", "admins-own-password",
                   "third-password-3", "$2b$"):
        assert secret not in text


def test_a_refused_change_records_nothing(db: Database, people: dict, admin: User) -> None:
    with pytest.raises(RuleViolation):
        users.add_user(db, admin, "staff", "Again", Role.STAFF, "a-long-password")
    with pytest.raises(RuleViolation):
        users.set_role(db, admin, "admin", Role.VIEWER)  # the last admin
    with pytest.raises(PermissionError):
        users.set_role(db, people[Role.MANAGER], "staff", Role.ADMIN)
    assert entries(db) == []


def test_the_entry_and_its_change_commit_together(
    db: Database, people: dict, admin: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*_: object, **__: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(audit, "record", broken)
    with pytest.raises(OSError):
        users.set_role(db, admin, "staff", Role.MANAGER)
    with pytest.raises(OSError):
        users.attempt_login(db, "staff", "wrong")
    assert users.get_user(db, "staff").role is Role.STAFF  # type: ignore[union-attr]
    assert db.value("SELECT failed_logins FROM users WHERE username = 'staff'") == 0


# --- reviewer links ------------------------------------------------------------------------


def test_reviewer_links_are_recorded_without_their_tokens(
    db: Database, world: World, people: dict
) -> None:
    manager = people[Role.MANAGER]
    spring = world.campaigns["Spring"]
    base = "https://desk.agency.test"
    [invited] = reviewers.invite(db, manager, spring, "anna@client.test",
                                 settings=lambda: None, base_url=base).deliveries
    reviewer_id = db.value("SELECT id FROM reviewers WHERE email = 'anna@client.test'")
    resent = reviewers.resend_link(db, manager, reviewer_id, settings=lambda: None, base_url=base)
    regenerated = reviewers.regenerate_link(db, manager, reviewer_id, settings=lambda: None,
                                            base_url=base)
    reviewers.remove_reviewer(db, manager, reviewer_id, 0)
    where = f"campaign #{spring}"
    assert entries(db) == [
        ("reviewer_invited", "manager", "anna@client.test", where),
        ("reviewer_link_resent", "manager", "anna@client.test", where),
        ("reviewer_link_regenerated", "manager", "anna@client.test", where),
        ("reviewer_removed", "manager", "anna@client.test",
         f"{where}; 0 pieces of feedback deleted"),
    ]
    text = all_text(db)
    for delivery in (invited, resent, regenerated):
        token = delivery.link.split("token=", 1)[1]
        assert token not in text and reviewers.token_hash(token) not in text


# --- reading it ----------------------------------------------------------------------------


def test_only_admins_read_it(db: Database, people: dict) -> None:
    for role in (Role.VIEWER, Role.STAFF, Role.MANAGER):
        with pytest.raises(PermissionError, match="read the audit trail"):
            audit.list_events(db, people[role])
    disabled = User(0, "admin", "A", "", Role.ADMIN, disabled=True)
    with pytest.raises(PermissionError):
        audit.list_events(db, disabled)
    assert audit.list_events(db, people[Role.ADMIN]).total == 0


def test_it_is_in_no_snapshot_and_not_in_the_console(db: Database, people: dict) -> None:
    users.attempt_login(db, "staff", "wrong")
    snapshot = snapshots.write_snapshot(db, snapshots.snapshots_root(db.path), db.path)
    assert "audit_events" not in snapshot.tables
    assert not (snapshot.path / "audit_events.parquet").exists()
    with pytest.raises(console.QueryRefused, match="audit_events"):
        console.run_query(snapshot, people[Role.VIEWER], "SELECT * FROM audit_events",
                          database=db.identity)


def test_newest_first_per_user_and_paged_in_sql(db: Database, people: dict,
                                                admin: User) -> None:
    for number in range(30):
        users.attempt_login(db, "staff" if number % 3 else "viewer", "wrong")
        db.value("UPDATE users SET failed_logins = 0 RETURNING 1")  # no lock-out
    users.set_role(db, admin, "viewer", Role.STAFF)
    everything = audit.list_events(db, admin, page_size=25)
    assert everything.total == 31 and len(everything.rows) == 25 and everything.pages == 2
    ids = everything.rows["id"].tolist()
    assert ids == sorted(ids, reverse=True)
    assert everything.rows.iloc[0]["kind"] == "role_changed"
    last = audit.list_events(db, admin, page=2, page_size=25)
    assert len(last.rows) == 6 and set(last.rows["id"]).isdisjoint(ids)
    # One person: where they acted or were acted on.
    viewer = audit.list_events(db, admin, "viewer", page_size=100)
    assert viewer.total == 11 and set(viewer.rows["subject"]) == {"viewer"}
    as_actor = audit.list_events(db, admin, "admin", page_size=100)
    assert as_actor.total == 1 and as_actor.rows.iloc[0]["subject"] == "viewer"
    assert audit.list_events(db, admin, "nobody-at-all").total == 0
    assert audit.list_events(db, admin, "'; DROP TABLE users; --").total == 0
    assert audit.list_events(db, admin, page=99, page_size=25).page == 2  # past the end
    for size in (0, 201, "50"):
        with pytest.raises(RuleViolation, match="A page has"):
            audit.list_events(db, admin, page_size=size)  # type: ignore[arg-type]


def test_the_users_page_shows_the_trail(app: AppTest, db: Database) -> None:
    users.attempt_login(db, "staff", "wrong")
    login(app, "admin")
    app.switch_page("pages/users.py").run()
    assert_ok(app)
    assert "Audit trail" in texts(app.subheader)
    trail = app.dataframe[1].value
    assert trail["kind"].tolist() == ["Signed in", "Sign-in failed"]  # newest first
    assert trail["subject"].tolist() == ["admin", "staff"]
    assert "id" not in trail.columns

    labelled(app.selectbox, "Who acted or was acted on").set_value("staff").run()
    assert_ok(app)
    assert app.dataframe[1].value["kind"].tolist() == ["Sign-in failed"]

    app.selectbox(key="role_user").set_value("staff")
    app.selectbox(key="role_value").set_value("manager")
    labelled(app.button, "Change role").click().run()
    assert_ok(app)
    assert app.dataframe[1].value["kind"].tolist() == ["Role changed", "Sign-in failed"]
    assert "2 entries · page 1 of 1" in texts(app.caption)


def test_every_kind_has_a_label_for_the_page() -> None:
    assert set(audit.KIND_LABELS) == set(audit.KINDS)
