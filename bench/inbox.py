"""Timings of the inbox's reads at scale (not part of the tests, no assertions on time).

    python -m bench.inbox --db /tmp/inbox-bench.duckdb [--messages 1000000]

`--db` is a database with demo data (`python -m lib demo --collaborations N` into it, or a copy
of bench/cache's pristine file); it is changed: messages are added until it holds `--messages`
(a quarter of them incoming, spread over every creator and two years), and a staff member who
has read a third of the threads. Then each read runs `--repeat` times after a warm-up; the
median and the range are printed.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable

from lib import inbox
from lib.db import Database, utcnow
from lib.inbox import InboxFilter
from lib.models import Role, User

READER = "bench.reader"


def add_messages(db: Database, wanted: int) -> None:
    have = db.value("SELECT count(*) FROM messages")
    if have >= wanted:
        return
    creators = db.value("SELECT max(id) FROM creators")
    db.rows(
        "INSERT INTO messages (creator_id, campaign_id, direction, kind, subject, body, state,"
        " created_at, created_by, channel, received_at)"
        " SELECT 1 + hash(i) % $creators, NULL, CASE WHEN i % 4 = 0 THEN 'in' ELSE 'out' END,"
        " 'message', 'Bench message ' || i, 'Body of message ' || i, CASE WHEN i % 4 = 0"
        " THEN 'recorded' ELSE 'sent' END, TIMESTAMP '2025-01-01' + to_seconds(hash(i * 7)"
        " % 63072000), 'bench', CASE WHEN i % 4 = 0 THEN 'chat' ELSE 'email' END, NULL"
        " FROM range($n) t(i)",
        {"creators": creators, "n": wanted - have},
    )


def reader(db: Database) -> User:
    row = db.one("SELECT id FROM users WHERE username = $u", {"u": READER})
    if row is None:
        db.rows("INSERT INTO users (username, name, role, password_hash, created_at)"
                " VALUES ($u, 'Bench Reader', 'staff', 'x', $now)", {"u": READER, "now": utcnow()})
        row = db.one("SELECT id FROM users WHERE username = $u", {"u": READER})
        # Read a third of the threads up to their newest message.
        db.rows(
            "INSERT INTO thread_reads SELECT $user, creator_id, max(id), false, $now"
            " FROM messages WHERE creator_id % 3 = 0 GROUP BY creator_id",
            {"user": row[0], "now": utcnow()},
        )
    return User(row[0], READER, "Bench Reader", "", Role.STAFF)


def timed(name: str, action: Callable[[], object], repeat: int) -> None:
    """Wall time, and the CPU time of the process (all of DuckDB's threads): on a machine that
    other work keeps busy, the CPU time says what the query itself costs."""
    action()  # warm-up
    walls, cpus = [], []
    for _ in range(repeat):
        start, cpu = time.perf_counter(), time.process_time()
        action()
        walls.append((time.perf_counter() - start) * 1000)
        cpus.append((time.process_time() - cpu) * 1000)
    print(f"{name:<50} {statistics.median(walls):7.1f} ms ({min(walls):.0f}–{max(walls):.0f})"
          f"  cpu {statistics.median(cpus):7.1f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--db", required=True)
    parser.add_argument("--messages", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    db = Database(args.db)
    add_messages(db, args.messages)
    user = reader(db)
    counts = {t: db.value(f"SELECT count(*) FROM {t}") for t in
              ("creators", "collaborations", "messages", "thread_reads")}
    print(", ".join(f"{v:,} {k}" for k, v in counts.items()))
    campaign = db.value("SELECT campaign_id FROM collaborations GROUP BY ALL"
                        " ORDER BY count(*) DESC LIMIT 1")
    tag = db.value("SELECT tag FROM creator_tags LIMIT 1")
    busiest = db.value("SELECT creator_id FROM messages GROUP BY ALL ORDER BY count(*) DESC"
                       " LIMIT 1")
    cases: list[tuple[str, Callable[[], object]]] = [
        ("list, no filter, page 1", lambda: inbox.list_creators(db, user)),
        ("list, no filter, page 2,000",
         lambda: inbox.list_creators(db, user, page=2_000)),
        ("list, search 'anna'", lambda: inbox.list_creators(db, user, InboxFilter("anna"))),
        (f"list, tag {tag!r}", lambda: inbox.list_creators(db, user, InboxFilter(tag=tag))),
        (f"list, campaign #{campaign} (with standings)",
         lambda: inbox.list_creators(db, user, InboxFilter(campaign_id=campaign))),
        ("unread total (the navigation, every run)", lambda: inbox.unread_total(db, user)),
        (f"thread of the busiest creator #{busiest}", lambda: inbox.thread(db, busiest)),
        ("mark read", lambda: inbox.mark_read(db, user, busiest)),
    ]
    for name, action in cases:
        timed(name, action, args.repeat)
    db.close()


if __name__ == "__main__":
    main()
