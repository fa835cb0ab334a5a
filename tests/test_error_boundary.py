"""No traceback on any page (issue 13, point 7), through the real app.py under AppTest.

A service that raises what no page handles (a DuckDB error, RecursionError, Arrow, csv, a
plain ValueError) lands in app.py's error boundary: no exception element, a plain message with
a short reference, and the server log holding that reference with the traceback. Streamlit's
own flow control (st.stop, st.rerun, st.switch_page) is not caught. Uploads and queries get a
message that says what to change for each known failure class, and nothing is written.
"""

from __future__ import annotations

import csv
import logging
import re
import zipfile
from collections.abc import Callable

import duckdb
import pyarrow as pa
import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from lib import collaborations, console, imports, reviewers, web
from lib.db import Database
from lib.models import Role, User
from tests.conftest import World, labelled, login, texts
from tests.test_console import open_console, run_on_page
from tests.test_imports import CREATORS_HEADER, counts, csv_bytes, open_imports

BOUNDARY = re.compile(
    r"^Something went wrong on this page\. Give this reference to an admin: ([0-9a-f]{6})\.$"
)
REFERENCE = re.compile(r"\(Reference: ([0-9a-f]{6})\.\)$")

FAILURES: list[BaseException] = [
    duckdb.Error("Catalog Error: Table with name collaborations does not exist!"),
    duckdb.OutOfMemoryException("Out of Memory Error: failed to allocate data of size 2.0 GiB"),
    RecursionError("maximum recursion depth exceeded"),
    pa.ArrowInvalid("Could not convert 'x' with type str: tried to convert to int64"),
    csv.Error("field larger than field limit (131072)"),
    ValueError("invalid literal for int() with base 10: 'abc'"),
]


def raising(error: BaseException) -> Callable[..., object]:
    def fail(*args: object, **kwargs: object) -> object:
        raise error

    return fail


def the_reference(at: AppTest) -> str:
    """The reference of the boundary's one message (and no exception element)."""
    assert not at.exception, [e.message for e in at.exception]
    shown = [m for m in texts(at.error) if BOUNDARY.match(m)]
    assert len(shown) == 1, texts(at.error)
    return BOUNDARY.match(shown[0]).group(1)


def assert_logged(caplog: pytest.LogCaptureFixture, reference: str, error: BaseException) -> None:
    """The log holds the reference with the exception's traceback."""
    [record] = [r for r in caplog.records if reference in r.getMessage()]
    assert record.levelno >= logging.WARNING
    assert record.exc_info is not None and record.exc_info[1] is error
    assert "Traceback (most recent call last)" in caplog.text
    assert type(error).__name__ in caplog.text


def no_traceback_shown(at: AppTest) -> None:
    everything = "\n".join(str(e.value) for kind in ("error", "markdown", "text", "caption")
                           for e in getattr(at, kind))
    assert "Traceback" not in everything and 'File "' not in everything


@pytest.mark.parametrize("error", FAILURES, ids=lambda e: type(e).__name__)
def test_a_failing_service_shows_a_reference_and_logs_the_traceback(
    app: AppTest, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture,
    error: BaseException,
) -> None:
    monkeypatch.setattr(collaborations, "list_collaborations", raising(error))
    caplog.set_level(logging.WARNING)
    login(app, "staff")  # the collaborations list is the first page
    reference = the_reference(app)
    assert_logged(caplog, reference, error)
    no_traceback_shown(app)
    assert str(error) not in "\n".join(texts(app.error))  # the raw text stays in the log
    assert labelled(app.sidebar.button, "Log out")  # the rest of the app is still there


PAGE_FILES = ["pages/collaborations.py", "pages/collaboration.py", "pages/campaigns.py",
              "pages/progress.py", "pages/deliveries.py", "pages/feedback.py", "pages/inbox.py",
              "pages/reports.py", "pages/sql_console.py", "pages/imports.py", "pages/users.py",
              "pages/notifications.py"]


def test_every_page_runs_inside_the_boundary(
    app: AppTest, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    login(app, "admin")  # sees every page
    caplog.set_level(logging.WARNING)
    error = RuntimeError("a page's bug")
    # Every page asks for its user first thing: make that fail on every page.
    monkeypatch.setattr(web, "current_user", raising(error))
    monkeypatch.setattr(web, "require_page_role", raising(error))
    seen = set()
    for page in PAGE_FILES:
        app.switch_page(page).run()
        reference = the_reference(app)
        assert_logged(caplog, reference, error)
        seen.add(reference)
        caplog.clear()
    assert len(seen) == len(PAGE_FILES)  # a reference per failure


def test_the_reviewer_page_has_the_boundary_too(
    app: AppTest, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture,
    db: Database, world: World, people: dict[Role, User],
) -> None:
    from tests.test_reviewers_page import invite, open_review

    token = invite(db, people[Role.MANAGER], world.campaigns["Spring"], "anna@client.test")
    error = duckdb.IOException("IO Error: Could not read from file")
    monkeypatch.setattr(reviewers, "open_link", raising(error))
    caplog.set_level(logging.WARNING)
    at = open_review(app, token)
    assert_logged(caplog, the_reference(at), error)
    no_traceback_shown(at)
    assert not at.sidebar.button and not at.sidebar.markdown  # still the reviewer's page alone


# --- Streamlit's flow control passes through -------------------------------------------------


def test_st_stop_inside_a_page_is_not_caught(app: AppTest, monkeypatch: pytest.MonkeyPatch):
    def stop(*args: object, **kwargs: object) -> object:
        st.stop()

    monkeypatch.setattr(collaborations, "list_collaborations", stop)
    login(app, "staff")
    assert not app.exception and not app.error  # stopped quietly, as st.stop does
    assert labelled(app.sidebar.button, "Log out")


def test_st_rerun_inside_a_page_reruns(app: AppTest, monkeypatch: pytest.MonkeyPatch):
    real = collaborations.list_collaborations
    calls: list[int] = []

    def rerun_once(*args: object, **kwargs: object) -> object:
        calls.append(1)
        if len(calls) == 1:
            st.rerun()
        return real(*args, **kwargs)

    monkeypatch.setattr(collaborations, "list_collaborations", rerun_once)
    login(app, "staff")
    assert len(calls) >= 2  # the rerun happened: st.rerun was not swallowed
    assert not app.exception and not app.error
    assert texts(app.title) == ["Collaborations"]


def test_st_switch_page_inside_a_page_switches(app: AppTest, monkeypatch: pytest.MonkeyPatch):
    def to_inbox(*args: object, **kwargs: object) -> object:
        st.switch_page("pages/inbox.py")

    monkeypatch.setattr(collaborations, "list_collaborations", to_inbox)
    login(app, "staff")
    assert not app.exception and not app.error
    assert texts(app.title) == ["Inbox"]


# --- uploads and queries: a message that says what to change ------------------------------------

UPLOAD_FAILURES: list[tuple[BaseException, str]] = [
    (csv.Error("line contains NUL"), "The file is not CSV that can be read. Save it again"),
    (UnicodeDecodeError("utf-8", b"\xff", 0, 1, "invalid start byte"),
     "The file holds text that is not UTF-8."),
    (zipfile.BadZipFile("File is not a zip file"), "The file is not a readable .xlsx workbook."),
    (pa.ArrowInvalid("Could not convert"), "Make each column hold one kind of value"),
    (RecursionError(), "The file is nested too deeply to be read."),
    (MemoryError(), "The file needs more memory than the app allows. Upload a smaller file"),
    (duckdb.ConversionException("Could not convert string"),
     "The file holds a value that does not fit its type."),
]


@pytest.mark.parametrize(("error", "advice"), UPLOAD_FAILURES,
                         ids=[type(e).__name__ for e, _ in UPLOAD_FAILURES])
def test_an_upload_that_breaks_a_reader_says_what_to_change(
    app: AppTest, db: Database, monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture, error: BaseException, advice: str,
) -> None:
    open_imports(app)
    monkeypatch.setattr(imports, "preview", raising(error))
    caplog.set_level(logging.WARNING)
    before = counts(db)
    app.get("file_uploader")[0].upload(
        "creators.csv", csv_bytes(CREATORS_HEADER, "New One,new.one,tiktok,,,,,,"), "text/csv")
    app.run()
    assert not app.exception
    [message] = texts(app.error)
    assert advice in message
    reference = REFERENCE.search(message)
    assert reference is not None, message
    assert_logged(caplog, reference.group(1), error)
    assert counts(db) == before  # nothing written
    assert not [b for b in app.button if b.label.startswith("Import ")]


QUERY_FAILURES: list[tuple[BaseException, str]] = [
    (duckdb.OutOfMemoryException("Out of Memory Error: could not allocate block of size 256 KiB"
                                 " (SET memory_limit=... to raise it)"),
     "The query needs more memory than the app allows. Ask for less"),
    (pa.ArrowInvalid("Integer value out of bounds"), "CAST(x AS VARCHAR)"),
    (RecursionError(), "The query is nested too deeply to be read. Use fewer nested subqueries"),
    (duckdb.InterruptException("INTERRUPT Error"), "The query took too long and was stopped."),
]


@pytest.mark.parametrize(("error", "advice"), QUERY_FAILURES,
                         ids=[type(e).__name__ for e, _ in QUERY_FAILURES])
def test_a_query_that_fails_says_what_to_change(
    app: AppTest, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture,
    error: BaseException, advice: str,
) -> None:
    open_console(app, "viewer")
    monkeypatch.setattr(console, "run_query", raising(error))
    caplog.set_level(logging.WARNING)
    run_on_page(app, "SELECT 1")
    assert not app.exception
    [message] = texts(app.error)
    assert advice in message
    assert "SET memory_limit" not in message  # DuckDB's advice on settings is not shown
    reference = REFERENCE.search(message)
    assert reference is not None, message
    assert_logged(caplog, reference.group(1), error)


def test_a_bug_in_an_upload_path_still_lands_in_the_boundary(
    app: AppTest, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """Only the known failure classes of what was sent are turned into advice; a bug (a
    KeyError, say) is not explained away as a bad file."""
    open_imports(app)
    error = KeyError("kind")
    monkeypatch.setattr(imports, "preview", raising(error))
    caplog.set_level(logging.WARNING)
    app.get("file_uploader")[0].upload("creators.csv", csv_bytes(CREATORS_HEADER), "text/csv")
    app.run()
    assert_logged(caplog, the_reference(app), error)
