"""Feedback, the staff side: subjects with tallies and filters (SQL agreeing with the rule),
threads, replies and internal notes, content submission and approval, notifications, the
migration on existing data, and the rules behind them."""

from __future__ import annotations

import datetime as dt

import pytest

from lib import collaborations, feedback, notifications, reviewers, rules
from lib.db import Database, NotFound
from lib.models import (
    ContentApproval,
    FeedbackFilter,
    ReplyKind,
    ReviewState,
    Role,
    SubjectKind,
    User,
)
from tests.conftest import World, event_count


def no_smtp() -> None:
    return None


def invite(db: Database, manager: User, campaign_id: int, email: str) -> str:
    [delivery] = reviewers.invite(db, manager, campaign_id, email, settings=no_smtp,
                                  base_url="https://desk.agency.test").deliveries
    return delivery.link.split("token=", 1)[1]


@pytest.fixture
def manager(people: dict[Role, User]) -> User:
    return people[Role.MANAGER]


@pytest.fixture
def staff(people: dict[Role, User]) -> User:
    return people[Role.STAFF]


@pytest.fixture
def spring(world: World) -> int:
    return world.campaigns["Spring"]


def states(db: Database, campaign_id: int, kind: str, filt: str = "all") -> dict[str, str]:
    rows = feedback.subjects(db, campaign_id, kind, filt, 1, 100).rows
    return dict(zip(rows["name"], rows["state"], strict=True))


# --- rules -------------------------------------------------------------------------------


def test_reviewer_addresses_are_split_lowercased_and_deduplicated() -> None:
    assert rules.check_reviewer_emails("A@x.test, b@x.test;\n a@X.test  c+tag@sub.x.test") == [
        "a@x.test", "b@x.test", "c+tag@sub.x.test"]
    assert rules.check_reviewer_emails(["a@x.test", "b@x.test"]) == ["a@x.test", "b@x.test"]


@pytest.mark.parametrize(
    ("kind", "approval", "approvals", "declines", "state"),
    [
        ("creator", None, 0, 0, ReviewState.PENDING),
        ("creator", None, 2, 0, ReviewState.APPROVED),
        ("creator", None, 3, 1, ReviewState.DECLINED),
        ("creator", None, 0, 1, ReviewState.DECLINED),
        ("content", "pending", 5, 0, ReviewState.PENDING),
        ("content", "approved", 0, 3, ReviewState.APPROVED),
        ("content", "changes_requested", 2, 0, ReviewState.DECLINED),
    ],
)
def test_review_state(kind: str, approval: str | None, approvals: int, declines: int,
                      state: ReviewState) -> None:
    assert rules.review_state(kind, approval, approvals, declines) is state


def test_content_review_rules() -> None:
    assert rules.check_content_review("pending", "approved", None) == ""
    assert rules.check_content_review("approved", "changes_requested", " Brighter ") == "Brighter"
    with pytest.raises(rules.RuleViolation, match="Which changes are needed is required"):
        rules.check_content_review("pending", "changes_requested", "  ")
    with pytest.raises(rules.RuleViolation, match="already approved"):
        rules.check_content_review("approved", "approved", None)
    with pytest.raises(rules.RuleViolation, match="not a decision"):
        rules.check_content_review("approved", "pending", None)
    with pytest.raises(rules.RuleViolation, match="Unknown approval"):
        rules.check_content_review("pending", "maybe", None)


def test_review_tokens_have_one_shape() -> None:
    assert rules.review_token_well_formed(reviewers.new_token())
    for bad in (None, "", "a" * 42, "a" * 44, "a" * 42 + "!", "a" * 42 + "=", 7, b"a" * 43):
        assert not rules.review_token_well_formed(bad)


# --- the migration -----------------------------------------------------------------------


def test_delivered_content_counts_as_approved(db: Database, world: World, staff: User) -> None:
    collaborations.record_content(db, staff, world.collabs["ada_spring"], "https://x.test/live",
                                  "post", dt.date(2026, 3, 5))
    assert db.rows("SELECT approval, version, caption FROM content_items") == [
        ("approved", 1, "")]


# --- subjects, tallies, filters ----------------------------------------------------------


def test_tallies_count_each_reviewers_latest_verdict(
    db: Database, world: World, manager: User, staff: User, spring: int
) -> None:
    anna = invite(db, manager, spring, "anna@client.test")
    ben = invite(db, manager, spring, "ben@client.test")
    ada, grace, linus = (world.creators[n] for n in ("Ada", "Grace", "Linus"))
    reviewers.submit_feedback(db, anna, "creator", ada, "no", "decline")
    reviewers.submit_feedback(db, anna, "creator", ada, "changed my mind", "approve")
    reviewers.submit_feedback(db, ben, "creator", ada, "yes", "approve")
    reviewers.submit_feedback(db, ben, "creator", grace, "hmm", "decline")
    reviewers.submit_feedback(db, anna, "creator", grace, "fine", "approve")
    reviewers.submit_feedback(db, anna, "creator", linus, "just a comment")

    rows = feedback.subjects(db, spring, "creator", page_size=100).rows.set_index("name")
    assert rows.loc["Ada Lovelace", ["approvals", "declines", "pieces"]].tolist() == [2, 0, 3]
    assert rows.loc["Grace Hopper", ["approvals", "declines"]].tolist() == [1, 1]
    assert states(db, spring, "creator") == {
        "Ada Lovelace": "approved", "Grace Hopper": "declined", "Linus Field": "pending",
        "Mary Shelley": "pending"}
    # The SQL agrees with the rule on every row.
    for row in rows.itertuples():
        assert row.state == rules.review_state("creator", None, row.approvals, row.declines)
    assert set(states(db, spring, "creator", "approved")) == {"Ada Lovelace"}
    assert set(states(db, spring, "creator", "declined")) == {"Grace Hopper"}
    assert set(states(db, spring, "creator", "pending")) == {"Linus Field", "Mary Shelley"}
    assert set(states(db, spring, "creator", "unanswered")) == {
        "Ada Lovelace", "Grace Hopper", "Linus Field"}


def test_an_internal_note_does_not_answer_feedback_and_a_reply_does(
    db: Database, world: World, manager: User, staff: User, spring: int
) -> None:
    token = invite(db, manager, spring, "anna@client.test")
    piece = reviewers.submit_feedback(db, token, "creator", world.creators["Ada"], "?")
    feedback.answer(db, staff, piece, "ask the client what they mean", ReplyKind.INTERNAL_NOTE)
    assert set(states(db, spring, "creator", FeedbackFilter.UNANSWERED)) == {"Ada Lovelace"}
    assert feedback.campaign_summary(db, spring)["unanswered"] == 1
    feedback.answer(db, staff, piece, "Could you say more?", ReplyKind.REPLY)
    assert states(db, spring, "creator", FeedbackFilter.UNANSWERED) == {}
    assert feedback.campaign_summary(db, spring)["unanswered"] == 0


def test_pages_of_subjects_are_cut_in_sql(db: Database, world: World, spring: int) -> None:
    first = feedback.subjects(db, spring, "creator", page=1, page_size=3)
    last = feedback.subjects(db, spring, "creator", page=99, page_size=3)
    assert (first.total, len(first.rows), first.pages) == (4, 3, 2)
    assert (last.page, len(last.rows)) == (2, 1)
    with pytest.raises(rules.RuleViolation, match="Unknown filter"):
        feedback.subjects(db, spring, "creator", "everything")
    with pytest.raises(rules.RuleViolation, match="A page has"):
        feedback.subjects(db, spring, "creator", page_size=10_000)


# --- replies and notes -------------------------------------------------------------------


def test_answers_are_checked_and_refusals_write_nothing(
    db: Database, world: World, people: dict[Role, User], manager: User, spring: int
) -> None:
    token = invite(db, manager, spring, "anna@client.test")
    piece = reviewers.submit_feedback(db, token, "creator", world.creators["Ada"], "?")
    staff = people[Role.STAFF]
    with pytest.raises(PermissionError, match="needs staff"):
        feedback.answer(db, people[Role.VIEWER], piece, "hi", ReplyKind.REPLY)
    with pytest.raises(rules.RuleViolation, match="The reply is required"):
        feedback.answer(db, staff, piece, "  ", ReplyKind.REPLY)
    with pytest.raises(rules.RuleViolation, match="too long"):
        feedback.answer(db, staff, piece, "x" * 2001, ReplyKind.INTERNAL_NOTE)
    with pytest.raises(rules.RuleViolation, match="Unknown kind of answer"):
        feedback.answer(db, staff, piece, "hi", "shout")
    with pytest.raises(NotFound):
        feedback.answer(db, staff, 999_999, "hi", ReplyKind.REPLY)
    with pytest.raises(NotFound):
        feedback.answer(db, staff, "1; DROP TABLE feedback", "hi", ReplyKind.REPLY)
    assert db.value("SELECT count(*) FROM feedback_replies") == 0


# --- content approval --------------------------------------------------------------------


def test_content_is_submitted_reviewed_and_versioned_with_events(
    db: Database, world: World, manager: User, staff: User, spring: int
) -> None:
    collab = world.collabs["ada_spring"]
    first = feedback.submit_content(db, staff, collab, "https://x.test/reel/1", "reel",
                                    "Glow up ✨ #ad")
    assert db.one("SELECT approval, version, caption, previous_id FROM content_items"
                  " WHERE id = ?", [first]) == ("pending", 1, "Glow up ✨ #ad", None)
    assert event_count(db, collab, "content_submitted") == 1

    token = invite(db, manager, spring, "anna@client.test")
    reviewers.submit_feedback(db, token, "content", first, "Too dark", "decline")
    assert states(db, spring, "content", "pending") == {"Ada Lovelace": "pending"}

    with pytest.raises(rules.RuleViolation, match="Which changes are needed"):
        feedback.review_content(db, staff, first, "changes_requested", "")
    assert event_count(db, collab, "content_reviewed") == 0
    feedback.review_content(db, staff, first, ContentApproval.CHANGES_REQUESTED, "Brighter")
    assert db.one("SELECT approval, reviewed_by FROM content_items WHERE id = ?",
                  [first]) == ("changes_requested", "staff")
    assert db.value("SELECT text FROM activity_events WHERE collab_id = ? AND"
                    " kind = 'content_reviewed'", [collab]) == (
        "reel v1: changes requested (Brighter)")
    assert states(db, spring, "content", "declined") == {"Ada Lovelace": "declined"}

    second = feedback.submit_content(db, staff, collab, "https://x.test/reel/2", "reel",
                                     previous_id=first)
    assert db.value("SELECT version FROM content_items WHERE id = ?", [second]) == 2
    with pytest.raises(rules.RuleViolation, match="already has a newer version"):
        feedback.submit_content(db, staff, collab, "https://x.test/reel/3", "reel",
                                previous_id=first)
    with pytest.raises(rules.RuleViolation, match="same collaboration"):
        feedback.submit_content(db, staff, world.collabs["grace_spring"], "https://x.test/g",
                                "reel", previous_id=second)
    assert [i for i, _ in feedback.latest_versions(db, collab)] == [second]
    feedback.review_content(db, staff, second, "approved")
    with pytest.raises(rules.RuleViolation, match="already approved"):
        feedback.review_content(db, staff, second, "approved")
    assert event_count(db, collab, "content_reviewed") == 2


@pytest.mark.parametrize(
    ("args", "error", "message"),
    [
        (("javascript:alert(1)", "reel", ""), rules.RuleViolation, "must start with http"),
        (("", "reel", ""), rules.RuleViolation, "The URL is required"),
        (("https://x.test/a", "hologram", ""), rules.RuleViolation, "Unknown content type"),
        (("https://x.test/a", "reel", "c" * 2201), rules.RuleViolation, "caption is too long"),
    ],
)
def test_bad_submissions_write_nothing(
    db: Database, world: World, staff: User, args: tuple, error: type, message: str
) -> None:
    with pytest.raises(error, match=message):
        feedback.submit_content(db, staff, world.collabs["ada_spring"], *args)
    assert db.value("SELECT count(*) FROM content_items") == 0
    assert event_count(db, None, "content_submitted") == 0


def test_content_roles_and_unknown_ids(
    db: Database, world: World, people: dict[Role, User], staff: User
) -> None:
    with pytest.raises(PermissionError):
        feedback.submit_content(db, people[Role.VIEWER], world.collabs["ada_spring"],
                                "https://x.test/a", "reel")
    with pytest.raises(NotFound):
        feedback.submit_content(db, staff, 999_999, "https://x.test/a", "reel")
    with pytest.raises(NotFound):
        feedback.submit_content(db, staff, world.collabs["ada_spring"], "https://x.test/a",
                                "reel", previous_id=999_999)
    item = feedback.submit_content(db, staff, world.collabs["ada_spring"], "https://x.test/a",
                                   "reel")
    with pytest.raises(PermissionError):
        feedback.review_content(db, people[Role.VIEWER], item, "approved")
    with pytest.raises(NotFound):
        feedback.review_content(db, staff, 999_999, "approved")
    assert db.value("SELECT approval FROM content_items WHERE id = ?", [item]) == "pending"


# --- notifications -----------------------------------------------------------------------


def test_notifications_are_per_user_and_marked_read(
    db: Database, world: World, people: dict[Role, User], manager: User, spring: int
) -> None:
    token = invite(db, manager, spring, "anna@client.test")
    for name in ("Ada", "Grace"):
        reviewers.submit_feedback(db, token, "creator", world.creators[name], "hi", "approve")
    assert notifications.unread_count(db, manager) == 2
    assert notifications.unread_count(db, people[Role.ADMIN]) == 0
    listed = notifications.list_notifications(db, manager).rows
    assert list(listed["text"]) == ["anna@client.test approved Grace Hopper (Spring)",
                                    "anna@client.test approved Ada Lovelace (Spring)"]
    ids = [int(i) for i in listed["id"]]
    # Someone else's ids change nothing.
    assert notifications.mark_read(db, people[Role.ADMIN], ids) == 0
    assert notifications.unread_count(db, manager) == 2
    assert notifications.mark_read(db, manager, ids[:1]) == 1
    assert notifications.unread_count(db, manager) == 1
    assert notifications.mark_read(db, manager, ids) == 1
    assert notifications.mark_read(db, manager, ids) == 0
    assert notifications.unread_count(db, manager) == 0
    assert notifications.list_notifications(db, manager, unread_only=True).total == 0


def test_a_campaign_without_owner_notifies_nobody(
    db: Database, world: World, manager: User, spring: int
) -> None:
    db.value("UPDATE campaign_ownership SET owner_id = NULL WHERE campaign_id = ? RETURNING 1",
             [spring])
    token = invite(db, manager, spring, "anna@client.test")
    reviewers.submit_feedback(db, token, "creator", world.creators["Ada"], "hi")
    assert db.value("SELECT count(*) FROM feedback") == 1
    assert db.value("SELECT count(*) FROM notifications") == 0


def test_campaign_choices_put_recent_feedback_first(
    db: Database, world: World, manager: User
) -> None:
    token = invite(db, manager, world.campaigns["Summer"], "anna@client.test")
    reviewers.submit_feedback(db, token, "creator", world.creators["Grace"], "hi")
    assert [(name, client) for _, name, client in feedback.campaign_choices(db)] == [
        ("Summer", "Acme"), ("Launch", "Globex"), ("Spring", "Acme")]
    assert feedback.campaign_summary(db, world.campaigns["Summer"])["pieces"] == 1
    with pytest.raises(NotFound):
        feedback.campaign_summary(db, 999_999)


def test_subject_kinds(db: Database, world: World, spring: int) -> None:
    assert SubjectKind("content") is SubjectKind.CONTENT
    with pytest.raises(rules.RuleViolation, match="Unknown kind of subject"):
        feedback.subjects(db, spring, "collaboration")
