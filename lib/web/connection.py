"""The process's one store connection, its snapshot writer, and reads cached until the next
write."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any

import pandas as pd
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
