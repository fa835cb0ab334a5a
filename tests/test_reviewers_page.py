"""The reviewer's page through AppTest: the real app.py opened with a token in the URL, as a
reviewer's browser opens the link. What it shows, what it never shows, and its form."""

from __future__ import annotations

from typing import Any

import pytest
from streamlit.testing.v1 import AppTest

from lib import feedback, reviewers
from lib.db import Database
from lib.models import ReplyKind, Role, User
from tests.conftest import World, assert_ok, login, texts

NOT_VALID = "This link is not valid."


def no_smtp() -> None:
    return None


def invite(db: Database, manager: User, campaign_id: int, email: str) -> str:
    [delivery] = reviewers.invite(db, manager, campaign_id, email, settings=no_smtp,
                                  base_url="https://desk.agency.test").deliveries
    return delivery.link.split("token=", 1)[1]


def open_review(app: AppTest, token: str) -> AppTest:
    """The review page with this token in the URL."""
    app.query_params.clear()
    if token is not None:
        app.query_params["token"] = token
    # AppTest cannot ask for a URL path: a first run registers the reviewer's navigation (at
    # "/" a token shows the not-valid page), then the review page is opened as /review is.
    app.run()
    app.switch_page("pages/review.py")
    return app.run()


def everything_shown(at: AppTest) -> str:
    """All the text the run put on the page, main area and sidebar."""
    parts: list[Any] = []
    for kind in ("title", "header", "subheader", "markdown", "caption", "text", "info",
                 "error", "warning", "success"):
        parts += [str(e.value) for e in getattr(at, kind)]
    parts += [w.label for w in (*at.text_area, *at.text_input, *at.button, *at.radio)]
    parts += [str(e.value) for e in at.sidebar.markdown]
    return "\n".join(parts)


def assert_only_not_valid(at: AppTest) -> None:
    assert not at.exception, [e.message for e in at.exception]
    assert texts(at.header) == [NOT_VALID]
    assert not at.title and not at.markdown and not at.text_area and not at.button
    assert not at.sidebar.markdown and not at.sidebar.button


@pytest.fixture
def manager(people: dict[Role, User]) -> User:
    return people[Role.MANAGER]


@pytest.fixture
def anna(db: Database, world: World, manager: User) -> str:
    return invite(db, manager, world.campaigns["Spring"], "anna@client.test")


def test_the_link_opens_its_campaign_and_nothing_else(app: AppTest, anna: str) -> None:
    at = open_review(app, anna)
    assert_ok(at)
    assert texts(at.title) == ["Spring"]
    shown = everything_shown(at)
    for name in ("Ada Lovelace", "Grace Hopper", "Linus Field", "Mary Shelley"):
        assert f"Your feedback on {name}" in shown
    assert "12,000 followers · 3.50% engagement · Collaborating" in shown
    # No staff page, no contact details, no other campaign, no sidebar.
    for absent in ("Collaborations", "Log out", "ada@example.com", "+49 30 1234", "Main St",
                   "Summer", "Launch", "Top Performer", "Manager"):
        assert absent not in shown
    assert not at.sidebar.button and not at.sidebar.markdown


@pytest.mark.parametrize("token", ["", "nonsense", "A" * 43, "x" * 500, "a b\nc"])
def test_a_bad_token_sees_only_that_the_link_is_not_valid(
    app: AppTest, anna: str, token: str | None
) -> None:
    assert_only_not_valid(open_review(app, token))


def test_the_token_is_never_shown(app: AppTest, anna: str) -> None:
    at = open_review(app, anna)
    assert anna not in everything_shown(at)
    bad = open_review(app, anna[:-1] + ("B" if anna[-1] != "B" else "C"))
    assert anna[:-1] not in everything_shown(bad)


def test_a_logged_in_staff_session_sees_no_staff_page_through_a_link(
    app: AppTest, anna: str
) -> None:
    login(app, "admin")
    assert_ok(app)
    at = open_review(app, anna)
    assert_ok(at)
    assert texts(at.title) == ["Spring"]
    assert not at.sidebar.button  # no "Log out": the staff session is not used here
    assert "Admin" not in everything_shown(at)
    assert_only_not_valid(open_review(app, "A" * 43))


def test_feedback_through_the_form(app: AppTest, db: Database, world: World, anna: str) -> None:
    at = open_review(app, anna)
    ada = world.creators["Ada"]
    at.text_area(key=f"feedback_text_creator_{ada}").input("Perfect for the launch")
    at.radio(key=f"verdict_creator_{ada}").set_value("approve")
    at.button(key=f"feedback_send_creator_{ada}").click().run()
    assert_ok(at)
    assert db.rows("SELECT creator_id, body, verdict FROM feedback") == [
        (ada, "Perfect for the launch", "approve")]
    assert "Perfect for the launch" in everything_shown(at)

    # An empty form: a message, nothing written.
    at.button(key=f"feedback_send_creator_{ada}").click().run()
    assert texts(at.error) == ["Write your feedback, or choose approve or decline, then submit."]
    assert db.value("SELECT count(*) FROM feedback") == 1


def test_a_reviewer_never_sees_another_reviewers_feedback_or_internal_notes(
    app: AppTest, db: Database, world: World, people: dict[Role, User], manager: User,
    anna: str,
) -> None:
    ben = invite(db, manager, world.campaigns["Spring"], "ben@client.test")
    ada = world.creators["Ada"]
    mine = reviewers.submit_feedback(db, anna, "creator", ada, "Anna thinks yes", "approve")
    theirs = reviewers.submit_feedback(db, ben, "creator", ada, "Ben thinks no", "decline")
    staff = people[Role.STAFF]
    feedback.answer(db, staff, mine, "Thanks Anna", ReplyKind.REPLY)
    feedback.answer(db, staff, mine, "INTERNAL: Anna is the decider", ReplyKind.INTERNAL_NOTE)
    feedback.answer(db, staff, theirs, "Thanks Ben", ReplyKind.REPLY)

    shown = everything_shown(open_review(app, anna))
    assert "Anna thinks yes" in shown and "Thanks Anna" in shown
    for hidden in ("Ben thinks no", "Thanks Ben", "INTERNAL", "ben@client.test"):
        assert hidden not in shown


def test_reviewer_text_is_shown_as_text(app: AppTest, db: Database, world: World,
                                        anna: str) -> None:
    hostile = "![pixel](https://evil.test/p.png) <script>alert(1)</script> **loud**"
    reviewers.submit_feedback(db, anna, "creator", world.creators["Ada"], hostile)
    at = open_review(app, anna)
    # Shown with st.text, exactly as typed; in no markdown element (tests/test_user_text.py
    # checks the markdown places of every page).
    assert [t.value for t in at.text if "pixel" in t.value] == [hostile]
    assert not [m.value for m in at.markdown if "pixel" in m.value]
    assert all(not m.allow_html for m in at.markdown)


def test_a_link_revoked_while_open_writes_nothing(
    app: AppTest, db: Database, world: World, manager: User, anna: str
) -> None:
    at = open_review(app, anna)
    reviewer_id = reviewers.open_link(db, anna).reviewer_id  # type: ignore[union-attr]
    reviewers.remove_reviewer(db, manager, reviewer_id, 0)
    grace = world.creators["Grace"]
    at.text_area(key=f"feedback_text_creator_{grace}").input("Still here?")
    at.button(key=f"feedback_send_creator_{grace}").click().run()
    assert_only_not_valid(at)
    assert db.value("SELECT count(*) FROM feedback") == 0


def test_content_items_are_shown_for_feedback(
    app: AppTest, db: Database, world: World, people: dict[Role, User], anna: str
) -> None:
    item = feedback.submit_content(db, people[Role.STAFF], world.collabs["grace_spring"],
                                   "https://x.test/reel/7", "reel", "Caption *here*")
    at = open_review(app, anna)
    shown = everything_shown(at)
    assert "Your feedback on reel v1 by Grace Hopper" in shown
    assert "Caption *here*" in [t.value for t in at.text]  # st.text: as typed
    at.text_area(key=f"feedback_text_content_{item}").input("Too dark")
    at.radio(key=f"verdict_content_{item}").set_value("decline")
    at.button(key=f"feedback_send_content_{item}").click().run()
    assert_ok(at)
    assert db.rows("SELECT content_item_id, verdict FROM feedback") == [(item, "decline")]


def test_the_first_visit_is_recorded(app: AppTest, db: Database, anna: str) -> None:
    assert db.value("SELECT last_visit_at FROM reviewers") is None
    open_review(app, anna)
    assert db.value("SELECT last_visit_at FROM reviewers") is not None
