"""Do the store's guarantees hold on a shared-store candidate, with two real processes?

    python bench/scaleout/guarantees.py ENGINE        (ENGINE: see engines.ENGINES)

1. stale edit: two processes read a row's version, both update it (the services' pattern:
   read, check the version, UPDATE ... version = version + 1, add an event, in one transaction).
   Exactly one may commit; the other must get a write conflict, and on its retry see the new
   version (the "someone changed this" message). Repeated ROUNDS times.
2. duplicate: two processes insert the same handle (a unique index on lower(handle)) at once;
   exactly one row may result, the other process gets an error.
3. kill: a process writes an update and EVENTS events in one transaction and is killed -9
   before it commits; nothing of it may remain, and the row must be writable afterwards.

The processes meet at a barrier made of files in a temp folder (no timing in the checks).
Prints one line per check: PASS/FAIL and what was seen.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from contextlib import suppress
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import engines

ROUNDS = 10
EVENTS = 500
WAIT_S = 60.0  # the longest a process waits at the barrier before giving up

SCHEMA = [
    "DROP TABLE IF EXISTS so_events",
    "DROP TABLE IF EXISTS so_items",
    "DROP SEQUENCE IF EXISTS so_items_id_seq",
    "DROP SEQUENCE IF EXISTS so_events_id_seq",
    "CREATE SEQUENCE so_items_id_seq START 1",
    "CREATE SEQUENCE so_events_id_seq START 1",
    "CREATE TABLE so_items (id BIGINT PRIMARY KEY DEFAULT nextval('so_items_id_seq'),"
    " handle VARCHAR NOT NULL, status VARCHAR NOT NULL, version INTEGER NOT NULL DEFAULT 1)",
    "CREATE UNIQUE INDEX so_items_handle_key ON so_items (lower(handle))",
    "CREATE TABLE so_events (id BIGINT PRIMARY KEY DEFAULT nextval('so_events_id_seq'),"
    " item_id BIGINT NOT NULL, actor VARCHAR NOT NULL, text VARCHAR)",
]


# What an engine without sequences, keys or unique indexes (DuckLake) can hold.
PLAIN_SCHEMA = [
    "DROP TABLE IF EXISTS so_events",
    "DROP TABLE IF EXISTS so_items",
    "CREATE TABLE so_items (id BIGINT DEFAULT 1, handle VARCHAR NOT NULL,"
    " status VARCHAR NOT NULL, version INTEGER NOT NULL DEFAULT 1)",
    "CREATE TABLE so_events (id BIGINT, item_id BIGINT NOT NULL, actor VARCHAR NOT NULL,"
    " text VARCHAR)",
]


def wait_for(path: Path) -> None:
    deadline = time.monotonic() + WAIT_S
    while not path.exists():
        if time.monotonic() > deadline:
            raise TimeoutError(f"no {path.name} within {WAIT_S} s")
        time.sleep(0.01)


# --- the workers (each in its own process) -----------------------------------------------------


def stale_edit(db: engines.Any, me: str, meet: Path, expected: int) -> dict:
    """The services' write: re-read, check the version the person saw, update, add an event.
    A write conflict is retried from a fresh transaction, as lib.db.Database.write does."""
    for attempt in range(5):
        db.begin()
        try:
            (version,) = db.run("SELECT version FROM so_items WHERE id = 1")[0]
            if attempt == 0:
                (meet / f"read-{me}").touch()
                wait_for(meet / f"read-{'b' if me == 'a' else 'a'}")
            if version != expected:
                db.rollback()
                return {"outcome": "stale", "attempts": attempt + 1}
            db.run("UPDATE so_items SET status = ?, version = version + 1 WHERE id = 1", [me])
            db.run("INSERT INTO so_events (item_id, actor, text) VALUES (1, ?, 'status')", [me])
            db.commit()
            return {"outcome": "saved", "attempts": attempt + 1}
        except Exception as error:
            seen = engines.kind(error)
            with suppress(Exception):  # aborted already, or nothing to drop
                db.rollback()
            if seen != "conflict":
                return {"outcome": "error", "error": str(error)[:300]}
    return {"outcome": "gave up"}


def duplicate(db: engines.Any, me: str, meet: Path) -> dict:
    db.begin()
    try:
        db.run("SELECT count(*) FROM so_items")  # both snapshots start before either insert
        (meet / f"begun-{me}").touch()
        wait_for(meet / f"begun-{'b' if me == 'a' else 'a'}")
        # PostgreSQL blocks the second insert until the first commits, then refuses it;
        # DuckDB refuses it at once or at commit.
        db.run("INSERT INTO so_items (handle, status) VALUES (?, ?)",
               ["Same_x" if me == "a" else "SAME_X", me])
        db.commit()
        return {"outcome": "saved"}
    except Exception as error:
        with suppress(Exception):  # aborted already, or nothing to drop
            db.rollback()
        return {"outcome": "refused", "kind": engines.kind(error), "error": str(error)[:300]}


def killed(db: engines.Any, me: str, meet: Path) -> dict:
    db.begin()
    db.run("UPDATE so_items SET status = 'half-done', version = version + 1 WHERE id = 1")
    for n in range(EVENTS):
        db.run("INSERT INTO so_events (item_id, actor, text) VALUES (1, ?, ?)", [me, f"e{n}"])
    (meet / f"written-{me}").touch()
    time.sleep(WAIT_S)  # killed here, before COMMIT
    db.commit()
    return {"outcome": "committed (should have been killed)"}


def worker(engine: str, test: str, me: str, meet: str, arg: str) -> None:
    db = engines.connect(engine)
    if test == "stale":
        result = stale_edit(db, me, Path(meet), int(arg))
    elif test == "duplicate":
        result = duplicate(db, me, Path(meet))
    else:
        result = killed(db, me, Path(meet))
    print(json.dumps(result), flush=True)
    db.close()


# --- the checks (in the parent process) --------------------------------------------------------


def spawn(engine: str, test: str, me: str, meet: Path, arg: str = "") -> subprocess.Popen:
    return subprocess.Popen([sys.executable, __file__, engine, "--worker", test, me, str(meet),
                             arg], stdout=subprocess.PIPE, text=True)


def both(engine: str, test: str, arg: str = "") -> list[dict]:
    with tempfile.TemporaryDirectory() as meet:
        procs = [spawn(engine, test, me, Path(meet), arg) for me in ("a", "b")]
        outs = [p.communicate(timeout=WAIT_S * 2)[0] for p in procs]
    return [json.loads(out.strip().splitlines()[-1]) if out.strip() else {"outcome": "crashed"}
            for out in outs]


def setup(db: engines.Any, schema: list[str]) -> None:
    for sql in schema:
        db.run_native(sql)
    db.run("INSERT INTO so_items (handle, status) VALUES ('first', 'new')")


def check_stale(engine: str, db: engines.Any) -> str:
    bad: list[str] = []
    retries: list[int] = []  # write conflicts the loser of each round met
    for expected in range(1, ROUNDS + 1):
        results = both(engine, "stale", str(expected))
        outcomes = sorted(r["outcome"] for r in results)
        (version,) = db.run("SELECT version FROM so_items WHERE id = 1")[0]
        loser = [r for r in results if r["outcome"] == "stale"]
        if loser:
            retries.append(loser[0]["attempts"] - 1)
        if outcomes != ["saved", "stale"] or version != expected + 1:
            bad.append(f"round {expected}: {results}, version {version}")
    (events,) = db.run("SELECT count(*) FROM so_events")[0]
    if events != ROUNDS:
        bad.append(f"{events} events for {ROUNDS} saved edits")
    if any(n == 0 for n in retries):
        bad.append(f"a loser saw no write conflict: retries {retries}")
    retried = f"; the loser met a write conflict, retried, saw the new version ({retries})"
    if bad:
        return "FAIL " + " | ".join(bad)
    return f"PASS {ROUNDS} rounds: one saved, one stale{retried}"


def check_duplicate(engine: str, db: engines.Any) -> str:
    results = both(engine, "duplicate")
    (rows,) = db.run("SELECT count(*) FROM so_items WHERE lower(handle) = 'same_x'")[0]
    outcomes = sorted(r["outcome"] for r in results)
    verdict = "PASS" if rows == 1 and outcomes == ["refused", "saved"] else "FAIL"
    refused = [r for r in results if r["outcome"] == "refused"]
    how = f" ({refused[0]['kind']}: {refused[0]['error'][:120]})" if refused else ""
    return f"{verdict} {rows} row(s), outcomes {outcomes}{how}"


def check_kill(engine: str, db: engines.Any) -> str:
    (before,) = db.run("SELECT version FROM so_items WHERE id = 1")[0]
    with tempfile.TemporaryDirectory() as meet:
        proc = spawn(engine, "kill", "k", Path(meet))
        wait_for(Path(meet) / "written-k")
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
    (events,) = db.run("SELECT count(*) FROM so_events WHERE actor = 'k'")[0]
    (version, status) = db.run("SELECT version, status FROM so_items WHERE id = 1")[0]
    # The row must take a write again: a transaction left open by the dead client would
    # keep conflicting with it.
    started = time.monotonic()
    write = "ok"
    for _ in range(30):
        db.begin()
        try:
            db.run("UPDATE so_items SET status = 'after-kill' WHERE id = 1")
            db.commit()
            break
        except Exception as error:
            write = f"{engines.kind(error)}: {str(error)[:100]}"
            with suppress(Exception):  # aborted already, or nothing to drop
                db.rollback()
            time.sleep(1)
    else:
        return f"FAIL the row stays locked after the kill ({write})"
    ok = events == 0 and version == before and status != "half-done"
    waited = time.monotonic() - started
    return (f"{'PASS' if ok else 'FAIL'} after kill -9: {events} of {EVENTS} events, version"
            f" {before}->{version}; row writable again after {waited:.1f} s")


def main() -> None:
    engine = sys.argv[1]
    if len(sys.argv) > 2 and sys.argv[2] == "--worker":
        worker(engine, *sys.argv[3:7])
        return
    db = engines.connect(engine)
    try:
        setup(db, SCHEMA)
    except Exception as error:
        print(f"{engine}: schema refused: {type(error).__name__}: {str(error)[:300]}")
        print(f"{engine}: going on without sequences, keys and the unique index")
        setup(db, PLAIN_SCHEMA)
    for name, check in (("stale edit", check_stale), ("duplicate", check_duplicate),
                        ("kill mid-transaction", check_kill)):
        try:
            print(f"{engine}: {name}: {check(engine, db)}", flush=True)
        except Exception as error:
            print(f"{engine}: {name}: ERROR {type(error).__name__}: {str(error)[:300]}")
    db.close()


if __name__ == "__main__":
    main()
