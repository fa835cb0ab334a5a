"""Where things live and the secrets the app needs, read from the environment."""

from __future__ import annotations

import datetime as dt
import math
import os
import re
import secrets
from pathlib import Path

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


DEFAULT_BASE_URL = "http://localhost:8501"
REVIEW_PATH = "review"  # the reviewer page: <base URL>/review?token=...


def base_url() -> str:
    """Where people reach the app (reviewer links point there): COLLABDESK_BASE_URL, without
    a trailing slash, or http://localhost:8501."""
    return (os.environ.get("COLLABDESK_BASE_URL") or DEFAULT_BASE_URL).strip().rstrip("/")
