"""The Feedback and Notifications pages through AppTest: the real app.py, logged in through
the form, over a temporary database; actions are checked in the database."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from lib import feedback, reviewers
from lib.db import Database
from lib.models import FeedbackFilter, ReplyKind, Role, User
from tests.conftest import PASSWORD, World, as_read, assert_ok, labelled, texts


def no_smtp() -> None:
    return None


def invite(db: Database, manager: User, campaign_id: int, email: str) -> str:
    [delivery] = reviewers.invite(db, manager, campaign_id, email, settings=no_smtp,
                                  base_url="https://desk.agency.test").deliveries
    return delivery.link.split("token=", 1)[1]


def open_feedback(at: AppTest, username: str, campaign_id: int | None = None) -> AppTest:
    labelled(at.text_input, "Username").input(username)
    labelled(at.text_input, "Password").input(PASSWORD)
    labelled(at.button, "Login").click().run()
    at.switch_page("pages/feedback.py").run()
    assert_ok(at)
    if campaign_id is not None:
        at.selectbox(key="feedback_campaign").set_value(campaign_id).run()
        assert_ok(at)
    return at


def shown_text(at: AppTest) -> str:
    """The page's text as a person reads it (markdown escapes taken out)."""
    parts = [as_read(str(e.value)) for kind in ("markdown", "caption", "warning", "success",
                                                "info") for e in getattr(at, kind)]
    return "\n".join(parts + [str(e.value) for e in at.text])


@pytest.fixture
def manager(people: dict[Role, User]) -> User:
    return people[Role.MANAGER]


@pytest.fixture
def spring(world: World) -> int:
    return world.campaigns["Spring"]


@pytest.fixture
def with_feedback(db: Database, world: World, people: dict[Role, User], manager: User,
                  spring: int) -> dict[str, int]:
    anna = invite(db, manager, spring, "anna@client.test")
    ben = invite(db, manager, spring, "ben@client.test")
    ids = {
        "anna_ada": reviewers.submit_feedback(db, anna, "creator", world.creators["Ada"],
                                              "Love her", "approve"),
        "ben_grace": reviewers.submit_feedback(db, ben, "creator", world.creators["Grace"],
                                               "Not for us", "decline"),
    }
    feedback.answer(db, people[Role.STAFF], ids["anna_ada"], "Psst, internal",
                    ReplyKind.INTERNAL_NOTE)
    return ids


def test_staff_see_all_feedback_with_reviewer_and_tally(
    app: AppTest, with_feedback: dict[str, int], spring: int
) -> None:
    at = open_feedback(app, "staff", spring)
    text = shown_text(at)
    for expected in ("anna@client.test", "ben@client.test", "Love her", "Not for us",
                     "Psst, internal", "1 approve · 0 decline", "0 approve · 1 decline",
                     "2 reviewers · 2 pieces of feedback, 2 unanswered",
                     "1 piece of feedback, 1 unanswered"):
        assert expected in text, expected
    # The filter narrows in SQL: only Grace is declined.
    at.radio(key="feedback_filter").set_value(FeedbackFilter.DECLINED).run()
    text = shown_text(at)
    assert "Not for us" in text and "Love her" not in text


def test_a_reply_and_a_note_from_the_page(
    app: AppTest, db: Database, with_feedback: dict[str, int], spring: int
) -> None:
    at = open_feedback(app, "staff", spring)
    piece = with_feedback["ben_grace"]
    at.text_area(key=f"answer_text_{piece}").input("Could you tell us why?")
    at.button(key=f"reply_{piece}").click().run()
    assert_ok(at)
    assert db.rows("SELECT feedback_id, kind, author, body FROM feedback_replies"
                   " WHERE kind = 'reply'") == [(piece, "reply", "staff", "Could you tell us why?")]
    assert "Could you tell us why?" in shown_text(at)
    other = with_feedback["anna_ada"]
    at.text_area(key=f"answer_text_{other}").input("Ask for her rates")
    at.button(key=f"note_{other}").click().run()
    assert_ok(at)
    assert db.rows("SELECT feedback_id, kind FROM feedback_replies ORDER BY id") == [
        (other, "internal_note"), (piece, "reply"), (other, "internal_note")]
    # An empty answer: a message, nothing written.
    at.button(key=f"reply_{other}").click().run()
    assert texts(at.error) == ["The reply is required."]
    assert db.value("SELECT count(*) FROM feedback_replies") == 3


def test_a_viewer_reads_but_cannot_answer_or_manage(
    app: AppTest, with_feedback: dict[str, int], spring: int
) -> None:
    at = open_feedback(app, "viewer", spring)
    assert "Love her" in shown_text(at)
    assert not [b for b in at.button if b.label in ("Reply to reviewer", "Send invitations",
                                                     "Remove reviewer")]
    assert "Managers invite and remove reviewers." in texts(at.caption)


def test_a_manager_invites_without_smtp_and_sees_the_link_once(
    app: AppTest, db: Database, spring: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("COLLABDESK_SMTP_HOST", raising=False)
    at = open_feedback(app, "manager", spring)
    labelled(at.text_area, "Invite reviewers: e-mail addresses").input(
        "anna@client.test, ben@client.test")
    labelled(at.button, "Send invitations").click().run()
    assert_ok(at)
    links = [c.value for c in at.code]
    assert len(links) == 2 and all("/review?token=" in link for link in links)
    for link in links:
        assert reviewers.open_link(db, link.split("token=")[1]) is not None
    assert "No mail server is configured" in "\n".join(texts(at.warning))
    at.run()  # shown once: the next run has no links
    assert not at.code


def test_a_bad_invitation_says_why_and_writes_nothing(
    app: AppTest, db: Database, spring: int
) -> None:
    at = open_feedback(app, "manager", spring)
    labelled(at.text_area, "Invite reviewers: e-mail addresses").input("not-an-address")
    labelled(at.button, "Send invitations").click().run()
    assert texts(at.error) == [
        "Not an e-mail address: 'not-an-address'. Fix it (or leave it out) and invite again."]
    assert db.value("SELECT count(*) FROM reviewers") == 0


def test_removing_a_reviewer_needs_the_confirmation_that_says_how_many_pieces_go(
    app: AppTest, db: Database, with_feedback: dict[str, int], spring: int
) -> None:
    at = open_feedback(app, "manager", spring)
    anna_id = db.value("SELECT id FROM reviewers WHERE email = 'anna@client.test'")
    at.selectbox(key="manage_reviewer").set_value(anna_id).run()
    assert any("deletes all of their feedback: 1 piece," in w for w in texts(at.warning))
    remove = labelled(at.button, "Remove reviewer")
    assert remove.disabled
    labelled(at.checkbox, "Remove anna@client.test and delete 1 piece of feedback").check().run()
    labelled(at.button, "Remove reviewer").click().run()
    assert_ok(at)
    assert db.rows("SELECT id FROM feedback") == [(with_feedback["ben_grace"],)]
    assert db.value("SELECT count(*) FROM feedback_replies") == 0
    assert "Love her" not in shown_text(at)


def test_content_is_recorded_and_approved_from_the_page(
    app: AppTest, db: Database, world: World, spring: int
) -> None:
    at = open_feedback(app, "staff", spring)
    at.selectbox(key="submit_collab").set_value(world.collabs["linus_spring"]).run()
    labelled(at.text_input, "Content URL").input("https://x.test/reel/42")
    labelled(at.text_area, "Caption").input("New drop")
    labelled(at.button, "Record submission").click().run()
    assert_ok(at)
    item = db.value("SELECT id FROM content_items WHERE url = 'https://x.test/reel/42'")
    assert db.value("SELECT approval FROM content_items WHERE id = ?", [item]) == "pending"
    at.text_input(key=f"approval_note_{item}").input("Make it brighter")
    at.button(key=f"changes_{item}").click().run()
    assert_ok(at)
    assert db.value("SELECT approval FROM content_items WHERE id = ?", [item]) == (
        "changes_requested")
    assert db.value("SELECT text FROM activity_events WHERE kind = 'content_reviewed'") == (
        "post v1: changes requested (Make it brighter)")


def test_the_notifications_page_lists_and_marks_read(
    app: AppTest, db: Database, manager: User, with_feedback: dict[str, int]
) -> None:
    labelled(app.text_input, "Username").input("manager")
    labelled(app.text_input, "Password").input(PASSWORD)
    labelled(app.button, "Login").click().run()
    assert db.value("SELECT count(*) FROM notifications WHERE read_at IS NULL") == 2
    at = app.switch_page("pages/notifications.py").run()
    assert_ok(at)
    text = shown_text(at)
    assert "anna@client.test approved Ada Lovelace (Spring)" in text
    assert "ben@client.test declined Grace Hopper (Spring)" in text
    assert db.value("SELECT count(*) FROM notifications WHERE read_at IS NULL") == 0


def test_content_is_submitted_for_approval_from_the_collaboration_page(
    app: AppTest, db: Database, world: World
) -> None:
    labelled(app.text_input, "Username").input("staff")
    labelled(app.text_input, "Password").input(PASSWORD)
    labelled(app.button, "Login").click().run()
    collab = world.collabs["grace_spring"]
    app.query_params["id"] = str(collab)
    at = app.switch_page("pages/collaboration.py").run()
    assert_ok(at)
    labelled(at.text_input, "Submitted URL").input("https://x.test/story/1")
    labelled(at.selectbox, "Content type").set_value("story")
    labelled(at.text_area, "Caption").input("Day one")
    labelled(at.button, "Submit for approval").click().run()
    assert_ok(at)
    assert db.rows("SELECT kind, approval, version, caption FROM content_items") == [
        ("story", "pending", 1, "Day one")]
    assert db.value("SELECT count(*) FROM activity_events WHERE collab_id = ?"
                    " AND kind = 'content_submitted'", [collab]) == 1
