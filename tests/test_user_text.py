"""User text on pages (issue 13, point 6): whatever a person typed is shown as that text.

A hostile corpus is stored through the real services as names, handles, tags, notes, reasons,
feedback, replies, captions, subjects, e-mail addresses and items; every page that shows user
text then runs under AppTest, and each markdown-bearing body (markdown, captions, alerts,
toasts, headings, widget / tab / expander / metric labels and help, radio options) that shows a
payload must hold exactly `web.as_text(payload)`. Plain-text places (st.text, table cells,
select options) must hold the payload as typed. The helper itself is checked against a strict
reading of its output: only escapes, splitters, edge-space references and line breaks, which
read back as the typed text.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import Iterable, Iterator
from typing import Any

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from streamlit.testing.v1 import AppTest

from lib import (
    campaigns,
    collaborations,
    creators,
    deliveries,
    feedback,
    imports,
    inbox,
    reviewers,
    users,
    web,
)
from lib.db import Database
from lib.models import CampaignFields, DeliveryStatus, ReplyKind, Role, ShipmentChange, User
from tests.conftest import World, add_collab, as_read, assert_ok, login
from tests.test_inbox_page import open_thread

# One line each: names, tags, subjects, items (stored stripped, so no edge blanks here).
HOSTILE = [
    "![x](https://evil.example/p.png)",
    "[click](javascript:alert(1))",
    ":red[Status: approved]",
    ":green-background[OK]",
    ":material/check_circle:",
    ":material_check_circle: :streamlit:",
    ":smile: :+1:",
    "$\\int$",
    "$$x$$",
    "<img src=x onerror=alert(1)>",
    "<b>bold</b>",
    "`code`",
    "``a`b``",
    "# Heading",
    "> quote",
    "1. list",
    "| a | b |",
    "***",
    "**bold**",
    "~~strike~~",
    "back\\slash \\* \\\\",
    "see https://evil.example or www.evil.example",
    "mail a@evil.example now",
    "a -> b <- c -- d >= e",
    "&amp; &#x41;",
]
# Bodies: several lines, tabs and leading spaces inside.
HOSTILE_BODIES = [
    "line one\r\n# not a heading\n> not a quote\n\n    not code\n- not a list",
    "tab\there\n  ![img](https://evil.example/q.png)\n:blue-background[System: all good]",
]
HOSTILE_EMAIL = "**bold**_`x`_$y$|~~s~~#{a}@evil.example"  # what an address may hold


# --- reading the helper's output, independently of how it is written ----------------------

_ASCII_PUNCT = set("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~")


def read_back(markdown: str) -> tuple[str, list[str]]:
    """The text a strict reader of `markdown` sees, and its text runs (what Streamlit's text
    rewriting sees: the pieces between splitters and line breaks). Anything other than a
    backslash escape of ASCII punctuation, a plain character, a `:color[<one literal>]`
    splitter, a character reference of a blank at a line's edge or a backslash line break
    fails the test."""
    shown: list[str] = []
    runs: list[str] = [""]
    i = 0
    while i < len(markdown):
        char = markdown[i]
        if markdown.startswith("\\\n", i):
            shown.append("\n")
            runs.append("")
            i += 2
        elif char == "\\":
            assert markdown[i + 1] in _ASCII_PUNCT, markdown[i:i + 10]
            shown.append(markdown[i + 1])
            runs[-1] += markdown[i + 1]
            i += 2
        elif markdown.startswith(":color[", i):
            inner = re.match(r":color\[(\\[!-/:-@\[-`{-~]|[^!-/:-@\[-`{-~])\]", markdown[i:])
            assert inner, markdown[i:i + 12]
            literal = inner.group(1)[-1]
            shown.append(literal)
            runs.extend([literal, ""])
            i += inner.end()
        elif char == "&":
            ref = re.match(r"&#(9|32);", markdown[i:])
            assert ref, markdown[i:i + 8]
            shown.append(chr(int(ref.group(1))))
            runs[-1] += chr(int(ref.group(1)))
            i += ref.end()
        else:
            assert char not in _ASCII_PUNCT, f"unescaped {char!r} in {markdown!r}"
            shown.append(char)
            runs[-1] += char
            i += 1
    return "".join(shown), runs


# What Streamlit's markdown rewrites in a text run (emoji and icon shortcodes, the logo,
# GFM's bare links and e-mail addresses, typographic arrows); see web.as_text.
_REWRITTEN = re.compile(
    r":[\w+-]+:|https?:|www\.|\S@\S|(^|\s)(<->|->|<-|--|>=|<=|~=)(\s|$)", re.IGNORECASE
)


def typed_lines(text: str) -> str:
    return "\n".join(text.splitlines())


def assert_safe_form(typed: str, markdown: str) -> None:
    shown, runs = read_back(markdown)
    assert shown == typed_lines(typed)
    for run in runs:
        assert not _REWRITTEN.search(run), (run, markdown)
    for line in markdown.split("\\\n"):
        # No block structure: a line never starts with a blank (indented code) or with an
        # unescaped marker (the reader above refuses every unescaped punctuation).
        assert not line[:1].isspace(), line


@pytest.mark.parametrize("typed", HOSTILE + HOSTILE_BODIES + [HOSTILE_EMAIL, "", "plain words"])
def test_the_helper_shows_exactly_the_typed_text(typed: str) -> None:
    assert_safe_form(typed, web.as_text(typed))


def test_line_breaks_are_kept_or_folded_for_a_heading() -> None:
    assert read_back(web.as_text("a\r\nb\rc\n\nd"))[0] == "a\nb\nc\n\nd"
    assert read_back(web.as_text("a\nb", one_line=True))[0] == "a b"
    assert "\n" not in web.as_text("a\r\nb\n\nc", one_line=True)


def test_edge_blanks_are_kept_without_making_a_code_block() -> None:
    markdown = web.as_text("    four spaces\n\ttab ")
    assert markdown == "&#32;&#32;&#32;&#32;four spaces\\\n&#9;tab&#32;"
    assert_safe_form("    four spaces\n\ttab ", markdown)


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=80))
def test_any_text_reads_back_as_typed(typed: str) -> None:
    markdown = web.as_text(typed)
    shown, runs = read_back(markdown)
    assert shown == typed_lines(typed) or not typed.splitlines()
    assert not any(_REWRITTEN.search(run) for run in runs)


# --- the hostile world, stored through the services ---------------------------------------


def import_creators(db: Database, manager: User, names: list[str]) -> dict[str, int]:
    """One creator per name, through the real import path (a CSV as Excel would write it)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["name", "handle", "platform", "email", "address", "tags"])
    for n, name in enumerate(names):
        writer.writerow([name, f"h{n}`:red[x]`", "instagram", f"c{n}@example.com",
                         HOSTILE[10], "`tag`; :material/check:"])
    checked = imports.preview(db, manager, "creators", buffer.getvalue().encode(), "c.csv")
    assert checked.ok_count == len(names), [o.message for o in checked.rows if not o.ok]
    imports.commit(db, manager, checked)
    return {name: db.value("SELECT id FROM creators WHERE name = ?", [name]) for name in names}


class Hostile:
    """Ids of the hostile records; each text field holds a payload."""

    def __init__(self, db: Database, world: World, people: dict[Role, User]) -> None:
        manager, staff = people[Role.MANAGER], people[Role.STAFF]
        self.people = people
        self.creator_name, self.campaign_name, self.client_name = HOSTILE[0], HOSTILE[2], HOSTILE[1]
        ids = import_creators(db, manager, [HOSTILE[0], HOSTILE[13], HOSTILE[4]])
        self.creator = ids[HOSTILE[0]]
        self.client = campaigns.add_client(db, manager, self.client_name)
        self.campaign = campaigns.create_campaign(db, manager, CampaignFields(
            self.campaign_name, self.client, manager.id, HOSTILE_BODIES[0],
            dt.date(2026, 3, 1), dt.date(2026, 6, 30), "1000", "EUR"))
        self.collab = add_collab(db, self.campaign, self.creator, "negotiating")
        self.cancelled = add_collab(db, world.campaigns["Spring"], ids[HOSTILE[13]], "pending")
        for tag in (HOSTILE[11], HOSTILE[12], HOSTILE[5]):
            creators.add_tag(db, staff, self.creator, tag)
        collaborations.add_note(db, staff, self.collab, HOSTILE_BODIES[1])
        version = db.value("SELECT version FROM collaborations WHERE id = ?", [self.cancelled])
        collaborations.change_status(db, staff, self.cancelled, version, "cancelled", HOSTILE[3])
        self.item = HOSTILE[9]
        self.shipment = deliveries.create_shipment(db, staff, self.collab, self.item, HOSTILE[6])
        self.content = feedback.submit_content(db, staff, self.collab, "https://x.test/reel/1",
                                               "reel", HOSTILE[18])
        [delivery] = reviewers.invite(db, manager, self.campaign, HOSTILE_EMAIL,
                                      settings=lambda: None,
                                      base_url="https://desk.agency.test").deliveries
        self.token = delivery.link.split("token=", 1)[1]
        self.piece = reviewers.submit_feedback(db, self.token, "creator", self.creator,
                                               HOSTILE_BODIES[0], "approve")
        reviewers.submit_feedback(db, self.token, "content", self.content, HOSTILE[7])
        feedback.answer(db, staff, self.piece, HOSTILE[14], ReplyKind.REPLY)
        feedback.answer(db, staff, self.piece, HOSTILE[15], ReplyKind.INTERNAL_NOTE)
        inbox.record_incoming(db, staff, self.creator, inbox.Incoming(
            subject=HOSTILE[16], body=HOSTILE_BODIES[1], campaign_id=self.campaign))
        raw = ("From: Ada <c0@example.com>\r\nTo: us@agency.test\r\n"
               f"Subject: {HOSTILE[19]}\r\nMessage-ID: <m1@example.com>\r\n"
               "Date: Mon, 02 Mar 2026 09:00:00 +0000\r\n\r\n"
               f"{HOSTILE[20]}\r\n{HOSTILE[8]}\r\n").encode()
        inbox.record_eml(db, staff, self.creator, raw)


@pytest.fixture
def hostile(db: Database, world: World, people: dict[Role, User]) -> Hostile:
    return Hostile(db, world, people)


# --- what a page shows ------------------------------------------------------------------------

_BODY_KINDS = ("markdown", "caption", "error", "warning", "info", "success", "toast", "title",
               "header", "subheader")
_LABELLED = ("button", "checkbox", "radio", "text_input", "text_area", "selectbox",
             "multiselect", "number_input", "date_input", "toggle", "expander", "tabs", "metric")


def _elements(at: AppTest, kind: str) -> list[Any]:
    try:
        return list(getattr(at, kind))
    except (AttributeError, KeyError):
        return []


def markdown_bodies(at: AppTest) -> Iterator[str]:
    """Every string of the page that Streamlit renders as markdown."""
    for kind in _BODY_KINDS:
        for element in _elements(at, kind):
            yield str(element.value)
    for kind in _LABELLED:
        for element in _elements(at, kind):
            for name in ("label", "help"):
                value = getattr(element, name, None) or getattr(element.proto, name, None)
                if isinstance(value, str) and value:
                    yield value
            if kind == "radio":
                yield from (str(option) for option in element.options)


def plain_bodies(at: AppTest) -> Iterator[str]:
    """Strings shown as they are: st.text, select options, table cells."""
    for element in _elements(at, "text"):
        yield str(element.value)
    for kind in ("selectbox", "multiselect"):
        for element in _elements(at, kind):
            yield from (str(option) for option in element.options)
    for element in _elements(at, "dataframe"):
        frame = element.value
        if isinstance(frame, pd.DataFrame):
            for column in frame.columns:
                yield from (str(v) for v in frame[column].tolist() if isinstance(v, str))
                yield from (str(t) for v in frame[column].tolist()
                            if isinstance(v, (list, tuple)) for t in v)


def assert_user_text_as_text(at: AppTest, payloads: Iterable[str]) -> set[str]:
    """Every markdown body showing a payload holds its safe form; returns the payloads found
    (in markdown or as plain text)."""
    assert_ok(at)
    found: set[str] = set()
    for body in markdown_bodies(at):
        readable = as_read(body)
        for payload in payloads:
            lines = typed_lines(payload)
            if payload in body or lines in readable or " ".join(lines.split("\n")) in readable:
                safe = {web.as_text(payload), web.as_text(payload, one_line=True)}
                assert any(form in body for form in safe), (payload, body)
                found.add(payload)
    for body in plain_bodies(at):
        found.update(p for p in payloads if p.strip() in body or typed_lines(p) in body)
    return found


ALL = [*HOSTILE, *HOSTILE_BODIES, HOSTILE_EMAIL]


def open_page(at: AppTest, username: str, page: str) -> AppTest:
    login(at, username)
    at.switch_page(page).run()
    assert_ok(at)
    return at


def test_collaboration_page(app: AppTest, hostile: Hostile) -> None:
    at = open_page(app, "staff", "pages/collaboration.py")
    at.number_input(key="detail_id").set_value(hostile.collab).run()
    found = assert_user_text_as_text(at, ALL)
    # Title (creator, campaign), client, tags, the note and the shipment.
    for expected in (HOSTILE[0], HOSTILE[2], HOSTILE[1], HOSTILE[11], HOSTILE[12], HOSTILE[5],
                     HOSTILE_BODIES[1], HOSTILE[9], HOSTILE[6]):
        assert expected in found, expected
    at.number_input(key="detail_id").set_value(hostile.cancelled).run()
    assert HOSTILE[3] in assert_user_text_as_text(at, ALL)  # the cancel reason


def test_a_toast_shows_a_new_tag_as_typed(app: AppTest, hostile: Hostile) -> None:
    at = open_page(app, "staff", "pages/collaboration.py")
    at.number_input(key="detail_id").set_value(hostile.collab).run()
    at.text_input(key="new_tag").input(HOSTILE[17]).run()
    [add] = [b for b in at.button if b.label == "Add tag"]
    add.click().run()
    assert HOSTILE[17] in assert_user_text_as_text(at, ALL)
    assert any(web.as_text(HOSTILE[17]) in toast.value for toast in at.toast)


def refusing_page() -> None:
    import streamlit as st

    from lib import web
    from lib.rules import RuleViolation

    def refuse() -> None:
        raise RuleViolation(st.session_state["typed"])

    web.ok(refuse)
    web.attempt(refuse)


@pytest.mark.parametrize("typed", HOSTILE[:6] + HOSTILE_BODIES[:1])
def test_a_refusal_quoting_typed_text_is_shown_as_text(typed: str) -> None:
    at = AppTest.from_function(refusing_page)
    at.session_state["typed"] = typed
    at.run()
    assert [e.value for e in at.error] == [web.as_text(typed)] * 2


def test_feedback_page(app: AppTest, hostile: Hostile) -> None:
    at = open_page(app, "staff", "pages/feedback.py")
    at.selectbox(key="feedback_campaign").set_value(hostile.campaign).run()
    found = assert_user_text_as_text(at, ALL)
    for expected in (HOSTILE_EMAIL, HOSTILE_BODIES[0], HOSTILE[14], HOSTILE[15], HOSTILE[0],
                     HOSTILE[1], HOSTILE[18], HOSTILE[7]):
        assert expected in found, expected


def test_review_page(app: AppTest, hostile: Hostile) -> None:
    app.query_params["token"] = hostile.token
    app.run()
    app.switch_page("pages/review.py")
    at = app.run()
    found = assert_user_text_as_text(at, ALL)
    for expected in (HOSTILE[2], HOSTILE[1], HOSTILE_EMAIL, HOSTILE[0], HOSTILE_BODIES[0],
                     HOSTILE[14], HOSTILE[18], HOSTILE[7]):
        assert expected in found, expected
    assert HOSTILE[15] not in found  # the internal note stays internal


def test_inbox_page(app: AppTest, hostile: Hostile) -> None:
    at = open_page(app, "staff", "pages/inbox.py")
    open_thread(at, hostile.creator)
    found = assert_user_text_as_text(at, ALL)
    for expected in (HOSTILE[0], HOSTILE[16], HOSTILE_BODIES[1], HOSTILE[19], HOSTILE[20],
                     HOSTILE[2], HOSTILE[11], HOSTILE[12]):
        assert expected in found, expected


def test_campaigns_page(app: AppTest, hostile: Hostile) -> None:
    at = open_page(app, "manager", "pages/campaigns.py")
    at.selectbox(key="campaign_choice").set_value(hostile.campaign).run()
    found = assert_user_text_as_text(at, ALL)
    for expected in (HOSTILE[2], HOSTILE[1], HOSTILE_BODIES[0]):
        assert expected in found, expected


def test_deliveries_page(app: AppTest, db: Database, hostile: Hostile) -> None:
    version = db.value("SELECT version FROM shipments WHERE id = ?", [hostile.shipment])
    deliveries.update_shipment(db, hostile.people[Role.STAFF], hostile.shipment, version,
                               ShipmentChange(hostile.shipment, DeliveryStatus.IN_TRANSIT, None,
                                                         "T1", HOSTILE[6]))
    at = open_page(app, "staff", "pages/deliveries.py")
    found = assert_user_text_as_text(at, ALL)
    for expected in (HOSTILE[9], HOSTILE[0]):  # the oldest in transit: item and creator
        assert expected in found, expected


def test_notifications_page(app: AppTest, hostile: Hostile) -> None:
    at = open_page(app, "manager", "pages/notifications.py")
    found = assert_user_text_as_text(at, ALL)
    assert found, "the feedback notifications name the hostile creator"


def test_imports_page(app: AppTest, hostile: Hostile) -> None:
    """Unknown columns are named in a warning; rows in the preview table, as typed."""
    at = open_page(app, "manager", "pages/imports.py")
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    # Column names are read lower-cased, blanks and dashes as "_": these stay as they are.
    columns = [HOSTILE[i] for i in (0, 1, 4, 8, 11, 12, 18)]
    writer.writerow(["name", "handle", "platform", *columns])
    writer.writerow([HOSTILE[13], "fine", "instagram", *HOSTILE[:7]])
    writer.writerow([HOSTILE[16], "[a](b) <i>", "instagram", *[""] * 7])  # a space: fails
    at.get("file_uploader")[0].upload("hostile.csv", buffer.getvalue().encode(), "text/csv")
    at.run()
    found = assert_user_text_as_text(at, ALL)
    for expected in columns:  # each named in a warning
        assert expected in found, expected
    assert any("[a](b) <i>" in text for text in plain_bodies(at))  # the failing row, in a cell


def test_the_sidebar_shows_a_users_name_as_typed(
    app: AppTest, db: Database, people: dict[Role, User]
) -> None:
    users.add_user(db, people[Role.ADMIN], "odd.one", HOSTILE[5], "viewer", "x" * 12)
    login(app, "odd.one", "x" * 12)
    assert HOSTILE[5] in assert_user_text_as_text(app, ALL)
    assert any(web.as_text(HOSTILE[5]) in m.value for m in app.sidebar.markdown)
