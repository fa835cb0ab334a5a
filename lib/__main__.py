"""`python -m lib`: the command line (set-up, demo data, users)."""

from __future__ import annotations

import argparse
import datetime as dt
import getpass
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

import duckdb

from lib import config, snapshots, users
from lib.db import (
    Database,
    DatabaseIdentity,
    NotFound,
    connect,
    id_file,
    read_identity,
    utcnow,
)
from lib.models import Role
from lib.rules import RuleViolation
from lib.store import open_store


class DatabaseLocked(SystemExit):
    pass


def open_database() -> Database:
    if config.store_url() is not None:  # the shared PostgreSQL store: no file lock to meet
        return open_store()
    path = config.db_path()
    try:
        return Database(path)
    except duckdb.IOException as error:  # another process (the app) holds the file
        if "lock" in str(error).lower():
            raise DatabaseLocked(
                f"{path} is in use by another process (is the app running?). Stop it first."
            ) from None
        raise


def progress_bar(total_steps: int = 100) -> Callable[[str, float], None]:
    """A tqdm bar fed with (step name, fraction done) callbacks."""
    from tqdm import tqdm

    bar = tqdm(total=total_steps, unit="%", bar_format="{desc:<28} {bar} {n:.0f}%")

    def update(step: str, fraction: float) -> None:
        bar.set_description_str(step)
        bar.update(round(fraction * total_steps) - bar.n)
        if fraction >= 1:
            bar.close()

    return update


def _add_demo(db: Database, collaborations: int, today: dt.date) -> None:
    """lib.demo's data, into the DuckDB file itself, or (the shared PostgreSQL store) built in
    a temporary DuckDB file first, since lib.demo writes with DuckDB's bulk SQL, and copied."""
    from lib import demo

    if config.store_url() is None:
        demo.build_demo(db, collaborations=collaborations, seed=42, progress=progress_bar(),
                        today=today)
        return
    from lib.pg_store import PostgresDatabase, copy_from_duckdb

    assert isinstance(db, PostgresDatabase)
    with tempfile.TemporaryDirectory(prefix="collabdesk-demo-") as folder:
        built = Path(folder) / "demo.duckdb"
        file = Database(built)
        demo.build_demo(file, collaborations=collaborations, seed=42, progress=progress_bar(),
                        today=today)
        file.close()
        copy_from_duckdb(built, db)


def cmd_setup(args: argparse.Namespace) -> None:
    """Migrate, seed demo data into an empty database, and create the first admin."""
    from lib import demo

    try:
        db = open_database()
    except DatabaseLocked as locked:
        if not args.skip_if_locked:
            raise
        print(f"{locked} Skipping set-up: the running app already set it up.")
        return
    print(f"Database: {getattr(db, 'name', db.path)} (schema version {db.schema_version()})")
    if demo.is_empty(db) and not args.no_demo:
        print("Empty database: adding demo data.")
        # The campaigns in the workflow sit around today, so their agreements are still open.
        _add_demo(db, collaborations=1000, today=utcnow().date())
    password = users.ensure_first_admin(db)
    if password:
        print("\n" + "=" * 64)
        print("First admin created. Log in with (shown this once only):")
        print("  username: admin")
        print(f"  password: {password}")
        print("=" * 64 + "\n")
    db.close()


def cmd_demo(args: argparse.Namespace) -> None:
    from lib import demo

    db = open_database()
    summary = demo.build_demo(
        db, args.collaborations, args.seed, progress=progress_bar(), today=args.today
    )
    print(summary)
    db.close()


def read_password(args: argparse.Namespace) -> str:
    if args.password_stdin:
        return sys.stdin.readline().rstrip("\n")
    first = getpass.getpass("Password: ")
    if getpass.getpass("Again: ") != first:
        sys.exit("The passwords differ; nothing changed.")
    return first


def cmd_user(args: argparse.Namespace) -> None:
    db = open_database()
    actor = users.CLI_ADMIN
    try:
        if args.action == "add":
            user = users.add_user(
                db,
                actor,
                args.username,
                args.name or args.username,
                args.role,
                read_password(args),
                args.email,
            )
            print(f"Added {user.username} ({user.role.value}).")
        elif args.action == "passwd":
            users.reset_password(db, actor, args.username, read_password(args))
            print(f"New password set for {args.username}.")
        elif args.action in ("disable", "enable"):
            users.set_disabled(db, actor, args.username, args.action == "disable")
            print(f"{args.username} is now {args.action}d.")
        elif args.action == "list":
            for u in users.list_users(db):
                print(f"{u.username:<24} {u.role.value:<8} {'disabled' if u.disabled else ''}")
    except (RuleViolation, NotFound, PermissionError) as refusal:
        sys.exit(f"Refused: {refusal}")
    finally:
        db.close()


def cmd_migrate(args: argparse.Namespace) -> None:
    db = open_database()
    print(f"{db.path}: schema version {db.schema_version()}")
    db.close()


# --- reports, snapshots, imports (issue 8) ----------------------------------------------------


def _lazy_bar() -> Callable[[str, float], None]:
    """A progress bar drawn from its first step on, so a refusal before any leaves none."""
    bar: list[Callable[[str, float], None]] = []

    def update(step: str, fraction: float) -> None:
        if not bar:
            bar.append(progress_bar())
        bar[0](step, fraction)

    return update


def cmd_report(args: argparse.Namespace) -> None:
    """The weekly report as .xlsx and .zip of CSV files: from the database, or, while the app
    holds it, from the latest snapshot (said so, with its time); from the shared store as it
    is. It never writes to the database."""
    from lib import reports

    shared = config.store_url() is not None  # read as it is: the servers hold no lock on it
    store = open_store() if shared else _store_for_reading(config.db_path())
    try:
        scope = (reports.ReportScope(client_id=reports.find_client(store, args.client))
                 if args.client else reports.ReportScope(campaign_id=args.campaign))
        week = args.week or reports.last_full_week(utcnow().date())
        report = reports.weekly_report(
            store, users.CLI_ADMIN, scope, week, source=store.source,
            progress=None if args.quiet else _lazy_bar(),
        )
        written = reports.write_files(report, args.out)
    except (RuleViolation, NotFound, PermissionError) as refusal:
        sys.exit(f"Refused: {refusal}")
    except duckdb.Error as error:
        sys.exit(f"The report could not be read from the {store.source}: {error}")
    finally:
        store.close()
    print(f"{report.scope_label}, week {report.week.label}:")
    for path in written:
        print(f"  {path}")


def _store_for_reading(path: Path) -> snapshots.ReadOnlyStore:
    """The database read-only; while another process (the app) holds it, the latest snapshot
    beside it, and a line on stdout saying so."""
    if not path.exists():
        sys.exit(f"There is no database at {path} (set COLLABDESK_DB).")
    try:
        store = snapshots.open_live_read_only(path)
    except duckdb.IOException as error:
        if "lock" not in str(error).lower():
            raise
        root = snapshots.snapshots_root(path)
        identity = _identity_beside(path)
        latest = snapshots.latest_snapshot(root, identity)
        if latest is None:
            others = snapshots.foreign_snapshots(root, identity)
            sys.exit(
                f"{path} is in use by another process (is the app running?), and there is no "
                f"snapshot of it in {root} to read instead"
                + (f" ({others} there are of another database, and are not read)" if others
                   else "")
                + ". Take one on the Reports page, or stop the app, then run this again."
            )
        print(
            f"The database is in use by another process (the app), so this reads the latest "
            f"snapshot instead, taken {latest.label} ({latest.path.name})."
        )
        try:
            return snapshots.open_snapshot(latest, identity)
        except snapshots.ForeignSnapshot as refusal:  # its snapshot.json changed meanwhile
            sys.exit(f"Refused: {refusal}")
    print(f"Reading {path}.")
    return store


def _identity_beside(path: Path) -> DatabaseIdentity:
    """The identity of the database at `path` from its `.id` file (the database itself is
    locked by the app); exits with a message when there is none to go by."""
    identity = read_identity(path)
    if identity is None:
        sys.exit(
            f"{path} is in use by another process (is the app running?), and {id_file(path)}, "
            "which tells this database's snapshots from any other's, is missing or damaged, "
            "so no snapshot is read. The app writes it each time it opens the database: "
            "restart the app (or stop it and run this again)."
        )
    return identity


def cmd_snapshot(args: argparse.Namespace) -> None:
    """Write a snapshot of every table (Parquet plus snapshot.json): of the DuckDB file while
    the app is stopped; of the shared store (COLLABDESK_STORE) at any time, since its servers
    hold no lock."""
    path = config.db_path()
    root = args.out or snapshots.snapshots_root(path)
    source = open_store() if config.store_url() is not None else _file_to_snapshot(path)
    try:
        snapshot = snapshots.write_snapshot(
            source, root, path, keep=args.keep, progress=None if args.quiet else _lazy_bar()
        )
    except RuleViolation as refusal:
        sys.exit(f"Refused: {refusal}")
    finally:
        source.close()
    rows = sum(t.rows for t in snapshot.tables.values())
    print(f"Snapshot of {len(snapshot.tables)} tables ({rows:,} rows) in {snapshot.path}")


def _file_to_snapshot(path: Path) -> duckdb.DuckDBPyConnection:
    """The database file, read-only; exits with a message while the app holds it."""
    if not path.exists():
        sys.exit(f"There is no database at {path} (set COLLABDESK_DB).")
    try:
        return connect(path, read_only=True)  # the app's memory limit: COPY stays bounded
    except duckdb.IOException as error:
        if "lock" not in str(error).lower():
            raise
        identity = read_identity(path)
        latest = (snapshots.latest_snapshot(snapshots.snapshots_root(path), identity)
                  if identity else None)
        when = f"; the latest is {latest.path}, taken {latest.label}" if latest else ""
        sys.exit(
            f"{path} is in use by another process (is the app running?). The app writes "
            f"snapshots itself into {snapshots.snapshots_root(path)}{when}. Take one on demand "
            "on the Reports page, or stop the app first."
        )


def cmd_import(args: argparse.Namespace) -> None:
    """Check every row of a CSV or .xlsx file, list the failing ones, then import in one
    transaction (unless --dry-run, or rows fail without --leave-out-failing)."""
    from lib import imports

    file = Path(args.file)
    try:
        data = file.read_bytes()
    except OSError as error:
        sys.exit(f"Cannot read {file}: {error.strerror}.")
    db = open_database()
    try:
        bar = None if args.quiet else _lazy_bar()
        checked = imports.preview(db, users.CLI_ADMIN, args.kind, data, file.name, bar)
        for warning in checked.warnings:
            print(f"Note: {warning}")
        for failure in checked.refused:
            print(f"Line {failure.line}: {failure.message}")
        print(f"{checked.ok_count:,} of {len(checked.rows):,} rows pass the checks.")
        if args.dry_run:
            print("Dry run: nothing was written.")
            return
        if checked.refused and not args.leave_out_failing:
            sys.exit("Nothing was imported. Fix the failing rows, or run again with "
                     "--leave-out-failing to import only the rows that pass.")
        bar = None if args.quiet else _lazy_bar()
        result = imports.commit(db, users.CLI_ADMIN, checked, args.leave_out_failing, bar)
        print(result.summary())
    except (RuleViolation, NotFound, PermissionError) as refusal:
        sys.exit(f"Refused: {refusal}")
    finally:
        db.close()


def add_issue8_commands(sub: argparse._SubParsersAction) -> None:
    report = sub.add_parser(
        "report", help="export a weekly client report (.xlsx and .zip of CSV files)",
        description="Write the weekly report of a client (all its campaigns) or one campaign "
        "for an ISO week into DIR, as <name>.xlsx and <name>.zip. While the app runs and holds "
        "the database, the report reads the latest snapshot instead and says so; the shared "
        "store (COLLABDESK_STORE) it reads as it is.",
    )
    kinds = report.add_subparsers(dest="report", required=True)
    weekly = kinds.add_parser("weekly", help="the weekly report (for a scheduled job)")
    which = weekly.add_mutually_exclusive_group(required=True)
    which.add_argument("--client", metavar="NAME", help="a client's name: all its campaigns")
    which.add_argument("--campaign", type=int, metavar="ID", help="one campaign's number")
    weekly.add_argument("--week", metavar="YYYY-Www",
                        help="ISO week, like 2026-W47 (default: last week, the one before "
                        "the current week)")
    weekly.add_argument("--out", type=Path, default=Path("."), metavar="DIR",
                        help="folder for the files (created if missing; default: here)")
    weekly.add_argument("--quiet", action="store_true", help="no progress bar")
    weekly.set_defaults(run=cmd_report)

    snapshot = sub.add_parser(
        "snapshot", help="write a snapshot of every table as Parquet files (app stopped)",
        description="Write every table as Parquet plus snapshot.json into DIR/<UTC time>/, "
        "atomically, keeping the newest N. The running app does this by itself.",
    )
    snapshot.add_argument("--out", type=Path, metavar="DIR",
                          help="where the snapshot folders go (default: snapshots/ beside the"
                          " database)")
    snapshot.add_argument("--keep", type=int, default=snapshots.KEEP, metavar="N",
                          help=f"snapshots to keep in DIR (default {snapshots.KEEP})")
    snapshot.add_argument("--quiet", action="store_true", help="no progress bar")
    snapshot.set_defaults(run=cmd_snapshot)

    importer = sub.add_parser(
        "import", help="import creators or collaborations from a CSV or .xlsx file",
        description="Check every row, list the failing ones with their line numbers, and "
        "import in one transaction: all rows, or none while any row fails (unless "
        "--leave-out-failing). The columns are in docs/guide.md and the templates on the "
        "Imports page.",
    )
    importer.add_argument("kind", choices=["creators", "collaborations"])
    importer.add_argument("file", metavar="FILE", help="a .csv (UTF-8) or .xlsx file")
    importer.add_argument("--dry-run", action="store_true",
                          help="check the rows and write nothing")
    importer.add_argument("--leave-out-failing", action="store_true",
                          help="import the rows that pass even when others fail")
    importer.add_argument("--quiet", action="store_true", help="no progress bar")
    importer.set_defaults(run=cmd_import)


def parser() -> argparse.ArgumentParser:
    main = argparse.ArgumentParser(
        prog="python -m lib",
        description="Collabdesk command line. The database is COLLABDESK_DB "
        f"(default {config.DEFAULT_DB}).",
    )
    sub = main.add_subparsers(dest="command", required=True)

    setup = sub.add_parser("setup", help="migrate, seed demo data if empty, create first admin")
    setup.add_argument("--no-demo", action="store_true", help="do not seed demo data")
    setup.add_argument(
        "--skip-if-locked",
        action="store_true",
        help="do nothing when another process (the app) holds the database",
    )
    setup.set_defaults(run=cmd_setup)

    sub.add_parser("migrate", help="apply pending schema migrations").set_defaults(run=cmd_migrate)

    demo = sub.add_parser("demo", help="fill an empty database with deterministic demo data")
    demo.add_argument("--collaborations", type=int, default=1000, metavar="N")
    demo.add_argument("--seed", type=int, default=42, metavar="S")
    demo.add_argument(
        "--today",
        type=dt.date.fromisoformat,
        default=utcnow().date(),
        metavar="YYYY-MM-DD",
        help="the day the campaigns in the workflow sit around (default: today, UTC)",
    )
    demo.set_defaults(run=cmd_demo)

    user = sub.add_parser("user", help="manage staff accounts")
    user.add_argument("action", choices=["add", "passwd", "disable", "enable", "list"])
    user.add_argument("username", nargs="?", default="")
    user.add_argument("--role", choices=[r.value for r in Role], default="staff")
    user.add_argument("--name", default="")
    user.add_argument("--email", default="")
    user.add_argument(
        "--password-stdin",
        action="store_true",
        help="read the password from standard input instead of a prompt",
    )
    user.set_defaults(run=cmd_user)
    add_issue8_commands(sub)
    return main


def main(argv: list[str] | None = None) -> None:
    args = parser().parse_args(argv)
    if getattr(args, "action", "list") != "list" and not getattr(args, "username", "x"):
        sys.exit("Name the user, for example: python -m lib user add jo.smith --role staff")
    args.run(args)


if __name__ == "__main__":
    main()
