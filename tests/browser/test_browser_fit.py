"""Issue 15.7, screens that fit: every page at 1366x768, on the demo data staff see after
`make run` (about 1,000 collaborations, conversations, feedback, shipments).

For each page: its main content (the table or form a person came for) starts in the first
screen, the page is at most three screens tall, nothing spills sideways, and no button or label
is cut or broken over lines. Each page's screenshot (the first screen, as a person sees it) is
saved in test-artifacts/screenshots/pages/, the folder CI keeps.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from lib import demo, reviewers, users
from lib.db import Database
from lib.models import Role
from tests.browser import ui
from tests.browser.conftest import AppServer, Seed, new_tab
from tests.conftest import PASSWORD

SCREEN = {"width": 1366, "height": 768}
PAGE_SHOTS = ui.SCREENSHOTS / "pages"
# The main content's top edge may sit this far down: a table's header and two rows (35 px
# each) still show above the fold.
MAIN_TOP_MAX = SCREEN["height"] - 3 * ui.ROW_HEIGHT
TALLEST = 3 * SCREEN["height"]  # scroll height of the main area, in CSS pixels


@dataclass(frozen=True)
class Screen:
    name: str  # the screenshot's file name
    path: str  # the address, with its query string
    main: str  # CSS selector of the page's main content; its first drawn match is checked


DATAFRAME = '[data-testid="stDataFrame"]'
SCREENS = [
    Screen("01-collaborations", "/collaborations", DATAFRAME),
    Screen("02-collaboration", "/collaboration?id=1", '[data-testid="stTabs"]'),
    Screen("03-campaigns", "/campaigns", DATAFRAME),
    Screen("04-campaign", "/campaigns?campaign=1", '[data-testid="stTabs"]'),
    Screen("05-progress", "/progress", '[data-testid="stVegaLiteChart"]'),
    Screen("06-deliveries", "/deliveries", DATAFRAME),
    Screen("07-feedback", "/feedback?campaign=1", '[data-testid="stTabs"]'),
    Screen("08-inbox", "/inbox", DATAFRAME),
    Screen("09-inbox-thread", "/inbox?creator=1", '[data-testid="stForm"]'),
    Screen("10-reports", "/reports", DATAFRAME),
    Screen("11-sql-console", "/sql-console", '[data-testid="stForm"]'),
    Screen("12-imports", "/imports", '[data-testid="stFileUploader"]'),
    Screen("13-users", "/users", DATAFRAME),
    Screen("14-notifications", "/notifications", '[data-testid="stMainBlockContainer"] h1'),
]

# What the page looks like from its main area: sizes, and every control whose text does not
# fit its box (overflowing, cut with an ellipsis, or broken over two lines).
MEASURE_JS = """(selector) => {
  const main = document.querySelector('[data-testid="stMain"]');
  // Drawn: with a size, and not hidden (a closed expander's content keeps its size).
  const drawn = (el) => el.getBoundingClientRect().height > 0
    && el.checkVisibility({visibilityProperty: true, opacityProperty: true});
  const target = [...main.querySelectorAll(selector)].find(drawn) || null;  // the first one
  const cut = [];
  const oneLine = (el) => {
    const style = getComputedStyle(el);
    const line = parseFloat(style.lineHeight) || 1.6 * parseFloat(style.fontSize);
    return el.getBoundingClientRect().height <= 1.5 * line;
  };
  const texts = main.querySelectorAll(
    'button p, [data-testid="stWidgetLabel"] p, [data-testid="stTab"] p,'
    + ' [data-baseweb="select"] [value], [data-testid="stMetricLabel"] p');
  for (const el of texts) {
    const box = el.getBoundingClientRect();
    if (!box.width || !drawn(el)) continue;  // not drawn (a closed expander, another tab)
    if (el.scrollWidth > el.clientWidth + 1 || !oneLine(el)) {
      cut.push(`${(el.innerText || el.getAttribute('value') || '').slice(0, 50)}`
               + ` (${Math.round(box.width)}x${Math.round(box.height)})`);
    }
  }
  return {
    height: main.scrollHeight,
    overflow: main.scrollWidth - main.clientWidth,
    mainTop: target === null ? null : Math.round(target.getBoundingClientRect().top),
    cut,
  };
}"""


@pytest.fixture(scope="module")
def demo_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[AppServer, str]]:
    """A server over the demo data, with an admin who logs in with PASSWORD, and a
    reviewer's link (the one page a person reaches without an account)."""
    path = tmp_path_factory.mktemp("demo") / "demo.duckdb"
    db = Database(path)
    try:
        demo.build_demo(db, collaborations=1000, seed=42)
        admin = users.add_user(db, users.CLI_ADMIN, "admin", "Admin Person", Role.ADMIN,
                               PASSWORD)
        reviewer_id = int(db.value("SELECT min(id) FROM reviewers"))
        link = reviewers.regenerate_link(db, admin, reviewer_id, settings=lambda: None,
                                         base_url="http://review.invalid").link
    finally:
        db.close()
    server = AppServer(Seed(path, {}, {}), tmp_path_factory.mktemp("demo-app")).start()
    yield server, link.split("?", 1)[1]
    server.stop()


@pytest.fixture
def screen(browser: Browser) -> Iterator[Page]:
    with new_tab(browser, SCREEN) as tab:
        yield tab


def _save(page: Page, name: str) -> Path:
    PAGE_SHOTS.mkdir(parents=True, exist_ok=True)
    shot = PAGE_SHOTS / f"{name}.png"
    page.screenshot(path=shot)
    return shot


def _check_fits(page: Page, screen: Screen) -> list[str]:
    """What does not fit on `screen`'s page, in words (empty when everything fits)."""
    measured = page.evaluate(MEASURE_JS, screen.main)
    problems = []
    if measured["mainTop"] is None:
        problems.append(f"no {screen.main} on the page")
    elif measured["mainTop"] > MAIN_TOP_MAX:
        problems.append(f"main content starts {measured['mainTop']} px down (> {MAIN_TOP_MAX})")
    if measured["height"] > TALLEST:
        problems.append(f"page is {measured['height']} px tall (> {TALLEST})")
    if measured["overflow"] > 0:
        problems.append(f"spills {measured['overflow']} px sideways")
    problems += [f"cut: {text}" for text in measured["cut"]]
    return [f"{screen.path}: {problem}" for problem in problems]


def test_every_page_fits_a_laptop_screen(
    demo_app: tuple[AppServer, str], screen: Page
) -> None:
    server, _ = demo_app
    ui.log_in(screen, server.url, "admin", PASSWORD)
    problems = []
    for page_screen in SCREENS:
        ui.goto(screen, server.url + page_screen.path)
        _save(screen, page_screen.name)
        problems += _check_fits(screen, page_screen)
    assert not problems, "\n".join(problems)


def test_login_and_reviewer_pages_fit(demo_app: tuple[AppServer, str], screen: Page) -> None:
    server, review_query = demo_app
    ui.goto(screen, server.url)
    expect(screen.get_by_role("button", name="Login")).to_be_visible()
    _save(screen, "00-login")
    problems = _check_fits(screen, Screen("00-login", "/", '[data-testid="stForm"]'))
    ui.goto(screen, f"{server.url}/review?{review_query}")
    expect(screen.get_by_text(re.compile("feedback", re.I)).first).to_be_visible()
    _save(screen, "15-review")
    problems += _check_fits(screen, Screen("15-review", "/review", "h1"))
    assert not problems, "\n".join(problems)
