"""Is a target met on every run, not on a lucky one? `python -m bench.stability` (after full
`make bench` runs) shows each item over the last three full runs of a size: the median each run
measured (its min, median and max across the runs), how many runs met the target, and the
ratio the same way.

Every full run (all items, no --only) is appended to bench/history.json by `python -m bench`;
a run with --only is a partial look and is left out, so the three runs compared are three
whole runs, one after the other, each with its own references.
"""

from __future__ import annotations

import argparse
import json
import statistics
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bench.report import without_row_count

HISTORY = Path(__file__).resolve().parent / "history.json"
KEEP = 12  # full runs kept per size
RUNS = 3


def record(run: dict[str, Any], size: str, path: Path = HISTORY) -> None:
    """Append one full run (results.json's shape: timestamp, machine, items) under `size`."""
    history = load(path)
    runs = history.setdefault(size, [])
    runs.append({
        "timestamp": run.get("timestamp"),
        "machine": run.get("machine"),
        "run_s": run.get("run_s"),
        "items": [_essentials(item) for item in run.get("items", [])],
    })
    history[size] = runs[-KEEP:]
    partial = path.with_suffix(".json.tmp")
    partial.write_text(json.dumps(history, indent=1, ensure_ascii=False) + "\n")
    partial.replace(path)


def _essentials(item: dict[str, Any]) -> dict[str, Any]:
    stats = item.get("stats") or {}
    return {"item": item.get("item"), "median_s": stats.get("median_s"),
            "value": item.get("value"), "ratio": item.get("ratio"),
            "target": item.get("target"), "result": item.get("result")}


def load(path: Path = HISTORY) -> dict[str, list[dict[str, Any]]]:
    if not path.exists():
        return {}
    document = json.loads(path.read_text())
    return document if isinstance(document, dict) else {}


def _spread(values: Sequence[float], unit: str) -> str:
    if not values:
        return "—"
    shown = [_fmt(v, unit) for v in (min(values), statistics.median(values), max(values))]
    return f"{shown[1]} ({shown[0]}–{shown[2]})"


def _fmt(value: float, unit: str) -> str:
    if unit == "x":
        return f"{value:.2f}x"
    return f"{value * 1000:,.0f} ms" if value < 10 else f"{value:,.1f} s"


def table(runs: list[dict[str, Any]]) -> list[str]:
    """Markdown rows: each item of the first run, across `runs`."""
    names = [without_row_count(i["item"]) for i in runs[0]["items"]]
    by_run = [{without_row_count(i["item"]): i for i in run["items"]} for run in runs]
    lines = ["| item | median per run: median (min–max) | ratio: median (min–max) | target |"
             " runs met |", "|---|---|---|---|---|"]
    for name in names:
        seen = [r[name] for r in by_run if name in r]
        medians = [i["median_s"] for i in seen if i.get("median_s") is not None]
        ratios = [i["ratio"] for i in seen if isinstance(i.get("ratio"), int | float)]
        figure = _spread(medians, "s") if medians else " / ".join(str(i["value"]) for i in seen)
        met = sum(i.get("result") == "PASS" for i in seen)
        target = seen[0].get("target") or ""
        counted = f"{met} of {len(seen)}" if target else "—"
        lines.append(f"| {name} | {figure} | {_spread(ratios, 'x')} | {target} | {counted} |")
    return lines


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", default="1M", help="which size's runs (1M)")
    parser.add_argument("--runs", type=int, default=RUNS, help="the last N full runs (3)")
    args = parser.parse_args(argv)
    runs = load().get(args.size, [])[-args.runs:]
    if not runs:
        print(f"No full run of {args.size} recorded yet: run `make bench` (no --only).")
        return
    stamps = ", ".join(f"{r['timestamp']} ({r['run_s']:.0f} s)" for r in runs)
    print(f"The last {len(runs)} full runs at {args.size}: {stamps}\n")
    print("\n".join(table(runs)))
    every = all(i.get("result") != "MISS" for r in runs for i in r["items"])
    print(f"\nEvery target met on every run: {'yes' if every else 'no'}")


if __name__ == "__main__":
    main()
