"""Imports (lib.imports): creators and collaborations from CSV or .xlsx; a preview that judges
every row and writes nothing, then one transaction that writes all rows or none (unless the
failing rows are left out on purpose), with each failing row's line number and reason."""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal
from pathlib import Path

import pytest
from openpyxl import Workbook, load_workbook
from streamlit.testing.v1 import AppTest

from lib import imports
from lib.db import Database
from lib.models import Role, User
from lib.rules import RuleViolation
from tests.conftest import World, assert_ok, labelled, login, texts
from tests.test_reports import run_cli

CREATORS_HEADER = "name,handle,platform,email,phone,address,followers,engagement_rate,tags"


@pytest.fixture
def manager(people: dict[Role, User]) -> User:
    return people[Role.MANAGER]


def csv_bytes(*lines: str) -> bytes:
    return ("\n".join(lines) + "\n").encode()


def counts(db: Database) -> tuple[int, int, int, int]:
    return db.one("SELECT (SELECT count(*) FROM creators), (SELECT count(*) FROM creator_tags),"
                  " (SELECT count(*) FROM collaborations), (SELECT count(*) FROM activity_events)")


def outcomes(preview: imports.ImportPreview) -> dict[int, str]:
    """line -> "ok" or the reason it fails."""
    return {o.line: "ok" if o.ok else o.message for o in preview.rows}


# --- creators ----------------------------------------------------------------------------


def test_good_creators_are_previewed_then_imported_with_their_tags(db, world, manager) -> None:
    data = csv_bytes(
        CREATORS_HEADER,
        "Alan Turing,@alan.t,Instagram,alan@example.com,+44 20 1234,1 Bletchley Park,"
        '"12,000",3.5%,Top Performer; Tech',
        "Hedy Lamarr,hedy,tiktok,,,,500,,",
    )
    before = counts(db)
    preview = imports.preview(db, manager, "creators", data, "creators.csv")
    assert outcomes(preview) == {2: "ok", 3: "ok"}
    assert counts(db) == before  # a preview writes nothing
    result = imports.commit(db, manager, preview)
    assert result.summary() == "2 creators imported."
    assert db.rows(
        "SELECT name, handle, platform, email, phone, address, followers, engagement_rate"
        " FROM creators WHERE handle IN ('alan.t', 'hedy') ORDER BY name") == [
        ("Alan Turing", "alan.t", "instagram", "alan@example.com", "+44 20 1234",
         "1 Bletchley Park", 12000, 3.5),
        ("Hedy Lamarr", "hedy", "tiktok", None, None, None, 500, 0.0)]
    assert db.rows("SELECT tag FROM creator_tags JOIN creators c ON c.id = creator_id"
                   " WHERE c.handle = 'alan.t' ORDER BY tag") == [("Tech",), ("Top Performer",)]


def test_each_failing_row_has_its_line_and_reason(db, world, manager) -> None:
    data = csv_bytes(
        CREATORS_HEADER,
        "Good One,good.one,instagram,,,,,,",                   # 2
        ",noname,instagram,,,,,,",                              # 3
        "Bad Mail,badmail,instagram,not-an-email,,,,,",         # 4
        "Old Net,oldnet,myspace,,,,,,",                         # 5
        "Half,half,youtube,,,,12.5,,",                          # 6
        "Hype,hype,youtube,,,,10,250,",                         # 7
        "Again,GOOD.ONE,instagram,,,,,,",                       # 8: same as line 2, case aside
        "Grace Copy,@grace,instagram,,,,,,",                    # 9: in the database already
        '"Multi\nLine",multi,twitch,,,,,,',                     # 10-11: one row, two lines
        "After,after,twitch,,call me,,,,",                      # 12
    )
    preview = imports.preview(db, manager, "creators", data, "creators.csv")
    grace = world.creators["Grace"]
    assert outcomes(preview) == {
        2: "ok",
        3: "The name is required.",
        4: "'not-an-email' is not an e-mail address.",
        5: "Unknown platform 'myspace'; use one of instagram, tiktok, youtube, twitch, "
           "pinterest.",
        6: "The followers must be a whole number like 12000, not '12.5'.",
        7: "The engagement rate is a percentage: at most 100, not 250.",
        8: "Same handle and platform as line 2.",
        9: f"A creator with that handle on Instagram already exists: Grace Hopper (#{grace}).",
        10: "ok",
        12: "'call me' is not a phone number (digits, spaces, + ( ) - .).",
    }
    assert preview.table()["Line"].tolist()[:3] == [3, 4, 5]  # failing rows first


def test_a_failing_row_stops_the_import_unless_left_out(db, world, manager) -> None:
    data = csv_bytes(CREATORS_HEADER, "Good,good,instagram,,,,,,Tag",
                     "Bad,bad,instagram,nope,,,,,")
    preview = imports.preview(db, manager, "creators", data, "c.csv")
    before = counts(db)
    with pytest.raises(RuleViolation, match="1 row fails, so nothing was imported "
                                            r"\(line 3: 'nope' is not an e-mail address\)"):
        imports.commit(db, manager, preview)
    assert counts(db) == before
    result = imports.commit(db, manager, preview, leave_out_failing=True)
    assert (len(result.done), len(result.refused)) == (1, 1)
    assert result.summary() == "1 creator imported; 1 failing row left out."
    assert counts(db)[:2] == (before[0] + 1, before[1] + 1)


def test_rows_are_judged_again_when_written(db, world, manager) -> None:
    """A creator added between the preview and the confirm makes the row a duplicate."""
    data = csv_bytes(CREATORS_HEADER, "New,newbie,instagram,,,,,,", "Other,other,tiktok,,,,,,")
    preview = imports.preview(db, manager, "creators", data, "c.csv")
    assert preview.ok_count == 2
    db.value("INSERT INTO creators (name, handle, platform, created_at)"
             " VALUES ('Quick', 'NEWBIE', 'instagram', now()) RETURNING id")
    before = counts(db)
    with pytest.raises(RuleViolation, match="line 2: A creator with that handle on Instagram"
                                            " already exists: Quick"):
        imports.commit(db, manager, preview)
    assert counts(db) == before


def test_a_failure_while_writing_leaves_nothing_half_written(db, world, manager,
                                                            monkeypatch) -> None:
    data = csv_bytes(CREATORS_HEADER, *(f"C{i},c{i},instagram,,,,,,T{i}" for i in range(4500)))
    preview = imports.preview(db, manager, "creators", data, "c.csv")
    real = imports._insert_creators

    def write_then_fail(cur, rows, progress):  # type: ignore[no-untyped-def]
        real(cur, rows, progress)  # every chunk, tags and all, then:
        raise OSError("the machine went away")

    monkeypatch.setattr(imports, "_insert_creators", write_then_fail)
    before = counts(db)
    with pytest.raises(OSError):
        imports.commit(db, manager, preview)
    assert counts(db) == before


def test_a_large_file_shows_progress(db, world, manager) -> None:
    rows = [f"Creator {i},creator{i},youtube,c{i}@example.com,,,{i},1.5,Batch" for i in range(5000)]
    data = csv_bytes(CREATORS_HEADER, *rows)
    steps: list[tuple[str, float]] = []
    preview = imports.preview(db, manager, "creators", data, "big.csv",
                              lambda step, done: steps.append((step, done)))
    result = imports.commit(db, manager, preview,
                            progress=lambda step, done: steps.append((step, done)))
    assert len(result.done) == 5000
    writing = [done for step, done in steps if step == "Writing creators"]
    assert writing == [0.0, 0.4, 0.8]  # one step per chunk of 2,000 rows
    assert steps[-1] == ("Imported", 1.0)
    assert db.value("SELECT count(*) FROM creator_tags WHERE tag = 'Batch'") == 5000


def xlsx_bytes(rows: list[list[object]]) -> bytes:
    book = Workbook()
    for row in rows:
        book.active.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_an_xlsx_file_with_numbers_and_blank_lines(db, world, manager) -> None:
    data = xlsx_bytes([
        ["Name", "Handle", "Platform", "Followers", "Engagement Rate"],
        ["Ida", "ida", "pinterest", 12000, 2.5],
        [None, None, None, None, None],
        ["Joe", "joe", "twitch", 15.0, None],
        ["Kim", "kim", "twitch", 1.5, None],
    ])
    preview = imports.preview(db, manager, "creators", data, "sheet.xlsx")
    assert outcomes(preview) == {
        2: "ok", 4: "ok", 5: "The followers must be a whole number like 12000, not '1.5'."}
    imports.commit(db, manager, preview, leave_out_failing=True)
    assert db.rows("SELECT handle, followers, engagement_rate FROM creators"
                   " WHERE handle IN ('ida', 'joe') ORDER BY 1") == [
        ("ida", 12000, 2.5), ("joe", 15, 0.0)]


def test_a_semicolon_csv_from_excel_with_a_bom(db, world, manager) -> None:
    data = "\ufeffname;handle;platform;engagement_rate\nÉmile;emile;instagram;4,5\n".encode()
    preview = imports.preview(db, manager, "creators", data, "excel.csv")
    assert outcomes(preview) == {2: "The engagement rate must be a percentage like 3.5,"
                                    " not '4,5'."}


def test_windows_1252_from_excel(db, world, manager) -> None:
    """Excel on Windows saves "CSV (comma delimited)" in Windows-1252; it used to be refused."""
    data = "name;handle;platform\r\nZoë “Zed” Ærø – 5 €;zoe;tiktok\r\n".encode("cp1252")
    preview = imports.preview(db, manager, "creators", data, "excel.csv")
    assert outcomes(preview) == {2: "ok"}
    assert preview.records[2].name == "Zoë “Zed” Ærø – 5 €"


@pytest.mark.parametrize(("data", "name", "message"), [
    (b"name,handle\nA,a\n", "c.csv", "no platform column"),
    (b"name,handle,platform,Name\nA,a,instagram,B\n", "c.csv", "names a column twice: name"),
    (b"", "c.csv", "The file is empty"),
    (b"name,handle,platform\n\n,,\n", "c.csv", "no rows to import"),
    # Excel's Windows-1252 is read (test_windows_1252_from_excel); bytes that are neither are not.
    ("name,handle,platform\nZoë Ærø,z,tiktok\n".encode() + b"A\xff,a,tiktok\n", "c.csv",
     "Line 3 holds bytes that are not UTF-8"),
    (b"name,handle,platform\nA\x81,a,tiktok\n", "c.csv", "Line 2 holds bytes that are not"
                                                       " Windows-1252"),
    (b"name,handle,platform\n", "c.xls", "Import a .csv or .xlsx file"),
    (b"not a workbook", "c.xlsx", "not a readable .xlsx"),
    (b'name,handle,platform\nB,b,tiktok\n"A,a,tiktok\n', "c.csv", "Line 3: unexpected end"),
])
def test_unusable_files_are_refused_whole(db, world, manager, data, name, message) -> None:
    before = counts(db)
    with pytest.raises(RuleViolation, match=message):
        imports.preview(db, manager, "creators", data, name)
    assert counts(db) == before


def test_size_and_row_limits(db, world, manager, monkeypatch) -> None:
    monkeypatch.setattr(imports, "MAX_IMPORT_ROWS", 3)
    rows = [f"C{i},c{i},tiktok" for i in range(4)]
    with pytest.raises(RuleViolation, match="more than 3 rows"):
        imports.preview(db, manager, "creators", csv_bytes("name,handle,platform", *rows),
                        "c.csv")
    monkeypatch.setattr(imports, "MAX_IMPORT_BYTES", 100)
    with pytest.raises(RuleViolation, match="at most 100 bytes"):
        imports.preview(db, manager, "creators", b"x" * 101, "c.csv")


def test_unknown_columns_are_ignored_with_a_warning(db, world, manager) -> None:
    data = csv_bytes("name,handle,platform,shoe_size", "Ann,ann,tiktok,42")
    preview = imports.preview(db, manager, "creators", data, "c.csv")
    assert preview.warnings == [
        "Column 'shoe_size' is not one of the creators columns; it is ignored."]
    assert outcomes(preview) == {2: "ok"}


def test_only_managers_and_admins_import(db, world, people) -> None:
    data = csv_bytes("name,handle,platform", "Ann,ann,tiktok")
    for role in (Role.VIEWER, Role.STAFF):
        with pytest.raises(PermissionError, match="needs manager"):
            imports.preview(db, people[role], "creators", data, "c.csv")
    preview = imports.preview(db, people[Role.ADMIN], "creators", data, "c.csv")
    before = counts(db)
    with pytest.raises(PermissionError):
        imports.commit(db, people[Role.STAFF], preview)
    assert counts(db) == before
    with pytest.raises(RuleViolation, match="Import creators or collaborations"):
        imports.preview(db, people[Role.ADMIN], "payments", data, "c.csv")


# --- collaborations ----------------------------------------------------------------------

COLLAB_HEADER = ("campaign_id,campaign,handle,platform,status,compensation,currency,"
                 "deliverables,start_date,due_date,conditions,cancel_reason,created_on")


def test_collaborations_with_their_created_events(db, world, manager) -> None:
    summer = world.campaigns["Summer"]
    hedy = db.value("INSERT INTO creators (name, handle, platform, created_at)"
                    " VALUES ('Hedy Lamarr', 'hedy', 'instagram', now()) RETURNING id")
    data = csv_bytes(
        COLLAB_HEADER,
        f"{summer},,@linus,instagram,fulfilling,\"1,250.50\",EUR,1 reel,2026-03-01,"
        "2026-03-31,Usage 6 months,,2025-11-03",
        ",launch,HEDY,Instagram,Cancelled,0,usd,Gifted box,,,,Creator withdrew,",
    )
    preview = imports.preview(db, manager, "collaborations", data, "history.csv")
    assert outcomes(preview) == {2: "ok", 3: "ok"}
    assert preview.rows[0].what == "@linus on instagram in Summer"
    before = counts(db)
    result = imports.commit(db, manager, preview)
    assert result.summary() == "2 collaborations imported."
    rows = db.rows(
        "SELECT c.campaign_id, c.creator_id, c.status, c.compensation, c.currency,"
        " c.deliverables, c.start_date, c.due_date, c.conditions, c.cancel_reason, c.version,"
        " c.created_at, e.kind, e.actor, e.text, e.occurred_at"
        " FROM collaborations c JOIN activity_events e ON e.collab_id = c.id"
        " WHERE c.id > ? ORDER BY c.id", [max(world.collabs.values())])
    assert rows[0][:12] == (summer, world.creators["Linus"], "fulfilling", Decimal("1250.50"),
                            "EUR", "1 reel", dt.date(2026, 3, 1), dt.date(2026, 3, 31),
                            "Usage 6 months", None, 1, dt.datetime(2025, 11, 3))
    assert rows[0][12:] == ("created", "manager", "Imported from history.csv, line 2",
                            dt.datetime(2025, 11, 3))
    assert rows[1][:5] == (world.campaigns["Launch"], hedy, "cancelled",
                           Decimal("0.00"), "USD")
    assert rows[1][9] == "Creator withdrew"
    assert counts(db)[2:] == (before[2] + 2, before[3] + 2)  # one created event each


def test_collaboration_rows_that_fail(db, world, manager) -> None:
    spring, summer = world.campaigns["Spring"], world.campaigns["Summer"]
    db.value("INSERT INTO campaigns (client_id, name, start_date, end_date, budget, created_at)"
             " VALUES (?, 'Summer', '2026-07-01', '2026-08-01', 1, now()) RETURNING id",
             [world.clients["Globex"]])  # a second campaign called Summer
    tomorrow = dt.date.today() + dt.timedelta(days=2)
    data = csv_bytes(
        COLLAB_HEADER,
        f"{summer},,linus,instagram,,100,EUR,1 post,,,,,",             # 2 ok (pending)
        f"{summer},,linus,instagram,,100,EUR,1 post,,,,,",             # 3 same pair as 2
        f"{spring},,grace,instagram,,100,EUR,1 post,,,,,",             # 4 exists already
        ",Nowhere,linus,instagram,,100,EUR,1 post,,,,,",               # 5
        ",Summer,linus,instagram,,100,EUR,1 post,,,,,",                # 6 two called Summer
        "999,,linus,instagram,,100,EUR,1 post,,,,,",                   # 7
        f"{spring},Launch,linus,tiktok,,100,EUR,1 post,,,,,",          # 8 id and name differ
        f"{spring},,nobody,instagram,,100,EUR,1 post,,,,,",            # 9
        f"{spring},, @ADA ,instagram,,100,EUR,1 post,,,,,",            # 10 Ada, by handle key
        f"{spring},,linus,youtube,cancelled,100,EUR,1 post,,,,,",      # 11 no reason
        f"{spring},,linus,youtube,done,100,EUR,1 post,,,,,",           # 12
        f"{spring},,linus,youtube,,12.345,EUR,1 post,,,,,",            # 13
        f"{spring},,linus,youtube,,100,BTC,1 post,,,,,",               # 14
        f"{spring},,linus,youtube,,100,EUR,,,,,,",                     # 15
        f"{spring},,linus,youtube,,100,EUR,x,2026-03-31,2026-03-01,,,",  # 16
        f"{spring},,linus,youtube,,100,EUR,x,31/03/2026,,,,",          # 17
        f"{spring},,linus,youtube,,100,EUR,x,,,,,{tomorrow}",          # 18
        ",,linus,youtube,,100,EUR,x,,,,,",                             # 19
        f"{spring},,linus,youtube,pending,100,EUR,x,,,,why not,",      # 20
    )
    preview = imports.preview(db, manager, "collaborations", data, "c.csv")
    got = outcomes(preview)
    assert got == {
        2: "ok",
        3: "Same creator and campaign as line 2.",
        4: f"@grace already has a collaboration in Spring (#{world.collabs['grace_spring']}).",
        5: "There is no campaign called 'Nowhere'.",
        6: f"2 campaigns are called 'Summer' (#{world.campaigns['Summer']}, #4); give"
           " campaign_id instead.",
        7: "There is no campaign #999.",
        8: f"Campaign #{spring} is called 'Spring', not 'Launch'.",
        9: "There is no creator @nobody on instagram; import the creator first.",
        10: f"@ADA already has a collaboration in Spring (#{world.collabs['ada_spring']}).",
        11: "The cancel_reason (required for cancelled) is required.",
        12: "Unknown collaboration status 'done'; use one of pending, negotiating, fulfilling,"
            " completed, cancelled.",
        13: "The compensation can have at most two decimals.",
        14: "Unknown currency 'BTC'; use one of EUR, USD, GBP, CHF, SEK.",
        15: "The deliverables is required.",
        16: "The due date (2026-03-01) is before the start date (2026-03-31).",
        17: "start_date must be a date written YYYY-MM-DD, like 2026-03-31, not '31/03/2026'.",
        18: f"created_on ({tomorrow}) is in the future.",
        19: "Name the campaign: fill in campaign_id or campaign.",
        20: "Only a cancelled collaboration has a cancel_reason.",
    }
    before = counts(db)
    with pytest.raises(RuleViolation, match=r"18 rows fail.*and 8 more"):
        imports.commit(db, manager, preview)
    assert counts(db) == before


def test_a_collaborations_file_needs_a_campaign_column(db, world, manager) -> None:
    with pytest.raises(RuleViolation, match="no campaign_id or campaign column"):
        imports.preview(db, manager, "collaborations",
                        csv_bytes("handle,platform,compensation,deliverables",
                                  "linus,instagram,1,x"), "c.csv")


# --- templates and the command line -------------------------------------------------------


def test_the_templates_hold_every_column(db, world, manager) -> None:
    for kind in imports.KINDS:
        names = [c.name for c in imports.COLUMNS[kind]]
        header = next(csv.reader(io.StringIO(imports.template_csv(kind).decode(), newline="")))
        assert header == names
        book = load_workbook(io.BytesIO(imports.template_xlsx(kind)))
        assert [c.value for c in book.worksheets[0][1]] == names
        assert book["Columns"]["A2"].value == names[0]
    # The creators template's example row is itself a valid row.
    preview = imports.preview(db, manager, "creators", imports.template_csv("creators"),
                              "creators-template.csv")
    assert outcomes(preview) == {2: "ok"}


def test_cli_import(db, world: World, tmp_path: Path) -> None:
    db.close()
    good = tmp_path / "creators.csv"
    good.write_text(f"{CREATORS_HEADER}\nNew One,new.one,tiktok,,,,,,\n"
                    "Bad,bad,tiktok,nope,,,,,\n")
    dry = run_cli(db.path, "import", "creators", str(good), "--dry-run", "--quiet")
    assert dry.returncode == 0, dry.stderr
    assert "Line 3: 'nope' is not an e-mail address." in dry.stdout
    assert "1 of 2 rows pass the checks." in dry.stdout and "nothing was written" in dry.stdout
    refused = run_cli(db.path, "import", "creators", str(good), "--quiet")
    assert refused.returncode == 1 and "Nothing was imported" in refused.stderr
    done = run_cli(db.path, "import", "creators", str(good), "--leave-out-failing")
    assert done.returncode == 0, done.stderr
    assert "1 creator imported; 1 failing row left out." in done.stdout
    missing = run_cli(db.path, "import", "creators", str(tmp_path / "nope.csv"))
    assert missing.returncode == 1 and "Cannot read" in missing.stderr
    db2 = Database(db.path)
    try:
        assert db2.value("SELECT count(*) FROM creators WHERE handle = 'new.one'") == 1
        assert db2.value("SELECT count(*) FROM creators WHERE handle = 'bad'") == 0
    finally:
        db2.close()


# --- the page (AppTest) ------------------------------------------------------------------


def open_imports(app: AppTest, username: str = "manager") -> AppTest:
    login(app, username)
    app.switch_page("pages/imports.py").run()
    assert_ok(app)
    return app


def test_viewers_and_staff_have_no_imports_page(app) -> None:
    for username in ("viewer", "staff"):
        login(app, username)
        with pytest.raises(ValueError, match="Could not find a navigation page"):
            app.switch_page("pages/imports.py")
        labelled(app.button, "Log out").click().run()


def test_the_page_previews_then_imports(app, db) -> None:
    open_imports(app)
    assert [b.label for b in app.get("download_button")] == ["Template (.csv)",
                                                             "Template (.xlsx)"]
    data = csv_bytes(CREATORS_HEADER, "New One,new.one,tiktok,,,,,,", "Bad,bad,tiktok,nope,,,,,")
    before = counts(db)
    app.get("file_uploader")[0].upload("creators.csv", data, "text/csv")
    app.run()
    assert_ok(app)
    assert "**2 rows:** 1 pass, 1 fail." in [m.value for m in app.markdown]
    table = app.dataframe[-1].value
    assert table[["Line", "Outcome"]].values.tolist() == [[3, "Fails"], [2, "OK"]]
    assert labelled(app.button, "Import 1 creator").disabled  # a row fails
    assert counts(db) == before
    labelled(app.checkbox,
             "Import only the rows that pass (1) and leave out the failing ones (1)").check()
    app.run()
    labelled(app.button, "Import 1 creator").click().run()
    assert_ok(app)
    assert counts(db)[0] == before[0] + 1
    assert [t.value for t in app.toast] == ["1 creator imported; 1 failing row left out."]
    assert not app.get("file_uploader")[0].value  # a fresh box for the next file


def test_the_page_shows_a_refused_file(app, db) -> None:
    open_imports(app)
    labelled(app.radio, "What to import").set_value("collaborations").run()
    app.get("file_uploader")[0].upload("c.csv", b"handle,platform\nx,tiktok\n", "text/csv")
    app.run()
    assert not app.exception
    assert texts(app.error)[0].startswith("The file has no campaign_id or campaign")
