"""The SQL console (lib.console): one read-only SELECT over the latest snapshot, with a row
limit and a time limit; every way to write, read files, load extensions or change settings is
refused, both by the statement check and, underneath it, by the connection itself."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest
from streamlit.testing.v1 import AppTest

from lib import console, snapshots
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


def test_the_time_limit_stops_a_long_query(snapshot, viewer) -> None:
    with pytest.raises(QueryRefused, match="stopped after 1 seconds"):
        run(snapshot, viewer, "SELECT count(*) FROM range(1000000000000)", time_limit=1)


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
    ("SELECT 1", {"time_limit": 0}, "time limit"),
    ("SELECT 1", {"time_limit": 61}, "time limit"),
])
def test_bad_input_is_refused(snapshot, viewer, sql, limits, message) -> None:
    with pytest.raises(QueryRefused, match=message):
        run(snapshot, viewer, sql, **limits)


def test_only_enabled_users(snapshot, viewer) -> None:
    with pytest.raises(PermissionError):
        run(snapshot, User(viewer.id, "viewer", "V", "", Role.VIEWER, disabled=True), "SELECT 1")
    with pytest.raises(PermissionError):
        run(snapshot, None, "SELECT 1")  # type: ignore[arg-type]


def test_the_table_list(snapshot) -> None:
    tables = console.tables(snapshot)
    assert ("collaborations", "status", "VARCHAR") in set(map(tuple, tables.values.tolist()))
    assert "password_hash" not in set(tables["column"])


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
