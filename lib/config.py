"""Where things live and the secrets the app needs, read from the environment."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

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
