"""Item `browser` (issue 16): from opening a page to its first table, in headless Chromium.

The app is served as it is in production, by `streamlit run app.py`, over a copy of the cached
1M database in a temporary folder (the app opens its file exclusively; the cache is only read),
with an admin of the run's own (a random password) and the background snapshots off, so that no
snapshot written behind the pages' back lands in a timed run. Debian's Chromium, driven by the
playwright package as tests/browser does (same arguments; a 1366x768 window), logs in through
the form. Then, page after page of the menu, one visit warms the server (its cached reads, and
the SQL console's first snapshot) and `repeat` visits are timed, each from `about:blank`: the
wall time from `page.goto(<the page's address>)` to the page's first table drawn (a visible
`st.dataframe` canvas), or, on a page that has none when it opens, the element named in PAGES.
Between visits the app is left to finish its runs (untimed), so no visit pays for the last.

There is no reference for this item: the target is absolute (under 2 s a page, issue 16), the
times are those of the machine as it is, and the load average at the start and the end of the
item goes into results.json beside them.

Run by hand: `python -m bench --only browser [--repeat N]`.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import Page, expect, sync_playwright

from bench.dataset import bench_admin, setup_connections
from bench.timing import Stats
from lib import feedback
from lib.config import COOKIE_NAME
from lib.db import Database

# The run tracker tells when the app has finished its runs (the login cookie's component makes
# one more after a page is drawn): tests/browser/ui.py holds it, and only needs playwright.
from tests.browser import ui

ROOT = Path(__file__).resolve().parent.parent
TARGET_S = 2.0
CHROMIUM = Path("/usr/bin/chromium")
# As tests/browser/conftest.py starts it.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
VIEWPORT = {"width": 1366, "height": 768}
STARTUP_TIMEOUT_S = 120
# A page not drawn in this long counts as not shown (generous: the machine may be loaded).
TIMEOUT_MS = 120_000
SCREENSHOTS = ROOT / "test-artifacts" / "screenshots"  # a page not shown leaves one there

GRID = '[data-testid="stDataFrame"] canvas'
# Whether an element matching the selector (and, if given, whose text matches the pattern) is
# drawn: laid out with a size, and not hidden (a collapsed expander, a tab not chosen).
SHOWN_JS = """([selector, pattern]) => [...document.querySelectorAll(selector)].some(e => {
  const box = e.getBoundingClientRect();
  return box.width > 0 && box.height > 0 && e.checkVisibility({visibilityProperty: true})
    && (!pattern || new RegExp(pattern).test(e.textContent));
})"""


@dataclass(frozen=True)
class Target:
    """A page of the menu and what says it is drawn."""

    page: str  # its name in the table
    path: str  # its address after the base URL
    shows: str  # what is waited for, in words
    selector: str = GRID
    text: str = ""  # a pattern the element's text must match


def targets(feedback_campaign: int | None) -> list[Target]:
    """The pages of an admin's menu, in its order (Imports is left out: an upload form, no
    table and nothing read at 1M)."""
    found = [
        Target("collaborations", "collaborations", "its list"),
        Target("campaigns", "campaigns", "its first table"),
        Target("progress", "progress", "its weekly chart (all campaigns)",
               '[data-testid="stVegaLiteChart"] canvas, [data-testid="stVegaLiteChart"] svg'),
        Target("deliveries", "deliveries", "its first table"),
        Target("inbox", "inbox", "its creator list"),
        Target("reports", "reports", "its snapshot list"),
        # The first result needs a query typed and run (a click, not the opening of a page).
        Target("sql_console", "sql-console", "its editor",
               '[data-testid="stTextArea"] textarea'),
        Target("users", "users", "its user list"),
        # No table: one line a notification; the count under them is drawn last.
        Target("notifications", "notifications", "its count line",
               '[data-testid="stCaptionContainer"]', r"in all · page \d"),
    ]
    if feedback_campaign is not None:
        # Its only table (reviewers) is in a tab not shown at first: the first feedback card,
        # of the campaign with the newest feedback (the one its picker lists first).
        found.insert(4, Target("feedback", f"feedback?campaign={feedback_campaign}",
                               "its first feedback card", '[data-testid="stExpander"]'))
    return found


@dataclass
class BrowserOutcome:
    target: Target
    stats: Stats | None  # None: the page was not shown
    warm_s: float | None  # the warm-up visit
    problem: str
    load_average: tuple[tuple[float, ...], tuple[float, ...]]  # (1, 5, 15 min) at start, end


def run(source: Path, repeat: int) -> list[BrowserOutcome]:
    """Serve a copy of `source` (only read), log in and time the pages; clean up after."""
    print("  browser (streamlit run + Chromium)", flush=True)
    if not CHROMIUM.exists():
        raise RuntimeError(f"{CHROMIUM} is missing: `apt-get install -y chromium`.")
    workdir = Path(tempfile.mkdtemp(prefix="collabdesk-bench-browser-"))
    server: Server | None = None
    try:
        db_path = workdir / "app.duckdb"
        shutil.copyfile(source, db_path)
        with setup_connections():  # migrating the copy is setup; the server keeps the app's
            db = Database(db_path)
        try:
            username, password = bench_admin(db, "bench.browser")
            choices = feedback.campaign_choices(db)
        finally:
            db.close()  # the server must be the only one holding the file
        server = Server(db_path, workdir / "streamlit.log").start()
        campaign = choices[0][0] if choices else None
        return measure(server.url, username, password, targets(campaign), repeat)
    finally:
        if server is not None:
            server.stop()
        shutil.rmtree(workdir, ignore_errors=True)


# --- the server -------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    """`streamlit run app.py` on a free port over `db_path`, as tests/browser starts it."""

    def __init__(self, db_path: Path, log_path: Path) -> None:
        self.db_path = db_path
        self.log_path = log_path
        self.port = _free_port()
        self.url = f"http://localhost:{self.port}"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> Server:
        env = {**os.environ, "COLLABDESK_DB": str(self.db_path),
               "COLLABDESK_COOKIE_KEY": secrets.token_urlsafe(32),
               "COLLABDESK_SNAPSHOT_MINUTES": "0"}
        command = [sys.executable, "-m", "streamlit", "run", "app.py",
                   "--server.headless", "true", "--server.port", str(self.port),
                   "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none"]
        with self.log_path.open("wb") as log:  # a file, not a pipe: nobody would drain it
            self.process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log,
                                            stderr=subprocess.STDOUT)
        deadline = time.monotonic() + STARTUP_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"streamlit exited with {self.process.returncode}:\n"
                                   f"{self.log()}")
            try:
                with urllib.request.urlopen(f"{self.url}/_stcore/health", timeout=2) as answer:
                    if answer.status == 200:
                        return self
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            time.sleep(0.2)  # polling interval
        self.stop()
        raise RuntimeError(f"streamlit was not healthy in {STARTUP_TIMEOUT_S} s:\n{self.log()}")

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")[-5000:]

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=15)


# --- the browser ------------------------------------------------------------------


def measure(url: str, username: str, password: str, pages: list[Target],
            repeat: int) -> list[BrowserOutcome]:
    expect.set_options(timeout=TIMEOUT_MS)  # ui's waits: a loaded machine is slow
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            context = chromium.new_context(viewport=VIEWPORT)  # type: ignore[arg-type]
            context.set_default_timeout(TIMEOUT_MS)
            context.add_init_script(ui.RUN_TRACKER_JS)
            page = context.new_page()
            log_in(page, url, username, password)
            return [time_page(page, url, target, repeat) for target in pages]
        finally:
            chromium.close()


def log_in(page: Page, url: str, username: str, password: str) -> None:
    """Through the form, then wait for the login cookie and the list it leads to."""
    ui.fill_login_form(page, url, username, password)
    page.wait_for_function(f"document.cookie.includes('{COOKIE_NAME}=')")
    page.wait_for_function(SHOWN_JS, arg=[GRID, ""], polling=50)
    ui.wait_for_run(page, quiet_ms=ui.SETTLE_MS)


def visit(page: Page, url: str, target: Target) -> float:
    """Seconds from opening the page's address to `target` drawn; then (untimed) the app's
    runs of the visit are let finish."""
    page.goto("about:blank")
    start = time.perf_counter()
    page.goto(f"{url}/{target.path}", wait_until="commit")
    # Asked at every frame the browser draws: the time is the first frame that shows it.
    page.wait_for_function(SHOWN_JS, arg=[target.selector, target.text], polling="raf")
    seconds = time.perf_counter() - start
    ui.wait_for_run(page, quiet_ms=ui.SETTLE_MS)
    return seconds


def time_page(page: Page, url: str, target: Target, repeat: int) -> BrowserOutcome:
    """One visit to warm the server, then `repeat` timed ones."""
    load_before = os.getloadavg()
    warm_s: float | None = None
    runs: list[float] = []
    problem = ""
    try:
        warm_s = visit(page, url, target)
        runs = [visit(page, url, target) for _ in range(repeat)]
    except (PlaywrightError, AssertionError) as error:
        problem = f"{target.shows} not shown: {str(error).splitlines()[0]}"
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        with contextlib.suppress(PlaywrightError):  # the picture helps; it is not the item
            page.screenshot(path=SCREENSHOTS / f"bench-browser-{target.page}.png")
    stats = Stats(tuple(runs)) if runs and not problem else None
    shown = f"{stats.median:.2f} s ({stats.low:.2f}–{stats.high:.2f})" if stats else problem
    print(f"    {target.page}: {shown}", flush=True)
    return BrowserOutcome(target, stats, warm_s, problem, (load_before, os.getloadavg()))
