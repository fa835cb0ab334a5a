"""The benchmark's sizes (bench.dataset) and its per-size results file (bench.report): no big
database, only the parsing, the paths, the plan's counts and the JSON."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from bench import dataset, report
from bench.report import Row
from bench.timing import Stats
from lib import config
from lib.db import Database
from lib.demo import build_demo


@pytest.mark.parametrize(
    ("text", "collaborations"),
    [("100k", 100_000), ("100K", 100_000), ("1M", 1_000_000), ("1m", 1_000_000),
     ("10M", 10_000_000), ("100000", 100_000), ("1000000", 1_000_000),
     ("10_000_000", 10_000_000), ("10,000,000", 10_000_000), (" 1M ", 1_000_000)],
)
def test_sizes_parse_by_name_or_number(text: str, collaborations: int) -> None:
    assert dataset.parse_size(text) == collaborations


@pytest.mark.parametrize("text", ["", "2M", "1000", "1e6", "-1M", "100001", "M", "1MM",
                                  "10M; rm -rf /", "１M"])
def test_other_sizes_are_refused_with_the_ones_there_are(text: str) -> None:
    with pytest.raises(ValueError, match=r"100k .*1M .*10M"):
        dataset.parse_size(text)


def test_each_size_has_its_own_files() -> None:
    sizes = dataset.SIZES.values()
    pristine = {dataset.pristine_path(n) for n in sizes}
    work = {dataset.work_path(n) for n in sizes}
    assert len(pristine) == len(work) == len(sizes)
    assert not pristine & work
    assert all(str(n) in p.name for n, p in zip(sizes, map(dataset.pristine_path, sizes),
                                                strict=True))
    assert dataset.size_label(10_000_000) == "10M"


def test_expected_counts_are_what_the_demo_builds(tmp_path: Path) -> None:
    """The counts the cache is checked against come from lib.demo's own plan: a small build
    has exactly them (the sizes are the same plan at other scales)."""
    db = Database(tmp_path / "small.duckdb")
    try:
        build_demo(db, collaborations=400, seed=dataset.SEED)
        db.value("CHECKPOINT")
    finally:
        db.close()
    counts = dataset.table_counts(tmp_path / "small.duckdb")
    assert all(counts[t] == n for t, n in dataset.expected_counts(400).items())
    assert dataset.expected_counts(10_000_000) == {
        "collaborations": 10_000_000, "creators": 2_500_000, "campaigns": 50_000}
    assert dataset._usable(tmp_path / "small.duckdb", 400)
    assert not dataset._usable(tmp_path / "small.duckdb", 100_000)


def test_setup_connections_get_the_setup_limit_and_the_app_keeps_its_own(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(dataset.SETUP_MEMORY_ENV, "3000")
    monkeypatch.setenv(config.DUCKDB_MEMORY_MB_ENV, "300")
    limit = "SELECT current_setting('memory_limit')"
    with dataset.setup_connections():
        db = Database(tmp_path / "a.duckdb")
    setup_limit = db.value(limit)
    db.close()
    assert os.environ[config.DUCKDB_MEMORY_MB_ENV] == "300"
    db = Database(tmp_path / "a.duckdb")
    try:
        app_limit = db.value(limit)
        with dataset.setup_memory(db):
            assert db.value(limit) == setup_limit
        assert db.value(limit) == app_limit
    finally:
        db.close()
    assert setup_limit != app_limit
    assert setup_limit.startswith("2.7 GiB") or setup_limit.startswith("2.8 GiB")


@pytest.mark.parametrize("raw", ["lots", "12", "-5", "4096MB"])
def test_an_unusable_setup_limit_keeps_the_default(raw: str,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(dataset.SETUP_MEMORY_ENV, raw)
    assert dataset.setup_memory_mb() == dataset.SETUP_MEMORY_MB


def test_deep_pages_keep_their_share_of_the_rows() -> None:
    assert [dataset.scaled(2_000, n) for n in dataset.SIZES.values()] == [200, 2_000, 20_000]
    assert dataset.scaled(200, 1_000) == 1


# --- results.json per size -------------------------------------------------------------------


def _rows(seconds: float) -> list[Row | dict[str, Any]]:
    return [Row("list: no filter, p1 (1,000 rows)", Stats((seconds,)), f"{seconds} s")]


def _context(collaborations: int) -> dict[str, Any]:
    return {"dataset": {"counts": {"collaborations": collaborations}, "file_bytes": 2**20,
                        "built_in_s": 1.5}, "run_s": 3.0}


def test_a_size_does_not_overwrite_another(tmp_path: Path) -> None:
    path = tmp_path / "results.json"
    report.write_results(_rows(0.5), _context(1_000_000), "1M", path)
    report.write_results(_rows(5.0), _context(10_000_000), "10M", path)
    report.write_results(_rows(0.6), _context(1_000_000), "1M", path)
    runs = report.read_runs(path)
    assert list(runs) == ["1M", "10M"]
    assert runs["1M"]["items"][0]["stats"]["median_s"] == 0.6
    assert runs["10M"]["items"][0]["stats"]["median_s"] == 5.0
    assert report.previous_dataset("10M", path)["counts"]["collaborations"] == 10_000_000
    assert report.previous_items("100k", path) == []


def test_results_of_the_older_shape_are_read_as_their_size(tmp_path: Path) -> None:
    """Before sizes, results.json was one run (at 1M): it stays readable, and the next run of
    another size keeps it."""
    path = tmp_path / "results.json"
    old = {"timestamp": "2026-12-04T22:55:24+00:00", "machine": report.machine(),
           "dataset": {"counts": {"collaborations": 1_000_000}},
           "items": [{"item": "batch: 10,000 rows, absolute", "value": "308 ms",
                      "stats": {"median_s": 0.308}, "reference": "", "ratio": None,
                      "target": "< 1 s", "result": "PASS"}]}
    path.write_text(json.dumps(old))
    assert list(report.read_runs(path)) == ["1M"]
    assert "batch: 10,000 rows, absolute" in report.markdown("1M", path)
    report.write_results(_rows(0.05), _context(100_000), "100k", path)
    document = json.loads(path.read_text())
    assert list(document["sizes"]) == ["100k", "1M"]
    assert document["sizes"]["1M"]["items"] == old["items"]


@pytest.mark.parametrize("text", ["", "[]", "{not json", '{"sizes": []}', '"x"',
                                  '{"sizes": {"1M": {"no": "items"}}}'])
def test_an_unreadable_results_file_counts_as_none(tmp_path: Path, text: str) -> None:
    path = tmp_path / "results.json"
    path.write_text(text)
    assert report.read_runs(path) == {}
    assert "No results" in report.growth(path)


@pytest.mark.parametrize(("name", "key"), [
    ("list: status, by updated, p200 (449,780 rows)", "list: status, by updated, p(deep)"),
    ("list: status, by updated, p1 (44,978 rows)", "list: status, by updated, p1"),
    ("inbox: no filter, p2,000 (250,000 rows)", "inbox: no filter, p(deep)"),
    ("progress funnel: all 50,000 campaigns (6 rows)", "progress funnel: all campaigns"),
    ("batch: 10,000 rows, absolute", "batch: 10,000 rows, absolute"),
])
def test_growth_keys_drop_what_changes_with_the_size(name: str, key: str) -> None:
    assert report.growth_key(name) == key


def test_growth_puts_each_item_at_every_size_side_by_side(tmp_path: Path) -> None:
    path = tmp_path / "results.json"
    for size, n, seconds, page in (("100k", 100_000, 0.01, 20), ("1M", 1_000_000, 0.1, 200),
                                   ("10M", 10_000_000, 2.0, 2_000)):
        rows: list[Row | dict[str, Any]] = [
            Row(f"list: status, p{page:,} ({n // 2:,} rows)", Stats((seconds,)), "x"),
            Row("app peak memory (RSS): every page", None, f"{n // 10_000} MiB",
                extra={"vmhwm_bytes": n * 100}),
        ]
        report.write_results(rows, _context(n), size, path)
    table = report.growth(path).splitlines()
    assert table[0] == "| item | 100k | 1M | 10M | 100k→1M | 1M→10M |"
    assert table[2] == "| list: status, p(deep) | 10.0 ms | 100 ms | 2,000 ms | 10.0x | 20.0x |"
    assert table[3] == ("| app peak memory (RSS): every page | 10 MiB | 100 MiB | 1000 MiB "
                        "| 10.0x | 10.0x |")
    assert "| database file | 1 MiB | 1 MiB | 1 MiB |" in table
    assert "| build time | 2 s | 2 s | 2 s |" in table


def test_the_report_command_takes_a_size_or_growth(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        report.main(["--size", "2M"])
    assert "invalid choice" in capsys.readouterr().err


def test_a_reused_file_reports_the_build_time_recorded_beside_it(tmp_path: Path) -> None:
    built = tmp_path / "collabdesk-100000-seed42.duckdb"
    built.write_bytes(b"x" * 100)
    assert dataset._recorded_build_s(built) is None  # no record
    record = dataset.build_record(built)
    record.write_text(json.dumps({"built_in_s": 2.7, "file_bytes": 100}))
    assert dataset._recorded_build_s(built) == 2.7
    record.write_text(json.dumps({"built_in_s": 2.7, "file_bytes": 99}))  # another build's
    assert dataset._recorded_build_s(built) is None
    record.write_text("[2.7]")
    assert dataset._recorded_build_s(built) is None


def test_the_workflow_history_in_parts_is_the_same_as_in_one(tmp_path: Path) -> None:
    """At 10M the progress item adds its history in parts (one transaction each, so it fits
    in memory); the parts must give exactly the rows one pass gives."""
    import shutil

    from bench import progress

    tables = {"applications": "id, campaign_id, creator_id, stage, created_at, updated_at",
              "agreements": "id, application_id, sent_at, outcome, responded_at",
              "campaign_events": "id, campaign_id, application_id, occurred_at, kind, to_value"}
    db = Database(tmp_path / "one.duckdb")
    build_demo(db, collaborations=3_000, seed=dataset.SEED)
    db.close()
    shutil.copyfile(tmp_path / "one.duckdb", tmp_path / "parts.duckdb")
    found = {}
    for name, part in (("one", 10**9), ("parts", 500)):
        db = Database(tmp_path / f"{name}.duckdb")
        try:
            if name == "parts":
                assert len(progress.history_parts(db, part)) > 3
            progress.add_workflow_history(db, part)
            found[name] = {t: db.rows(f"SELECT {cols} FROM {t} ORDER BY id")
                           for t, cols in tables.items()}
        finally:
            db.close()
    assert found["one"] == found["parts"]
    assert len(found["one"]["applications"]) > 3_000


def test_a_failing_read_says_which_side_failed() -> None:
    import duckdb

    from bench import progress

    def out_of_memory() -> None:
        raise duckdb.OutOfMemoryException("Out of Memory Error: failed to allocate 16 MiB\nmore")

    found = progress._each_once({"service": out_of_memory, "sql": lambda: None})
    assert found["service"].startswith("failed after ")
    assert found["service"].endswith("Out of Memory Error: failed to allocate 16 MiB")
    assert found["sql"].endswith(" s")
