"""Where things live and the secrets the app needs, read from the environment."""

from __future__ import annotations

import datetime as dt
import logging
import math
import os
import re
import secrets
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

log = logging.getLogger(__name__)

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DB = PROJECT_ROOT / "data" / "collabdesk.duckdb"
COOKIE_NAME = "collabdesk_auth"
# A login session's absolute lifetime, from the password login on; re-issuing the cookie never
# extends it. COLLABDESK_SESSION_HOURS overrides it (a number of hours, at most a month).
DEFAULT_SESSION_HOURS = 12.0
MAX_SESSION_HOURS = 24.0 * 31
MIN_COOKIE_KEY_BYTES = 32  # the cookie key must hold at least this many random bytes
MAKE_COOKIE_KEY = 'python -c "import secrets; print(secrets.token_urlsafe(32))"'


class ConfigError(ValueError):
    """A setting the app refuses to start with; the message says how to fix it."""


def session_lifetime() -> dt.timedelta:
    """How long a login lasts at most: COLLABDESK_SESSION_HOURS, or 12 hours."""
    raw = os.environ.get("COLLABDESK_SESSION_HOURS", "").strip()
    if not raw:
        return dt.timedelta(hours=DEFAULT_SESSION_HOURS)
    try:
        hours = float(raw)
    except ValueError:
        hours = math.nan
    if not 0 < hours <= MAX_SESSION_HOURS:  # also refuses nan
        raise ConfigError(
            f"COLLABDESK_SESSION_HOURS must be a number of hours above 0 and at most "
            f"{MAX_SESSION_HOURS:g}, not {raw[:40]!r}."
        )
    return dt.timedelta(hours=hours)


def db_path() -> Path:
    """The database file: COLLABDESK_DB, or data/collabdesk.duckdb in the project."""
    return Path(os.environ.get("COLLABDESK_DB") or DEFAULT_DB).expanduser().resolve()


STORE_ENV = "COLLABDESK_STORE"
STORE_POOL_ENV = "COLLABDESK_STORE_POOL"
DEFAULT_STORE_POOL = 10  # PostgreSQL connections one app process holds at most


def store_url() -> str | None:
    """The shared store every app process writes to: COLLABDESK_STORE, a PostgreSQL URL
    (postgresql://user@host:port/database); None (the default) means the DuckDB file of
    COLLABDESK_DB. Anything else is refused, so a typo never silently falls back to a file
    that only this one server sees."""
    raw = os.environ.get(STORE_ENV, "").strip()
    if not raw:
        return None
    if urlsplit(raw).scheme not in ("postgresql", "postgres"):
        raise ConfigError(
            f"{STORE_ENV} must be a PostgreSQL URL such as"
            " postgresql://collabdesk@db.example:5432/collabdesk (or unset, for the DuckDB file"
            f" of COLLABDESK_DB), not one starting {raw[:12]!r}."
        )
    return raw


def store_pool_size() -> int:
    """PostgreSQL connections one app process keeps at most: COLLABDESK_STORE_POOL, or 10."""
    return _whole_number(STORE_POOL_ENV, DEFAULT_STORE_POOL, low=2)


def cookie_key(database: Path | None = None) -> str:
    """The secret that signs the login cookie.

    COLLABDESK_COOKIE_KEY wins; otherwise a random key is generated on first use and kept
    beside the database (mode 0600, git-ignored), so it survives restarts but never ships.
    A key that cannot hold MIN_COOKIE_KEY_BYTES random bytes (see check_cookie_key) is refused
    with ConfigError, whose message says how to make one.
    """
    from_env = os.environ.get("COLLABDESK_COOKIE_KEY")
    if from_env is not None and from_env.strip():
        return check_cookie_key(from_env.strip(), "COLLABDESK_COOKIE_KEY")
    key_file = (database or db_path()).parent / ".cookie_key"
    if key_file.exists():
        return check_cookie_key(key_file.read_text().strip(), str(key_file))
    key_file.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as out:
        out.write(key)
    return key


_HEX = re.compile(r"[0-9a-fA-F]+")
# A random key repeats no run of characters holding this many bits (a repeat of 40 random
# bits turns up once in ~10^9 keys; a made-up key such as "abcabc..." or "x" * 64 repeats).
_REPEAT_BITS = 40


def check_cookie_key(key: str, source: str) -> str:
    """`key`, if it can hold MIN_COOKIE_KEY_BYTES random bytes; else ConfigError.

    Randomness cannot be measured from one string, so this asks what a random key would
    show: enough characters for the bytes in its alphabet (hex: 4 bits each, base64 or any
    other text: 6), many different characters, and no run of characters repeated."""
    bits_per_char = 4 if _HEX.fullmatch(key) else 6
    long_enough = len(key) * bits_per_char >= MIN_COOKIE_KEY_BYTES * 8
    varied = len(set(key)) >= (12 if bits_per_char == 4 else 20)
    run = _REPEAT_BITS // bits_per_char
    runs = [key[i : i + run] for i in range(len(key) - run + 1)]
    if long_enough and varied and len(set(runs)) == len(runs):
        return key
    raise ConfigError(
        f"The login cookie key in {source} is too short or not random: it needs at least "
        f"{MIN_COOKIE_KEY_BYTES} random bytes (43 characters of URL-safe base64, or 64 hex "
        f"digits). Make one with: {MAKE_COOKIE_KEY}, and put it in COLLABDESK_COOKIE_KEY "
        "(or delete the key file to have a new one made)."
    )


REVIEW_PATH = "review"  # the reviewer page: <base URL>/review?token=...
BASE_URL_ENV = "COLLABDESK_BASE_URL"

# A plain host[:port]: a DNS name or IPv4 address, or an [IPv6] address, and a port of 1 to 5
# digits; nothing else (no user info, path, query, space, line break).
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_PLAIN_HOST = re.compile(
    rf"(?:{_LABEL}(?:\.{_LABEL})*|\[[0-9A-Fa-f:.]{{2,45}}\])(?::(?P<port>[0-9]{{1,5}}))?",
    re.ASCII,
)
_URL_PATH = re.compile(r"(?:/[A-Za-z0-9._~-]+)*/?", re.ASCII)
MAX_BASE_URL_CHARS = 2000


def base_url() -> str | None:
    """The app's public address, COLLABDESK_BASE_URL (reviewer links point there), without a
    trailing slash; None when it is not set. Check it with valid_base_url before use."""
    return (os.environ.get(BASE_URL_ENV) or "").strip().rstrip("/") or None


def plain_host(value: object) -> str | None:
    """`value` when it is a plain host[:port] with a port from 1 to 65535, else None.

    For values from a request (the Host header, the browser's URL), which anyone can forge."""
    if not isinstance(value, str) or len(value) > 300:
        return None
    match = _PLAIN_HOST.fullmatch(value)
    if match is None or (match["port"] is not None and not 0 < int(match["port"]) < 65536):
        return None
    return value


def valid_base_url(value: object) -> str | None:
    """`value` as http(s)://host[:port][/path] without a trailing slash, or None when it is
    anything else (another scheme, user info, a query or fragment, odd characters)."""
    if not isinstance(value, str) or len(value) > MAX_BASE_URL_CHARS:
        return None
    try:
        parts = urlsplit(value.strip())
    except ValueError:
        return None
    if (parts.scheme not in ("http", "https") or plain_host(parts.netloc) is None
            or parts.query or parts.fragment or "#" in value or "?" in value
            or not _URL_PATH.fullmatch(parts.path)):
        return None
    return f"{parts.scheme}://{parts.netloc}{parts.path}".rstrip("/")


def request_base_url(
    browser_url: str | None, host_header: str | None, server_url: str, base_path: str = ""
) -> str:
    """The address a request came in on, for links back to the app when COLLABDESK_BASE_URL
    is not set: scheme, host and port of the browser's URL, else the Host header with that
    scheme (http when unknown), and the server's URL path prefix (server.baseUrlPath). Both
    come from the request and may be forged, so each must be a plain host[:port]; when neither
    is, `server_url`, the server's own address (http://localhost:<server.port>)."""
    try:
        browser = urlsplit(browser_url if isinstance(browser_url, str) else "")
    except ValueError:  # such as an unclosed "[" in the host
        browser = urlsplit("")
    known = browser.scheme in ("http", "https")  # a browser's URL has one of these
    scheme = browser.scheme if known else "http"
    prefix = "/" + base_path.strip("/") if base_path.strip("/") else ""
    for host in (browser.netloc if known else None, host_header):
        if plain_host(host):
            found = valid_base_url(f"{scheme}://{host}{prefix}")
            if found is not None:
                return found
    return valid_base_url(f"{server_url.rstrip('/')}{prefix}") or server_url.rstrip("/")


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


# --- the app's own DuckDB connection (issue 16) ---------------------------------------------
# One DuckDB instance per process holds the database file (lib.db.Database, and the command
# line's snapshot and read-only connections). DuckDB's own default memory limit is 80 % of the
# machine's RAM, which it fills with cached table blocks and the buffers of big reads (a
# snapshot's COPY of five million events took 0.8 GB at a million collaborations); these caps
# keep one app process under 1 GB there. Beyond the memory limit a big query spills to
# `<database>.tmp` beside the file instead of failing. Read at each connect (no restart in
# tests); a change takes effect when the app (re)opens the database.

DUCKDB_MEMORY_MB_ENV = "COLLABDESK_DUCKDB_MEMORY_MB"
DUCKDB_THREADS_ENV = "COLLABDESK_DUCKDB_THREADS"


@dataclass(frozen=True)
class DatabaseLimits:
    memory_mb: int = 512  # DuckDB's memory_limit for the process's connection
    threads: int = 2  # DuckDB worker threads: the two cores of the machine it was sized on

    def duckdb_config(self) -> dict[str, str]:
        """The settings as duckdb.connect(config=...) takes them."""
        return {"memory_limit": f"{self.memory_mb}MB", "threads": str(self.threads)}


def database_limits() -> DatabaseLimits:
    """COLLABDESK_DUCKDB_MEMORY_MB (at least 128) and COLLABDESK_DUCKDB_THREADS (at least 1);
    a missing or unusable value keeps its default."""
    default = DatabaseLimits()
    return DatabaseLimits(
        memory_mb=_whole_number(DUCKDB_MEMORY_MB_ENV, default.memory_mb, low=128),
        threads=_whole_number(DUCKDB_THREADS_ENV, default.threads, low=1),
    )
