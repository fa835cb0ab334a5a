"""Where things live and the secrets the app needs, read from the environment."""

from __future__ import annotations

import os
import re
import secrets
from pathlib import Path
from urllib.parse import urlsplit

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
