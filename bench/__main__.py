"""`python -m bench` (or `make bench`): the issue-3 benchmark at a million collaborations
(`--size 100k`, `1M` or `10M`: each size has its own database and its own figures).

Builds (once) or reuses the database, then measures the list query, the batch status change,
the progress aggregations, the page render and the app's peak memory, each against a reference
timed in the same run; prints a table and writes bench/results.json. The console item (issue
13: hostile SQL console queries against its limits) needs no big database: `--only console`
runs it on a small one of its own. The browser item (issue 16: opening each page to its first
table in Chromium) serves a copy of the cached database of its own, in a temporary folder.
The shared item (issue 17) copies the work database into a throwaway PostgreSQL cluster and
times the main items on both stores (bench/shared.py).
"""

from __future__ import annotations

import argparse
import os
import resource
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench import (
    batch,
    browser,
    console,
    dataset,
    deliveries,
    inbox,
    listing,
    progress,
    render,
    shared,
    stability,
    timing,
)
from bench.report import (
    RESULTS,
    Row,
    ms,
    previous_dataset,
    previous_items,
    print_table,
    read_runs,
    timing_text,
    write_results,
)
from bench.versus import VersusOutcome
from lib import config
from lib.db import Database

GB = 1_000_000_000
ITEMS = ("list", "progress", "batch", "render", "deliveries", "inbox", "shared", "browser",
         "console")
# The items that work on the size's work copy (the browser item copies the database itself).
WORK_COPY_ITEMS = {"list", "progress", "batch", "render", "deliveries", "inbox", "shared"}
MB = 2**20
# How each item's rows are named: a run with --only keeps the last figures of the items it skips.
ROW_PREFIXES = {"list": ("list",), "progress": ("progress",), "batch": ("batch",),
                "render": ("page render", "page ready", "app peak memory"),
                "deliveries": ("deliveries",), "inbox": ("inbox",), "shared": ("shared",),
                "browser": ("browser",), "console": ("console",)}


def list_rows(outcomes: list[listing.ListOutcome]) -> list[Row]:
    rows = []
    for o in outcomes:
        service, sql, pandas = (o.stats[k] for k in ("service", "sql", "pandas"))
        name = f"list: {o.scenario.name} ({o.total:,} rows)"
        extra = {"total": o.total, "agree": o.agree, "notes": o.notes,
                 "sql": sql.as_dict(), "pandas": pandas.as_dict()}
        vs_sql = service.median / sql.median
        rows.append(Row(name, service, timing_text(service), f"hand SQL {ms(sql.median)}",
                        vs_sql, f"{vs_sql:.2f}x", "<= 1.5x SQL",
                        o.agree and vs_sql <= 1.5, extra))
        speedup = pandas.median / service.median
        rows.append(Row(f"{name} vs pandas", service, timing_text(service),
                        f"pandas {ms(pandas.median)}", speedup, f"{speedup:.0f}x faster",
                        ">= 20x faster", o.agree and speedup >= 20))
    return rows


def batch_rows(o: batch.BatchOutcome) -> list[Row]:
    service, sql = o.stats["service"], o.stats["sql"]
    ratio = service.median / sql.median
    extra = {"correct": o.correct, "notes": o.notes, "sql": sql.as_dict()}
    return [
        Row(f"batch: {o.size:,} rows, preview + apply", service, timing_text(service),
            f"UPDATE + INSERT {ms(sql.median)}", ratio, f"{ratio:.2f}x", "<= 5x SQL",
            o.correct and ratio <= 5, extra),
        Row(f"batch: {o.size:,} rows, absolute", service, timing_text(service), "", None, "",
            "< 1 s", o.correct and service.median < 1),
    ]


def progress_rows(outcomes: list[progress.ProgressOutcome]) -> list[Row]:
    rows = []
    for o in outcomes:
        if o.failed:
            said = "; ".join(f"{side}: {what}" for side, what in o.failed.items())
            rows.append(Row(f"progress {o.aggregation}: {o.scenario.name}", None,
                            "failed", said[:300], None, "", f"<= {progress.TARGET:g}x SQL",
                            False, {"failed": o.failed}))
            continue
        service, sql = o.stats["service"], o.stats["sql"]
        ratio = service.median / sql.median
        rows.append(Row(f"progress {o.aggregation}: {o.scenario.name} ({o.rows:,} rows)", service,
                        timing_text(service), f"hand SQL {ms(sql.median)}", ratio,
                        f"{ratio:.2f}x", f"<= {progress.TARGET:g}x SQL",
                        o.agree and ratio <= progress.TARGET,
                        {"agree": o.agree, "rows": o.rows, "sql": sql.as_dict()}))
    return rows


def render_rows(o: render.RenderOutcome) -> list[Row]:
    extra = {"login_s": round(o.login_s, 3), "first_form_s": round(o.first_s, 3),
             "problems": o.problems}
    # VmHWM is the child's own peak since its exec. ru_maxrss of RUSAGE_CHILDREN is kept for
    # the record only: Linux also counts the pages the child shared with this (big) parent
    # between fork and exec, so it reports the parent's size, not the app's.
    peak = o.peak_rss_bytes
    memory = {"vmhwm_bytes": o.peak_rss_bytes, "ru_maxrss_children_bytes": o.child_maxrss_bytes,
              "rss_after_bytes": o.rss_after_bytes, "snapshot_written": o.snapshot_written,
              "limits": vars(config.database_limits())}
    rows = [Row("page render: collaborations, again (AppTest)", o.stats, timing_text(o.stats),
                "", None, "", "< 1 s", not o.problems and o.stats.median < 1, extra)]
    for page, seconds in o.pages_s.items():
        problems = o.page_problems[page]
        rows.append(Row(f"page render: {page}, first (AppTest)", None, f"{ms(seconds)}", "",
                        None, "", "< 1 s", not problems and seconds < 1,
                        {"seconds": round(seconds, 3), "problems": problems}))
    for page, seconds in o.ready_s.items():  # a figure: what a person waits for in all
        rows.append(Row(f"page ready: {page}, background reads done (AppTest)", None,
                        f"{ms(seconds)}", "", None, "", "", not o.page_problems[page],
                        {"seconds": round(seconds, 3)}))
    rows.append(Row("app peak memory (RSS): every page + a snapshot", None,
                    f"{peak / 2**20:,.0f} MiB", "", None, "", "< 1 GB",
                    peak < GB and o.snapshot_written, memory))
    return rows


def versus_sql_rows(kind: str, outcomes: list[VersusOutcome]) -> list[Row]:
    """One row per scenario of a list read held to a multiple of its hand-written SQL."""
    rows = []
    for o in outcomes:
        service, sql = o.stats["service"], o.stats["sql"]
        target = getattr(o.scenario, "target", 1.5)
        ratio = service.median / sql.median
        rows.append(Row(f"{kind}: {o.scenario.name} ({o.total:,} rows)", service,
                        timing_text(service), f"hand SQL {ms(sql.median)}", ratio,
                        f"{ratio:.2f}x", f"<= {target:g}x SQL", o.agree and ratio <= target,
                        {"total": o.total, "agree": o.agree, "notes": o.notes,
                         "sql": sql.as_dict()}))
    return rows


def console_rows(outcomes: list[console.ConsoleOutcome]) -> list[Row]:
    """Two rows per hostile query: its wall time against the time limit, and the memory it
    cost (the app's RSS growth plus its worker's)."""
    rows = []
    for o in outcomes:
        ratio = o.wall_s / o.time_limit
        said = (o.message or "not refused").split(".")[0]
        extra = {"aims_at": o.aims_at, "message": o.message, "wall_s": round(o.wall_s, 3),
                 "time_limit_s": o.time_limit, "app_growth_bytes": o.app_growth_bytes,
                 "worker_peak_bytes": o.worker_peak_bytes,
                 "worker_growth_bytes": o.worker_growth_bytes,
                 "children_maxrss_bytes": o.children_maxrss_bytes}
        name = f"console: {o.name}"
        rows.append(Row(f"{name}, refused in", None, f"{o.wall_s:.2f} s",
                        f"time limit {o.time_limit:g} s", ratio, f"{ratio:.2f}x",
                        f"<= {console.TIME_TARGET:g}x limit",
                        o.refused and ratio <= console.TIME_TARGET, extra))
        rows.append(Row(f"{name}, RSS growth", None,
                        f"{o.growth_bytes / MB:,.0f} MiB", said, None, "",
                        f"< {console.RSS_TARGET // MB} MiB",
                        o.refused and o.growth_bytes < console.RSS_TARGET,
                        {"app_growth_mib": round(o.app_growth_bytes / MB, 1),
                         "worker_growth_mib": round(o.worker_growth_bytes / MB, 1)}))
    return rows


def shared_rows(run: shared.SharedRun) -> list[Row]:
    """The shared PostgreSQL store beside the file: a figure per item, no target."""
    if run.problem:
        return [Row("shared: not measured", None, run.problem, passed=False)]
    rows = [Row("shared: copying the database into PostgreSQL", None, f"{run.load_s:.0f} s")]
    for o in run.outcomes:
        on_file, on_store = o.stats["file"], o.stats["shared"]
        ratio = on_store.median / on_file.median
        rows.append(Row(f"shared: {o.name}", on_store, timing_text(on_store),
                        f"file {ms(on_file.median)}", ratio, f"{ratio:.2f}x the file",
                        "same rows", o.agree,
                        {"file": on_file.as_dict(), "notes": o.notes}))
    return rows


def browser_rows(outcomes: list[browser.BrowserOutcome]) -> list[Row]:
    """One row per page: opening its address to its first table drawn, in Chromium."""
    rows = []
    for o in outcomes:
        extra = {"url_path": o.target.path, "waits_for": o.target.shows,
                 "warm_up_s": None if o.warm_s is None else round(o.warm_s, 3),
                 "problem": o.problem,
                 "load_average_start_end": [[round(x, 2) for x in a] for a in o.load_average]}
        name = f"browser: {o.target.page}, open to {o.target.shows}"
        target = f"< {browser.TARGET_S:g} s"
        if o.stats is None:
            rows.append(Row(name, None, "not shown", "", None, "", target, False, extra))
        else:
            rows.append(Row(name, o.stats, timing_text(o.stats), "", None, "", target,
                            o.stats.median < browser.TARGET_S, extra))
    return rows


def with_skipped(rows: list[Row], only: set[str], size: str) -> list[Row | dict[str, Any]]:
    """This run's rows, and the size's last rows of the items it skipped, in ITEMS order."""
    earlier = previous_items(size)
    ordered: list[Row | dict[str, Any]] = []
    for item in ITEMS:
        source: list[Row] | list[dict[str, Any]] = rows if item in only else earlier
        ordered += [r for r in source
                    if (r.item if isinstance(r, Row) else r["item"]).startswith(
                        ROW_PREFIXES[item])]
    return ordered


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--repeat", type=int, default=5, help="timed runs per item (5)")
    parser.add_argument("--list-repeat", type=int, default=15,
                        help="timed runs of each list query and its SQL reference (15: they "
                        "take milliseconds, and more runs steady the ratio on a busy machine)")
    parser.add_argument("--pandas-repeat", type=int, default=3,
                        help="timed runs of the slow pandas reference (3)")
    parser.add_argument("--warmup", type=int, default=1,
                        help="untimed runs before the timed ones (1; 0 suits 10M's long reads)")
    parser.add_argument("--rebuild", action="store_true", help="rebuild the cached database")
    parser.add_argument("--size", default="1M", type=_size,
                        help="collaborations: 100k, 1M or 10M (or 100000, 1000000, 10000000); "
                        "default 1M")
    parser.add_argument("--only", default=",".join(ITEMS),
                        help=f"comma-separated items to run (default: {','.join(ITEMS)})")
    args = parser.parse_args()
    started = time.perf_counter()
    only = set(args.only.split(","))
    unknown = only - set(ITEMS)
    if unknown:
        parser.error(f"unknown items {', '.join(sorted(unknown))}; there are {', '.join(ITEMS)}")
    args.load_at_start = [round(x, 2) for x in os.getloadavg()]
    timing.DEFAULT_WARMUP = max(0, args.warmup)
    rows: list[Row] = []
    if "console" in only:  # first: it needs no big database, and nothing else running
        rows += console_rows(console.run())
    if only <= {"console"}:
        finish(rows, only, None, args, started)
        return
    data = dataset.prepare(args.size, args.rebuild, work_copy=bool(only & WORK_COPY_ITEMS))
    if data.work is not None:
        run_on_work_copy(rows, only, data.work, args)
    if "browser" in only:
        rows += attempt("browser", lambda: browser_rows(browser.run(data.pristine, args.repeat)))
    finish(rows, only, data, args, started)


def run_on_work_copy(rows: list[Row], only: set[str], work: Path,
                     args: argparse.Namespace) -> None:
    """The items that read (and the batch item, change) the size's work copy."""
    db = Database(work)
    try:
        if "list" in only:
            rows += attempt("list", lambda: list_rows(
                listing.run(db, args.list_repeat, args.pandas_repeat)))
        if "progress" in only:
            rows += attempt("progress", lambda: progress_rows(progress.run(db, args.repeat)))
        if "batch" in only:
            rows += attempt("batch", lambda: batch_rows(batch.run(db, args.repeat)))
        if "deliveries" in only:
            rows += attempt("deliveries", lambda: versus_sql_rows(
                "deliveries", deliveries.run(db, args.list_repeat)))
        if "inbox" in only:
            rows += attempt("inbox", lambda: versus_sql_rows(
                "inbox", inbox.run(db, args.list_repeat)))
        username, password = dataset.bench_admin(db)
    finally:
        db.close()
    if "shared" in only:  # the work copy as the items above left it, copied into PostgreSQL
        rows += attempt("shared", lambda: shared_rows(
            shared.run(work, args.repeat, args.list_repeat)))
    if "render" in only:
        rows += attempt("render", lambda: render_rows(
            render.run(work, username, password, args.repeat)))


def attempt(item: str, measure: Callable[[], list[Row]]) -> list[Row]:
    """The item's rows, or one MISS row saying why it failed (at 10M a read may run out of
    memory or time): the other items' figures are still written."""
    started = time.perf_counter()
    try:
        return measure()
    except Exception as failure:  # any failure is this item's figure
        said = f"{type(failure).__name__}: {str(failure).splitlines()[0] if str(failure) else ''}"
        print(f"  {item} FAILED after {time.perf_counter() - started:.0f} s: {said}", flush=True)
        traceback.print_exc()
        return [Row(f"{ROW_PREFIXES[item][0]}: failed", None, said[:200], passed=False,
                    extra={"failed_after_s": round(time.perf_counter() - started, 1),
                           "error": str(failure)[:2000]})]


def finish(rows: list[Row], only: set[str], data: dataset.Dataset | None,
           args: argparse.Namespace, started: float) -> None:
    """Print the table and write results.json (a run without the big database keeps the
    description of the one the carried-over items were measured on)."""
    print()
    print_table(rows)
    size = dataset.size_label(args.size)
    described = describe(data) if data is not None else previous_dataset(size)
    context: dict[str, Any] = {
        "dataset": described,
        "settings": {"repeat": args.repeat, "list_repeat": args.list_repeat,
                     "warmup": timing.DEFAULT_WARMUP,
                     "pandas_repeat": args.pandas_repeat,
                     "items": sorted(only), "size": size,
                     "setup_memory_mb": dataset.setup_memory_mb(),
                     "app_limits": vars(config.database_limits())},
        "run_s": round(time.perf_counter() - started, 1),
        # This process's own peak (setup included: the build, the copies, pandas); the app's
        # peak is the render item's.
        "peak_rss_bytes": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
        "load_average_start": args.load_at_start,
    }
    write_results(with_skipped(rows, only, size), context, size)
    print(f"Wrote {RESULTS}, size {size} ({context['run_s']:.0f} s in all)")
    if only == set(ITEMS):  # a whole run: kept to compare runs (python -m bench.stability)
        stability.record(read_runs()[size], size)
        print(f"Added the run to {stability.HISTORY}")


def describe(data: dataset.Dataset) -> dict[str, Any]:
    """The size's database: its rows, file size and build time (of this run, or the one
    recorded beside a reused file)."""
    built_in = data.built_in_s
    return {"counts": data.counts, "built_in_s": None if built_in is None else round(built_in, 1),
            "built_in_this_run": data.built_now, "seed": dataset.SEED,
            "file_bytes": data.pristine.stat().st_size}


def _size(text: str) -> int:
    try:
        return dataset.parse_size(text)
    except ValueError as wrong:
        raise argparse.ArgumentTypeError(str(wrong)) from None


if __name__ == "__main__":
    main()
