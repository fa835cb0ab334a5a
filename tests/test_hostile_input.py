"""Hostile input to every service that takes text or numbers.

Each bad call must be refused with RuleViolation, NotFound or PermissionError whose message
names the problem, and must write nothing: every table is compared row by row before and
after. Text that is merely odd (SQL-looking, markdown, HTML) is stored and returned verbatim.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

import pytest

from lib import collaborations as collabs
from lib import creators, users
from lib.collaborations import CollabFilter
from lib.db import Database, NotFound
from lib.models import Role, Terms, User
from lib.rules import RuleViolation
from tests.conftest import PASSWORD, World

HUGE = "x" * 100_000
SQL = "'; DROP TABLE collaborations; --"
DAY = dt.date(2026, 3, 10)
TABLES = (
    "schema_version", "users", "clients", "campaigns", "creators", "creator_tags",
    "collaborations", "activity_events", "payments", "content_items", "shipments",
)  # fmt: skip


def everything(db: Database) -> dict[str, list[tuple]]:
    """Every row of every table, to prove a refused call wrote nothing."""
    return {t: db.rows(f"SELECT * FROM {t} ORDER BY ALL") for t in TABLES}


@dataclass
class Ctx:
    db: Database
    world: World
    people: dict[Role, User]

    @property
    def staff(self) -> User:
        return self.people[Role.STAFF]

    @property
    def admin(self) -> User:
        return self.people[Role.ADMIN]

    @property
    def cid(self) -> int:
        return self.world.collabs["linus_spring"]  # fulfilling, version 1

    @property
    def creator(self) -> int:
        return self.world.creators["Grace"]


def add_creator(**fields: str) -> Callable[[Ctx], object]:
    """Adding a creator like Grace (tests/conftest.py) with some fields changed."""
    grace = {"name": "Grace Copy", "handle": "new.one", "platform": "instagram"}
    return lambda c: creators.add_creator(c.db, c.staff, {**grace, **fields})


@pytest.fixture
def ctx(db: Database, world: World, people: dict[Role, User]) -> Ctx:
    return Ctx(db, world, people)


def terms(**changes) -> Terms:
    base = dict(
        deliverables="2 reels",
        compensation="800",
        currency="EUR",
        start_date=dt.date(2026, 4, 1),
        due_date=dt.date(2026, 4, 30),
        conditions="",
    )
    return Terms(**{**base, **changes})


def pay(amount: object, currency: str = "EUR", paid_on: dt.date = DAY, reference: str = ""):
    return lambda c: collabs.record_payment(
        c.db, c.staff, c.cid, amount, currency, paid_on, reference
    )


def note(text: str, collab_id: int | None = None):
    return lambda c: collabs.add_note(
        c.db, c.staff, c.cid if collab_id is None else collab_id, text
    )


def link(url: str, kind: str = "post", on: dt.date = DAY, collab_id: int | None = None):
    return lambda c: collabs.record_content(
        c.db, c.staff, c.cid if collab_id is None else collab_id, url, kind, on
    )


def edit_terms(version: int = 1, collab_id: int | None = None, **changes):
    return lambda c: collabs.update_terms(
        c.db, c.staff, c.cid if collab_id is None else collab_id, version, terms(**changes)
    )


def move(target: str, reason: str | None = None, collab_id: int | None = None, version: int = 1):
    return lambda c: collabs.change_status(
        c.db, c.staff, c.cid if collab_id is None else collab_id, version, target, reason
    )


def listing(sort: str = "updated", page_size: int = 50, **filters):
    return lambda c: collabs.list_collaborations(
        c.db, CollabFilter(**filters), sort=sort, page_size=page_size
    )


FUTURE = dt.date.today() + dt.timedelta(days=30)
UNKNOWN = 987_654
RV = RuleViolation

# Each section runs on one fresh database: every case checks it wrote nothing, so the
# cases after it start from the same state.
REFUSED: dict[str, list[tuple[str, Callable[[Ctx], object], type[Exception], str]]] = {
    "notes": [
        ("note-100k", note(HUGE), RV, "too long"),
        ("note-one-over", note("n" * 5_001), RV, "at most 5,000"),
        ("note-blank", note(" \n\t "), RV, "required"),
        ("note-none", note(None), RV, "required"),  # type: ignore[arg-type]
        ("note-unknown-id", note("hello", UNKNOWN), NotFound, f"#{UNKNOWN}"),
        ("note-negative-id", note("hello", -1), NotFound, "#-1"),
        ("note-huge-id", note("hello", 2**70), NotFound, "no collaboration"),
    ],
    "amounts": [
        ("pay-negative", pay("-5"), RV, "more than zero"),
        ("pay-zero", pay(0), RV, "more than zero"),
        ("pay-zero-text", pay("0.00"), RV, "more than zero"),
        ("pay-words", pay("ten euros"), RV, "must be a number"),
        ("pay-sql", pay(SQL), RV, "must be a number"),
        ("pay-blank", pay("  "), RV, "must be a number"),
        ("pay-none", pay(None), RV, "must be a number"),
        ("pay-nan-text", pay("NaN"), RV, "must be a number"),
        ("pay-nan-float", pay(float("nan")), RV, "must be a number"),
        ("pay-snan", pay("sNaN"), RV, "must be a number"),
        ("pay-inf", pay(float("inf")), RV, "must be a number"),
        ("pay-minus-inf", pay("-Infinity"), RV, "must be a number"),
        ("pay-huge", pay(10**15), RV, "implausibly large"),
        ("pay-huge-exp", pay("1e400"), RV, "must be a number"),
        ("pay-huge-text", pay("9" * 100_000), RV, "implausibly large"),
        ("pay-float-overflow", pay(1e308 * 10), RV, "must be a number"),
        ("pay-three-decimals", pay("12.345"), RV, "two decimals"),
        ("pay-tiny", pay("1e-9999"), RV, "must be a number"),
        ("pay-decimal-nan", pay(Decimal("NaN")), RV, "must be a number"),
    ],
    "payments": [
        ("pay-currency", pay("10", "XXX"), RV, "Unknown currency"),
        ("pay-currency-sql", pay("10", SQL), RV, "Unknown currency"),
        ("pay-currency-lower", pay("10", "eur"), RV, "Unknown currency"),
        ("pay-future", pay("10", paid_on=FUTURE), RV, "future"),
        ("pay-reference-100k", pay("10", reference=HUGE), RV, "too long"),
        (
            "pay-unknown-id",
            lambda c: collabs.record_payment(c.db, c.staff, UNKNOWN, "10", "EUR", DAY),
            NotFound,
            f"#{UNKNOWN}",
        ),
    ],
    "content": [
        ("url-javascript", link("javascript:alert(document.cookie)"), RV, "http"),
        ("url-javascript-caps", link("  JavaScript:alert(1)"), RV, "http"),
        ("url-data", link("data:text/html,<script>alert(1)</script>"), RV, "http"),
        ("url-vbscript", link("vbscript:msgbox(1)"), RV, "http"),
        ("url-no-scheme", link("//evil.example/x"), RV, "http"),
        ("url-space", link("https://exa mple.com/p"), RV, "no spaces"),
        ("url-newline", link("https://ok.example/\njavascript:alert(1)"), RV, "spaces"),
        ("url-sql", link(SQL), RV, "http"),
        ("url-100k", link("https://example.com/" + HUGE), RV, "too long"),
        ("url-blank", link("   "), RV, "required"),
        ("content-kind", link("https://example.com/p", kind="tweet"), RV, "content type"),
        ("content-kind-sql", link("https://example.com/p", kind=SQL), RV, "content type"),
        ("content-future", link("https://example.com/p", on=FUTURE), RV, "future"),
        ("content-unknown-id", link("https://example.com/p", collab_id=UNKNOWN), NotFound, "#"),
    ],
    "terms": [
        ("terms-deliverables-100k", edit_terms(deliverables=HUGE), RV, "too long"),
        ("terms-conditions-100k", edit_terms(conditions=HUGE), RV, "too long"),
        ("terms-deliverables-blank", edit_terms(deliverables="  "), RV, "required"),
        ("terms-negative", edit_terms(compensation="-1"), RV, "more than zero"),
        ("terms-minus-zero", edit_terms(compensation="-0.01"), RV, "more than zero"),
        ("terms-words", edit_terms(compensation="lots"), RV, "must be a number"),
        ("terms-nan", edit_terms(compensation=float("nan")), RV, "must be a number"),
        ("terms-inf", edit_terms(compensation="inf"), RV, "must be a number"),
        ("terms-huge", edit_terms(compensation="1e12"), RV, "must be a number"),
        ("terms-currency", edit_terms(currency=SQL), RV, "Unknown currency"),
        (
            "terms-dates-backwards",
            edit_terms(start_date=dt.date(2026, 5, 1), due_date=dt.date(2026, 4, 1)),
            RV,
            "before the start",
        ),
        ("terms-stale", edit_terms(version=0), RV, "since you opened it"),
        ("terms-ahead", edit_terms(version=99), RV, "since you opened it"),
        ("terms-unknown-id", edit_terms(collab_id=UNKNOWN), NotFound, f"#{UNKNOWN}"),
    ],
    "status": [
        ("status-unknown", move("archived"), RV, "Unknown collaboration status"),
        ("status-sql", move(SQL), RV, "Unknown collaboration status"),
        ("status-empty", move(""), RV, "Unknown collaboration status"),
        ("status-none", move(None), RV, "Unknown collaboration status"),  # type: ignore[arg-type]
        ("status-same", move("fulfilling"), RV, "already"),
        ("status-cancel-no-reason", move("cancelled", "   "), RV, "reason"),
        ("status-back-no-reason", move("pending"), RV, "reason"),
        ("status-cancel-100k", move("cancelled", HUGE), RV, "too long"),
        ("status-forward-100k", move("completed", HUGE), RV, "too long"),
        ("status-unknown-id", move("completed", collab_id=UNKNOWN), RV, "No collaboration"),
        ("status-huge-id", move("completed", collab_id=2**64), RV, "No collaboration"),
        ("status-stale", move("completed", version=0), RV, "Changed since preview"),
        (
            "status-final",
            lambda c: collabs.change_status(
                c.db, c.staff, c.world.collabs["mary_spring"], 1, "pending", "oops"
            ),
            RV,
            "final",
        ),
        (
            "batch-empty",
            lambda c: collabs.apply_status_change(c.db, c.staff, {}, "completed"),
            RV,
            "at least one",
        ),
        (
            "batch-too-big",
            lambda c: collabs.apply_status_change(
                c.db, c.staff, dict.fromkeys(range(1, 50_002), 1), "completed"
            ),
            RV,
            "at most",
        ),
        (
            "preview-unknown-status",
            lambda c: collabs.preview_status_change(c.db, c.staff, [c.cid], "archived"),
            RV,
            "Unknown collaboration status",
        ),
    ],
    "creators": [
        ("tag-41", lambda c: creators.add_tag(c.db, c.staff, c.creator, "t" * 41), RV,
         "at most 40"),
        ("tag-100k", lambda c: creators.add_tag(c.db, c.staff, c.creator, HUGE), RV,
         "too long"),
        ("tag-blank", lambda c: creators.add_tag(c.db, c.staff, c.creator, " "), RV,
         "required"),
        ("tag-unknown-creator", lambda c: creators.add_tag(c.db, c.staff, UNKNOWN, "vip"), NotFound,
         "no creator"),
        ("untag-unknown-creator", lambda c: creators.remove_tag(c.db, c.staff, UNKNOWN, "vip"),
         NotFound, "no creator"),
        (
            "override-unknown",
            lambda c: creators.set_validation_override(c.db, c.staff, c.creator, "trusted"),
            RV,
            "Unknown validation status",
        ),
        (
            "override-sql",
            lambda c: creators.set_validation_override(c.db, c.staff, c.creator, SQL),
            RV,
            "Unknown validation status",
        ),
        (
            "override-unknown-creator",
            lambda c: creators.set_validation_override(c.db, c.staff, UNKNOWN, "verified"),
            NotFound,
            "no creator",
        ),
        ("add-existing-handle", add_creator(handle="＠GRACE "), RV,
         "A creator with that handle on Instagram already exists: Grace Hopper"),
        ("add-handle-sql", add_creator(handle=SQL), RV, "cannot contain spaces"),
        ("add-handle-100k", add_creator(handle=HUGE), RV, "too long"),
        ("add-handle-invisible", add_creator(handle="gr\u200bace"), RV, "invisible"),
        ("add-handle-blank", add_creator(handle=" @ "), RV, "required"),
        ("add-name-100k", add_creator(name=HUGE), RV, "too long"),
        ("add-platform-sql", add_creator(platform=SQL), RV, "Unknown platform"),
        ("add-viewer", lambda c: creators.add_creator(
            c.db, c.people[Role.VIEWER], {"name": "V", "handle": "v", "platform": "tiktok"}),
         PermissionError, "may not add creators"),
    ],
    "list": [
        ("list-sort-unknown", listing(sort="popularity"), RV, "Unknown sort"),
        ("list-sort-sql", listing(sort="c.id; DROP TABLE users; --"), RV, "Unknown sort"),
        ("list-sort-empty", listing(sort=""), RV, "Unknown sort"),
        (
            "list-dates-backwards",
            listing(created_from=dt.date(2026, 5, 1), created_to=dt.date(2026, 4, 1)),
            RV,
            "before it starts",
        ),
        ("list-status-unknown", listing(statuses=("archived",)), RV, "Unknown"),
        ("list-status-sql", listing(statuses=(SQL,)), RV, "Unknown collaboration status"),
        ("list-page-size-zero", listing(page_size=0), RV, "A page has"),
        ("list-page-size-negative", listing(page_size=-10), RV, "A page has"),
        ("list-page-size-huge", listing(page_size=10**9), RV, "A page has"),
        (
            "batch-filter-backwards",
            lambda c: collabs.matching_versions(
                c.db, CollabFilter(created_from=dt.date(2026, 5, 1), created_to=dt.date(2026, 4, 1))
            ),
            RV,
            "before it starts",
        ),
        (
            "batch-filter-status",
            lambda c: collabs.matching_versions(c.db, CollabFilter(statuses=("archived",))),
            RV,
            "Unknown",
        ),
        ("detail-unknown-id", lambda c: collabs.get_collaboration(c.db, UNKNOWN), NotFound, "#"),
    ],
    "users": [
        (
            "user-name-100k",
            lambda c: users.add_user(c.db, c.admin, "newbie", HUGE, "staff", PASSWORD),
            RV,
            "too long",
        ),
        (
            "user-username-sql",
            lambda c: users.add_user(c.db, c.admin, SQL, "New", "staff", PASSWORD),
            RV,
            "username",
        ),
        (
            "user-username-100k",
            lambda c: users.add_user(c.db, c.admin, HUGE, "New", "staff", PASSWORD),
            RV,
            "username",
        ),
        (
            "user-role-unknown",
            lambda c: users.add_user(c.db, c.admin, "newbie", "New", "root", PASSWORD),
            RV,
            "Unknown role",
        ),
        (
            "user-email-html",
            lambda c: users.add_user(c.db, c.admin, "newbie", "New", "staff", PASSWORD,
                                     "<script>@x"),
            RV,
            "not an e-mail",
        ),
        (
            "user-email-100k",
            lambda c: users.add_user(c.db, c.admin, "newbie", "New", "staff", PASSWORD,
                                     HUGE + "@x.io"),
            RV,
            "too long",
        ),
        (
            "user-password-100k",
            lambda c: users.add_user(c.db, c.admin, "newbie", "New", "staff", HUGE),
            RV,
            "at most 72 bytes",
        ),
        (
            "user-password-short",
            lambda c: users.add_user(c.db, c.admin, "newbie", "New", "staff", "short"),
            RV,
            "at least",
        ),
        (
            "user-taken",
            lambda c: users.add_user(c.db, c.admin, "STAFF", "Again", "staff", PASSWORD),
            RV,
            "taken",
        ),
        (
            "reset-password-80-bytes",
            lambda c: users.reset_password(c.db, c.admin, "staff", "é" * 40),  # 80 bytes
            RV,
            "72 bytes",
        ),
        (
            "reset-unknown-user",
            lambda c: users.reset_password(c.db, c.admin, SQL, PASSWORD),
            NotFound,
            "no user",
        ),
        ("role-unknown-user", lambda c: users.set_role(c.db, c.admin, "nobody", "staff"), NotFound,
         "no user"),
        ("role-unknown", lambda c: users.set_role(c.db, c.admin, "staff", SQL), RV,
         "Unknown role"),
        ("disable-unknown-user", lambda c: users.set_disabled(c.db, c.admin, HUGE, True), NotFound,
         "no user"),
    ],
    "roles": [
        # the role is checked before anything else, hostile or not
        ("viewer-note", lambda c: collabs.add_note(c.db, c.people[Role.VIEWER], c.cid, HUGE),
         PermissionError, "may not"),
        ("viewer-tag", lambda c: creators.add_tag(c.db, c.people[Role.VIEWER], c.creator, SQL),
         PermissionError, "may not"),
        (
            "viewer-terms",
            lambda c: collabs.update_terms(c.db, c.people[Role.VIEWER], c.cid, 1, terms()),
            PermissionError,
            "may not",
        ),
        (
            "staff-adds-user",
            lambda c: users.add_user(c.db, c.staff, "newbie", "New", "admin", PASSWORD),
            PermissionError,
            "may not",
        ),
    ],
}  # fmt: skip


@pytest.mark.parametrize("section", list(REFUSED))
def test_refused_with_a_clear_message_and_nothing_written(
    ctx: Ctx, subtests: pytest.Subtests, section: str
) -> None:
    for name, action, error, word in REFUSED[section]:
        with subtests.test(name):
            before = everything(ctx.db)
            with pytest.raises(error) as caught:
                action(ctx)
            message = str(caught.value)
            assert word.lower() in message.lower()
            assert len(message) < 300  # a message to read, not the input echoed back
            assert everything(ctx.db) == before


def test_batch_refusals_write_nothing(ctx: Ctx) -> None:
    """A batch of only refusals (unknown, final, stale, same) returns them and writes nothing."""
    w = ctx.world.collabs
    before = everything(ctx.db)
    result = collabs.apply_status_change(
        ctx.db,
        ctx.staff,
        {UNKNOWN: 1, -5: 1, 2**80: 1, w["mary_spring"]: 1, w["ada_summer"]: 1, ctx.cid: 7,
         w["linus_launch"]: 1},
        "negotiating",
        SQL,
    )
    assert result.done == []
    assert "No collaboration" in result.refused[UNKNOWN]
    assert "No collaboration" in result.refused[2**80]
    assert "final" in result.refused[w["mary_spring"]]
    assert "Changed since preview" in result.refused[ctx.cid]
    assert "already" in result.refused[w["linus_launch"]]
    assert everything(ctx.db) == before


# --- odd but acceptable text: stored and returned verbatim -------------------

VERBATIM = [
    SQL,
    "Robert'); DROP TABLE users;--",
    "<script>alert('x')</script>",
    '<img src=x onerror="alert(1)">',
    "**bold** _it_ [click](javascript:alert(1)) ![img](https://evil.example/x.png)",
    "# Heading\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n```sql\nSELECT 1;\n```",
    "100% of $budget; C:\\path\\n \\x00 ${{7*7}} {{7*7}} %s %(name)s",
    "emoji 👍🏽 and RTL \u202etext and zero\u200bwidth",
    "line one\r\nline two\n\ttabbed",
    "nul \x00 inside",
    "n" * 5_000,
]


def test_odd_notes_are_stored_verbatim(ctx: Ctx, subtests: pytest.Subtests) -> None:
    tables = "SELECT table_name FROM duckdb_tables() ORDER BY ALL"
    tables_before = ctx.db.rows(tables)
    for n, text in enumerate(VERBATIM):
        with subtests.test(f"note {n}: {text[:30]!r}"):
            collabs.add_note(ctx.db, ctx.staff, ctx.cid, text)
            line = collabs.timeline(ctx.db, ctx.cid).iloc[0]
            assert line["kind"] == "note"
            assert isinstance(line["text"], str) and line["text"] == text.strip()
            assert ctx.db.value("SELECT count(*) FROM collaborations") == 8
            assert ctx.db.rows(tables) == tables_before
    assert ctx.db.value("SELECT count(*) FROM activity_events WHERE kind = 'note'") == len(
        VERBATIM
    )


def test_odd_text_elsewhere_is_stored_verbatim(ctx: Ctx) -> None:
    db, staff, cid = ctx.db, ctx.staff, ctx.cid
    collabs.record_payment(db, staff, cid, "1250.50", "EUR", DAY, SQL)
    assert collabs.payments(db, cid)["reference"].iloc[0] == SQL
    assert float(collabs.payments(db, cid)["amount"].iloc[0]) == 1250.5
    url = "https://example.com/p?q=%27%3B+DROP+TABLE&x=<b>"
    collabs.record_content(db, staff, cid, url, "reel", DAY)
    assert collabs.content(db, cid)["url"].iloc[0] == url
    collabs.update_terms(db, staff, cid, 1, terms(deliverables=VERBATIM[5], conditions=SQL))
    detail = collabs.get_collaboration(db, cid)
    assert (detail["deliverables"], detail["conditions"]) == (VERBATIM[5].strip(), SQL)
    collabs.change_status(db, staff, cid, 2, "cancelled", SQL)
    assert collabs.get_collaboration(db, cid)["cancel_reason"] == SQL
    assert collabs.timeline(db, cid)["text"].iloc[0] == SQL
    tag = creators.add_tag(db, staff, ctx.creator, "'; DROP TABLE creator_tags; --")
    assert tag in creators.tags_of(db, ctx.creator)
    assert creators.add_tag(db, staff, ctx.creator, "t" * 40) in creators.tags_of(db, ctx.creator)
    found = collabs.list_collaborations(db, CollabFilter(tag=tag)).rows
    assert len(found) == 3  # Grace's three collaborations
    assert db.value("SELECT count(*) FROM collaborations") == 8


SEARCHES = [SQL, HUGE, "%", "_", "\\", "'", '"', "@", "<script>", "\x00", "  @@  "]


def test_hostile_searches_find_nothing_and_write_nothing(
    ctx: Ctx, subtests: pytest.Subtests
) -> None:
    before = everything(ctx.db)
    for search in SEARCHES:
        with subtests.test(repr(search[:30])):
            page = collabs.list_collaborations(ctx.db, CollabFilter(search=search, tag=SQL))
            assert page.total == 0 and page.rows.empty
            page = collabs.list_collaborations(ctx.db, CollabFilter(search=search))
            blank = not search.strip().lstrip("@")  # "@" alone is no search at all: everything
            assert page.total == (8 if blank else 0)
    assert everything(ctx.db) == before


def test_hostile_logins_are_refused_and_write_nothing(ctx: Ctx) -> None:
    before = everything(ctx.db)
    for username, password in ((SQL, PASSWORD), (HUGE, HUGE), ("' OR '1'='1", "' OR '1'='1")):
        assert users.attempt_login(ctx.db, username, password) is False
    assert everything(ctx.db) == before


def test_page_numbers_out_of_range_are_clamped(ctx: Ctx) -> None:
    for page in (-(10**9), 0, 10**9):
        result = collabs.list_collaborations(ctx.db, CollabFilter(), page=page, page_size=3)
        assert 1 <= result.page <= 3 and len(result.rows) in (2, 3)
