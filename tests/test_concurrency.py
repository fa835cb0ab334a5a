"""Eight sessions editing the same collaborations at once, through the one shared Database.

Each thread reads the current versions, then moves a few overlapping collaborations forward,
back (with a reason) or to cancelled (with a reason), or adds a note. Whatever each call
reported as applied must be exactly what the database holds afterwards: no lost update, no
phantom event, no status without its event.
"""

from __future__ import annotations

import random
import threading
import time
from collections import Counter
from dataclasses import dataclass, field

from lib import collaborations as collabs
from lib.db import ConcurrentEditError, Database
from lib.models import COLLAB_LIFECYCLE, CollabStatus, Role, User
from lib.rules import RuleViolation
from tests.conftest import T0, World, add_collab

THREADS = 8
RUN_SECONDS = 3.0
POOL = 24  # collaborations every thread picks from, so their edits overlap


@dataclass
class Tally:
    """What one thread's calls reported, to compare with the database afterwards."""

    applied: Counter = field(default_factory=Counter)  # (collab_id, to_status) -> times
    notes: Counter = field(default_factory=Counter)  # collab_id -> notes saved
    calls: int = 0
    conflicts: int = 0
    errors: list[BaseException] = field(default_factory=list)


def make_users(db: Database, password_hash: str) -> list[User]:
    """One staff account per thread, so every event's actor names the thread that wrote it."""
    found = []
    for n in range(THREADS):
        uid = db.value(
            "INSERT INTO users (username, name, email, role, password_hash, created_at)"
            " VALUES (?, ?, '', 'staff', ?, ?) RETURNING id",
            [f"session{n}", f"Session {n}", password_hash, T0],
        )
        found.append(User(uid, f"session{n}", f"Session {n}", "", Role.STAFF))
    return found


def current(db: Database, ids: list[int]) -> dict[int, tuple[str, int]]:
    rows = db.rows(
        "SELECT id, status, version FROM collaborations WHERE id IN (SELECT unnest(?::BIGINT[]))",
        [ids],
    )
    return {r[0]: (r[1], r[2]) for r in rows}


def session(db: Database, user: User, pool: list[int], seed: int, stop: float, tally: Tally):
    rng = random.Random(seed)
    while time.monotonic() < stop:
        tally.calls += 1
        roll = rng.random()
        try:
            if roll < 0.25:
                cid = rng.choice(pool)
                collabs.add_note(db, user, cid, f"note {tally.calls} by {user.username}")
                tally.notes[cid] += 1
                continue
            chosen = rng.sample(pool, rng.randint(1, 4))
            seen = current(db, chosen)
            # Mostly forward or back a stage; the final statuses are rarer and one row at a
            # time, so the pool stays alive for the whole run.
            if roll < 0.965:
                target = rng.choice(["negotiating", "fulfilling", "pending"])
            else:
                target = "completed" if roll < 0.985 else "cancelled"
                chosen = chosen[:1]
            reason = f"{user.username} says so" if target in ("pending", "cancelled") else None
            if target == "negotiating" and rng.random() < 0.5:
                reason = "going back a step"  # needed from fulfilling, optional from pending
            expected = {cid: seen[cid][1] for cid in chosen}
            if len(chosen) == 1 and rng.random() < 0.5:
                cid = chosen[0]
                try:
                    collabs.change_status(db, user, cid, expected[cid], target, reason)
                except RuleViolation:
                    continue
                tally.applied[(cid, target)] += 1
            else:
                result = collabs.apply_status_change(db, user, expected, target, reason)
                assert set(result.done) | set(result.refused) == set(chosen)
                for cid in result.done:
                    tally.applied[(cid, target)] += 1
        except ConcurrentEditError:
            tally.conflicts += 1  # nothing was saved
        except BaseException as error:  # surfaced by the main thread
            tally.errors.append(error)
            return


def test_eight_sessions_on_overlapping_collaborations(
    db: Database, world: World, password_hash: str
) -> None:
    sessions = make_users(db, password_hash)
    rng = random.Random(20260302)
    starts = ["pending", "negotiating", "fulfilling"]
    initial: dict[int, tuple[str, int]] = {}
    campaigns, creators = list(world.campaigns.values()), list(world.creators.values())
    for n in range(POOL):
        status = starts[n % 3]
        cid = add_collab(db, rng.choice(campaigns), rng.choice(creators), status)
        initial[cid] = (status, 1)
    pool = list(initial)
    events_before = db.value("SELECT count(*) FROM activity_events")
    assert events_before == 0

    tallies = [Tally() for _ in sessions]
    stop = time.monotonic() + RUN_SECONDS
    threads = [
        threading.Thread(target=session, args=(db, user, pool, 1000 + n, stop, tallies[n]))
        for n, user in enumerate(sessions)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not any(t.is_alive() for t in threads)
    errors = [e for tally in tallies for e in tally.errors]
    assert not errors, errors

    # Reported status changes, per session and collaboration, equal the events written.
    for user, tally in zip(sessions, tallies, strict=True):
        events = Counter(
            db.rows(
                "SELECT collab_id, to_status FROM activity_events"
                " WHERE kind = 'status_changed' AND actor = ?",
                [user.username],
            )
        )
        assert events == tally.applied, user.username
        notes = Counter(
            dict(
                db.rows(
                    "SELECT collab_id, count(*) FROM activity_events"
                    " WHERE kind = 'note' AND actor = ? GROUP BY collab_id",
                    [user.username],
                )
            )
        )
        assert notes == tally.notes, user.username
    applied = sum(sum(t.applied.values()) for t in tallies)
    notes = sum(sum(t.notes.values()) for t in tallies)
    assert db.value("SELECT count(*) FROM activity_events WHERE kind = 'status_changed'") == applied
    assert db.value("SELECT count(*) FROM activity_events WHERE kind = 'note'") == notes
    assert db.value("SELECT count(*) FROM activity_events") == applied + notes
    assert applied > 0 and notes > 0  # the run did edit, whatever the collisions

    # Each collaboration's history is one unbroken chain from its initial status to its
    # current one, one version per status change, and a final status is never left.
    final = {s.value for s in (CollabStatus.COMPLETED, CollabStatus.CANCELLED)}
    now = current(db, pool)
    for cid in pool:
        chain = db.rows(
            "SELECT from_status, to_status, text FROM activity_events"
            " WHERE collab_id = ? AND kind = 'status_changed' ORDER BY id",
            [cid],
        )
        status, version = initial[cid]
        for from_status, to_status, text in chain:
            assert from_status == status, (cid, chain)
            assert status not in final, (cid, chain)
            if to_status == "cancelled" or COLLAB_LIFECYCLE.index(
                CollabStatus(to_status)
            ) < COLLAB_LIFECYCLE.index(CollabStatus(from_status)):
                assert text and text.strip(), (cid, chain)  # a reason was required and stored
            status = to_status
        assert now[cid] == (status, version + len(chain)), cid
        if status == "cancelled":
            assert db.value("SELECT cancel_reason FROM collaborations WHERE id = ?", [cid])
