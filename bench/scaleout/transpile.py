"""Would the services' SQL run on PostgreSQL after sqlglot's DuckDB -> PostgreSQL translation?

    python bench/scaleout/transpile.py        (a virtualenv with sqlglot and psycopg)

1. The migrations (lib/migrations/*.sql) are translated statement by statement and applied, in
   order, to a fresh PostgreSQL database (so_transpiled); a statement that fails is reported
   and skipped.
2. Every SQL string literal of lib/**/*.py (the services' queries, as the source holds them;
   f-strings with pieces filled at run time are counted but not tried) is translated and
   PREPAREd against that schema: PREPARE parses, resolves names and checks types without
   running anything. DuckDB's `?` and `$name` parameters become PostgreSQL's `$1, $2, ...`.
Prints the counts and every failure (to a file given as the first argument, else stdout).
"""

from __future__ import annotations

import ast
import collections
import re
import sys
from pathlib import Path

import psycopg
import sqlglot
from sqlglot.errors import ErrorLevel

sys.path.insert(0, str(Path(__file__).resolve().parent))
import engines

ROOT = Path(__file__).resolve().parents[2]
SQL_START = re.compile(r"^\s*(SELECT|INSERT|UPDATE|DELETE|WITH)\b", re.I)
DATABASE = "so_transpiled"


def translate(sql: str) -> str:
    out = sqlglot.transpile(sql, read="duckdb", write="postgres",
                            unsupported_level=ErrorLevel.RAISE)
    return ";\n".join(out)


def numbered(sql: str) -> str:
    """`%s` / `?` and `$name` as `$1, $2, ...` (a name keeps its number)."""
    names: dict[str, int] = {}
    count = 0

    def number(match: re.Match) -> str:
        nonlocal count
        name = match.group(1)
        if name and name in names:
            return f"${names[name]}"
        count += 1
        if name:
            names[name] = count
        return f"${count}"

    return re.sub(r"%\((\w+)\)s|%s|\?|\$([A-Za-z_]\w*)",
                  lambda m: number_named(m, number), sql)


def number_named(match: re.Match, number: object) -> str:
    class One:  # the name from either spelling: %(name)s or $name
        def __init__(self, name: str | None) -> None:
            self.name = name

        def group(self, _: int) -> str | None:
            return self.name

    return number(One(match.group(1) or match.group(2)))  # type: ignore[operator]


def literals() -> tuple[list[tuple[str, str]], int]:
    """(where, sql) of each SQL string literal in lib/*.py, and how many f-strings hold SQL."""
    found, dynamic = [], 0
    for file in sorted((ROOT / "lib").rglob("*.py")):
        if "migrations" in file.parts:
            continue  # the Python migration: see the migrations count
        tree = ast.parse(file.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                if SQL_START.match(node.value):
                    found.append((f"{file.relative_to(ROOT / 'lib')}:{node.lineno}", node.value))
            elif isinstance(node, ast.JoinedStr):
                head = "".join(v.value for v in node.values
                               if isinstance(v, ast.Constant) and isinstance(v.value, str))
                if SQL_START.match(head):
                    dynamic += 1
    return found, dynamic


def complete_in_duckdb(queries: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """The literals DuckDB 2.0 itself can PREPARE against the migrated schema: whole queries,
    not the fragments that code joins into one (those are left out of the count)."""
    sys.path.insert(0, str(ROOT))
    from lib.db import Database

    cur = Database(":memory:").cursor()
    whole = []
    for where, sql in queries:
        try:
            cur.execute(f"PREPARE probe AS {sql}")
            cur.execute("DEALLOCATE probe")
            whole.append((where, sql))
        except Exception:
            continue
    return whole


def statements(script: str) -> list[str]:
    return [s for s in sqlglot.transpile(script, read="duckdb", write="duckdb") if s.strip()]


def main() -> None:
    out = open(sys.argv[1], "w") if len(sys.argv) > 1 else sys.stdout  # noqa: SIM115
    admin = psycopg.connect(engines.PG_DSN, autocommit=True)
    admin.execute(f"DROP DATABASE IF EXISTS {DATABASE}")
    admin.execute(f"CREATE DATABASE {DATABASE}")
    dsn = re.sub(r"dbname=\S+", f"dbname={DATABASE}", engines.PG_DSN)
    pg = psycopg.connect(dsn, autocommit=True)

    pg.execute("CREATE TABLE schema_version (version INTEGER PRIMARY KEY,"
               " name VARCHAR NOT NULL, applied_at TIMESTAMP NOT NULL)")  # made by lib.db
    ddl_ok, ddl_bad = 0, []
    for file in sorted((ROOT / "lib" / "migrations").glob("*.sql")):
        for sql in statements(file.read_text()):
            try:
                pg.execute(translate(sql))
                ddl_ok += 1
            except Exception as error:
                ddl_bad.append((file.name, sql, error))
    print(f"migrations: {ddl_ok} statements applied, {len(ddl_bad)} failed", file=out)
    for name, sql, error in ddl_bad:
        print(f"  {name}: {type(error).__name__}: {' '.join(str(error).split())[:150]}"
              f"\n      {' '.join(sql.split())[:150]}", file=out)

    found, dynamic = literals()
    queries = complete_in_duckdb(found)
    failures: dict[str, list[str]] = collections.defaultdict(list)
    ok = 0
    for n, (where, sql) in enumerate(queries):
        try:
            target = numbered(translate(sql))
        except Exception as error:
            failures[f"sqlglot {type(error).__name__}"].append(f"{where}: {error}")
            continue
        try:
            pg.execute(f"PREPARE q{n} AS {target}")
            pg.execute(f"DEALLOCATE q{n}")
            ok += 1
        except Exception as error:
            first = str(error).splitlines()[0]
            reason = re.sub(r'".*?"', "…", first)[:70]
            failures[f"postgres: {reason}"].append(
                f"{where}: {first[:120]} | {' '.join(target.split())[:160]}")
    total = len(queries)
    print(f"\nservice queries: {len(found)} SQL literals in lib/, {total} of them whole queries"
          f" that DuckDB prepares ({dynamic} more built as f-strings, not tried);"
          f" {ok} prepare on PostgreSQL after translation, {total - ok} fail", file=out)
    for reason, cases in sorted(failures.items(), key=lambda kv: -len(kv[1])):
        print(f"  {len(cases):3d}  {reason}", file=out)
        for case in cases[:3]:
            print(f"         {' '.join(case.split())[:230]}", file=out)
    pg.close()
    admin.close()


if __name__ == "__main__":
    main()
