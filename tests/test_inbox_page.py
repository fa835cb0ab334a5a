"""The Inbox page through Streamlit's AppTest: the real app.py, logged in through the form, over
a temporary database (tests/conftest.py's `app` fixture). What the page does is checked in the
database and, for e-mail, at a real SMTP server on 127.0.0.1."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from lib import inbox, users
from lib.db import Database
from lib.inbox import Incoming
from lib.models import Role, User
from tests.conftest import World, assert_ok, labelled, labels, login, texts
from tests.test_inbox_eml import MULTIPART_EML


def open_inbox(at: AppTest, username: str) -> AppTest:
    login(at, username)
    at.switch_page("pages/inbox.py").run()
    assert_ok(at)
    assert texts(at.title) == ["Inbox"]
    return at


LIST = "inbox_creators"  # the creator table's key (pages/inbox.py)


def creator_table(at: AppTest) -> pd.DataFrame:
    """The creator list as the page hands it to the table (with the hidden id column)."""
    [frame] = [d.value for d in at.dataframe if "unread" in d.value.columns]
    return frame


def listed(at: AppTest) -> list[int]:
    """Creator ids in the list's order."""
    return [int(i) for i in creator_table(at)["id"]]


def unread(at: AppTest, creator_id: int) -> str:
    """The Unread cell of a creator's row ("" when nothing is unread)."""
    frame = creator_table(at)
    return str(frame.loc[frame["id"] == creator_id, "unread"].iloc[0])


def select(at: AppTest, rows: list[int] | None = None, cell: int | None = None) -> AppTest:
    """What a person does in the table: tick `rows` (positions) and/or click the creator cell
    of row `cell`; the other part of the selection stays as it is."""
    current = at.session_state[LIST]["selection"] if LIST in at.session_state else {}
    chosen = {"rows": list(current.get("rows", [])), "columns": [],
              "cells": [list(c) for c in current.get("cells", [])]}
    if rows is not None:
        chosen["rows"] = rows
    if cell is not None:
        chosen["cells"] = [[cell, "creator"]]
    at.session_state[LIST] = {"selection": chosen}
    return at.run()


def open_thread(at: AppTest, creator_id: int) -> AppTest:
    """Click the creator in the list, which opens the thread."""
    select(at, cell=listed(at).index(creator_id))
    assert not at.exception, [e.message for e in at.exception]
    return at


def tick(at: AppTest, creator_id: int) -> AppTest:
    """Tick the creator's row (picked for a mass message)."""
    rows = at.session_state[LIST]["selection"]["rows"] if LIST in at.session_state else []
    return select(at, rows=sorted({*rows, listed(at).index(creator_id)}))


def ticked(at: AppTest) -> list[int]:
    """Creator ids of the ticked rows."""
    ids = listed(at)
    return [ids[r] for r in at.session_state[LIST]["selection"]["rows"]]


def record_reply(db: Database, creator_id: int, minutes: int) -> None:
    admin = users.get_user(db, "admin")
    assert admin is not None
    at = dt.datetime(2026, 3, 2, 9, 0) + dt.timedelta(minutes=minutes)
    inbox.record_incoming(db, admin, creator_id, Incoming("Re", f"Reply {minutes}", "chat",
                                                          received_at=at))


def test_unread_first_opening_marks_read_and_mark_unread_brings_it_back(
    app: AppTest, db: Database, world: World, people: dict[Role, User]
):
    c = world.creators
    record_reply(db, c["Grace"], 1)
    record_reply(db, c["Mary"], 2)
    open_inbox(app, "staff")
    assert listed(app)[:2] == [c["Mary"], c["Grace"]]
    assert unread(app, c["Mary"]) == "1"
    open_thread(app, c["Mary"])
    assert listed(app)[:2] == [c["Grace"], c["Mary"]]  # read: below the unread one
    assert "Reply 2" in texts(app.text)
    staff = people[Role.STAFF]
    assert inbox.unread_total(db, staff) == 1
    labelled(app.button, "Mark unread").click().run()
    assert_ok(app)
    assert listed(app)[:2] == [c["Mary"], c["Grace"]]
    assert inbox.unread_total(db, staff) == 2
    assert inbox.unread_total(db, people[Role.MANAGER]) == 2  # nobody else's state moved


def test_writing_about_a_campaign_they_did_not_accept_says_why(
    app: AppTest, db: Database, world: World, smtp_server
):
    # Linus collaborates in Spring; Ada is in Spring too. A campaign Ada is not part of is not
    # offered, so check the rule through a campaign she only applied to.
    manager = users.get_user(db, "manager")
    from lib import campaigns as camps
    from lib.models import CampaignFields

    start = dt.date.today() + dt.timedelta(days=10)
    cid = camps.create_campaign(db, manager, CampaignFields(
        "Winter", world.clients["Acme"], manager.id, "", start, start + dt.timedelta(days=9),
        "0", "EUR"), "open")
    camps.add_applications(db, manager, cid, [world.creators["Ada"]])
    open_inbox(app, "staff")
    open_thread(app, world.creators["Ada"])
    app.selectbox(key=f"compose_campaign_{world.creators['Ada']}").set_value(cid).run()
    [warning] = [w.value for w in app.warning if "Winter" in w.value]
    assert "Ada Lovelace is applied in Winter but has no agreement yet" in warning
    assert labelled(app.button, "Send e-mail").disabled
    app.selectbox(key=f"compose_campaign_{world.creators['Ada']}").set_value(
        world.campaigns["Spring"]).run()
    assert not labelled(app.button, "Send e-mail").disabled
    ada = world.creators["Ada"]
    app.text_input(key=f"compose_subject_{ada}").input("Your {campaign} brief")
    app.text_area(key=f"compose_body_{ada}").input("Hi {first_name}, the brief is attached.")
    labelled(app.button, "Send e-mail").click().run()
    assert_ok(app)
    [received] = smtp_server.messages
    assert (received["To"], received["Subject"]) == ("ada@example.com", "Your Spring brief")
    assert db.one("SELECT state, campaign_id FROM messages WHERE creator_id = ?", [ada]) == (
        "sent", world.campaigns["Spring"])
    assert texts(app.toast) == ["Sent to ada@example.com."]


def test_without_smtp_the_page_says_what_to_configure(
    app: AppTest, db: Database, world: World, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.delenv("COLLABDESK_SMTP_HOST", raising=False)
    open_inbox(app, "staff")
    open_thread(app, world.creators["Grace"])
    assert any("Set COLLABDESK_SMTP_HOST" in w for w in texts(app.warning))
    grace = world.creators["Grace"]
    app.text_input(key=f"compose_subject_{grace}").input("Hello")
    app.text_area(key=f"compose_body_{grace}").input("Body")
    labelled(app.button, "Send e-mail").click().run()
    assert any("E-mail is not set up" in e for e in texts(app.error))
    assert db.value("SELECT count(*) FROM messages") == 0


def test_a_mass_message_to_ticked_creators(
    app: AppTest, db: Database, world: World, smtp_server
):
    c = world.creators
    smtp_server.refuse.add("mary@example.com")
    open_inbox(app, "staff")
    for name in ("Ada", "Grace", "Linus", "Mary"):
        tick(app, c[name])
    assert sorted(ticked(app)) == sorted(c[n] for n in ("Ada", "Grace", "Linus", "Mary"))
    assert_ok(app)
    app.text_input(key="mass_subject").input("Hello {first_name}")
    app.text_area(key="mass_body").input("Dear @{handle}, news from us.")
    labelled(app.button, "Preview").click().run()
    assert_ok(app)
    previews = [t.value for t in app.text if t.value.startswith("Dear @")]
    assert previews == ["Dear @ada, news from us.", "Dear @grace, news from us."]
    [skipped] = [d.value for d in app.dataframe if "reason" in d.value.columns]
    assert skipped[["name", "reason"]].values.tolist() == [
        ["Linus Field", "No e-mail address on file."]]
    labelled(app.button, "Send to 3 creators").click().run()
    assert_ok(app)
    assert sorted(str(m["To"]) for m in smtp_server.messages) == [
        "ada@example.com", "grace@example.com"]
    assert [m["Subject"] for m in smtp_server.to("grace@example.com")] == ["Hello Grace"]
    assert any("2 sent" in w.value and "1 failed" in w.value for w in app.warning)
    [failed] = [d.value for d in app.dataframe if "error" in d.value.columns]
    assert failed["recipient"].tolist() == ["mary@example.com"]
    assert "550" in failed["error"].iloc[0]
    assert dict(db.rows("SELECT state, count(*) FROM messages GROUP BY ALL")) == {
        "sent": 2, "failed": 1}
    assert ticked(app) == []  # the selection was cleared, in the table too
    assert [e.label for e in app.expander if e.label.startswith("Mass")] == [
        "Mass message (0 selected)"]

    # The failed one is retried from Mary's thread once the address works again.
    smtp_server.refuse.clear()
    open_thread(app, c["Mary"])
    assert texts(app.error) == [
        "Not sent: mary@example.com: 550 No such user here. Press Retry to send it again, or"
        " correct the creator's address first."]
    labelled(app.button, "Retry").click().run()
    assert_ok(app)
    assert len(smtp_server.to("mary@example.com")) == 1
    assert dict(db.rows("SELECT state, count(*) FROM messages GROUP BY ALL")) == {"sent": 3}


def test_a_reply_from_an_eml_file(app: AppTest, db: Database, world: World):
    grace = world.creators["Grace"]
    open_inbox(app, "staff")
    open_thread(app, grace)
    app.file_uploader(key=f"eml_{grace}").upload("reply.eml", MULTIPART_EML, "message/rfc822")
    app.run()
    assert_ok(app)
    assert any("Subject: Re: Launch – réel is live" in t.value for t in app.text)
    assert any("media-kit.pdf" in c for c in texts(app.caption))
    labelled(app.button, "Record e-mail").click().run()
    assert_ok(app)
    assert db.one("SELECT direction, sender, subject FROM messages WHERE creator_id = ?",
                  [grace]) == ("in", "grace@example.com", "Re: Launch – réel is live")


def test_an_eml_from_someone_else_needs_a_tick(app: AppTest, db: Database, world: World):
    ada = world.creators["Ada"]
    open_inbox(app, "staff")
    open_thread(app, ada)
    app.file_uploader(key=f"eml_{ada}").upload("reply.eml", MULTIPART_EML, "message/rfc822")
    app.run()
    assert any("it is Grace Hopper's address" in w for w in texts(app.warning))
    assert labelled(app.button, "Record e-mail").disabled
    app.checkbox(key=f"anyway_{ada}").check().run()
    labelled(app.button, "Record e-mail").click().run()
    assert_ok(app)
    assert db.value("SELECT count(*) FROM messages WHERE creator_id = ?", [ada]) == 1


def test_viewers_read_threads_but_write_nothing(app: AppTest, db: Database, world: World):
    record_reply(db, world.creators["Ada"], 1)
    open_inbox(app, "viewer")
    assert not [e for e in app.expander if e.label.startswith("Mass message")]
    open_thread(app, world.creators["Ada"])
    assert "Reply 1" in texts(app.text)
    assert "Send e-mail" not in labels(app.button)
    assert not [e for e in app.expander if e.label == "Record a reply"]
    assert db.value("SELECT count(*) FROM thread_reads") == 2  # the admin's and the viewer's



def test_a_mass_message_to_everyone_matching_a_campaign_filter(
    app: AppTest, db: Database, world: World, smtp_server
):
    open_inbox(app, "staff")
    app.selectbox(key="inbox_campaign").set_value(world.campaigns["Launch"]).run()
    standings = creator_table(app)["standing"].tolist()
    assert sorted(s for s in standings if s.startswith("Collaboration")) == [
        "Collaboration fulfilling", "Collaboration negotiating"]
    app.radio(key="mass_scope").set_value("filter").run()
    app.text_input(key="mass_subject").input("{campaign} update")
    app.text_area(key="mass_body").input("Hi {first_name}")
    labelled(app.button, "Preview").click().run()
    assert_ok(app)
    [skipped] = [d.value for d in app.dataframe if "reason" in d.value.columns]
    assert skipped["name"].tolist() == ["Linus Field"]  # in Launch, but no e-mail address
    labelled(app.button, "Send to 1 creator").click().run()
    assert [(str(m["To"]), m["Subject"]) for m in smtp_server.messages] == [
        ("grace@example.com", "Launch update")]


def test_ticks_are_kept_across_filters_and_opening_a_thread_keeps_them(
    app: AppTest, world: World
):
    c = world.creators
    open_inbox(app, "staff")
    tick(app, c["Ada"])
    app.text_input(key="inbox_search").input("Grace").run()
    assert listed(app) == [c["Grace"]]
    assert ticked(app) == []  # Ada is not shown: her tick waits
    tick(app, c["Grace"])
    open_thread(app, c["Grace"])
    assert ticked(app) == [c["Grace"]]  # opening a thread picks or unpicks nobody
    app.text_input(key="inbox_search").input("").run()
    assert sorted(ticked(app)) == sorted([c["Ada"], c["Grace"]])  # drawn again from the picks
    [mass] = [e.label for e in app.expander if e.label.startswith("Mass")]
    assert mass == "Mass message (2 selected)"
    # the opened creator's cell is the table's selected cell
    assert app.session_state[LIST]["selection"]["cells"] == [
        [listed(app).index(c["Grace"]), "creator"]]
