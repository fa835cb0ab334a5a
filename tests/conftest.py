"""Shared fixtures: a fresh database file per test, users of every role, a small fixed world,
and the real app.py under Streamlit's AppTest with helpers to drive it.

The `app` fixture keeps Streamlit's "pages/ directory" mode (MPA v1) off, as a running server
does once app.py has called st.navigation. AppTest turns it back on before every run, since
the project has a pages/ folder, and then a rerun on a page executes pages/<page>.py alone,
without app.py: no login gate, no flash toasts, no sidebar. The tests would then check a
different app from the one people use.
"""

from __future__ import annotations

import datetime as dt
import re
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from streamlit.runtime.pages_manager import PagesManager
from streamlit.testing.v1 import AppTest
from streamlit_authenticator import params as authenticator_params

from lib import users, web
from lib.db import Database
from lib.models import Role, User
from tests.postgres import (  # noqa: F401  (fixtures, for every test module)
    demo_file,
    demo_store,
    pg_cluster,
    pg_libs,
    store_url,
)

APP = str(Path(__file__).resolve().parent.parent / "app.py")
APP_TIMEOUT = 60  # seconds per script run; the first run of a process imports a lot
PASSWORD = "correct-horse-battery"  # test accounts only; created fresh in each temp database
T0 = dt.datetime(2026, 3, 2, 9, 0)


def own_campaigns(db: Database) -> None:
    """Give campaigns inserted by hand their current client and owner (campaign_ownership),
    as lib.campaigns.create_campaign and the demo do."""
    db.write(lambda cur: cur.execute(
        "INSERT INTO campaign_ownership SELECT id, client_id, owner_id FROM campaigns"
        " WHERE id NOT IN (SELECT campaign_id FROM campaign_ownership)"
    ))


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Database]:
    database = Database(tmp_path / "test.duckdb")
    yield database
    database.close()


@pytest.fixture(scope="session")
def password_hash() -> str:
    """PASSWORD hashed once: bcrypt is slow on purpose, and the fixtures need it often."""
    return users.hash_password(PASSWORD)


@pytest.fixture
def people(db: Database, password_hash: str) -> dict[Role, User]:
    """One enabled user per role, all with PASSWORD; usernames are the role names."""
    for role in Role:
        db.value(
            "INSERT INTO users (username, name, email, role, password_hash, created_at)"
            " VALUES (?, ?, ?, ?, ?, ?) RETURNING id",
            [
                role.value,
                role.value.title(),
                f"{role.value}@agency.test",
                role.value,
                password_hash,
                T0,
            ],
        )
    return {role: users.get_user(db, role.value) for role in Role}  # type: ignore[misc]


@dataclass
class World:
    """Ids of the small fixed data set, to assert against by name."""

    clients: dict[str, int]
    campaigns: dict[str, int]
    creators: dict[str, int]
    collabs: dict[str, int]


def add_collab(
    db: Database,
    campaign_id: int,
    creator_id: int,
    status: str = "pending",
    created: dt.datetime = T0,
    compensation: float = 500.0,
) -> int:
    reason = "test set-up" if status == "cancelled" else None
    return db.value(
        "INSERT INTO collaborations (campaign_id, creator_id, status, deliverables, compensation,"
        " currency, start_date, due_date, cancel_reason, created_at, updated_at)"
        " VALUES (?, ?, ?, '1 post', ?, 'EUR', ?, ?, ?, ?, ?) RETURNING id",
        [
            campaign_id,
            creator_id,
            status,
            compensation,
            created.date(),
            created.date() + dt.timedelta(days=30),
            reason,
            created,
            created,
        ],
    )


@pytest.fixture
def world(db: Database, people: dict[Role, User]) -> World:
    """2 clients, 3 campaigns, 4 creators and 8 collaborations in every status."""

    def insert(sql: str, params: list) -> int:
        return db.value(sql + " RETURNING id", params)

    clients = {n: insert("INSERT INTO clients (name) VALUES (?)", [n]) for n in ("Acme", "Globex")}
    campaigns = {}
    for name, client in (("Spring", "Acme"), ("Summer", "Acme"), ("Launch", "Globex")):
        campaigns[name] = insert(
            "INSERT INTO campaigns (client_id, name, owner_id, start_date, end_date, budget,"
            " created_at) VALUES (?, ?, ?, '2026-03-01', '2026-06-30', 10000, ?)",
            [clients[client], name, people[Role.MANAGER].id, T0],
        )
    own_campaigns(db)
    creators = {}
    for name, handle, platform, email in (
        ("Ada Lovelace", "ada", "instagram", "ada@example.com"),
        ("Grace Hopper", "grace", "instagram", "grace@example.com"),
        ("Linus Field", "linus", "instagram", None),
        # Ada's handle on another platform under another name: both are flagged
        ("Mary Shelley", "ada", "tiktok", "mary@example.com"),
    ):
        creators[name.split()[0]] = insert(
            "INSERT INTO creators (name, handle, platform, email, phone, address, followers,"
            " engagement_rate, created_at) VALUES (?, ?, ?, ?, '+49 30 1234',"
            " 'Main St 1, Berlin', 12000, 3.5, ?)",
            [name, handle, platform, email, T0],
        )
    db.value(
        "INSERT INTO creator_tags VALUES (?, 'Top Performer') RETURNING 1", [creators["Grace"]]
    )
    plan = [
        ("ada_spring", "Spring", "Ada", "pending", 0),
        ("grace_spring", "Spring", "Grace", "negotiating", 1),
        ("linus_spring", "Spring", "Linus", "fulfilling", 2),
        ("mary_spring", "Spring", "Mary", "completed", 3),
        ("ada_summer", "Summer", "Ada", "cancelled", 4),
        ("grace_summer", "Summer", "Grace", "pending", 5),
        ("linus_launch", "Launch", "Linus", "negotiating", 6),
        ("grace_launch", "Launch", "Grace", "fulfilling", 7),
    ]
    collabs = {
        key: add_collab(
            db,
            campaigns[camp],
            creators[who],
            status,
            T0 + dt.timedelta(days=day),
            100.0 * (day + 1),
        )
        for key, camp, who, status, day in plan
    }
    return World(clients, campaigns, creators, collabs)


def status_of(db: Database, collab_id: int) -> tuple[str, int]:
    return db.one("SELECT status, version FROM collaborations WHERE id = ?", [collab_id])


def event_count(db: Database, collab_id: int | None = None, kind: str = "status_changed") -> int:
    if collab_id is None:
        return db.value("SELECT count(*) FROM activity_events WHERE kind = ?", [kind])
    return db.value(
        "SELECT count(*) FROM activity_events WHERE collab_id = ? AND kind = ?", [collab_id, kind]
    )


# --- the app under AppTest -------------------------------------------------


@pytest.fixture
def app(db: Database, world: World, monkeypatch: pytest.MonkeyPatch) -> Iterator[AppTest]:
    """The app, on its login form, over the `world` data set in the test's database."""
    monkeypatch.setenv("COLLABDESK_DB", str(db.path))
    monkeypatch.setenv("COLLABDESK_COOKIE_KEY", secrets.token_urlsafe(32))
    monkeypatch.setenv("COLLABDESK_SNAPSHOT_MINUTES", "0")  # no background snapshot thread
    # Pages wait for their slow reads (lib.web.background) to the end: a page's first run
    # shows its figures, however slow the machine (tests/test_background.py waits for none).
    monkeypatch.setenv("COLLABDESK_PAGE_WAIT_SECONDS", "120")
    original_init = PagesManager.__init__

    def init_without_pages_directory(self: PagesManager, *args: Any, **kwargs: Any) -> None:
        original_init(self, *args, **kwargs)
        PagesManager.uses_pages_directory = False  # what st.navigation sets in a server

    monkeypatch.setattr(PagesManager, "__init__", init_without_pages_directory)
    # The login widget sleeps 0.7 s on every run before a login; lock-out is counted in the
    # database, so the tests need not wait.
    monkeypatch.setattr(authenticator_params, "PRE_LOGIN_SLEEP_TIME", 0.0)
    at = AppTest.from_file(APP, default_timeout=APP_TIMEOUT)
    at.run()
    yield at
    web._open.clear()  # drop the app's cached connection to this test's database file


def labelled(elements: Any, label: str) -> Any:
    """The one element of `elements` (an AppTest element list) with this label."""
    found = [e for e in elements if as_read(e.label) == label]
    assert len(found) == 1, f"{len(found)} elements labelled {label!r} in {elements}"
    return found[0]


def labels(elements: Any) -> list[str]:
    return [e.label for e in elements]


def texts(elements: Any) -> list[str]:
    """What a person reads in each element: markdown read back (see as_read), the text of
    st.text as it is."""
    return [e.value if type(e).__name__ == "Text" else as_read(str(e.value)) for e in elements]


def as_read(markdown: str) -> str:
    """What a person reads in markdown made by web.as_text: its escapes, splitters, blank
    references and line breaks taken out (lenient: for finding text, not for proving it safe;
    tests/test_user_text.py reads the helper's output strictly)."""
    text = re.sub(r":color\[\\?(.)\]", r"\1", markdown)
    text = re.sub(r"&#(\d+);", lambda ref: chr(int(ref.group(1))), text)
    return re.sub(r"\\(.)", r"\1", text.replace("\\\n", "\n"), flags=re.S)


def login(at: AppTest, username: str, password: str = PASSWORD) -> AppTest:
    labelled(at.text_input, "Username").input(username)
    labelled(at.text_input, "Password").input(password)
    labelled(at.button, "Login").click()
    return at.run()


def assert_ok(at: AppTest) -> None:
    assert not at.exception, [e.message for e in at.exception]
    assert not at.error, texts(at.error)


# --- mail -------------------------------------------------------------------------------------


class LocalSMTP:
    """A real SMTP server on 127.0.0.1 (aiosmtpd) that keeps what it receives.

    Addresses in `refuse` are answered "550 No such user", as a real server would.
    """

    def __init__(self) -> None:
        import email
        import email.policy

        self.messages: list[email.message.EmailMessage] = []
        self.refuse: set[str] = set()
        self._parse = lambda raw: email.message_from_bytes(raw, policy=email.policy.default)
        self.port = 0

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.lower() in self.refuse:
            return "550 No such user here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        raw = envelope.original_content or envelope.content
        self.messages.append(self._parse(raw.replace(b"\r\n", b"\n")))  # wire CRLF to text
        return "250 Message accepted for delivery"

    def env(self, sender: str = "team@agency.test") -> dict[str, str]:
        """The environment that points lib.mail at this server."""
        return {
            "COLLABDESK_SMTP_HOST": "127.0.0.1",
            "COLLABDESK_SMTP_PORT": str(self.port),
            "COLLABDESK_SMTP_TLS": "none",
            "COLLABDESK_MAIL_FROM": sender,
        }

    def to(self, address: str) -> list:
        return [m for m in self.messages if address.lower() in str(m["To"]).lower()]


@pytest.fixture
def smtp_server(monkeypatch: pytest.MonkeyPatch) -> Iterator[LocalSMTP]:
    """A local SMTP server, with COLLABDESK_SMTP_* pointing lib.mail at it for the test."""
    import socket

    from aiosmtpd.controller import Controller

    handler = LocalSMTP()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        handler.port = probe.getsockname()[1]
    controller = Controller(handler, hostname="127.0.0.1", port=handler.port)
    controller.start()
    for name, value in handler.env().items():
        monkeypatch.setenv(name, value)
    try:
        yield handler
    finally:
        controller.stop()
