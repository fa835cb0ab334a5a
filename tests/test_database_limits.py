"""The process's DuckDB memory limit and threads (config.database_limits): the app's
connection, the command line's snapshot and its read-only reads all get them, from the
environment or the defaults."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from lib import config, snapshots
from lib.db import Database, connect

ROOT = Path(__file__).resolve().parent.parent


def settings(cur_source: object) -> tuple[str, int]:
    with cur_source.cursor() as cur:  # type: ignore[attr-defined]
        row = cur.execute(
            "SELECT current_setting('memory_limit'), current_setting('threads')"
        ).fetchone()
    return row[0], int(row[1])


def test_the_app_connection_has_the_defaults(tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(config.DUCKDB_MEMORY_MB_ENV, raising=False)
    monkeypatch.delenv(config.DUCKDB_THREADS_ENV, raising=False)
    db = Database(tmp_path / "app.duckdb")
    try:
        assert settings(db) == ("488.2 MiB", 2)  # 512 MB
    finally:
        db.close()


def test_the_environment_sets_them(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(config.DUCKDB_MEMORY_MB_ENV, "300")
    monkeypatch.setenv(config.DUCKDB_THREADS_ENV, "1")
    db = Database(tmp_path / "app.duckdb")
    try:
        assert settings(db) == ("286.1 MiB", 1)  # 300 MB
    finally:
        db.close()


@pytest.mark.parametrize("memory, threads", [
    ("lots", "many"), ("12", "0"), ("-1", "-4"), ("1.5", "2.5"), ("", " "),
])
def test_unusable_values_keep_the_defaults(memory: str, threads: str,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(config.DUCKDB_MEMORY_MB_ENV, memory)
    monkeypatch.setenv(config.DUCKDB_THREADS_ENV, threads)
    assert config.database_limits() == config.DatabaseLimits()


def test_read_only_connections_get_them_too(tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "app.duckdb"
    Database(path).close()
    monkeypatch.setenv(config.DUCKDB_MEMORY_MB_ENV, "200")
    monkeypatch.setenv(config.DUCKDB_THREADS_ENV, "1")
    with connect(path, read_only=True) as conn:
        assert settings(conn) == ("190.7 MiB", 1)
    with snapshots.open_live_read_only(path) as store:
        assert settings(store) == ("190.7 MiB", 1)


def test_the_command_line_snapshot_copies_within_the_limit(tmp_path: Path) -> None:
    """A table of ~150 MB of text, snapshot by `python -m lib snapshot` under a 128 MB limit:
    the rows are streamed by COPY, never held whole, so it completes with every row."""
    path = tmp_path / "big.duckdb"
    db = Database(path)
    db.value("CREATE TABLE big AS SELECT i AS id, repeat(md5(i::VARCHAR), 4) AS text"
             " FROM range(1000000) t(i)")
    identity = db.identity
    db.close()
    env = {"PATH": "/usr/bin:/bin", "COLLABDESK_DB": str(path),
           config.DUCKDB_MEMORY_MB_ENV: "128", config.DUCKDB_THREADS_ENV: "1"}
    done = subprocess.run(
        [sys.executable, "-m", "lib", "snapshot", "--quiet", "--out", str(tmp_path / "snaps")],
        cwd=ROOT, env=env, capture_output=True, text=True, check=False, timeout=600,
    )
    assert done.returncode == 0, done.stderr
    [taken] = snapshots.list_snapshots(tmp_path / "snaps", identity)
    assert taken.tables["big"].rows == 1_000_000
