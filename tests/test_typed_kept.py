"""Nothing typed is thrown away (issue 15, point 2): a refused form, a failed send or a send with
no mail server keeps what was typed and says once what to do next; a success empties the form.
And batch scope follows the filters (point 5). Through AppTest on the real app.py over a
temporary database; mail at a real SMTP server on 127.0.0.1."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from lib.db import Database
from tests.conftest import LocalSMTP, World, assert_ok, labelled, login, texts
from tests.test_campaigns_page import open_campaigns
from tests.test_deliveries_page import open_deliveries
from tests.test_feedback_page import manager, open_feedback, spring, with_feedback  # noqa: F401
from tests.test_inbox_page import open_inbox, open_thread, tick, ticked
from tests.test_pages import open_detail


def messages(at: AppTest) -> list[str]:
    """Every message element on the page (errors, warnings), as read."""
    return texts(at.error) + texts(at.warning)


# --- the Inbox: one creator --------------------------------------------------------------


def type_message(at: AppTest, creator_id: int, subject: str, body: str) -> None:
    at.text_input(key=f"compose_subject_{creator_id}").input(subject)
    at.text_area(key=f"compose_body_{creator_id}").input(body)


def typed_message(at: AppTest, creator_id: int) -> tuple[str, str]:
    return (at.text_input(key=f"compose_subject_{creator_id}").value,
            at.text_area(key=f"compose_body_{creator_id}").value)


def test_a_send_the_server_refuses_keeps_the_message_and_says_so_once(
    app: AppTest, db: Database, world: World, smtp_server: LocalSMTP
) -> None:
    grace = world.creators["Grace"]
    smtp_server.refuse.add("grace@example.com")
    open_inbox(app, "staff")
    open_thread(app, grace)
    type_message(app, grace, "Your brief", "Hi {first_name}, a long text typed with care.")
    labelled(app.button, "Send e-mail").click().run()
    assert not app.exception
    assert typed_message(app, grace) == (
        "Your brief", "Hi {first_name}, a long text typed with care.")
    [error] = texts(app.error)
    assert "550 No such user here" in error and "Press Retry" in error
    assert not app.warning and not app.toast
    assert db.value("SELECT state FROM messages WHERE creator_id = ?", [grace]) == "failed"

    smtp_server.refuse.clear()  # the address works again: the kept text goes out as typed
    labelled(app.button, "Send e-mail").click().run()
    assert not app.exception
    assert [m["Subject"] for m in smtp_server.to("grace@example.com")] == ["Your brief"]
    assert texts(app.toast) == ["Sent to grace@example.com."]
    assert typed_message(app, grace) == ("", "")  # sent: the form starts empty


def test_a_send_without_smtp_keeps_the_message_and_says_once_what_to_set(
    app: AppTest, db: Database, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("COLLABDESK_SMTP_HOST", raising=False)
    grace = world.creators["Grace"]
    open_inbox(app, "staff")
    open_thread(app, grace)
    [warning] = messages(app)  # said up front, once
    assert "Set COLLABDESK_SMTP_HOST" in warning
    type_message(app, grace, "Hello", "Body kept")
    labelled(app.button, "Send e-mail").click().run()
    assert not app.exception
    [error] = messages(app)  # the refusal took the warning's place
    assert error in texts(app.error)
    assert "E-mail is not set up" in error and "Set COLLABDESK_SMTP_HOST" in error
    assert typed_message(app, grace) == ("Hello", "Body kept")
    assert db.value("SELECT count(*) FROM messages") == 0


# --- the Inbox: many creators --------------------------------------------------------------


def test_a_mass_message_nobody_got_keeps_the_draft_and_the_ticks(
    app: AppTest, db: Database, world: World, smtp_server: LocalSMTP
) -> None:
    c = world.creators
    smtp_server.refuse.update({"ada@example.com", "grace@example.com"})
    open_inbox(app, "staff")
    for name in ("Ada", "Grace"):
        tick(app, c[name])
    app.text_input(key="mass_subject").input("News")
    app.text_area(key="mass_body").input("Dear {first_name}")
    labelled(app.button, "Preview").click().run()
    labelled(app.button, "Send to 2 creators").click().run()
    assert not app.exception
    assert any("0 sent" in w and "2 failed" in w for w in texts(app.warning))
    assert (app.text_input(key="mass_subject").value, app.text_area(key="mass_body").value) == (
        "News", "Dear {first_name}")
    assert c["Ada"] in ticked(app)

    smtp_server.refuse.clear()
    labelled(app.button, "Preview").click().run()
    labelled(app.button, "Send to 2 creators").click().run()
    assert not app.exception
    assert len(smtp_server.messages) == 2
    assert app.text_input(key="mass_subject").value == ""  # sent: the draft is gone
    assert ticked(app) == []


# --- the collaboration page ----------------------------------------------------------------


def test_a_refused_payment_keeps_what_was_typed_and_a_recorded_one_clears(
    app: AppTest, db: Database, world: World
) -> None:
    login(app, "staff")
    open_detail(app, world.collabs["ada_spring"])
    assert_ok(app)
    labelled(app.text_input, "Amount").input("two hundred")
    labelled(app.text_input, "Reference").input("INV-2026-041")
    labelled(app.button, "Record payment").click().run()
    assert not app.exception
    assert len(app.error) == 1 and not app.warning
    assert labelled(app.text_input, "Amount").value == "two hundred"
    assert labelled(app.text_input, "Reference").value == "INV-2026-041"
    assert db.value("SELECT count(*) FROM payments") == 0

    labelled(app.text_input, "Amount").input("200")
    labelled(app.button, "Record payment").click().run()
    assert_ok(app)
    assert db.value("SELECT count(*) FROM payments") == 1
    assert labelled(app.text_input, "Amount").value == ""
    assert labelled(app.text_input, "Reference").value == ""


def test_a_refused_note_stays_and_an_added_one_clears(
    app: AppTest, db: Database, world: World
) -> None:
    login(app, "staff")
    open_detail(app, world.collabs["ada_spring"])
    labelled(app.text_area, "Note").input("x" * 5)
    labelled(app.button, "Add note").click().run()
    assert_ok(app)
    assert labelled(app.text_area, "Note").value == ""
    labelled(app.text_area, "Note").input("   ")  # nothing but blanks: refused
    labelled(app.button, "Add note").click().run()
    assert not app.exception
    assert len(app.error) == 1
    assert labelled(app.text_area, "Note").value == "   "


# --- Feedback, Campaigns, Users ------------------------------------------------------------


def test_a_refused_invitation_keeps_the_addresses_and_a_sent_one_clears(
    app: AppTest, db: Database, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("COLLABDESK_SMTP_HOST", raising=False)
    at = open_feedback(app, "manager", world.campaigns["Spring"])
    box = "Invite reviewers: e-mail addresses"
    labelled(at.text_area, box).input("anna@client.test, ben@client")
    labelled(at.button, "Send invitations").click().run()
    assert not at.exception
    assert len(at.error) == 1 and "ben@client" in texts(at.error)[0]
    assert labelled(at.text_area, box).value == "anna@client.test, ben@client"
    labelled(at.text_area, box).input("anna@client.test, ben@client.test")
    labelled(at.button, "Send invitations").click().run()
    assert_ok(at)
    assert db.value("SELECT count(*) FROM reviewers") == 2
    assert labelled(at.text_area, box).value == ""


def test_a_refused_answer_to_feedback_keeps_the_text(
    app: AppTest, db: Database, world: World, with_feedback: dict[str, int],  # noqa: F811
) -> None:
    at = open_feedback(app, "staff", world.campaigns["Spring"])
    piece = with_feedback["ben_grace"]
    at.text_area(key=f"answer_text_{piece}").input("  \n ")  # only blanks: refused
    at.button(key=f"reply_{piece}").click().run()
    assert not at.exception
    assert texts(at.error) == ["The reply is required."]
    assert at.text_area(key=f"answer_text_{piece}").value == "  \n "
    at.text_area(key=f"answer_text_{piece}").input("Thanks, noted")
    at.button(key=f"reply_{piece}").click().run()
    assert_ok(at)
    assert at.text_area(key=f"answer_text_{piece}").value == ""


def test_a_refused_client_keeps_its_name_and_an_added_one_clears(
    app: AppTest, db: Database, world: World
) -> None:
    at = open_campaigns(app, "manager")
    labelled(at.text_input, "New client").input("acme")  # Acme is a client already
    labelled(at.button, "Add client").click().run()
    assert not at.exception
    [error] = texts(at.error)
    assert "already a client" in error
    assert labelled(at.text_input, "New client").value == "acme"
    labelled(at.text_input, "New client").input("Zeta Corp")
    labelled(at.button, "Add client").click().run()
    assert_ok(at)
    assert labelled(at.text_input, "New client").value == ""


def test_a_refused_new_user_keeps_what_was_typed(app: AppTest, db: Database) -> None:
    login(app, "admin")
    app.switch_page("pages/users.py").run()
    labelled(app.text_input, "Username").input("newbie")
    labelled(app.text_input, "Full name").input("New Person")
    labelled(app.text_input, "Password (at least 10 characters)").input("short")
    labelled(app.button, "Add user").click().run()
    assert not app.exception
    assert len(app.error) == 1
    assert labelled(app.text_input, "Username").value == "newbie"
    assert labelled(app.text_input, "Full name").value == "New Person"
    labelled(app.text_input, "Password (at least 10 characters)").input("a-long-passphrase")
    labelled(app.button, "Add user").click().run()
    assert_ok(app)
    assert db.value("SELECT count(*) FROM users WHERE username = 'newbie'") == 1
    assert labelled(app.text_input, "Username").value == ""


# --- batch scope on Deliveries (Collaborations: tests/test_pages.py) -----------------------


def test_the_deliveries_scope_resets_when_the_filter_changes(
    app: AppTest, world: World
) -> None:
    at = open_deliveries(app, "staff")
    labelled(at.radio, "Apply to").set_value("filter").run()
    assert labelled(at.radio, "Apply to").value == "filter"
    at.multiselect(key="dlv_status").set_value(["pending"]).run()
    assert_ok(at)
    assert labelled(at.radio, "Apply to").value == "selected"
    labelled(at.radio, "Apply to").set_value("filter").run()
    at.multiselect(key="dlv_status").set_value([]).run()  # reset
    assert labelled(at.radio, "Apply to").value == "selected"


# --- stale edits ---------------------------------------------------------------------------


def test_terms_changed_underneath_keep_what_was_typed_and_say_so_once(
    app: AppTest, db: Database, world: World, people: dict
) -> None:
    from decimal import Decimal

    from lib import collaborations
    from lib.models import Role, Terms

    collab_id = world.collabs["ada_spring"]
    login(app, "staff")
    open_detail(app, collab_id)
    labelled(app.text_area, "Deliverables").input("Two reels and a story")
    # Meanwhile a manager saves other terms.
    now = collaborations.get_collaboration(db, collab_id)
    collaborations.update_terms(db, people[Role.MANAGER], collab_id, now["version"], Terms(
        "One post", Decimal("300.00"), now["currency"], now["start_date"], now["due_date"], ""))
    labelled(app.button, "Save terms").click().run()
    assert not app.exception
    [error] = texts(app.error)
    assert "Someone changed these terms" in error and "What you typed is kept" in error
    assert not app.warning
    assert labelled(app.text_area, "Deliverables").value == "Two reels and a story"
    assert collaborations.get_collaboration(db, collab_id)["deliverables"] == "One post"

    labelled(app.button, "Save terms").click().run()  # seen: saving again replaces theirs
    assert_ok(app)
    assert collaborations.get_collaboration(db, collab_id)["deliverables"] == (
        "Two reels and a story")
    assert labelled(app.text_area, "Deliverables").value == "Two reels and a story"


def test_own_status_change_is_no_stale_edit_of_the_terms(
    app: AppTest, db: Database, world: World
) -> None:
    from lib import collaborations

    collab_id = world.collabs["ada_spring"]  # pending
    login(app, "staff")
    open_detail(app, collab_id)
    labelled(app.button, "Change status").click().run()  # to the first target offered
    assert_ok(app)
    labelled(app.text_area, "Deliverables").input("Agreed by phone")
    labelled(app.button, "Save terms").click().run()
    assert_ok(app)
    assert collaborations.get_collaboration(db, collab_id)["deliverables"] == "Agreed by phone"


def test_a_campaign_changed_underneath_keeps_the_edit(
    app: AppTest, db: Database, world: World, people: dict
) -> None:
    from lib import campaigns
    from lib.models import CampaignFields, Role

    campaign_id = world.campaigns["Spring"]
    at = open_campaigns(app, "manager", campaign_id)
    brief = f"edit_{campaign_id}_1_brief"  # keyed by the version the form was opened at
    at.text_area(key=brief).input("My new brief")
    now = campaigns.get_campaign(db, campaign_id)
    campaigns.edit_campaign(db, people[Role.ADMIN], campaign_id, now["version"], CampaignFields(
        now["name"], now["client_id"], now["owner_id"], "Their brief", now["start_date"],
        now["end_date"], str(now["budget"]), now["currency"]))
    labelled(at.button, "Save changes").click().run()
    assert not at.exception
    [error] = texts(at.error)
    assert "Someone changed this campaign" in error
    assert at.text_area(key=brief).value == "My new brief"
    labelled(at.button, "Save changes").click().run()
    assert_ok(at)
    assert campaigns.get_campaign(db, campaign_id)["brief"] == "My new brief"
