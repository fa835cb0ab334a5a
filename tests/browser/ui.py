"""Driving a Streamlit app with Playwright: waiting for script runs, widgets, the data grid."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from pathlib import Path

from playwright.sync_api import Download, Locator, Page, expect
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from lib.config import COOKIE_NAME

PROJECT_ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = PROJECT_ROOT / "test-artifacts" / "screenshots"

# Follows the app's script runs in the messages the server sends (a ForwardMsg, protobuf):
# field 4, new_session, starts a run; field 6, script_finished, ends it unless its status is 2
# (finished early for a rerun, as st.rerun() does). The data-test-script-state attribute alone
# is not enough: React may draw a quick run's "running" and "notRunning" in one go, and right
# after a click the attribute still says notRunning.
# It also records what the browser sends (a BackMsg): field 11, rerun_script, is the request a
# click, a pick or a component's value makes. That the request went out says the page took the
# click, however long a loaded server then takes to start the run.
# A component (the login cookie's) sends its value once its iframe has loaded, after the run
# that drew it, and that makes the app run again: the app is not idle before every component
# iframe on the page has sent its value and a run started after the last value sent.
# And it records every toast the app sends (field 5, delta, holding a toast element): a toast
# goes away by itself 4 s after it shows, which on a loaded machine can pass before the run
# that showed it has even finished, and a toast saying the same words as one still showing
# adds no element to the page (Streamlit keeps the one showing).
RUN_TRACKER_JS = r"""
(() => {
  const runs = (window.__runs = {
    starts: [], ends: [], requests: [], toasts: [], reports: [], lastMessage: performance.now(),
    lastAction: 0,
  });
  runs.reported = new WeakSet();  // the windows of component iframes that sent their value
  window.addEventListener("message", (event) => {
    const data = event.data;
    if (data && data.isStreamlitMessage && data.type === "streamlit:setComponentValue") {
      runs.reported.add(event.source);
      runs.reports.push(performance.now());
    }
  });
  const readVarint = (bytes, pos) => {
    let value = 0, shift = 0, byte;
    do {
      byte = bytes[pos++];
      value += (byte & 0x7f) * 2 ** shift;
      shift += 7;
    } while (byte & 0x80 && pos < bytes.length);
    return [value, pos];
  };
  // Calls visit(field, wireType, value, from, to) for each field of the message in
  // bytes[start:end] (for a length-delimited field, value is its length, from/to its bytes).
  const fields = (bytes, start, end, visit) => {
    let pos = start, key, value;
    while (pos < end) {
      [key, pos] = readVarint(bytes, pos);
      const field = Math.floor(key / 8), wireType = key & 7;
      if (wireType === 0) {
        [value, pos] = readVarint(bytes, pos);
        visit(field, wireType, value);
      } else if (wireType === 2) {
        [value, pos] = readVarint(bytes, pos);
        visit(field, wireType, value, pos, pos + value);
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
  const inside = (bytes, start, end, wanted, visit) => fields(bytes, start, end,
    (field, wireType, value, from, to) => {
      if (field === wanted && wireType === 2) visit(from, to);
    });
  // A toast's body is markdown; lib.web.as_text puts single characters in :color[...] and
  // escapes punctuation with a backslash. Undone, the body reads as the toast shows it.
  const asShown = (body) => body.replace(/:color\[((?:\\.|[^\]\\])*)\]/g, "$1")
    .replace(/\\([!-\/:-@\[-`{-~])/g, "$1");
  const decoder = new TextDecoder();
  // ForwardMsg.delta (5) > Delta.new_element (3), or new_transient (9) > Transient.elements
  // (1) > Element.toast (50) > Toast.body (1).
  const recordToasts = (bytes, from, to) => {
    const element = (start, end) => inside(bytes, start, end, 50, (toastFrom, toastTo) =>
      inside(bytes, toastFrom, toastTo, 1, (bodyFrom, bodyTo) => runs.toasts.push({
        at: performance.now(), text: asShown(decoder.decode(bytes.subarray(bodyFrom, bodyTo))),
      })));
    inside(bytes, from, to, 3, element);
    inside(bytes, from, to, 9, (start, end) => inside(bytes, start, end, 1, element));
  };
  const inspect = (buffer) => {
    const bytes = new Uint8Array(buffer);
    fields(bytes, 0, bytes.length, (field, wireType, value, from, to) => {
      if (field === 6 && wireType === 0 && value !== 2) runs.ends.push(performance.now());
      if (field === 4 && wireType === 2) runs.starts.push(performance.now());
      if (field === 5 && wireType === 2) recordToasts(bytes, from, to);
    });
  };
  const isRerunRequest = (data) => {
    const bytes = data instanceof ArrayBuffer ? new Uint8Array(data)
      : ArrayBuffer.isView(data) ? new Uint8Array(data.buffer, data.byteOffset, data.byteLength)
      : null;
    return bytes !== null && bytes.length > 0 && Math.floor(readVarint(bytes, 0)[0] / 8) === 11;
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
    send(data) {
      if (isRerunRequest(data)) runs.requests.push(performance.now());
      return super.send(data);
    }
  };
})();
"""
# The app counts as idle once its last run has finished, every component has sent its value
# (and the run that value makes has finished) and no message came for QUIET_MS (time for the
# browser to draw what came; far shorter than a script run). Where the app may go on running
# by itself for a reason the page does not show (after a login the cookie component may send
# the new cookie once more when the page around it changes), it must be quiet for SETTLE_MS.
QUIET_MS = 100
SETTLE_MS = 700
IDLE_JS = """([since, quietMs]) => {
  const runs = window.__runs, app = document.querySelector('[data-testid="stApp"]');
  const started = runs.starts.filter(t => t > since);
  const components = [...document.querySelectorAll('iframe[src*="/component/"]')];
  const lastStart = runs.starts[runs.starts.length - 1];
  return app !== null
    && app.getAttribute("data-test-connection-state") === "CONNECTED"
    && app.getAttribute("data-test-script-state") === "notRunning"
    && started.length > 0
    && runs.ends.some(t => t > started[started.length - 1])
    && lastStart === started[started.length - 1]
    && components.every(frame => runs.reported.has(frame.contentWindow))
    && runs.reports.every(t => t < lastStart)
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
    requests: round(window.__runs.requests),
    componentValues: round(window.__runs.reports),
    components: document.querySelectorAll('iframe[src*="/component/"]').length,
    lastMessage: Math.round(window.__runs.lastMessage),
  };
}"""
REQUEST_SENT_JS = "since => window.__runs.requests.some(t => t > since)"
ATTEMPTS = 3  # for a click the page may miss while it redraws
# How long the browser gets to react to a click by itself (a list opening, a request sent):
# the page's own work, never a wait for the server, so a loaded server cannot make a click
# that was taken look lost (and be made twice).
RETRY_MS = 4_000
REACTION_MS = 10_000
TIMEOUT_S = 60  # for a file the server builds when asked, on a loaded machine
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


def start_action(page: Page) -> float:
    """The page's time now (ms), noted as the start of a test's action (see expect_toast)."""
    return page.evaluate("window.__runs.lastAction = performance.now()")


def rerun(page: Page, action: Callable[[], object]) -> None:
    """Do `action`, which makes the app run its script, and wait for that run to finish."""
    since = start_action(page)
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


def request_sent(page: Page, since: float, timeout: float = REACTION_MS) -> bool:
    """Whether the page asked the app for a run (a click, a pick, a component's value) after
    `since` (page time, ms), within `timeout` ms. The page sends the request as soon as it
    takes the click: how busy the server is does not matter."""
    try:
        page.wait_for_function(REQUEST_SENT_JS, arg=since, timeout=timeout, polling=50)
    except PlaywrightTimeoutError:
        return False
    return True


def click(page: Page, button: Locator) -> None:
    """Click a button and wait for the run it starts.

    Every button press sends the app a request for a run; when none goes out, the click was
    lost (it came while the page was being redrawn, now and then under load) and is repeated.
    A slow server is no reason to repeat it: a second press would be a second action.
    """
    since = start_action(page)
    for attempt in range(1, ATTEMPTS + 1):
        button.click()
        if attempt == ATTEMPTS or request_sent(page, since):
            break
    wait_for_run(page, since)


def close_list(combobox: Locator) -> None:
    """Close the option list of a selectbox or multiselect, if it is open, without changing
    the choice. Not with Escape: on a clearable selectbox (index=None) whose list is already
    closed, Escape clears the choice and the app runs again."""
    combobox.evaluate("element => element.blur()")
    expect(combobox).to_have_attribute("aria-expanded", "false")


def choose(page: Page, label: str, option: str) -> None:
    """Pick `option` (a substring of its text; not the current choice) in the selectbox or
    multiselect labelled `label`, wait for the run it makes, and close the list."""
    combobox = page.get_by_role("combobox", name=label, exact=True)
    item = page.get_by_role("option", name=option)
    since = start_action(page)
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
            close_list(combobox)
            continue
        if attempt == ATTEMPTS or request_sent(page, since):
            break
        close_list(combobox)
    wait_for_run(page, since)
    close_list(combobox)  # a multiselect keeps its list open


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
    """Tick the selection checkboxes of `rows` (0 is the first data row) in the table-th
    dataframe of the page (see tick_rows)."""
    tick_rows(page, grid(page, table), *rows)


def tick_rows(page: Page, table: Locator, *rows: int) -> None:
    """Tick the selection checkboxes of `rows` (0 is the first data row) in the dataframe
    `table`, one after the other, each with the run it makes.

    The grid is drawn on a canvas, so its checkbox column is clicked at computed coordinates;
    the grid's accessible table then says whether the row is selected. A click that comes
    while the grid is being drawn again is lost now and then: it is repeated when the page
    sent no request for a run (a click toggles: one that was taken must not be repeated).
    """
    canvas = table.get_by_test_id("data-grid-canvas").first
    expect(canvas).to_be_visible()
    for row in rows:
        since = start_action(page)
        ticked = table.locator(f'tbody tr[aria-rowindex="{row + 2}"]')
        # A click toggles: wait out ticks the app has just cleared (the grid follows it late).
        expect(ticked).to_have_attribute("aria-selected", "false")
        for attempt in range(1, ATTEMPTS + 1):
            # To the middle of the view: at its top, Streamlit's header would take the click.
            scroll_into_view(page, canvas, center=True)
            box = canvas.bounding_box()
            assert box is not None
            y = box["y"] + ROW_HEIGHT * (row + 1) + ROW_HEIGHT / 2
            page.mouse.click(box["x"] + ROW_MARKER_X, y)
            if attempt == ATTEMPTS or request_sent(page, since):
                break
        wait_for_run(page, since)
        expect(ticked).to_have_attribute("aria-selected", "true")


def click_cell(page: Page, row: int | Locator, x: float, table: int = 0) -> None:
    """Click the cell of `row` at `x` pixels from a dataframe's left edge, as a person clicks a
    row's cell (a cell selection), and wait for the run it starts. `row` is a position (0 is
    the first data row) or a row of grid_rows, whose position is read at each attempt: right
    after a rerun (a search) the grid may still hold the rows it had before.

    Drawn on a canvas like the checkboxes (see select_rows); a click that comes while the grid
    is being drawn again is lost now and then: it is repeated when the page sent no
    request for a run.
    """
    canvas = grid(page, table).get_by_test_id("data-grid-canvas").first
    expect(canvas).to_be_visible()
    for _ in range(ATTEMPTS):
        position = row if isinstance(row, int) else row_position(row)
        since = start_action(page)
        scroll_into_view(page, canvas, center=True)
        box = canvas.bounding_box()
        assert box is not None
        page.mouse.click(box["x"] + x, box["y"] + ROW_HEIGHT * (position + 1) + ROW_HEIGHT / 2)
        if request_sent(page, since):
            break
        # Lost, or taken as focus only: let go of what the grid holds (a run follows when
        # that was a selection the app knew), and click again.
        escaped = page.evaluate("performance.now()")
        page.keyboard.press("Escape")
        if request_sent(page, escaped, timeout=QUIET_MS * 10):
            wait_for_run(page, escaped)
    wait_for_run(page, since)


def download(page: Page, button: Locator) -> Download:
    """Click a download button and return the download the browser started.

    A click is taken when the download starts or the button turns disabled: the server is
    building the file (built when clicked), however long a loaded server takes, and a second
    click would wait for it. A click that comes while the page redraws the button does
    neither; it is made again."""
    started: list[Download] = []

    def collect(download: Download) -> None:  # a function: Playwright wraps its listeners
        started.append(download)

    page.on("download", collect)
    try:
        for _ in range(ATTEMPTS):
            button.click()
            if _download_taken(page, button, started):
                break
        # The error Streamlit shows under the button when building the file failed.
        failed = page.get_by_test_id("stDownloadButtonError")
        deadline = time.monotonic() + TIMEOUT_S
        while not started and time.monotonic() < deadline:
            assert failed.count() == 0, f"the download failed: {failed.first.inner_text()}"
            page.wait_for_timeout(100)  # polling interval: the event comes from the browser
    finally:
        page.remove_listener("download", collect)
    assert started, f"no download started within {TIMEOUT_S} s"
    return started[0]


def _download_taken(page: Page, button: Locator, started: list[Download]) -> bool:
    deadline = time.monotonic() + REACTION_MS / 1000
    while time.monotonic() < deadline:
        if started or button.is_disabled():
            return True
        page.wait_for_timeout(50)
    return False


def row_position(row: Locator) -> int:
    """The position of a grid_rows row among the data rows (0 is the first)."""
    expect(row).to_have_count(1)
    return int(row.get_attribute("aria-rowindex") or 0) - 2


def total_caption(page: Page) -> Locator:
    """The list's "N collaborations · page x of y" caption."""
    return page.get_by_text(re.compile(r"collaborations? · page \d"))


def toast(page: Page, text: str) -> Locator:
    """The toast saying `text` (an earlier one may still be showing beside it)."""
    return page.get_by_test_id("stToast").filter(has_text=text)


# A toast saying the text came after the test's last action.
TOAST_SENT_JS = """text => {
  const runs = window.__runs;
  return runs.toasts.some(t => t.at >= runs.lastAction && t.text.includes(text));
}"""


def expect_toast(page: Page, text: str) -> None:
    """Assert that the app sent a toast saying `text` after the last action (a click, a
    choice: see start_action).

    Not the toast on the page: it goes away 4 s after it appears, and it appears while its
    run goes on (drawing the page can take longer than that on a loaded machine), so whether
    it still shows once the run has finished is a race; and the same words as a toast still
    showing make no new one. The page's record of the toasts the app sent is asked instead.
    """
    try:
        page.wait_for_function(TOAST_SENT_JS, arg=text, polling=50)
    except PlaywrightTimeoutError:
        sent = page.evaluate("window.__runs.toasts.map(t => [Math.round(t.at), t.text])")
        last = page.evaluate("Math.round(window.__runs.lastAction)")
        raise AssertionError(
            f"no toast saying {text!r} after the last action (t={last} ms); toasts: {sent}"
        ) from None


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
