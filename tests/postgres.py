"""A throwaway PostgreSQL cluster for the shared-store tests (tests/test_shared_store.py,
tests/test_shared_snapshots.py); tests/conftest.py makes these fixtures everyone's.

The cluster is started in a temp dir (initdb + pg_ctl, as the `postgres` user when the tests
run as root, since PostgreSQL refuses to run as root). Without initdb the tests are skipped,
except under CI=true, where .ci/run installs PostgreSQL and a skip would hide a missing
install step.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from lib.db import Database

IN_CI = os.environ.get("CI", "").lower() == "true"
DEMO_COLLABORATIONS = 300


def _unavailable(reason: str) -> None:
    if IN_CI:
        pytest.fail(f"{reason} (CI=true: .ci/run must install it)")
    pytest.skip(reason)


def _pg_bin(name: str) -> str | None:
    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    return candidates[-1] if candidates else None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _as_cluster_owner(argv: list[str]) -> list[str]:
    """`argv` as the `postgres` user when we are root (initdb and postgres refuse root)."""
    if os.geteuid() != 0:
        return argv
    return ["runuser", "-u", "postgres", "--", *argv]


@pytest.fixture(scope="session")
def pg_libs() -> None:
    """psycopg, psycopg_pool and sqlglot (requirements.txt), which lib.pg_store needs."""
    try:
        import psycopg  # noqa: F401
        import psycopg_pool  # noqa: F401
        import sqlglot  # noqa: F401
    except ImportError as missing:
        _unavailable(f"{missing.name} is not installed (pip install -r requirements.txt)")


class NoPostgres(RuntimeError):
    """initdb or pg_ctl is not installed."""


@contextmanager
def throwaway_cluster(settings: dict[str, str] | None = None) -> Iterator[str]:
    """A PostgreSQL cluster in a temp dir, running until the block ends; yields its base URL
    (without a database name). `settings` are server settings (`-c name=value`); fsync is
    off, since the cluster is thrown away. Used by the tests and by bench/shared.py."""
    initdb, pg_ctl = _pg_bin("initdb"), _pg_bin("pg_ctl")
    if initdb is None or pg_ctl is None:
        raise NoPostgres("PostgreSQL is not installed (no initdb/pg_ctl on PATH or under"
                         " /usr/lib/postgresql/*/bin): apt-get install postgresql")
    home = Path(tempfile.mkdtemp(prefix="collabdesk-pg-"))
    if os.geteuid() == 0:
        shutil.chown(home, "postgres", "postgres")
    data, port = home / "data", free_port()
    subprocess.run(_as_cluster_owner([initdb, "-D", str(data), "-U", "postgres", "--auth=trust",
                                      "-E", "UTF8", "--locale=C.UTF-8", "--no-sync"]),
                   check=True, capture_output=True)
    options = " ".join(f"-c {name}={value}" for name, value in
                       {"listen_addresses": "127.0.0.1", "fsync": "off", **(settings or {})
                        }.items())
    subprocess.run(_as_cluster_owner([pg_ctl, "-D", str(data), "-l", str(home / "log"), "-o",
                                      f"-p {port} -k {home} {options}", "-w", "start"]),
                   check=True, capture_output=True)
    try:
        yield f"postgresql://postgres@127.0.0.1:{port}"
    finally:
        subprocess.run(_as_cluster_owner([pg_ctl, "-D", str(data), "-m", "immediate", "stop"]),
                       capture_output=True)
        shutil.rmtree(home, ignore_errors=True)


def create_database(cluster: str, name: str) -> str:
    """A new, empty database on `cluster`; its URL."""
    import psycopg

    with psycopg.connect(f"{cluster}/postgres", autocommit=True) as admin:
        admin.execute(f"CREATE DATABASE {name}")
    return f"{cluster}/{name}"


@pytest.fixture(scope="session")
def pg_cluster(pg_libs: None) -> Iterator[str]:
    """A running throwaway cluster; yields its base URL (without a database name)."""
    try:
        with throwaway_cluster() as url:
            yield url
    except NoPostgres as missing:
        _unavailable(str(missing))


_databases = iter(range(1, 10_000))


@pytest.fixture
def store_url(pg_cluster: str) -> str:
    """A new, empty database on the cluster (not migrated yet)."""
    return create_database(pg_cluster, f"collabdesk_{next(_databases)}")


@pytest.fixture(scope="session")
def demo_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small demo database built by lib.demo in DuckDB (copied into each PostgreSQL store)."""
    from lib import demo

    path = tmp_path_factory.mktemp("demo") / "demo.duckdb"
    db = Database(path)
    demo.build_demo(db, collaborations=DEMO_COLLABORATIONS, seed=42)
    db.close()
    return path


@pytest.fixture
def demo_store(store_url: str, demo_file: Path) -> Iterator[str]:
    """A migrated store holding the demo data; yields its URL."""
    from lib.pg_store import PostgresDatabase, copy_from_duckdb

    db = PostgresDatabase(store_url)
    copy_from_duckdb(demo_file, db)
    db.close()
    yield store_url
