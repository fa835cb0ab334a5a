"""Driving a Streamlit app with Playwright: waiting for script runs, widgets, the data grid."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import Locator, Page, expect
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from lib.config import COOKIE_NAME

PROJECT_ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = PROJECT_ROOT / "test-artifacts" / "screenshots"

# Follows the app's script runs in the messages the server sends (a ForwardMsg, protobuf):
# field 4, new_session, starts a run; field 6, script_finished, ends it unless its status is 2
# (finished early for a rerun, as st.rerun() does). The data-test-script-state attribute alone
# is not enough: React may draw a quick run's "running" and "notRunning" in one go, and right
# after a click the attribute still says notRunning.
RUN_TRACKER_JS = """
(() => {
  const runs = (window.__runs = {starts: [], ends: [], lastMessage: performance.now()});
  const readVarint = (bytes, pos) => {
    let value = 0, shift = 0, byte;
    do {
      byte = bytes[pos++];
      value += (byte & 0x7f) * 2 ** shift;
      shift += 7;
    } while (byte & 0x80 && pos < bytes.length);
    return [value, pos];
  };
  const inspect = (buffer) => {
    const bytes = new Uint8Array(buffer);
    let pos = 0, key, value;
    while (pos < bytes.length) {
      [key, pos] = readVarint(bytes, pos);
      const field = Math.floor(key / 8), wireType = key & 7;
      if (wireType === 0) {
        [value, pos] = readVarint(bytes, pos);
        if (field === 6 && value !== 2) runs.ends.push(performance.now());
      } else if (wireType === 2) {
        [value, pos] = readVarint(bytes, pos);
        if (field === 4) runs.starts.push(performance.now());
        pos += value;
      } else if (wireType === 1) {
        pos += 8;
      } else if (wireType === 5) {
        pos += 4;
      } else {
        return;
      }
    }
  };
  const NativeWebSocket = window.WebSocket;
  window.WebSocket = class extends NativeWebSocket {
    constructor(...args) {
      super(...args);
      this.addEventListener("message", (event) => {
        runs.lastMessage = performance.now();
        if (event.data instanceof ArrayBuffer) inspect(event.data);
      });
    }
  };
})();
"""
# The app counts as idle once its last run has finished and no message came for QUIET_MS (time
# for the browser to draw what came; far shorter than a script run). Where the app may go on
# running by itself (a page load, a login: its cookie component answers after the page is
# drawn, and each answer makes the app run again), it must be quiet for SETTLE_MS instead.
QUIET_MS = 100
SETTLE_MS = 700
IDLE_JS = """([since, quietMs]) => {
  const runs = window.__runs, app = document.querySelector('[data-testid="stApp"]');
  const started = runs.starts.filter(t => t > since);
  return app !== null
    && app.getAttribute("data-test-connection-state") === "CONNECTED"
    && app.getAttribute("data-test-script-state") === "notRunning"
    && started.length > 0
    && runs.ends.some(t => t > started[started.length - 1])
    && runs.starts[runs.starts.length - 1] === started[started.length - 1]
    && performance.now() - runs.lastMessage > quietMs;
}"""
STATE_JS = """() => {
  const app = document.querySelector('[data-testid="stApp"]');
  const round = (times) => times.map(Math.round);
  return {
    now: Math.round(performance.now()),
    connection: app && app.getAttribute("data-test-connection-state"),
    script: app && app.getAttribute("data-test-script-state"),
    runStarts: round(window.__runs.starts),
    runEnds: round(window.__runs.ends),
    lastMessage: Math.round(window.__runs.lastMessage),
  };
}"""
RUN_STARTED_JS = "since => window.__runs.starts.some(t => t > since)"
ATTEMPTS = 3  # for a click the page may miss while it redraws
RETRY_MS = 4_000  # how long such a click gets to show its effect (a run, a ticked row)
ROW_HEIGHT = 35  # st.dataframe's header and row height, in CSS pixels
ROW_MARKER_X = 18  # the middle of the selection checkbox column, from the grid's left edge


def wait_for_run(page: Page, since: float = -1, quiet_ms: int = QUIET_MS) -> None:
    """Wait until a script run that started after `since` (page time, ms) has finished and the
    app is idle: connected, not running, no message for `quiet_ms`, nothing left loading."""
    try:
        page.wait_for_function(IDLE_JS, arg=[since, quiet_ms], polling=50)
    except PlaywrightTimeoutError:
        state = page.evaluate(STATE_JS)
        raise AssertionError(f"no script run since t={since:.0f} ms finished: {state}") from None
    expect(page.get_by_test_id("stStatusWidget")).to_be_hidden()
    expect(page.get_by_test_id("stSkeleton")).to_have_count(0)


def rerun(page: Page, action: Callable[[], object]) -> None:
    """Do `action`, which makes the app run its script, and wait for that run to finish."""
    since = page.evaluate("performance.now()")
    action()
    wait_for_run(page, since)


def next_frames(page: Page) -> None:
    """Let two animation frames pass (scroll and resize events are dispatched per frame)."""
    page.evaluate("() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")


def scroll_into_view(page: Page, element: Locator, center: bool = False) -> None:
    """Scroll `element` into view (to the middle with `center`) and let the scroll settle."""
    if center:
        element.evaluate("element => element.scrollIntoView({block: 'center'})")
    else:
        element.scroll_into_view_if_needed()
    next_frames(page)


def goto(page: Page, url: str, quiet_ms: int = SETTLE_MS) -> None:
    """Load `url` (a new Streamlit session) and wait for its runs to finish, including the one
    the cookie component's answer makes (a login from the cookie, say)."""
    page.goto(url)
    wait_for_run(page, quiet_ms=quiet_ms)


def run_started(page: Page, since: float, timeout: float = RETRY_MS) -> bool:
    """Whether a script run starts after `since` (page time, ms) within `timeout` ms."""
    try:
        page.wait_for_function(RUN_STARTED_JS, arg=since, timeout=timeout, polling=50)
    except PlaywrightTimeoutError:
        return False
    return True


def click(page: Page, button: Locator) -> None:
    """Click a button and wait for the run it starts.

    Every button press starts a run; when none starts, the click was lost (it came while the
    page was being redrawn, now and then under load) and is repeated.
    """
    since = page.evaluate("performance.now()")
    for _ in range(ATTEMPTS - 1):
        button.click()
        if run_started(page, since):
            break
    else:
        button.click()
    wait_for_run(page, since)


def choose(page: Page, label: str, option: str) -> None:
    """Pick `option` (a substring of its text; not the current choice) in the selectbox or
    multiselect labelled `label`."""
    combobox = page.get_by_role("combobox", name=label, exact=True)
    item = page.get_by_role("option", name=option)
    since = page.evaluate("performance.now()")
    for attempt in range(1, ATTEMPTS + 1):
        # The list closes when the page scrolls, and the scroll event of a click's own
        # scrolling into view can come after the list opened: scroll first, to the middle
        # (so the list below it fits in the view too), then click.
        scroll_into_view(page, combobox, center=True)
        combobox.click()
        try:
            expect(item).to_be_visible(timeout=RETRY_MS)
            item.click(timeout=RETRY_MS)
        except (AssertionError, PlaywrightError):
            if attempt == ATTEMPTS:
                raise
            page.keyboard.press("Escape")
            continue
        if attempt == ATTEMPTS or run_started(page, since):
            break
        page.keyboard.press("Escape")
    wait_for_run(page, since)
    page.keyboard.press("Escape")  # a multiselect keeps its list open


def type_into(page: Page, label: str, text: str) -> None:
    """Type into a text input and press Enter, which sends the value to the app."""
    box = page.get_by_role("textbox", name=label, exact=True)
    box.fill(text)
    rerun(page, lambda: box.press("Enter"))


def grid(page: Page, table: int = 0) -> Locator:
    """The table-th st.dataframe on the page."""
    return page.get_by_test_id("stDataFrame").nth(table)


def grid_rows(page: Page, table: int = 0) -> Locator:
    """The rows of a dataframe's accessible table (hidden inside the canvas; drawn rows only).

    They hold the cells' text and `aria-selected`; expect on them, not on their visibility.
    """
    return grid(page, table).locator("tbody tr")


def select_rows(page: Page, *rows: int, table: int = 0) -> None:
    """Tick the selection checkboxes of `rows` (0 is the first data row) in a dataframe.

    The grid is drawn on a canvas, so its checkbox column is clicked at computed coordinates;
    the grid's accessible table then says whether the row is selected. A click that comes
    while the grid is being drawn again is lost now and then: it is repeated.
    """
    canvas = grid(page, table).get_by_test_id("data-grid-canvas").first
    expect(canvas).to_be_visible()
    for row in rows:
        since = page.evaluate("performance.now()")
        ticked = grid(page, table).locator(f'tbody tr[aria-rowindex="{row + 2}"]')
        # A click toggles: wait out ticks the app has just cleared (the grid follows it late).
        expect(ticked).to_have_attribute("aria-selected", "false")
        for attempt in range(1, ATTEMPTS + 1):
            # To the middle of the view: at its top, Streamlit's header would take the click.
            scroll_into_view(page, canvas, center=True)
            box = canvas.bounding_box()
            assert box is not None
            y = box["y"] + ROW_HEIGHT * (row + 1) + ROW_HEIGHT / 2
            page.mouse.click(box["x"] + ROW_MARKER_X, y)
            try:
                expect(ticked).to_have_attribute("aria-selected", "true", timeout=RETRY_MS)
                break
            except AssertionError:
                if attempt == ATTEMPTS:
                    raise
        wait_for_run(page, since)


def click_cell(page: Page, row: int, x: float, table: int = 0) -> None:
    """Click the cell of `row` (0 is the first data row) at `x` pixels from a dataframe's left
    edge, as a person clicks a row's cell (a cell selection), and wait for the run it starts.

    Drawn on a canvas like the checkboxes (see select_rows); a click that comes while the grid
    is being drawn again is lost now and then: it is repeated when no run starts.
    """
    canvas = grid(page, table).get_by_test_id("data-grid-canvas").first
    expect(canvas).to_be_visible()
    for _ in range(ATTEMPTS):
        since = page.evaluate("performance.now()")
        scroll_into_view(page, canvas, center=True)
        box = canvas.bounding_box()
        assert box is not None
        page.mouse.click(box["x"] + x, box["y"] + ROW_HEIGHT * (row + 1) + ROW_HEIGHT / 2)
        if run_started(page, since):
            break
        # Lost, or taken as focus only: let go of what the grid holds (a run follows when
        # that was a selection the app knew), and click again.
        escaped = page.evaluate("performance.now()")
        page.keyboard.press("Escape")
        if run_started(page, escaped, timeout=QUIET_MS * 10):
            wait_for_run(page, escaped)
    wait_for_run(page, since)


def total_caption(page: Page) -> Locator:
    """The list's "N collaborations · page x of y" caption."""
    return page.get_by_text(re.compile(r"collaborations? · page \d"))


def toast(page: Page, text: str) -> Locator:
    """The toast saying `text` (an earlier one may still be showing beside it)."""
    return page.get_by_test_id("stToast").filter(has_text=text)


def screenshot(page: Page, name: str) -> Path:
    """Save the whole page as test-artifacts/screenshots/<name>.png.

    Streamlit scrolls its main area inside the window, so a full-page screenshot alone stops
    at the window's bottom: the window is made as tall as the content for the picture.
    """
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    wait_for_run(page)
    path = SCREENSHOTS / f"{name}.png"
    window = page.viewport_size
    assert window is not None
    content = page.evaluate(
        "() => (document.querySelector('[data-testid=\"stMain\"]') || document.body).scrollHeight"
    )
    page.set_viewport_size({"width": window["width"], "height": max(window["height"], content)})
    next_frames(page)
    page.screenshot(path=path, full_page=True, animations="disabled")
    page.set_viewport_size(window)
    next_frames(page)
    return path


def fill_login_form(page: Page, url: str, username: str, password: str) -> None:
    """Open `url` (logged out) and submit the login form."""
    goto(page, url, quiet_ms=QUIET_MS)  # a run still to come cannot spoil a form
    form = page.get_by_test_id("stForm")
    form.get_by_role("textbox", name="Username").fill(username)
    form.get_by_role("textbox", name="Password").fill(password)
    click(page, form.get_by_role("button", name="Login"))


def log_in(page: Page, url: str, username: str, password: str) -> None:
    """Open the app at `url`, log in through the form and wait for the Collaborations page and
    for the login cookie (the runs that storing it makes follow the page)."""
    fill_login_form(page, url, username, password)
    heading = page.get_by_role("heading", name="Collaborations", exact=True)
    expect(heading).to_have_count(1)  # not strict: a redrawn page may hold a stale copy a moment
    expect(page.get_by_test_id("stSidebar")).to_contain_text(f"{username.title()} Person")
    page.wait_for_function(f"document.cookie.includes('{COOKIE_NAME}=')")
    wait_for_run(page, quiet_ms=SETTLE_MS)
    expect(heading).to_be_visible()
    expect(total_caption(page)).to_be_visible()
