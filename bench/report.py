"""The table printed at the end of a run and the results.json it writes.

results.json keeps the last figures of each size: {"sizes": {"100k": run, "1M": run, "10M":
run}}, each run as one document (timestamp, machine, dataset, settings, items, summary). A file
of the older shape (one run at the top) is read as the run of the size its dataset names.
`python -m bench.report` prints one size's table (`--size`, default 1M); `--growth` prints each
item at every size side by side.
"""

from __future__ import annotations

import argparse
import datetime as dt
import itertools
import json
import os
import platform
import re
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

from bench.timing import Stats

RESULTS = Path(__file__).resolve().parent / "results.json"
SIZE_LABELS = ("100k", "1M", "10M")  # bench.dataset.SIZES' names, smallest first
_SIZE_OF = {100_000: "100k", 1_000_000: "1M", 10_000_000: "10M"}


@dataclass
class Row:
    """One line of the table: an item, its reference, and the target it is held to."""

    item: str
    stats: Stats | None  # None for a plain figure such as memory
    value: str  # the figure as shown
    reference: str = ""
    ratio: float | None = None
    ratio_text: str = ""
    target: str = ""
    passed: bool | None = None  # None: no target
    extra: dict[str, Any] | None = None

    @property
    def verdict(self) -> str:
        return "" if self.passed is None else ("PASS" if self.passed else "MISS")

    def as_dict(self) -> dict[str, Any]:
        return {
            "item": self.item,
            "value": self.value,
            "stats": self.stats.as_dict() if self.stats else None,
            "reference": self.reference,
            "ratio": None if self.ratio is None else round(self.ratio, 3),
            "target": self.target,
            "result": self.verdict or None,
            **(self.extra or {}),
        }


def ms(seconds: float) -> str:
    return f"{seconds * 1000:,.0f} ms" if seconds >= 0.1 else f"{seconds * 1000:,.1f} ms"


def timing_text(stats: Stats) -> str:
    return f"{ms(stats.median)} ({ms(stats.low)}–{ms(stats.high)})"


def print_table(rows: list[Row]) -> None:
    head = ("item", "median (min–max)", "reference", "ratio", "target", "")
    table = [head] + [
        (r.item, r.value, r.reference, r.ratio_text, r.target, r.verdict) for r in rows
    ]
    widths = [max(len(line[i]) for line in table) for i in range(len(head))]
    for n, line in enumerate(table):
        print("  ".join(cell.ljust(w) for cell, w in zip(line, widths, strict=True)).rstrip())
        if n == 0:
            print("  ".join("-" * w for w in widths))
    missed = [r.item for r in rows if r.passed is False]
    print(f"\n{sum(r.passed is True for r in rows)} PASS, {len(missed)} MISS")


def machine() -> dict[str, Any]:
    return {
        "platform": platform.platform(),
        "python": platform.python_version(),
        "cpu": _cpu_model(),
        "cpus": os.cpu_count(),
        "memory_bytes": _mem_total(),
        "load_average_1_5_15": [round(x, 2) for x in os.getloadavg()],
        "packages": {p: _version(p) for p in ("duckdb", "pandas", "streamlit")},
    }


def _version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "?"


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "?"


def _mem_total() -> int | None:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return None


def read_runs(path: Path = RESULTS) -> dict[str, dict[str, Any]]:
    """Each size's last run in results.json, by size label; {} when there is none. A document
    of the older shape (one run) counts as the run of its dataset's size (1M before sizes)."""
    try:
        document = json.loads(path.read_text())
    except (OSError, ValueError):
        return {}
    if not isinstance(document, dict):
        return {}
    if "sizes" in document:
        sizes = document["sizes"]
        return ({k: v for k, v in sizes.items() if isinstance(v, dict) and "items" in v}
                if isinstance(sizes, dict) else {})
    if "items" not in document:
        return {}
    collaborations = ((document.get("dataset") or {}).get("counts") or {}).get(
        "collaborations", 1_000_000)
    return {_SIZE_OF.get(collaborations, str(collaborations)): document}


def previous_items(size: str = "1M", path: Path = RESULTS) -> list[dict[str, Any]]:
    """The items of the size's last results, each marked with the run that measured it, so
    that a run of some items (--only) can keep the others' figures."""
    document = read_runs(path).get(size, {})
    return [{**item, "measured_at": item.get("measured_at", document.get("timestamp"))}
            for item in document.get("items", [])]


def previous_dataset(size: str = "1M", path: Path = RESULTS) -> dict[str, Any] | None:
    """The dataset the size's last results were measured on (kept by a run that builds none)."""
    return read_runs(path).get(size, {}).get("dataset")


def write_results(
    rows: list[Row | dict[str, Any]], context: dict[str, Any], size: str = "1M",
    path: Path = RESULTS,
) -> None:
    """This run's rows (and items carried over from an earlier run, as dicts) as the size's
    run in results.json; the other sizes' runs stay as they were."""
    items = [r.as_dict() if isinstance(r, Row) else r for r in rows]
    run = {
        "timestamp": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "machine": machine(),
        **context,
        "items": items,
        "summary": {
            "pass": sum(i["result"] == "PASS" for i in items),
            "miss": [i["item"] for i in items if i["result"] == "MISS"],
        },
    }
    runs = {**read_runs(path), size: run}
    ordered = {k: runs[k] for k in sorted(runs, key=_size_order)}
    partial = path.with_name(path.name + ".tmp")
    partial.write_text(json.dumps({"sizes": ordered}, indent=2, ensure_ascii=False) + "\n")
    partial.replace(path)


def _size_order(label: str) -> tuple[int, str]:
    return (SIZE_LABELS.index(label) if label in SIZE_LABELS else len(SIZE_LABELS), label)


def markdown(size: str = "1M", path: Path = RESULTS) -> str:
    """docs/benchmarks.md's table for one size, from results.json: `python -m bench.report`."""
    document = read_runs(path).get(size)
    if document is None:
        return f"No results for {size} in {path}: run `python -m bench --size {size}`."
    lines = [
        "| item | median (min–max) | reference (median) | ratio | target | result |",
        "|---|---|---|---|---|---|",
    ]
    earlier = sorted({i["measured_at"] for i in document["items"] if i.get("measured_at")})
    for item in document["items"]:
        name = item["item"] + (" †" if item.get("measured_at") else "")
        cells = (name, item["value"], item["reference"] or "—",
                 _ratio_text(item), item["target"], item["result"] or "—")
        lines.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
    machine = document["machine"]
    lines.append("")
    lines.append(
        f"Run of {document['timestamp']} at {size} on {machine['cpu']} ({machine['cpus']} "
        f"cores, {(machine['memory_bytes'] or 0) / 2**30:.0f} GiB), load average "
        f"{machine['load_average_1_5_15'][0]}; Python {machine['python']}, "
        + ", ".join(f"{k} {v}" for k, v in machine["packages"].items()) + "."
    )
    if earlier:
        lines.append("")
        lines.append(f"† Not measured in this run (`--only`): carried over from the run of "
                     f"{', '.join(earlier)}.")
    return "\n".join(lines)


# --- growth: each item at every size ---------------------------------------------------------

_ROWS_IN_NAME = re.compile(r"\s*\([\d,]+ rows\)")
_DEEP_PAGE = re.compile(r"\bp(?!1\b)\d[\d,]*")  # p200, p2,000 (a depth that scales), not p1
_CAMPAIGNS = re.compile(r"\ball [\d,]+ campaigns\b")


def without_row_count(item: str) -> str:
    """An item's name without its count of matching rows (it moves with the size, and with the
    clock for the shipments in transit longer than 120 days)."""
    return _ROWS_IN_NAME.sub("", item)


def growth_key(item: str) -> str:
    """An item's name without what changes with the size: its row count, a deep page's number
    (chosen at the same share of the rows at every size) and the number of campaigns."""
    key = without_row_count(item)
    key = _DEEP_PAGE.sub("p(deep)", key)
    return _CAMPAIGNS.sub("all campaigns", key)


def _figure(item: dict[str, Any]) -> tuple[str, float | None]:
    """The figure shown for an item and the number to compare across sizes: a timed item's
    median seconds, else its value as printed (peak RSS, a page's first render)."""
    stats = item.get("stats")
    if stats:
        return ms(stats["median_s"]), stats["median_s"]
    if isinstance(item.get("seconds"), int | float):
        return item["value"], float(item["seconds"])
    if isinstance(item.get("vmhwm_bytes"), int):
        return item["value"], float(item["vmhwm_bytes"])
    return item["value"], None


def _factor(small: float | None, big: float | None) -> str:
    return "—" if not small or big is None else f"{big / small:.1f}x"


def growth(path: Path = RESULTS) -> str:
    """Every item's figure at 100k, 1M and 10M side by side, with the growth factor of each
    step (10x the rows each: above 10x is worse than linear), then each size's database."""
    runs = read_runs(path)
    sizes = [s for s in SIZE_LABELS if s in runs]
    if not sizes:
        return f"No results in {path}: run `python -m bench --size 100k` (1M, 10M)."
    table: dict[str, dict[str, tuple[str, float | None]]] = {}
    for size in sizes:
        for item in runs[size]["items"]:
            if item["item"].endswith(" vs pandas"):  # the same service figure as the row above
                continue
            table.setdefault(growth_key(item["item"]), {})[size] = _figure(item)
    steps = list(itertools.pairwise(sizes))
    head = ["item", *sizes, *(f"{a}→{b}" for a, b in steps)]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for key, figures in table.items():
        cells = [key, *(figures.get(s, ("—", None))[0] for s in sizes)]
        cells += [_factor(figures.get(a, ("", None))[1], figures.get(b, ("", None))[1])
                  for a, b in steps]
        lines.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
    lines += ["", "| size | " + " | ".join(sizes) + " |", "|" + "---|" * (len(sizes) + 1)]
    for label, cell in _DATASET_ROWS:
        lines.append(f"| {label} | " + " | ".join(cell(runs[s]) for s in sizes) + " |")
    return "\n".join(lines)


def _count(run: dict[str, Any], table: str) -> str:
    counted = ((run.get("dataset") or {}).get("counts") or {}).get(table)
    return f"{counted:,}" if isinstance(counted, int) else "—"


def _mib(value: Any) -> str:
    return f"{value / 2**20:,.0f} MiB" if isinstance(value, int | float) else "—"


def _seconds(value: Any) -> str:
    return f"{value:,.0f} s" if isinstance(value, int | float) else "—"


_DATASET_ROWS = (
    ("collaborations", lambda r: _count(r, "collaborations")),
    ("activity events", lambda r: _count(r, "activity_events")),
    ("database file", lambda r: _mib((r.get("dataset") or {}).get("file_bytes"))),
    ("build time", lambda r: _seconds((r.get("dataset") or {}).get("built_in_s"))),
    ("whole run", lambda r: _seconds(r.get("run_s"))),
    ("bench process peak RSS", lambda r: _mib(r.get("peak_rss_bytes"))),
    ("load average (1 min) at the end", lambda r: str(r["machine"]["load_average_1_5_15"][0])),
    ("run of", lambda r: r["timestamp"]),
)


# The README's summary: one line per kind of item, its worst figure against its target.
_GROUPS = (
    ("list vs hand SQL", lambda n: n.startswith("list:") and not n.endswith("vs pandas")),
    ("list vs pandas", lambda n: n.startswith("list:") and n.endswith("vs pandas")),
    ("progress vs hand SQL", lambda n: n.startswith("progress")),
    ("deliveries vs hand SQL", lambda n: n.startswith("deliveries:")),
    ("inbox vs hand SQL", lambda n: n.startswith("inbox:")),
    ("batch of 10,000", lambda n: n.startswith("batch:")),
    ("first render of each page (server)", lambda n: n.startswith("page render:")),
    ("until background figures show", lambda n: n.startswith("page ready:")),
    ("app peak memory", lambda n: n.startswith("app peak memory")),
    ("browser: open to first table", lambda n: n.startswith("browser:")),
    ("SQL console hostile queries", lambda n: n.startswith("console:")),
    ("shared store vs file", lambda n: n.startswith("shared:")),
)


def _worst(items: list[dict[str, Any]]) -> str:
    """The figure farthest from its target: the least speedup, the highest ratio, the
    longest time or the largest memory."""
    faster = [i["ratio"] for i in items if i.get("ratio") and "faster" in (i["target"] or "")]
    if faster:
        return f"{min(faster):.0f}x faster"
    ratios = [i["ratio"] for i in items if isinstance(i.get("ratio"), int | float)]
    if ratios:
        return f"{max(ratios):.2f}x"
    figures = [_figure(i) for i in items]
    known = [f for f in figures if f[1] is not None]
    return max(known, key=lambda f: f[1])[0] if known else items[0]["value"]


def summary(size: str = "1M", path: Path = RESULTS) -> str:
    """The README's table: per kind of item, how many met their target and the worst figure,
    from one run (with its date, machine and command)."""
    document = read_runs(path).get(size)
    if document is None:
        return f"No results for {size} in {path}: run `make bench`."
    lines = ["| item | rows | met | worst | target |", "|---|---|---|---|---|"]
    for label, belongs in _GROUPS:
        items = [i for i in document["items"] if belongs(i["item"])]
        if not items:
            continue
        targets = sorted({i["target"] for i in items if i["target"]})
        met = sum(i["result"] == "PASS" for i in items)
        judged = sum(i["result"] in ("PASS", "MISS") for i in items)
        lines.append(f"| {label} | {len(items)} | {met} of {judged} | {_worst(items)} | "
                     f"{'; '.join(targets) or '—'} |")
    machine = document["machine"]
    carried = any(i.get("measured_at") for i in document["items"])
    what = "with items carried over" if carried else "every item"
    lines += ["", f"One run of `make bench` ({what}), {document['timestamp']}, {size}: "
              f"{machine['cpu']}, {machine['cpus']} cores, "
              f"{(machine['memory_bytes'] or 0) / 2**30:.0f} GiB, load average "
              f"{machine['load_average_1_5_15'][0]} at the end; {document.get('run_s', 0):.0f} s."]
    return "\n".join(lines)


def _ratio_text(item: dict[str, Any]) -> str:
    ratio = item.get("ratio")
    if ratio is None:
        return "—"
    return f"{ratio:.0f}x faster" if "faster" in item["target"] else f"{ratio:.2f}x"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.report",
                                     description="Print bench/results.json as Markdown.")
    parser.add_argument("--size", default="1M", choices=SIZE_LABELS,
                        help="the size whose table to print (1M)")
    parser.add_argument("--growth", action="store_true",
                        help="each item at 100k, 1M and 10M side by side instead")
    parser.add_argument("--summary", action="store_true",
                        help="the README's table: one line per kind of item")
    args = parser.parse_args(argv)
    if args.summary:
        print(summary(args.size))
    else:
        print(growth() if args.growth else markdown(args.size))


if __name__ == "__main__":
    main()
