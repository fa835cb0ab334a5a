"""Streamlit glue shared by app.py and the pages: the connection, the login gate, badges.

Nothing here decides a rule or runs SQL; it only connects Streamlit to the services.
"""

from __future__ import annotations

import csv
import datetime as dt
import email.errors
import functools
import importlib
import logging
import re
import secrets
import zipfile
from collections import Counter
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, TypeVar
from urllib.parse import urlparse

import duckdb
import jwt
import pandas as pd
import pyarrow as pa
import streamlit as st
import streamlit_authenticator as stauth
from streamlit.errors import FragmentHandledException
from streamlit.runtime.pages_manager import PagesManager
from streamlit.runtime.scriptrunner_utils.exceptions import (
    RerunException,
    ScriptControlException,
)
from streamlit_authenticator.controllers import AuthenticationController
from streamlit_authenticator.models import CookieModel
from streamlit_authenticator.utilities.exceptions import LoginError

from lib import config, sessions, snapshots, users
from lib.db import ConcurrentEditError, Database, DuplicateKey, NotFound
from lib.models import CollabStatus, DeliveryStatus, Role, User, ValidationStatus
from lib.rules import RuleViolation
from lib.store import open_store

T = TypeVar("T")
log = logging.getLogger(__name__)

# Material icons, not emoji: they need no emoji font on the machine showing the page.
OK_ICON = ":material/check_circle:"
WARN_ICON = ":material/warning:"

STATUS_COLORS: dict[str, str] = {
    CollabStatus.PENDING: "gray",
    CollabStatus.NEGOTIATING: "orange",
    CollabStatus.FULFILLING: "blue",
    CollabStatus.COMPLETED: "green",
    CollabStatus.CANCELLED: "red",
}
VALIDATION_COLORS: dict[str, str] = {
    ValidationStatus.VERIFIED: "green",
    ValidationStatus.NEEDS_REVIEW: "orange",
    ValidationStatus.FLAGGED: "red",
}

DELIVERY_COLORS: dict[str, str] = {
    DeliveryStatus.PENDING: "gray",
    DeliveryStatus.IN_TRANSIT: "blue",
    DeliveryStatus.DELIVERED: "green",
    DeliveryStatus.EXCEPTION: "red",
}


def delivery_label(value: str) -> str:
    return DeliveryStatus(value).label


def status_label(value: str) -> str:
    return CollabStatus(value).label


def validation_label(value: str) -> str:
    return ValidationStatus(value).label


def badge_column(title: str, colors: dict[str, str], label: Callable[[str], str]) -> object:
    """A read-only table column that shows each value as a colored pill.

    The column's cells must hold one-element lists (a multiselect cell is how st.dataframe
    draws colored labels); see as_badges().
    """
    return st.column_config.MultiselectColumn(
        title, options=list(colors), color=list(colors.values()), format_func=label
    )


def name_column(title: str) -> object:
    """A table column of names (creators, campaigns): wide enough that a name shows whole in
    a confirmation at 1366 px, not cut mid-word by a narrow column."""
    return st.column_config.TextColumn(title, width="medium")


def campaign_label(name: str, client: str) -> str:
    """A campaign as pickers and lists name it: two campaigns may share a name, not a client."""
    return f"{name} — {client}"


def campaign_options(choices: Iterable[tuple[int, str, str]]) -> dict[int, str]:
    """Picker labels by campaign id, in the order given, from a service's (id, name, client)
    rows. Plain text (options are not markdown: no as_text); the same name under the same
    client gets its number too, so no two labels are alike."""
    rows = [(int(cid), campaign_label(name, client)) for cid, name, client in choices]
    seen = Counter(label for _, label in rows)
    return {cid: label if seen[label] == 1 else f"{label} (#{cid})" for cid, label in rows}


def as_badges(values: pd.Series) -> pd.Series:
    return values.map(lambda v: [v])


# --- empty cells -------------------------------------------------------------------------------

MISSING = "—"  # what an empty table cell shows; st.dataframe writes the word None otherwise
# moment.js tokens of DatetimeColumn/DateColumn formats, as strftime codes
_MOMENT_TOKENS = (("YYYY", "%Y"), ("MM", "%m"), ("DD", "%d"), ("HH", "%H"), ("mm", "%M"),
                  ("ss", "%S"))
_DEFAULT_TIME_FORMATS = {"datetime": "YYYY-MM-DD HH:mm", "date": "YYYY-MM-DD", "time": "HH:mm"}


def _cell_text(value: object, type_config: dict[str, Any]) -> str:
    """A present value as its typed column would have drawn it."""
    kind, fmt = type_config.get("type"), type_config.get("format")
    if kind in _DEFAULT_TIME_FORMATS or isinstance(value, dt.date):
        plain_date = isinstance(value, dt.date) and not isinstance(value, dt.datetime)
        pattern = fmt or _DEFAULT_TIME_FORMATS.get(
            str(kind), "YYYY-MM-DD" if plain_date else "YYYY-MM-DD HH:mm")
        for token, code in _MOMENT_TOKENS:
            pattern = pattern.replace(token, code)
        try:
            return pd.Timestamp(value).strftime(pattern)
        except (ValueError, OverflowError, TypeError, NotImplementedError):  # beyond pandas
            return str(value)
    if isinstance(value, float) and (kind == "number" or kind is None):
        if isinstance(fmt, str) and fmt.startswith("%"):
            try:
                return fmt % value
            except (TypeError, ValueError):
                pass
        return f"{value:,.0f}" if value.is_integer() else f"{value:,.2f}"
    return str(value)


def _is_missing(value: object) -> bool:
    # Only a scalar can be missing: pd.isna of a list or an array (a SQL LIST) is elementwise.
    return pd.api.types.is_scalar(value) and bool(pd.isna(value))


def fill_missing(
    frame: pd.DataFrame, column_config: dict[str, Any] | None = None
) -> tuple[pd.DataFrame, dict[str, Any]]:
    """The frame and column_config to hand to st.dataframe so that no empty cell reads None:
    each column holding a missing value (None, NaN, NaT) becomes text, its present values
    written as its column config would draw them (date and number formats), the missing ones
    as MISSING, and its config a text column with the same title. Other columns are untouched."""
    shown, config = frame.copy(), dict(column_config or {})
    for column in shown.columns:
        values = shown[column].tolist()
        if not any(_is_missing(v) for v in values):
            continue
        given = config.get(column)
        if given is None and column in config:
            continue  # hidden column
        settings = {"label": given} if isinstance(given, str) else dict(given or {})
        type_config = settings.get("type_config") or {}
        shown[column] = [MISSING if _is_missing(v) else _cell_text(v, type_config)
                         for v in values]
        config[column] = st.column_config.TextColumn(
            settings.get("label") or str(column), width=settings.get("width"),
            help=settings.get("help"),
            alignment="right" if type_config.get("type") == "number" else settings.get(
                "alignment"),
        )
    return shown, config


def dataframe(data: pd.DataFrame, *, container: Any = None,
              column_config: dict[str, Any] | None = None, **kwargs: Any) -> Any:
    """st.dataframe (in `container` when given) with every empty cell shown as MISSING, never
    the word None (fill_missing), and every column wide enough for its title (sized_columns);
    returns what st.dataframe returns (the selection event)."""
    shown, config = fill_missing(data, column_config)
    return (container or st).dataframe(
        shown, column_config=sized_columns(shown, config), **kwargs)


# --- column widths -----------------------------------------------------------------------------

# st.dataframe sizes a column by its cells alone, so a short column under a longer title
# ("Currency" over "EUR") cuts the title to "Curr…". Every column therefore gets a width in
# pixels: its title's, or its typical content's when wider, up to a cap. The estimates are from
# the grid's 14 px Source Sans: a generous width per character, so that a title never gets cut.
HEADER_CHAR_PX = 8  # one character of a column title
HEADER_PAD_PX = 24  # the title's padding, and room for the sort arrow beside it
CELL_CHAR_PX = 7  # one character of a cell
CELL_PAD_PX = 16  # a cell's padding
BADGE_PAD_PX = 30  # a badge cell's padding: the cell's and the pill's
CHECKBOX_PX = 40  # a checkbox cell
MAX_CONTENT_PX = 320  # content wider than this is cut (a title never is)
SAMPLE_ROWS = 500  # rows looked at to size a column (the SQL console shows up to 10,000)
NAMED_WIDTHS = {"small": 75, "medium": 200, "large": 400}  # Streamlit's named widths, in px
_MOMENT_SECONDS = "YYYY-MM-DD HH:mm:ss"  # how a datetime column with no format shows


def title_width(title: str) -> int:
    """Pixels a column needs to show `title` whole, with its sort arrow."""
    return HEADER_CHAR_PX * len(title) + HEADER_PAD_PX


def _column_settings(given: Any) -> dict[str, Any]:
    """A column_config entry (a title, a config dict, or absent) as a config dict."""
    return {"label": given} if isinstance(given, str) else dict(given or {})


def _content_width(values: list[Any], type_config: dict[str, Any]) -> int:
    """Pixels the longest of `values` (a sample) needs, as its column draws it, up to the cap."""
    kind = type_config.get("type")
    present = [v for v in values if not _is_missing(v)]
    if not present:
        return 0
    if kind == "checkbox" or all(isinstance(v, bool) for v in present):
        return CHECKBOX_PX
    if kind == "multiselect" or all(isinstance(v, list | tuple) for v in present):
        labels = {str(o.get("value")): str(o.get("label") or o.get("value"))
                  for o in type_config.get("options") or []}
        longest = max(len(", ".join(labels.get(str(item), str(item)) for item in value))
                      for value in present)
        return min(MAX_CONTENT_PX, round(CELL_CHAR_PX * longest) + BADGE_PAD_PX)
    if kind == "datetime" and not type_config.get("format"):
        type_config = {**type_config, "format": _MOMENT_SECONDS}
    longest = max(len(_cell_text(v, type_config)) for v in present)
    return min(MAX_CONTENT_PX, round(CELL_CHAR_PX * longest) + CELL_PAD_PX)


def _given_width(width: object) -> int | None:
    """A width the caller gave, in pixels; None for none (or one Streamlit would not take)."""
    if isinstance(width, str):
        return NAMED_WIDTHS.get(width)
    if isinstance(width, int | float) and not isinstance(width, bool) and width > 0:
        return int(width)
    return None


def sized_columns(frame: pd.DataFrame, column_config: dict[str, Any] | None) -> dict[str, Any]:
    """`column_config` with a width in pixels for every column of `frame` it does not hide: at
    least its title's (title_width), and its content's up to MAX_CONTENT_PX where it gave no
    width. A width the caller gave ("medium", 120) stands when it holds the title; a narrower
    one is widened to the title's."""
    config = dict(column_config or {})
    sample = frame.head(SAMPLE_ROWS)
    for position, column in enumerate(frame.columns):
        if not isinstance(column, str) or (column in config and config[column] is None):
            continue  # a column by position, or a hidden one
        settings = _column_settings(config.get(column))
        title = str(settings.get("label") or column)
        needed = title_width(title)
        given = _given_width(settings.get("width"))
        if given is None:
            values = sample.iloc[:, position].tolist()
            type_config = settings.get("type_config") or {}
            settings["width"] = max(needed, _content_width(values, type_config))
        elif given < needed:
            settings["width"] = needed
        config[column] = settings
    return config


# --- compact figures ---------------------------------------------------------------------------

# st.metric draws its value at 2.25rem, a tile a fifth of a 1366x768 screen tall; a page's
# summary figures are drawn at the size of a subheading, so its main table starts higher.
_SMALL_FIGURES_CSS = (
    "<style>.st-key-{key} [data-testid='stMetricValue'] {{font-size: 1.375rem;"
    " line-height: 1.6;}} .st-key-{key} [data-testid='stMetric'] {{padding: 0;}}</style>"
)


def small_figures(key: str, spec: int | Sequence[float]) -> list[Any]:
    """Columns (st.columns(spec)) in a container keyed `key`, in which st.metric shows its
    value small: a row of summary figures about 60 px tall instead of 110."""
    st.html(_SMALL_FIGURES_CSS.format(key=re.sub(r"[^A-Za-z0-9_-]", "", key)))
    return st.container(key=key).columns(spec, vertical_alignment="bottom")


@st.cache_resource(show_spinner=False)
def _open(where: str) -> Database:
    """The store named by `where`: a PostgreSQL URL or a DuckDB file."""
    return open_store(where)


def _store_key() -> str:
    return config.store_url() or str(config.db_path())


def database() -> Database:
    """The process's one store (cached across reruns and sessions): the DuckDB file of
    COLLABDESK_DB, or the shared PostgreSQL store of COLLABDESK_STORE (lib.store.open_store)."""
    return _open(_store_key())


def _stop_snapshotter(snapshotter: snapshots.Snapshotter | None) -> None:
    if snapshotter is not None:
        snapshotter.stop()


@st.cache_resource(show_spinner=False, on_release=_stop_snapshotter)
def _snapshotter(path: str) -> snapshots.Snapshotter | None:
    every = snapshots.interval_from_env()
    if every is None:  # COLLABDESK_SNAPSHOT_MINUTES=0
        return None
    return snapshots.Snapshotter(_open(path), every).start()


def start_snapshots() -> None:
    """Start the process's background snapshot writer once (see lib.snapshots.Snapshotter).
    Not on the shared PostgreSQL store: snapshots read a DuckDB file (docs/scale-out.md)."""
    if config.store_url() is not None:
        return
    _snapshotter(str(config.db_path()))


# A page's heavy reads (the progress charts: seconds at a million collaborations) are kept
# until the next write through this process's Database, or 10 minutes, whichever comes first:
# some reads depend on the clock (an agreement expires by itself).
@st.cache_data(max_entries=200, ttl=600, show_spinner=False)
def _cached_read(
    read_name: str, database_key: tuple[str, int, int], kwargs: tuple[tuple[str, Any], ...]
) -> pd.DataFrame:
    module, _, name = read_name.rpartition(".")
    read = getattr(importlib.import_module(module), name)
    return read(database(), **dict(kwargs))


def cached_read(read: Callable[..., pd.DataFrame], **kwargs: Any) -> pd.DataFrame:
    """`read(database(), **kwargs)`, a function of lib returning a frame, cached until the next
    committed write (the key names the database file, the connection and its generation)."""
    db = database()
    return _cached_read(
        f"{read.__module__}.{read.__qualname__}",
        (str(db.path), id(db), db.generation),
        tuple(sorted(kwargs.items())),
    )


SESSION_KEY = "_login_session"  # the id of this browser session's row in login_sessions
_COOKIE_DUE = "_login_cookie_due"  # a password login whose cookie is still to be written


class SessionCookie(CookieModel):
    """The library's login cookie, bound to a login session in the store (lib/sessions.py).

    The signed token also carries the session id (`sid`); a cookie whose session the store
    no longer holds (logout, new password, disabled, lowered role, expired) logs nobody in.
    A cookie is only ever written for a new password login, with the session's absolute
    expiry: logging in from the cookie does not re-issue it, so a copy never lives longer.
    """

    def __init__(self, library_cookie: CookieModel, db: Database) -> None:
        # Not CookieModel.__init__: that would draw a second cookie-manager component.
        self.__dict__.update(vars(library_cookie))
        self.db = db

    def get_cookie(self) -> dict[str, Any] | None:
        token = super().get_cookie()  # signature and exp_date checked by the library
        if not token:
            return None
        if sessions.check(self.db, token.get("sid"), token.get("username")).user is None:
            return None
        st.session_state[SESSION_KEY] = token["sid"]
        return token

    def set_cookie(self) -> None:
        session_id = st.session_state.get(SESSION_KEY)
        expires = sessions.expires_at(self.db, session_id) if session_id else None
        if expires is None:
            return
        expires_utc = expires.replace(tzinfo=dt.UTC)
        self.exp_date = expires_utc.timestamp()
        token = jwt.encode(
            {"username": st.session_state["username"], "exp_date": self.exp_date,
             "sid": session_id},
            self.cookie_key,
            algorithm="HS256",
        )
        self.cookie_manager.set(self.cookie_name, token, expires_at=expires_utc)


def _authenticator(db: Database) -> stauth.Authenticate:
    lifetime = config.session_lifetime()
    authenticator = stauth.Authenticate(
        users.login_credentials(db),
        config.COOKIE_NAME,
        # On the shared store the key sits beside COLLABDESK_DB (set COLLABDESK_COOKIE_KEY
        # alike on every server of other machines): db.path names no folder there.
        config.cookie_key(None if config.store_url() else db.path),
        lifetime / dt.timedelta(days=1),
        auto_hash=False,
    )
    controller = authenticator.cookie_controller
    controller.cookie_model = SessionCookie(controller.cookie_model, db)
    # Passwords are checked by lib.users, which counts failures and locks accounts in the
    # database (the library's own counter lives in the session and resets on reload).
    model = authenticator.authentication_controller.authentication_model
    model.check_credentials = lambda username, password: users.attempt_login(db, username, password)
    _use_password_as_typed(authenticator.authentication_controller)
    return authenticator


def _use_password_as_typed(controller: AuthenticationController) -> None:
    """The library strips the password before checking it, so "  secret " would log in as
    "secret"; a password is used exactly as it was set (the username is still trimmed)."""
    model = controller.authentication_model

    def login(username: str | None = None, password: str | None = None,
              max_concurrent_users: int | None = None, max_login_attempts: int | None = None,
              token: dict[str, str] | None = None, single_session: bool = False,
              callback: Callable | None = None, **_captcha: Any) -> bool | None:
        if username and password:
            username = username.lower().strip()
        return model.login(username, password, max_concurrent_users, max_login_attempts, token,
                           single_session, callback)

    controller.login = login  # type: ignore[method-assign]


def login_gate(db: Database) -> User:
    """Show the login form until someone logs in; return the logged-in, enabled user.

    On every run the login session is checked against the store (sessions.check), not only
    when the library reads the cookie: a rerun of a logged-in page skips that path.
    """
    try:
        authenticator = _authenticator(db)
    except config.ConfigError as refusal:
        st.error(str(refusal))
        st.stop()
    st.session_state["authenticator"] = authenticator
    if st.session_state.pop("_logged_out", False):
        # Forget the login cookie in the run that shows the form again (see logout_button).
        authenticator.cookie_controller.delete_cookie()
    if st.session_state.get("authentication_status"):
        user = _session_user(db, authenticator)
        if user is not None:
            return user
    remember_requested_url()
    # The form goes in a placeholder so that a successful login can clear it in the same run.
    # The library would write the login cookie inside the form's run; that write is held back
    # and made at the end of the first run that draws a page to the end (store_due_cookie): a
    # st.rerun() or st.switch_page() (to the page asked for) would drop it unsent.
    authenticator.cookie_controller.set_cookie = lambda: None
    form = st.empty()
    with form.container():
        st.title("Collabdesk")
        st.caption("Creator collaborations across every client campaign.")
        ended = st.session_state.pop("_session_ended", None)
        if ended:
            st.error(ended)
        try:
            authenticator.login(location="main", key="login")
        except (users.LoginRefused, LoginError) as refusal:
            refused(refusal)
            st.stop()
        if st.session_state.get("authentication_status") is False:
            st.error("Wrong username or password.")
    if not st.session_state.get("authentication_status"):
        st.stop()
    form.empty()
    if not st.session_state.get(SESSION_KEY):  # a password login, not the cookie's
        _start_session(db)
        st.session_state[_COOKIE_DUE] = True
    user = _session_user(db, authenticator)
    if user is None:
        st.rerun()  # ended between the login and now: the next run shows why, with the form
    return user


@contextmanager
def store_due_cookie() -> Iterator[None]:
    """Around the page's run: write the login cookie of a password login (login_gate) once a
    run ends without a rerun or a page switch, which would drop the cookie's component unsent.
    A page that stops early (st.stop) or fails still ends its run: the cookie is written."""
    switched = False
    try:
        yield
    except RerunException:  # st.rerun, st.switch_page: the next run writes it
        switched = True
        raise
    finally:
        if not switched:
            _store_cookie()


def _store_cookie() -> None:
    authenticator = st.session_state.get("authenticator")
    if st.session_state.pop(_COOKIE_DUE, False) and authenticator is not None:
        authenticator.cookie_controller.cookie_model.set_cookie()  # SessionCookie.set_cookie


def _start_session(db: Database) -> None:
    user = users.get_user(db, st.session_state["username"])
    if user is None or user.disabled:
        return  # _session_user ends the login with the reason
    st.session_state[SESSION_KEY] = sessions.start(db, user).session_id


def _session_user(db: Database, authenticator: stauth.Authenticate) -> User | None:
    """The logged-in user, from the session row re-read on this run; None (the login is
    ended, the cookie deleted and the reason kept for the form) when the store ended it."""
    checked = sessions.check(
        db, st.session_state.get(SESSION_KEY), st.session_state.get("username")
    )
    if checked.user is None:
        _end_login(authenticator)
        st.session_state["_session_ended"] = checked.ended
        return None
    st.session_state["user"] = checked.user
    return checked.user


def _end_login(authenticator: stauth.Authenticate) -> None:
    authenticator.authentication_controller.logout()
    authenticator.cookie_controller.delete_cookie()
    st.session_state.pop("user", None)
    st.session_state.pop(SESSION_KEY, None)


def logout_button() -> None:
    """The sidebar's "Log out": ends the session in the store, and the next run shows the
    login form and deletes the cookie.

    The library's own logout button cannot be used here: it ends the session in the middle of
    a run, so the page goes on drawing for a user who is gone, and its flag in session state
    is named "logout" too, so a button with that key makes it fail.
    """
    st.sidebar.button("Log out", key="logout_button", on_click=_log_out)


def _log_out() -> None:
    authenticator = st.session_state.get("authenticator")
    if authenticator is not None:
        authenticator.authentication_controller.logout()
    sessions.revoke(database(), st.session_state.pop(SESSION_KEY, None), "logout")
    st.session_state.pop("user", None)
    st.session_state["_logged_out"] = True


# --- addresses: every page has its own, and a login returns to the one asked for -----------

HOME_PATH = "collaborations"  # where the app's root address leads
_REQUESTED = "_requested_url"  # (page url path, query) asked for before the login
_UNSEEN = object()  # no address read yet for a widget


def _query_lists() -> dict[str, list[str]]:
    return {key: st.query_params.get_all(key) for key in st.query_params}


def requested_page_path() -> str:
    """The page part of the browser's address on this run ("inbox" for .../inbox?x=1; "" at
    the root), below server.baseUrlPath."""
    path = urlparse(st.context.url or "").path.strip("/")
    base = str(st.get_option("server.baseUrlPath") or "").strip("/")
    if base and (path == base or path.startswith(f"{base}/")):
        path = path[len(base):].strip("/")
    return path


def remember_requested_url() -> None:
    """Keep the address the login form was shown on (the first one, in this browser session):
    Streamlit has no page list until the login is done, so the page is resolved after it."""
    if _REQUESTED not in st.session_state:
        st.session_state[_REQUESTED] = (requested_page_path(), _query_lists())


def return_to_requested(pages: list[st.Page]) -> None:
    """Once logged in, open the page and query string asked for before the login, if this
    user's navigation holds that page (a page the role may not see stays unresolved)."""
    requested = st.session_state.pop(_REQUESTED, None)
    if requested is None:
        return
    path, query = requested
    target = next((page for page in pages if path and page.url_path == path), None)
    if target is None:
        if query and query != _query_lists():
            st.switch_page(pages[0], query_params=query)  # the root with its query string
        return
    st.switch_page(target, query_params=query)


MAX_ID = 2**53 - 1  # the largest whole number a browser's number box holds exactly
_ID = re.compile(r"[0-9]{1,16}")


def query_id(key: str, noun: str) -> int | None:
    """The record id in the query string's `key` (?id=12), or None when there is none; an
    id that is not a whole number in range gets a message naming it, and None."""
    raw = st.query_params.get(key)
    if raw is None or raw == "":
        return None
    if _ID.fullmatch(raw) and 0 < int(raw) <= MAX_ID:
        return int(raw)
    st.error(f"No {noun} {as_text(raw[:40], one_line=True)}: the address needs its number,"
             f" as in ?{key}=12.")
    return None


def choice_from_address(param: str, options: Collection[int], noun: str) -> int | None:
    """The id in the address's `param` when it is one of `options`; else None, with a message
    when the address named something that is not there ("No campaign #12")."""
    chosen = query_id(param, noun)
    if chosen is not None and chosen not in options:
        st.warning(f"No {noun} #{chosen}.")
        return None
    return chosen


def values_from_address(param: str, allowed: Sequence[str], noun: str) -> list[str]:
    """The comma-separated values in the address's `param` (?status=pending,completed) that
    are in `allowed`, in its order; any other value is named in a message and left out."""
    wanted = [value.strip() for value in (st.query_params.get(param) or "").split(",")]
    unknown = [value for value in wanted if value and value not in allowed]
    if unknown:
        shown = as_text(", ".join(unknown)[:60], one_line=True)
        st.warning(f"No {noun} {shown}: the address may name {', '.join(allowed)}.")
    return [value for value in allowed if value in wanted]


def widget_from_address(param: str, widget_key: str, value: object) -> None:
    """Before a widget bound to the address: when the address's `param` is new (a link, a
    reload, the browser's back button), the widget takes `value`, which was read from it;
    None gives it its default (a selectbox's "All ..." option, not an empty box)."""
    raw = st.query_params.get(param)
    seen = f"_address_{widget_key}"
    if widget_key not in st.session_state or st.session_state.get(seen, _UNSEEN) != raw:
        st.session_state[seen] = raw
        if value is None:
            st.session_state.pop(widget_key, None)
        else:
            st.session_state[widget_key] = value


def address_from_widget(param: str, widget_key: str, text: str | None) -> None:
    """After that widget: its value, as `text`, goes into the address (None or "" takes the
    parameter out), so a reload or a copied link shows the same choice."""
    text = text or None
    if st.query_params.get(param) != text:
        if text is None:
            del st.query_params[param]
        else:
            st.query_params[param] = text
    st.session_state[f"_address_{widget_key}"] = text


def go_home() -> None:
    """The app's root address: Collaborations, with the query string it came with."""
    st.switch_page("pages/collaborations.py", query_params=_query_lists())


def own_navigation() -> None:
    """Make app.py's st.navigation the only menu, for every session, from this run on.

    A fresh server runs in Streamlit's pages/ folder mode until a session calls st.navigation:
    each run first lists the folder's file names as a menu. .streamlit/config.toml hides that
    menu (client.showSidebarNavigation = false) from the server's first run; app.py calls this
    first thing, on every run and before the login gate, so the mode ends with the first run of
    app.py (switched off before the menu is shown again: no later run can list the files), and
    the setting, which would hide app.py's own sidebar menu too, is turned back on. (Only a
    folder-mode run another session began in the same instant, between Streamlit's check of
    the mode and its read of the setting, could still see it on: a window of a few bytecodes
    in the first run of a fresh server.)
    """
    PagesManager.uses_pages_directory = False
    if st.get_option("client.showSidebarNavigation") is False:
        st.set_option("client.showSidebarNavigation", True)


def run_through_app() -> None:
    """When a page file runs on its own (Streamlit's pages/ folder mode, on a fresh server),
    switch that mode off, as st.navigation would, and run again through app.py: its routing
    (the login gate and the role's navigation, or the reviewer link) then applies."""
    if PagesManager.uses_pages_directory:
        PagesManager.uses_pages_directory = False
        st.rerun()


def current_user() -> User:
    """The logged-in user, set by app.py's login gate before any page runs.

    A page can also run without app.py: until some session of a freshly started server has
    called st.navigation, Streamlit treats pages/ as a plain multipage folder, so a deep link
    runs the page file alone. The page then switches that mode off (as st.navigation would)
    and reruns, so the request goes through app.py's login gate and navigation. If a page
    still got here without a user, it asks for a login itself.
    """
    run_through_app()
    user = st.session_state.get("user")
    if user is None:
        return login_gate(database())
    return user


def require_page_role(role: Role) -> User:
    """Stop the page for users below `role` (app.py hides such pages already)."""
    user = current_user()
    if not user.can(role):
        st.error(f"This page needs the {role.value} role.")
        st.stop()
    return user


# --- failures: refusals, known failures of uploads and queries, and the page's error boundary --

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


def known_failure(error: BaseException, source: Source) -> str | None:
    """What to change, for the failure classes an upload or a query can hit outside the
    services' own checks (a parser, the csv module, Arrow, Python's recursion limit, DuckDB);
    None for anything else (a bug: the page's error boundary shows it)."""
    what = source.what
    if isinstance(error, RecursionError):
        return f"{what} is nested too deeply to be read. {source.simpler}"
    if isinstance(error, (MemoryError, duckdb.OutOfMemoryException)):
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


# --- text from anyone, and the reviewer's link (issue 5) ------------------------------------

# Every ASCII punctuation character may start some markdown (CommonMark, GFM, Streamlit's
# directives and math); a backslash makes each one a literal character.
_ASCII_PUNCTUATION = re.compile(r"([!-/:-@\[-`{-~])")
# Streamlit also rewrites the parsed *text*, where a backslash no longer counts: `:name:`
# becomes an emoji, a material icon or the Streamlit logo, `https://...`, `www.x` and `a@b.c`
# become links, and `->`, `<-`, `--`, `>=`, `<=`, `~=` become arrows and signs. Each of those
# needs a `:`, an `@`, the `.` after `www` or the second character of such a pair within one
# text node, so that character is put in a node of its own: `:color[...]` with no colour
# attribute is a plain <span> (no style, no class) that shows its text unchanged.
_SPLIT = re.compile(r"[:@]|(?<=www)\.|(?<=[-<>~])[-=>]", re.IGNORECASE)
_EDGE_SPACE = re.compile(r"^[ \t]+|[ \t]+$")
# Markdown line break: a backslash at the end of a line (a line holding only a backslash is
# not blank, so an empty typed line stays a line break, not a new paragraph).
_LINE_BREAK = "\\\n"


def _literal(char: str) -> str:
    return _ASCII_PUNCTUATION.sub(r"\\\1", char)


def _text_line(line: str) -> str:
    pieces: list[str] = []
    start = 0
    for split in _SPLIT.finditer(line):
        pieces.append(_literal(line[start:split.start()]))
        pieces.append(f":color[{_literal(split.group())}]")
        start = split.end()
    pieces.append(_literal(line[start:]))
    body = "".join(pieces)
    # Leading and trailing blanks as character references: kept as typed, and four leading
    # spaces cannot start a code block.
    return _EDGE_SPACE.sub(lambda blanks: "".join(f"&#{ord(c)};" for c in blanks.group()), body)


def as_text(value: object, *, one_line: bool = False) -> str:
    """The one way user text goes into markdown (st.markdown, captions, alerts, toasts, headers,
    widget, tab, expander and option labels, help texts): `value` as markdown that shows
    exactly that text. No link, image, HTML, emphasis, heading, list, quote, table, code,
    LaTeX, colour directive, icon or emoji can form out of it; line breaks are kept, or become
    spaces with `one_line` (a heading, a label). Where no markdown is needed, show user text
    with st.text or in a table cell instead."""
    text = str(value)
    lines = text.splitlines() or [""]
    if one_line:
        lines = [" ".join(lines)]
    return _LINE_BREAK.join(_text_line(line) for line in lines)


def is_review_link() -> bool:
    """Whether this session came through a reviewer's link (/review, or any URL carrying a
    token): app.py then shows the reviewer page alone, before and instead of the login."""
    path = urlparse(st.context.url or "").path.rstrip("/")
    return "token" in st.query_params or path.endswith(f"/{config.REVIEW_PATH}")


def app_base_url() -> str:
    """Where links back to the app (reviewer links) point: COLLABDESK_BASE_URL when set, else
    the address this session's request came in on (config.request_base_url: the browser's URL
    or the Host header, each checked, as anyone can forge them), else this server's own
    address, http://localhost:<server.port>: never a port written into the code."""
    configured = config.base_url()
    if configured is not None:
        return configured  # reviewers.link_base checks it and says what is wrong
    address = str(st.get_option("server.address") or "").strip()
    if address in ("", "0.0.0.0", "::"):  # listening everywhere: this machine by name
        address = "localhost"
    elif ":" in address:  # an IPv6 address goes in brackets in a URL
        address = f"[{address.strip('[]')}]"
    server_url = f"http://{address}:{int(st.get_option('server.port'))}"
    return config.request_base_url(
        st.context.url, st.context.headers.get("Host"), server_url,
        str(st.get_option("server.baseUrlPath") or ""),
    )


def invalid_link() -> None:
    """All that a visitor with a bad reviewer link sees."""
    st.header("This link is not valid.")
    st.caption("Ask the person who invited you for a new link.")


# --- forms that keep what was typed (issue 15) -------------------------------------------------


def kept_form(
    name: str, *, keys: tuple[str, ...] = (), empty: Mapping[str, Any] | None = None,
    border: bool = True,
) -> Any:
    """st.form(name) that keeps what was typed when the action is refused or fails (never
    clear_on_submit: that empties the form before anyone knows the outcome). After the action
    went through, call typed_done(name) and rerun: that run draws the form empty. The form's
    key takes a generation, so its unkeyed widgets start anew; keyed widgets keep their
    identity (and the browser its value), so see forget_typed for `keys` and `empty`."""
    generation_key = f"_form_generation.{name}"
    if forget_typed(name, keys, empty):
        st.session_state[generation_key] = st.session_state.get(generation_key, 0) + 1
    generation = st.session_state.get(generation_key, 0)
    return st.form(name if not generation else f"{name}.{generation}", border=border)


def forget_typed(
    name: str, keys: tuple[str, ...] = (), empty: Mapping[str, Any] | None = None
) -> bool:
    """Before the widgets of `name` (a form, or keyed widgets outside one) are drawn, when
    typed_done(name) was called since (then True): `empty` maps keyed widgets to the value
    they start with again, set through session state so that the browser shows it too;
    `keys` are keyed widgets that show a record, dropped here (after a save the browser
    already shows what the record now holds)."""
    if not st.session_state.pop(f"_typed_done.{name}", False):
        return False
    for key in keys:
        st.session_state.pop(key, None)
    st.session_state.update(empty or {})
    return True


def typed_done(name: str) -> None:
    """The action of kept_form(name) (or of forget_typed(name, ...)) went through: the next
    run draws its widgets empty."""
    st.session_state[f"_typed_done.{name}"] = True


# An edit form shows a record as it was when the form was opened; saving checks that version.
# Until then someone else may save: the form keeps what this person typed and says so once.


def edit_base(name: str, version: int) -> int:
    """The version of the record the edit form `name` was opened at (kept until rebase_edit):
    name its keyed fields by it, so that they keep what was typed while others save."""
    return int(st.session_state.setdefault(f"_edit_base.{name}", version))


def edit_version(name: str) -> int:
    """The version a save of the form `name` is checked against: the one it was opened at, or
    the newer one a stale_edit showed."""
    return int(st.session_state.get(f"_edit_seen.{name}", st.session_state[f"_edit_base.{name}"]))


def stale_edit(name: str, version: int, what: str) -> bool:
    """Whether `what` (now at `version`) changed since the form `name` was opened (call
    edit_base first); if so, say once what to do (what was typed stays) and let the next save
    go over the new version."""
    if edit_version(name) == version:
        return False
    st.session_state[f"_edit_seen.{name}"] = version
    st.error(f"Someone changed {what} since you opened it, so nothing was saved. What you "
             "typed is kept: compare it with their change, then save again to replace it.",
             icon=":material/sync_problem:")
    return True


def rebase_edit(name: str) -> None:
    """This person changed the record themselves: the form `name` (every form whose name
    starts so, with a trailing "*") takes the new version as its base, keeping what was typed
    in it."""
    for kind in ("_edit_base", "_edit_seen"):
        prefix = f"{kind}.{name.removesuffix('*')}"
        for key in [k for k in st.session_state if k == prefix
                    or (name.endswith("*") and str(k).startswith(prefix))]:
            del st.session_state[key]
