"""The SQL console (lib.console): one read-only SELECT over the latest snapshot, with a row
limit and a time limit; every way to write, read files, load extensions or change settings is
refused, both by the statement check and, underneath it, by the connection itself."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path

import duckdb
import pytest
from streamlit.testing.v1 import AppTest

from lib import config, console, snapshots
from lib.console import QueryRefused
from lib.db import Database, read_identity
from lib.models import Role, User
from lib.snapshots import Snapshot
from tests.conftest import World, assert_ok, labelled, login, texts


@pytest.fixture
def snapshot(db: Database, world: World) -> Snapshot:
    return snapshots.write_snapshot(db, snapshots.snapshots_root(db.path), db.path)


@pytest.fixture
def viewer(people: dict[Role, User]) -> User:
    return people[Role.VIEWER]


def run(snapshot: Snapshot, user: User, sql: str, **limits: float) -> console.QueryResult:
    # The database's identity as the app knows it: from the .id file beside the database.
    identity = read_identity(snapshot.path.parent.parent / "test.duckdb")
    assert identity is not None
    return console.run_query(snapshot, user, sql, **limits,  # type: ignore[arg-type]
                             database=identity)


def live_counts(db: Database) -> list[tuple]:
    return db.rows("SELECT (SELECT count(*) FROM collaborations), (SELECT count(*) FROM users),"
                   " (SELECT count(*) FROM clients)")


def test_a_select_over_the_snapshot(db, world, snapshot, people) -> None:
    sql = "SELECT status, count(*) AS n FROM collaborations GROUP BY status ORDER BY status"
    for role in Role:  # staff too: it is above viewer, who reads and exports everything
        result = run(snapshot, people[role], sql)
        assert result.frame.values.tolist() == [list(r) for r in db.rows(sql)]
        assert not result.truncated
    assert result.csv().decode().splitlines()[0] == '"status","n"'  # lib.exports quotes text


def test_with_and_other_read_forms_are_selects(snapshot, viewer) -> None:
    assert run(snapshot, viewer, "WITH c AS (SELECT 1 AS x) SELECT x FROM c").frame["x"][0] == 1
    assert len(run(snapshot, viewer, "FROM clients").frame) == 2
    assert "collaborations" in set(run(snapshot, viewer, "SHOW TABLES").frame["name"])
    assert run(snapshot, viewer, "SELECT 1 AS a, 2 AS a;").frame.columns.tolist() == ["a", "a_2"]


def test_the_row_limit_keeps_the_first_rows(snapshot, viewer) -> None:
    result = run(snapshot, viewer, "SELECT range AS n FROM range(5000) ORDER BY n", row_limit=100)
    assert result.frame["n"].tolist() == list(range(100))
    assert result.truncated
    whole = run(snapshot, viewer, "SELECT * FROM range(5000)", row_limit=10_000)
    assert len(whole.frame) == 5000 and not whole.truncated
    # A hundred million rows: only the first batch is fetched.
    huge = run(snapshot, viewer, "SELECT range AS n FROM range(100000000)", row_limit=100)
    assert len(huge.frame) == 100 and huge.truncated
    empty = run(snapshot, viewer, "SELECT * FROM collaborations WHERE false")
    assert empty.frame.empty and "status" in empty.frame.columns




@pytest.mark.parametrize(("sql", "kind"), [
    ("INSERT INTO clients (name) VALUES ('Initech')", "INSERT"),
    ("UPDATE collaborations SET status = 'completed'", "UPDATE"),
    ("DELETE FROM collaborations", "DELETE"),
    ("CREATE TABLE loot AS SELECT * FROM users", "CREATE"),
    ("DROP VIEW collaborations", "DROP"),
    ("COPY collaborations TO '{tmp}/out.csv'", "COPY"),
    ("COPY clients FROM '{tmp}/in.csv'", "COPY"),
    ("EXPORT DATABASE '{tmp}/export'", "EXPORT"),
    ("ATTACH '{db}' AS live", "ATTACH"),
    ("DETACH live", "DETACH"),
    ("INSTALL httpfs", "LOAD"),
    ("LOAD httpfs", "LOAD"),
    ("SET enable_external_access = true", "SET"),
    ("RESET lock_configuration", "SET"),
    ("PRAGMA enable_profiling", "PRAGMA"),
    ("CALL pragma_version()", "CALL"),
    ("BEGIN TRANSACTION", "TRANSACTION"),
    ("CHECKPOINT", ""),
])
def test_anything_but_select_is_refused_and_nothing_changes(
        db, snapshot, viewer, tmp_path, sql, kind) -> None:
    before = live_counts(db)
    text = sql.format(tmp=tmp_path, db=db.path)
    with pytest.raises(QueryRefused, match=f"read-only: it runs SELECT queries only.*{kind}"):
        run(snapshot, viewer, text)
    assert live_counts(db) == before
    assert not (tmp_path / "out.csv").exists() and not (tmp_path / "export").exists()


def test_two_statements_at_once_are_refused(snapshot, viewer) -> None:
    with pytest.raises(QueryRefused, match="one query at a time; this text holds 2"):
        run(snapshot, viewer, "SELECT 1; DELETE FROM collaborations")


@pytest.mark.parametrize("path", ["/etc/passwd", "{db}", "{snapshot}/snapshot.json"])
def test_reading_files_is_refused(db, snapshot, viewer, path) -> None:
    target = path.format(db=db.path, snapshot=snapshot.path)
    for sql in (f"SELECT * FROM read_csv('{target}')", f"SELECT * FROM read_text('{target}')",
                f"SELECT * FROM '{target}'", f"SELECT * FROM glob('{Path(target).parent}/*')"):
        # A bare path is not even taken for a file: external access is off.
        with pytest.raises(QueryRefused, match=r"Permission Error|Catalog Error: Table with"):
            run(snapshot, viewer, sql)


def test_query_cannot_smuggle_a_write(snapshot, viewer) -> None:
    with pytest.raises(QueryRefused, match="Expected a single SELECT statement"):
        run(snapshot, viewer, "SELECT * FROM query('CREATE TABLE x AS SELECT 1')")


def test_the_connection_itself_refuses_what_the_check_lets_through(db, snapshot, tmp_path
                                                                   ) -> None:
    """Underneath the statement check: even a statement that reached it could not write
    files, attach the live database, load extensions or change its settings."""
    with snapshots.open_snapshot(snapshot, db.identity) as store:
        for sql in (f"COPY collaborations TO '{tmp_path}/out.csv'",
                    f"ATTACH '{db.path}' AS live (READ_ONLY)",
                    "SELECT * FROM read_csv('/etc/passwd')",
                    "INSTALL httpfs", "LOAD httpfs",
                    "SET enable_external_access = true",
                    "SET allowed_paths = ['/']",
                    "SET lock_configuration = false",
                    "SET threads = 1"):
            with pytest.raises(duckdb.Error):
                store.rows(sql)
        settings = dict(store.rows(
            "SELECT name, value FROM duckdb_settings() WHERE name IN"
            " ('enable_external_access', 'lock_configuration', 'autoload_known_extensions')"))
        assert settings == {"enable_external_access": "false", "lock_configuration": "true",
                            "autoload_known_extensions": "false"}
    assert not (tmp_path / "out.csv").exists()


def test_errors_come_back_as_duckdb_messages(snapshot, viewer) -> None:
    with pytest.raises(QueryRefused, match=r"^Binder Error: .*nonsense") as refused:
        run(snapshot, viewer, "SELECT nonsense FROM collaborations")
    assert "Traceback" not in str(refused.value)
    with pytest.raises(QueryRefused, match=r"^Parser Error: syntax error"):
        run(snapshot, viewer, "SELEKT 1")
    with pytest.raises(QueryRefused, match=r"^Catalog Error: Table with name nowhere"):
        run(snapshot, viewer, "SELECT * FROM nowhere")


def test_no_password_hashes_to_query(snapshot, viewer) -> None:
    with pytest.raises(QueryRefused, match="password_hash"):
        run(snapshot, viewer, "SELECT password_hash FROM users")
    assert len(run(snapshot, viewer, "SELECT username FROM users").frame) == 4


@pytest.mark.parametrize(("sql", "limits", "message"), [
    ("", {}, "Type a SELECT query first"),
    ("   \n ", {}, "Type a SELECT query first"),
    ("SELECT 1 " + "+ 1 " * 6000, {}, "too long"),
    ("SELECT 1", {"row_limit": 0}, "row limit"),
    ("SELECT 1", {"row_limit": 10_001}, "row limit"),
    ("SELECT 1", {"row_limit": 500}, "row limit"),  # not one of the page's choices
    ("SELECT 1", {"row_limit": True}, "row limit"),
    ("SELECT 1", {"row_limit": "1000"}, "row limit"),
    ("SELECT 1", {"time_limit": 0}, "time limit"),
    ("SELECT 1", {"time_limit": 61}, "time limit"),
    ("SELECT 1", {"time_limit": 3600}, "time limit"),
    ("SELECT 1", {"time_limit": 7}, "time limit"),
    ("SELECT 1", {"time_limit": 4.5}, "time limit"),
    ("SELECT 1", {"time_limit": float("inf")}, "time limit"),
    ("SELECT 1", {"time_limit": float("nan")}, "time limit"),
    ("SELECT 1", {"time_limit": "10"}, "time limit"),
    ("SELECT 1", {"time_limit": None}, "time limit"),
])
def test_bad_input_is_refused(snapshot, viewer, sql, limits, message) -> None:
    with pytest.raises(QueryRefused, match=message):
        run(snapshot, viewer, sql, **limits)


def test_the_page_choices_are_accepted(snapshot, viewer) -> None:
    rows = console.ROW_LIMITS + console.ROW_LIMITS[-1:]  # as many as there are time limits
    for row_limit, time_limit in zip(rows, console.TIME_LIMITS, strict=True):
        result = run(snapshot, viewer, "SELECT 1 AS a", row_limit=row_limit,
                     time_limit=time_limit)
        assert result.frame["a"].tolist() == [1]


def test_only_enabled_users(snapshot, viewer) -> None:
    with pytest.raises(PermissionError):
        run(snapshot, User(viewer.id, "viewer", "V", "", Role.VIEWER, disabled=True), "SELECT 1")
    with pytest.raises(PermissionError):
        run(snapshot, None, "SELECT 1")  # type: ignore[arg-type]


def test_another_databases_snapshot_is_refused_unread(db, snapshot, viewer, tmp_path) -> None:
    other = Database(tmp_path / "other" / "other.duckdb")
    try:
        foreign = snapshots.write_snapshot(other, snapshots.snapshots_root(other.path),
                                           other.path)
    finally:
        other.close()
    with pytest.raises(QueryRefused, match=r"is not one of test\.duckdb"):
        console.run_query(foreign, viewer, "SELECT 1", database=db.identity)
    assert console.running_queries() == 0


def test_the_table_list(snapshot) -> None:
    tables = console.tables(snapshot)
    assert ("collaborations", "status", "VARCHAR") in set(map(tuple, tables.values.tolist()))
    assert "password_hash" not in set(tables["column"])


# --- hostile queries: memory, time, result size (issue 13) ---------------------------------
# Each class has several payloads. Every one must come back as a short message naming the
# limit, with nothing written, while another session's page still renders.

MEMORY_HOGS = [
    "SELECT repeat('x', 500000000) AS huge",  # one value twice the memory limit
    "SELECT length(repeat('ab', 300000000)) AS n",  # built, never returned
    "SELECT repeat('x', 100000000) AS s FROM range(10)",  # each fits, together they do not
    "SELECT list(range) AS l FROM range(100000000)",  # list_agg
    "SELECT range(200000000) AS l",  # range() as one list
    "SELECT string_agg(a.range::VARCHAR || repeat('y', 50), ',') AS s"
    " FROM range(20000) a, range(20000) b",  # string_agg over a big cross join
    "SELECT repeat('\\xAA'::BLOB, 300000000) AS b",  # a huge blob
    "SELECT " + ", ".join(f"repeat('w', 1000000) AS c{i}" for i in range(300))
    + " FROM range(100)",  # wide rows: 300 columns of a megabyte each
    "SELECT * FROM range(20000000) ORDER BY random()",  # a sort that would spill to disk
]
TIME_HOGS = [
    "SELECT sum(a.range * b.range) AS s FROM range(1000000) a, range(1000000) b",
    "WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r) SELECT count(*) FROM r",
]
RESULT_HOGS = [
    "SELECT repeat('x', 5000) AS s FROM range(10000)",  # long strings
    "SELECT repeat('x', 40000000) AS s",  # one row over the budget, under the memory limit
    "SELECT repeat('x', 4000)::BLOB AS b FROM range(10000)",  # blobs
    "SELECT range(3000) AS l FROM range(10000)",  # lists
    "SELECT {'a': repeat('x', 4000), 'b': [repeat('y', 100)]} AS s FROM range(10000)",  # structs
    "SELECT map(range(200), list_transform(range(200), lambda x: 'v')) AS m FROM range(10000)",
    "SELECT " + ", ".join(f"{i} AS c{i}" for i in range(1000)) + " FROM range(10000)",  # wide
]


def files_under(folder: Path) -> dict[str, bytes]:
    """Every file under `folder` with its content: a write anywhere shows as a difference."""
    return {str(p.relative_to(folder)): p.read_bytes()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def while_page_renders(app: AppTest, query: Callable[[], object]) -> tuple[str | None, bool]:
    """Run `query` in a thread and, once it is under way, render another session's page.

    Returns the refusal's message (None when the query succeeded) and whether the query was
    still running when the page had finished rendering.
    """
    outcome: dict[str, str | None] = {}

    def hostile() -> None:
        try:
            query()
            outcome["message"] = None
        except QueryRefused as refusal:
            outcome["message"] = str(refusal)

    thread = threading.Thread(target=hostile)
    thread.start()
    while console.running_queries() == 0 and thread.is_alive():
        time.sleep(0.01)  # wait until the query holds a worker (not a timing assertion)
    app.run()
    assert_ok(app)
    assert app.title[0].value == "Collaborations"
    assert len(app.dataframe(key="collab_table").value) > 0
    still_running = thread.is_alive()
    thread.join()
    assert "message" in outcome  # the query ended with an answer, not an exception
    return outcome["message"], still_running


@pytest.fixture
def other_session(app: AppTest) -> AppTest:
    """Another person's session, logged in, on the collaborations page."""
    login(app, "staff")
    assert_ok(app)
    return app


def assert_refused_cleanly(db: Database, tmp_path: Path, before: tuple, message: str | None,
                           expected: str) -> None:
    assert message is not None and expected in message, message
    assert len(message) < 300 and "Traceback" not in message
    for advice in ("SET ", "PRAGMA", "memory_limit", "threads", "temp_directory", "http"):
        assert advice not in message, message
    assert (live_counts(db), files_under(tmp_path / "snapshots")) == before


def test_queries_that_exhaust_memory_are_refused(db, snapshot, viewer, other_session, tmp_path
                                                 ) -> None:
    before = (live_counts(db), files_under(tmp_path / "snapshots"))
    expected = "it needed more than the console's memory limit (256 MB)"
    for sql in MEMORY_HOGS:
        message, _ = while_page_renders(other_session, lambda sql=sql: run(
            snapshot, viewer, sql, row_limit=10_000, time_limit=30))
        assert_refused_cleanly(db, tmp_path, before, message, expected)
    assert console.running_queries() == 0


def test_queries_that_run_too_long_are_stopped(db, snapshot, viewer, other_session, tmp_path
                                               ) -> None:
    before = (live_counts(db), files_under(tmp_path / "snapshots"))
    for sql in TIME_HOGS:
        message, still_running = while_page_renders(other_session, lambda sql=sql: run(
            snapshot, viewer, sql, time_limit=5))
        assert still_running  # the page rendered while the query was running
        assert_refused_cleanly(db, tmp_path, before, message, "stopped after 5 seconds")


def test_results_too_large_are_refused(db, snapshot, viewer, other_session, tmp_path) -> None:
    before = (live_counts(db), files_under(tmp_path / "snapshots"))
    expected = "larger than the console's result size limit (32 MB)"
    for sql in RESULT_HOGS:
        message, _ = while_page_renders(other_session, lambda sql=sql: run(
            snapshot, viewer, sql, row_limit=10_000, time_limit=30))
        assert_refused_cleanly(db, tmp_path, before, message, expected)
    # Under the row limit the same kind of query is fine: the budget counts what is fetched.
    fine = run(snapshot, viewer, "SELECT repeat('x', 5000) AS s FROM range(10000)",
               row_limit=1_000)
    assert len(fine.frame) == 1_000 and fine.truncated


def test_the_limits_come_from_the_environment(snapshot, viewer, monkeypatch) -> None:
    settings = ("SELECT current_setting('memory_limit') AS memory,"
                " current_setting('threads') AS threads,"
                " current_setting('max_temp_directory_size') AS temp")
    defaults = run(snapshot, viewer, settings).frame.iloc[0].tolist()
    assert defaults == ["256.0 MiB", 1, "0 bytes"]
    monkeypatch.setenv("COLLABDESK_CONSOLE_MEMORY_MB", "128")
    monkeypatch.setenv("COLLABDESK_CONSOLE_THREADS", "2")
    monkeypatch.setenv("COLLABDESK_CONSOLE_TEMP_MB", "64")
    monkeypatch.setenv("COLLABDESK_CONSOLE_RESULT_MB", "1")
    changed = run(snapshot, viewer, settings).frame.iloc[0].tolist()
    assert changed == ["128.0 MiB", 2, "64.0 MiB"]
    with pytest.raises(QueryRefused, match=r"result size limit \(1 MB\)"):
        run(snapshot, viewer, "SELECT repeat('x', 2000000) AS s")
    monkeypatch.setenv("COLLABDESK_CONSOLE_MEMORY_MB", "lots")  # unusable: the default holds
    assert config.console_limits().memory_mb == 256


def test_a_worker_that_does_not_stop_is_killed_at_the_deadline(snapshot, viewer, monkeypatch
                                                               ) -> None:
    """The time limit does not rely on DuckDB noticing the interrupt."""
    monkeypatch.setattr(console, "WORKER_COMMAND", ("-c", "import time; time.sleep(600)"))
    with pytest.raises(QueryRefused, match="stopped after 5 seconds"):
        run(snapshot, viewer, "SELECT 1", time_limit=5)
    assert console.running_queries() == 0


@pytest.mark.parametrize("program", [
    "import os; os.abort()",  # what a failed allocation deep in C++ can do
    "import sys; sys.stdout.write('not json'); sys.exit(1)",
    "import sys; sys.stdout.write('{\"ok\": true}\\nnot arrow')",
])
def test_a_worker_that_dies_or_babbles_gives_a_message(snapshot, viewer, monkeypatch, program
                                                      ) -> None:
    monkeypatch.setattr(console, "WORKER_COMMAND", ("-c", program))
    with pytest.raises(QueryRefused) as refused:
        run(snapshot, viewer, "SELECT 1", time_limit=5)
    assert "memory limit (256 MB)" in str(refused.value) or "cannot show" in str(refused.value)


def test_too_many_queries_at_once_are_refused(snapshot, viewer, monkeypatch) -> None:
    monkeypatch.setenv("COLLABDESK_CONSOLE_WORKERS", "1")
    monkeypatch.setattr(console, "BUSY_WAIT", 0.0)
    busy = pytest.raises(QueryRefused, match="The console is busy: 1 queries are running")
    with console._worker_slot(config.console_limits()), busy:  # somebody else's query holds it
        run(snapshot, viewer, "SELECT 1")
    assert run(snapshot, viewer, "SELECT 1 AS a").frame["a"].tolist() == [1]


def test_duckdb_messages_lose_their_advice() -> None:
    raw = ("Out of Memory Error: failed to allocate data of size 16.0 MiB (240.0 MiB/244.1 MiB"
           " used)\nDatabase is launched in in-memory mode and no temporary directory is"
           " specified.\nUnused blocks cannot be offloaded to disk.\n\nLaunch the database with"
           " a persistent storage back-end\nOr set SET temp_directory='/path/to/tmp.tmp'")
    assert console.duckdb_message(raw) == (
        "Out of Memory Error: failed to allocate data of size 16.0 MiB (240.0 MiB/244.1 MiB"
        " used)")
    assert console.duckdb_message("Binder Error: x\n\nPossible solutions:\n* SET threads=1"
                                  ) == "Binder Error: x"
    assert len(console.duckdb_message("Parser Error: " + "x" * 5000)) <= 600
    assert console.duckdb_message(
        'Parser Error: Max expression depth limit of 1000 exceeded. Use "SET'
        ' max_expression_depth TO x" to increase the maximum expression depth.'
    ) == "Parser Error: Max expression depth limit of 1000 exceeded."


@pytest.mark.parametrize("sql", [
    "SELECT " + "(" * 9000 + "1" + ")" * 9000,
    "SELECT " + "NOT " * 4900 + "true",
    "SELECT " + "-" * 19000 + "1",
])
def test_text_made_to_exhaust_the_parser_is_refused(snapshot, viewer, sql) -> None:
    with pytest.raises(QueryRefused) as refused:
        run(snapshot, viewer, sql)
    assert str(refused.value).startswith("Parser Error") and "SET" not in str(refused.value)


# --- the page (AppTest) ------------------------------------------------------------------


def open_console(app: AppTest, username: str) -> AppTest:
    login(app, username)
    app.switch_page("pages/sql_console.py").run()
    assert_ok(app)
    return app


def run_on_page(app: AppTest, sql: str) -> AppTest:
    labelled(app.text_area, "SQL query").input(sql)
    app.button(key="FormSubmitter:console_form-Run query").click()
    return app.run()


def test_the_page_runs_a_query_and_offers_its_csv(app, db) -> None:
    assert texts(open_console(app, "viewer").title) == ["SQL console"]
    snapshot = snapshots.latest_snapshot(snapshots.snapshots_root(db.path), db.identity)
    assert snapshot is not None  # the page wrote the first one
    assert f"snapshot of **{snapshot.label}**" in app.caption[0].value
    run_on_page(app, "SELECT name FROM clients ORDER BY name")
    assert_ok(app)
    assert app.dataframe[-1].value["name"].tolist() == ["Acme", "Globex"]
    assert any(c.value.startswith("2 rows.") for c in app.caption)
    assert [b.label for b in app.get("download_button")] == ["Download CSV"]


def test_the_page_shows_refusals_as_messages(app, db) -> None:
    open_console(app, "viewer")
    before = live_counts(db)
    run_on_page(app, "DELETE FROM collaborations")
    assert not app.exception
    assert texts(app.error) == [
        "The console is read-only: it runs SELECT queries only, and this is a DELETE statement."]
    run_on_page(app, "SELECT * FROM read_csv('/etc/passwd')")
    assert texts(app.error)[0].startswith("Permission Error: Cannot access file")
    assert live_counts(db) == before


def test_a_truncated_result_says_so(app) -> None:
    open_console(app, "staff")
    labelled(app.selectbox, "Row limit").select(100)
    run_on_page(app, "SELECT * FROM range(250)")
    assert_ok(app)
    assert len(app.dataframe[-1].value) == 100
    assert any("The first 100 rows (the row limit); more match." in c.value for c in app.caption)


def test_refreshing_the_data_takes_a_new_snapshot(app, db, world) -> None:
    open_console(app, "viewer")
    db.value("INSERT INTO clients (name) VALUES ('Initech') RETURNING id")
    run_on_page(app, "SELECT count(*) AS n FROM clients")
    assert app.dataframe[-1].value["n"].tolist() == [2]  # the snapshot, from before
    labelled(app.button, "Refresh the data").click().run()
    run_on_page(app, "SELECT count(*) AS n FROM clients")
    assert app.dataframe[-1].value["n"].tolist() == [3]


def test_the_page_shows_a_limit_as_one_message_and_keeps_the_query(app, db) -> None:
    open_console(app, "viewer")
    hog = "SELECT repeat('x', 500000000) AS huge  -- mine"
    run_on_page(app, hog)
    assert not app.exception
    assert len(app.error) == 1
    assert "memory limit (256 MB)" in texts(app.error)[0]
    assert labelled(app.text_area, "SQL query").value == hog
    run_on_page(app, "SELECT 1 AS a")  # the console still works for the same person
    assert_ok(app)
    assert app.dataframe[-1].value["a"].tolist() == [1]


def test_the_page_shows_values_of_every_kind(app) -> None:
    """Nested, binary, huge-number and out-of-range values reach the table without a
    traceback (Arrow conversion in the page is the last place one could escape)."""
    open_console(app, "viewer")
    run_on_page(app, "SELECT 1 AS n, 'a'::NO_SUCH_TYPE AS e")
    assert texts(app.error)[0].startswith("Catalog Error: Type with name NO_SUCH_TYPE")
    run_on_page(app, "SELECT map([1, 2], ['a', 'b']) AS m, {'x': [1, 2], 'y': 'z'} AS s,"
                     " [[1], [2, 3]] AS l, '\\xAA'::BLOB AS b,"
                     " 170141183460469231731687303715884105727::HUGEINT AS h,"
                     " '9999-12-31 23:59:59'::TIMESTAMP AS t, '0001-01-01'::DATE AS d,"
                     " INTERVAL 3 DAY AS i, uuid() AS u, 1.5::DECIMAL(38, 10) AS dec,"
                     " 'nan'::DOUBLE AS n, NULL AS nothing, 'infinity'::TIMESTAMP AS inf,"
                     " 1::UTINYINT AS tiny, 2::UHUGEINT AS uhuge, [1, 2]::INTEGER[2] AS arr,"
                     " union_value(k := 'v') AS un, '101'::BIT AS bits, TIME '12:00' AS tm,"
                     " TIMESTAMPTZ '2020-01-01 00:00:00+00' AS tz")
    assert_ok(app)
    assert list(app.dataframe[-1].value.columns)[:3] == ["m", "s", "l"]
