"""Issue 14.1, 14.2 and 14.5: login sessions the store can end, the actor re-read inside each
write, and the login details (unknown usernames, passwords with spaces, the cookie key)."""

from __future__ import annotations

import ast
import datetime as dt
import re
import secrets
from pathlib import Path

import bcrypt
import pytest
from streamlit.testing.v1 import AppTest

from lib import campaigns, collaborations, config, creators, inbox, sessions, snapshots, users
from lib.db import Database, utcnow
from lib.models import Role, User
from tests.conftest import World, labelled, labels, login, texts

LIB = Path(__file__).resolve().parent.parent / "lib"


def start(db: Database, user: User, now: dt.datetime | None = None) -> str:
    return sessions.start(db, user, now).session_id


def ended(db: Database, session_id: str, **kwargs: object) -> str | None:
    return sessions.check(db, session_id, **kwargs).ended  # type: ignore[arg-type]


# --- 14.1: sessions in the store --------------------------------------------------------------


def test_a_session_holds_for_its_user_and_only_for_it(db: Database, people: dict) -> None:
    staff = people[Role.STAFF]
    session_id = start(db, staff)
    checked = sessions.check(db, session_id, "staff")
    assert checked.user == staff and checked.ended is None
    assert sessions.check(db, session_id, "admin").user is None  # someone else's cookie name
    assert sessions.check(db, session_id + "x").user is None
    for garbage in (None, "", 42, b"bytes", "x" * 10_000, ["list"]):
        assert sessions.check(db, garbage).user is None


def test_only_the_hash_of_a_session_id_is_stored_and_snapshots_leave_it_out(
    db: Database, people: dict
) -> None:
    session_id = start(db, people[Role.VIEWER])
    stored = db.rows("SELECT * FROM login_sessions")
    assert stored and session_id not in str(stored)
    columns = [r[0] for r in db.rows(
        "SELECT column_name FROM duckdb_columns() WHERE table_name = 'login_sessions'")]
    assert snapshots.is_secret("token_hash")
    assert snapshots.is_secret("password_hash_fingerprint")
    assert {"token_hash", "password_hash_fingerprint"} <= set(columns)


def test_a_session_ends_at_its_absolute_expiry(
    db: Database, people: dict, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLLABDESK_SESSION_HOURS", "2")
    signed_in = dt.datetime(2026, 5, 1, 8, 0)
    session_id = start(db, people[Role.STAFF], now=signed_in)
    assert sessions.expires_at(db, session_id) == signed_in + dt.timedelta(hours=2)
    # Checking it (every page run does) never moves the expiry.
    for minutes in (1, 60, 119):
        assert ended(db, session_id, now=signed_in + dt.timedelta(minutes=minutes)) is None
    assert sessions.expires_at(db, session_id) == signed_in + dt.timedelta(hours=2)
    assert ended(db, session_id, now=signed_in + dt.timedelta(hours=2)) == (
        "Your session has expired. Log in again.")


@pytest.mark.parametrize("raw", ["0", "-1", "abc", "nan", "inf", "745", "1e400"])
def test_a_bad_session_lifetime_is_refused_with_the_variable_named(
    raw: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLLABDESK_SESSION_HOURS", raw)
    with pytest.raises(config.ConfigError, match="COLLABDESK_SESSION_HOURS"):
        config.session_lifetime()


def test_the_session_lifetime_defaults_to_12_hours(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("COLLABDESK_SESSION_HOURS", raising=False)
    assert config.session_lifetime() == dt.timedelta(hours=12)
    monkeypatch.setenv("COLLABDESK_SESSION_HOURS", "0.5")
    assert config.session_lifetime() == dt.timedelta(minutes=30)


def test_sessions_ended_a_month_ago_are_cleared_when_another_starts(
    db: Database, people: dict
) -> None:
    long_ago = dt.datetime(2026, 1, 1, 9, 0)
    old = start(db, people[Role.STAFF], now=long_ago)
    revoked = start(db, people[Role.STAFF], now=utcnow() - dt.timedelta(days=1))
    sessions.revoke(db, revoked)
    start(db, people[Role.VIEWER])
    assert sessions.expires_at(db, old) is None  # gone
    assert sessions.expires_at(db, revoked) is not None  # ended yesterday: kept
    assert db.value("SELECT count(*) FROM login_sessions") == 2


def test_logout_ends_that_session_only(db: Database, people: dict) -> None:
    staff = people[Role.STAFF]
    this, other = start(db, staff), start(db, staff)
    sessions.revoke(db, this)
    assert ended(db, this) == "You logged out. Log in again."
    assert ended(db, other) is None


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        (lambda db, admin: users.reset_password(db, admin, "staff", "a new password 1"),
         "Your password was changed. Log in with the new password."),
        (lambda db, admin: users.set_disabled(db, admin, "staff", True),
         "This account is disabled. Ask an admin to enable it."),
        (lambda db, admin: users.set_role(db, admin, "staff", "viewer"),
         "Your role was changed. Log in again."),
    ],
)
def test_an_admin_change_ends_every_session_of_the_user(
    db: Database, people: dict, change, reason: str
) -> None:
    first, second = start(db, people[Role.STAFF]), start(db, people[Role.STAFF])
    bystander = start(db, people[Role.MANAGER])
    change(db, people[Role.ADMIN])
    assert ended(db, first) == ended(db, second) == reason
    assert db.value("SELECT count(*) FROM login_sessions WHERE revoked_at IS NOT NULL") == 2
    assert ended(db, bystander) is None
    # Undoing the change does not bring the session back: the cookie is dead for good.
    users.set_disabled(db, people[Role.ADMIN], "staff", False)
    users.set_role(db, people[Role.ADMIN], "staff", "staff")
    assert ended(db, first) == reason


def test_a_raised_role_keeps_the_session_and_a_later_demotion_ends_it(
    db: Database, people: dict
) -> None:
    session_id = start(db, people[Role.VIEWER])
    users.set_role(db, people[Role.ADMIN], "viewer", "manager")
    checked = sessions.check(db, session_id)
    assert checked.ended is None and checked.user.role is Role.MANAGER  # type: ignore[union-attr]
    users.set_role(db, people[Role.ADMIN], "viewer", "viewer")  # back to where it signed in
    assert ended(db, session_id) == "Your role was changed. Log in again."


@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE users SET password_hash = 'x' WHERE username = 'staff'",
        "UPDATE users SET disabled = true WHERE username = 'staff'",
        "UPDATE users SET role = 'viewer' WHERE username = 'staff'",
        "DELETE FROM users WHERE username = 'staff'",
    ],
)
def test_a_change_made_outside_lib_users_still_ends_the_session(
    db: Database, people: dict, sql: str
) -> None:
    """The run's check compares the user's row with the sign-in, whoever changed it."""
    session_id = start(db, people[Role.STAFF])
    db.write(lambda cur: cur.execute(sql))
    assert sessions.check(db, session_id).user is None


def test_a_disabled_user_gets_no_session(db: Database, people: dict) -> None:
    users.set_disabled(db, people[Role.ADMIN], "staff", True)
    with pytest.raises(PermissionError, match="disabled"):
        start(db, people[Role.STAFF])
    assert db.value("SELECT count(*) FROM login_sessions") == 0


# --- 14.1 in the app (AppTest) ----------------------------------------------------------------


def test_a_password_login_starts_one_session_and_logout_revokes_it(
    app: AppTest, db: Database
) -> None:
    login(app, "staff")
    assert texts(app.title)[0] == "Collaborations"
    session_id = app.session_state["_login_session"]
    assert sessions.check(db, session_id, "staff").user is not None
    assert db.value("SELECT count(*) FROM login_sessions") == 1
    app.run()
    app.run()  # reruns check the session; they start no other
    assert db.value("SELECT count(*) FROM login_sessions") == 1
    labelled(app.button, "Log out").click().run()
    assert labels(app.text_input) == ["Username", "Password"]
    assert db.value("SELECT revoked_reason FROM login_sessions") == "logout"
    assert sessions.check(db, session_id, "staff").user is None


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda db, people: users.reset_password(db, people["admin"], "staff", "brand new pw 9"),
         "Your password was changed. Log in with the new password."),
        (lambda db, people: users.set_role(db, people["admin"], "staff", "viewer"),
         "Your role was changed. Log in again."),
        (lambda db, people: db.write(lambda cur: cur.execute(
            "UPDATE login_sessions SET created_at = created_at - INTERVAL 13 HOUR,"
            " expires_at = created_at - INTERVAL 1 HOUR")),
         "Your session has expired. Log in again."),
    ],
)
def test_the_next_run_after_a_change_shows_the_login_form(
    app: AppTest, db: Database, people: dict, change, message: str
) -> None:
    login(app, "staff")
    app.switch_page("pages/deliveries.py").run()
    assert "Deliveries" in texts(app.title)
    change(db, {r.value: u for r, u in people.items()})
    app.run()  # a plain rerun: the library never reads the cookie on it
    assert texts(app.error) == [message]
    assert labels(app.text_input) == ["Username", "Password"]
    assert "user" not in app.session_state and "_login_session" not in app.session_state
    assert "Deliveries" not in texts(app.title)


# --- 14.2: the actor re-read inside each write ------------------------------------------------


def _demote(db: Database, admin: User, username: str, role: str) -> None:
    users.set_role(db, admin, username, role)


def test_a_demoted_staff_member_cannot_add_a_note(
    db: Database, people: dict, world: World
) -> None:
    staff = people[Role.STAFF]  # what the session loaded
    collab = next(iter(world.collabs.values()))
    _demote(db, people[Role.ADMIN], "staff", "viewer")
    before = db.value("SELECT count(*) FROM activity_events")
    with pytest.raises(PermissionError, match=r"Your role is now viewer.*add notes"):
        collaborations.add_note(db, staff, collab, "a stale session's note")
    assert db.value("SELECT count(*) FROM activity_events") == before


def test_a_disabled_manager_cannot_add_a_client(db: Database, people: dict) -> None:
    manager = people[Role.MANAGER]
    users.set_disabled(db, people[Role.ADMIN], "manager", True)
    with pytest.raises(PermissionError, match="disabled"):
        campaigns.add_client(db, manager, "Initech")
    assert db.value("SELECT count(*) FROM clients WHERE name = 'Initech'") == 0


def test_a_demoted_admin_cannot_reset_a_password(db: Database, people: dict) -> None:
    stale_admin = people[Role.ADMIN]
    # A second admin demotes the first (the first is not the last admin any more).
    users.set_role(db, stale_admin, "manager", "admin")
    second_admin = users.get_user(db, "manager")
    users.set_role(db, second_admin, "admin", "staff")
    before = db.value("SELECT password_hash FROM users WHERE username = 'viewer'")
    with pytest.raises(PermissionError, match=r"Your role is now staff.*reset passwords"):
        users.reset_password(db, stale_admin, "viewer", "a takeover password")
    assert db.value("SELECT password_hash FROM users WHERE username = 'viewer'") == before


def test_a_disabled_viewer_cannot_even_mark_a_thread_read(
    db: Database, people: dict, world: World
) -> None:
    viewer = people[Role.VIEWER]
    users.set_disabled(db, people[Role.ADMIN], "viewer", True)
    with pytest.raises(PermissionError, match="disabled"):
        inbox.mark_read(db, viewer, next(iter(world.creators.values())))
    assert db.value("SELECT count(*) FROM thread_reads") == 0


def test_a_user_whose_row_is_gone_cannot_write(db: Database, people: dict, world: World) -> None:
    ghost = User(10_000, "ghost", "Ghost", "", Role.ADMIN)
    with pytest.raises(PermissionError, match="disabled or gone"):
        creators.add_tag(db, ghost, next(iter(world.creators.values())), "Spooky")
    assert db.value("SELECT count(*) FROM creator_tags WHERE tag = 'Spooky'") == 0


def test_a_demoted_user_still_writes_what_the_new_role_allows(
    db: Database, people: dict, world: World
) -> None:
    manager = people[Role.MANAGER]  # loaded as a manager, then demoted to staff
    _demote(db, people[Role.ADMIN], "manager", "staff")
    creators.add_tag(db, manager, world.creators["Ada"], "Still staff")  # a staff write
    assert db.value("SELECT count(*) FROM creator_tags WHERE tag = 'Still staff'") == 1
    with pytest.raises(PermissionError, match=r"Your role is now staff.*add clients"):
        campaigns.add_client(db, manager, "Umbrella")  # a manager's write


# Writes with no logged-in actor: a reviewer's token (checked by its own hash), the record of
# a mail already sent by an allowed action, the login attempt itself, and sessions.
ACTORLESS_WRITES = {
    ("reviewers.py", "open_link"), ("reviewers.py", "_record_mail"),
    ("reviewers.py", "submit_feedback"), ("inbox/sending.py", "_record_outcome"),
    ("users.py", "attempt_login"), ("demo.py", "build_demo"),
    ("sessions.py", "start"), ("sessions.py", "revoke"),
}


# Functions that hand the work they are given to Database.write: their callers are checked.
PASS_THROUGH_WRITERS = {("creators.py", "write_adding_creators")}


def _writes(tree: ast.AST) -> list[tuple[str, ast.expr | None, int]]:
    """(function, the work handed to the store, line) of every Database.write call, and of
    every call of a pass-through writer (its work is the last positional argument)."""
    found = []
    for function in ast.walk(tree):
        if not isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        for node in ast.walk(function):
            if not isinstance(node, ast.Call):
                continue
            called = node.func
            name = called.attr if isinstance(called, ast.Attribute) else getattr(
                called, "id", None)
            store_write = (name == "write" and isinstance(called, ast.Attribute)
                           and isinstance(called.value, ast.Name)
                           and called.value.id in {"db", "database", "store"})
            if store_write or name in {w for _, w in PASS_THROUGH_WRITERS}:
                work = node.args[-1] if node.args else None
                found.append((function.name, work, node.lineno))
    return found


def _is_recheck(work: ast.expr | None) -> bool:
    called = work.func if isinstance(work, ast.Call) else None
    return (isinstance(called, ast.Attribute) and called.attr == "recheck") or (
        isinstance(called, ast.Name) and called.id == "recheck")


def test_every_write_of_a_logged_in_actor_rereads_the_actor_in_its_transaction() -> None:
    """All the services' writes, every role's: each passes users.recheck(grant, ...) to
    Database.write (or to a writer that passes it on), so none trusts a session's User."""
    unchecked, checked = [], 0
    for path in sorted(LIB.rglob("*.py")):  # the service packages' modules too
        name = path.relative_to(LIB).as_posix()
        for function, work, line in _writes(ast.parse(path.read_text())):
            if _is_recheck(work):
                checked += 1
            elif (name, function) not in ACTORLESS_WRITES | PASS_THROUGH_WRITERS:
                unchecked.append(f"{name}:{line} in {function}")
    assert not unchecked, f"writes that trust a stale User: {unchecked}"
    assert checked >= 36  # the writes counted when this was written (a floor, not a pin)


def test_every_role_is_rechecked_for_each_level_it_lost(db: Database, people: dict) -> None:
    """Each role, demoted one step at a time, loses exactly the writes above its new role."""
    admin = people[Role.ADMIN]
    users.set_role(db, admin, "manager", "admin")  # a second admin, so the first can go down
    other_admin = users.get_user(db, "manager")
    for role in (Role.ADMIN, Role.MANAGER, Role.STAFF, Role.VIEWER):
        grant = users.rules.require_role(admin, role, f"act as {role.value}")
        for current in Role:
            users.set_role(db, other_admin, "admin", current.value)
            refused = not current.at_least(role)
            with db.transaction() as cur:
                if refused:
                    with pytest.raises(PermissionError, match=f"Your role is now {current}"):
                        users.confirm_actor(cur, grant)
                else:
                    users.confirm_actor(cur, grant)


def test_the_command_line_admin_needs_no_row(db: Database) -> None:
    users.add_user(db, users.CLI_ADMIN, "firstadmin", "First", "admin", "long enough pw")
    assert users.get_user(db, "firstadmin") is not None


# --- 14.5: login details ----------------------------------------------------------------------


def test_an_unknown_username_costs_one_bcrypt_check_like_a_wrong_password(
    db: Database, people: dict, monkeypatch: pytest.MonkeyPatch
) -> None:
    users._dummy_hash()  # made once per process, outside what is counted
    calls: list[bytes] = []
    real_checkpw = bcrypt.checkpw

    def counting(password: bytes, hashed: bytes) -> bool:
        calls.append(hashed)
        return real_checkpw(password, hashed)

    monkeypatch.setattr(users.bcrypt, "checkpw", counting)
    assert users.attempt_login(db, "staff", "wrong password!") is False
    assert users.attempt_login(db, "nobody-by-this-name", "wrong password!") is False
    assert users.attempt_login(db, "", "") is False
    assert len(calls) == 3
    # The unknown names ran against a real bcrypt hash of the same cost as the users' ones.
    cost = re.compile(rb"^\$2[aby]\$(\d\d)\$")
    assert {cost.match(h).group(1) for h in calls} == {  # type: ignore[union-attr]
        cost.match(db.value("SELECT password_hash FROM users WHERE username = 'staff'")
                   .encode()).group(1)}  # type: ignore[union-attr]


@pytest.mark.parametrize("password", ["  leading spaces", "trailing spaces  ",
                                      " in the  middle ", "\ttab and newline\n"])
def test_a_password_is_used_exactly_as_it_was_set(db: Database, password: str) -> None:
    users.add_user(db, users.CLI_ADMIN, "spacey", "Spacey", "staff", password)
    assert users.attempt_login(db, "spacey", password) is True
    assert users.attempt_login(db, "spacey", password.strip()) is False
    assert users.attempt_login(db, "spacey", " ".join(password.split())) is False


def test_the_login_form_keeps_the_spaces_of_a_password(app: AppTest, db: Database) -> None:
    users.add_user(db, users.CLI_ADMIN, "spacey", "Spacey", "staff", "  two spaces each side  ")
    login(app, "spacey", "two spaces each side")
    assert texts(app.error) == ["Wrong username or password."]
    login(app, "spacey", "  two spaces each side  ")
    assert texts(app.title)[0] == "Collaborations"


@pytest.mark.parametrize(
    "key",
    [
        secrets.token_urlsafe(31),  # 31 bytes
        secrets.token_hex(31),
        "x" * 64,
        "ab" * 40,
        "correct horse battery staple",
        "abcdefghijklmnopqrstuvwxyz0123456789" * 2,
        secrets.token_urlsafe(16) * 3,
        "password" * 8,
    ],
)
def test_a_weak_cookie_key_is_refused_with_how_to_make_one(
    key: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLLABDESK_COOKIE_KEY", key)
    with pytest.raises(config.ConfigError) as refusal:
        config.cookie_key()
    assert "COLLABDESK_COOKIE_KEY" in str(refusal.value)
    assert 'python -c "import secrets; print(secrets.token_urlsafe(32))"' in str(refusal.value)
    assert key not in str(refusal.value)  # the secret itself is not echoed


def test_a_weak_key_file_is_refused_too(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("COLLABDESK_COOKIE_KEY", raising=False)
    (tmp_path / ".cookie_key").write_text("short-key")
    with pytest.raises(config.ConfigError, match=r"\.cookie_key.*token_urlsafe\(32\)"):
        config.cookie_key(tmp_path / "app.duckdb")


def test_random_keys_of_32_bytes_are_accepted(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for _ in range(200):
        for key in (secrets.token_urlsafe(32), secrets.token_hex(32), secrets.token_urlsafe(64)):
            monkeypatch.setenv("COLLABDESK_COOKIE_KEY", key)
            assert config.cookie_key() == key
    monkeypatch.delenv("COLLABDESK_COOKIE_KEY")
    made = config.cookie_key(tmp_path / "app.duckdb")  # made on first use, then read back
    assert config.cookie_key(tmp_path / "app.duckdb") == made


def test_the_app_refuses_to_start_with_a_weak_cookie_key(
    app: AppTest, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLLABDESK_COOKIE_KEY", "too-short")
    app.run()
    [message] = texts(app.error)
    assert "token_urlsafe(32)" in message and "COLLABDESK_COOKIE_KEY" in message
    assert "Password" not in labels(app.text_input)
    assert not app.exception
