"""Incoming e-mails from .eml files: parsing a real multipart message with the standard `email`
package, and recording it in a creator's thread (sender matched, duplicates refused)."""

from __future__ import annotations

import base64
import datetime as dt
from email.message import EmailMessage

import pytest

from lib import eml, inbox
from lib.db import Database
from lib.models import Role, User
from lib.rules import RuleViolation
from tests.conftest import T0, World

NOW = T0 + dt.timedelta(days=20)

# As a mail client (here Apple Mail's layout) saves it: multipart/mixed holding a
# multipart/alternative (quoted-printable UTF-8 text, base64 HTML) and a PDF attachment; an
# encoded-word subject and sender name; a date two hours east of UTC; CRLF line ends.
_PDF = base64.b64encode(b"%PDF-1.4 media kit").decode()
_HTML = base64.b64encode(
    b"<html><head><style>p {color: red}</style></head><body><p>Hallo Team,</p>"
    b"<p>the <b>reel</b> is live &amp; doing great.</p></body></html>"
).decode()
MULTIPART_EML = (
    "Return-Path: <grace@example.com>\r\n"
    "From: =?utf-8?q?Grace_H=C3=B6pper?= <Grace@Example.com>\r\n"
    "To: team@agency.test\r\n"
    "Subject: =?utf-8?q?Re=3A_Launch_=E2=80=93_r=C3=A9el_is_live?=\r\n"
    "Date: Tue, 03 Mar 2026 16:45:10 +0200\r\n"
    "Message-Id: <5F1C2A@mail.example.com>\r\n"
    "Mime-Version: 1.0 (Mac OS X Mail 16.0)\r\n"
    'Content-Type: multipart/mixed; boundary="Apple-Mail=_OUTER"\r\n'
    "\r\n"
    "--Apple-Mail=_OUTER\r\n"
    'Content-Type: multipart/alternative; boundary="Apple-Mail=_INNER"\r\n'
    "\r\n"
    "--Apple-Mail=_INNER\r\n"
    "Content-Transfer-Encoding: quoted-printable\r\n"
    "Content-Type: text/plain; charset=utf-8\r\n"
    "\r\n"
    "Hallo Team,\r\n"
    "\r\n"
    "the reel is live =E2=80=93 and doing great. The numbers are in the media kit=\r\n"
    " attached.\r\n"
    "\r\n"
    "Gr=C3=BC=C3=9Fe,\r\n"
    "Grace\r\n"
    "\r\n"
    "--Apple-Mail=_INNER\r\n"
    "Content-Transfer-Encoding: base64\r\n"
    "Content-Type: text/html; charset=utf-8\r\n"
    "\r\n"
    f"{_HTML}\r\n"
    "--Apple-Mail=_INNER--\r\n"
    "\r\n"
    "--Apple-Mail=_OUTER\r\n"
    'Content-Disposition: attachment; filename="media-kit.pdf"\r\n'
    'Content-Type: application/pdf; name="media-kit.pdf"\r\n'
    "Content-Transfer-Encoding: base64\r\n"
    "\r\n"
    f"{_PDF}\r\n"
    "--Apple-Mail=_OUTER--\r\n"
).encode()


def html_only(sender: str = "grace@example.com", message_id: str = "<html-1@example.com>"):
    message = EmailMessage()
    message["From"] = sender
    message["To"] = "team@agency.test"
    message["Subject"] = "Photos"
    message["Message-ID"] = message_id
    message.set_content(
        "<html><body><script>alert(1)</script><h1>New photos</h1><div>Line&nbsp;one</div>"
        "<ul><li>first</li><li>second</li></ul></body></html>", subtype="html")
    return message.as_bytes()


def test_a_real_multipart_message_is_parsed() -> None:
    parsed = eml.parse_eml(MULTIPART_EML)
    assert parsed.sender == "grace@example.com"
    assert parsed.sender_name == "Grace Höpper"
    assert parsed.subject == "Re: Launch – réel is live"
    assert parsed.date == dt.datetime(2026, 3, 3, 14, 45, 10)  # in UTC
    assert parsed.message_id == "<5F1C2A@mail.example.com>"
    assert parsed.body == (
        "Hallo Team,\n\nthe reel is live – and doing great. The numbers are in the media kit "
        "attached.\n\nGrüße,\nGrace"
    )
    assert parsed.attachments == ("media-kit.pdf",)


def test_an_html_only_message_is_reduced_to_its_text() -> None:
    parsed = eml.parse_eml(html_only())
    assert parsed.body == "New photos\nLine one\nfirst\nsecond"
    assert parsed.date is None


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (b"", "no headers"),
        (b"just some words, not an e-mail\n", "not an e-mail"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "not an e-mail"),
        (b"From: a@b.test\r\nSubject: x\r\n"
         b"Content-Type: image/png\r\n\r\nxx", "no text"),
        (b"From: a@b.test\r\n\r\n" + b"x" * 5_000_001, "too large"),
    ],
)
def test_what_is_not_an_e_mail_is_refused(raw: bytes, message: str) -> None:
    with pytest.raises(RuleViolation, match=message):
        eml.parse_eml(raw)


def test_a_bad_charset_keeps_what_decodes() -> None:
    raw = (b"From: a@b.test\r\nSubject: x\r\nContent-Type: text/plain; charset=no-such-set\r\n"
           b"\r\nplain words \xff\r\n")
    assert eml.parse_eml(raw).body.startswith("plain words")


# --- recording it -----------------------------------------------------------------------------


@pytest.fixture
def staff(people: dict[Role, User]) -> User:
    return people[Role.STAFF]


def stored(db: Database) -> int:
    return db.value("SELECT count(*) FROM messages")


def test_an_eml_from_the_creator_is_recorded_as_an_incoming_email(
    db: Database, world: World, staff: User
):
    grace = world.creators["Grace"]
    assert inbox.sender_note(db, grace, "grace@example.com") is None
    mid = inbox.record_eml(db, staff, grace, MULTIPART_EML, world.campaigns["Launch"], now=NOW)
    row = db.one(
        "SELECT direction, channel, state, subject, sender, received_at, message_id_header,"
        " campaign_id, created_at FROM messages WHERE id = ?", [mid])
    assert row == ("in", "email", "recorded", "Re: Launch – réel is live", "grace@example.com",
                   dt.datetime(2026, 3, 3, 14, 45, 10), "<5F1C2A@mail.example.com>",
                   world.campaigns["Launch"], NOW)
    [item] = inbox.thread(db, grace)[0]
    assert item.body.startswith("Hallo Team,") and item.direction == "in"
    # The same file again: refused, nothing written.
    with pytest.raises(RuleViolation, match="recorded in the thread already"):
        inbox.record_eml(db, staff, grace, MULTIPART_EML, now=NOW)
    assert stored(db) == 1


def test_a_sender_who_is_not_the_creator_is_named_and_refused_unless_confirmed(
    db: Database, world: World, staff: User
):
    ada, mary = world.creators["Ada"], world.creators["Mary"]
    note = inbox.sender_note(db, ada, "grace@example.com")
    assert note == ("The e-mail is from grace@example.com (it is Grace Hopper's address), "
                    "but Ada Lovelace's address is ada@example.com.")
    with pytest.raises(RuleViolation, match="record it anyway"):
        inbox.record_eml(db, staff, ada, html_only())
    assert stored(db) == 0
    linus = world.creators["Linus"]  # no address on file
    assert "Linus Field has no address on file" in inbox.sender_note(db, linus, "x@y.test")
    inbox.record_eml(db, staff, mary, html_only(), allow_other_sender=True, now=NOW)
    assert db.value("SELECT sender FROM messages WHERE creator_id = ?", [mary]) == (
        "grace@example.com")


def test_recording_an_eml_needs_staff(db: Database, world: World, people: dict[Role, User]):
    with pytest.raises(PermissionError):
        inbox.record_eml(db, people[Role.VIEWER], world.creators["Grace"], MULTIPART_EML)
    assert stored(db) == 0
