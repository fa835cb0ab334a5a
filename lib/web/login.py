"""The login gate: the login form, the session cookie bound to the store's session, logout."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import jwt
import streamlit as st
import streamlit_authenticator as stauth
from streamlit.runtime.scriptrunner_utils.exceptions import (
    RerunException,
)
from streamlit_authenticator.controllers import AuthenticationController
from streamlit_authenticator.models import CookieModel
from streamlit_authenticator.utilities.exceptions import LoginError

from lib import config, sessions, users
from lib.db import Database
from lib.models import Role, User
from lib.web.addresses import remember_requested_url, run_through_app
from lib.web.connection import database
from lib.web.failures import refused

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


# --- the page's user ---------------------------------------------------------------------------


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
