"""`python -m lib`: the command line (set-up, demo data, users)."""

from __future__ import annotations

import argparse
import datetime as dt
import getpass
import sys
from collections.abc import Callable

import duckdb

from lib import config, users
from lib.db import Database, NotFound, utcnow
from lib.models import Role
from lib.rules import RuleViolation


class DatabaseLocked(SystemExit):
    pass


def open_database() -> Database:
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
    print(f"Database: {db.path} (schema version {db.schema_version()})")
    if demo.is_empty(db) and not args.no_demo:
        print("Empty database: adding demo data.")
        # The campaigns in the workflow sit around today, so their agreements are still open.
        demo.build_demo(
            db, collaborations=1000, seed=42, progress=progress_bar(), today=utcnow().date()
        )
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
    return main


def main(argv: list[str] | None = None) -> None:
    args = parser().parse_args(argv)
    if getattr(args, "action", "list") != "list" and not getattr(args, "username", "x"):
        sys.exit("Name the user, for example: python -m lib user add jo.smith --role staff")
    args.run(args)


if __name__ == "__main__":
    main()
