"""Hostile .eml files (issue 13, point 4): every class of oversized or malformed input is
refused with a message naming its limit, through the inbox's real record path, and nothing is
written; a second session's page renders while hostile files are being parsed.

The limits are lib.models.MAX_EML_*. Timing is in bench/eml.py, not here.
"""

from __future__ import annotations

import base64
import re
import threading

import pytest
from streamlit.testing.v1 import AppTest

from lib import eml, inbox
from lib.db import Database
from lib.models import (
    MAX_EML_BYTES,
    MAX_EML_DEPTH,
    MAX_EML_FIELD_BYTES,
    MAX_EML_HEADER_BYTES,
    MAX_EML_LINES,
    MAX_EML_MIME_PARAMS,
    MAX_EML_PARTS,
    MAX_EML_TEXT_BYTES,
    Role,
    User,
)
from lib.rules import RuleViolation
from tests.conftest import World, assert_ok, login, texts
from tests.test_inbox_eml import MULTIPART_EML

HEAD = b"From: grace@example.com\r\nSubject: Hi\r\nMessage-ID: <h@example.com>\r\n"
TABLES = ("messages", "thread_reads", "activity_events", "notifications")


def everything(db: Database) -> dict[str, list[tuple]]:
    return {t: db.rows(f"SELECT * FROM {t} ORDER BY ALL") for t in TABLES}


def multipart(parts: list[bytes], boundary: bytes = b"b", kind: bytes = b"mixed") -> bytes:
    body = b"".join(b"--" + boundary + b"\r\n" + part + b"\r\n" for part in parts)
    return (HEAD + b"Content-Type: multipart/" + kind + b"; boundary=\"" + boundary + b"\"\r\n\r\n"
            + body + b"--" + boundary + b"--\r\n")


TEXT_PART = b"Content-Type: text/plain\r\n\r\nhello"


def nested(depth: int, content_type: bytes = b"multipart/mixed; boundary=\"n%d\"") -> bytes:
    """`depth` multiparts, each holding the next as its one part."""
    raw = HEAD
    for level in range(depth):
        kind = content_type.replace(b"%d", str(level).encode())
        raw += b"Content-Type: " + kind + b"\r\n\r\n--n" + str(level).encode() + b"\r\n"
    return raw + TEXT_PART + b"\r\n"


def in_messages(depth: int) -> bytes:
    """`depth` messages, each enclosing the next (message/rfc822 attachments of attachments)."""
    return HEAD + b"Content-Type: message/rfc822\r\n\r\n" * depth + b"From: a@b.test\r\n\r\nhi"


def in_digest(depth: int) -> bytes:
    """A multipart/digest's part without Content-Type is a message: nest those."""
    raw = HEAD
    for level in range(depth):
        raw += (b"Content-Type: multipart/digest; boundary=d%d\r\n\r\n--d%d\r\n"
                % (level, level))
    return raw + b"\r\nhi\r\n"


HOSTILE: dict[str, tuple[bytes, str]] = {
    # size and lines
    "one byte over the size": (HEAD + b"\r\n" + b"x" * MAX_EML_BYTES, "too large"),
    "a huge header": (HEAD + b"X-Big: " + b"a" * (MAX_EML_BYTES + 10) + b"\r\n\r\nhi", "too large"),
    "millions of empty lines": (HEAD + b"\r\n" + b"\n" * 3_000_000, "too many lines"),
    "lines ended by CR alone": (HEAD + b"\r\n" + b"\r" * (MAX_EML_LINES + 1), "too many lines"),
    "CRLF lines": (HEAD + b"\r\n" + b"a\r\n" * (MAX_EML_LINES + 1), "too many lines"),
    # the header block
    "a header of 3 MB": (HEAD + b"X-Big: " + b"a" * 3_000_000 + b"\r\n\r\nhi",
                         f"header is too long: more than {MAX_EML_HEADER_BYTES:,} bytes"),
    "many headers": (HEAD + b"X-Tag: some value\r\n" * 5_000 + b"\r\nhi",
                     "header is too long"),
    "many headers in a part": (multipart([b"X-A: b\r\n" * 20_000 + b"\r\nhi"]),
                               "header (in part 2) is too long"),
    "a header block that never ends": (HEAD + b"X: y\r\n" * 80_000, "header is too long"),
    # one field
    "a long folded header": (HEAD + b"X-Folded: a\r\n" + b" b\r\n" * 5_000 + b"\r\nhi",
                             f"X-Folded: is too long: more than {MAX_EML_FIELD_BYTES:,} bytes"),
    "a long subject": (b"From: a@b.test\r\nSubject: " + b"=?utf-8?q?x?= " * 700 + b"\r\n\r\nhi",
                       "Subject: is too long"),
    "a long From": (b"From: a" + b"." * 9_000 + b"@b.test\r\n\r\nhi", "From: is too long"),
    "a long Content-Type": (HEAD + b"Content-Type: text/plain; x=\"" + b"a" * 9_000 + b"\"\r\n"
                            b"\r\nhi", "Content-Type: is too long"),
    "a folded field in a part": (multipart([b"Content-Type: text/plain;\r\n" + b"\tx=y\r\n"
                                            * 2_000 + b"\r\nhi"]), "(in part 2) is too long"),
    "too many parameters": (HEAD + b"Content-Type: text/plain" + b";a" * 200 + b"\r\n\r\nhi",
                            f"too many parameters: more than {MAX_EML_MIME_PARAMS}"),
    "folded parameters": (HEAD + b"Content-Disposition: inline\r\n" + b" ;a=\";\"\r\n" * 40
                          + b"\r\nhi", "Content-Disposition: has too many parameters"),
    # parts
    "thousands of parts": (multipart([TEXT_PART] * 5_000),
                           f"too many parts: more than {MAX_EML_PARTS}"),
    "one part too many": (multipart([TEXT_PART] * MAX_EML_PARTS), "too many parts"),
    "empty parts": (multipart([b""] * 3_000), "too many parts"),
    "a delivery report of many blocks": (
        multipart([TEXT_PART, b"Content-Type: message/delivery-status\r\n\r\n"
                   + b"Action: failed\r\n\r\n" * 500], kind=b"report"), "too many parts"),
    "parts of parts": (multipart([b"Content-Type: multipart/mixed; boundary=i\r\n\r\n"
                                  + b"--i\r\n\r\nx\r\n" * 200 + b"--i--"]), "too many parts"),
    # nesting
    "nesting 1000 deep": (nested(1_000), f"too deeply: more than {MAX_EML_DEPTH} levels"),
    "one level too deep": (nested(MAX_EML_DEPTH + 1), "too deeply"),
    "enclosed messages 500 deep": (in_messages(500), "too deeply"),
    "digest parts nested": (in_digest(200), "too deeply"),
    "RFC 2231 boundaries nested": (
        nested(50, b"multipart/mixed; boundary*0=\"n\"; boundary*1=\"%d\""), "too deeply"),
    "quoted boundaries with spaces": (
        nested(50, b"multipart/alternative; boundary=\"n%d\"   "), "too deeply"),
    "upper-case header names": (nested(50, b"MULTIPART/MIXED; BOUNDARY=n%d").replace(
        b"Content-Type", b"CONTENT-TYPE"), "too deeply"),
    "nesting without line breaks between": (nested(40).replace(b"\r\n", b"\r"), "too deeply"),
    # decoded text
    "a base64 body that decodes to a lot": (
        HEAD + b"Content-Transfer-Encoding: base64\r\n\r\n"
        + b"\r\n".join([base64.b64encode(b"a" * 57)] * 40_000), "text is too long"),
    "a quoted-printable body": (
        HEAD + b"Content-Transfer-Encoding: quoted-printable\r\n\r\n"
        + (b"=41" * 25 + b"=\r\n") * 45_000, "text is too long"),
    "a big HTML part": (HEAD + b"Content-Type: text/html\r\n\r\n" + b"<a" * 600_000,
                        f"at most {MAX_EML_TEXT_BYTES:,}"),
    # headers that nest, and what is not an e-mail
    "comments nested 5000 deep": (b"From: " + b"(" * 5_000 + b"a@b.test\r\n\r\nhi",
                                  "nests brackets or comments too deeply"),
    "binary garbage": (bytes(range(256)) * 100, "not an e-mail"),
    "NUL bytes": (b"\x00" * 10_000, "not an e-mail"),
    "no From": (b"Subject: hi\r\n\r\nhello", "no From: address"),
    "a multipart without a boundary": (HEAD + b"Content-Type: multipart/mixed\r\n\r\n--x\r\n"
                                       b"\r\nhi\r\n--x--\r\n", "no text"),
    "a boundary never used": (HEAD + b"Content-Type: multipart/mixed; boundary=zz\r\n\r\nhi\r\n",
                              "no text"),
}


@pytest.fixture
def staff(people: dict[Role, User]) -> User:
    return people[Role.STAFF]


@pytest.mark.parametrize("case", list(HOSTILE))
def test_a_hostile_file_is_refused_and_nothing_is_written(
    db: Database, world: World, staff: User, case: str
) -> None:
    raw, message = HOSTILE[case]
    before = everything(db)
    with pytest.raises(RuleViolation, match=re.escape(message)):
        inbox.record_eml(db, staff, world.creators["Grace"], raw, allow_other_sender=True)
    assert everything(db) == before


# Odd but readable: recorded, with what can be read of it; never a traceback.
ODD: dict[str, tuple[bytes, str]] = {
    "an unknown charset": (HEAD + b"Content-Type: text/plain; charset=no-such\r\n\r\nplain \xff",
                           "plain \ufffd"),
    "a codec that is not text": (HEAD + b"Content-Type: text/plain; charset=zlib_codec\r\n\r\n"
                                 b"x\x9c", "x\ufffd"),
    "a slow codec": (HEAD + b"Content-Type: text/plain; charset=punycode\r\n\r\n-abc", "-abc"),
    "a lying charset": (HEAD + b"Content-Type: text/plain; charset=ascii\r\n\r\nGr\xc3\xbc\xc3",
                        "Gr\ufffd"),
    "an unknown transfer encoding": (HEAD + b"Content-Transfer-Encoding: x-rot13\r\n\r\nhello",
                                     "hello"),
    "broken base64": (HEAD + b"Content-Transfer-Encoding: base64\r\n\r\naGVsbG8gd29ybGQ*!",
                      "hello world"),
    "a header line without a colon": (HEAD + b"this is no header\r\n\r\nhello",
                                      "this is no header"),
    "a first line that is folded": (b" folded\r\n" + HEAD + b"\r\nhello", "hello"),
    "an unclosed boundary": (HEAD + b"Content-Type: multipart/mixed; boundary=u\r\n\r\n--u\r\n"
                             b"\r\nhello", "hello"),
    "8-bit subject and an absurd date": (
        HEAD.replace(b"Subject: Hi", b"Subject: Gr\xc3\xbc\xc3\x9fe") + b"Date: Mon, 99 Foo 99999"
        b" 25:61:61 +9999\r\n\r\nhello", "hello"),
    "HTML that html.parser chokes on": (HEAD + b"Content-Type: text/html\r\n\r\n<p>hi</p><a<a"
                                        + b"<!" * 1000, "hi"),
}


@pytest.mark.parametrize("case", list(ODD))
def test_an_odd_file_is_read_without_a_traceback(case: str) -> None:
    raw, body = ODD[case]
    assert eml.parse_eml(raw).body.startswith(body)


def test_the_limits_leave_a_real_message_alone() -> None:
    """A large, ordinary mail just under the limits: 90 attachments of base64 lines."""
    attachment = (b"Content-Type: application/pdf\r\nContent-Transfer-Encoding: base64\r\n"
                  b"Content-Disposition: attachment; filename=\"f.pdf\"\r\n\r\n"
                  + b"\r\n".join([base64.b64encode(b"%" * 57)] * 600))
    raw = multipart([TEXT_PART] + [attachment] * 90)
    assert MAX_EML_BYTES * 0.5 < len(raw) < MAX_EML_BYTES
    parsed = eml.parse_eml(raw)
    assert parsed.body == "hello" and parsed.attachments == ("f.pdf",) * 90


def test_the_page_shows_the_refusal_of_a_hostile_file(
    app: AppTest, db: Database, world: World
) -> None:
    from tests.test_inbox_page import open_inbox, open_thread

    grace = world.creators["Grace"]
    open_inbox(app, "staff")
    open_thread(app, grace)
    before = everything(db)
    app.file_uploader(key=f"eml_{grace}").upload("reply.eml", nested(1_000), "message/rfc822")
    app.run()
    assert not app.exception
    assert texts(app.error) == [
        f"The e-mail nests parts inside parts too deeply: more than {MAX_EML_DEPTH} levels."]
    assert not [b for b in app.button if b.label == "Record e-mail"]
    assert everything(db) == before


def test_another_session_renders_while_hostile_files_are_parsed(
    app: AppTest, db: Database, world: World
) -> None:
    """Hostile files parsed in a loop on another thread (as another person's upload would be)
    while a second session logs in and renders the inbox, and reads the service directly."""
    stop = threading.Event()
    outcomes: list[str] = []
    cases = [HOSTILE[name][0] for name in ("nesting 1000 deep", "thousands of parts",
                                           "a header of 3 MB", "millions of empty lines",
                                           "a big HTML part")]

    def parse_hostile_files() -> None:
        while not stop.is_set():
            for raw in cases:
                try:
                    eml.parse_eml(raw)
                    outcomes.append("parsed")
                except RuleViolation:
                    outcomes.append("refused")

    worker = threading.Thread(target=parse_hostile_files, daemon=True)
    worker.start()
    try:
        login(app, "manager")
        app.switch_page("pages/inbox.py").run()
        assert_ok(app)
        assert texts(app.title) == ["Inbox"]
        assert inbox.thread(db, world.creators["Grace"]) is not None
        assert worker.is_alive()  # the page rendered while the hostile work was going on
    finally:
        stop.set()
        worker.join(timeout=60)
    assert not worker.is_alive()
    assert outcomes and set(outcomes) == {"refused"}
    # The real message still parses afterwards: nothing was left in a bad state.
    assert eml.parse_eml(MULTIPART_EML).sender == "grace@example.com"
