"""The inbox services against a temporary database and a real SMTP server on 127.0.0.1:
ordering and per-user unread state, merge fields, the acceptance rule, sending (sent, refused,
failed, retried, never configured), replies recorded by hand, assets, the thread, and roles.
Every refusal is checked to have written nothing."""

from __future__ import annotations

import datetime as dt
import shutil
from decimal import Decimal
from pathlib import Path

import pytest

from lib import campaigns as camps
from lib import db as db_module
from lib import demo, inbox, users
from lib.db import Database, NotFound
from lib.inbox import Draft, InboxFilter, Incoming
from lib.inbox import listing as inbox_listing
from lib.models import CampaignFields, CampaignStanding, Role, Terms, User
from lib.rules import RuleViolation
from tests.conftest import T0, World

NOW = T0 + dt.timedelta(days=20)
MINUTE, DAY = dt.timedelta(minutes=1), dt.timedelta(days=1)
TABLES = ("messages", "assets", "thread_reads", "activity_events")


def counts(db: Database) -> dict[str, int]:
    return {t: db.value(f"SELECT count(*) FROM {t}") for t in TABLES}


def reply(db: Database, creator_id: int, at: dt.datetime, text: str = "Hi!") -> int:
    """An incoming message recorded by hand (pasted), dated `at`, by the admin: new to the
    others (what a user records is no news to that user)."""
    recorder = users.get_user(db, "admin")
    assert recorder is not None
    return inbox.record_incoming(
        db, recorder, creator_id, Incoming("Re: hello", text, "chat", received_at=at), now=at
    )


def order(db: Database, user: User, filt: InboxFilter | None = None) -> list[str]:
    page = inbox.list_creators(db, user, filt, page_size=100, now=NOW)
    return [name.split()[0] for name in page.rows["name"]]


def unread(db: Database, user: User) -> dict[str, int]:
    page = inbox.list_creators(db, user, page_size=100, now=NOW)
    return {n.split()[0]: int(u) for n, u in zip(page.rows["name"], page.rows["unread"],
                                                 strict=True) if u}


@pytest.fixture
def staff(people: dict[Role, User]) -> User:
    return people[Role.STAFF]


@pytest.fixture
def no_smtp(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("COLLABDESK_SMTP_HOST", "COLLABDESK_MAIL_FROM"):
        monkeypatch.delenv(name, raising=False)


# --- migration ------------------------------------------------------------------------------


def test_migration_007_applies_to_a_database_with_demo_data(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A database built (with demo data and its workflow messages) before 007 gets the new
    columns and tables without losing a row; the old messages read as before."""
    older = tmp_path / "migrations"
    older.mkdir()
    for file in sorted(db_module.MIGRATIONS_DIR.glob("00[1-4]_*.sql")):
        shutil.copy(file, older / file.name)
    monkeypatch.setattr(db_module, "MIGRATIONS_DIR", older)
    path = tmp_path / "old.duckdb"
    old = Database(path)
    demo.build_demo(old, collaborations=2000, seed=7)
    assert old.schema_version() == 4
    before = old.rows("SELECT id, creator_id, kind, state, created_at FROM messages ORDER BY id")
    assert before, "the demo data has workflow messages"
    old.close()

    monkeypatch.setattr(db_module, "MIGRATIONS_DIR", db_module.Path(db_module.__file__).parent
                        / "migrations")
    new = Database(path)
    try:
        assert new.schema_version() >= 7
        assert new.rows(
            "SELECT id, creator_id, kind, state, created_at FROM messages ORDER BY id") == before
        assert new.value("SELECT count(*) FROM messages WHERE attempts = 0") == len(before)
        assert new.value("SELECT count(*) FROM assets") == 0
        assert new.value("SELECT count(*) FROM thread_reads") == 0
        admin = User(1, "x", "X", "", Role.ADMIN)
        new.value("INSERT INTO users (id, username, name, role, password_hash, created_at)"
                  " VALUES (1, 'x', 'X', 'admin', 'x', ?) ON CONFLICT DO NOTHING RETURNING 1",
                  [T0])
        page = inbox.list_creators(new, admin, page_size=25)
        assert page.total == new.value("SELECT count(*) FROM creators")
        with_messages = new.value("SELECT count(DISTINCT creator_id) FROM messages")
        assert page.rows["last_at"].notna().sum() == min(25, with_messages)
    finally:
        new.close()


# --- ordering and unread state ----------------------------------------------------------------


def test_unread_first_then_most_recent_interaction(db: Database, world: World, staff: User):
    c = world.creators
    reply(db, c["Ada"], T0 + 1 * DAY)
    reply(db, c["Grace"], T0 + 3 * DAY)
    reply(db, c["Linus"], T0 + 2 * DAY)
    # Nobody has read anything: all three unread, the newest first; Mary has no interaction.
    assert order(db, staff) == ["Grace", "Linus", "Ada", "Mary"]
    inbox.mark_read(db, staff, c["Grace"])
    assert order(db, staff) == ["Linus", "Ada", "Grace", "Mary"]
    inbox.mark_read(db, staff, c["Linus"])
    inbox.mark_read(db, staff, c["Ada"])
    assert order(db, staff) == ["Grace", "Linus", "Ada", "Mary"]  # by recency alone
    inbox.mark_unread(db, staff, c["Ada"])
    assert order(db, staff) == ["Ada", "Grace", "Linus", "Mary"]
    assert unread(db, staff) == {"Ada": 1}


def test_unread_state_is_per_user(db: Database, world: World, people: dict[Role, User]):
    staff, manager = people[Role.STAFF], people[Role.MANAGER]
    c = world.creators
    reply(db, c["Ada"], T0)
    reply(db, c["Ada"], T0 + MINUTE)
    reply(db, c["Grace"], T0 + 2 * MINUTE)
    assert unread(db, staff) == unread(db, manager) == {"Ada": 2, "Grace": 1}
    inbox.mark_read(db, staff, c["Ada"])
    assert unread(db, staff) == {"Grace": 1}
    assert unread(db, manager) == {"Ada": 2, "Grace": 1}
    inbox.mark_unread(db, manager, c["Mary"])
    assert unread(db, manager) == {"Ada": 2, "Grace": 1, "Mary": 1}
    assert unread(db, staff) == {"Grace": 1}
    assert inbox.unread_total(db, staff) == 1
    assert inbox.unread_total(db, manager) == 4
    assert db.value("SELECT count(*) FROM thread_reads WHERE user_id IN (?, ?)",
                    [staff.id, manager.id]) == 2


def test_what_you_record_yourself_is_not_unread_for_you(
    db: Database, world: World, people: dict[Role, User]
):
    staff, manager, ada = people[Role.STAFF], people[Role.MANAGER], world.creators["Ada"]
    inbox.record_incoming(db, staff, ada, Incoming("Re", "Pasted by staff"), now=T0)
    assert unread(db, staff) == {}
    assert unread(db, manager) == {"Ada": 1}
    reply(db, ada, T0 + MINUTE)  # someone else records another: news to staff
    inbox.record_incoming(db, staff, ada, Incoming("Re", "And one more"), now=T0 + 2 * MINUTE)
    # Not caught up (one unseen before): a read pointer cannot skip the older one, so both
    # count until the thread is opened.
    assert unread(db, staff) == {"Ada": 2}
    inbox.mark_read(db, staff, ada)
    assert unread(db, staff) == {}


def test_a_reply_after_reading_is_unread_again_and_outgoing_never_is(
    db: Database, world: World, staff: User, smtp_server
):
    ada = world.creators["Ada"]
    reply(db, ada, T0)
    inbox.mark_read(db, staff, ada)
    assert unread(db, staff) == {}
    inbox.send_message(db, staff, ada, Draft("Hello", "A message from us"), now=T0 + MINUTE)
    assert unread(db, staff) == {}  # our own e-mail is no news
    reply(db, ada, T0 + 2 * MINUTE)
    assert unread(db, staff) == {"Ada": 1}
    assert inbox.unread_total(db, staff) == 1


def test_marking_unread_keeps_real_unread_counts_and_opening_clears_both(
    db: Database, world: World, staff: User
):
    ada = world.creators["Ada"]
    for minute in range(3):
        reply(db, ada, T0 + minute * MINUTE)
    inbox.mark_unread(db, staff, ada)
    assert unread(db, staff) == {"Ada": 3}  # three unseen replies, not "1"
    inbox.mark_read(db, staff, ada)
    assert unread(db, staff) == {}
    assert inbox.unread_total(db, staff) == 0


def test_read_state_refusals_write_nothing(db: Database, world: World, staff: User):
    before = counts(db)
    with pytest.raises(NotFound):
        inbox.mark_read(db, staff, 999_999)
    with pytest.raises(NotFound):
        inbox.mark_unread(db, staff, "abc")  # type: ignore[arg-type]
    with pytest.raises(PermissionError):
        inbox.mark_read(db, None, world.creators["Ada"])  # type: ignore[arg-type]
    assert counts(db) == before


def test_viewers_keep_their_own_read_state(db: Database, world: World,
                                           people: dict[Role, User]):
    viewer = people[Role.VIEWER]
    reply(db, world.creators["Ada"], T0)
    assert inbox.unread_total(db, viewer) == 1
    inbox.mark_read(db, viewer, world.creators["Ada"])
    assert inbox.unread_total(db, viewer) == 0


# --- search, filters, paging ----------------------------------------------------------------------


def test_search_by_name_handle_or_email_and_filter_by_tag(db: Database, world: World,
                                                        staff: User):
    assert order(db, staff, InboxFilter(search="hopper")) == ["Grace"]
    assert order(db, staff, InboxFilter(search="@LINUS")) == ["Linus"]
    assert order(db, staff, InboxFilter(search="mary@example")) == ["Mary"]
    assert sorted(order(db, staff, InboxFilter(search="example.com"))) == ["Ada", "Grace", "Mary"]
    assert order(db, staff, InboxFilter(tag="Top Performer")) == ["Grace"]
    with pytest.raises(RuleViolation, match="too long"):
        inbox.list_creators(db, staff, InboxFilter(search="x" * 101))


def test_campaign_filter_shows_each_creators_standing(
    db: Database, world: World, autumn: dict[str, int], staff: User
):
    page = inbox.list_creators(db, staff, InboxFilter(campaign_id=autumn["campaign"]), now=NOW)
    standing = dict(zip(page.rows["name"].str.split().str[0], page.rows["standing"],
                        strict=True))
    assert standing == {"Ada": "Agreement accepted", "Grace": "Agreement pending",
                        "Mary": "Agreement expired", "Linus": "Applied"}
    allowed = dict(zip(page.rows["name"].str.split().str[0], page.rows["may_message"],
                       strict=True))
    assert allowed == {"Ada": True, "Grace": False, "Mary": False, "Linus": False}
    spring = inbox.list_creators(db, staff, InboxFilter(campaign_id=world.campaigns["Spring"]))
    assert set(spring.rows["standing"]) == {
        "Collaboration pending", "Collaboration negotiating", "Collaboration fulfilling",
        "Collaboration completed"}
    with pytest.raises(NotFound):
        inbox.list_creators(db, staff, InboxFilter(campaign_id=424242))


def test_paging_counts_in_sql_and_a_page_past_the_end_shows_the_last(
    db: Database, world: World, staff: User
):
    first = inbox.list_creators(db, staff, page=1, page_size=3)
    assert (first.total, first.pages, len(first.rows)) == (4, 2, 3)
    last = inbox.list_creators(db, staff, page=99, page_size=3)
    assert (last.page, len(last.rows)) == (2, 1)
    with pytest.raises(RuleViolation, match="A page has"):
        inbox.list_creators(db, staff, page_size=1000)


def test_everyone_matching_the_filter(db: Database, world: World,
                                      monkeypatch: pytest.MonkeyPatch):
    ids = inbox.matching_creator_ids(db, InboxFilter(search="example.com"))
    assert ids == sorted([world.creators["Ada"], world.creators["Grace"], world.creators["Mary"]])
    monkeypatch.setattr(inbox_listing, "MAX_MASS_RECIPIENTS", 2)
    with pytest.raises(RuleViolation, match="More than 2 creators match"):
        inbox.matching_creator_ids(db, InboxFilter(search="example.com"))


def test_values_merged_in_cannot_break_the_subject_or_the_address(
    db: Database, world: World, staff: User, smtp_server
):
    odd = {
        "Newline": db.value("INSERT INTO creators (name, handle, platform, email, created_at)"
                            " VALUES ('Nia Odd', e'nia\nBcc: x@evil.test', 'tiktok',"
                            " 'nia@example.com', ?) RETURNING id", [T0]),
        "Address": db.value("INSERT INTO creators (name, handle, platform, email, created_at)"
                            " VALUES ('Bad Address', 'bad', 'tiktok', e'bad@x.test\nBcc: y',"
                            " ?) RETURNING id", [T0]),
    }
    queued = inbox.queue_messages(db, staff, Draft("Hi @{handle}", "Hello"),
                                  [*odd.values(), world.creators["Ada"]])
    reasons = {s.name: s.reason for s in queued.plan.skipped}
    assert reasons["Nia Odd"] == "For this creator: The subject must be one line."
    assert reasons["Bad Address"].startswith("The address on file is unusable")
    assert [d.recipient for d in inbox.deliver(db, staff, queued.message_ids)] == [
        "ada@example.com"]


# --- merge fields ---------------------------------------------------------------------------------


def test_merge_fields_are_filled_in_per_creator(db: Database, world: World, staff: User):
    draft = Draft("Hi {first_name}", "Dear @{handle}, about {campaign}: {{braces}} stay.",
                  world.campaigns["Spring"])
    plan = inbox.plan_messages(db, staff, draft, [world.creators["Ada"], world.creators["Grace"]])
    assert [(r.subject, r.body) for r in plan.previews()] == [
        ("Hi Ada", "Dear @ada, about Spring: {braces} stay."),
        ("Hi Grace", "Dear @grace, about Spring: {braces} stay."),
    ]


def test_a_missing_merge_value_is_reported_never_sent_blank(
    db: Database, world: World, staff: User, smtp_server
):
    blank = db.value(
        "INSERT INTO creators (name, handle, platform, email, created_at)"
        " VALUES ('  ', 'nameless', 'tiktok', 'nameless@example.com', ?) RETURNING id", [T0])
    draft = Draft("Hi {first_name}", "Hello {first_name}!")
    plan = inbox.plan_messages(db, staff, draft, [blank, world.creators["Ada"]])
    assert [r.name for r in plan.ready] == ["Ada Lovelace"]
    [skipped] = plan.skipped
    assert skipped.creator_id == blank and "No value for {first_name}" in skipped.reason
    queued = inbox.queue_messages(db, staff, draft, [blank, world.creators["Ada"]])
    list(inbox.deliver(db, staff, queued.message_ids))
    assert [m["Subject"] for m in smtp_server.messages] == ["Hi Ada"]
    assert db.value("SELECT count(*) FROM messages WHERE creator_id = ?", [blank]) == 0
    before = counts(db)
    with pytest.raises(RuleViolation, match="Nobody can get this message"):
        inbox.queue_messages(db, staff, draft, [blank])
    assert counts(db) == before


@pytest.mark.parametrize(
    ("subject", "body", "message"),
    [
        ("Hi {name}", "x", "Unknown merge field '{name}'"),
        ("Hi", "Code {handle!r}", "Unknown merge field"),
        ("Hi", "Code {handle:>9}", "Unknown merge field"),
        ("Hi {first_name", "x", "lone { or }"),
        ("Hi", "a } b", "lone { or }"),
        ("About {campaign}", "x", "choose the campaign"),
        ("", "x", "The subject is required"),
        ("Hi", "   ", "The message is required"),
        ("Line\nbreak", "x", "one line"),
        ("x" * 301, "x", "The subject is too long"),
        ("Hi", "x" * 50_001, "The message is too long"),
    ],
)
def test_bad_drafts_are_refused_and_nothing_is_written(
    db: Database, world: World, staff: User, smtp_server, subject: str, body: str, message: str
):
    before = counts(db)
    with pytest.raises(RuleViolation, match=message):
        inbox.queue_messages(db, staff, Draft(subject, body), [world.creators["Ada"]])
    assert counts(db) == before
    assert smtp_server.messages == []


# --- the acceptance rule ----------------------------------------------------------------------


@pytest.fixture
def autumn(db: Database, world: World, people: dict[Role, User]) -> dict[str, int]:
    """A campaign in its workflow at NOW: Ada accepted, Grace's agreement pending, Mary's
    expired, Linus applied without an agreement. None of them collaborates in it."""
    manager = people[Role.MANAGER]
    start = NOW.date() + 7 * DAY
    fields = CampaignFields("Autumn", world.clients["Acme"], manager.id, "", start,
                            start + 30 * DAY, "1000", "EUR")
    cid = camps.create_campaign(db, manager, fields, "open", now=NOW - 10 * DAY)
    c = world.creators
    camps.add_applications(db, manager, cid, list(c.values()), now=NOW - 10 * DAY)
    apps = dict(db.rows("SELECT creator_id, id FROM applications WHERE campaign_id = ?", [cid]))
    chosen = [apps[c[n]] for n in ("Ada", "Grace", "Mary")]
    camps.change_stages(db, manager, cid, chosen, "selected", now=NOW - 9 * DAY)
    terms = Terms("1 post", Decimal("100"), "EUR", None, None, "")
    camps.send_agreements(db, manager, cid, [apps[c["Mary"]]], terms, now=NOW - 5 * DAY)
    camps.send_agreements(db, manager, cid, [apps[c["Ada"]], apps[c["Grace"]]], terms,
                          now=NOW - DAY)
    camps.record_responses(db, manager, cid, [apps[c["Ada"]]], "accepted", now=NOW - DAY / 2)
    return {"campaign": cid}


@pytest.mark.parametrize(
    ("standing", "message"),
    [
        (CampaignStanding("Autumn", True, None, None), None),
        (CampaignStanding("Autumn", False, "selected", "accepted"), None),
        (CampaignStanding("Autumn", True, "selected", "declined"), None),  # collaborates anyway
        (CampaignStanding("Autumn", False, "selected", "pending"), "has not signed"),
        (CampaignStanding("Autumn", False, "selected", "declined"), "declined the agreement"),
        (CampaignStanding("Autumn", False, "selected", "expired"), "expired unsigned"),
        (CampaignStanding("Autumn", False, "applied", None), "applied in Autumn but has no"),
        (CampaignStanding("Autumn", False, None, None), "is not part of Autumn"),
    ],
)
def test_the_acceptance_rule(standing: CampaignStanding, message: str | None) -> None:
    from lib import rules

    if message is None:
        rules.check_message_about_campaign("Ada", standing)
    else:
        with pytest.raises(RuleViolation, match=message):
            rules.check_message_about_campaign("Ada", standing)


def test_only_creators_who_accepted_get_messages_about_a_campaign(
    db: Database, world: World, autumn: dict[str, int], staff: User, smtp_server
):
    c, cid = world.creators, autumn["campaign"]
    assert inbox.campaign_permission(db, c["Ada"], cid, now=NOW) is None
    assert "has not signed the agreement for Autumn" in inbox.campaign_permission(
        db, c["Grace"], cid, now=NOW)
    draft = Draft("{campaign}: next steps", "Hi {first_name}", cid)
    before = counts(db)
    with pytest.raises(RuleViolation, match="Messages about a campaign go only to creators"):
        inbox.send_message(db, staff, c["Grace"], draft, now=NOW)
    assert counts(db) == before and smtp_server.messages == []

    queued = inbox.queue_messages(db, staff, draft, list(c.values()), now=NOW)
    assert {s.name.split()[0]: s.reason.split(".")[0] for s in queued.plan.skipped} == {
        "Grace": "Grace Hopper has not signed the agreement for Autumn yet (it is pending)",
        "Mary": "Mary Shelley's agreement for Autumn expired unsigned",
        "Linus": "No e-mail address on file",
    }
    assert [r.name for r in queued.plan.ready] == ["Ada Lovelace"]
    results = list(inbox.deliver(db, staff, queued.message_ids, now=NOW))
    assert [r.sent for r in results] == [True]
    assert smtp_server.messages[0]["Subject"] == "Autumn: next steps"
    # Without a campaign, anyone with an address may be written to.
    assert inbox.send_message(db, staff, c["Grace"], Draft("Hi", "General news"), now=NOW).sent


def test_a_collaboration_counts_as_accepted(db: Database, world: World, staff: User,
                                            smtp_server):
    # Ada's Summer collaboration is cancelled, but it was agreed: messages about it may go.
    draft = Draft("About {campaign}", "Hello", world.campaigns["Summer"])
    assert inbox.send_message(db, staff, world.creators["Ada"], draft).sent
    assert smtp_server.to("ada@example.com")[0]["Subject"] == "About Summer"


# --- sending through SMTP -------------------------------------------------------------------------


def test_a_message_goes_out_by_smtp_and_is_recorded_sent(
    db: Database, world: World, staff: User, smtp_server
):
    draft = Draft("Hello {first_name}", "Line one\nÜber {campaign}", world.campaigns["Spring"])
    delivery = inbox.send_message(db, staff, world.creators["Grace"], draft, now=NOW)
    assert delivery.sent and delivery.recipient == "grace@example.com"
    [received] = smtp_server.messages
    assert received["To"] == "grace@example.com"
    assert "team@agency.test" in received["From"]
    assert received["Subject"] == "Hello Grace"
    assert received.get_content().strip() == "Line one\nÜber Spring"
    row = db.one(
        "SELECT state, error, message_id_header, sender, recipient, sent_at, attempts, channel,"
        " direction, kind, campaign_id, created_by FROM messages WHERE id = ?",
        [delivery.message_id])
    assert row == ("sent", None, received["Message-ID"], "team@agency.test", "grace@example.com",
                   NOW, 1, "email", "out", "message", world.campaigns["Spring"], "staff")


def test_a_mass_message_with_a_refused_recipient_and_one_without_address(
    db: Database, world: World, staff: User, smtp_server
):
    smtp_server.refuse.add("grace@example.com")
    c = world.creators
    draft = Draft("News for {first_name}", "Hello @{handle}")
    queued = inbox.queue_messages(db, staff, draft, [c["Ada"], c["Grace"], c["Linus"], c["Mary"]],
                                  now=NOW)
    assert [(s.name, s.reason) for s in queued.plan.skipped] == [
        ("Linus Field", "No e-mail address on file.")]
    assert db.value("SELECT count(*) FROM messages WHERE state = 'queued'") == 3
    results = {r.recipient: r for r in inbox.deliver(db, staff, queued.message_ids, now=NOW)}
    assert results["ada@example.com"].sent and results["mary@example.com"].sent
    failed = results["grace@example.com"]
    assert "550 No such user here" in failed.error
    assert sorted(str(m["To"]) for m in smtp_server.messages) == [
        "ada@example.com", "mary@example.com"]
    assert db.one("SELECT state, error, sent_at FROM messages WHERE id = ?",
                  [failed.message_id]) == ("failed", failed.error, None)

    smtp_server.refuse.clear()  # the address works again: retry
    again = inbox.retry(db, staff, failed.message_id, now=NOW + MINUTE)
    assert again.sent
    assert db.one("SELECT state, error, attempts FROM messages WHERE id = ?",
                  [failed.message_id]) == ("sent", None, 2)
    assert len(smtp_server.to("grace@example.com")) == 1
    with pytest.raises(RuleViolation, match="sent already"):
        inbox.retry(db, staff, failed.message_id, now=NOW + 2 * MINUTE)


def test_without_smtp_settings_sending_is_refused_and_nothing_is_written(
    db: Database, world: World, staff: User, no_smtp
):
    before = counts(db)
    with pytest.raises(RuleViolation, match="Set COLLABDESK_SMTP_HOST"):
        inbox.send_message(db, staff, world.creators["Ada"], Draft("Hi", "Hello"))
    collab = world.collabs["ada_spring"]
    with pytest.raises(RuleViolation, match="E-mail is not set up"):
        inbox.send_asset(db, staff, collab, "coupon_code", "SPRING10")
    assert counts(db) == before
    assert "COLLABDESK_MAIL_FROM" in inbox.mail_problem()


def test_an_unreachable_server_fails_the_message_with_the_reason(
    db: Database, world: World, staff: User, monkeypatch: pytest.MonkeyPatch
):
    import socket

    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    for name, value in {"COLLABDESK_SMTP_HOST": "127.0.0.1", "COLLABDESK_SMTP_PORT": str(port),
                        "COLLABDESK_SMTP_TLS": "none", "COLLABDESK_SMTP_TIMEOUT": "5",
                        "COLLABDESK_MAIL_FROM": "team@agency.test"}.items():
        monkeypatch.setenv(name, value)
    delivery = inbox.send_message(db, staff, world.creators["Ada"], Draft("Hi", "Hello"))
    assert not delivery.sent and "Could not reach the mail server" in delivery.error
    assert db.value("SELECT state FROM messages WHERE id = ?", [delivery.message_id]) == "failed"


def test_a_crash_between_queue_and_send_leaves_it_queued_and_retryable_later(
    db: Database, world: World, staff: User, smtp_server
):
    queued = inbox.queue_messages(db, staff, Draft("Hi", "Hello"), [world.creators["Mary"]],
                                  now=NOW)
    # ... the process dies here, before deliver() ...
    [mid] = queued.message_ids
    assert db.value("SELECT state FROM messages WHERE id = ?", [mid]) == "queued"
    with pytest.raises(RuleViolation, match="being sent"):
        inbox.retry(db, staff, mid, now=NOW + MINUTE)
    assert smtp_server.messages == []
    assert inbox.retry(db, staff, mid, now=NOW + 6 * MINUTE).sent
    assert len(smtp_server.messages) == 1
    # A second deliver of the same id sends nothing more: it is no longer queued.
    assert list(inbox.deliver(db, staff, [mid])) == []
    assert len(smtp_server.messages) == 1


def test_retry_refusals(db: Database, world: World, staff: User, people, smtp_server):
    reply_id = reply(db, world.creators["Ada"], T0)
    with pytest.raises(RuleViolation, match="Only e-mails the agency sent"):
        inbox.retry(db, staff, reply_id)
    with pytest.raises(NotFound):
        inbox.retry(db, staff, 987_654)
    with pytest.raises(PermissionError):
        inbox.retry(db, people[Role.VIEWER], reply_id)


# --- replies recorded by hand ---------------------------------------------------------------------


def test_a_pasted_reply_is_recorded_in_the_thread(db: Database, world: World, staff: User):
    at = T0 + 3 * DAY
    mid = inbox.record_incoming(
        db, staff, world.creators["Grace"],
        Incoming("", "Sounds great, count me in!", "chat", world.campaigns["Launch"], at), now=NOW)
    assert db.one(
        "SELECT direction, kind, state, channel, body, campaign_id, received_at, created_at"
        " FROM messages WHERE id = ?", [mid]) == (
        "in", "message", "recorded", "chat", "Sounds great, count me in!",
        world.campaigns["Launch"], at, NOW)


@pytest.mark.parametrize(
    ("incoming", "error", "message"),
    [
        (Incoming("Re", "   "), RuleViolation, "The message is required"),
        (Incoming("Re", "x", "pigeon"), RuleViolation, "Unknown channel"),
        (Incoming("Re", "x", received_at=NOW + 3 * DAY), RuleViolation, "in the future"),
        (Incoming("Re", "x", campaign_id=777), NotFound, "no campaign #777"),
        (Incoming("Re", "x", sender="not-an-address"), RuleViolation, "not an e-mail address"),
        (Incoming("x" * 301, "x"), RuleViolation, "The subject is too long"),
    ],
)
def test_bad_replies_are_refused_and_nothing_is_written(
    db: Database, world: World, staff: User, incoming: Incoming, error: type, message: str
):
    before = counts(db)
    with pytest.raises(error, match=message):
        inbox.record_incoming(db, staff, world.creators["Ada"], incoming, now=NOW)
    assert counts(db) == before


def test_only_staff_and_up_write(db: Database, world: World, people: dict[Role, User],
                                 smtp_server):
    viewer, ada = people[Role.VIEWER], world.creators["Ada"]
    before = counts(db)
    for call in (
        lambda: inbox.record_incoming(db, viewer, ada, Incoming("Re", "x")),
        lambda: inbox.plan_messages(db, viewer, Draft("Hi", "x"), [ada]),
        lambda: inbox.queue_messages(db, viewer, Draft("Hi", "x"), [ada]),
        lambda: inbox.send_asset(db, viewer, world.collabs["ada_spring"], "coupon_code", "A1"),
    ):
        with pytest.raises(PermissionError, match="viewer"):
            call()
    assert counts(db) == before and smtp_server.messages == []
    assert inbox.list_creators(db, viewer).total == 4  # reading is fine


# --- assets ---------------------------------------------------------------------------------


def test_sending_a_coupon_code_stores_it_on_the_collaboration(
    db: Database, world: World, staff: User, smtp_server
):
    collab = world.collabs["grace_launch"]
    delivery = inbox.send_asset(db, staff, collab, "coupon_code", "LAUNCH-GRACE15",
                                note="Share it with your audience.", now=NOW)
    assert delivery.sent
    [received] = smtp_server.messages
    assert received["Subject"] == "Your coupon code for Launch"
    assert "Your coupon code: LAUNCH-GRACE15" in received.get_content()
    assert db.one("SELECT collab_id, kind, value, created_by FROM assets") == (
        collab, "coupon_code", "LAUNCH-GRACE15", "staff")
    assert db.one("SELECT m.kind, m.state, m.campaign_id, m.creator_id FROM assets a"
                  " JOIN messages m ON m.id = a.message_id") == (
        "asset", "sent", world.campaigns["Launch"], world.creators["Grace"])
    assert db.one("SELECT kind, text FROM activity_events WHERE collab_id = ? AND kind ="
                  " 'asset_sent'", [collab]) == ("asset_sent", "Coupon code sent: LAUNCH-GRACE15")
    assert inbox.assets_of(db, collab)["state"].tolist() == ["sent"]

    link = inbox.send_asset(db, staff, collab, "tracking_link", "https://trk.test/g?c=launch",
                            now=NOW)
    assert link.sent and db.value("SELECT count(*) FROM assets") == 2


@pytest.mark.parametrize(
    ("collab", "kind", "value", "message"),
    [
        ("grace_launch", "coupon_code", "TWO WORDS", "without spaces"),
        ("grace_launch", "coupon_code", "", "The coupon code is required"),
        ("grace_launch", "coupon_code", "X" * 65, "too long"),
        ("grace_launch", "tracking_link", "ftp://x.test", "must start with http"),
        ("grace_launch", "voucher", "X", "Unknown asset kind"),
        ("ada_summer", "coupon_code", "SUMMER", "cancelled"),
        ("linus_spring", "coupon_code", "SPRING", "no e-mail address"),
    ],
)
def test_bad_assets_are_refused_and_nothing_is_written(
    db: Database, world: World, staff: User, smtp_server, collab: str, kind: str, value: str,
    message: str
):
    before = counts(db)
    with pytest.raises(RuleViolation, match=message):
        inbox.send_asset(db, staff, world.collabs[collab], kind, value)
    assert counts(db) == before and smtp_server.messages == []


def test_the_same_asset_twice_is_refused(db: Database, world: World, staff: User, smtp_server):
    collab = world.collabs["grace_launch"]
    inbox.send_asset(db, staff, collab, "coupon_code", "ONCE")
    before = counts(db)
    with pytest.raises(RuleViolation, match="sent for this collaboration already"):
        inbox.send_asset(db, staff, collab, "coupon_code", "ONCE")
    with pytest.raises(NotFound):
        inbox.send_asset(db, staff, 424_242, "coupon_code", "ONCE")
    assert counts(db) == before


# --- the thread and what sits beside it ---------------------------------------------------


def test_the_thread_holds_every_kind_of_interaction_oldest_first(
    db: Database, world: World, autumn: dict[str, int], staff: User, smtp_server
):
    ada = world.creators["Ada"]
    db.value(
        "INSERT INTO shipments (collab_id, item, carrier, tracking_number, status,"
        " status_changed_at, created_at) VALUES (?, 'Serum set', 'DHL', 'JD0001', 'in_transit',"
        " ?, ?) RETURNING id", [world.collabs["ada_spring"], NOW + MINUTE, NOW + MINUTE])
    reply(db, ada, NOW + 2 * MINUTE, "Got it, thanks")
    inbox.send_asset(db, staff, world.collabs["ada_spring"], "coupon_code", "ADA10",
                     now=NOW + 3 * MINUTE)
    items, total = inbox.thread(db, ada)
    assert total == len(items) == 4
    assert [(i.kind, i.direction, i.campaign) for i in items] == [
        ("agreement_sent", "out", "Autumn"),  # the workflow's notice, a day before NOW
        ("gift", "out", "Spring"),
        ("message", "in", None),
        ("asset", "out", "Spring"),
    ]
    gift, answer, asset = items[1:]
    assert (gift.subject, gift.body, gift.state) == ("Serum set", "DHL · tracking JD0001",
                                                     "in_transit")
    assert (answer.body, answer.channel, answer.state) == ("Got it, thanks", "chat", "recorded")
    assert (asset.asset_kind, asset.asset_value, asset.state) == ("coupon_code", "ADA10", "sent")
    newest, total = inbox.thread(db, ada, limit=2)
    assert total == 4 and [i.kind for i in newest] == ["message", "asset"]


def test_beside_the_thread(db: Database, world: World, autumn: dict[str, int], staff: User):
    from lib import collaborations

    grace = world.creators["Grace"]
    collaborations.add_note(db, staff, world.collabs["grace_launch"], "Prefers reels")
    collaborations.record_payment(db, staff, world.collabs["grace_launch"], "250", "EUR",
                                  T0.date(), "INV-7")
    card = inbox.creator_card(db, grace)
    assert (card["email"], card["tags"]) == ("grace@example.com", ["Top Performer"])
    assert inbox.notes_of(db, grace)["text"].tolist() == ["Prefers reels"]
    assert inbox.payments_of(db, grace)[["amount", "reference"]].values.tolist() == [
        [250.0, "INV-7"]]
    assert inbox.agreements_of(db, grace, now=NOW)["state"].tolist() == ["pending"]
    assert sorted(inbox.collaborations_of(db, grace)["campaign"]) == ["Launch", "Spring",
                                                                        "Summer"]
    ada_assets = inbox.asset_collaborations(db, world.creators["Ada"])
    assert ada_assets["campaign"].tolist() == ["Spring"]  # not the cancelled Summer one
    campaigns = inbox.creator_campaigns(db, grace, now=NOW)
    assert dict(zip(campaigns["name"], campaigns["may_message"], strict=True)) == {
        "Autumn": False, "Spring": True, "Summer": True, "Launch": True}
    with pytest.raises(NotFound):
        inbox.creator_card(db, 31337)


def test_two_people_retrying_one_failed_message_send_it_once(
    db: Database, world: World, people: dict[Role, User], smtp_server
):
    """Both claim the message in a transaction; DuckDB lets one win, the other is retried on a
    fresh snapshot, sees it queued just now (or already sent) and is refused: one e-mail."""
    import threading

    smtp_server.refuse.add("mary@example.com")
    failed = inbox.send_message(db, people[Role.STAFF], world.creators["Mary"],
                                Draft("Hi", "Hello"), now=NOW)
    assert not failed.sent
    smtp_server.refuse.clear()
    barrier, outcomes = threading.Barrier(2), []

    def attempt(user: User) -> None:
        barrier.wait()
        try:
            outcomes.append(inbox.retry(db, user, failed.message_id, now=NOW + MINUTE).sent)
        except RuleViolation as why:
            outcomes.append(str(why))

    threads = [threading.Thread(target=attempt, args=(people[r],)) for r in
               (Role.STAFF, Role.MANAGER)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(outcomes) == 2 and outcomes.count(True) == 1
    # The loser either saw it queued by the winner, or (when the winner was quicker) sent.
    [refusal] = [o for o in outcomes if o is not True]
    assert "being sent" in refusal or "sent already" in refusal, outcomes
    assert len(smtp_server.to("mary@example.com")) == 1
    assert db.value("SELECT attempts FROM messages WHERE id = ?", [failed.message_id]) == 2
