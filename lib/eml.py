"""Reading an incoming e-mail saved as a .eml file, with the standard `email` package.

Pure: bytes in, a ParsedEmail out, no database. The text is the text/plain part of the
message (for a multipart one, the first plain part that is not an attachment), or, when it has
only HTML, that HTML reduced to its text. Until a mailbox sync exists, staff record replies
by uploading such a file in the inbox (lib.inbox.record_incoming).

The file is untrusted. The `email` package's time grows faster than its input on some shapes
(each nesting level re-checks every line, a header's parameters are re-copied for each `;`, its
structured-header parser is quadratic on long fields), so `check_shape` first reads the raw
bytes once, line by line, the way the package will split them, and refuses a file over any of
the limits in lib.models (MAX_EML_*) with a message naming it. Only then does the package
parse it, with the compat32 policy (headers stay strings; the few this module needs are
decoded here), and the one text part kept is decoded under its own cap, with an HTML reduction
that is a single linear pass (html.parser is superlinear on malformed input).
"""

from __future__ import annotations

import codecs
import datetime as dt
import email
import email.errors
import email.header
import email.policy
import email.utils
import html
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.message import Message

from lib.models import (
    MAX_EML_BYTES,
    MAX_EML_DEPTH,
    MAX_EML_FIELD_BYTES,
    MAX_EML_HEADER_BYTES,
    MAX_EML_LINES,
    MAX_EML_MIME_PARAMS,
    MAX_EML_PARTS,
    MAX_EML_TEXT_BYTES,
)
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

    RuleViolation when the file is over a limit (saying which), is not an e-mail, or has no
    text to keep. Nothing else escapes for any input.
    """
    check_shape(raw)
    try:
        message = email.message_from_bytes(raw, policy=email.policy.compat32)
        return _parsed(message)
    except RecursionError:  # nested comments in an address, say: the package recurses per level
        raise RuleViolation(
            "This e-mail cannot be read: a header nests brackets or comments too deeply."
        ) from None
    except RuleViolation:
        raise
    except (email.errors.MessageError, LookupError, UnicodeError, ValueError, TypeError,
            IndexError, AttributeError) as error:
        raise RuleViolation(
            f"This file cannot be read as an e-mail (.eml) ({type(error).__name__}). Save the"
            " message again from the mail program (\"Save as\" or drag it out) and upload that."
        ) from None


def _parsed(message: Message) -> ParsedEmail:
    if not message.keys():
        raise RuleViolation("This file is not an e-mail (.eml): it has no headers.")
    name, address = email.utils.parseaddr(_header(message, "From"))
    if "@" not in address:
        raise RuleViolation(
            "This file is not an e-mail (.eml) that can be recorded: it has no From: address."
        )
    body_part, attachments = _body_and_attachments(message)
    body = _text_of(body_part) if body_part is not None else ""
    if not body:
        raise RuleViolation("The e-mail has no text (no text/plain or text/html part) to record.")
    return ParsedEmail(
        sender=address.strip().lower(),
        sender_name=" ".join(_decoded_words(name).split()),
        subject=" ".join(_decoded_words(_header(message, "Subject")).split()),
        body=body,
        date=_date_of(_header(message, "Date")),
        message_id=_header(message, "Message-ID").strip() or None,
        attachments=tuple(attachments),
    )


# --- the shape check: one pass over the raw lines, before the email package sees them ---------

# The email package's own patterns (email.feedparser): how it splits lines, what a header line
# is, and what ends a header block.
_LINE = re.compile(rb"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+\Z")
_HEADER_LINE = re.compile(rb"From |[\x21-\x39\x3b-\x7e]*:|[\t ]")
_LINE_END = re.compile(rb"(?:\r\n|\r|\n)\Z")
_HEADERS, _BODY, _REPORT = "headers", "body", "report"


@dataclass
class _Level:
    """An open container: a multipart with its boundary, or an enclosed message (None)."""

    boundary: str | None
    digest: bool = False  # multipart/digest: a part without Content-Type is a message


@dataclass
class _Shape:
    """What the scan knows at the current line (see check_shape)."""

    levels: list[_Level] = field(default_factory=list)
    open_boundaries: dict[str, int] = field(default_factory=dict)  # boundary -> outermost level
    state: str = _HEADERS
    parts: int = 1
    block_bytes: int = 0
    field_name: str = ""
    field_bytes: int = 0
    field_params: int = 0  # the ";" in the field so far
    content_type: list[bytes] | None = None  # the block's first Content-Type, its lines
    collecting_type: bool = False
    default_type: str = "text/plain"


def check_shape(raw: bytes) -> None:
    """Refuse a file over any limit, in time and memory linear in its size.

    The scan splits lines as the email package does (CR, LF or CRLF) and follows the MIME
    structure as it will: header blocks, the boundaries of every open multipart (an enclosing
    one's boundary ends the inner parts, as in the package), enclosed messages (message/*,
    and the parts of a multipart/digest) and the header blocks of a delivery report. Content-Type
    values are read with the package's own functions on the one field, so both agree on what
    is a multipart and what its boundary is.
    """
    if len(raw) > MAX_EML_BYTES:
        raise RuleViolation(
            f"The file is too large: {len(raw):,} bytes, at most {MAX_EML_BYTES:,}."
        )
    lines = raw.count(b"\n") + raw.count(b"\r") - raw.count(b"\r\n")
    if lines > MAX_EML_LINES:
        raise RuleViolation(
            f"The file has too many lines for an e-mail: {lines:,}, at most {MAX_EML_LINES:,}."
        )
    shape = _Shape()
    for match in _LINE.finditer(raw):
        line = match.group()
        while not _take(shape, line):  # a line that ended a header block is read again
            pass


def _take(shape: _Shape, line: bytes) -> bool:
    """Account for one line; False when it ended a header block and belongs to what follows."""
    if line.startswith(b"--") and _boundary(shape, line):
        return True
    if shape.state == _BODY:
        return True
    blank = _LINE_END.match(line) is not None
    if shape.state == _REPORT:  # message/delivery-status: header blocks, blank lines between
        if blank:
            shape.field_name, shape.block_bytes = "", 0
        else:
            if not shape.block_bytes:
                _count_part(shape)
            _header_line(shape, line)
        return True
    if not blank and _HEADER_LINE.match(line):
        _header_line(shape, line)
        return True
    _end_headers(shape)
    return blank  # the blank line is the separator; any other line is the body's first


def _header_line(shape: _Shape, line: bytes) -> None:
    shape.block_bytes += len(line)
    if shape.block_bytes > MAX_EML_HEADER_BYTES:
        raise RuleViolation(
            f"The e-mail's header{_where(shape)} is too long: more than "
            f"{MAX_EML_HEADER_BYTES:,} bytes."
        )
    if line[:1] in (b" ", b"\t") and shape.field_name:  # a folded line of the same field
        shape.field_bytes += len(line)
        shape.field_params += line.count(b";")
    else:
        name = line.split(b":", 1)[0] if b":" in line else line[:5]
        shape.field_name = name.decode("ascii", "replace").strip()[:60] or "(no name)"
        shape.field_bytes = len(line)
        shape.field_params = line.count(b";")
        shape.collecting_type = name.lower() == b"content-type" and shape.content_type is None
        if shape.collecting_type:
            shape.content_type = []
    if shape.field_bytes > MAX_EML_FIELD_BYTES:
        raise RuleViolation(
            f"The header field {shape.field_name}:{_where(shape)} is too long: more than "
            f"{MAX_EML_FIELD_BYTES:,} bytes."
        )
    if shape.field_params > MAX_EML_MIME_PARAMS and shape.field_name.lower().startswith(
        "content-"
    ):
        raise RuleViolation(
            f"The header field {shape.field_name}:{_where(shape)} has too many parameters: more"
            f" than {MAX_EML_MIME_PARAMS}."
        )
    if shape.collecting_type and shape.content_type is not None:
        shape.content_type.append(line)


def _where(shape: _Shape) -> str:
    return f" (in part {shape.parts})" if shape.parts > 1 else ""


def _count_part(shape: _Shape) -> None:
    shape.parts += 1
    if shape.parts > MAX_EML_PARTS:
        raise RuleViolation(
            f"The e-mail has too many parts: more than {MAX_EML_PARTS} (attachments, "
            "alternatives and enclosed messages count)."
        )


def _push(shape: _Shape, level: _Level) -> None:
    if len(shape.levels) >= MAX_EML_DEPTH:
        raise RuleViolation(
            f"The e-mail nests parts inside parts too deeply: more than {MAX_EML_DEPTH} levels."
        )
    if level.boundary is not None:
        shape.open_boundaries.setdefault(level.boundary, len(shape.levels))
    shape.levels.append(level)


def _pop_to(shape: _Shape, depth: int) -> None:
    while len(shape.levels) > depth:
        level = shape.levels.pop()
        if level.boundary is not None and shape.open_boundaries.get(level.boundary) == len(
            shape.levels
        ):
            del shape.open_boundaries[level.boundary]


def _new_block(shape: _Shape, default_type: str) -> None:
    shape.state, shape.block_bytes, shape.field_name = _HEADERS, 0, ""
    shape.content_type, shape.collecting_type, shape.default_type = None, False, default_type


def _end_headers(shape: _Shape) -> None:
    """The header block is over: what its Content-Type makes of the lines that follow."""
    probe = Message(policy=email.policy.compat32)
    probe.set_default_type(shape.default_type)
    if shape.content_type:
        value = b"".join(shape.content_type).split(b":", 1)[1].lstrip(b" \t")
        probe.set_raw("Content-Type", value.decode("ascii", "surrogateescape").rstrip("\r\n"))
    kind = probe.get_content_type()
    if kind == "message/delivery-status":
        shape.state, shape.block_bytes, shape.field_name = _REPORT, 0, ""
    elif probe.get_content_maintype() == "message":
        _push(shape, _Level(None))
        _count_part(shape)
        _new_block(shape, "text/plain")
    elif probe.get_content_maintype() == "multipart" and probe.get_boundary() is not None:
        _push(shape, _Level(str(probe.get_boundary()), digest=kind == "multipart/digest"))
        shape.state = _BODY  # the preamble, up to the first boundary
    else:
        shape.state = _BODY


def _boundary(shape: _Shape, line: bytes) -> bool:
    """Whether `line` is a boundary of an open multipart; if so, follow it."""
    if not shape.open_boundaries:
        return False
    text = _LINE_END.sub(b"", line).rstrip(b" \t")[2:].decode("ascii", "surrogateescape")
    candidates = [(text, False)]
    if text.endswith("--"):
        candidates.insert(0, (text[:-2], True))
    found = [(shape.open_boundaries[b], close) for b, close in candidates
             if b in shape.open_boundaries]
    if not found:
        return False
    depth, close = min(found)  # an enclosing multipart's boundary ends every inner part
    if close:
        _pop_to(shape, depth)
        shape.state = _BODY  # the epilogue
        return True
    _pop_to(shape, depth + 1)
    _count_part(shape)
    _new_block(shape, "message/rfc822" if shape.levels[depth].digest else "text/plain")
    return True


# --- what is kept ------------------------------------------------------------------------------


def _leaves(message: Message) -> Iterator[Message]:
    """Every part that is not a multipart, in order; enclosed messages are not opened."""
    stack = [message]
    while stack:
        part = stack.pop()
        payload = part.get_payload()
        if part.is_multipart() and isinstance(payload, list):
            stack.extend(reversed(payload))
        else:
            yield part


def _body_and_attachments(message: Message) -> tuple[Message | None, list[str]]:
    plain = rich = None
    others: list[Message] = []
    for part in _leaves(message):
        kind = part.get_content_type()
        attached = part.get_content_disposition() == "attachment"
        if not attached and kind == "text/plain" and plain is None:
            plain = part
        elif not attached and kind == "text/html" and rich is None:
            rich = part
        elif attached or kind not in ("text/plain", "text/html"):
            others.append(part)
    body = plain if plain is not None else rich
    if plain is not None and rich is not None and rich.get_filename():
        others.append(rich)
    return body, [_name_of(part) for part in others]


def _name_of(part: Message) -> str:
    name = part.get_filename()
    return _decoded_words(str(name)) if name else part.get_content_type()


def _text_of(part: Message) -> str:
    payload = part.get_payload(decode=True)
    if not isinstance(payload, bytes):
        return ""
    if len(payload) > MAX_EML_TEXT_BYTES:
        raise RuleViolation(
            f"The e-mail's text is too long: {len(payload):,} bytes once decoded, at most "
            f"{MAX_EML_TEXT_BYTES:,}."
        )
    text = _decoded(payload, part.get_content_charset())
    if part.get_content_type() == "text/html":
        text = html_to_text(text)
    return _tidy(text)


# Text codecs whose decoding time grows faster than the input (punycode is quadratic, idna
# uses it); a part or an encoded word that names one is read as UTF-8 instead.
_SLOW_CODECS = frozenset({"punycode", "idna"})


def _codec(charset: str | None) -> str:
    """The codec for a charset a mail names: that codec when Python has it as a text encoding
    with linear decoding, else UTF-8 (read with replacement characters)."""
    try:
        info = codecs.lookup((charset or "utf-8").strip().strip('"'))
    except (LookupError, ValueError, TypeError):
        return "utf-8"
    text_encoding = getattr(info, "_is_text_encoding", True)
    return info.name if text_encoding and info.name not in _SLOW_CODECS else "utf-8"


def _decoded(payload: bytes, charset: str | None) -> str:
    try:
        return payload.decode(_codec(charset), errors="replace")
    except (LookupError, UnicodeError, ValueError):
        return payload.decode("utf-8", errors="replace")


def _header(message: Message, name: str) -> str:
    """A header's value as text, unfolded; 8-bit bytes read as UTF-8; "" when absent."""
    for key, value in message.raw_items():
        if key.lower() == name.lower():
            text = str(value)
            if any("\udc80" <= c <= "\udcff" for c in text):
                text = text.encode("ascii", "surrogateescape").decode("utf-8", "replace")
            return re.sub(r"\r\n|\r|\n", "", text)
    return ""


def _decoded_words(value: str) -> str:
    """`value` with its RFC 2047 encoded words (=?utf-8?q?...?=) decoded."""
    if "=?" not in value:
        return value
    try:
        chunks = email.header.decode_header(value)
        return str(email.header.make_header(
            [(_decoded(text, charset), "utf-8") if isinstance(text, bytes) and charset
             else (text.decode("ascii", "replace") if isinstance(text, bytes) else text, None)
             for text, charset in chunks]
        ))
    except (email.errors.HeaderParseError, LookupError, UnicodeError, ValueError):
        return value


def _date_of(header: str) -> dt.datetime | None:
    if not header.strip():
        return None
    try:
        moment = email.utils.parsedate_to_datetime(header)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if moment.tzinfo is None:  # "-0000": the sender's zone is unknown; RFC 5322 says UTC
        return moment.replace(microsecond=0)
    try:
        return moment.astimezone(dt.UTC).replace(tzinfo=None, microsecond=0)
    except (OverflowError, ValueError):  # year 1 or 9999 at the edge of a zone
        return None


def _tidy(text: str) -> str:
    """Line ends made \\n, trailing spaces and runs of blank lines dropped."""
    lines = [line.rstrip() for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


# An HTML body in a few regular-expression passes. Every pattern matches from its "<" to the
# next ">" or to the end of the text, so no position is scanned twice: linear on any input
# (html.parser is not, on malformed markup, in the Python versions this runs on).
_HTML_HIDDEN = re.compile(
    r"<!--.*?(?:-->|\Z)|<(script|style|head|title)\b[^>]*(?:>|\Z).*?(?:</\1\s*>|\Z)",
    re.DOTALL | re.IGNORECASE,
)
_HTML_BLOCK = re.compile(
    r"</?(?:p|div|br|li|tr|h[1-6]|blockquote|table|ul|ol|hr)\b[^>]*(?:>|\Z)", re.IGNORECASE
)
_HTML_TAG = re.compile(r"</?[a-z][a-z0-9]*\b[^>]*(?:>|\Z)|<[!?/][^>]*(?:>|\Z)", re.IGNORECASE)


def html_to_text(markup: str) -> str:
    """The text of an HTML body: tags, scripts and styles dropped, blocks on lines of their own."""
    text = re.sub(r"[ \t\r\n]+", " ", markup)  # HTML's own whitespace is one space
    text = _HTML_TAG.sub("", _HTML_BLOCK.sub("\n", _HTML_HIDDEN.sub("", text)))
    text = html.unescape(text).replace("\xa0", " ")
    # One line per block; the blank lines between blocks would double every break.
    return "\n".join(line.strip() for line in text.split("\n") if line.strip())
