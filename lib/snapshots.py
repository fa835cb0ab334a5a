"""Snapshots: every table as Parquet files, for analysts' own tools, the SQL console and the
command line while the app holds the database.

A snapshot is a folder `<root>/<UTC time>/` with one `<table>.parquet` per table and a small
`snapshot.json` (time, schema version, row counts, column types). It is written into a hidden
temporary folder first and renamed into place in one step, so a reader sees a whole snapshot or
none; the last few are kept. `<root>` is `snapshots/` beside the database file (see root_of).

A snapshot belongs to one database: its snapshot.json names the database's identity (the
random id migration 010 made, and the file's name; see lib.db.DatabaseIdentity), and every
reader says whose snapshots it wants. Listing shows only those; opening re-reads the manifest
and refuses any other (ForeignSnapshot), so two databases in one folder never read each
other's data. The audit trail (`SECRET_TABLES`) is never written into a snapshot.

Writing streams: each table goes to its Parquet file through DuckDB's `COPY ... TO ... (FORMAT
parquet)` on a fresh cursor of the caller's connection (the app's own one, in the app), so no
table passes through Python, pandas or Arrow; what the copy holds at once is bounded by that
connection's memory limit (config.database_limits: 512 MB by default). On the shared
PostgreSQL store (COLLABDESK_STORE) every table is read in one read-only REPEATABLE READ
transaction and streamed out as CSV into the snapshot's temporary folder, which an in-memory
DuckDB turns into the same Parquet file; the fingerprint is the store's generation.

Reading a snapshot: an in-memory DuckDB connection with one VIEW per table over its Parquet
file, so report SQL runs unchanged on it. That connection can reach those files and nothing
else (no other files, no extensions, no settings changes).
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import re
import shutil
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import duckdb

from lib import config, rules
from lib.db import DatabaseIdentity, Reads, connect, identity_in, utcnow
from lib.models import Role, User

log = logging.getLogger(__name__)

KEEP = 5  # snapshots kept in a folder; older ones are removed after each new one
DEFAULT_MINUTES = 5.0  # the app writes at most this often, and only after changes
MINUTES_ENV = "COLLABDESK_SNAPSHOT_MINUTES"  # 0 turns the app's background snapshots off
POLL_SECONDS = 15.0  # how often the app's background thread looks for changes
MANIFEST = "snapshot.json"
TMP_PREFIX = ".tmp-"
STALE_TMP = dt.timedelta(hours=1)  # a temporary folder this old was left by a crash
NAME_FORMAT = "%Y%m%dT%H%M%S.%fZ"  # folder names sort in time order
_NAME = re.compile(r"^\d{8}T\d{6}\.\d{6}Z(-\d+)?$")
MEMORY_LIMIT = "1GB"  # per reading connection: a console query must not starve the app
SECRET_TABLES = frozenset({"audit_events"})  # admins only: never in a snapshot (or the console)

Progress = Callable[[str, float], None]
_locks: dict[Path, threading.Lock] = {}
_locks_guard = threading.Lock()


class ForeignSnapshot(rules.RuleViolation):
    """A snapshot that is not of the database the reader asked about; it is not read."""


def is_secret(column: str) -> bool:
    """Columns that hold credentials (password or token hashes) never leave the database."""
    name = column.lower()
    return name.endswith("_hash") or "password" in name or "secret" in name


def split_secret(columns: list[tuple[str, str]]) -> tuple[dict[str, str], list[str]]:
    """(name, type) pairs split into those a snapshot keeps (name -> type) and the secret
    ones it leaves out."""
    kept = {name: kind for name, kind in columns if not is_secret(name)}
    return kept, [name for name, _ in columns if is_secret(name)]


def snapshots_root(db_path: Path | str) -> Path:
    """Where the app keeps the snapshots of the database at `db_path`: beside the file."""
    return Path(db_path).resolve().parent / "snapshots"


def interval_from_env() -> dt.timedelta | None:
    """How often the app may write a snapshot (COLLABDESK_SNAPSHOT_MINUTES); None when off."""
    raw = os.environ.get(MINUTES_ENV, "").strip()
    try:
        minutes = float(raw) if raw else DEFAULT_MINUTES
    except ValueError:
        log.warning("%s=%r is not a number of minutes; using %s", MINUTES_ENV, raw,
                    DEFAULT_MINUTES)
        minutes = DEFAULT_MINUTES
    return dt.timedelta(minutes=minutes) if minutes > 0 else None


@dataclass(frozen=True)
class TableInfo:
    rows: int
    columns: dict[str, str]  # name -> DuckDB type


@dataclass(frozen=True)
class Snapshot:
    """One complete snapshot folder, as its snapshot.json describes it."""

    path: Path
    taken_at: dt.datetime  # UTC, when its transaction started (the data's moment)
    schema_version: int
    tables: dict[str, TableInfo]
    left_out: dict[str, list[str]] = field(default_factory=dict)  # secret columns per table
    fingerprint: list[Any] = field(default_factory=list)  # of the database file when taken
    database_id: str | None = None  # the identity of the database it was taken of
    database: str | None = None  # that database file's name

    def belongs_to(self, database: DatabaseIdentity) -> bool:
        return (bool(database.id) and self.database_id == database.id
                and self.database == database.name)

    def parquet(self, table: str) -> Path:
        return self.path / f"{table}.parquet"

    @property
    def label(self) -> str:
        return f"{self.taken_at:%Y-%m-%d %H:%M:%S} UTC"


class CursorSource(Protocol):
    """A Database, or a DuckDB connection: anything that hands out cursors."""

    def cursor(self) -> duckdb.DuckDBPyConnection: ...


# --- writing -------------------------------------------------------------------------------


def fingerprint(db_path: Path | str) -> list[Any]:
    """Size and modification time of the database file and its write-ahead log.

    Every commit appends to the log, and a checkpoint rewrites the file and empties the log,
    so the fingerprint changes with every committed change and with nothing else (reads and
    snapshots write neither). It costs two stat calls, whatever the size of the data.
    """
    found: list[Any] = []
    for file in (Path(db_path), Path(f"{db_path}.wal")):
        try:
            info = file.stat()
        except FileNotFoundError:
            found.append(None)
        else:
            found.append([info.st_size, info.st_mtime_ns])
    return found


def write_snapshot(
    source: CursorSource,
    root: Path,
    db_path: Path | str | None = None,
    keep: int = KEEP,
    progress: Progress | None = None,
) -> Snapshot:
    """Write a snapshot of every table in `source` under `root`; return it.

    All tables are read in one transaction, so the snapshot is one consistent moment. The
    files go to `root/.tmp-<id>/` and the folder is renamed to `root/<time>/` when complete
    (a reader never sees a half-written snapshot); then all but the newest `keep` are removed.
    `db_path` (the database file) lets later callers tell whether the data changed since.
    """
    if keep < 1:
        raise rules.RuleViolation("Keep at least one snapshot.")
    root = Path(root)
    with _lock(root):
        root.mkdir(parents=True, exist_ok=True)
        _remove_stale_temporaries(root)
        shared = getattr(source, "shared", False)
        marked = _changes_of(source) if shared else fingerprint(db_path) if db_path else []
        tmp = root / f"{TMP_PREFIX}{uuid.uuid4().hex}"
        tmp.mkdir()
        try:
            copy = _copy_shared_tables if shared else _copy_tables
            taken_at, version, tables, left_out, identity = copy(source, tmp, db_path, progress)
            manifest = {
                "taken_at": taken_at.isoformat(),
                "schema_version": version,
                "database": identity.name,
                "database_id": identity.id,
                "fingerprint": marked,
                "tables": {
                    name: {"rows": info.rows, "columns": info.columns}
                    for name, info in tables.items()
                },
                "left_out": left_out,
            }
            _write_durably(tmp / MANIFEST, json.dumps(manifest, indent=2).encode())
            final = _free_name(root, taken_at)
            os.rename(tmp, final)  # atomic: the folder appears complete, or not at all
            _fsync_dir(root)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        _prune(root, keep, identity)
    if progress:
        progress("Snapshot written", 1.0)
    return Snapshot(final, taken_at, version, tables, left_out, marked, identity.id,
                    identity.name)


def _copy_tables(
    source: CursorSource, folder: Path, db_path: Path | str | None, progress: Progress | None
) -> tuple[dt.datetime, int, dict[str, TableInfo], dict[str, list[str]], DatabaseIdentity]:
    tables: dict[str, TableInfo] = {}
    left_out: dict[str, list[str]] = {}
    with source.cursor() as cur:
        cur.execute("BEGIN TRANSACTION")
        try:
            identity = identity_in(cur, db_path or "")
            if identity is None or not db_path:
                raise rules.RuleViolation(
                    "This database has no identity to write into a snapshot (its schema is "
                    "older than version 10): run `python -m lib migrate` first."
                )
            # Microseconds too: the folder's name, and the order of snapshots, come from it.
            taken_at = dt.datetime.now(dt.UTC).replace(tzinfo=None)
            names = [r[0] for r in cur.execute(
                "SELECT table_name FROM duckdb_tables() WHERE database_name = current_database()"
                " AND schema_name = 'main' AND NOT temporary ORDER BY table_name"
            ).fetchall()]
            names = [name for name in names if name not in SECRET_TABLES]
            for done, table in enumerate(names):
                if progress:
                    progress(f"Copying {table}", done / max(1, len(names)))
                tables[table], secret = _copy_table(cur, table, folder / f"{table}.parquet")
                if secret:
                    left_out[table] = secret
            version = cur.execute(
                "SELECT coalesce(max(version), 0) FROM schema_version"
            ).fetchone()[0] if "schema_version" in names else 0
        finally:
            cur.execute("ROLLBACK")  # it only read
    return taken_at, int(version), tables, left_out, identity


def _copy_table(cur: duckdb.DuckDBPyConnection, table: str, target: Path
                ) -> tuple[TableInfo, list[str]]:
    columns = cur.execute(
        "SELECT column_name, data_type FROM duckdb_columns() WHERE database_name ="
        " current_database() AND schema_name = 'main' AND table_name = ? ORDER BY column_index",
        [table],
    ).fetchall()
    kept, secret = split_secret(columns)
    select = ", ".join(quote_identifier(name) for name in kept) or "NULL AS no_columns"
    rows = cur.execute(
        f"COPY (SELECT {select} FROM {quote_identifier(table)}) TO {quote_literal(target)}"
        " (FORMAT parquet)"
    ).fetchone()
    _fsync_file(target)
    return TableInfo(int(rows[0]) if rows else 0, kept), secret


def _copy_shared_tables(
    db: Any, folder: Path, _db_path: object, progress: Progress | None
) -> tuple[dt.datetime, int, dict[str, TableInfo], dict[str, list[str]], DatabaseIdentity]:
    """_copy_tables for the shared PostgreSQL store: every table read in one read-only
    transaction, streamed out as CSV to a file, then turned into Parquet by an in-memory
    DuckDB under the app's memory limit; no table passes through Python at once."""
    from lib import pg_store  # psycopg: only for a shared store

    if not db.identity.id:
        raise rules.RuleViolation("The shared store has no identity to write into a snapshot:"
                                  " run `python -m lib migrate` first.")
    tables: dict[str, TableInfo] = {}
    left_out: dict[str, list[str]] = {}
    with pg_store.reading(db) as conn, connect(":memory:") as duck:
        taken_at = dt.datetime.now(dt.UTC).replace(tzinfo=None)
        names = [t for t in pg_store.table_names(conn) if t not in SECRET_TABLES]
        for done, table in enumerate(names):
            if progress:
                progress(f"Copying {table}", done / max(1, len(names)))
            kept, secret = split_secret(pg_store.columns_of(conn, table))
            if secret:
                left_out[table] = secret
            tables[table] = _csv_to_parquet(conn, duck, table, kept, folder)
        version = conn.execute("SELECT coalesce(max(version), 0) FROM schema_version"
                               ).fetchone()[0] if "schema_version" in names else 0
    return taken_at, int(version), tables, left_out, db.identity


def _csv_to_parquet(conn: Any, duck: duckdb.DuckDBPyConnection, table: str,
                    kept: dict[str, str], folder: Path) -> TableInfo:
    from lib import pg_store

    text, target = folder / f".{table}.csv", folder / f"{table}.parquet"
    select = ", ".join(quote_identifier(name) for name in kept) or "NULL AS no_columns"
    pg_store.copy_out_csv(conn, f"SELECT {select} FROM {quote_identifier(table)}", text)
    types = ", ".join(f"{quote_literal(name)}: {quote_literal(kind)}"
                      for name, kind in (kept or {"no_columns": "VARCHAR"}).items())
    # Quoted empty fields are empty texts; bare ones are NULL (copy_out_csv quotes every value).
    rows = duck.execute(
        f"COPY (SELECT * FROM read_csv({quote_literal(text)}, header = false, auto_detect ="
        f" false, columns = {{{types}}}, quote = '\"', escape = '\"',"
        " allow_quoted_nulls = false, strict_mode = true))"
        f" TO {quote_literal(target)} (FORMAT parquet)"
    ).fetchone()
    text.unlink()
    _fsync_file(target)
    return TableInfo(int(rows[0]) if rows else 0, kept)


def _changes_of(db: Any) -> list[Any]:
    """The shared store's fingerprint: its generation, which every server's commit bumps."""
    return [["generation", int(db.generation)]]


def current_fingerprint(db: Any) -> list[Any]:
    """What changes with every committed change of `db` (and nothing else)."""
    return _changes_of(db) if getattr(db, "shared", False) else fingerprint(db.path)


def quote_identifier(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def quote_literal(value: object) -> str:
    return "'" + str(value).replace("'", "''") + "'"


def _free_name(root: Path, taken_at: dt.datetime) -> Path:
    name = taken_at.strftime(NAME_FORMAT)
    candidate, number = root / name, 1
    while candidate.exists():  # two snapshots in one microsecond: keep both
        number += 1
        candidate = root / f"{name}-{number}"
    return candidate


def _write_durably(path: Path, data: bytes) -> None:
    with open(path, "wb") as out:
        out.write(data)
        out.flush()
        os.fsync(out.fileno())


def _fsync_file(path: Path) -> None:
    """Flush a file to disk before the folder is renamed, so a crash cannot leave a complete
    looking snapshot with empty files."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _lock(root: Path) -> threading.Lock:
    """One writer per snapshot folder in this process (the background thread and a button)."""
    with _locks_guard:
        return _locks.setdefault(root.resolve(), threading.Lock())


def _remove_stale_temporaries(root: Path) -> None:
    cutoff = time.time() - STALE_TMP.total_seconds()
    for folder in root.glob(f"{TMP_PREFIX}*"):
        if folder.is_dir() and folder.stat().st_mtime < cutoff:
            shutil.rmtree(folder, ignore_errors=True)


def _prune(root: Path, keep: int, database: DatabaseIdentity) -> None:
    """Remove all but the newest `keep` of this database's snapshots (another database's in
    the same folder are its own business), and those of its file written before snapshots
    recorded an identity (no reader accepts them). Each is renamed out of sight first (one
    atomic step), so a reader never finds a snapshot with some of its files already gone."""
    unbound = [s for s in _all_snapshots(root)
               if s.database_id is None and s.database == database.name]
    for old in list_snapshots(root, database)[keep:] + unbound:
        doomed = root / f"{TMP_PREFIX}old-{uuid.uuid4().hex}"
        try:
            os.rename(old.path, doomed)
        except OSError:
            continue  # removed by someone else meanwhile
        shutil.rmtree(doomed, ignore_errors=True)


# --- reading -------------------------------------------------------------------------------


def list_snapshots(root: Path | str, database: DatabaseIdentity) -> list[Snapshot]:
    """The complete snapshots of `database` under `root`, newest first (temporary folders and
    other databases' snapshots are not listed)."""
    return [s for s in _all_snapshots(root) if s.belongs_to(database)]


def foreign_snapshots(root: Path | str, database: DatabaseIdentity) -> int:
    """How many snapshots under `root` are not of `database` (for a message saying so)."""
    return sum(not s.belongs_to(database) for s in _all_snapshots(root))


def _all_snapshots(root: Path | str) -> list[Snapshot]:
    root = Path(root)
    if not root.is_dir():
        return []
    found = []
    for folder in root.iterdir():
        if folder.is_dir() and _NAME.match(folder.name):
            snapshot = _read_manifest(folder)
            if snapshot is not None:
                found.append(snapshot)
    return sorted(found, key=lambda s: (s.taken_at, s.path.name), reverse=True)


def latest_snapshot(root: Path | str, database: DatabaseIdentity) -> Snapshot | None:
    """The newest snapshot of `database` under `root`, or None."""
    snapshots = list_snapshots(root, database)
    return snapshots[0] if snapshots else None


def check_belongs(snapshot: Snapshot, database: DatabaseIdentity) -> None:
    """Raise ForeignSnapshot unless the snapshot's manifest, as it is on disk now, names
    `database` (whatever the Snapshot object in hand says)."""
    on_disk = _read_manifest(snapshot.path)
    if on_disk is not None and on_disk.belongs_to(database):
        return
    if on_disk is None:
        why = "its snapshot.json is missing or unreadable"
    elif on_disk.database_id is None:
        why = "it was written before snapshots recorded their database"
    else:
        # Both come from a file anyone with access to the folder could edit: quoted, cut short.
        why = (f"it is of another database ({rules.shown(on_disk.database, 40)},"
               f" id {rules.shown(on_disk.database_id, 40)})")
    raise ForeignSnapshot(
        f"The snapshot {snapshot.path.name} is not one of {database.name}: {why}. It is not "
        "read; take a new snapshot of this database."
    )


def _read_manifest(folder: Path) -> Snapshot | None:
    try:
        manifest = json.loads((folder / MANIFEST).read_text())
        tables = {
            name: TableInfo(int(info["rows"]), dict(info["columns"]))
            for name, info in manifest["tables"].items()
        }
        return Snapshot(
            folder,
            dt.datetime.fromisoformat(manifest["taken_at"]),
            int(manifest.get("schema_version", 0)),
            tables,
            {k: list(v) for k, v in manifest.get("left_out", {}).items()},
            list(manifest.get("fingerprint", [])),
            _text_or_none(manifest.get("database_id")),
            _text_or_none(manifest.get("database")),
        )
    except (OSError, ValueError, KeyError, TypeError):
        log.warning("Skipping %s: its %s is missing or unreadable", folder, MANIFEST)
        return None


def _text_or_none(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


class ReadOnlyStore(Reads):
    """Reads over one DuckDB connection, with the same methods as lib.db.Database's reads, so
    the report queries run unchanged on a snapshot or on a read-only live database."""

    def __init__(self, connection: duckdb.DuckDBPyConnection, source: str,
                 taken_at: dt.datetime | None = None) -> None:
        self._conn = connection
        self.source = source  # says where the data came from, for people
        self.taken_at = taken_at  # the snapshot's time; None for the live database

    def cursor(self) -> duckdb.DuckDBPyConnection:
        return self._conn.cursor()


    def execute(self, sql: str) -> duckdb.DuckDBPyConnection:
        """Run `sql` on the store's own connection (which interrupt() stops); fetch from the
        returned result as far as needed: rows are produced as they are fetched."""
        return self._conn.execute(sql)

    def interrupt(self) -> None:
        self._conn.interrupt()

    def close(self) -> None:
        self._conn.close()

    def __enter__(self) -> ReadOnlyStore:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()


def open_snapshot(snapshot: Snapshot, database: DatabaseIdentity,
                  memory_limit: str = MEMORY_LIMIT, threads: int = 2,
                  temp_directory: str = "", max_temp_size: str = "0 B") -> ReadOnlyStore:
    """An in-memory connection with one view per table over the snapshot's Parquet files,
    when the snapshot is of `database` (ForeignSnapshot otherwise).

    It can read those files and nothing else: external access is off except for exactly
    these paths, extensions are neither installed nor loaded, nothing spills to disk, and the
    configuration is locked, so no statement run on it can change any of that.
    `temp_directory` (empty: none) and `max_temp_size` bound what a query may spill to disk.
    """
    check_belongs(snapshot, database)
    conn = duckdb.connect(":memory:", config={
        "autoinstall_known_extensions": False, "autoload_known_extensions": False,
    })
    try:
        conn.execute(f"SET memory_limit = {quote_literal(memory_limit)}")
        conn.execute(f"SET threads = {int(threads)}")
        # Default: in-memory, no spilling to files; a caller may allow a bounded folder.
        conn.execute(f"SET temp_directory = {quote_literal(temp_directory)}")
        conn.execute(f"SET max_temp_directory_size = {quote_literal(max_temp_size)}")
        paths = [str(snapshot.parquet(table)) for table in snapshot.tables]
        conn.execute("SET allowed_paths = ?", [paths])
        conn.execute("SET enable_external_access = false")
        conn.execute("SET lock_configuration = true")
        for table in snapshot.tables:
            conn.execute(
                f"CREATE VIEW {quote_identifier(table)} AS"
                f" SELECT * FROM read_parquet({quote_literal(snapshot.parquet(table))})"
            )
    except BaseException:
        conn.close()
        raise
    return ReadOnlyStore(conn, f"snapshot of {snapshot.label}", snapshot.taken_at)


def open_live_read_only(db_path: Path | str) -> ReadOnlyStore:
    """The database file itself, read-only (raises duckdb.IOException while the app holds it)."""
    conn = connect(db_path, read_only=True)
    return ReadOnlyStore(conn, f"database {Path(db_path).name}")


# --- in the app ----------------------------------------------------------------------------


class _Database(Protocol):
    path: Path
    identity: DatabaseIdentity

    def cursor(self) -> duckdb.DuckDBPyConnection: ...


def root_of(db: _Database) -> Path:
    """Where the app keeps `db`'s snapshots: beside the database file. On the shared store
    there is no file: each server keeps its own beside COLLABDESK_DB (data/snapshots/), each
    one a consistent moment of the whole store."""
    return snapshots_root(config.db_path() if getattr(db, "shared", False) else db.path)


def take_snapshot(db: _Database, user: User, progress: Progress | None = None
                  ) -> tuple[Snapshot, bool]:
    """A snapshot on demand (the Reports page): (the snapshot, True when a new one was written).

    Viewers may take one (they read and export). When nothing changed since the latest
    snapshot, that one is returned instead of writing the same data again.
    """
    rules.require_role(user, Role.VIEWER, "take a snapshot")
    root = root_of(db)
    latest = latest_snapshot(root, db.identity)
    if latest is not None and latest.fingerprint == current_fingerprint(db):
        return latest, False
    return write_snapshot(db, root, db.path, progress=progress), True


def newest_snapshot(db: _Database, user: User) -> Snapshot | None:
    """The latest snapshot of this store, or None when there is none yet."""
    rules.require_role(user, Role.VIEWER, "read snapshots")
    return latest_snapshot(root_of(db), db.identity)


def current_snapshot(db: _Database, user: User) -> Snapshot:
    """The latest snapshot, writing a first one when there is none yet (the SQL console)."""
    latest = newest_snapshot(db, user)
    return latest if latest is not None else take_snapshot(db, user)[0]


class Snapshotter:
    """The app's background writer: once the data has changed (see fingerprint()) and the
    latest snapshot is at least `every` old, it writes a new one, on a fresh cursor of the
    app's one connection. One per process (lib.web starts it through st.cache_resource)."""

    def __init__(self, db: _Database, every: dt.timedelta,
                 poll_seconds: float = POLL_SECONDS) -> None:
        self.db = db
        self.root = root_of(db)
        self.every = every
        self.poll_seconds = poll_seconds
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="collabdesk-snapshots",
                                        daemon=True)

    def start(self) -> Snapshotter:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()

    def due(self, now: dt.datetime | None = None) -> bool:
        latest = latest_snapshot(self.root, self.db.identity)
        if latest is None:
            return True
        if latest.fingerprint == current_fingerprint(self.db):
            return False  # nothing committed since
        return (now or utcnow()) - latest.taken_at >= self.every

    def tick(self, now: dt.datetime | None = None) -> Snapshot | None:
        """Write a snapshot if one is due; return it, or None."""
        if not self.due(now):
            return None
        return write_snapshot(self.db, self.root, self.db.path)

    def _run(self) -> None:
        while not self._stop.wait(self.poll_seconds):
            try:
                self.tick()
            except Exception:  # a failed snapshot must never take the app down; try later
                log.exception("Writing a snapshot into %s failed", self.root)
