"""The table printed at the end of a run and the results.json it writes."""

from __future__ import annotations

import datetime as dt
import json
import os
import platform
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

from bench.timing import Stats

RESULTS = Path(__file__).resolve().parent / "results.json"


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


def previous_items(path: Path = RESULTS) -> list[dict[str, Any]]:
    """The items of the last results, each marked with the run that measured it, so that a run
    of some items (--only) can keep the others' figures."""
    try:
        document = json.loads(path.read_text())
    except (OSError, ValueError):
        return []
    return [{**item, "measured_at": item.get("measured_at", document.get("timestamp"))}
            for item in document.get("items", [])]


def previous_dataset(path: Path = RESULTS) -> dict[str, Any] | None:
    """The dataset the last results were measured on (kept by a run that builds none)."""
    try:
        return json.loads(path.read_text()).get("dataset")
    except (OSError, ValueError):
        return None


def write_results(
    rows: list[Row | dict[str, Any]], context: dict[str, Any], path: Path = RESULTS
) -> None:
    """This run's rows (and items carried over from an earlier run, as dicts) as results.json."""
    items = [r.as_dict() if isinstance(r, Row) else r for r in rows]
    document = {
        "timestamp": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "machine": machine(),
        **context,
        "items": items,
        "summary": {
            "pass": sum(i["result"] == "PASS" for i in items),
            "miss": [i["item"] for i in items if i["result"] == "MISS"],
        },
    }
    partial = path.with_name(path.name + ".tmp")
    partial.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n")
    partial.replace(path)


def markdown(path: Path = RESULTS) -> str:
    """docs/benchmarks.md's table, from a results.json: `python -m bench.report`."""
    document = json.loads(path.read_text())
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
        f"Run of {document['timestamp']} on {machine['cpu']} ({machine['cpus']} cores, "
        f"{(machine['memory_bytes'] or 0) / 2**30:.0f} GiB), load average "
        f"{machine['load_average_1_5_15'][0]}; Python {machine['python']}, "
        + ", ".join(f"{k} {v}" for k, v in machine["packages"].items()) + "."
    )
    if earlier:
        lines.append("")
        lines.append(f"† Not measured in this run (`--only`): carried over from the run of "
                     f"{', '.join(earlier)}.")
    return "\n".join(lines)


def _ratio_text(item: dict[str, Any]) -> str:
    ratio = item.get("ratio")
    if ratio is None:
        return "—"
    return f"{ratio:.0f}x faster" if "faster" in item["target"] else f"{ratio:.2f}x"


if __name__ == "__main__":
    print(markdown())
