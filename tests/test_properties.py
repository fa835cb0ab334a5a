"""Property-based tests (hypothesis): the pure rules, then the status services on a real DuckDB."""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lib import collaborations as collabs
from lib import rules
from lib.db import Database
from lib.models import (
    COLLAB_FINAL,
    COLLAB_LIFECYCLE,
    MAX_REASON_CHARS,
    CollabStatus,
    DeliveryStatus,
    Role,
    User,
)
from lib.rules import RuleViolation
from tests.conftest import own_campaigns

STATUSES = list(CollabStatus)
FINAL_VALUES = {s.value for s in COLLAB_FINAL}
# Reasons as a person might type them, from missing to too long or SQL-looking.
REASONS = st.sampled_from(
    [
        None,
        "",
        "   ",
        "\n\t",
        "Client paused the campaign",
        "'; DROP TABLE collaborations; --",
        "x" * MAX_REASON_CHARS,
        "x" * (MAX_REASON_CHARS + 1),
    ]
)
as_value = st.booleans()  # hand the rules the enum or its string value


def form(status: CollabStatus, use_value: bool) -> CollabStatus | str:
    return status.value if use_value else status


def reason_ok(reason: str | None) -> bool:
    return reason is not None and 0 < len(reason.strip()) <= MAX_REASON_CHARS


def allowed_by_table(current: CollabStatus, target: CollabStatus, reason: str | None) -> bool:
    """The DESIGN.md table, written out independently of lib.rules."""
    if current is target or current in COLLAB_FINAL:
        return False
    needs_reason = target is CollabStatus.CANCELLED or (
        COLLAB_LIFECYCLE.index(target) < COLLAB_LIFECYCLE.index(current)
    )
    if reason is not None and reason.strip():
        return reason_ok(reason)  # a reason given is stored, so it must fit
    return not needs_reason


# --- (a) the pure rules ----------------------------------------------------


@given(
    start=st.sampled_from(STATUSES),
    steps=st.lists(st.tuples(st.sampled_from(STATUSES), REASONS, as_value), max_size=30),
)
def test_sequences_of_transitions_never_leave_a_final_status(start, steps) -> None:
    current = start
    for target, reason, use_value in steps:
        try:
            rules.check_collab_transition(form(current, use_value), form(target, use_value), reason)
        except RuleViolation as refusal:
            assert str(refusal)  # always says why
            assert not allowed_by_table(current, target, reason)
            continue
        assert allowed_by_table(current, target, reason)
        assert current not in COLLAB_FINAL and target is not current
        current = target
    if start in COLLAB_FINAL:
        assert current is start


@given(current=st.sampled_from(STATUSES), target=st.sampled_from(STATUSES), use_value=as_value)
def test_allowed_targets_agree_with_the_check(current, target, use_value) -> None:
    offered = rules.allowed_collab_targets(form(current, use_value))
    with_reason = without_reason = True
    try:
        rules.check_collab_transition(form(current, use_value), form(target, use_value), "why")
    except RuleViolation:
        with_reason = False
    try:
        rules.check_collab_transition(form(current, use_value), form(target, use_value))
    except RuleViolation:
        without_reason = False
    assert (target in offered) == with_reason
    assert without_reason == (
        target in offered and not rules.collab_reason_required(current, target)
    )
    assert without_reason <= with_reason  # a reason never hurts
    if current in COLLAB_FINAL:
        assert offered == []


@given(
    current=st.sampled_from(list(DeliveryStatus)),
    target=st.sampled_from(list(DeliveryStatus)),
    reason=REASONS,
)
def test_delivery_targets_agree_with_the_check(current, target, reason) -> None:
    try:
        rules.check_delivery_transition(current, target, reason)
        allowed = True
    except RuleViolation:
        allowed = False
    if allowed:
        assert target in rules.allowed_delivery_targets(current)
    elif target in rules.allowed_delivery_targets(current) and reason_ok(reason):
        pytest.fail(f"{current} -> {target} with a good reason was refused")


@settings(max_examples=50)
@given(
    junk=st.text(max_size=30).filter(lambda s: s not in {c.value for c in CollabStatus}),
    other=st.sampled_from(STATUSES),
)
def test_unknown_statuses_are_refused_with_the_known_ones_listed(junk, other) -> None:
    for call in (
        lambda: rules.check_collab_transition(junk, other, "why"),
        lambda: rules.check_collab_transition(other, junk, "why"),
        lambda: rules.allowed_collab_targets(junk),
        lambda: rules.collab_reason_required(junk, other),
        lambda: rules.parse_collab_status(junk),
    ):
        with pytest.raises(RuleViolation, match=r"Unknown collaboration status.*pending"):
            call()


# --- (b) the services on a real database ------------------------------------

STAFF = User(1, "staff", "Staff", "", Role.STAFF)
T0 = dt.datetime(2026, 3, 2, 9, 0)
COLLABS_PER_EXAMPLE = 4
STATUS, VERSION, CANCEL_REASON = 1, 2, 3  # positions in the rows snapshot() returns


@pytest.fixture(scope="module")
def shared_db(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Database]:
    """One database for every example; each example works on collaborations of its own."""
    database = Database(Path(tmp_path_factory.mktemp("props")) / "props.duckdb")
    database.value("INSERT INTO clients (name) VALUES ('Acme') RETURNING id")
    # STAFF's account (id 1): every write re-reads its actor in the store (issue 14.2).
    database.value(
        "INSERT INTO users (username, name, role, password_hash, created_at)"
        " VALUES ('staff', 'Staff', 'staff', '!', ?) RETURNING id",
        [T0],
    )
    database.value(
        "INSERT INTO campaigns (client_id, name, start_date, end_date, budget, created_at)"
        " VALUES (1, 'Spring', '2026-03-01', '2026-06-30', 1000, ?) RETURNING id",
        [T0],
    )
    own_campaigns(database)
    database.value(
        "INSERT INTO creators (name, handle, platform, created_at)"
        " VALUES ('Ada', 'ada', 'instagram', ?) RETURNING id",
        [T0],
    )
    yield database
    database.close()


def new_collabs(db: Database, statuses: list[CollabStatus]) -> list[int]:
    return [
        db.value(
            "INSERT INTO collaborations (campaign_id, creator_id, status, deliverables,"
            " compensation, cancel_reason, created_at, updated_at)"
            " VALUES (1, 1, ?, '1 reel', 250, ?, ?, ?) RETURNING id",
            [s.value, "set-up" if s is CollabStatus.CANCELLED else None, T0, T0],
        )
        for s in statuses
    ]


def snapshot(db: Database, ids: list[int]) -> tuple[dict[int, tuple], int, dict[int, int]]:
    """Rows of `ids` (id, status, version, cancel_reason, then every column), the total number
    of events, and the number of events per collaboration."""
    rows = db.rows(
        "SELECT id, status, version, cancel_reason, * FROM collaborations"
        " WHERE id IN (SELECT unnest(?::BIGINT[])) ORDER BY id",
        [ids],
    )
    per = dict(
        db.rows(
            "SELECT collab_id, count(*) FROM activity_events"
            " WHERE collab_id IN (SELECT unnest(?::BIGINT[])) GROUP BY collab_id",
            [ids],
        )
    )
    total = db.value("SELECT count(*) FROM activity_events")
    return {r[0]: r for r in rows}, total, {i: per.get(i, 0) for i in ids}


# One step: which of the example's collaborations, the target, the reason, whether the
# version handed in is the current one (or a stale or future one), and single or batch call.
STEP = st.tuples(
    st.sets(st.integers(0, COLLABS_PER_EXAMPLE - 1), min_size=1),
    st.sampled_from(STATUSES),
    REASONS,
    st.sampled_from(["fresh", "fresh", "stale", "ahead"]),
    st.booleans(),
)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    starts=st.lists(
        st.sampled_from(STATUSES), min_size=COLLABS_PER_EXAMPLE, max_size=COLLABS_PER_EXAMPLE
    ),
    steps=st.lists(STEP, min_size=1, max_size=6),
)
def test_status_services_write_events_and_refuse_cleanly(shared_db: Database, starts, steps):
    db = shared_db
    ids = new_collabs(db, starts)
    for picks, target, reason, freshness, single in steps:
        chosen = [ids[i] for i in sorted(picks)]
        before, total_before, events_before = snapshot(db, ids)
        expected = {}
        for cid in chosen:
            version = before[cid][VERSION]
            expected[cid] = version + {"fresh": 0, "stale": -1, "ahead": 1}[freshness]
        should = {
            cid
            for cid in chosen
            if freshness == "fresh"
            and allowed_by_table(CollabStatus(before[cid][STATUS]), target, reason)
        }

        if single:
            cid = chosen[0]
            chosen = [cid]
            should &= {cid}
            try:
                collabs.change_status(db, STAFF, cid, expected[cid], target, reason)
                applied = {cid}
            except RuleViolation as refusal:
                assert str(refusal)
                applied = set()
        else:
            result = collabs.apply_status_change(db, STAFF, expected, target, reason)
            applied = set(result.done)
            assert applied | set(result.refused) == set(chosen)
            assert not applied & set(result.refused)
            assert all(result.refused.values())  # each refusal says why

        after, total_after, events_after = snapshot(db, ids)
        assert applied == should  # exactly what the rules and the versions allow
        assert total_after - total_before == len(applied)
        for cid in ids:
            if cid in applied:
                old, new = before[cid], after[cid]
                assert old[STATUS] not in FINAL_VALUES
                assert new[STATUS] == target.value and new[VERSION] == old[VERSION] + 1
                assert events_after[cid] == events_before[cid] + 1
                event = db.one(
                    "SELECT from_status, to_status, text FROM activity_events"
                    " WHERE collab_id = ? ORDER BY id DESC LIMIT 1",
                    [cid],
                )
                stored_reason = reason.strip() if reason and reason.strip() else None
                assert event == (old[STATUS], target.value, stored_reason)
                if target is CollabStatus.CANCELLED:
                    assert new[CANCEL_REASON] == stored_reason
            else:
                # refused or not asked: the row is byte-for-byte what it was, no event
                assert after[cid] == before[cid]
                assert events_after[cid] == events_before[cid]
    # a final status, once reached, is never left: each collaboration's chain of events
    for cid in ids:
        chain = db.rows(
            "SELECT from_status, to_status FROM activity_events WHERE collab_id = ? ORDER BY id",
            [cid],
        )
        assert all(a not in FINAL_VALUES for a, _ in chain)
        assert all(b == a2 for (_, b), (a2, _) in itertools.pairwise(chain))

