"""The DuckDB store: one connection per process, a fresh cursor per query or transaction.

Schema changes are numbered SQL files in lib/migrations/, applied in order at start-up and
recorded in `schema_version`, so opening a database twice (or an old one) is always safe.
A change DuckDB cannot make in one transaction (re-pointing rows that other rows reference) is
a numbered Python file instead: its `apply(cur)` runs its own transactions and must be safe to
run again after a crash at any point; the version is recorded once it returns.
"""

from __future__ import annotations

import datetime as dt
import importlib.util
import logging
import os
import random
import re
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import duckdb
import pandas as pd

from lib import config

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
WRITE_RETRIES = 8
ID_FILE_SUFFIX = ".id"  # <database file>.id: the database's identity, readable without it
_DATABASE_ID = re.compile(r"^[0-9a-f]{32}$")

log = logging.getLogger(__name__)

T = TypeVar("T")
Cursor = duckdb.DuckDBPyConnection


class NotFound(LookupError):
    """An id that names nothing; the message says which."""


class ConcurrentEditError(RuntimeError):
    """A write kept colliding with other people's writes and was given up; nothing was saved."""


class DuplicateKey(RuntimeError):
    """The store refused a row that repeats a unique key (DuckDB's ConstraintException or
    PostgreSQL's UniqueViolation, raised by `write` as this one class so services catch one
    thing on either store); the message is the store's own, naming the key."""


def is_duplicate_key(error: BaseException) -> bool:
    """True when `error` is DuckDB refusing a repeated primary or unique key."""
    text = str(error)
    return isinstance(error, duckdb.ConstraintException) and (
        "Duplicate key" in text or "duplicate key" in text)


@dataclass(frozen=True)
class DatabaseIdentity:
    """Which database this is, for telling its snapshots from another's: the random id made
    once by migration 010 (kept in the database, and in the file `<database>.id` beside it),
    and the file's name (two databases in one folder, even copies of one file, differ by it).
    """

    id: str
    name: str


def id_file(db_path: Path | str) -> Path:
    return Path(f"{db_path}{ID_FILE_SUFFIX}")


def read_identity(db_path: Path | str) -> DatabaseIdentity | None:
    """The identity of the database at `db_path` from its `.id` file, for a reader that cannot
    open the database (the app holds its lock); None when the file is missing or malformed."""
    try:
        database_id = id_file(db_path).read_text(encoding="ascii").strip()
    except (OSError, UnicodeDecodeError):
        return None
    if not _DATABASE_ID.match(database_id):
        return None
    return DatabaseIdentity(database_id, Path(db_path).name)


def identity_in(cur: duckdb.DuckDBPyConnection, db_path: Path | str) -> DatabaseIdentity | None:
    """The identity recorded in the database itself (None before migration 010)."""
    try:
        row = cur.execute("SELECT min(id) FROM database_identity").fetchone()
    except duckdb.CatalogException:
        return None
    return DatabaseIdentity(row[0], Path(db_path).name) if row and row[0] else None


def _write_id_file(db_path: Path, identity: DatabaseIdentity) -> None:
    """Keep `<database>.id` equal to the id in the database (the database is the truth)."""
    if read_identity(db_path) == identity:
        return
    target = id_file(db_path)
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    try:
        tmp.write_text(identity.id + "\n", encoding="ascii")
        os.replace(tmp, target)
    except OSError as error:  # the app still works; only the CLI cannot check snapshots
        log.warning("Could not write %s: %s", target, error)


def connect(path: Path | str, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    """A connection to the database file with the process's memory limit and threads
    (config.database_limits): the app's one connection, and the command line's."""
    settings = config.database_limits().duckdb_config()
    return duckdb.connect(str(path), read_only=read_only, config=settings)


def utcnow() -> dt.datetime:
    """Now, in UTC, without tzinfo: every TIMESTAMP column holds UTC."""
    return dt.datetime.now(dt.UTC).replace(tzinfo=None, microsecond=0)


_commits = 0
_commits_lock = threading.Lock()


def _count_commit() -> None:
    global _commits
    with _commits_lock:
        _commits += 1


def back_off_or_give_up(conflict: Exception, attempt: int, retries: int) -> None:
    """After a write conflict: wait a little longer each time before the retry, or, after the
    last one, give up with the message a person reads (every store's write retries this way)."""
    if attempt == retries:
        raise ConcurrentEditError(
            "Other people were changing the same records at the same moment; "
            "nothing was saved. Try again."
        ) from conflict
    time.sleep(random.uniform(0.005, 0.02) * (attempt + 1))


class Reads:
    """The read helpers of a store, each on a fresh cursor (a shared connection refuses
    concurrent calls): the live Database and a snapshot's ReadOnlyStore both have them."""

    def cursor(self) -> Cursor:
        raise NotImplementedError

    def rows(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> list[tuple]:
        with self.cursor() as cur:
            return cur.execute(sql, params).fetchall()

    def one(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> tuple | None:
        with self.cursor() as cur:
            return cur.execute(sql, params).fetchone()

    def value(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> Any:
        row = self.one(sql, params)
        return row[0] if row else None

    def frame(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> pd.DataFrame:
        with self.cursor() as cur:
            return cur.execute(sql, params).df()


class Database(Reads):
    """The process's single connection to one database file."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        if str(path) != ":memory:":
            self.path.parent.mkdir(parents=True, exist_ok=True)
        self._conn = connect(path)
        self._migrate_lock = threading.Lock()
        self.migrate()
        self.identity = self._identity()

    def _identity(self) -> DatabaseIdentity:
        with self.cursor() as cur:
            identity = identity_in(cur, self.path)
        if identity is None:
            # Only a schema before 010 (migration tests pin older migrations): no id, which
            # matches no snapshot, and no .id file.
            return DatabaseIdentity("", self.path.name)
        if str(self.path) != ":memory:":
            _write_id_file(self.path, identity)
        return identity

    @property
    def generation(self) -> int:
        """Transactions committed in this process so far (through any Database). A cache of
        reads keyed on it is fresh: while the app runs, no other process can write the file."""
        return _commits

    def close(self) -> None:
        self._conn.close()

    # --- reads -------------------------------------------------------------

    def cursor(self) -> Cursor:
        return self._conn.cursor()


    # --- writes ------------------------------------------------------------

    @contextmanager
    def transaction(self) -> Iterator[Cursor]:
        """One transaction on a fresh cursor: committed on success, rolled back on any error."""
        with self.cursor() as cur:
            cur.execute("BEGIN TRANSACTION")
            try:
                yield cur
                cur.execute("COMMIT")
                _count_commit()
            except BaseException:
                # DuckDB has already aborted a transaction that hit a conflict.
                with suppress(duckdb.Error):
                    cur.execute("ROLLBACK")
                raise

    def write(self, work: Callable[[Cursor], T], retries: int = WRITE_RETRIES) -> T:
        """Run `work` in a transaction, retrying when a concurrent write conflicts.

        `work` must re-read what it depends on, since a retry starts from a fresh snapshot.
        Rule and permission errors are not retried: they go straight to the caller.
        """
        for attempt in range(retries + 1):
            try:
                with self.transaction() as cur:
                    return work(cur)
            except duckdb.ConstraintException as refused:
                if is_duplicate_key(refused):
                    raise DuplicateKey(str(refused)) from refused
                raise
            except duckdb.TransactionException as conflict:
                back_off_or_give_up(conflict, attempt, retries)
        raise AssertionError("unreachable")

    # --- schema ------------------------------------------------------------

    def schema_version(self) -> int:
        return self.value("SELECT coalesce(max(version), 0) FROM schema_version") or 0

    def migrate(self) -> list[int]:
        """Apply the migrations this database has not had yet; return their numbers."""
        with self._migrate_lock, self.cursor() as cur:
            cur.execute(
                "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER PRIMARY KEY,"
                " name VARCHAR NOT NULL, applied_at TIMESTAMP NOT NULL)"
            )
            done = {row[0] for row in cur.execute("SELECT version FROM schema_version").fetchall()}
            applied = []
            for number, name, step in _migrations():
                if number in done:
                    continue
                if callable(step):
                    step(cur)  # its own transactions; recorded below once it is through
                cur.execute("BEGIN TRANSACTION")
                try:
                    if not callable(step):
                        cur.execute(step)
                    cur.execute(
                        "INSERT INTO schema_version VALUES (?, ?, ?)", [number, name, utcnow()]
                    )
                    cur.execute("COMMIT")
                except BaseException:
                    cur.execute("ROLLBACK")
                    raise
                applied.append(number)
            return applied


Migration = str | Callable[[Cursor], None]  # SQL for one transaction, or a Python step


def _migrations() -> list[tuple[int, str, Migration]]:
    found: list[tuple[int, str, Migration]] = []
    for file in sorted(MIGRATIONS_DIR.glob("[0-9][0-9][0-9]_*.*")):
        if file.suffix == ".sql":
            found.append((int(file.name[:3]), file.stem, file.read_text()))
        elif file.suffix == ".py":
            found.append((int(file.name[:3]), file.stem, _python_step(file)))
    numbers = [number for number, _, _ in found]
    if len(set(numbers)) != len(numbers):
        # Two files with one number: the second would be skipped silently on some databases.
        raise RuntimeError(f"Duplicate migration numbers in {MIGRATIONS_DIR}: {numbers}")
    return found


def _python_step(file: Path) -> Callable[[Cursor], None]:
    """The `apply` function of a numbered Python migration (its name starts with a digit, so
    it is loaded from its path rather than imported)."""
    spec = importlib.util.spec_from_file_location(f"lib.migrations.m{file.stem}", file)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.apply



BIGINT_RANGE = range(-(2**63), 2**63)  # the ids a BIGINT column can hold


def as_id(value: object, what: str) -> int:
    """`value` as an id; NotFound (saying which `what`) when it cannot name a row at all."""
    from lib.rules import shown  # rules is pure; imported here to keep db.py's imports light

    try:
        number = int(value)  # type: ignore[call-overload]
    except (TypeError, ValueError):
        raise NotFound(f"There is no {what} {shown(value)}.") from None
    if number not in BIGINT_RANGE:
        raise NotFound(f"There is no {what} #{number}.")
    return number


def bind(sql: str, values: Mapping[str, Any] | None = None, /, **more: Any) -> dict[str, Any]:
    """The named parameters `sql` uses ($name), out of `values` and `more`: DuckDB refuses
    unused ones, and shared SQL fragments bring some parameters into some statements only."""
    used = set(re.findall(r"\$(\w+)", sql))
    return {k: v for k, v in {**(values or {}), **more}.items() if k in used}


@dataclass
class Page:
    """One page of a list: its rows, how many match in all, and where the page is."""

    rows: pd.DataFrame
    total: int
    page: int
    page_size: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.page_size))


def paged(
    db: Database, hits: str, order: str, params: Mapping[str, Any], page: int, page_size: int
) -> Page:
    """One page of the rows `hits` selects, in `order`; a page past the end shows the last.
    The caller has checked `page_size` against its list's limits."""
    total = int(db.value(f"SELECT count(*) FROM ({hits})", bind(hits, params)))
    page = min(max(1, int(page)), max(1, -(-total // page_size)))
    sql = f"SELECT * FROM ({hits}) ORDER BY {order} LIMIT $limit OFFSET $offset"
    values = {**params, "limit": page_size, "offset": (page - 1) * page_size}
    return Page(db.frame(sql, bind(sql, values)), total, page, page_size)


def placeholders_for(values: Sequence[Any]) -> str:
    return ", ".join("?" for _ in values)
