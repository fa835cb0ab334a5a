"""Reviewers: invitations by real SMTP (a local server), the link's token (guessing, revoked,
another campaign's, reuse after removal), what a reviewer may see and write, and removal."""

from __future__ import annotations

import datetime as dt
import io
import re
import threading

import pytest
from pypdf import PdfReader

from lib import feedback, mail, pdf, reviewers, rules
from lib.db import Database, NotFound
from lib.models import ReplyKind, Role, SubjectKind, User, Verdict
from tests.conftest import World


def no_smtp() -> None:
    return None


def token_of(delivery: reviewers.Delivery) -> str:
    return delivery.link.split("token=", 1)[1]


def invite_one(db: Database, manager: User, campaign_id: int, email: str) -> str:
    [delivery] = reviewers.invite(db, manager, campaign_id, email, settings=no_smtp).deliveries
    return token_of(delivery)


def counts(db: Database) -> dict[str, int]:
    tables = ("reviewers", "reviewer_tokens", "feedback", "feedback_replies", "notifications",
              "reviewer_events")
    return {t: db.value(f"SELECT count(*) FROM {t}") for t in tables}


PUBLIC_URL = "https://desk.agency.test"


@pytest.fixture(autouse=True)
def public_url(monkeypatch: pytest.MonkeyPatch) -> str:
    """The configured public address, COLLABDESK_BASE_URL (tests of the address unset it)."""
    monkeypatch.setenv("COLLABDESK_BASE_URL", PUBLIC_URL)
    return PUBLIC_URL


@pytest.fixture
def manager(people: dict[Role, User]) -> User:
    return people[Role.MANAGER]


@pytest.fixture
def spring(world: World) -> int:
    return world.campaigns["Spring"]


# --- invitations and mail ----------------------------------------------------------------


def test_an_invitation_arrives_by_smtp_with_a_working_link(
    db: Database, world: World, manager: User, spring: int, smtp_server, monkeypatch
) -> None:
    monkeypatch.setenv("COLLABDESK_BASE_URL", "https://desk.agency.test/")
    result = reviewers.invite(db, manager, spring, "Anna@Client.test;\nben@client.test")

    assert [(d.email, d.sent, d.error) for d in result.deliveries] == [
        ("anna@client.test", True, None), ("ben@client.test", True, None)]
    [message] = smtp_server.to("anna@client.test")
    assert message["Subject"] == "Your review link for Spring (Acme)"
    body = message.get_content()
    [link] = re.findall(r"https://desk\.agency\.test/review\?token=[\w-]+", body)
    token = link.split("token=")[1]
    assert len(token) == 43  # 32 random bytes
    opened = reviewers.open_link(db, token)
    assert opened is not None and (opened.email, opened.campaign) == ("anna@client.test", "Spring")
    # Only the hash is stored, nowhere the token itself.
    assert db.value("SELECT count(*) FROM reviewer_tokens WHERE token_hash = ?",
                    [reviewers.token_hash(token)]) == 1
    for table in ("reviewers", "reviewer_tokens", "reviewer_events"):
        dump = str(db.rows(f"SELECT * FROM {table}"))
        assert token not in dump
    assert dict(db.rows("SELECT kind, count(*) FROM reviewer_events GROUP BY ALL")) == {
        "invited": 2, "mail_sent": 2}
    assert db.value("SELECT count(*) FROM reviewers WHERE link_sent_at IS NOT NULL") == 2


def test_a_refused_address_gets_the_link_to_copy_and_the_others_their_mail(
    db: Database, world: World, manager: User, spring: int, smtp_server
) -> None:
    smtp_server.refuse.add("ghost@client.test")
    result = reviewers.invite(db, manager, spring, "ghost@client.test, anna@client.test")
    by_email = {d.email: d for d in result.deliveries}
    assert by_email["anna@client.test"].sent
    assert not by_email["ghost@client.test"].sent
    assert "550" in (by_email["ghost@client.test"].error or "")
    assert reviewers.open_link(db, token_of(by_email["ghost@client.test"])) is not None
    assert len(smtp_server.messages) == 1
    assert db.value("SELECT text FROM reviewer_events WHERE kind = 'mail_failed'").count("550")


def test_without_smtp_the_links_are_returned_to_show(
    db: Database, world: World, manager: User, spring: int, monkeypatch
) -> None:
    monkeypatch.delenv("COLLABDESK_SMTP_HOST", raising=False)
    [delivery] = reviewers.invite(db, manager, spring, "anna@client.test").deliveries
    assert (delivery.sent, delivery.error) == (False, None)
    assert delivery.link.startswith(f"{PUBLIC_URL}/review?token=")
    assert token_of(delivery) not in repr(delivery)  # a log line never carries it


# --- where the links point (issue 15.3) ----------------------------------------------------


def test_links_point_at_the_address_they_are_given(
    db: Database, world: World, manager: User, spring: int
) -> None:
    running_on = "http://127.0.0.1:47113"  # the page passes the address the app runs on
    [invited] = reviewers.invite(db, manager, spring, "anna@client.test", settings=no_smtp,
                                 base_url=running_on + "/").deliveries
    reviewer_id = invited.reviewer_id
    resent = reviewers.resend_link(db, manager, reviewer_id, settings=no_smtp,
                                   base_url=running_on)
    regenerated = reviewers.regenerate_link(db, manager, reviewer_id, settings=no_smtp,
                                            base_url=f"{running_on}/desk")
    assert invited.link == f"{running_on}/review?token={token_of(invited)}"
    assert resent.link == f"{running_on}/review?token={token_of(resent)}"
    assert regenerated.link == f"{running_on}/desk/review?token={token_of(regenerated)}"
    assert reviewers.open_link(db, token_of(regenerated)) is not None


def test_without_an_address_the_configured_public_url_is_used(
    db: Database, world: World, manager: User, spring: int, monkeypatch
) -> None:
    monkeypatch.setenv("COLLABDESK_BASE_URL", " https://collab.example.com:8443/desk/ ")
    [delivery] = reviewers.invite(db, manager, spring, "anna@client.test",
                                  settings=no_smtp).deliveries
    assert delivery.link.startswith("https://collab.example.com:8443/desk/review?token=")


def test_no_address_at_all_is_refused_and_nothing_is_written(
    db: Database, world: World, manager: User, spring: int, monkeypatch
) -> None:
    monkeypatch.delenv("COLLABDESK_BASE_URL")
    before = counts(db)
    with pytest.raises(rules.RuleViolation, match="set COLLABDESK_BASE_URL"):
        reviewers.invite(db, manager, spring, "anna@client.test", settings=no_smtp)
    assert counts(db) == before
    monkeypatch.setenv("COLLABDESK_BASE_URL", PUBLIC_URL)
    invite_one(db, manager, spring, "anna@client.test")
    reviewer_id = db.value("SELECT id FROM reviewers")
    monkeypatch.delenv("COLLABDESK_BASE_URL")
    before = counts(db)
    for action in (reviewers.resend_link, reviewers.regenerate_link):
        with pytest.raises(rules.RuleViolation, match="set COLLABDESK_BASE_URL"):
            action(db, manager, reviewer_id, settings=no_smtp)
    assert counts(db) == before


BAD_ADDRESSES = [
    "localhost:8501",  # no scheme
    "ftp://desk.agency.test",
    "javascript:alert(1)",
    "https://",
    "https://user:secret@desk.agency.test",
    "https://desk.agency.test/?next=evil",
    "https://desk.agency.test/#x",
    "https://desk.agency.test\r\nBcc: all@evil.test",
    "https://desk.agency.test/a b",
    "https://desk.agency.test/%2e%2e",
    "https://desk.agency.test:99999",
    "https://ev\u0456l.test",  # a look-alike letter
    "https://" + "a" * 2000 + ".test",
]


@pytest.mark.parametrize("bad", BAD_ADDRESSES)
def test_a_malformed_address_is_refused_and_nothing_is_written(
    db: Database, world: World, manager: User, spring: int, monkeypatch, bad: str
) -> None:
    before = counts(db)
    with pytest.raises(rules.RuleViolation, match="not a usable address"):
        reviewers.invite(db, manager, spring, "anna@client.test", settings=no_smtp,
                         base_url=bad)
    monkeypatch.setenv("COLLABDESK_BASE_URL", bad)
    with pytest.raises(rules.RuleViolation, match="COLLABDESK_BASE_URL is not a usable"):
        reviewers.invite(db, manager, spring, "anna@client.test", settings=no_smtp)
    assert counts(db) == before


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"COLLABDESK_MAIL_FROM": ""}, "COLLABDESK_MAIL_FROM"),
        ({"COLLABDESK_MAIL_FROM": "a@b.test", "COLLABDESK_SMTP_TIMEOUT": "soon"},
         "COLLABDESK_SMTP_TIMEOUT must be a number"),  # was a raw ValueError in lib.mail
    ],
)
def test_a_misconfigured_mail_server_is_reported_not_raised(
    db: Database, world: World, manager: User, spring: int, monkeypatch,
    env: dict[str, str], message: str,
) -> None:
    monkeypatch.setenv("COLLABDESK_SMTP_HOST", "mail.test")
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    [delivery] = reviewers.invite(db, manager, spring, "anna@client.test").deliveries
    assert not delivery.sent and message in (delivery.error or "")
    assert reviewers.open_link(db, token_of(delivery)) is not None  # the link is shown instead


@pytest.mark.parametrize(
    ("emails", "message"),
    [
        ("", "at least one"),
        ("   ,; ", "at least one"),
        ("anna@client", "Not an e-mail address"),
        ("anna@client.test, <b>@x.test", "Not an e-mail address"),
        ("a@b.test, Evil <x@y.test>", "Not an e-mail address"),
        ("x@y.test\r\nBcc: all@y.test", "Not an e-mail address"),
        (" ".join(f"r{i}@client.test" for i in range(51)), "at most 50"),
        ("a" * 300 + "@client.test", "Not an e-mail address"),
    ],
)
def test_bad_addresses_are_refused_and_nothing_is_written(
    db: Database, world: World, manager: User, spring: int, emails: str, message: str
) -> None:
    before = counts(db)
    with pytest.raises(rules.RuleViolation, match=message):
        reviewers.invite(db, manager, spring, emails, settings=no_smtp)
    assert counts(db) == before


def test_only_managers_invite_and_an_unknown_campaign_is_refused(
    db: Database, world: World, people: dict[Role, User], spring: int
) -> None:
    for role in (Role.STAFF, Role.VIEWER):
        with pytest.raises(PermissionError, match="needs manager"):
            reviewers.invite(db, people[role], spring, "a@client.test", settings=no_smtp)
    with pytest.raises(NotFound):
        reviewers.invite(db, people[Role.MANAGER], 999_999, "a@client.test", settings=no_smtp)
    with pytest.raises(NotFound):
        reviewers.invite(db, people[Role.MANAGER], 2**70, "a@client.test", settings=no_smtp)
    assert counts(db)["reviewers"] == 0


def test_an_address_already_reviewing_is_refused_the_rest_invited(
    db: Database, world: World, manager: User, spring: int
) -> None:
    invite_one(db, manager, spring, "anna@client.test")
    result = reviewers.invite(db, manager, spring, "ANNA@client.test, ben@client.test",
                              settings=no_smtp)
    assert [d.email for d in result.deliveries] == ["ben@client.test"]
    assert list(result.refused) == ["anna@client.test"]
    with pytest.raises(rules.RuleViolation, match="already reviews"):
        reviewers.invite(db, manager, spring, "anna@client.test", settings=no_smtp)
    # The same address may review another campaign.
    invite_one(db, manager, world.campaigns["Launch"], "anna@client.test")


# --- the token ---------------------------------------------------------------------------


def test_guessed_malformed_and_hostile_tokens_open_nothing(
    db: Database, world: World, manager: User, spring: int
) -> None:
    real = invite_one(db, manager, spring, "anna@client.test")
    guesses = [
        None, "", "x", real[:-1], real + "A", real.upper() if real.upper() != real else real[1:],
        "A" * 43, reviewers.token_hash(real), "' OR 1=1 --" + "a" * 32, real[::-1],
        *(reviewers.new_token() for _ in range(50)), 12345, ["list"],
    ]
    for guess in guesses:
        assert reviewers.open_link(db, guess) is None
    assert reviewers.open_link(db, real) is not None


def test_a_token_opens_only_its_own_campaign(
    db: Database, world: World, manager: User, spring: int
) -> None:
    spring_token = invite_one(db, manager, spring, "anna@client.test")
    launch_token = invite_one(db, manager, world.campaigns["Launch"], "anna@client.test")
    spring_link = reviewers.open_link(db, spring_token)
    assert spring_link is not None and spring_link.campaign_id == spring
    shown = set(reviewers.campaign_creators(db, spring_link).rows["name"])
    assert shown == {"Ada Lovelace", "Grace Hopper", "Linus Field", "Mary Shelley"}
    launch_link = reviewers.open_link(db, launch_token)
    assert launch_link is not None
    assert set(reviewers.campaign_creators(db, launch_link).rows["name"]) == {
        "Grace Hopper", "Linus Field"}
    # Feedback through Spring's token on a creator of Launch only: refused, nothing written.
    ada = world.creators["Ada"]
    with pytest.raises(NotFound, match="no such creator"):
        reviewers.submit_feedback(db, launch_token, "creator", ada, "Who is this?")
    assert counts(db)["feedback"] == 0
    # A content item of another campaign, likewise.
    item = feedback.submit_content(db, manager, world.collabs["grace_launch"],
                                   "https://x.test/p/1", "reel")
    with pytest.raises(NotFound, match="no such content item"):
        reviewers.submit_feedback(db, spring_token, "content", item, "Nice")
    with pytest.raises(reviewers.InvalidLink):
        reviewers.creator_report(db, "A" * 43, ada)
    with pytest.raises(NotFound):
        reviewers.creator_report(db, launch_token, ada)


def test_regenerating_revokes_earlier_links_and_resending_keeps_them(
    db: Database, world: World, manager: User, spring: int
) -> None:
    first = invite_one(db, manager, spring, "anna@client.test")
    reviewer_id = reviewers.open_link(db, first).reviewer_id  # type: ignore[union-attr]
    second = token_of(reviewers.resend_link(db, manager, reviewer_id, settings=no_smtp))
    assert reviewers.open_link(db, first) is not None
    assert reviewers.open_link(db, second) is not None
    third = token_of(reviewers.regenerate_link(db, manager, reviewer_id, settings=no_smtp))
    assert reviewers.open_link(db, first) is None
    assert reviewers.open_link(db, second) is None
    assert reviewers.open_link(db, third) is not None
    with pytest.raises(reviewers.InvalidLink):
        reviewers.submit_feedback(db, first, "creator", world.creators["Ada"], "Late")
    assert counts(db)["feedback"] == 0
    assert [k for (k,) in db.rows("SELECT kind FROM reviewer_events ORDER BY id")] == [
        "invited", "mail_failed", "link_resent", "mail_failed", "link_regenerated",
        "mail_failed"]


def test_a_visit_is_recorded_only_when_asked(
    db: Database, world: World, manager: User, spring: int
) -> None:
    token = invite_one(db, manager, spring, "anna@client.test")
    reviewers.open_link(db, token)
    assert db.value("SELECT last_visit_at FROM reviewers") is None
    reviewers.open_link(db, token, record_visit=True)
    assert isinstance(db.value("SELECT last_visit_at FROM reviewers"), dt.datetime)


# --- feedback and visibility -------------------------------------------------------------


def test_a_reviewer_sees_only_their_own_feedback_and_only_replies(
    db: Database, world: World, people: dict[Role, User], manager: User, spring: int
) -> None:
    anna = invite_one(db, manager, spring, "anna@client.test")
    ben = invite_one(db, manager, spring, "ben@client.test")
    ada = world.creators["Ada"]
    mine = reviewers.submit_feedback(db, anna, "creator", ada, "Love her tone", "approve")
    theirs = reviewers.submit_feedback(db, ben, "creator", ada, "Not on brand", "decline")
    staff = people[Role.STAFF]
    feedback.answer(db, staff, mine, "Thanks, noted!", ReplyKind.REPLY)
    feedback.answer(db, staff, mine, "Client seems keen: push her", ReplyKind.INTERNAL_NOTE)
    feedback.answer(db, staff, theirs, "Why not?", ReplyKind.REPLY)

    anna_link = reviewers.open_link(db, anna)
    assert anna_link is not None
    [piece] = reviewers.own_threads(db, anna_link, SubjectKind.CREATOR, [ada])[ada]
    assert (piece.id, piece.body, piece.verdict) == (mine, "Love her tone", "approve")
    assert [(r.kind, r.author, r.body) for r in piece.replies] == [
        (ReplyKind.REPLY, "Staff", "Thanks, noted!")]
    # Staff see everything: both reviewers, replies and notes.
    both = feedback.threads(db, spring, "creator", [ada])[ada]
    assert {p.reviewer_email for p in both} == {"anna@client.test", "ben@client.test"}
    assert sum(len(p.replies) for p in both) == 3


def test_feedback_input_is_checked_and_nothing_is_written_when_refused(
    db: Database, world: World, manager: User, spring: int
) -> None:
    token = invite_one(db, manager, spring, "anna@client.test")
    ada = world.creators["Ada"]
    cases = [
        (("creator", ada, "", None), rules.RuleViolation, "Write your feedback"),
        (("creator", ada, "   ", None), rules.RuleViolation, "Write your feedback"),
        (("creator", ada, "x" * 2001, None), rules.RuleViolation, "too long"),
        (("creator", ada, "ok", "maybe"), rules.RuleViolation, "Unknown verdict"),
        (("collab", ada, "ok", None), rules.RuleViolation, "creator or on a content item"),
        (("creator", 999_999, "ok", None), NotFound, "no such creator"),
        (("creator", "abc", "ok", None), NotFound, "no creator"),
        (("creator", 2**80, "ok", None), NotFound, "no creator"),
        (("content", 999_999, "ok", None), NotFound, "no such content item"),
    ]
    for args, error, message in cases:
        with pytest.raises(error, match=message):
            reviewers.submit_feedback(db, token, *args)
    assert counts(db)["feedback"] == 0
    assert counts(db)["notifications"] == 0
    # A verdict alone is feedback too.
    reviewers.submit_feedback(db, token, "creator", ada, "", Verdict.APPROVE)
    assert db.rows("SELECT body, verdict FROM feedback") == [("", "approve")]


def test_each_piece_of_feedback_notifies_the_campaigns_current_owner(
    db: Database, world: World, people: dict[Role, User], manager: User, spring: int
) -> None:
    token = invite_one(db, manager, spring, "anna@client.test")
    reviewers.submit_feedback(db, token, "creator", world.creators["Ada"], "Yes", "approve")
    assert db.rows("SELECT user_id, text FROM notifications") == [
        (manager.id, "anna@client.test approved Ada Lovelace (Spring)")]
    # The owner moved to the admin (campaign_ownership): the next one goes there.
    db.value("UPDATE campaign_ownership SET owner_id = ? WHERE campaign_id = ? RETURNING 1",
             [people[Role.ADMIN].id, spring])
    reviewers.submit_feedback(db, token, "creator", world.creators["Grace"], "Hmm")
    assert db.one("SELECT user_id, text FROM notifications ORDER BY id DESC LIMIT 1") == (
        people[Role.ADMIN].id, "anna@client.test left feedback on Grace Hopper (Spring)")


# --- removal -----------------------------------------------------------------------------


def test_removing_a_reviewer_deletes_exactly_their_feedback_and_revokes_the_link(
    db: Database, world: World, people: dict[Role, User], manager: User, spring: int
) -> None:
    anna = invite_one(db, manager, spring, "anna@client.test")
    ben = invite_one(db, manager, spring, "ben@client.test")
    staff = people[Role.STAFF]
    item = feedback.submit_content(db, staff, world.collabs["ada_spring"], "https://x.test/1",
                                   "reel")
    anna_pieces = [
        reviewers.submit_feedback(db, anna, "creator", world.creators["Ada"], "A1", "approve"),
        reviewers.submit_feedback(db, anna, "content", item, "A2", "decline"),
    ]
    ben_piece = reviewers.submit_feedback(db, ben, "creator", world.creators["Ada"], "B1")
    for piece in (*anna_pieces, ben_piece):
        feedback.answer(db, staff, piece, "reply", ReplyKind.REPLY)
        feedback.answer(db, staff, piece, "note", ReplyKind.INTERNAL_NOTE)
    anna_id = reviewers.open_link(db, anna).reviewer_id  # type: ignore[union-attr]

    assert reviewers.feedback_count(db, anna_id) == 2
    with pytest.raises(rules.RuleViolation, match="now has 2 pieces"):
        reviewers.remove_reviewer(db, manager, anna_id, confirmed_pieces=1)
    with pytest.raises(PermissionError):
        reviewers.remove_reviewer(db, staff, anna_id, 2)
    assert counts(db)["feedback"] == 3

    assert reviewers.remove_reviewer(db, manager, anna_id, 2) == 2
    assert db.rows("SELECT id FROM feedback") == [(ben_piece,)]
    assert db.value("SELECT count(*) FROM feedback_replies") == 2
    assert db.value("SELECT count(*) FROM feedback_replies WHERE feedback_id <> ?",
                    [ben_piece]) == 0
    assert db.value("SELECT count(*) FROM notifications") == 1
    assert reviewers.open_link(db, anna) is None
    assert db.value("SELECT count(*) FROM reviewer_tokens WHERE reviewer_id = ?", [anna_id]) == 0
    assert db.one("SELECT removed_by, text FROM reviewers r JOIN reviewer_events e"
                  " ON e.reviewer_id = r.id AND e.kind = 'removed' WHERE r.id = ?",
                  [anna_id]) == ("manager", "anna@client.test: 2 pieces of feedback deleted")
    assert list(reviewers.list_reviewers(db, spring)["email"]) == ["ben@client.test"]
    # Reuse after removal: the old link stays dead, and writes through it write nothing.
    with pytest.raises(reviewers.InvalidLink):
        reviewers.submit_feedback(db, anna, "creator", world.creators["Ada"], "I'm back")
    with pytest.raises(NotFound):
        feedback.answer(db, staff, anna_pieces[0], "late reply", ReplyKind.REPLY)
    with pytest.raises(NotFound):
        reviewers.remove_reviewer(db, manager, anna_id, 0)
    # Invited again, the address gets a new reviewer and a new link; the old one stays dead.
    again = invite_one(db, manager, spring, "anna@client.test")
    assert reviewers.open_link(db, again) is not None
    assert reviewers.open_link(db, anna) is None
    assert reviewers.own_threads(db, reviewers.open_link(db, again), "creator",  # type: ignore
                                 [world.creators["Ada"]]) == {}


def test_a_removal_racing_new_feedback_leaves_no_feedback_of_a_removed_reviewer(
    db: Database, world: World, manager: User, spring: int
) -> None:
    """Feedback written while the reviewer is removed: either the removal sees it (and its
    count no longer matches the confirmation, so nothing is removed) or the feedback is
    refused. Never a removed reviewer with feedback left."""
    token = invite_one(db, manager, spring, "anna@client.test")
    reviewer_id = reviewers.open_link(db, token).reviewer_id  # type: ignore[union-attr]
    ready = threading.Barrier(2)
    outcomes: dict[str, object] = {}

    def write_feedback() -> None:
        ready.wait()
        try:
            for i in range(20):
                reviewers.submit_feedback(db, token, "creator", world.creators["Ada"], f"#{i}")
            outcomes["feedback"] = "all written"
        except reviewers.InvalidLink as refused:
            outcomes["feedback"] = refused

    def remove() -> None:
        ready.wait()
        for _ in range(50):
            try:
                outcomes["removed"] = reviewers.remove_reviewer(
                    db, manager, reviewer_id, reviewers.feedback_count(db, reviewer_id))
                return
            except rules.RuleViolation:
                continue  # more came in since the count: confirm again

    threads = [threading.Thread(target=write_feedback), threading.Thread(target=remove)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    removed = db.value("SELECT removed_at IS NOT NULL FROM reviewers WHERE id = ?",
                       [reviewer_id])
    left = db.value("SELECT count(*) FROM feedback WHERE reviewer_id = ?", [reviewer_id])
    if removed:
        assert left == 0
    else:
        assert left == 20


def test_only_managers_manage_reviewers(
    db: Database, world: World, people: dict[Role, User], manager: User, spring: int
) -> None:
    token = invite_one(db, manager, spring, "anna@client.test")
    reviewer_id = reviewers.open_link(db, token).reviewer_id  # type: ignore[union-attr]
    before = counts(db)
    for role in (Role.STAFF, Role.VIEWER):
        for action in (reviewers.resend_link, reviewers.regenerate_link):
            with pytest.raises(PermissionError):
                action(db, people[role], reviewer_id, settings=no_smtp)
    with pytest.raises(NotFound):
        reviewers.resend_link(db, manager, 424242, settings=no_smtp)
    assert counts(db) == before


def pdf_title(report: bytes) -> str:
    """The document title fpdf2 wrote: a literal string, or UTF-16 hex beyond ASCII."""
    found = re.search(rb"/Title (?:\((.*?)\)|<feff([0-9a-f]+)>)", report)
    assert found is not None, "no /Title in the PDF"
    if found.group(1) is not None:
        return found.group(1).decode("latin-1")
    return bytes.fromhex(found.group(2).decode()).decode("utf-16-be")


def pdf_text(report: bytes) -> str:
    """The PDF's text, as a PDF reader extracts it (pypdf)."""
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(report)).pages)


def test_the_profile_report_is_a_pdf_of_that_creator(
    db: Database, world: World, manager: User, spring: int, tmp_path
) -> None:
    token = invite_one(db, manager, spring, "anna@client.test")
    feedback.submit_content(db, manager, world.collabs["grace_spring"], "https://x.test/reel/9",
                            "reel")
    report = reviewers.creator_report(db, token, world.creators["Grace"])
    assert report.startswith(b"%PDF-") and report.rstrip().endswith(b"%%EOF")
    assert pdf_title(report) == "Creator profile: Grace Hopper"
    text = pdf_text(report)
    for expected in ("Grace Hopper", "@grace on instagram", "12,000", "3.50 %",
                     "Spring (Acme)", "reel v1 (pending): https://x.test/reel/9"):
        assert expected in text
    assert "grace@example.com" not in text  # no contact details for reviewers


def test_a_profile_with_a_name_beyond_latin_1(tmp_path) -> None:
    profile = pdf.CreatorProfile("Zoë Ørsted", "zoe", "tiktok", 1_234_567, 4.2, "Été", "Ågency")
    report = pdf.creator_profile(profile, dt.datetime(2026, 3, 2, 9, 0))
    assert pdf_title(report) == "Creator profile: Zoë Ørsted"
    text = pdf_text(report)
    assert "Zoë Ørsted" in text and "1,234,567" in text and "2026-03-02 09:00" in text


def test_mail_settings_source_is_called_after_the_commit(
    db: Database, world: World, manager: User, spring: int
) -> None:
    """The mail goes out after the links are committed: a reviewer who clicks at once finds
    a live link, and a slow mail server holds no transaction open."""
    seen: list[int] = []

    def settings() -> mail.MailSettings | None:
        seen.append(db.value("SELECT count(*) FROM reviewer_tokens"))
        return None

    reviewers.invite(db, manager, spring, "a@client.test, b@client.test", settings=settings)
    assert seen == [2]
