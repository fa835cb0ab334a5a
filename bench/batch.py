"""Item 2: a batch status change of 10,000 collaborations, the service against plain SQL.

Both sides move `pending` or `negotiating` rows to `fulfilling` and write one status_changed
event per row, each round on its own 10,000 rows (disjoint, picked the same way from the whole
table), so neither side finds work already done by the other. A database too small for that
many (100k collaborations) gets smaller batches, named so in the table (batch_size).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

from bench.timing import Stats, compare
from lib import users
from lib.collaborations import apply_status_change, preview_status_change
from lib.db import Database, utcnow
from lib.models import Role, User

BATCH = 10_000
FROM, TO = ("pending", "negotiating"), "fulfilling"


@dataclass
class BatchOutcome:
    stats: dict[str, Stats]
    correct: bool
    notes: list[str]
    size: int = BATCH  # rows per batch


def batch_size(db: Database, count: int) -> int:
    """BATCH rows, or fewer (whole thousands) when the table has fewer than `count` batches of
    rows to move."""
    can_move = db.value(
        "SELECT count(*) FROM collaborations WHERE list_contains(?, status)", [list(FROM)]
    )
    fits = int(can_move or 0) // count // 1000 * 1000
    if fits < 1000:
        raise RuntimeError(f"only {can_move:,} rows to move; {count} batches need more")
    return min(BATCH, fits)


def movable(db: Database, count: int, size: int = BATCH) -> Iterator[list[int]]:
    """`count` batches of `size` rows the change can move (in an order that spreads them)."""
    ids = [
        r[0]
        for r in db.rows(
            "SELECT id FROM collaborations WHERE list_contains(?, status)"
            " ORDER BY hash(id), id LIMIT ?",
            [list(FROM), count * size],
        )
    ]
    if len(ids) < count * size:
        raise RuntimeError(f"only {len(ids):,} rows to move; the runs need {count * size:,}")
    for start in range(0, len(ids), size):
        yield ids[start : start + size]


def staff_user(db: Database) -> User:
    name = "bench.staff"
    return users.get_user(db, name) or users.add_user(
        db, users.CLI_ADMIN, name, "Bench Staff", Role.STAFF, users.random_password()
    )


def service(db: Database, user: User, ids: list[int]) -> int:
    """As the page does it: preview (rules per row), then apply the previewed versions."""
    preview = preview_status_change(db, user, ids, TO)
    return len(apply_status_change(db, user, preview.valid, TO).done)


def hand_sql(db: Database, user: User, ids: list[int]) -> int:
    """One INSERT of the events and one UPDATE, in one transaction."""
    now = utcnow()
    with db.transaction() as cur:
        cur.execute(
            "INSERT INTO activity_events"
            " (collab_id, occurred_at, actor, kind, from_status, to_status)"
            " SELECT id, ?, ?, 'status_changed', status, ? FROM collaborations"
            " WHERE id IN (SELECT unnest(?::BIGINT[])) AND status IN ('pending', 'negotiating')",
            [now, user.username, TO, ids],
        )
        changed = cur.execute(
            "UPDATE collaborations SET status = ?, version = version + 1, updated_at = ?"
            " WHERE id IN (SELECT unnest(?::BIGINT[])) AND status IN ('pending', 'negotiating')",
            [TO, now, ids],
        ).fetchone()
    return int(changed[0]) if changed else 0


def run(db: Database, repeat: int) -> BatchOutcome:
    print("  batch status change", flush=True)
    user = staff_user(db)
    size = batch_size(db, 2 * (repeat + 1))
    chunks = movable(db, 2 * (repeat + 1), size)
    done: dict[str, list[list[int]]] = {"service": [], "sql": []}

    def step(name: str, work: Callable[[Database, User, list[int]], int]) -> Callable[[], int]:
        def action() -> int:
            ids = next(chunks)
            done[name].append(ids)
            return work(db, user, ids)

        return action

    stats, results = compare({"service": step("service", service), "sql": step("sql", hand_sql)},
                             repeat)
    notes = [f"{name}: last batch changed {n:,} rows" for name, n in results.items()]
    correct = _check(db, done) and set(results.values()) == {size}
    return BatchOutcome(stats, correct, notes, size)


def _check(db: Database, done: dict[str, list[list[int]]]) -> bool:
    """Every chosen row moved, with exactly one new event each."""
    ids = [i for batches in done.values() for chunk in batches for i in chunk]
    moved, events = db.one(
        "SELECT count(*) FILTER (WHERE status = ?),"
        " (SELECT count(*) FROM activity_events WHERE kind = 'status_changed' AND to_status = ?"
        "  AND list_contains(?, from_status) AND collab_id IN (SELECT unnest(?::BIGINT[])))"
        " FROM collaborations WHERE id IN (SELECT unnest(?::BIGINT[]))",
        [TO, TO, list(FROM), ids, ids],
    ) or (0, 0)
    return moved == len(ids) and events == len(ids)
