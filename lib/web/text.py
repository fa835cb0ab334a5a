"""Text from anyone shown as text, and the reviewer's link and the app's public address."""

from __future__ import annotations

import re
from urllib.parse import urlparse

import streamlit as st

from lib import config

# --- text from anyone, and the reviewer's link (issue 5) ------------------------------------

# Every ASCII punctuation character may start some markdown (CommonMark, GFM, Streamlit's
# directives and math); a backslash makes each one a literal character.
_ASCII_PUNCTUATION = re.compile(r"([!-/:-@\[-`{-~])")
# Streamlit also rewrites the parsed *text*, where a backslash no longer counts: `:name:`
# becomes an emoji, a material icon or the Streamlit logo, `https://...`, `www.x` and `a@b.c`
# become links, and `->`, `<-`, `--`, `>=`, `<=`, `~=` become arrows and signs. Each of those
# needs a `:`, an `@`, the `.` after `www` or the second character of such a pair within one
# text node, so that character is put in a node of its own: `:color[...]` with no colour
# attribute is a plain <span> (no style, no class) that shows its text unchanged.
_SPLIT = re.compile(r"[:@]|(?<=www)\.|(?<=[-<>~])[-=>]", re.IGNORECASE)
_EDGE_SPACE = re.compile(r"^[ \t]+|[ \t]+$")
# Markdown line break: a backslash at the end of a line (a line holding only a backslash is
# not blank, so an empty typed line stays a line break, not a new paragraph).
_LINE_BREAK = "\\\n"


def _literal(char: str) -> str:
    return _ASCII_PUNCTUATION.sub(r"\\\1", char)


def _text_line(line: str) -> str:
    pieces: list[str] = []
    start = 0
    for split in _SPLIT.finditer(line):
        pieces.append(_literal(line[start:split.start()]))
        pieces.append(f":color[{_literal(split.group())}]")
        start = split.end()
    pieces.append(_literal(line[start:]))
    body = "".join(pieces)
    # Leading and trailing blanks as character references: kept as typed, and four leading
    # spaces cannot start a code block.
    return _EDGE_SPACE.sub(lambda blanks: "".join(f"&#{ord(c)};" for c in blanks.group()), body)


def as_text(value: object, *, one_line: bool = False) -> str:
    """The one way user text goes into markdown (st.markdown, captions, alerts, toasts, headers,
    widget, tab, expander and option labels, help texts): `value` as markdown that shows
    exactly that text. No link, image, HTML, emphasis, heading, list, quote, table, code,
    LaTeX, colour directive, icon or emoji can form out of it; line breaks are kept, or become
    spaces with `one_line` (a heading, a label). Where no markdown is needed, show user text
    with st.text or in a table cell instead."""
    text = str(value)
    lines = text.splitlines() or [""]
    if one_line:
        lines = [" ".join(lines)]
    return _LINE_BREAK.join(_text_line(line) for line in lines)


def is_review_link() -> bool:
    """Whether this session came through a reviewer's link (/review, or any URL carrying a
    token): app.py then shows the reviewer page alone, before and instead of the login."""
    path = urlparse(st.context.url or "").path.rstrip("/")
    return "token" in st.query_params or path.endswith(f"/{config.REVIEW_PATH}")


def app_base_url() -> str:
    """Where links back to the app (reviewer links) point: COLLABDESK_BASE_URL when set, else
    the address this session's request came in on (config.request_base_url: the browser's URL
    or the Host header, each checked, as anyone can forge them), else this server's own
    address, http://localhost:<server.port>: never a port written into the code."""
    configured = config.base_url()
    if configured is not None:
        return configured  # reviewers.link_base checks it and says what is wrong
    address = str(st.get_option("server.address") or "").strip()
    if address in ("", "0.0.0.0", "::"):  # listening everywhere: this machine by name
        address = "localhost"
    elif ":" in address:  # an IPv6 address goes in brackets in a URL
        address = f"[{address.strip('[]')}]"
    server_url = f"http://{address}:{int(st.get_option('server.port'))}"
    return config.request_base_url(
        st.context.url, st.context.headers.get("Host"), server_url,
        str(st.get_option("server.baseUrlPath") or ""),
    )


def invalid_link() -> None:
    """All that a visitor with a bad reviewer link sees."""
    st.header("This link is not valid.")
    st.caption("Ask the person who invited you for a new link.")


# --- forms that keep what was typed (issue 15) -------------------------------------------------
