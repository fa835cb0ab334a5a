"""Items 4 and 5: full renders of the pages (AppTest) and the process's peak RSS.

The parent (`run`) starts this module as a child process, so the peak memory it reads is the
app's alone: the child logs in through the form as an admin, renders the collaborations page
several times, then opens every page of the menu in turn once (its first render: nothing of it
cached yet; the SQL console writes the app's first snapshot of the database in the app's
background worker, in this process, as the app does; the background snapshots are off). A page
whose reads were still counting in the background when its run ended is waited for and run
again: that time is its `ready_s`. The child reports the timings and /proc/self/status; the
parent also reads the child's ru_maxrss. The snapshots folder beside the database is emptied
first, so that snapshot is written in every run.

Run by hand: `python -m bench.render DB_FILE USERNAME REPEAT` with BENCH_PASSWORD set.
"""

from __future__ import annotations

import json
import os
import resource
import secrets
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.timing import Stats, timed

ROOT = Path(__file__).resolve().parent.parent
APP = str(ROOT / "app.py")
TIMEOUT = 300
# The menu's pages in its order (app.py's PAGES; the detail page needs a collaboration's id).
PAGES = (
    "collaborations", "campaigns", "progress", "deliveries", "feedback", "inbox", "reports",
    "sql_console", "imports", "users", "notifications",
)


@dataclass
class RenderOutcome:
    stats: Stats
    login_s: float
    first_s: float
    peak_rss_bytes: int
    child_maxrss_bytes: int
    rss_after_bytes: int
    problems: list[str]
    pages_s: dict[str, float]  # each page's first render after switching to it
    ready_s: dict[str, float]  # pages with background reads: until their figures are shown
    page_problems: dict[str, list[str]]
    snapshot_written: bool


def run(db_path: Path, username: str, password: str, repeat: int) -> RenderOutcome:
    """Render in a child process (the database file must not be open in this one)."""
    print("  page render (child process)", flush=True)
    from lib.snapshots import snapshots_root

    shutil.rmtree(snapshots_root(db_path), ignore_errors=True)  # the console writes a new one
    # The app's background snapshots off: the console's first view writes the snapshot, on
    # the app's connection in this process, at a known moment (a background thread still
    # writing when the child exits would end it with an error).
    env = {**os.environ, "BENCH_PASSWORD": password, "COLLABDESK_SNAPSHOT_MINUTES": "0"}
    done = subprocess.run(
        [sys.executable, "-m", "bench.render", str(db_path), username, str(repeat)],
        cwd=ROOT, env=env, capture_output=True, text=True, check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"the render child failed:\n{done.stdout}\n{done.stderr}")
    report = json.loads(done.stdout.strip().splitlines()[-1])
    maxrss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024  # KiB on Linux
    return RenderOutcome(
        stats=Stats(tuple(report["runs_s"])),
        login_s=report["login_s"],
        first_s=report["first_s"],
        peak_rss_bytes=report["vmhwm_bytes"],
        child_maxrss_bytes=maxrss,
        rss_after_bytes=report["vmrss_bytes"],
        problems=report["problems"],
        pages_s=report["pages_s"],
        ready_s=report["ready_s"],
        page_problems=report["page_problems"],
        snapshot_written=report["snapshot_written"],
    )


# --- the child ------------------------------------------------------------------


def _proc_status(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) * 1024
    return 0


def _only_app_pages() -> None:
    """Keep Streamlit's pages/ directory mode off, as a server does once st.navigation ran
    (the same patch as tests/test_pages.py): otherwise a rerun runs the page without app.py."""
    from streamlit.runtime.pages_manager import PagesManager

    original_init = PagesManager.__init__

    def init(self: PagesManager, *args: Any, **kwargs: Any) -> None:
        original_init(self, *args, **kwargs)
        PagesManager.uses_pages_directory = False

    PagesManager.__init__ = init  # type: ignore[method-assign]


def _page_problems(at: Any, title: str) -> list[str]:
    found = [f"exception: {e.message}" for e in at.exception]
    found += [f"error: {e.value}" for e in at.error]
    if not any(t.value.startswith(title) for t in at.title):
        found.append(f"the page titled {title!r} was not shown")
    return found


def _open_every_page(
    at: Any,
) -> tuple[dict[str, float], dict[str, float], dict[str, list[str]]]:
    """Switch to each page of the menu in turn: the time of its first render; for a page that
    left reads counting in the background (lib.web.background: the progress charts, the
    console's first snapshot), also the time until they were done and the page ran again
    (what its polling fragment does), as a person waits for it; and what went wrong on it."""
    from lib.web.background import background_reads

    seconds, ready, problems = {}, {}, {}
    for page in PAGES:
        at.switch_page(f"pages/{page}.py")
        seconds[page], _ = timed(at.run)
        if background_reads().busy():
            waited, _ = timed(lambda: background_reads().wait_idle(TIMEOUT))
            again, _ = timed(at.run)
            ready[page] = seconds[page] + waited + again
        title = "SQL console" if page == "sql_console" else page.capitalize()
        problems[page] = _page_problems(at, title)
    return seconds, ready, problems


def _problems(at: Any) -> list[str]:
    found = [f"exception: {e.message}" for e in at.exception]
    found += [f"error: {e.value}" for e in at.error]
    if "Collaborations" not in [t.value for t in at.title]:
        found.append("the collaborations page was not shown")
    if len(at.dataframe(key="collab_table").value) == 0:
        found.append("the list is empty")
    return found


def _login(at: Any, username: str, password: str) -> None:
    [user_box] = [t for t in at.text_input if t.label == "Username"]
    [password_box] = [t for t in at.text_input if t.label == "Password"]
    user_box.input(username)
    password_box.input(password)
    [login] = [b for b in at.button if b.label == "Login"]
    login.click()
    at.run()


def child(db_path: str, username: str, repeat: int) -> dict[str, Any]:
    os.environ["COLLABDESK_DB"] = db_path
    os.environ.setdefault("COLLABDESK_COOKIE_KEY", secrets.token_urlsafe(32))
    from streamlit.testing.v1 import AppTest
    from streamlit_authenticator import params as authenticator_params

    _only_app_pages()
    authenticator_params.PRE_LOGIN_SLEEP_TIME = 0.0  # the form's delay is not server work
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    first_s, _ = timed(at.run)
    login_s, _ = timed(lambda: _login(at, username, os.environ["BENCH_PASSWORD"]))
    problems = _problems(at)
    at.run()  # warm-up
    runs = [timed(at.run)[0] for _ in range(repeat)]
    problems += _problems(at)
    pages_s, ready_s, page_problems = _open_every_page(at)
    from lib.snapshots import snapshots_root

    return {
        "first_s": first_s,
        "login_s": login_s,
        "runs_s": runs,
        "pages_s": pages_s,
        "ready_s": ready_s,
        "page_problems": page_problems,
        "snapshot_written": any(snapshots_root(db_path).glob("2*")),
        "vmhwm_bytes": _proc_status("VmHWM"),
        "vmrss_bytes": _proc_status("VmRSS"),
        "problems": sorted(set(problems)),
    }


if __name__ == "__main__":
    print(json.dumps(child(sys.argv[1], sys.argv[2], int(sys.argv[3]))))
