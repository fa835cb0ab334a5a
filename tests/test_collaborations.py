"""The collaborations service against a real temporary DuckDB file."""

from __future__ import annotations

import datetime as dt
import threading

import pytest

from lib import collaborations as collabs
from lib.collaborations import CollabFilter
from lib.db import Database, NotFound
from lib.models import Role, Terms, User
from lib.rules import RuleViolation
from tests.conftest import World, add_collab, event_count, status_of


def ids_of(page: collabs.Page) -> set[int]:
    return set(page.rows["id"])


# --- the list --------------------------------------------------------------


def test_list_pages_and_counts(db: Database, world: World) -> None:
    first = collabs.list_collaborations(db, CollabFilter(), sort="created", page_size=3)
    assert first.total == 8 and first.pages == 3 and len(first.rows) == 3
    last = collabs.list_collaborations(db, CollabFilter(), sort="created", page=3, page_size=3)
    assert len(last.rows) == 2
    everything = collabs.list_collaborations(db, CollabFilter(), page_size=50)
    assert ids_of(everything) == set(world.collabs.values())


def test_filters(db: Database, world: World) -> None:
    w = world.collabs
    by = lambda **kw: ids_of(collabs.list_collaborations(db, CollabFilter(**kw)))  # noqa: E731
    assert by(search="grace") == {w["grace_spring"], w["grace_summer"], w["grace_launch"]}
    assert by(search="@ADA") == {w["ada_spring"], w["ada_summer"], w["mary_spring"]}  # handle
    assert by(statuses=("pending", "cancelled")) == {
        w["ada_spring"],
        w["ada_summer"],
        w["grace_summer"],
    }
    assert by(client_id=world.clients["Globex"]) == {w["linus_launch"], w["grace_launch"]}
    assert by(campaign_id=world.campaigns["Summer"]) == {w["ada_summer"], w["grace_summer"]}
    assert by(tag="Top Performer") == {w["grace_spring"], w["grace_summer"], w["grace_launch"]}
    assert by(created_from=dt.date(2026, 3, 8), created_to=dt.date(2026, 3, 9)) == {
        w["linus_launch"],
        w["grace_launch"],
    }
    assert by(search="'; DROP TABLE collaborations; --") == set()
    assert by(search="100%_") == set()


def test_dates_out_of_order_are_refused(db: Database, world: World) -> None:
    with pytest.raises(RuleViolation, match="before it starts"):
        collabs.list_collaborations(
            db, CollabFilter(created_from=dt.date(2026, 5, 1), created_to=dt.date(2026, 4, 1))
        )


def test_sorts(db: Database, world: World) -> None:
    page = collabs.list_collaborations(db, CollabFilter(), sort="status", descending=False)
    order = ["pending", "negotiating", "fulfilling", "completed", "cancelled"]
    assert list(page.rows["status"]) == sorted(page.rows["status"], key=order.index)
    page = collabs.list_collaborations(db, CollabFilter(), sort="compensation")
    assert list(page.rows["compensation"]) == sorted(page.rows["compensation"], reverse=True)
    page = collabs.list_collaborations(db, CollabFilter(), sort="creator", descending=False)
    assert list(page.rows["creator"]) == sorted(page.rows["creator"])
    with pytest.raises(RuleViolation, match="Unknown sort"):
        collabs.list_collaborations(db, CollabFilter(), sort="id; DROP TABLE users")


def test_validation_badges_in_the_list(db: Database, world: World) -> None:
    rows = collabs.list_collaborations(db, CollabFilter()).rows.set_index("id")
    assert rows.loc[world.collabs["grace_spring"], "validation"] == "verified"
    assert rows.loc[world.collabs["linus_spring"], "validation"] == "needs_review"  # no e-mail
    assert rows.loc[world.collabs["ada_spring"], "validation"] == "flagged"  # shared handle


# --- batch status change ---------------------------------------------------


def test_batch_with_valid_and_invalid_rows(db: Database, world: World, people: dict) -> None:
    w, staff = world.collabs, people[Role.STAFF]
    chosen = [w["ada_spring"], w["grace_spring"], w["mary_spring"], w["ada_summer"], 999_999]
    preview = collabs.preview_status_change(db, staff, chosen, "fulfilling")
    assert set(preview.valid) == {w["ada_spring"], w["grace_spring"]}
    refused = {r.id: r.message for r in preview.refused}
    assert "final" in refused[w["mary_spring"]] and "final" in refused[w["ada_summer"]]
    assert "No collaboration #999999" in refused[999_999]
    assert status_of(db, w["ada_spring"]) == ("pending", 1)  # a preview writes nothing

    result = collabs.apply_status_change(db, staff, preview.valid, "fulfilling")
    assert sorted(result.done) == sorted(preview.valid)
    assert status_of(db, w["ada_spring"]) == ("fulfilling", 2)
    assert event_count(db, w["ada_spring"]) == 1
    assert event_count(db) == 2
    event = db.one(
        "SELECT actor, from_status, to_status FROM activity_events WHERE collab_id = ?",
        [w["grace_spring"]],
    )
    assert event == ("staff", "negotiating", "fulfilling")


def test_stale_version_is_refused(db: Database, world: World, people: dict) -> None:
    cid, staff = world.collabs["grace_summer"], people[Role.STAFF]
    preview = collabs.preview_status_change(db, staff, [cid], "negotiating")
    collabs.change_status(db, people[Role.MANAGER], cid, 1, "fulfilling")  # someone else
    result = collabs.apply_status_change(db, staff, preview.valid, "negotiating")
    assert result.done == [] and "Changed since preview" in result.refused[cid]
    assert status_of(db, cid) == ("fulfilling", 2) and event_count(db, cid) == 1


def test_reason_needed_to_go_back_or_cancel(db: Database, world: World, people: dict) -> None:
    cid, staff = world.collabs["linus_spring"], people[Role.STAFF]
    with pytest.raises(RuleViolation, match="reason"):
        collabs.change_status(db, staff, cid, 1, "cancelled", "   ")
    assert status_of(db, cid) == ("fulfilling", 1) and event_count(db, cid) == 0
    collabs.change_status(db, staff, cid, 1, "cancelled", "Creator went quiet")
    assert db.value("SELECT cancel_reason FROM collaborations WHERE id = ?", [cid]) == (
        "Creator went quiet"
    )


def test_viewer_is_refused_by_the_service(db: Database, world: World, people: dict) -> None:
    viewer, cid = people[Role.VIEWER], world.collabs["ada_spring"]
    for call in (
        lambda: collabs.preview_status_change(db, viewer, [cid], "negotiating"),
        lambda: collabs.apply_status_change(db, viewer, {cid: 1}, "negotiating"),
        lambda: collabs.add_note(db, viewer, cid, "hello"),
        lambda: collabs.record_payment(db, viewer, cid, "10", "EUR", dt.date(2026, 3, 3)),
    ):
        with pytest.raises(PermissionError):
            call()
    assert status_of(db, cid) == ("pending", 1)
    assert db.value("SELECT count(*) FROM activity_events") == 0


def test_unknown_ids(db: Database, world: World, people: dict) -> None:
    staff = people[Role.STAFF]
    with pytest.raises(NotFound, match="#424242"):
        collabs.get_collaboration(db, 424242)
    with pytest.raises(NotFound):
        collabs.add_note(db, staff, 424242, "hi")
    with pytest.raises(RuleViolation, match="No collaboration"):
        collabs.change_status(db, staff, 424242, 1, "completed")
    assert db.value("SELECT count(*) FROM activity_events") == 0


def test_ten_thousand_rows_in_one_batch(db: Database, world: World, people: dict) -> None:
    campaign, creator = world.campaigns["Launch"], world.creators["Ada"]
    db.value(
        "INSERT INTO collaborations (campaign_id, creator_id, status, created_at, updated_at)"
        " SELECT ?, ?, 'pending', TIMESTAMP '2026-04-01', TIMESTAMP '2026-04-01'"
        " FROM range(10000) RETURNING 1",
        [campaign, creator],
    )
    versions = collabs.matching_versions(
        db, CollabFilter(campaign_id=campaign, statuses=("pending",))
    )
    assert len(versions) == 10_000
    preview = collabs.preview_status_change(db, people[Role.STAFF], list(versions), "fulfilling")
    result = collabs.apply_status_change(db, people[Role.STAFF], preview.valid, "fulfilling")
    assert len(result.done) == 10_000
    assert event_count(db) == 10_000
    assert (
        db.value(
            "SELECT count(*) FROM collaborations WHERE campaign_id = ?"
            " AND status = 'fulfilling' AND version = 2",
            [campaign],
        )
        == 10_000
    )


def test_two_threads_on_the_same_collaboration(db: Database, world: World, people: dict) -> None:
    """Each thread moves the same collaboration forward one stage at a time, reading the
    current version first; conflicts are retried or refused, never lost."""
    cid = add_collab(db, world.campaigns["Spring"], world.creators["Grace"])
    applied: list[str] = []
    lock = threading.Lock()

    def worker(user: User) -> None:
        for target in ("negotiating", "fulfilling", "completed"):
            _, version = status_of(db, cid)
            result = collabs.apply_status_change(db, user, {cid: version}, target)
            if result.done:
                with lock:
                    applied.append(target)

    threads = [
        threading.Thread(target=worker, args=(people[r],)) for r in (Role.STAFF, Role.MANAGER)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    status, version = status_of(db, cid)
    assert event_count(db, cid) == len(applied) == version - 1
    last = db.value(
        "SELECT to_status FROM activity_events WHERE collab_id = ? ORDER BY id DESC LIMIT 1", [cid]
    )
    assert status == last == "completed"


# --- detail actions --------------------------------------------------------


def test_note_payment_content(db: Database, world: World, people: dict) -> None:
    cid, staff = world.collabs["linus_spring"], people[Role.STAFF]
    collabs.add_note(db, staff, cid, "<b>Call</b> on **Monday**")
    collabs.record_payment(db, staff, cid, "250.00", "EUR", dt.date(2026, 3, 10), "INV-7")
    collabs.record_content(
        db, staff, cid, "https://instagram.com/p/abc", "reel", dt.date(2026, 3, 9)
    )
    kinds = list(collabs.timeline(db, cid)["kind"])
    assert kinds == ["content_delivered", "payment", "note"]
    assert collabs.timeline(db, cid)["text"].iloc[2] == "<b>Call</b> on **Monday**"
    assert float(collabs.payments(db, cid)["amount"].iloc[0]) == 250.0
    assert collabs.content(db, cid)["url"].iloc[0] == "https://instagram.com/p/abc"


@pytest.mark.parametrize(
    ("action", "message"),
    [
        (lambda db, u, c: collabs.add_note(db, u, c, "   "), "required"),
        (lambda db, u, c: collabs.add_note(db, u, c, "x" * 6000), "too long"),
        (
            lambda db, u, c: collabs.record_payment(db, u, c, "-5", "EUR", dt.date(2026, 3, 1)),
            "more than zero",
        ),
        (
            lambda db, u, c: collabs.record_payment(db, u, c, "ten", "EUR", dt.date(2026, 3, 1)),
            "must be a number",
        ),
        (
            lambda db, u, c: collabs.record_payment(db, u, c, "10", "XXX", dt.date(2026, 3, 1)),
            "Unknown currency",
        ),
        (
            lambda db, u, c: collabs.record_payment(db, u, c, "10", "EUR", dt.date(2999, 1, 1)),
            "future",
        ),
        (
            lambda db, u, c: collabs.record_content(
                db, u, c, "javascript:alert(1)", "post", dt.date(2026, 3, 1)
            ),
            "http",
        ),
    ],
)
def test_bad_input_writes_nothing(
    db: Database, world: World, people: dict, action, message
) -> None:
    cid = world.collabs["linus_spring"]
    with pytest.raises(RuleViolation, match=message):
        action(db, people[Role.STAFF], cid)
    assert db.value("SELECT count(*) FROM activity_events") == 0
    assert db.value("SELECT count(*) FROM payments") == 0


def test_terms_edit_and_staleness(db: Database, world: World, people: dict) -> None:
    cid, staff = world.collabs["grace_spring"], people[Role.STAFF]
    terms = Terms("3 reels", "1200.00", "EUR", dt.date(2026, 4, 1), dt.date(2026, 4, 30), "")
    collabs.update_terms(db, staff, cid, 1, terms)
    detail = collabs.get_collaboration(db, cid)
    assert detail["deliverables"] == "3 reels" and detail["version"] == 2
    with pytest.raises(RuleViolation, match="since you opened it"):
        collabs.update_terms(db, staff, cid, 1, terms)
    backwards = Terms("x", "1", "EUR", dt.date(2026, 4, 30), dt.date(2026, 4, 1), "")
    with pytest.raises(RuleViolation, match="before the start"):
        collabs.update_terms(db, staff, cid, 2, backwards)
    assert event_count(db, cid, "terms_changed") == 1
