"""Addresses: every page has its own, widgets follow the query string, a login returns to
the page asked for; the app's own navigation and the page's user."""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence
from urllib.parse import urlparse

import streamlit as st
from streamlit.runtime.pages_manager import PagesManager

from lib.web.text import as_text

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


def return_to_requested(pages: list[st.Page], running: st.Page) -> None:
    """Once logged in, open the page and query string asked for before the login, if this
    user's navigation holds that page (a page the role may not see stays unresolved).

    The address is forgotten only once a run has reached a page of its own (`running`, what
    st.navigation chose): a run that lands on the default page (the root) meanwhile, as a
    rerun sent by a component before the browser knew its page may, is switched again."""
    requested = st.session_state.get(_REQUESTED)
    if requested is None:
        return
    path, query = requested
    target = next((page for page in pages if path and page.url_path == path), None)
    if target is None or running is not pages[0]:  # unresolved, or on a page of its own
        del st.session_state[_REQUESTED]
        if target is None and query and query != _query_lists():
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
