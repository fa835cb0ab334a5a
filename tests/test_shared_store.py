"""The shared PostgreSQL store (COLLABDESK_STORE, lib.pg_store): the guarantees of
docs/scale-out.md with two real processes, and the services on it.

The throwaway PostgreSQL cluster and the stores on it: tests/postgres.py.
"""

from __future__ import annotations

import json
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]
if __name__ == "__main__":  # a worker process: see _worker below
    sys.path.insert(0, str(ROOT))

from lib import config  # noqa: E402
from lib.db import Database, DuplicateKey  # noqa: E402
from lib.models import User  # noqa: E402
from lib.rules import RuleViolation  # noqa: E402
from lib.store import open_store  # noqa: E402
from tests.postgres import free_port  # noqa: E402

# --- running workers in other processes -----------------------------------------------------


def _run_two(role: str, url: str, *extra: str) -> list[dict]:
    """Two worker processes of `role` meeting at a barrier; what each reported."""
    meet = tempfile.mkdtemp(prefix="collabdesk-meet-")
    procs = [subprocess.Popen([sys.executable, __file__, role, me, url, meet, *extra],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for me in ("a", "b")]
    outs = []
    for proc in procs:
        out, err = proc.communicate(timeout=300)
        assert proc.returncode == 0, err[-3000:]
        outs.append(json.loads(out.strip().splitlines()[-1]))
    shutil.rmtree(meet, ignore_errors=True)
    return outs


def _barrier(me: str, meet: Path, step: str) -> None:
    (meet / f"{step}-{me}").touch()
    other = meet / f"{step}-{'b' if me == 'a' else 'a'}"
    while not other.exists():
        time.sleep(0.005)


def _staff(db: Database) -> User:
    from lib import users

    name = db.value("SELECT username FROM users WHERE role IN ('admin', 'manager') AND NOT"
                    " disabled ORDER BY id LIMIT 1")
    return users.get_user(db, name)


def _pending(db: Database) -> list[int]:
    return [i for (i,) in db.rows("SELECT id FROM collaborations WHERE status = 'pending'"
                                  " ORDER BY id LIMIT 48")]


def _worker(role: str, me: str, url: str, meet: Path, extra: list[str]) -> dict:
    from lib import collaborations, creators
    from lib.pg_store import PostgresDatabase

    if role == "migrate":
        _barrier(me, meet, "start")
        db = PostgresDatabase(url, pool_size=2)
        return {"version": db.schema_version()}
    db = PostgresDatabase(url, pool_size=3)
    user = _staff(db)
    if role == "status":
        ids = _pending(db)
        mine = ids[:32] if me == "a" else ids[16:]
        target = "negotiating" if me == "a" else "cancelled"
        preview = collaborations.preview_status_change(
            db, user, mine, target, None if me == "a" else "budget cut")
        _barrier(me, meet, "previewed")
        result = collaborations.apply_status_change(db, user, preview.valid, preview.target,
                                                    preview.reason)
        return {"applied": sorted(int(i) for i in result.done),
                "messages": sorted(set(result.refused.values()))}
    if role == "creator":
        fields = {"name": "Same Person", "platform": "instagram",
                  "handle": "@same_handle" if me == "a" else " Same_Handle"}
        _barrier(me, meet, "ready")
        try:
            return {"added": creators.add_creator(db, user, fields)}
        except Exception as error:  # the loser's message is what the test checks
            return {"error": type(error).__name__, "message": str(error)}
    if role == "import":
        from lib import imports

        data = ("name,handle,platform\n" + "".join(
            f"Shared Import {n},{'@' if me == 'a' else ''}shared.import{n},tiktok\n"
            for n in range(3))).encode()
        checked = imports.preview(db, user, "creators", data, f"{me}.csv")
        _barrier(me, meet, "previewed")
        try:
            return {"imported": len(imports.commit(db, user, checked).done)}
        except Exception as error:  # the loser's message is what the test checks
            return {"error": type(error).__name__, "message": str(error)}
    if role == "messages":
        return _message_worker(db, me, meet, [int(i) for i in extra[0].split(",")])
    if role == "killed":
        ids = [int(i) for i in extra[0].split(",")]

        def work(cur: Any) -> None:
            cur.execute("UPDATE collaborations SET version = version + 1, status = 'negotiating'"
                        " WHERE id IN (SELECT unnest(?::BIGINT[]))", [ids])
            for n in range(500):
                cur.execute("INSERT INTO activity_events (collab_id, occurred_at, actor, kind,"
                            " text) VALUES (?, now(), 'killed', 'note', ?)", [ids[0], f"n{n}"])
            (meet / "in-transaction").touch()
            time.sleep(600)  # killed here, before COMMIT

        db.write(work)
    raise AssertionError(f"unknown role {role}")


def _manager(db: Database, me: str) -> User:
    """Process a's or b's own person: the first or the second active manager."""
    from lib import users

    names = [n for (n,) in db.rows("SELECT username FROM users WHERE role = 'manager' AND NOT"
                                   " disabled ORDER BY id LIMIT 2")]
    return users.get_user(db, names[0 if me == "a" else 1])


MESSAGE_ROUNDS = 3


def _message_worker(db: Database, me: str, meet: Path, creator_ids: list[int]) -> dict:
    """Record replies and send e-mails (to the test's SMTP server) into the same threads as the
    other process, at once; also record one e-mail both processes were given (same Message-ID).
    Reports what was written and how each refusal reached the person."""
    import lib.inbox as inbox
    from lib.db import ConcurrentEditError

    user = _manager(db, me)
    out: dict[str, Any] = {"user": user.id, "incoming": [], "sent": [], "refused": [],
                           "failed": []}

    def attempt(what: str, call: Any) -> Any:
        try:
            return call()
        except (RuleViolation, ConcurrentEditError) as usual:  # what the person would read
            out["refused"].append([what, type(usual).__name__, str(usual)])
        except Exception as raw:  # a raw driver error: the test fails on it
            out["failed"].append([what, type(raw).__name__, str(raw)[:500]])
        return None

    _barrier(me, meet, "ready")
    for round_no in range(MESSAGE_ROUNDS):
        for cid in creator_ids:
            if round_no == 0:  # the same forwarded e-mail, recorded by both people at once
                attempt(f"shared {cid}", lambda cid=cid: inbox.record_incoming(
                    db, user, cid, inbox.Incoming("Fwd: rates", "Shared e-mail body",
                                                  message_id=f"<shared-{cid}@test>")))
            mid = attempt(f"reply {cid}", lambda cid=cid, round_no=round_no: inbox.record_incoming(
                db, user, cid, inbox.Incoming(f"Re {me}{round_no}", f"{me} round {round_no}",
                                              "chat")))
            if mid is not None:
                out["incoming"].append([cid, mid])
            sent = attempt(f"send {cid}", lambda cid=cid, round_no=round_no: inbox.send_message(
                db, user, cid, inbox.Draft(f"From {me} {round_no}", "Hello {first_name}")))
            if sent is not None:
                out["sent"].append([cid, sent.message_id, sent.error])
    return out


# --- the setting -----------------------------------------------------------------------------


def test_store_setting_defaults_to_the_file(monkeypatch: pytest.MonkeyPatch,
                                            tmp_path: Path) -> None:
    monkeypatch.delenv("COLLABDESK_STORE", raising=False)
    monkeypatch.setenv("COLLABDESK_DB", str(tmp_path / "x.duckdb"))
    assert config.store_url() is None
    db = open_store()
    assert type(db) is Database and db.path == tmp_path / "x.duckdb"
    db.close()


@pytest.mark.parametrize("value", ["duckdb:///x", "/srv/collabdesk.duckdb", "mysql://h/db",
                                   "postgresq://h/db", "http://h"])
def test_store_setting_refuses_what_is_not_postgresql(monkeypatch: pytest.MonkeyPatch,
                                                      value: str) -> None:
    monkeypatch.setenv("COLLABDESK_STORE", value)
    with pytest.raises(config.ConfigError, match="COLLABDESK_STORE must be a PostgreSQL URL"):
        config.store_url()


def test_duplicate_key_is_one_class_on_duckdb(tmp_path: Path) -> None:
    """DuckDB's unique violation reaches callers of write() as lib.db.DuplicateKey; other
    constraint errors stay DuckDB's own."""
    import duckdb

    db = Database(tmp_path / "d.duckdb")
    insert = "INSERT INTO clients (name) VALUES ('Acme')"
    db.write(lambda cur: cur.execute(insert))
    with pytest.raises(DuplicateKey, match=r"(?i)duplicate key"):
        db.write(lambda cur: cur.execute(insert))
    with pytest.raises(duckdb.ConstraintException):
        db.write(lambda cur: cur.execute("INSERT INTO clients (name) VALUES (NULL)"))
    assert db.value("SELECT count(*) FROM clients") == 1
    db.close()


# --- schema ----------------------------------------------------------------------------------


def test_migrations_apply_once_from_two_processes(store_url: str) -> None:
    from lib.pg_store import PostgresDatabase, migrations

    outs = _run_two("migrate", store_url)
    last = migrations()[-1][0]
    assert [out["version"] for out in outs] == [last, last]
    db = PostgresDatabase(store_url)
    assert db.rows("SELECT version FROM schema_version ORDER BY 1") == [
        (number,) for number, _, _ in migrations()]
    assert db.migrate() == []
    assert len(db.identity.id) == 32
    db.close()


def test_the_store_gets_the_indexes_a_row_store_needs(store_url: str) -> None:
    """lib/migrations_pg/indexes.sql: applied with the migrations, again at every start."""
    from lib.pg_store import MIGRATIONS_DIR, PostgresDatabase

    wanted = set(re.findall(r"CREATE INDEX IF NOT EXISTS (\w+)",
                            (MIGRATIONS_DIR / "indexes.sql").read_text()))
    assert {"collaborations_campaign", "messages_creator"} <= wanted
    for _ in range(2):  # a second server's start finds them there
        db = PostgresDatabase(store_url)
        found = {name for (name,) in db.rows("SELECT indexname FROM pg_indexes")}
        db.close()
        assert wanted <= found


def test_pg_migrations_number_like_the_duckdb_ones(pg_libs: None) -> None:
    from lib.db import _migrations
    from lib.pg_store import migrations

    assert [(n, name) for n, name, _ in migrations()] == [
        (n, name) for n, name, _ in _migrations()]


def test_the_creators_key_is_the_one_the_services_compute(pg_libs: None) -> None:
    """migrations_pg/011's unique index spells the handle key as lib.pg_store translates
    lib.creators.HANDLE_KEY; else PostgreSQL would not use it for the look-up."""
    from lib import creators
    from lib.pg_store import UNICODE_SPACES, migrations

    pattern = creators.handle_key("handle").split("'")[1].replace(r"\p{Z}", UNICODE_SPACES)
    assert f"'{pattern}'" in migrations()[-1][2]


# --- the guarantees with two processes ------------------------------------------------------


def test_batch_status_change_from_two_processes_loses_nothing(demo_store: str) -> None:
    from lib.pg_store import PostgresDatabase

    db = PostgresDatabase(demo_store)
    ids = _pending(db)
    assert len(ids) == 48
    events_before = db.value("SELECT count(*) FROM activity_events WHERE kind = 'status_changed'")
    a, b = _run_two("status", demo_store)
    applied = a["applied"] + b["applied"]
    assert len(applied) == len(set(applied)), "a row was changed by both"
    versions = dict(db.rows("SELECT id, version FROM collaborations"
                            " WHERE id IN (SELECT unnest(?::BIGINT[]))", [ids]))
    assert {i for i, v in versions.items() if v == 2} == set(applied)
    assert all(v in (1, 2) for v in versions.values())
    events = db.value("SELECT count(*) FROM activity_events WHERE kind = 'status_changed'")
    assert events - events_before == len(applied)
    # The 16 rows both previewed went to exactly one of them; the other was told as usual.
    overlap = set(ids[16:32])
    assert overlap <= set(applied)
    loser = a if not overlap <= set(a["applied"]) else b
    assert loser["messages"] and all("someone else" in m for m in loser["messages"])
    db.close()


def test_the_same_creator_added_by_two_processes_is_stored_once(demo_store: str) -> None:
    from lib.pg_store import PostgresDatabase

    outs = _run_two("creator", demo_store)
    added = [out for out in outs if "added" in out]
    refused = [out for out in outs if "error" in out]
    assert len(added) == 1 and len(refused) == 1, outs
    assert refused[0]["error"] == "RuleViolation"
    assert "already exists" in refused[0]["message"], refused[0]
    db = PostgresDatabase(demo_store)
    assert db.value("SELECT count(*) FROM creators WHERE lower(handle) LIKE"
                    " '%same\\_handle%'") == 1
    db.close()


def test_the_same_creators_imported_by_two_processes_are_stored_once(demo_store: str) -> None:
    """Both previewed the file before either wrote: one import writes the three creators, the
    other is refused whole (nothing of it written) with a message naming the clash."""
    from lib.pg_store import PostgresDatabase

    outs = _run_two("import", demo_store)
    assert sorted(out.get("imported", 0) for out in outs) == [0, 3], outs
    refused = [out for out in outs if "error" in out]
    assert len(refused) == 1 and refused[0]["error"] == "RuleViolation", outs
    db = PostgresDatabase(demo_store)
    assert db.value("SELECT count(*) FROM creators WHERE handle LIKE '%shared.import%'") == 3
    db.close()


def test_a_process_killed_mid_batch_leaves_nothing(demo_store: str) -> None:
    from lib import collaborations
    from lib.pg_store import PostgresDatabase

    db = PostgresDatabase(demo_store)
    ids = _pending(db)[:50]
    before = db.rows("SELECT id, status, version FROM collaborations"
                     " WHERE id IN (SELECT unnest(?::BIGINT[])) ORDER BY id", [ids])
    events = db.value("SELECT count(*) FROM activity_events")
    meet = Path(tempfile.mkdtemp(prefix="collabdesk-kill-"))
    proc = subprocess.Popen([sys.executable, __file__, "killed", "a", demo_store, str(meet),
                             ",".join(map(str, ids))], stderr=subprocess.PIPE, text=True)
    try:
        while not (meet / "in-transaction").exists():
            assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
            time.sleep(0.01)
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=60)
    assert db.rows("SELECT id, status, version FROM collaborations"
                   " WHERE id IN (SELECT unnest(?::BIGINT[])) ORDER BY id", [ids]) == before
    assert db.value("SELECT count(*) FROM activity_events") == events
    # The rows take a write at once: the dead server's transaction is gone with its connection.
    user = _staff(db)
    preview = collaborations.preview_status_change(db, user, ids, "negotiating", None)
    result = collaborations.apply_status_change(db, user, preview.valid, preview.target, None)
    assert len(result.done) == len(preview.valid) > 0 and not result.refused
    shutil.rmtree(meet, ignore_errors=True)
    db.close()


def test_messages_from_two_processes_into_the_same_threads(demo_store: str,
                                                           smtp_server: Any) -> None:
    """Two people on two servers record replies and send e-mails to the same six creators at
    once. Every message is stored once, each e-mail went out once and is recorded sent, the
    e-mail both were given is recorded once (the other told so), and each person's unread
    counts hold every reply the other recorded (neither opened a thread)."""
    import lib.inbox as inbox
    from lib.pg_store import PostgresDatabase

    db = PostgresDatabase(demo_store)
    creator_ids = [i for (i,) in db.rows(
        "SELECT id FROM creators WHERE email LIKE '%@%' ORDER BY id LIMIT 6")]
    before = db.value("SELECT coalesce(max(id), 0) FROM messages")
    people = {user.id: user for user in (_manager(db, "a"), _manager(db, "b"))}

    def unread_of(person: User) -> dict[int, int]:
        page = inbox.list_creators(db, person, inbox.InboxFilter(), page_size=100)
        counts = dict(zip(page.rows["id"], page.rows["unread"], strict=True))
        return {cid: int(counts[cid]) for cid in creator_ids}

    # The unread messages elsewhere (the demo's threads), which this test leaves alone.
    elsewhere = {uid: inbox.unread_total(db, p) - sum(unread_of(p).values())
                 for uid, p in people.items()}
    outs = _run_two("messages", demo_store, ",".join(map(str, creator_ids)))
    for out in outs:
        assert out["failed"] == [], out["failed"]  # never a raw driver error
        # A conflict reaches the person as the usual message; only the shared e-mail may be
        # refused outright.
        for what, kind, message in out["refused"]:
            assert (kind == "RuleViolation" and what.startswith("shared")
                    and "recorded in the thread already" in message) or (
                kind == "ConcurrentEditError" and "Try again" in message), (what, message)
    new = db.rows("SELECT id, creator_id, direction, created_by, state, message_id_header"
                  " FROM messages WHERE id > ? ORDER BY id", [before])
    by_id = {row[0]: row for row in new}
    written = [mid for out in outs for _, mid in out["incoming"]] + [
        mid for out in outs for _, mid, _ in out["sent"]]
    shared = [row for row in new if (row[5] or "").startswith("<shared-")]
    assert len(written) == len(set(written)), "one id reported twice"
    assert set(written) == set(by_id) - {row[0] for row in shared}, "lost or unreported rows"
    # The e-mail both recorded: once per thread, and the other person was told.
    assert sorted(row[1] for row in shared) == sorted(creator_ids)
    told = [w for out in outs for w, kind, _ in out["refused"] if kind == "RuleViolation"]
    assert sorted(told) == sorted(f"shared {cid}" for cid in creator_ids)
    # Each e-mail: sent, recorded sent with its Message-ID, received by the server once.
    sent = [(cid, mid) for out in outs for cid, mid, error in out["sent"] if error is None]
    assert len(sent) == sum(len(out["sent"]) for out in outs), "an e-mail failed"
    assert all(by_id[mid][4] == "sent" and by_id[mid][5] for _, mid in sent)
    headers = [str(m["Message-ID"]) for m in smtp_server.messages]
    assert len(headers) == len(set(headers)) == len(sent)
    assert sorted(by_id[mid][5] for _, mid in sent) == sorted(headers)
    # Threads: every message once, in its creator's thread.
    for cid in creator_ids:
        items, _ = inbox.thread(db, cid)
        ids = [item.id for item in items if item.source == "message"]
        assert len(ids) == len(set(ids))
        assert {mid for mid, row in by_id.items() if row[1] == cid} <= set(ids)
    # Unread: nobody opened a thread, so every reply the other person recorded is unread.
    for me, other in (outs, outs[::-1]):
        person = people[me["user"]]
        unread = unread_of(person)
        seen = dict(db.rows("SELECT creator_id, last_read_id FROM thread_reads"
                            " WHERE user_id = ?", [person.id]))
        for cid in creator_ids:
            others = [mid for c, mid in other["incoming"] if c == cid]
            assert all(mid > seen.get(cid, 0) for mid in others), (
                f"a reply of the other person counts as read in thread {cid}")
            expected = db.value("SELECT count(*) FROM messages WHERE creator_id = ? AND"
                                " direction = 'in' AND id > ?", [cid, seen.get(cid, 0)])
            assert unread[cid] == expected >= len(others)
        assert inbox.unread_total(db, person) == elsewhere[person.id] + sum(unread.values())
        for cid in creator_ids:
            inbox.mark_read(db, person, cid)
        assert inbox.unread_total(db, person) == elsewhere[person.id]
    db.close()


@pytest.mark.parametrize("meanwhile", ["records a reply", "opens the thread"])
def test_a_reply_not_yet_committed_stays_unread_for_the_others(
        demo_store: str, smtp_server: Any, meanwhile: str) -> None:
    """B's reply is written but not yet committed when A, on another server, records a reply
    of their own to the same thread (or opens it after an e-mail went out): A's read mark must
    not pass over B's reply, whose id is lower than what A saw. Each step is ordered by the
    test (B held before COMMIT until A is done or waits for B), so it fails every time the
    marks are wrong."""
    import threading
    from contextlib import contextmanager

    import lib.inbox as inbox
    from lib.pg_store import PostgresDatabase

    class HeldBeforeCommit(PostgresDatabase):
        """B's server: its first transaction stops before COMMIT until released."""

        written, release = threading.Event(), threading.Event()

        @contextmanager
        def transaction(self) -> Iterator[Any]:
            with super().transaction() as cur:
                yield cur
                if not self.written.is_set():
                    self.written.set()
                    self.release.wait()

    db = PostgresDatabase(demo_store)
    held = HeldBeforeCommit(demo_store)
    a, b = _manager(db, "a"), _manager(held, "b")
    cid = db.value("SELECT min(id) FROM creators WHERE email LIKE '%@%'")
    inbox.mark_read(db, a, cid)
    results: dict[str, Any] = {}

    def run(name: str, call: Any) -> threading.Thread:
        def body() -> None:
            try:
                results[name] = call()
            except Exception as error:  # checked below
                results[name] = error
        thread = threading.Thread(target=body)
        thread.start()
        return thread

    replying = run("b", lambda: inbox.record_incoming(held, b, cid, inbox.Incoming("Re", "B's")))
    HeldBeforeCommit.written.wait()
    if meanwhile == "records a reply":
        acting = run("a", lambda: inbox.record_incoming(db, a, cid, inbox.Incoming("Re", "A's")))
    else:  # an e-mail goes out (committed, a higher id than B's reply), then A opens the thread
        inbox.send_message(db, a, cid, inbox.Draft("Hello", "Hello {first_name}"))
        acting = run("a", lambda: inbox.mark_read(db, a, cid))
    while acting.is_alive() and not db.value(
            "SELECT count(*) FROM pg_locks WHERE NOT granted"):
        acting.join(0.01)  # until A is done, or waits for B's transaction
    HeldBeforeCommit.release.set()
    replying.join()
    acting.join()
    assert isinstance(results["b"], int) and not isinstance(results.get("a"), Exception), results
    last_read = db.value("SELECT last_read_id FROM thread_reads WHERE user_id = ? AND"
                         " creator_id = ?", [a.id, cid])
    assert results["b"] > last_read, "B's reply counts as read for A, who never saw it"
    page = inbox.list_creators(db, a, inbox.InboxFilter(), page_size=100)
    assert dict(zip(page.rows["id"], page.rows["unread"], strict=True))[cid] >= 1
    held.close()
    db.close()


def test_generation_counts_every_servers_commits(demo_store: str) -> None:
    """A server's cached reads are keyed on the generation: it must move when another server
    writes."""
    from lib import creators
    from lib.pg_store import PostgresDatabase

    one, two = PostgresDatabase(demo_store), PostgresDatabase(demo_store)
    seen = one.generation
    creators.add_tag(two, _staff(two), int(two.value("SELECT min(id) FROM creators")), "vip")
    assert one.generation > seen
    one.close()
    two.close()


# --- the services on both stores --------------------------------------------------------------


@pytest.fixture(scope="module")
def both_stores(pg_cluster: str, demo_file: Path,
                tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Database, Database]]:
    """The same demo data in a DuckDB file and in a PostgreSQL store, each with its first admin."""
    import psycopg

    from lib import users
    from lib.pg_store import PostgresDatabase, copy_from_duckdb

    copy = tmp_path_factory.mktemp("both") / "demo.duckdb"
    shutil.copy(demo_file, copy)
    duck = Database(copy)
    with psycopg.connect(f"{pg_cluster}/postgres", autocommit=True) as admin:
        admin.execute("CREATE DATABASE collabdesk_both")
    pg = PostgresDatabase(f"{pg_cluster}/collabdesk_both")
    copy_from_duckdb(demo_file, pg)
    for db in (duck, pg):
        users.ensure_first_admin(db)
    yield duck, pg
    duck.close()
    pg.close()


def _read_calls() -> dict[str, Any]:
    """A service read per page, called alike on both stores (db, admin, ids from the data)."""
    import datetime as dt

    import lib.campaigns as campaigns
    import lib.deliveries as deliveries
    import lib.inbox as inbox
    from lib import audit, creators, feedback, notifications, progress, reports, reviewers, users
    from lib import collaborations as co

    week = str(reports.last_full_week(dt.date(2026, 3, 1)))
    return {
        "users.list_users": lambda db, me, ids: users.list_users(db),
        "collaborations.list_collaborations": lambda db, me, ids: co.list_collaborations(
            db, co.CollabFilter()),
        "collaborations.list_collaborations(search, sort)": lambda db, me, ids:
            co.list_collaborations(db, co.CollabFilter(search="a"), sort="creator"),
        "collaborations.matching_versions": lambda db, me, ids: co.matching_versions(
            db, co.CollabFilter()),
        "collaborations.get_collaboration": lambda db, me, ids: co.get_collaboration(
            db, ids["collab"]),
        "collaborations.timeline": lambda db, me, ids: co.timeline(db, ids["collab"]),
        "collaborations.payments": lambda db, me, ids: co.payments(db, ids["collab"]),
        "creators.all_tags": lambda db, me, ids: creators.all_tags(db),
        "creators.validation_badges": lambda db, me, ids: creators.validation_badges(
            db, ids["creators"]),
        "inbox.list_creators": lambda db, me, ids: inbox.list_creators(db, me),
        "inbox.thread": lambda db, me, ids: inbox.thread(db, ids["creator"])[1],
        "inbox.unread_total": lambda db, me, ids: inbox.unread_total(db, me),
        "inbox.creator_card": lambda db, me, ids: inbox.creator_card(db, ids["creator"]),
        "campaigns.list_campaigns": lambda db, me, ids: campaigns.list_campaigns(db),
        "campaigns.get_campaign": lambda db, me, ids: campaigns.get_campaign(
            db, ids["campaign"]),
        "campaigns.list_applications": lambda db, me, ids: campaigns.list_applications(
            db, ids["campaign"]),
        "campaigns.list_agreements": lambda db, me, ids: campaigns.list_agreements(
            db, ids["campaign"]),
        "campaigns.search_creators": lambda db, me, ids: campaigns.search_creators(
            db, campaigns.CreatorSearch()),
        "campaigns.needs_attention": lambda db, me, ids: campaigns.needs_attention(db),
        "deliveries.list_shipments": lambda db, me, ids: deliveries.list_shipments(
            db, deliveries.DeliveryFilter()),
        "deliveries.summary": lambda db, me, ids: deliveries.summary(db),
        "deliveries.summary_by_campaign": lambda db, me, ids: deliveries.summary_by_campaign(db),
        "notifications.list_notifications": lambda db, me, ids:
            notifications.list_notifications(db, me),
        "progress.status_counts_by_week": lambda db, me, ids: progress.status_counts_by_week(db),
        "progress.funnel": lambda db, me, ids: progress.funnel(db),
        "progress.median_days_by_stage": lambda db, me, ids: progress.median_days_by_stage(db),
        # A date range: the parameters are cast (`?::DATE`), which needs lib.pg_store's rewrite.
        "progress.status_counts_by_week(dates)": lambda db, me, ids:
            progress.status_counts_by_week(db, date_from=dt.date(2025, 6, 1),
                                           date_to=dt.date(2026, 2, 1)),
        "progress.funnel(dates)": lambda db, me, ids: progress.funnel(
            db, date_from=dt.date(2025, 6, 1), date_to=dt.date(2026, 2, 1)),
        "feedback.campaign_choices": lambda db, me, ids: feedback.campaign_choices(db),
        "feedback.campaign_summary": lambda db, me, ids: feedback.campaign_summary(
            db, ids["campaign"]),
        "audit.list_events": lambda db, me, ids: audit.list_events(db, me),
        "reviewers.list_reviewers": lambda db, me, ids: reviewers.list_reviewers(
            db, ids["campaign"]),
        "reports.weekly_report": lambda db, me, ids: reports.weekly_report(
            db, me, reports.ReportScope(campaign_id=ids["campaign"]), week).sections,
    }


def _ids(db: Database) -> dict[str, Any]:
    return {
        "collab": db.value("SELECT min(id) FROM collaborations"),
        "creator": db.value("SELECT min(creator_id) FROM messages"),
        "creators": [i for (i,) in db.rows("SELECT id FROM creators ORDER BY id LIMIT 20")],
        "campaign": db.value("SELECT min(id) FROM campaigns WHERE status <> 'draft'"),
    }


def _shape(result: Any) -> Any:
    """What must agree between the stores: sizes, totals, keys (values may differ in type:
    a Decimal here, a float there)."""
    import pandas as pd

    from lib.db import Page

    if isinstance(result, Page):
        return ("page", result.total, len(result.rows), sorted(result.rows.columns))
    if isinstance(result, pd.DataFrame):
        return ("frame", result.shape, sorted(map(str, result.columns)))
    if isinstance(result, dict):
        return ("dict", sorted(map(str, result)), [_shape(v) for v in result.values()
                                                   if isinstance(v, (pd.DataFrame, Page))])
    if isinstance(result, (list, tuple)):
        return ("list", len(result))
    return ("value", result)


@pytest.mark.parametrize("name", sorted(_read_calls()))
def test_service_reads_agree_on_both_stores(both_stores: tuple[Database, Database],
                                            name: str) -> None:
    from lib import users

    call = _read_calls()[name]
    shapes = []
    for db in both_stores:
        shapes.append(_shape(call(db, users.get_user(db, "admin"), _ids(db))))
    assert shapes[0] == shapes[1]


_ROWS = "WITH t(k, g, v, d) AS (VALUES (1, 'a', 10, DATE '2026-01-05'), (2, 'a', NULL,"\
        " DATE '2026-01-20'), (3, 'b', 30, DATE '2026-02-02')) "
# DuckDB SQL the services use that sqlglot alone does not carry to PostgreSQL (lib.pg_store's
# rewrites), with parameters: each must give the same rows on both stores.
TRANSLATED = [
    (_ROWS + "SELECT g, count(*) AS n, max(k) FROM t GROUP BY ALL ORDER BY g", ()),
    (_ROWS + "SELECT count(*) FROM (SELECT * FROM t WHERE k > ?)", [1]),
    (_ROWS + "SELECT g, arg_max(k, (d, k)) AS last_k, arg_min(v, k) FILTER (WHERE k > 1)"
     " AS v FROM t GROUP BY g ORDER BY g", ()),
    (_ROWS + "SELECT k, struct_pack(g := g, v := v) AS s FROM t ORDER BY k", ()),
    (_ROWS + "SELECT k FROM t WHERE contains(lower(g), ?) ORDER BY k", ["a"]),
    (_ROWS + "SELECT g, any_value(g) AS same FROM t GROUP BY g ORDER BY g", ()),
    ("SELECT list_position(['x', 'y', 'z'], ?)", ["y"]),
    ("SELECT count(*) FROM (SELECT unnest(generate_series(DATE '2026-01-01',"
     " DATE '2026-01-29', INTERVAL 7 DAY))::DATE AS week)", ()),
    (_ROWS + "SELECT k FROM t WHERE k IN (SELECT unnest(?::BIGINT[])) ORDER BY k", [[1, 3]]),
    (_ROWS + "SELECT k FROM t WHERE ($g IS NULL OR g = $g) AND k > $k ORDER BY k",
     {"g": None, "k": 1}),
    (_ROWS + "SELECT k, '100%' AS pct FROM t WHERE g LIKE ? ORDER BY k", ["a%"]),
    (_ROWS + ", shown AS (SELECT k, g AS sort_key, v FROM t)"
     " SELECT shown.* EXCLUDE (sort_key), 1 AS total FROM shown ORDER BY k", ()),
]


@pytest.mark.parametrize(("sql", "params"), TRANSLATED)
def test_duckdb_sql_gives_the_same_rows_on_postgres(both_stores: tuple[Database, Database],
                                                    sql: str, params: Any) -> None:
    duck, pg = both_stores
    assert pg.rows(sql, params) == duck.rows(sql, params)


def test_sql_nothing_can_translate_names_the_fix(pg_libs: None) -> None:
    from lib.pg_store import UntranslatedSQL, to_postgres

    with pytest.raises(UntranslatedSQL, match=r"lib/sql_pg\.py"):
        to_postgres("SELECT * EXCLUDE (a) FROM (SELECT 1 AS a, 2 AS b)")


def test_service_writes_run_on_postgres(demo_store: str) -> None:
    """A note, a tag, a status change, a thread read and a user, through the services."""
    import lib.inbox as inbox
    from lib import collaborations, creators, users
    from lib.models import Role
    from lib.pg_store import PostgresDatabase

    db = PostgresDatabase(demo_store)
    users.ensure_first_admin(db)
    admin = users.get_user(db, "admin")
    assert admin is not None
    ids = _ids(db)
    collaborations.add_note(db, admin, ids["collab"], "Called them; 100% on board.")
    assert "100% on board" in collaborations.timeline(db, ids["collab"]).to_string()
    assert creators.add_tag(db, admin, ids["creator"], "Shared Store") in creators.tags_of(
        db, ids["creator"])
    inbox.mark_read(db, admin, ids["creator"])
    users.add_user(db, admin, "second.server", "Second Server", Role.STAFF, "correct horse 1")
    assert users.get_user(db, "second.server").role is Role.STAFF
    with pytest.raises(RuleViolation, match="is taken"):
        users.add_user(db, admin, "second.server", "Again", Role.STAFF, "correct horse 1")
    db.close()


# --- every statement of lib/ on PostgreSQL ----------------------------------------------------
# Two ways to find the statements: every SQL text in lib/ that DuckDB itself takes as a whole
# statement (literals, and module constants built at import), PREPAREd on PostgreSQL after
# translation; and every statement the services ran on DuckDB through broad flows (list pages
# with each filter and sort, writes of every kind), with the values they ran with, EXPLAINed on
# PostgreSQL (the f-strings built at run time among them). EXPLAIN plans without running.

SQL_START = re.compile(r"^\s*(SELECT|INSERT|UPDATE|DELETE|WITH)\b", re.IGNORECASE)
# Modules that never run on the shared store: the demo builder (DuckDB bulk SQL; its rows are
# copied in), the store itself, snapshots and the SQL console (refused there), lib.db (DuckDB).
NOT_ON_THE_SHARED_STORE = ("lib.demo", "lib.pg_store", "lib.snapshots", "lib.console",
                           "lib.console_worker", "lib.db", "lib.__main__", "lib.migrations")


def _lib_modules() -> list[tuple[str, Path]]:
    found = []
    for file in sorted((ROOT / "lib").rglob("*.py")):
        name = ".".join(file.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")
        if not name.startswith(NOT_ON_THE_SHARED_STORE):
            found.append((name, file))
    return found


def _sql_texts() -> dict[str, str]:
    """Every SQL text of lib/ (its module's name by the text): string literals that are not
    a piece of an f-string, and string constants of the modules as imported."""
    import ast
    import importlib

    texts: dict[str, str] = {}
    for name, file in _lib_modules():
        tree = ast.parse(file.read_text())
        pieces = {id(part) for node in ast.walk(tree) if isinstance(node, ast.JoinedStr)
                  for part in node.values}
        for node in ast.walk(tree):
            if (isinstance(node, ast.Constant) and isinstance(node.value, str)
                    and id(node) not in pieces and SQL_START.match(node.value)):
                texts.setdefault(node.value, name)
        for value in vars(importlib.import_module(name)).values():
            if isinstance(value, str) and SQL_START.match(value):
                texts.setdefault(value, name)
    return texts


def _whole_statements(texts: dict[str, str]) -> dict[str, str]:
    """The texts DuckDB prepares against the schema: whole statements, not fragments."""
    whole = {}
    duck = Database(":memory:")
    with duck.cursor() as cur:
        for sql, name in texts.items():
            try:
                cur.execute(f"PREPARE probe AS {sql}")
                cur.execute("DEALLOCATE probe")
            except Exception:  # a fragment (or a template with {holes}): the flows cover it
                continue
            whole[sql] = name
    duck.close()
    return whole


def _numbered(text: str) -> str:
    """psycopg's placeholders (%s, %(name)s) as PREPARE's $1, $2 (a name keeps its number)."""
    numbers: dict[object, int] = {}

    def number(match: re.Match) -> str:
        if match.group(0) == "%%":
            return "%"
        key = match.group(1) or object()
        numbers.setdefault(key, len(numbers) + 1)
        return f"${numbers[key]}"

    return re.sub(r"%%|%\((\w+)\)s|%s", number, text)


@dataclass
class Ran:
    """One statement a service ran (or, with `table`, a batch it registered as `sql`)."""

    module: str
    sql: str
    params: Any
    table: Any = None


def _calling_module() -> str:
    """The lib module whose code issued the statement (lib.db's helpers passed over)."""
    frame = sys._getframe(2)
    while frame is not None:
        file = Path(frame.f_code.co_filename)
        if file.is_relative_to(ROOT / "lib") and file.name != "db.py":
            return ".".join(file.relative_to(ROOT).with_suffix("").parts)
        frame = frame.f_back
    return "?"


class _RecordingCursor:
    """A DuckDB cursor that notes each statement before running it."""

    def __init__(self, cur: Any, log: list[Ran]) -> None:
        self._cur, self._log = cur, log

    def execute(self, sql: str, params: Any = None) -> _RecordingCursor:
        module = _calling_module()  # "?": the test's own set-up
        if module != "?" and sql.split()[0].upper() not in ("BEGIN", "COMMIT", "ROLLBACK"):
            self._log.append(Ran(module, sql, params))
        self._cur.execute(sql, params) if params is not None else self._cur.execute(sql)
        return self

    def register(self, name: str, table: Any) -> _RecordingCursor:
        self._log.append(Ran(_calling_module(), name, None, table))
        self._cur.register(name, table)
        return self

    def __getattr__(self, name: str) -> Any:
        return getattr(self._cur, name)

    def __enter__(self) -> _RecordingCursor:
        return self

    def __exit__(self, *exc: object) -> None:
        self._cur.close()


class _RecordingDatabase(Database):
    log: list[Ran]

    def cursor(self) -> Any:
        cur = super().cursor()
        return _RecordingCursor(cur, self.log) if hasattr(self, "log") else cur


def _flows(db: Database, smtp: Any) -> list[tuple[str, Any]]:
    """Broad service flows on the demo data: every list with each filter and sort, the
    pickers, reports, and writes of every kind. (name, call); a call may end in a refusal."""
    import dataclasses
    import datetime as dt
    from decimal import Decimal

    import lib.campaigns as ca
    import lib.deliveries as de
    import lib.inbox as inbox
    from lib import (
        audit,
        collaborations,
        creators,
        feedback,
        imports,
        notifications,
        progress,
        reports,
        reviewers,
        sessions,
        users,
    )
    from lib.models import CampaignFields, Role, ShipmentChange, Terms

    admin = users.get_user(db, "admin")
    ids = _ids(db)
    campaign, collab, creator = ids["campaign"], ids["collab"], ids["creator"]
    client = db.value("SELECT client_id FROM campaign_ownership WHERE campaign_id = ?",
                      [campaign])
    shipment = db.value("SELECT min(id) FROM shipments")
    item = db.value("SELECT min(id) FROM content_items WHERE approval = 'pending'")
    # Collaborations whose state lets every write through: terms open, shipments allowed.
    talking = db.value("SELECT min(id) FROM collaborations WHERE status = 'negotiating'")
    fulfilling = db.value("SELECT min(id) FROM collaborations WHERE status = 'fulfilling'")
    client_name = db.value("SELECT name FROM clients WHERE id = ?", [client])
    campaign_name = db.value("SELECT name FROM campaigns WHERE id = ?", [campaign])
    handle, platform = db.one("SELECT handle, platform FROM creators WHERE id = ?", [creator])
    feedback_id = db.value("SELECT min(id) FROM feedback")
    day = dt.date(2026, 1, 15)
    filt = collaborations.CollabFilter(search="a", statuses=("pending", "negotiating"),
                                       client_id=client, campaign_id=campaign, tag="vip",
                                       created_from=dt.date(2025, 1, 1), created_to=day)
    shipped = de.DeliveryFilter(statuses=("in_transit", "exception"), campaign_id=campaign,
                                client_id=client, carrier="DHL", in_transit_days=3,
                                exceptions_open=True, search="a")
    soon = dt.date.today() + dt.timedelta(days=7)  # a campaign still ahead takes applications
    terms = Terms("One reel", Decimal("250"), "EUR", soon, soon + dt.timedelta(days=30), "")
    fields = CampaignFields("Shared Store Flow", client, admin.id, "Brief", soon,
                            soon + dt.timedelta(days=60), Decimal("1000"), "EUR")
    new_campaign: dict[str, int] = {}

    def campaign_flow() -> None:
        new_campaign["id"] = cid = ca.create_campaign(db, admin, fields)
        version = db.value("SELECT version FROM campaigns WHERE id = ?", [cid])
        ca.edit_campaign(db, admin, cid, version, dataclasses.replace(fields, name="Flow 2"))
        ca.set_campaign_status(db, admin, cid, "open")
        ca.add_applications(db, admin, cid, [creator, *ids["creators"][:3]])
        app_id, app_version = db.one("SELECT id, version FROM applications WHERE"
                                     " campaign_id = ? ORDER BY id LIMIT 1", [cid])
        ca.change_stage(db, admin, cid, app_id, app_version, "selected")
        ca.send_agreement(db, admin, cid, app_id, terms)
        ca.record_response(db, admin, cid, app_id, "accepted")
        ca.set_campaign_status(db, admin, cid, "closed")
        ca.preview_start(db, cid)
        ca.start_collaborations(db, admin, cid)

    def reviewer_flow() -> None:
        reviewers.invite(db, admin, campaign, ["client.reviewer@example.com"])
        rid = db.value("SELECT max(id) FROM reviewers")
        reviewers.list_reviewers(db, campaign)
        reviewers.feedback_count(db, rid)
        reviewers.resend_link(db, admin, rid)
        reviewers.regenerate_link(db, admin, rid)
        token = reviewers.new_token()  # the link's token as the reviewer's e-mail holds it
        db.write(lambda cur: cur.execute(
            "INSERT INTO reviewer_tokens VALUES (?, ?, now(), 'flow')",
            [reviewers.token_hash(token), rid]))
        link = reviewers.open_link(db, token, record_visit=True)
        shown = reviewers.campaign_creators(db, link)
        reviewers.campaign_content(db, link)
        subject = int(shown.rows["id"].iloc[0]) if len(shown.rows) else creator
        reviewers.own_threads(db, link, "creator", [subject])
        reviewers.submit_feedback(db, token, "creator", subject, "Looks right", "approve")
        reviewers.creator_report(db, token, subject)
        reviewers.remove_reviewer(db, admin, rid, reviewers.feedback_count(db, rid))

    def retry_flow() -> None:
        address = db.value("SELECT email FROM creators WHERE id = ?", [creator])
        smtp.refuse.add(address.lower())
        failed = inbox.send_message(db, admin, creator, inbox.Draft("Hi", "Hello again"))
        smtp.refuse.clear()
        inbox.retry(db, admin, failed.message_id)

    def session_flow() -> None:
        session = sessions.start(db, admin)
        sessions.check(db, session.session_id, "admin")
        sessions.expires_at(db, session.session_id)
        sessions.revoke(db, session.session_id)

    csv_creators = b"name,handle,platform\nFlow One,@flow.one,tiktok\nFlow Two,flow.two,youtube\n"
    return [
        *[(name, lambda call=call: call(db, admin, ids)) for name, call in _read_calls().items()],
        *[(f"collaborations sorted by {sort}", lambda sort=sort: collaborations.list_collaborations(
            db, filt, sort=sort, descending=False, page=2)) for sort in collaborations.SORTS],
        ("collaborations.matching_versions", lambda: collaborations.matching_versions(db, filt)),
        ("collaborations.content", lambda: collaborations.content(db, collab)),
        ("collaborations.shipments", lambda: collaborations.shipments(db, collab)),
        ("collaborations.clients_for_filter", lambda: collaborations.clients_for_filter(db)),
        ("campaigns.list_campaigns", lambda: ca.list_campaigns(
            db, ca.CampaignFilter("a", client, ("open", "running")), page=2)),
        ("campaigns pickers", lambda: (ca.campaign_choices(db, client), ca.owners(db),
                                       ca.clients(db))),
        ("campaigns.list_applications", lambda: ca.list_applications(db, campaign, ("applied",))),
        ("campaigns.search_creators", lambda: ca.search_creators(db, ca.CreatorSearch(
            "a", "vip", "instagram", 1, 10**9), campaign, page=2)),
        ("campaigns.preview_start", lambda: ca.preview_start(db, campaign)),
        *[(f"shipments sorted by {sort}", lambda sort=sort: de.list_shipments(
            db, shipped, sort=sort, page=2)) for sort in de.SORTS],
        ("deliveries pickers", lambda: (de.matching_ids(db, shipped), de.carriers(db),
                                        de.clients_for_filter(db),
                                        de.for_collaboration(db, collab),
                                        de.shippable(db, campaign))),
        ("deliveries.summary", lambda: (de.summary(db, campaign, client),
                                        de.summary_by_campaign(db))),
        ("deliveries.export_addresses", lambda: de.export_addresses(db, admin, campaign)),
        ("inbox.list_creators", lambda: inbox.list_creators(
            db, admin, inbox.InboxFilter("a", campaign, "vip"), page=2)),
        ("inbox side panels", lambda: (
            inbox.matching_creator_ids(db, inbox.InboxFilter("a", campaign, "vip")),
            inbox.creator_campaigns(db, creator), inbox.campaign_permission(db, creator, campaign),
            inbox.collaborations_of(db, creator), inbox.asset_collaborations(db, creator),
            inbox.notes_of(db, creator), inbox.payments_of(db, creator),
            inbox.agreements_of(db, creator), inbox.assets_of(db, collab))),
        ("inbox.plan_messages", lambda: inbox.plan_messages(
            db, admin, inbox.Draft("About {campaign}", "Hi {first_name}", campaign), [creator])),
        *[(f"feedback.subjects {kind} {show}", lambda kind=kind, show=show: feedback.subjects(
            db, campaign, kind, show)) for kind in ("creator", "content")
          for show in ("all", "pending", "approved", "declined", "unanswered")],
        ("feedback reads", lambda: (
            feedback.threads(db, campaign, "creator", ids["creators"]),
            feedback.latest_versions(db, collab), feedback.campaign_collaborations(db, campaign))),
        ("progress", lambda: [call(db, campaign, client, dt.date(2025, 1, 1), day) for call in (
            progress.status_counts_by_week, progress.status_totals_by_week, progress.funnel,
            progress.median_days_by_stage)]),
        ("reports.weekly_report (client)", lambda: reports.weekly_report(
            db, admin, reports.ReportScope(client_id=client), "2026-W05")),
        ("reports.clients", lambda: (reports.clients(db), reports.find_client(db, client_name))),
        ("audit.list_events", lambda: audit.list_events(db, admin, "admin", page=2)),
        ("notifications", lambda: (notifications.unread_count(db, admin),
                                   notifications.mark_read(db, admin, [1, 2]))),
        ("users reads", lambda: (users.login_credentials(db), users.count_users(db),
                                 users.attempt_login(db, "admin", "wrong password"))),
        ("collaborations.list_collaborations (each status)", lambda: collaborations.
         list_collaborations(db, collaborations.CollabFilter(statuses=("fulfilling",)))),
        # writes
        ("collaboration writes", lambda: (
            collaborations.add_note(db, admin, talking, "Flow note"),
            collaborations.record_payment(db, admin, fulfilling, "12.50", "EUR", day, "ref"),
            collaborations.record_content(db, admin, fulfilling, "https://example.com/p/1",
                                          "post", day),
            collaborations.update_terms(db, admin, talking, collaborations.get_collaboration(
                db, talking)["version"], terms))),
        ("collaborations.change_status", lambda: collaborations.change_status(
            db, admin, talking, collaborations.get_collaboration(db, talking)["version"],
            "cancelled", "flow")),
        ("collaborations batch", lambda: collaborations.apply_status_change(
            db, admin, *(lambda p: (p.valid, p.target, p.reason))(
                collaborations.preview_status_change(db, admin, _pending(db)[:5],
                                                     "negotiating", None)))),
        ("creator writes", lambda: (
            creators.add_creator(db, admin, {"name": "Flow", "platform": "instagram",
                                             "handle": "@flow.creator"}),
            creators.add_tag(db, admin, creator, "flow"),
            creators.remove_tag(db, admin, creator, "flow"),
            creators.set_validation_override(db, admin, creator, "verified"),
            creators.set_validation_override(db, admin, creator, None))),
        ("import creators", lambda: imports.commit(db, admin, imports.preview(
            db, admin, "creators", csv_creators, "flow.csv"))),
        ("import collaborations", lambda: imports.commit(db, admin, imports.preview(
            db, admin, "collaborations", (
                "campaign_id,campaign,handle,platform,status,compensation,currency,deliverables\n"
                f"{campaign},{campaign_name},{handle},{platform},pending,100,EUR,One post\n"
            ).encode(), "collabs.csv"), leave_out_failing=True)),
        ("campaign workflow", campaign_flow),
        ("campaign client", lambda: ca.add_client(db, admin, "Flow Client")),
        ("shipments", lambda: (
            de.create_shipment(db, admin, fulfilling, "Sample box", "DHL"),
            de.update_shipment(db, admin, shipment, db.value(
                "SELECT version FROM shipments WHERE id = ?", [shipment]),
                ShipmentChange(shipment, tracking_number="TRACK1")))),
        ("inbox writes", lambda: (
            inbox.record_incoming(db, admin, creator, inbox.Incoming("Re", "Flow reply")),
            inbox.mark_unread(db, admin, creator), inbox.mark_read(db, admin, creator),
            inbox.send_message(db, admin, creator, inbox.Draft("Hi", "Hello {first_name}")),
            inbox.send_asset(db, admin, fulfilling, "coupon_code", "FLOW10"))),
        ("inbox.retry", retry_flow),
        ("feedback writes", lambda: (
            feedback.submit_content(db, admin, fulfilling, "https://example.com/v/2", "reel"),
            feedback.review_content(db, admin, item, "approved"),
            feedback.answer(db, admin, feedback_id, "Thanks", "reply"))),
        ("reviewers", reviewer_flow),
        ("users writes", lambda: (
            users.add_user(db, admin, "flow.user", "Flow User", Role.STAFF, "correct horse 1"),
            users.set_role(db, admin, "flow.user", "admin"),
            users.set_role(db, admin, "flow.user", "manager"),  # an admin demoted: the guard
            users.reset_password(db, admin, "flow.user", "correct horse 2"),
            users.attempt_login(db, "flow.user", "correct horse 2"),
            users.set_disabled(db, admin, "flow.user", True))),
        ("sessions", session_flow),
    ]


@pytest.fixture(scope="module")
def ran_on_duckdb(demo_file: Path, tmp_path_factory: pytest.TempPathFactory) -> list[Ran]:
    """Every statement the flows ran on a DuckDB copy of the demo data, with its values (an
    SMTP server of its own on 127.0.0.1 takes the e-mails)."""
    from aiosmtpd.controller import Controller

    from lib import users
    from lib.db import ConcurrentEditError, NotFound
    from tests.conftest import LocalSMTP

    copy = tmp_path_factory.mktemp("flows") / "demo.duckdb"
    shutil.copy(demo_file, copy)
    db = _RecordingDatabase(copy)
    users.ensure_first_admin(db)
    db.log = []
    smtp = LocalSMTP()
    smtp.port = free_port()
    controller = Controller(smtp, hostname="127.0.0.1", port=smtp.port)
    controller.start()
    unexpected = []
    try:
        with pytest.MonkeyPatch.context() as patch:
            for name, value in smtp.env().items():
                patch.setenv(name, value)
            patch.setenv("COLLABDESK_BASE_URL", "https://collabdesk.example.com")
            for name, call in _flows(db, smtp):
                try:
                    call()
                except (RuleViolation, NotFound, PermissionError, ConcurrentEditError):
                    pass  # a refusal: the statements up to it ran (the coverage check counts)
                except Exception as error:  # a flow written wrong: say which
                    unexpected.append(f"{name}: {type(error).__name__}: {error}")
    finally:
        controller.stop()
        db.close()
    assert not unexpected, "\n".join(unexpected)
    return db.log


def test_every_statement_the_services_ran_explains_on_postgres(
        both_stores: tuple[Database, Database], ran_on_duckdb: list[Ran]) -> None:
    """Each statement the flows ran on DuckDB, translated and bound with the values it ran
    with, is planned by PostgreSQL (EXPLAIN: nothing runs), batches registered as they were."""
    import psycopg

    from lib.pg_store import UntranslatedSQL

    _, pg = both_stores
    failed, explained = [], set()
    with pg.cursor() as cur:
        cur.execute("BEGIN")  # one transaction, rolled back: the batches' tables go with it
        for step in ran_on_duckdb:
            if step.table is not None:
                cur.register(step.sql, step.table)
                continue
            try:
                cur.explain(step.sql, step.params)
                explained.add((step.module, " ".join(step.sql.split())))
            except (UntranslatedSQL, psycopg.Error) as error:
                failed.append(f"{step.module}: {str(error).splitlines()[0][:200]}\n"
                              f"  {' '.join(step.sql.split())[:400]}")
        cur.execute("ROLLBACK")
    modules = {module for module, _ in explained}
    assert not failed, f"{len(failed)} of {len(ran_on_duckdb)} fail:\n" + "\n".join(
        dict.fromkeys(failed))
    # What the flows reach (265 distinct statements of 30 modules when written): less means a
    # flow now stops early, and the statements after that point go unchecked.
    assert len(explained) >= 250 and len(modules) >= 29, (len(explained), sorted(modules))


def test_every_sql_text_of_lib_prepares_on_postgres(store_url: str,
                                                    ran_on_duckdb: list[Ran]) -> None:
    """Each whole statement written in lib/ translates and PREPAREs. One whose parameter has
    no type until a value is bound (`$x IS NULL OR ...`) must be among those the flows
    ran with values."""
    import psycopg

    from lib.pg_store import PostgresDatabase, UntranslatedSQL, to_postgres

    PostgresDatabase(store_url).close()  # migrated
    statements = _whole_statements(_sql_texts())
    failed, untyped = [], []
    with psycopg.connect(store_url, autocommit=True) as conn:
        for n, (sql, module) in enumerate(statements.items()):
            try:
                conn.execute(f"PREPARE q{n} AS {_numbered(to_postgres(sql))}")
                conn.execute(f"DEALLOCATE q{n}")
            except (psycopg.errors.AmbiguousParameter, psycopg.errors.IndeterminateDatatype):
                untyped.append(sql)
            except (UntranslatedSQL, psycopg.Error) as error:
                failed.append(f"{module}: {str(error).splitlines()[0][:200]}\n  {sql[:300]}")
    assert len(statements) > 150  # the walk found lib's SQL
    assert not failed, "\n".join(failed)
    ran = "\n".join(" ".join(step.sql.split()) for step in ran_on_duckdb)
    missing = [sql for sql in untyped if " ".join(sql.split()) not in ran]  # as run, or inside
    assert not missing, "typed only at run time, and no flow runs it:\n" + "\n".join(missing)


if __name__ == "__main__":
    print(json.dumps(_worker(sys.argv[1], sys.argv[2], sys.argv[3], Path(sys.argv[4]),
                             sys.argv[5:])), flush=True)
