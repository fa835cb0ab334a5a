"""bench/stability.py: full runs are kept per size and compared item by item."""

from __future__ import annotations

from pathlib import Path

from bench import stability


def run(stamp: str, median_s: float, ratio: float, result: str) -> dict:
    item = {"item": "list: one", "stats": {"median_s": median_s}, "value": "x",
            "ratio": ratio, "target": "<= 1.5x SQL", "result": result}
    memory = {"item": "memory", "stats": None, "value": "700 MiB", "ratio": None,
              "target": "< 1 GB", "result": "PASS"}
    return {"timestamp": stamp, "machine": {}, "run_s": 60.0, "items": [item, memory]}


def test_three_runs_show_min_median_max_and_how_many_met(tmp_path: Path) -> None:
    path = tmp_path / "history.json"
    for n, (median, ratio, result) in enumerate([(0.010, 1.2, "PASS"), (0.030, 1.6, "MISS"),
                                                 (0.020, 1.4, "PASS")]):
        stability.record(run(f"t{n}", median, ratio, result), "1M", path)
    stability.record(run("other", 9.0, 9.0, "MISS"), "10M", path)  # another size stays apart
    runs = stability.load(path)["1M"]
    assert [r["timestamp"] for r in runs] == ["t0", "t1", "t2"]
    lines = stability.table(runs)
    assert lines[2] == ("| list: one | 20 ms (10 ms–30 ms) | 1.40x (1.20x–1.60x) | <= 1.5x SQL |"
                        " 2 of 3 |")
    assert lines[3] == "| memory | 700 MiB / 700 MiB / 700 MiB | — | < 1 GB | 3 of 3 |"


def test_only_the_last_runs_are_kept(tmp_path: Path) -> None:
    path = tmp_path / "history.json"
    for n in range(stability.KEEP + 3):
        stability.record(run(f"t{n}", 0.01, 1.0, "PASS"), "1M", path)
    runs = stability.load(path)["1M"]
    assert len(runs) == stability.KEEP and runs[-1]["timestamp"] == f"t{stability.KEEP + 2}"


def test_the_readme_summary_counts_each_kind_and_names_the_worst(tmp_path: Path) -> None:
    from bench import report

    items = [
        {"item": "list: a", "stats": {"median_s": 0.02}, "value": "20 ms", "reference": "",
         "ratio": 1.2, "target": "<= 1.5x SQL", "result": "PASS"},
        {"item": "list: b", "stats": {"median_s": 0.03}, "value": "30 ms", "reference": "",
         "ratio": 1.7, "target": "<= 1.5x SQL", "result": "MISS"},
        {"item": "list: a vs pandas", "stats": {"median_s": 0.02}, "value": "20 ms",
         "reference": "", "ratio": 25.0, "target": ">= 20x faster", "result": "PASS"},
        {"item": "page render: inbox, first (AppTest)", "stats": None, "value": "900 ms",
         "seconds": 0.9, "reference": "", "ratio": None, "target": "< 1 s", "result": "PASS"},
        {"item": "page render: progress, first (AppTest)", "stats": None, "value": "1,200 ms",
         "seconds": 1.2, "reference": "", "ratio": None, "target": "< 1 s", "result": "MISS"},
    ]
    path = tmp_path / "results.json"
    report.write_results(items, {"run_s": 61.0}, "1M", path)
    table = report.summary("1M", path).splitlines()
    assert table[2] == "| list vs hand SQL | 2 | 1 of 2 | 1.70x | <= 1.5x SQL |"
    assert table[3] == "| list vs pandas | 1 | 1 of 1 | 25x faster | >= 20x faster |"
    assert table[4] == "| first render of each page (server) | 2 | 1 of 2 | 1,200 ms | < 1 s |"
    assert table[-1].startswith("One run of `make bench` (every item), ")


def test_an_items_count_of_rows_does_not_split_it_across_runs(tmp_path: Path) -> None:
    path = tmp_path / "history.json"
    for n, total in enumerate(["44,762", "44,764", "44,764"]):
        shipped = run(f"t{n}", 0.02, 1.1, "PASS")
        shipped["items"][0]["item"] = f"deliveries: in transit > 120 days, p1 ({total} rows)"
        stability.record(shipped, "1M", path)
    lines = stability.table(stability.load(path)["1M"])
    assert lines[2].startswith("| deliveries: in transit > 120 days, p1 | 20 ms")
    assert lines[2].endswith("| 3 of 3 |")


def test_every_row_of_the_render_item_is_written(tmp_path: Path) -> None:
    """results.json keeps an item's rows by their name's start (ROW_PREFIXES): a row named
    otherwise is printed and then lost."""
    from bench.__main__ import ROW_PREFIXES, render_rows
    from bench.render import RenderOutcome
    from bench.timing import Stats

    outcome = RenderOutcome(
        Stats((0.1, 0.2)), 1.0, 0.5, 600 * 2**20, 0, 500 * 2**20, [],
        {"progress": 0.7, "users": 0.05}, {"progress": 2.5}, {"progress": [], "users": []},
        True)
    names = [row.item for row in render_rows(outcome)]
    assert "page ready: progress, background reads done (AppTest)" in names
    assert all(name.startswith(ROW_PREFIXES["render"]) for name in names)
