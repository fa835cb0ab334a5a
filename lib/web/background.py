"""Reads too slow to wait for in a page's run: the progress charts over every campaign take
seconds at a million collaborations, and the SQL console's first snapshot longer.

Such a read runs on the process's one background worker. The page waits for it only until its
run is `wait_seconds()` old (half a second by default: a read of one campaign is done by
then). A read still running shows the last figures of the same read, marked with their time,
or a note that it is being counted; the page then reruns itself once every read it waits for
has finished (a fragment polling each second). A finished read is kept, per store, until the
next committed write (the store's generation) or for ten minutes: some reads depend on the
clock (an agreement expires by itself). One worker runs one such read at a time, whatever the
number of people looking: their CPU and memory stay those of one read.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import streamlit as st

from lib.config import DUCKDB_MEMORY_MB_ENV, database_limits
from lib.db import utcnow
from lib.web.connection import database
from lib.web.failures import Source, attempt, out_of_memory

WAIT_ENV = "COLLABDESK_PAGE_WAIT_SECONDS"
DEFAULT_WAIT_SECONDS = 0.5
POLL_SECONDS = 1.0
FRESH_SECONDS = 600.0
KEEP = 64  # finished reads kept per process (a frame each, small: charts, not lists)

log = logging.getLogger(__name__)
_run = threading.local()  # this script run's start and the reads it is waiting for


@dataclass(frozen=True)
class Finished:
    """A read's outcome: its value or the error it raised, and what it was read from."""

    value: Any
    error: BaseException | None
    generation: int
    finished_at: dt.datetime
    finished_monotonic: float

    def fresh(self, generation: int) -> bool:
        """Usable as it is: a value, or a read too big for memory (it would fail again on the
        same data: read again only after a write or ten minutes, not at every rerun)."""
        kept = self.error is None or out_of_memory(self.error)
        return (kept and self.generation == generation
                and time.monotonic() - self.finished_monotonic < FRESH_SECONDS)


def too_big_message() -> str:
    limit = database_limits().memory_mb
    return (f"This needs more memory than the app may use ({limit:,} MB). Narrow it down where"
            " the page lets you (a client, a campaign, a shorter period), or ask an admin to"
            f" raise {DUCKDB_MEMORY_MB_ENV}.")


class BackgroundReads:
    """The process's worker and what it has read, keyed by the read and its arguments."""

    def __init__(self) -> None:
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="collabdesk-reads")
        self._lock = threading.Lock()
        self._running: dict[Hashable, Future[Finished]] = {}
        self._finished: OrderedDict[Hashable, Finished] = OrderedDict()

    def get(self, key: Hashable, generation: int,
            read: Callable[[], Any]) -> tuple[Finished | None, Future[Finished] | None]:
        """The latest finished outcome of `key` (fresh or not), and the run of it still going
        (started here when the latest is not fresh and none is going)."""
        with self._lock:
            latest = self._finished.get(key)
            if latest is not None and latest.fresh(generation):
                self._finished.move_to_end(key)
                return latest, None
            running = self._running.get(key)
            if running is None:
                running = self._pool.submit(self._read, key, generation, read)
                self._running[key] = running
            return latest, running

    def _read(self, key: Hashable, generation: int, read: Callable[[], Any]) -> Finished:
        try:
            value, error = read(), None
        except Exception as failure:  # shown to the person by the page that asked
            value, error = None, failure
            if out_of_memory(failure):  # kept, and shown as advice: logged here, once
                log.warning("A background read ran out of memory: %s", key, exc_info=failure)
        outcome = Finished(value, error, generation, utcnow(), time.monotonic())
        with self._lock:
            self._finished[key] = outcome
            self._finished.move_to_end(key)
            while len(self._finished) > KEEP:
                self._finished.popitem(last=False)
            self._running.pop(key, None)
        return outcome

    def busy(self) -> bool:
        with self._lock:
            return bool(self._running)

    def wait_idle(self, timeout: float) -> None:
        """Wait until every read given so far has finished (the worker runs them in order)."""
        self._pool.submit(lambda: None).result(timeout=timeout)

    def shutdown(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)


def _shutdown(reads: BackgroundReads) -> None:
    reads.shutdown()


@st.cache_resource(show_spinner=False, on_release=_shutdown)
def _reads() -> BackgroundReads:
    return BackgroundReads()


def background_reads() -> BackgroundReads:
    """The process's worker (the benchmark waits for it to see when a page is complete)."""
    return _reads()


def wait_seconds() -> float:
    """How long a page's run may wait for its slow reads (COLLABDESK_PAGE_WAIT_SECONDS)."""
    try:
        return max(0.0, float(os.environ.get(WAIT_ENV, DEFAULT_WAIT_SECONDS)))
    except ValueError:
        return DEFAULT_WAIT_SECONDS


def run_started() -> None:
    """Called by app.py as each script run starts: the reads wait until the run is
    wait_seconds() old, in all, not each."""
    _run.started = time.monotonic()
    _run.waiting = []


def _time_left() -> float:
    started = getattr(_run, "started", None)
    if started is None:  # a page run without app.py (a test): the full wait
        return wait_seconds()
    return max(0.0, started + wait_seconds() - time.monotonic())


def slow_read(key: Hashable, read: Callable[[], Any], counting: str,
              source: Source | None = None) -> Any | None:
    """`read()` run in the background under `key` (a read's name and arguments; the store
    and its generation are added here). Returns its value when it is fresh or finishes in
    time; else the last value of the same read, with its time said, while a new one runs; or
    None, after showing `counting` (what is being counted) and a failure as a message."""
    db = database()
    generation = db.generation
    latest, running = _reads().get((str(db.path), id(db), key), generation, read)
    if running is not None:
        try:
            latest = running.result(timeout=_time_left())
            running = None
        except TimeoutError:
            _waiting().append(running)
    if latest is None:
        st.status(counting, state="running")
        return None
    if running is not None:
        st.caption(f"As of {latest.finished_at:%H:%M:%S} UTC; newer figures are being "
                   "counted and will show here by themselves.")

    if latest.error is not None and out_of_memory(latest.error):
        st.warning(too_big_message(), icon=":material/memory:")
        return None

    def outcome() -> Any:
        if latest.error is not None:
            raise latest.error
        return latest.value

    return attempt(outcome, source)


def slow_frame(read: Callable[..., Any], counting: str, **kwargs: Any) -> Any | None:
    """`read(database(), **kwargs)`, a read of lib (the progress charts), through slow_read:
    kept until the next write, keyed by the read's name and its arguments."""
    key = (f"{read.__module__}.{read.__qualname__}", tuple(sorted(kwargs.items())))
    db = database()
    return slow_read(key, lambda: read(db, **kwargs), counting)


def _waiting() -> list[Future[Finished]]:
    if not hasattr(_run, "waiting"):
        _run.waiting = []
    return _run.waiting


def rerun_when_ready() -> None:
    """Called by app.py after the page: while reads of this run are still going, a fragment
    checks each POLL_SECONDS and reruns the page once they have all finished."""
    waiting = list(_waiting())
    _run.waiting = []
    if not waiting:
        return

    @st.fragment(run_every=POLL_SECONDS)
    def poll() -> None:
        if all(read.done() for read in waiting):
            st.rerun()

    poll()
