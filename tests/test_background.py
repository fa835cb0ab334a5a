"""Slow reads (lib.web.background): the Progress charts and the SQL console's first snapshot
run on a background worker; a page waits for them only half a second, shows what is being
counted (or the last figures, with their time) and reruns itself once they are done.

The reads are held back here by an Event, so each step is seen for sure, however fast the
machine: the page's wait is set to nothing (tests/conftest.py's `app` waits to the end)."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from typing import Any

import duckdb
import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from lib import collaborations, progress, snapshots, web
from lib.db import Database
from lib.models import Role, User
from lib.web import background
from tests.conftest import World, assert_ok, login, texts
from tests.test_progress_page import chart_data, chart_of, charts

history = pytest.importorskip("tests.test_progress").history


class Gate:
    """Wraps a read so that it waits until `open()`; counts its calls."""

    def __init__(self, real: Callable[..., Any]) -> None:
        self.real, self.calls = real, 0
        self.go = threading.Event()

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        self.calls += 1
        assert self.go.wait(60), "the test never let the read go"
        return self.real(*args, **kwargs)

    def open(self) -> None:
        self.go.set()


@pytest.fixture
def no_wait(app: AppTest, monkeypatch: pytest.MonkeyPatch) -> Iterator[AppTest]:
    monkeypatch.setenv(background.WAIT_ENV, "0")
    yield app
    background._reads.clear()  # a fresh worker and no kept figures for the next test


def gate(monkeypatch: pytest.MonkeyPatch, owner: Any, name: str) -> Gate:
    real = getattr(owner, name)
    held = Gate(real)
    held.__module__, held.__qualname__ = real.__module__, real.__qualname__  # type: ignore
    monkeypatch.setattr(owner, name, held)
    return held


def settle() -> None:
    """Wait for the worker to finish what it was given."""
    background.background_reads().wait_idle(timeout=60)


def open_page(app: AppTest, page: str) -> AppTest:
    login(app, "viewer")
    return app.switch_page(f"pages/{page}.py").run()


def statuses(frame: pd.DataFrame) -> dict[str, int]:
    last = frame[frame["week"] == frame["week"].max()]
    return dict(zip(last["status"], last["collaborations"].astype(int), strict=True))


def test_the_page_says_what_it_counts_then_shows_it(
    no_wait: AppTest, history: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = no_wait
    weekly = gate(monkeypatch, progress, "status_totals_by_week")
    open_page(app, "progress")
    assert_ok(app)
    counting = [s.label for s in app.status if "Counting" in s.label]
    # the other two wait behind it: one read at a time
    assert counting == [f"Counting {what} over every campaign: it shows here by itself in a few"
                        " seconds." for what in ("week by week", "the funnel",
                                                 "the days per stage")]
    assert charts(app) == []
    assert texts(app.title) == ["Progress"]  # the rest of the page is there meanwhile
    weekly.open()
    settle()
    app.run()  # what the page's polling fragment does once the read is done
    assert_ok(app)
    assert [s for s in app.status if "Counting" in s.label] == []
    assert len(charts(app)) == 3 and weekly.calls == 1
    app.run()  # kept: no second read until the data changes
    assert weekly.calls == 1


def test_after_a_write_the_last_figures_show_with_their_time_until_the_new_ones(
    no_wait: AppTest, db: Database, history: World, people: dict[Role, User],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    app = no_wait
    weekly = gate(monkeypatch, progress, "status_totals_by_week")
    weekly.open()
    open_page(app, "progress")
    settle()
    app.run()
    before = statuses(chart_data(chart_of(app, "week")))
    collab_id, version = db.one(
        "SELECT id, version FROM collaborations WHERE status = 'pending' ORDER BY id LIMIT 1")
    collaborations.change_status(db, people[Role.STAFF], collab_id, version, "negotiating")
    weekly.go.clear()  # the new count waits
    app.run()
    assert_ok(app)
    assert statuses(chart_data(chart_of(app, "week"))) == before  # the last figures...
    notes = [c.value for c in app.caption if c.value.startswith("As of ")]
    assert len(notes) == 3  # each chart's figures wait behind the weekly read, and say so
    assert all(n.endswith("UTC; newer figures are being counted and will show here by"
                          " themselves.") for n in notes)
    weekly.open()
    settle()
    app.run()
    after = statuses(chart_data(chart_of(app, "week")))
    assert after["pending"] == before["pending"] - 1
    assert after["negotiating"] == before.get("negotiating", 0) + 1
    assert [c for c in app.caption if c.value.startswith("As of ")] == []


def test_a_refusal_from_a_background_read_is_a_message(
    no_wait: AppTest, history: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    import datetime as dt

    app = no_wait
    open_page(app, "progress")
    settle()
    app.date_input(key="progress_dates").set_value((dt.date(2026, 3, 5), dt.date(2026, 3, 4)))
    app.run()
    settle()
    app.run()
    assert not app.exception  # no traceback
    errors = [e.value for e in app.error]
    assert errors and all("before it starts" in e for e in errors)


def out_of_memory(*args: Any, **kwargs: Any) -> None:
    raise duckdb.OutOfMemoryException("Out of Memory Error: failed to allocate data of size 8 MiB")


def test_a_read_too_big_for_memory_says_how_to_narrow_it_and_is_not_retried_at_once(
    no_wait: AppTest, history: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """At 10M collaborations the progress over every campaign can outgrow the app's DuckDB
    memory even spilling: the page says what to do, and the next reruns do not start it again."""
    app = no_wait
    weekly = gate(monkeypatch, progress, "status_totals_by_week")
    weekly.real = out_of_memory
    weekly.open()
    open_page(app, "progress")
    settle()
    app.run()
    assert not app.exception
    assert [e.value for e in app.error] == []  # not "Something went wrong"
    warnings = [w.value for w in app.warning]
    assert any(w.startswith("This needs more memory than the app may use (512 MB).")
               and "COLLABDESK_DUCKDB_MEMORY_MB" in w for w in warnings), warnings
    assert len(charts(app)) == 2  # the funnel and the stages still show
    app.run()
    settle()
    app.run()
    assert weekly.calls == 1  # kept until the data changes, like a finished read


def test_the_console_takes_its_first_snapshot_in_the_background(
    no_wait: AppTest, db: Database, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = no_wait
    take = gate(monkeypatch, snapshots, "take_snapshot")
    open_page(app, "sql_console")
    assert_ok(app)
    [status] = [s.label for s in app.status if "first snapshot" in s.label]
    assert status.startswith("Taking the first snapshot of the data for the console")
    assert list(app.text_area) == []  # no editor before there is data to query
    take.open()
    settle()
    app.run()
    assert_ok(app)
    assert [t.label for t in app.text_area] == ["SQL query"]
    assert snapshots.latest_snapshot(snapshots.root_of(db), db.identity) is not None
    assert take.calls == 1


def test_a_finished_read_is_kept_until_the_next_write(
    db: Database, world: World, people: dict[Role, User], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Outside a page (no script run): the read waits its full time and is kept by key."""
    monkeypatch.setenv("COLLABDESK_DB", str(db.path))
    monkeypatch.setenv(background.WAIT_ENV, "60")
    weekly = gate(monkeypatch, progress, "status_totals_by_week")
    weekly.open()
    spring = world.campaigns["Spring"]
    try:
        first = web.slow_frame(progress.status_totals_by_week, "counting", campaign_id=spring)
        again = web.slow_frame(progress.status_totals_by_week, "counting", campaign_id=spring)
        assert weekly.calls == 1 and again.equals(first)
        collab_id, version = db.one(
            "SELECT id, version FROM collaborations WHERE campaign_id = ? AND status ="
            " 'pending' LIMIT 1", [spring])
        collaborations.change_status(db, people[Role.STAFF], collab_id, version, "negotiating")
        after = web.slow_frame(progress.status_totals_by_week, "counting", campaign_id=spring)
        assert weekly.calls == 2
        assert statuses(after)["negotiating"] == statuses(first).get("negotiating", 0) + 1
    finally:
        web._open.clear()
        background._reads.clear()
