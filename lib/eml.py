"""Reading an incoming e-mail saved as a .eml file, with the standard `email` package.

Pure: bytes in, a ParsedEmail out, no database. The text is the text/plain part of the
message (for a multipart one, the first plain part that is not an attachment), or, when it has
only HTML, that HTML reduced to its text. Until a mailbox sync exists, staff record replies
by uploading such a file in the inbox (lib.inbox.record_incoming).
"""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import email.utils
import re
from dataclasses import dataclass
from email.message import EmailMessage
from html.parser import HTMLParser

from lib.models import MAX_EML_BYTES
from lib.rules import RuleViolation


@dataclass(frozen=True)
class ParsedEmail:
    sender: str  # the From: address, lowercased
    sender_name: str
    subject: str
    body: str
    date: dt.datetime | None  # UTC, without tzinfo (as every TIMESTAMP column); None if absent
    message_id: str | None
    attachments: tuple[str, ...]  # file names of parts that were not kept


def parse_eml(raw: bytes) -> ParsedEmail:
    """The sender, subject, date, Message-ID and text of an e-mail file.

    RuleViolation when the file is too large, is not an e-mail, or has no text to keep.
    """
    if len(raw) > MAX_EML_BYTES:
        raise RuleViolation(
            f"The file is too large: {len(raw):,} bytes, at most {MAX_EML_BYTES:,}."
        )
    message = email.message_from_bytes(raw, policy=email.policy.default)
    if not isinstance(message, EmailMessage) or not message.keys():
        raise RuleViolation("This file is not an e-mail (.eml): it has no headers.")
    name, address = email.utils.parseaddr(str(message.get("From", "")))
    if "@" not in address:
        raise RuleViolation(
            "This file is not an e-mail (.eml) that can be recorded: it has no From: address."
        )
    body = _text_of(message)
    if not body:
        raise RuleViolation("The e-mail has no text (no text/plain or text/html part) to record.")
    return ParsedEmail(
        sender=address.strip().lower(),
        sender_name=name.strip(),
        subject=" ".join(str(message.get("Subject", "")).split()),
        body=body,
        date=_date_of(message),
        message_id=(str(message.get("Message-ID", "")).strip() or None),
        attachments=tuple(
            part.get_filename() or part.get_content_type() for part in message.iter_attachments()
        ) if message.is_multipart() else (),
    )


def _text_of(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain", "html"))
    if part is None:
        return ""
    text = _content(part)
    if part.get_content_subtype() == "html":
        text = html_to_text(text)
    return _tidy(text)


def _content(part: EmailMessage) -> str:
    try:
        content = part.get_content()
    except (LookupError, UnicodeError):  # an unknown or lying charset: keep what decodes
        payload = part.get_payload(decode=True) or b""
        return payload.decode("utf-8", errors="replace")
    return content if isinstance(content, str) else content.decode("utf-8", errors="replace")


def _date_of(message: EmailMessage) -> dt.datetime | None:
    header = message.get("Date")
    if not header:
        return None
    try:
        moment = email.utils.parsedate_to_datetime(str(header))
    except (TypeError, ValueError):
        return None
    if moment.tzinfo is None:  # "-0000": the sender's zone is unknown; RFC 5322 says UTC
        return moment.replace(microsecond=0)
    return moment.astimezone(dt.UTC).replace(tzinfo=None, microsecond=0)


def _tidy(text: str) -> str:
    """Line ends made \\n, trailing spaces and runs of blank lines dropped."""
    lines = [line.rstrip() for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


class _TextOfHtml(HTMLParser):
    BLOCKS = frozenset({"p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6",
                        "blockquote", "table", "ul", "ol", "hr"})
    SKIPPED = frozenset({"script", "style", "head", "title"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skipping = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self.SKIPPED:
            self._skipping += 1
        elif tag in self.BLOCKS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in self.SKIPPED:
            self._skipping = max(0, self._skipping - 1)
        elif tag in self.BLOCKS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self._skipping:
            self.parts.append(re.sub(r"[ \t\r\n]+", " ", data))


def html_to_text(html: str) -> str:
    """The text of an HTML body: tags, scripts and styles dropped, blocks on lines of their own."""
    parser = _TextOfHtml()
    parser.feed(html)
    parser.close()
    text = "".join(parser.parts).replace("\xa0", " ")
    # One line per block; the blank lines between blocks would double every break.
    return "\n".join(line.strip() for line in text.split("\n") if line.strip())
