"""Failures: refusals shown as one message, known failures of uploads and queries turned into
advice, and the page's error boundary (a reference, never a traceback); flashes."""

from __future__ import annotations

import csv
import email.errors
import functools
import logging
import secrets
import zipfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, TypeVar

import duckdb
import pyarrow as pa
import streamlit as st
from streamlit.errors import FragmentHandledException
from streamlit.runtime.scriptrunner_utils.exceptions import (
    ScriptControlException,
)

from lib.db import ConcurrentEditError, DuplicateKey, NotFound
from lib.rules import RuleViolation
from lib.web.labels import OK_ICON
from lib.web.text import as_text

T = TypeVar("T")
log = logging.getLogger(__name__)

REFUSALS = (RuleViolation, PermissionError, NotFound, ConcurrentEditError)


@dataclass(frozen=True)
class Source:
    """What a person sent (a file, a query), for messages that say what to change in it."""

    what: str  # "The file"
    smaller: str  # how to make it smaller
    simpler: str  # how to make it less nested
    resave: str  # how to get a well-formed one
    one_kind: str  # how to make each column hold one kind of value


FILE = Source(
    what="The file",
    smaller="Upload a smaller file, or split it into several.",
    simpler="Save it again from the program that made it, with fewer nested parts.",
    resave="Save it again from the program that made it (Excel: CSV UTF-8 or .xlsx; a mail"
           " program: Save as .eml) and upload that.",
    one_kind="Make each column hold one kind of value (numbers, dates or text) and upload it"
             " again.",
)
QUERY = Source(
    what="The query",
    smaller="Ask for less: fewer rows (LIMIT, WHERE), fewer or narrower columns, or an"
            " aggregate (GROUP BY).",
    simpler="Use fewer nested subqueries, brackets or CASE expressions.",
    resave="Check the query's syntax, tables and column names.",
    one_kind="Give each result column one type, for example CAST(x AS VARCHAR).",
)


def new_reference() -> str:
    """A short id that ties what a person sees to the server log's entry (6 hex digits)."""
    return secrets.token_hex(3)


def out_of_memory(error: BaseException) -> bool:
    """The work needed more memory than the app allows (DuckDB's limit, even spilling)."""
    return isinstance(error, (MemoryError, duckdb.OutOfMemoryException))


def known_failure(error: BaseException, source: Source) -> str | None:
    """What to change, for the failure classes an upload or a query can hit outside the
    services' own checks (a parser, the csv module, Arrow, Python's recursion limit, DuckDB);
    None for anything else (a bug: the page's error boundary shows it)."""
    what = source.what
    if isinstance(error, RecursionError):
        return f"{what} is nested too deeply to be read. {source.simpler}"
    if out_of_memory(error):
        return f"{what} needs more memory than the app allows. {source.smaller}"
    if isinstance(error, csv.Error):
        return f"{what} is not CSV that can be read. {source.resave}"
    if isinstance(error, UnicodeError):
        return f"{what} holds text that is not UTF-8. {source.resave}"
    if isinstance(error, (zipfile.BadZipFile, zipfile.LargeZipFile)):
        return f"{what} is not a readable .xlsx workbook. {source.resave}"
    if isinstance(error, email.errors.MessageError):
        return f"{what} is not a readable e-mail. {source.resave}"
    if isinstance(error, pa.ArrowException):
        return f"{what} holds values that cannot form a table column. {source.one_kind}"
    if isinstance(error, duckdb.InterruptException):
        return f"{what} took too long and was stopped. {source.smaller}"
    if isinstance(error, (duckdb.ConversionException, duckdb.OutOfRangeException, OverflowError)):
        return f"{what} holds a value that does not fit its type. {source.one_kind}"
    if isinstance(error, (duckdb.Error, DuplicateKey)):
        return f"{what} could not be read by the database ({type(error).__name__}). " + (
            source.resave)
    return None


def _refused(action: Callable[[], T], source: Source | None) -> tuple[bool, T | None]:
    """(True, result) when `action` went through; else show why and return (False, None)."""
    try:
        return True, action()
    except REFUSALS as refusal:
        refused(refusal)
        return False, None
    except Exception as error:
        message = None if source is None else known_failure(error, source)
        if message is None:
            raise  # not a known failure of what was sent: the page's error boundary has it
        reference = new_reference()
        log.warning("Refused %s (reference %s)", source.what.lower(), reference, exc_info=error)
        st.error(f"{message} (Reference: {reference}.)")
        return False, None


def attempt(action: Callable[[], T], source: Source | None = None) -> T | None:
    """Run a service call; show a refusal as a message a person can act on, and return None.
    With a `source` (FILE, QUERY) the known failures of what was sent get such a message too."""
    return _refused(action, source)[1]


def ok(action: Callable[[], object], source: Source | None = None) -> bool:
    """Run a service call for its effect; True when it went through, else show why not."""
    return _refused(action, source)[0]


def guarded(callback: Callable[..., None]) -> Callable[..., None]:
    """A widget callback (on_click, on_change) run inside the error boundary: Streamlit runs
    callbacks before the script, so outside app.py's boundary."""

    @functools.wraps(callback)
    def run(*args: Any, **kwargs: Any) -> None:
        with error_boundary():
            callback(*args, **kwargs)

    return run


GENERIC_FAILURE = "Something went wrong on this page. Give this reference to an admin: {}."


@contextmanager
def error_boundary() -> Iterator[None]:
    """Every page runs inside this (app.py, around navigation.run()): an exception no page
    handled is logged with a short reference and its traceback, and the person sees a plain
    message with that reference, never the traceback. Streamlit's own flow control (st.stop,
    st.rerun, st.switch_page raise ScriptControlException) passes through untouched."""
    try:
        yield
    except (ScriptControlException, FragmentHandledException):
        raise
    except Exception as error:  # the boundary: everything a page let through
        reference = new_reference()
        log.error("Page failed (reference %s)", reference, exc_info=error)
        st.error(GENERIC_FAILURE.format(reference), icon=":material/error:")


def refused(refusal: Exception) -> None:
    """A service's refusal as a plain message: it may quote what a person typed (a name, a
    tag, a line of an import), which must show as text."""
    st.error(as_text(str(refusal)))


def scope_words(
    client_id: int | None, campaign_id: int | None,
    clients: dict[int, str], campaigns: dict[int, str],
) -> list[str]:
    """The campaign (by the picker's label, which names the client) or else the client of a
    list's filter, in words for a batch confirmation; the names are typed text, so as_text."""
    if campaign_id is not None:
        return ["campaign " + as_text(campaigns.get(campaign_id, f"#{campaign_id}"))]
    if client_id is not None and client_id in clients:
        return ["client " + as_text(clients[client_id])]
    return []


def flash(message: str, icon: str = OK_ICON) -> None:
    """A toast that survives the rerun that follows an action."""
    st.session_state.setdefault("_flash", []).append((message, icon))


def show_flashes() -> None:
    for message, icon in st.session_state.pop("_flash", []):
        st.toast(message, icon=icon)
