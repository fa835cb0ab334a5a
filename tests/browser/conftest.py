"""Real-browser tests: the app served by `streamlit run`, driven by Debian's Chromium.

One database is seeded per session (users of every role, 3 campaigns, 60 collaborations) and
copied for each server: the shared `app` server for tests whose writes touch nothing the others
look at, and a `private_app` per test that must check the database file afterwards (only one
process may open a DuckDB file, so that test stops its server first).

Screenshots of the main pages go to test-artifacts/screenshots/ (git-ignored; kept after the
run so a person can look). A failing test leaves `failed-<test>.png` there as well.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Generator, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from lib import users
from lib.db import Database
from tests.browser import ui
from tests.conftest import PASSWORD, T0, add_collab, own_campaigns

PROJECT_ROOT = ui.PROJECT_ROOT
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
STARTUP_TIMEOUT_S = 60
TIMEOUT_MS = 20_000  # for one Streamlit round trip: generous, for a loaded CI machine
VIEWPORT = {"width": 1440, "height": 960}
expect.set_options(timeout=TIMEOUT_MS)

ROLES = ("admin", "manager", "staff", "viewer")
# Per campaign: 6 pending, 5 negotiating, 4 fulfilling, 3 completed, 2 cancelled.
STATUS_PLAN = ["pending"] * 6 + ["negotiating"] * 5 + ["fulfilling"] * 4 + ["completed"] * 3
STATUS_PLAN += ["cancelled"] * 2
CREATORS = [
    # name, handle (the first four are tests/conftest.py's world; Mary has Ada's handle on
    # TikTok, the others are on Instagram)
    ("Ada Lovelace", "ada"),
    ("Grace Hopper", "grace"),
    ("Linus Field", "linus"),
    ("Mary Shelley", "ada"),
    ("Alan Turing", "alan.t"),
    ("Barbara Liskov", "liskov"),
    ("Claude Shannon", "shannon"),
    ("Dorothy Vaughan", "dvaughan"),
    ("Edsger Dijkstra", "edsger"),
    ("Frances Allen", "fallen"),
    ("Hedy Lamarr", "hedy"),
    ("Ivan Sutherland", "sketchpad"),
    ("Joan Clarke", "jclarke"),
    ("Ken Thompson", "kent"),
    ("Katherine Johnson", "kjohnson"),
    ("Margaret Hamilton", "apollo"),
    ("Niklaus Wirth", "pascal"),
    ("Radia Perlman", "spanningtree"),
    ("Sophie Wilson", "armchip"),
    ("Tim Berners", "www"),
]
CAMPAIGNS = (("Spring", "Acme"), ("Summer", "Acme"), ("Launch", "Globex"))


# --- the data set -------------------------------------------------------------------------


@dataclass
class Seed:
    """The seeded database file and the ids tests assert against."""

    path: Path
    campaigns: dict[str, int]
    creators: dict[str, int]
    # (campaign, status) -> collaboration ids in the list's default order (updated, newest first)
    collabs: dict[tuple[str, str], list[int]] = field(default_factory=dict)


def seed_database(path: Path) -> Seed:
    """Users of every role (password PASSWORD) and 60 collaborations over 3 campaigns."""
    db = Database(path)
    try:
        password_hash = users.hash_password(PASSWORD)
        for role in ROLES:
            db.value(
                "INSERT INTO users (username, name, email, role, password_hash, created_at)"
                " VALUES (?, ?, ?, ?, ?, ?) RETURNING id",
                [role, f"{role.title()} Person", f"{role}@agency.test", role, password_hash, T0],
            )
        manager_id = db.value("SELECT id FROM users WHERE username = 'manager'")
        clients = {
            name: db.value("INSERT INTO clients (name) VALUES (?) RETURNING id", [name])
            for name in ("Acme", "Globex")
        }
        campaigns = {
            name: db.value(
                "INSERT INTO campaigns (client_id, name, owner_id, start_date, end_date, budget,"
                " created_at) VALUES (?, ?, ?, '2026-03-01', '2026-06-30', 10000, ?) RETURNING id",
                [clients[client], name, manager_id, T0],
            )
            for name, client in CAMPAIGNS
        }
        own_campaigns(db)
        creators = {}
        for number, (name, handle) in enumerate(CREATORS):
            creators[name.split()[0]] = db.value(
                "INSERT INTO creators (name, handle, platform, email, phone, address, followers,"
                " engagement_rate, created_at) VALUES (?, ?, ?, ?, '+49 30 1234',"
                " 'Main St 1, Berlin', ?, 3.5, ?) RETURNING id",
                [name, handle, "tiktok" if name == "Mary Shelley" else "instagram",
                 f"{handle}@example.com", 12_000 + 1_000 * number, T0],
            )
        db.value(
            "INSERT INTO creator_tags VALUES (?, 'Top Performer') RETURNING 1", [creators["Grace"]]
        )
        seed = Seed(path, campaigns, creators)
        minute = 0
        for campaign in campaigns:
            for (name, _), status in zip(CREATORS, STATUS_PLAN, strict=True):
                minute += 1
                collab_id = add_collab(
                    db,
                    campaigns[campaign],
                    creators[name.split()[0]],
                    status,
                    T0 + dt.timedelta(minutes=minute),
                    100.0 * (minute % 17 + 1),
                )
                # Newest first, as the list shows them by default.
                seed.collabs.setdefault((campaign, status), []).insert(0, collab_id)
    finally:
        db.close()  # the app's process must be the only one holding the file
    return seed


@pytest.fixture(scope="session")
def seed(tmp_path_factory: pytest.TempPathFactory) -> Seed:
    return seed_database(tmp_path_factory.mktemp("seed") / "seed.duckdb")


# --- the server ---------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class AppServer:
    """`streamlit run app.py` on a free port, over its own copy of the seeded database."""

    def __init__(self, seed: Seed, workdir: Path, env: dict[str, str] | None = None) -> None:
        workdir.mkdir(parents=True, exist_ok=True)
        self.env = env or {}  # more settings (COLLABDESK_STORE, ...); they win
        self.seed = seed
        self.db_path = workdir / "app.duckdb"
        shutil.copyfile(seed.path, self.db_path)
        self.log_path = workdir / "streamlit.log"
        self.port = _free_port()
        self.url = f"http://localhost:{self.port}"
        # Kept across restarts, as data/.cookie_key is: a login cookie outlives a restart.
        self.cookie_key = secrets.token_urlsafe(32)
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> AppServer:
        env = {
            **os.environ,
            "COLLABDESK_DB": str(self.db_path),
            "COLLABDESK_COOKIE_KEY": self.cookie_key,
            # A page waits for its slow reads (lib.web.background) to the end, as under AppTest:
            # on a loaded machine a check must not land between "Counting ..." and the chart.
            # test_browser_background.py sets 0 to see that path itself.
            "COLLABDESK_PAGE_WAIT_SECONDS": "60",
            **self.env,
        }
        command = [
            sys.executable, "-m", "streamlit", "run", "app.py",
            "--server.headless", "true",
            "--server.port", str(self.port),
            "--browser.gatherUsageStats", "false",
            "--server.fileWatcherType", "none",
        ]  # fmt: skip
        with self.log_path.open("wb") as log:  # a file, not a pipe: nobody would drain it
            self.process = subprocess.Popen(
                command, cwd=PROJECT_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT
            )
        deadline = time.monotonic() + STARTUP_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                pytest.fail(f"streamlit exited with {self.process.returncode}:\n{self.log()}")
            try:
                with urllib.request.urlopen(f"{self.url}/_stcore/health", timeout=2) as answer:
                    if answer.status == 200:
                        return self
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            time.sleep(0.2)  # polling interval, not a wait for the app
        self.stop()
        pytest.fail(f"streamlit did not become healthy in {STARTUP_TIMEOUT_S} s:\n{self.log()}")

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")[-5000:]

    def stop(self) -> None:
        """Stop the server (and so release the database file)."""
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=15)

    def open_db(self) -> Database:
        """The database file, once the server is stopped (the caller closes it)."""
        self.stop()
        return Database(self.db_path)


@pytest.fixture(scope="session")
def app(seed: Seed, tmp_path_factory: pytest.TempPathFactory) -> Iterator[AppServer]:
    """The server most tests share."""
    server = AppServer(seed, tmp_path_factory.mktemp("app")).start()
    yield server
    server.stop()


@pytest.fixture
def private_app(seed: Seed, tmp_path: Path) -> Iterator[AppServer]:
    """A server of the test's own, for a test that checks the database file afterwards."""
    server = AppServer(seed, tmp_path / "app").start()
    yield server
    server.stop()


# --- the browser --------------------------------------------------------------------------


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        message = (
            f"{CHROMIUM} is missing: install Debian's Chromium with `apt-get install -y chromium`"
            " (not `playwright install`, whose downloads are not reachable)."
        )
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """On a failure, save what the page showed then (before any fixture stops a server)."""
    report = yield
    tab = getattr(item, "funcargs", {}).get("page")
    if report.when == "call" and report.failed and tab is not None and not tab.is_closed():
        name = re.sub(r"[^\w.-]+", "_", item.name)
        ui.SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        tab.screenshot(path=ui.SCREENSHOTS / f"failed-{name}.png", full_page=True)
    return report


@contextmanager
def new_tab(browser: Browser, viewport: dict[str, int] = VIEWPORT) -> Iterator[Page]:
    """A page in a fresh browser context: no cookie or session survives from another test."""
    context = browser.new_context(viewport=viewport)
    context.set_default_timeout(TIMEOUT_MS)
    context.add_init_script(ui.RUN_TRACKER_JS)
    try:
        yield context.new_page()
    finally:
        context.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    with new_tab(browser) as tab:
        yield tab


@pytest.fixture
def login(app: AppServer) -> Callable[..., None]:
    """login(page, username[, server]): log in as a seeded user (password PASSWORD)."""

    def login(page: Page, username: str, server: AppServer | None = None) -> None:
        ui.log_in(page, (server or app).url, username, PASSWORD)

    return login
