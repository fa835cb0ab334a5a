"""Where things live and the secrets the app needs, read from the environment."""

from __future__ import annotations

import logging
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger(__name__)

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DB = PROJECT_ROOT / "data" / "collabdesk.duckdb"
COOKIE_NAME = "collabdesk_auth"
COOKIE_EXPIRY_DAYS = 7.0


def db_path() -> Path:
    """The database file: COLLABDESK_DB, or data/collabdesk.duckdb in the project."""
    return Path(os.environ.get("COLLABDESK_DB") or DEFAULT_DB).expanduser().resolve()


def cookie_key(database: Path | None = None) -> str:
    """The secret that signs the login cookie.

    COLLABDESK_COOKIE_KEY wins; otherwise a random key is generated on first use and kept
    beside the database (mode 0600, git-ignored), so it survives restarts but never ships.
    """
    from_env = os.environ.get("COLLABDESK_COOKIE_KEY")
    if from_env:
        return from_env
    key_file = (database or db_path()).parent / ".cookie_key"
    if key_file.exists():
        return key_file.read_text().strip()
    key_file.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as out:
        out.write(key)
    return key


DEFAULT_BASE_URL = "http://localhost:8501"
REVIEW_PATH = "review"  # the reviewer page: <base URL>/review?token=...


def base_url() -> str:
    """Where people reach the app (reviewer links point there): COLLABDESK_BASE_URL, without
    a trailing slash, or http://localhost:8501."""
    return (os.environ.get("COLLABDESK_BASE_URL") or DEFAULT_BASE_URL).strip().rstrip("/")


# --- the SQL console's limits (issue 13) ----------------------------------------------------
# Each query runs in a worker process of its own, with these limits; lib.console documents them.

CONSOLE_MEMORY_MB_ENV = "COLLABDESK_CONSOLE_MEMORY_MB"
CONSOLE_TEMP_MB_ENV = "COLLABDESK_CONSOLE_TEMP_MB"
CONSOLE_THREADS_ENV = "COLLABDESK_CONSOLE_THREADS"
CONSOLE_RESULT_MB_ENV = "COLLABDESK_CONSOLE_RESULT_MB"
CONSOLE_WORKERS_ENV = "COLLABDESK_CONSOLE_WORKERS"


@dataclass(frozen=True)
class ConsoleLimits:
    """What one console query may use. Read from the environment at each query, so a change
    needs no restart (and tests can set them)."""

    memory_mb: int = 256  # DuckDB's memory_limit; the worker process may grow a little more
    temp_mb: int = 0  # disk DuckDB may spill to; 0: none (an over-large query is refused)
    threads: int = 1  # DuckDB threads: one core, whatever the query
    result_mb: int = 32  # bytes of one result, counted while it is fetched
    workers: int = 2  # console queries running at once in the whole app


def console_limits() -> ConsoleLimits:
    """The console's limits: COLLABDESK_CONSOLE_MEMORY_MB, _TEMP_MB, _THREADS, _RESULT_MB and
    _WORKERS (whole numbers); a missing or unusable value keeps its default."""
    default = ConsoleLimits()
    return ConsoleLimits(
        memory_mb=_whole_number(CONSOLE_MEMORY_MB_ENV, default.memory_mb, low=64),
        temp_mb=_whole_number(CONSOLE_TEMP_MB_ENV, default.temp_mb, low=0),
        threads=_whole_number(CONSOLE_THREADS_ENV, default.threads, low=1),
        result_mb=_whole_number(CONSOLE_RESULT_MB_ENV, default.result_mb, low=1),
        workers=_whole_number(CONSOLE_WORKERS_ENV, default.workers, low=1),
    )


def _whole_number(name: str, default: int, low: int) -> int:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        log.warning("%s=%r is not a whole number; using %s", name, raw, default)
        return default
    if value < low:
        log.warning("%s=%s is below %s; using %s", name, value, low, default)
        return default
    return value
