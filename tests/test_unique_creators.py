"""Issue 14, point 4: one creator per platform and handle, enforced by the store.

Migration 011 merges the duplicates an older database holds (built here at schema version 10,
before 011 existed), then a unique index refuses new ones; the services turn a refusal into a
message, also when two people add the same creator at the same moment.
"""

from __future__ import annotations

import datetime as dt
import functools
import gc
import json
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import duckdb
import pytest
from streamlit.testing.v1 import AppTest

from lib import creators, imports
from lib import db as db_module
from lib.batches import BatchResult
from lib.db import Database
from lib.models import Role, User, ValidationStatus
from lib.rules import RuleViolation
from tests.conftest import World, assert_ok, labelled, login, texts

T0 = dt.datetime(2026, 3, 2, 9, 0)
BEFORE_011 = 10


def open_before_011(path: Path, monkeypatch: pytest.MonkeyPatch) -> Database:
    """A database file at the schema before migration 011 (as a deployed one would be)."""
    every = db_module._migrations()
    with monkeypatch.context() as patch:
        patch.setattr(db_module, "_migrations",
                      lambda: [m for m in every if m[0] <= BEFORE_011])
        database = Database(path)
    assert database.schema_version() < 11
    return database


def one(cur: duckdb.DuckDBPyConnection, sql: str, params: list[Any] | None = None) -> Any:
    return cur.execute(sql + " RETURNING id", params or []).fetchone()[0]


def craft_duplicates(database: Database) -> dict[str, int]:
    """Ada three times on Instagram ('ada', ' @Ada', 'ADA'), once on TikTok; each copy with
    rows in every table that references creators, and rows referencing those rows."""
    ids: dict[str, int] = {}
    with database.transaction() as cur:
        for name in ("anna", "ben"):
            ids[name] = one(cur, "INSERT INTO users (username, name, role, password_hash,"
                            " created_at) VALUES (?, ?, 'staff', 'x', ?)", [name, name, T0])
        client = one(cur, "INSERT INTO clients (name) VALUES ('Acme')")
        for camp in ("spring", "summer"):
            ids[camp] = one(cur, "INSERT INTO campaigns (client_id, name, start_date, end_date,"
                            " budget, created_at) VALUES (?, ?, '2026-03-01', '2026-06-30', 1, ?)",
                            [client, camp, T0])
        for key, handle, platform, email in (
            ("ada", "ada", "instagram", None), ("ada2", " @Ada", "instagram", "ada@example.com"),
            ("ada3", "ADA", "instagram", None), ("tiktok", "ada", "tiktok", None),
        ):
            ids[key] = one(cur, "INSERT INTO creators (name, handle, platform, email, created_at)"
                           " VALUES (?, ?, ?, ?, ?)", [f"Ada {key}", handle, platform, email, T0])
        for creator, tag in (("ada", "x"), ("ada2", "x"), ("ada2", "y"), ("ada3", "z"),
                             ("tiktok", "x")):
            cur.execute("INSERT INTO creator_tags VALUES (?, ?)", [ids[creator], tag])
        for key, camp, creator in (("c1", "spring", "ada"), ("c2", "spring", "ada2"),
                                   ("c3", "summer", "ada3"), ("c4", "summer", "tiktok")):
            ids[key] = one(cur, "INSERT INTO collaborations (campaign_id, creator_id, status,"
                           " created_at, updated_at) VALUES (?, ?, 'fulfilling', ?, ?)",
                           [ids[camp], ids[creator], T0, T0])
            cur.execute("INSERT INTO activity_events (collab_id, occurred_at, actor, kind)"
                        " VALUES (?, ?, 'anna', 'created')", [ids[key], T0])
        cur.execute("INSERT INTO payments (collab_id, amount, currency, paid_on, created_at,"
                    " created_by) VALUES (?, 100, 'EUR', '2026-03-05', ?, 'anna')", [ids["c2"], T0])
        ids["item"] = one(cur, "INSERT INTO content_items (collab_id, url, kind, delivered_on,"
                          " created_at, created_by) VALUES (?, 'https://x.test/p', 'post',"
                          " '2026-03-06', ?, 'anna')", [ids["c2"], T0])
        cur.execute("INSERT INTO shipments (collab_id, item, status_changed_at, created_at)"
                    " VALUES (?, 'Box', ?, ?)", [ids["c3"], T0, T0])
        reviewer = one(cur, "INSERT INTO reviewers (campaign_id, email, invited_at, invited_by)"
                       " VALUES (?, 'r@client.test', ?, 'anna')", [ids["spring"], T0])
        cur.execute("INSERT INTO feedback (campaign_id, reviewer_id, creator_id, body, created_at)"
                    " VALUES (?, ?, ?, 'Great fit', ?)", [ids["spring"], reviewer, ids["ada2"], T0])
        cur.execute("INSERT INTO feedback (campaign_id, reviewer_id, content_item_id, verdict,"
                    " created_at) VALUES (?, ?, ?, 'approve', ?)",
                    [ids["spring"], reviewer, ids["item"], T0])
        # Ada and her second copy both applied to spring: one application must give way.
        for key, camp, creator in (("a1", "spring", "ada"), ("a2", "spring", "ada2"),
                                   ("a3", "summer", "ada3")):
            ids[key] = one(cur, "INSERT INTO applications (campaign_id, creator_id, source,"
                           " stage, created_at, updated_at) VALUES (?, ?, 'applied', 'selected',"
                           " ?, ?)", [ids[camp], ids[creator], T0, T0])
            cur.execute("INSERT INTO campaign_events (campaign_id, application_id, occurred_at,"
                        " actor, kind) VALUES (?, ?, ?, 'anna', 'applied')",
                        [ids[camp], ids[key], T0])
        for app in ("a2", "a3"):
            cur.execute("INSERT INTO agreements (application_id, deliverables, compensation,"
                        " currency, sent_at, deadline, sent_by) VALUES (?, '1 reel', 10, 'EUR',"
                        " ?, ?, 'anna')", [ids[app], T0, T0 + dt.timedelta(days=3)])
        for key, creator in (("m1", "ada2"), ("m2", "ada3"), ("m3", "ada")):
            ids[key] = one(cur, "INSERT INTO messages (creator_id, direction, kind, body,"
                           " created_at, created_by) VALUES (?, 'in', 'message', ?, ?, 'anna')",
                           [ids[creator], key, T0])
        cur.execute("INSERT INTO assets (collab_id, kind, value, message_id, created_at,"
                    " created_by) VALUES (?, 'coupon_code', 'ADA10', ?, ?, 'anna')",
                    [ids["c2"], ids["m1"], T0])
        for user, creator, last, unread in (("anna", "ada", 30, False),
                                            ("anna", "ada2", 20, True),
                                            ("ben", "ada3", 25, False)):
            cur.execute("INSERT INTO thread_reads VALUES (?, ?, ?, ?, ?)",
                        [ids[user], ids[creator], last, unread, T0])
    return ids


REFERENCING = ("collaborations", "applications", "messages", "creator_tags", "feedback",
               "thread_reads")
BELOW = ("activity_events", "payments", "content_items", "shipments", "assets", "agreements",
         "campaign_events")


def table_rows(database: Database, table: str) -> list[dict[str, Any]]:
    return [json.loads(r[0]) for r in database.rows(f"SELECT to_json(t) FROM {table} t")]


def test_the_migration_merges_duplicates_losing_nothing(tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "old.duckdb"
    old = open_before_011(path, monkeypatch)
    ids = craft_duplicates(old)
    before = {t: table_rows(old, t) for t in REFERENCING + BELOW}
    old.close()

    database = Database(path)  # 011 runs
    ada, merged = ids["ada"], {ids["ada2"], ids["ada3"]}
    assert database.rows("SELECT id, email FROM creators ORDER BY id") == [
        (ada, "ada@example.com"), (ids["tiktok"], None)]  # the e-mail came from the copy

    archive = [(t, r, json.loads(d)) for t, r, d in database.rows(
        "SELECT table_name, reason, row_data FROM creator_merge_archive")]
    # Every row that referenced a copy now references Ada, unless its unique key clashed.
    for table in REFERENCING:
        now = table_rows(database, table)
        for row in before[table]:
            moved = {**row, "creator_id": ada if row["creator_id"] in merged
                     else row["creator_id"]}
            if table == "thread_reads":
                continue  # merged below
            kept = moved in now or (table, row) in [(t, d) for t, _, d in archive]
            if table == "creator_tags":
                kept = kept or {**moved, "creator_id": ada} in now
            if table == "feedback" and row["creator_id"] is None:
                kept = row in now
            assert kept, (table, row)
    # ... and every row below them is back with its own id and values, or archived with them.
    for table in BELOW:
        now = table_rows(database, table)
        for row in before[table]:
            assert row in now or (table, row) in [(t, d) for t, _, d in archive], (table, row)

    # The clash: both copies applied to spring; Ada's own application stays, the copy's is
    # archived with its agreement and workflow event.
    assert {(t, r) for t, r, _ in archive} == {
        ("applications", "the survivor has a row with the same unique key"),
        ("agreements", "the row it referenced was archived"),
        ("campaign_events", "the row it referenced was archived")}
    assert database.rows("SELECT id FROM applications WHERE creator_id = ? ORDER BY id",
                         [ada]) == [(ids["a1"],), (ids["a3"],)]
    assert database.rows("SELECT tag FROM creator_tags WHERE creator_id = ? ORDER BY tag",
                         [ada]) == [("x",), ("y",), ("z",)]
    # Read state: the lowest mark, unread if either thread was marked unread.
    assert database.rows("SELECT user_id, last_read_id, marked_unread FROM thread_reads"
                         " ORDER BY user_id") == [(ids["anna"], 20, True), (ids["ben"], 25, False)]
    assert database.value("SELECT count(*) FROM collaborations WHERE creator_id = ?", [ada]) == 3

    # Recorded: one row per merged copy, and a note on each collaboration that moved.
    merges = database.rows("SELECT merged_id, survivor_id, moved, archived, actor"
                           " FROM creator_merges ORDER BY merged_id")
    assert [(m[0], m[1], m[3], m[4]) for m in merges] == [
        (ids["ada2"], ada, 1, "migration 011"), (ids["ada3"], ada, 0, "migration 011")]
    assert "collaborations 1" in merges[0][2] and "messages 1" in merges[0][2]
    notes = database.rows("SELECT collab_id, text FROM activity_events WHERE kind = 'note'"
                          " ORDER BY collab_id")
    assert [n[0] for n in notes] == [ids["c2"], ids["c3"]]
    assert f"creator #{ids['ada2']}" in notes[0][1] and f"creator #{ada}" in notes[0][1]

    # Nothing of the migration's working tables is left, and the store now refuses a copy.
    assert database.value("SELECT count(*) FROM duckdb_tables() WHERE table_name ="
                          " 'creator_merge_plan' OR starts_with(table_name,"
                          " 'creator_merge_stage_')") == 0
    with pytest.raises(duckdb.ConstraintException):
        database.value("INSERT INTO creators (name, handle, platform, created_at)"
                       " VALUES ('Copy', '@ADA', 'instagram', now()) RETURNING id")
    database.close()


def test_a_crash_half_way_through_the_merge_loses_nothing(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Step 3 fails after the referencing rows were staged (committed): the next start picks
    the staged rows up and finishes the merge."""
    path = tmp_path / "old.duckdb"
    old = open_before_011(path, monkeypatch)
    craft_duplicates(old)
    counts = {t: old.value(f"SELECT count(*) FROM {t}") for t in BELOW}
    old.close()

    every = db_module._migrations()
    step = next(s for n, _, s in every if n == 11)

    def crash(*args: Any) -> None:
        raise RuntimeError("power cut")

    crashing = [(n, name, functools.partial(_with, step, "_merge", crash) if n == 11 else s)
                for n, name, s in every]
    monkeypatch.setattr(db_module, "_migrations", lambda: crashing)
    with pytest.raises(RuntimeError, match="power cut"):
        Database(path)
    monkeypatch.undo()
    gc.collect()  # the connection of the Database that failed to open

    database = Database(path)
    assert database.schema_version() >= 11
    assert {t: database.value(f"SELECT count(*) FROM {t}") for t in BELOW} == {
        **counts, "agreements": counts["agreements"] - 1,
        "campaign_events": counts["campaign_events"] - 1,
        "activity_events": counts["activity_events"] + 2}  # two notes; one application clashed
    assert database.value("SELECT count(*) FROM creators") == 2
    database.close()


def _with(step: Callable[..., None], name: str, replacement: Callable[..., None],
          cur: duckdb.DuckDBPyConnection) -> None:
    """Run the migration step with one of its functions replaced."""
    saved = step.__globals__[name]
    step.__globals__[name] = replacement
    try:
        step(cur)
    finally:
        step.__globals__[name] = saved


# --- the store and the services -------------------------------------------------------------

ADA = {"name": "Ada Lovelace", "handle": "ada", "platform": "instagram",
       "email": "ada@example.com"}
# Ways of writing Ada's Instagram handle that name the same account.
SAME_HANDLE = ["ADA", "@ada", " ada ", "@Ada ", "\u00a0@aDa\t", "@@ada", "\u3000ada"]


def test_migration_and_service_use_one_handle_key() -> None:
    step = next(s for n, _, s in db_module._migrations() if n == 11)
    assert step.__globals__["HANDLE_KEY"] == creators.HANDLE_KEY


@pytest.mark.parametrize("handle", SAME_HANDLE)
def test_the_store_refuses_a_second_creator_however_the_handle_is_written(
        db: Database, handle: str) -> None:
    """Written straight into the store, past every service: the unique index refuses it."""
    db.value("INSERT INTO creators (name, handle, platform, created_at)"
             " VALUES ('Ada', 'ada', 'instagram', now()) RETURNING id")
    with pytest.raises(duckdb.ConstraintException, match="Duplicate key"):
        db.value("INSERT INTO creators (name, handle, platform, created_at)"
                 " VALUES ('Copy', ?, 'instagram', now()) RETURNING id", [handle])
    # Another platform is another account; an inner difference is another handle.
    for platform, other in (("tiktok", handle), ("instagram", "ada_"), ("instagram", "a.da")):
        db.value("INSERT INTO creators (name, handle, platform, created_at)"
                 " VALUES ('Other', ?, ?, now()) RETURNING id", [other, platform])
    assert db.value("SELECT count(*) FROM creators") == 4


@pytest.mark.parametrize("handle", [*SAME_HANDLE, "ＡＤＡ", "＠ada", "ａｄａ "])
def test_adding_the_same_creator_again_names_the_one_that_exists(
        db: Database, people: dict[Role, User], handle: str) -> None:
    staff = people[Role.STAFF]
    ada = creators.add_creator(db, staff, ADA)
    with pytest.raises(RuleViolation) as refused:
        creators.add_creator(db, staff, {**ADA, "name": "Someone Else", "handle": handle})
    assert str(refused.value) == (
        f"A creator with that handle on Instagram already exists: Ada Lovelace (#{ada}).")
    assert db.value("SELECT count(*) FROM creators") == 1


@pytest.mark.parametrize("handle", ["a da", "ada\u200b", "a\u00a0da", "ad@a", "ada\x07", "@"])
def test_a_handle_with_spaces_or_invisible_characters_inside_is_refused(
        db: Database, people: dict[Role, User], handle: str) -> None:
    with pytest.raises(RuleViolation, match="handle"):
        creators.add_creator(db, people[Role.STAFF], {**ADA, "handle": handle})
    assert db.value("SELECT count(*) FROM creators") == 0


def test_a_viewer_cannot_add_creators(db: Database, people: dict[Role, User]) -> None:
    with pytest.raises(PermissionError):
        creators.add_creator(db, people[Role.VIEWER], ADA)
    assert db.value("SELECT count(*) FROM creators") == 0


def test_the_badge_flags_a_handle_used_on_another_platform_by_another_name(
        db: Database, people: dict[Role, User]) -> None:
    staff = people[Role.STAFF]
    full = {**ADA, "phone": "+49 30 1234", "address": "Main St 1, Berlin"}
    ada = creators.add_creator(db, staff, full)
    same_person = creators.add_creator(db, staff, {**full, "name": " ada  LOVELACE",
                                                   "platform": "tiktok"})
    assert creators.validation_badges(db, [ada, same_person]) == {
        ada: ValidationStatus.VERIFIED, same_person: ValidationStatus.VERIFIED}
    other = creators.add_creator(db, staff, {**full, "name": "Mary Shelley",
                                             "handle": "@ADA", "platform": "youtube"})
    assert set(creators.validation_badges(db, [ada, same_person, other]).values()) == {
        ValidationStatus.FLAGGED}


ROUNDS = 6
RACERS = 4


def race(calls: list[Callable[[], Any]]) -> list[Any]:
    """Run the calls in threads at once; what each returned or raised."""
    results: list[Any] = [None] * len(calls)

    def run(index: int) -> None:
        try:
            results[index] = calls[index]()
        except BaseException as error:  # the test inspects it
            results[index] = error

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def meet_after_looking(monkeypatch: pytest.MonkeyPatch, module: Any, name: str,
                       barrier: threading.Barrier) -> None:
    """Make each thread's first write wait at `barrier` after its look-up found nothing and
    before its insert: every racer has then looked before any has written."""
    real = getattr(module, name)
    waited = threading.local()

    def wrapped(*args: Any, **kwargs: Any) -> Any:
        if not getattr(waited, "done", False):
            waited.done = True
            barrier.wait(timeout=30)
        return real(*args, **kwargs)

    monkeypatch.setattr(module, name, wrapped)


def test_people_adding_the_same_creator_at_once_make_one(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, password_hash: str) -> None:
    database = Database(tmp_path / "race.duckdb")
    staff = [User(database.value(
        "INSERT INTO users (username, name, role, password_hash, created_at)"
        " VALUES (?, ?, 'staff', ?, ?) RETURNING id", [f"s{n}", f"S{n}", password_hash, T0]),
        f"s{n}", f"S{n}", "", Role.STAFF) for n in range(RACERS)]
    try:
        for round_ in range(ROUNDS):
            barrier = threading.Barrier(RACERS)
            meet_after_looking(monkeypatch, creators, "insert_creator", barrier)
            spellings = [f"racer{round_}", f"@Racer{round_}", f" RACER{round_} ",
                         f"＠racer{round_}"]
            results = race([
                lambda who=who, handle=handle: creators.add_creator(
                    database, who, {**ADA, "name": f"Racer {who.username}", "handle": handle})
                for who, handle in zip(staff, spellings, strict=True)
            ])
            monkeypatch.undo()
            made = [r for r in results if isinstance(r, int)]
            refused = [r for r in results if not isinstance(r, int)]
            assert len(made) == 1, results
            name = database.value("SELECT name FROM creators WHERE id = ?", [made[0]])
            for error in refused:
                assert isinstance(error, RuleViolation), repr(error)
                assert str(error) == ("A creator with that handle on Instagram already exists:"
                                      f" {name} (#{made[0]}).")
            assert database.value(f"SELECT count(*) FROM creators WHERE"
                                  f" {creators.handle_key('handle')} = ?", [f"racer{round_}"]) == 1
    finally:
        database.close()


def test_imports_of_the_same_creator_at_once_make_one(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, password_hash: str) -> None:
    """Each file holds the contested creator and one of its own; leaving failing rows out,
    every import goes through, and the contested creator exists once."""
    database = Database(tmp_path / "race.duckdb")
    manager = User(database.value(
        "INSERT INTO users (username, name, role, password_hash, created_at)"
        " VALUES ('m', 'M', 'manager', ?, ?) RETURNING id", [password_hash, T0]),
        "m", "M", "", Role.MANAGER)
    try:
        for round_ in range(ROUNDS):
            files = [
                (f"name,handle,platform,tags\nShared {n},{spelling},tiktok,Shared\n"
                 f"Own {n},own{round_}x{n},tiktok,\n").encode()
                for n, spelling in enumerate([f"shared{round_}", f"@SHARED{round_}",
                                              f" Shared{round_}", f"＠shared{round_}"])
            ]
            previews = [imports.preview(database, manager, "creators", data, "c.csv")
                        for data in files]
            assert all(p.ok_count == 2 for p in previews)
            barrier = threading.Barrier(RACERS)
            meet_after_looking(monkeypatch, imports, "_insert_creators", barrier)
            results = race([
                lambda p=p: imports.commit(database, manager, p, leave_out_failing=True)
                for p in previews
            ])
            monkeypatch.undo()
            assert all(isinstance(r, BatchResult) for r in results), results
            assert sorted((len(r.done), len(r.refused)) for r in results) == [
                (1, 1)] * (RACERS - 1) + [(2, 0)]
            key = creators.handle_key("handle")
            assert database.value(f"SELECT count(*) FROM creators WHERE {key} = ?",
                                  [f"shared{round_}"]) == 1
            assert database.value(f"SELECT count(*) FROM creators WHERE {key} LIKE ?",
                                  [f"own{round_}x%"]) == RACERS
            # Without leaving rows out, the late import is refused with the reason.
            again = imports.preview(database, manager, "creators", files[0], "c.csv")
            with pytest.raises(RuleViolation, match="already exists: Shared"):
                imports.commit(database, manager, again)
    finally:
        database.close()


def test_the_imports_page_adds_a_creator_and_names_the_one_that_exists(
        app: AppTest, db: Database, world: World) -> None:
    login(app, "manager")
    app.switch_page("pages/imports.py").run()
    assert_ok(app)

    def add(name: str, handle: str, platform: str) -> None:
        labelled(app.text_input, "Name").input(name)
        labelled(app.text_input, "Handle").input(handle)
        labelled(app.selectbox, "Platform").set_value(platform)
        labelled(app.button, "Add creator").click().run()
        assert not app.exception

    add("Ada Again", " @ADA", "instagram")
    assert texts(app.error) == ["A creator with that handle on Instagram already exists:"
                                f" Ada Lovelace (#{world.creators['Ada']})."]
    assert db.value("SELECT count(*) FROM creators WHERE name = 'Ada Again'") == 0
    add("Ada Again", " @ADA", "youtube")  # another platform: another account
    assert not app.error
    added = db.value("SELECT id FROM creators WHERE name = 'Ada Again'")
    assert db.value("SELECT platform FROM creators WHERE id = ?", [added]) == "youtube"
    assert [t.value for t in app.toast] == [f"Added Ada Again (creator #{added})."]
