"""The process's one store connection and its snapshot writer."""

from __future__ import annotations

import streamlit as st

from lib import config, snapshots
from lib.db import Database
from lib.store import open_store


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
def _snapshotter(where: str) -> snapshots.Snapshotter | None:
    every = snapshots.interval_from_env()
    if every is None:  # COLLABDESK_SNAPSHOT_MINUTES=0
        return None
    return snapshots.Snapshotter(_open(where), every).start()


def start_snapshots() -> None:
    """Start the process's background snapshot writer once (see lib.snapshots.Snapshotter);
    on the shared store, each server writes its own (lib.snapshots.root_of)."""
    _snapshotter(_store_key())
