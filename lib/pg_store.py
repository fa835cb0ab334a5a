"""The shared store: PostgreSQL, for several app servers writing at once (COLLABDESK_STORE).

`PostgresDatabase` has the calls of `lib.db.Database` that services use, so they keep their
code: reads (`rows/one/value/frame`), `write(work)` with the same retries and the same
`ConcurrentEditError`, `transaction`, `migrate`, `identity`, `generation`. Why PostgreSQL and
what it must keep: docs/scale-out.md.

- Every transaction runs under REPEATABLE READ: like DuckDB, the later of two writers of one
  row is refused (SQLSTATE 40001) and `write` retries it on a fresh snapshot. PostgreSQL's
  default READ COMMITTED would let the services' read-check-update pattern lose updates.
- The services write DuckDB SQL. The cursor translates each statement once (cached by its
  text) with sqlglot, DuckDB -> PostgreSQL; a statement sqlglot cannot carry gets its
  PostgreSQL text by hand in lib/sql_pg.py, never a silent guess. Parameters are bound on the
  client (psycopg's ClientCursor), as DuckDB binds them: `$name IS NULL` needs no type.
- A repeated unique key is raised as `lib.db.DuplicateKey`, as on DuckDB.
- `generation` is store-wide (a sequence bumped after each commit), so a server's cached
  reads notice the other servers' writes.
"""

from __future__ import annotations

import functools
import logging
import re
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from decimal import Decimal
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlsplit

import pandas as pd
import psycopg
import sqlglot
from psycopg import errors as pg_errors
from psycopg_pool import ConnectionPool
from sqlglot import exp
from sqlglot.errors import ErrorLevel, SqlglotError

from lib import config, sql_pg
from lib.db import (
    WRITE_RETRIES,
    Database,
    DatabaseIdentity,
    DuplicateKey,
    back_off_or_give_up,
    utcnow,
)

T = TypeVar("T")
log = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations_pg"
# Any fixed number: the advisory lock every server takes while it migrates, so two servers
# starting at once do not both apply a migration.
MIGRATION_LOCK = 0x436F6C6C61624465  # "CollabDe"
GENERATION_SEQUENCE = "store_generation"
POOL_TIMEOUT_SECONDS = 30.0  # waiting for a free connection before a request fails
# PostgreSQL's regexps have no \p{Z}: the Unicode space separators spelled out (its \s holds
# the ASCII ones). migrations_pg/011 spells the creators' unique key the same way.
UNICODE_SPACES = r"\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
# sqlglot cannot parse a cast of a parameter (`?::DATE`, `$ids::BIGINT[]`): written as CAST.
_CAST_PARAM = re.compile(r"([?]|\$\w+)::(\w+(?:\[\])?)")
_LONE_PERCENT = re.compile(r"%(?!s\b|\(\w+\)s)")  # a literal % beside psycopg's placeholders
_BEGIN = "BEGIN ISOLATION LEVEL REPEATABLE READ"
RETRYABLE = (pg_errors.SerializationFailure, pg_errors.DeadlockDetected)


class UntranslatedSQL(RuntimeError):
    """A service statement that sqlglot cannot translate and lib/sql_pg.py has no text for."""


def normalized(sql: str) -> str:
    """`sql` with its whitespace collapsed: the key of lib/sql_pg.OVERRIDES."""
    return " ".join(sql.split())


@functools.lru_cache(maxsize=4096)
def to_postgres(sql: str) -> str:
    """A DuckDB statement (as the services write it) as PostgreSQL with psycopg placeholders:
    the hand-written text of lib/sql_pg.py if there is one, else sqlglot's translation."""
    key = normalized(sql)
    if key.upper() in ("BEGIN TRANSACTION", "BEGIN"):
        return _BEGIN
    override = sql_pg.OVERRIDES.get(key)
    if override is not None:
        return override
    text = _CAST_PARAM.sub(r"CAST(\1 AS \2)", sql.replace(r"\p{Z}", UNICODE_SPACES))
    try:
        out = [_for_postgres(tree).sql(dialect="postgres", unsupported_level=ErrorLevel.RAISE)
               for tree in sqlglot.parse(text, read="duckdb") if tree is not None]
    except SqlglotError as error:
        raise UntranslatedSQL(
            f"This statement has no PostgreSQL translation ({' '.join(str(error).split())[:200]})."
            f" Add its PostgreSQL text to lib/sql_pg.py: {key[:300]}"
        ) from error
    return _LONE_PERCENT.sub("%%", ";\n".join(out))


def _for_postgres(tree: exp.Expr) -> exp.Expr:
    """Rewrite what DuckDB allows and PostgreSQL does not, where sqlglot leaves it as is or
    refuses it: a subquery in FROM without an alias (DuckDB needs none; any name will do),
    arg_max/arg_min, `cte.* EXCLUDE (...)`, contains(), any_value(), struct_pack, and
    GROUP BY ALL (the projections that hold no aggregate, as DuckDB reads it)."""
    for number, subquery in enumerate(list(tree.find_all(exp.Subquery))):
        if isinstance(subquery.parent, (exp.From, exp.Join)) and not subquery.alias:
            subquery.set("alias", exp.TableAlias(this=exp.to_identifier(f"_q{number}")))
    for extreme in list(tree.find_all(exp.ArgMax, exp.ArgMin)):
        _replace_arg_extreme(extreme)
    for column in list(tree.find_all(exp.Column)):
        if isinstance(column.this, exp.Star) and column.this.args.get("except_"):
            _expand_star_except(tree, column)
    for contains in list(tree.find_all(exp.Contains)):  # contains(text, part)
        contains.replace(exp.GT(this=exp.Anonymous(this="STRPOS", expressions=[
            contains.this.copy(), contains.expression.copy()]), expression=exp.Literal.number(0)))
    for any_value in list(tree.find_all(exp.AnyValue)):
        # PostgreSQL 15 has no any_value; DuckDB's gives some non-NULL value, as min does.
        wrapped = any_value.parent if isinstance(any_value.parent, exp.IgnoreNulls) else None
        (wrapped or any_value).replace(exp.Min(this=any_value.this.copy()))
    for struct in list(tree.find_all(exp.Struct)):
        _struct_as_json(struct)
    for explode in list(tree.find_all(exp.Explode)):
        # unnest(generate_series(...)): DuckDB's series is a list; PostgreSQL's is a set.
        if isinstance(explode.this, exp.GenerateSeries):
            explode.replace(explode.this.copy())
    for call in list(tree.find_all(exp.Anonymous)):
        if call.name.lower() in ("list_position", "array_position", "list_indexof"):
            call.set("this", "ARRAY_POSITION")
    for group in list(tree.find_all(exp.Group)):
        if group.args.get("all") and isinstance(group.parent, exp.Select):
            keys = [projection.unalias().copy() for projection in group.parent.expressions
                    if not projection.find(exp.AggFunc) and projection.find(exp.Column)]
            group.set("all", None)
            group.set("expressions", keys)
    return tree


def _replace_arg_extreme(node: exp.ArgMax | exp.ArgMin) -> None:
    """DuckDB's arg_max(value, key) / arg_min: the value of the row with the highest (lowest)
    key, rows with a NULL key left out; PostgreSQL has no such aggregate, so the first of the
    values ordered by key. A FILTER on it joins the NULL test."""
    order = "DESC" if isinstance(node, exp.ArgMax) else "ASC"
    value, key = node.this.sql("postgres"), node.expression.sql("postgres")
    target: exp.Expr = node
    condition = f"({key}) IS NOT NULL"
    if isinstance(node.parent, exp.Filter):
        target = node.parent
        condition += f" AND ({target.expression.this.sql('postgres')})"
    target.replace(sqlglot.parse_one(
        f"(ARRAY_AGG({value} ORDER BY {key} {order}) FILTER (WHERE {condition}))[1]",
        read="postgres"))


def _struct_as_json(struct: exp.Struct) -> None:
    """struct_pack(a := x, ...) / {'a': x, ...} as json_build_object('a', x, ...): psycopg
    reads it back as a dict, as DuckDB gives a struct. JSON has no dates: a struct holding
    one comes back with it as text (give that statement its text in lib/sql_pg.py)."""
    arguments: list[exp.Expr] = []
    for field in struct.expressions:
        if isinstance(field, exp.PropertyEQ):
            name, value = field.this.name, field.expression
        elif isinstance(field, exp.Alias):
            name, value = field.alias, field.this
        else:
            return  # an unnamed field: left for PostgreSQL to refuse
        arguments += [exp.Literal.string(name), value.copy()]
    struct.replace(exp.Anonymous(this="JSON_BUILD_OBJECT", expressions=arguments))


def _expand_star_except(tree: exp.Expr, column: exp.Column) -> None:
    """`cte.* EXCLUDE (a, b)` as the CTE's other columns, when `cte` is a CTE of this
    statement whose columns are all named; else left for sqlglot to refuse (lib/sql_pg.py)."""
    source = column.table
    ctes = {cte.alias: cte.this for cte in tree.find_all(exp.CTE)}
    body = ctes.get(source)
    if not source or not isinstance(body, exp.Select):
        return
    names = [projection.alias_or_name for projection in body.expressions]
    if any(isinstance(projection, exp.Star) or not name
           for projection, name in zip(body.expressions, names, strict=True)) or any(
            isinstance(p, exp.Column) and isinstance(p.this, exp.Star) for p in body.expressions):
        return
    dropped = {excluded.name for excluded in column.this.args["except_"]}
    kept = [exp.column(name, table=source) for name in names if name not in dropped]
    select = column.parent
    if not isinstance(select, exp.Select) or not kept:
        return
    at = select.expressions.index(column)
    select.set("expressions", [*select.expressions[:at], *kept, *select.expressions[at + 1:]])


_DATETIME_OIDS = frozenset({1082, 1114})  # date, timestamp (the schema has no timestamptz)
_NUMERIC_OID = 1700


class _NumericLoader(psycopg.adapt.Loader):
    """numeric as DuckDB gives it: a whole number (sum of BIGINTs: DuckDB's HUGEINT) as int,
    a DECIMAL(p, s) value (its text has a point) as Decimal."""

    def load(self, data: Any) -> int | Decimal:
        text = bytes(data).decode("ascii")
        if text.isdigit() or (text[:1] == "-" and text[1:].isdigit()):
            return int(text)
        return Decimal(text)


_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,62}")


def _pg_type(arrow_type: Any) -> str:
    """The PostgreSQL column type for an Arrow column of a registered batch."""
    import pyarrow as pa

    checks = [(pa.types.is_boolean, "BOOLEAN"), (pa.types.is_integer, "BIGINT"),
              (pa.types.is_floating, "DOUBLE PRECISION"), (pa.types.is_decimal, "NUMERIC"),
              (pa.types.is_date, "DATE"), (pa.types.is_timestamp, "TIMESTAMP"),
              (pa.types.is_string, "TEXT"), (pa.types.is_large_string, "TEXT"),
              (pa.types.is_null, "TEXT")]  # a column of text fields all left empty
    for check, name in checks:
        if check(arrow_type):
            return name
    if pa.types.is_list(arrow_type):
        return f"{_pg_type(arrow_type.value_type)}[]"
    raise TypeError(f"No PostgreSQL type for the Arrow type {arrow_type}")


def _configure(conn: psycopg.Connection) -> None:
    conn.adapters.register_loader("numeric", _NumericLoader)


Params = Sequence[Any] | Mapping[str, Any]


def _bound(text: str, params: Params | None) -> Params | None:
    """The parameters as psycopg takes them for the translated `text`."""
    values: Params = params if params is not None else ()
    if isinstance(values, Sequence) and not values and "%" not in text:
        return None  # nothing to bind: send as written
    return dict(values) if isinstance(values, Mapping) else values


class PgCursor:
    """A DuckDB-like cursor on one pooled connection: execute (translated), fetchall,
    fetchone, df, description; the connection goes back to the pool on close."""

    def __init__(self, pool: ConnectionPool) -> None:
        self._pool = pool
        self._conn: psycopg.Connection | None = pool.getconn()
        self._cur = self._conn.cursor()

    def execute(self, sql: str, params: Params | None = None) -> PgCursor:
        text = to_postgres(sql)
        try:
            self._cur.execute(text, _bound(text, params))
        except pg_errors.UniqueViolation as error:
            raise DuplicateKey(str(error).splitlines()[0]) from error
        return self

    def explain(self, sql: str, params: Params | None = None) -> list[tuple]:
        """PostgreSQL's plan for a service statement, translated and bound as execute() does,
        without running it (tests/test_shared_store.py checks every statement of lib/ so).
        Inside a transaction, a refused statement leaves the transaction usable."""
        text = to_postgres(sql)
        assert self._conn is not None
        with self._conn.transaction():  # a savepoint when a transaction is open
            return self._cur.execute(f"EXPLAIN {text}", _bound(text, params)).fetchall()

    def fetchall(self) -> list[tuple]:
        return self._cur.fetchall()

    def fetchone(self) -> tuple | None:
        return self._cur.fetchone()

    def df(self) -> pd.DataFrame:
        """The rows as DuckDB's .df() gives them: dates and timestamps as datetime64,
        DECIMAL as float."""
        description = self._cur.description or []
        frame = pd.DataFrame.from_records(self._cur.fetchall(),
                                          columns=[column.name for column in description])
        for column in description:
            if column.type_code in _DATETIME_OIDS:
                frame[column.name] = pd.to_datetime(frame[column.name])
            elif column.type_code == _NUMERIC_OID:
                frame[column.name] = pd.to_numeric(frame[column.name], errors="coerce"
                                                   ).astype("float64")
        return frame

    def register(self, name: str, table: Any) -> PgCursor:
        """DuckDB's register(name, Arrow table) for the batch writes (lib.imports): the rows in
        a temporary table of that name, dropped at the end of the transaction at the latest."""
        import pyarrow as pa  # lib.imports' batches; only needed here

        if not _IDENTIFIER.fullmatch(name):
            raise ValueError(f"Not a table name: {name!r}")
        columns = ", ".join(f"{field.name} {_pg_type(field.type)}" for field in table.schema)
        self._cur.execute(f"DROP TABLE IF EXISTS pg_temp.{name}")
        self._cur.execute(f"CREATE TEMP TABLE {name} ({columns}) ON COMMIT DROP")
        names = ", ".join(table.schema.names)
        with self._cur.copy(f"COPY {name} ({names}) FROM STDIN") as copy:
            for row in pa.Table.from_batches(table.to_batches()).to_pylist():
                copy.write_row(tuple(row.values()))
        return self

    def unregister(self, name: str) -> PgCursor:
        if not _IDENTIFIER.fullmatch(name):
            raise ValueError(f"Not a table name: {name!r}")
        self._cur.execute(f"DROP TABLE IF EXISTS pg_temp.{name}")
        return self

    @property
    def description(self) -> Any:
        return self._cur.description

    def close(self) -> None:
        if self._conn is not None:
            self._cur.close()
            self._pool.putconn(self._conn)  # a broken connection is discarded by the pool
            self._conn = None

    def __enter__(self) -> PgCursor:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __del__(self) -> None:
        with suppress(Exception):
            self.close()


def _display_name(url: str) -> str:
    """host:port/database of `url`, never its password (shown on the CLI, used in keys)."""
    parts = urlsplit(url)
    host = parts.hostname or "localhost"
    port = f":{parts.port}" if parts.port else ""
    return f"postgresql://{host}{port}{parts.path or '/'}"


class PostgresDatabase(Database):
    """A process's pool of connections to the shared PostgreSQL store."""

    shared = True  # other processes write it too (no file to stat; lib.snapshots reads it so)

    def __init__(self, url: str, pool_size: int | None = None) -> None:
        self.url = url
        self.name = _display_name(url)
        self.path = Path(self.name)  # the cache key of lib.web.cached_read; never a file
        self.source = f"the shared store {self.name}"  # where a report's data came from
        self._pool = ConnectionPool(
            url, min_size=1, max_size=pool_size or config.store_pool_size(),
            kwargs={"autocommit": True, "cursor_factory": psycopg.ClientCursor},
            timeout=POOL_TIMEOUT_SECONDS, open=True, name="collabdesk", configure=_configure,
        )
        self._migrate_lock = threading.Lock()
        self.migrate()
        self.identity = self._identity()

    def _identity(self) -> DatabaseIdentity:
        database_id = self.value("SELECT min(id) FROM database_identity")
        return DatabaseIdentity(database_id or "", self.name)

    @property
    def generation(self) -> int:
        """Commits of any server so far (a sequence each bumps after it commits): a read cached
        under it is fresh, whichever server wrote last."""
        return int(self.value(f"SELECT CASE WHEN is_called THEN last_value ELSE 0 END"
                              f" FROM {GENERATION_SEQUENCE}"))

    def close(self) -> None:
        self._pool.close()

    def cursor(self) -> PgCursor:  # type: ignore[override]
        return PgCursor(self._pool)

    @contextmanager
    def transaction(self) -> Iterator[PgCursor]:  # type: ignore[override]
        """One REPEATABLE READ transaction: committed on success, rolled back on any error."""
        with self.cursor() as cur:
            cur.execute(_BEGIN)
            try:
                yield cur
                cur.execute("COMMIT")
            except BaseException:
                with suppress(psycopg.Error):
                    cur.execute("ROLLBACK")
                raise
            # After the commit, so a server that sees the new number also sees the rows.
            cur.execute(f"SELECT nextval('{GENERATION_SEQUENCE}')")

    def write(self, work: Callable[[Any], T], retries: int = WRITE_RETRIES) -> T:
        """`lib.db.Database.write` on PostgreSQL: a serialization failure or a deadlock is
        retried on a fresh snapshot, then given up as ConcurrentEditError."""
        for attempt in range(retries + 1):
            try:
                with self.transaction() as cur:
                    return work(cur)
            except RETRYABLE as conflict:
                back_off_or_give_up(conflict, attempt, retries)
        raise AssertionError("unreachable")

    # --- schema ------------------------------------------------------------

    def migrate(self) -> list[int]:
        """Apply lib/migrations_pg/ not yet applied, under an advisory lock held for the whole
        run: a second server starting at once waits, then finds them applied."""
        with self._migrate_lock, self._pool.connection() as conn:
            conn.execute("SELECT pg_advisory_lock(%s)", [MIGRATION_LOCK])
            try:
                return _apply_migrations(conn)
            finally:
                conn.execute("SELECT pg_advisory_unlock(%s)", [MIGRATION_LOCK])


def _apply_migrations(conn: psycopg.Connection) -> list[int]:
    conn.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER PRIMARY KEY,"
                 " name VARCHAR NOT NULL, applied_at TIMESTAMP NOT NULL)")
    conn.execute(f"CREATE SEQUENCE IF NOT EXISTS {GENERATION_SEQUENCE}")
    done = {row[0] for row in conn.execute("SELECT version FROM schema_version").fetchall()}
    applied = []
    for number, name, sql in migrations():
        if number in done:
            continue
        with conn.transaction():
            conn.execute(sql)
            conn.execute("INSERT INTO schema_version VALUES (%s, %s, %s)",
                         [number, name, utcnow()])
        applied.append(number)
        log.info("Applied PostgreSQL migration %s", name)
    conn.execute((MIGRATIONS_DIR / "indexes.sql").read_text())  # each IF NOT EXISTS
    return applied


def migrations() -> list[tuple[int, str, str]]:
    """(number, name, SQL) of lib/migrations_pg/, in order; the numbers are those of
    lib/migrations/, so schema_version means the same on either store."""
    found = [(int(file.name[:3]), file.stem, file.read_text())
             for file in sorted(MIGRATIONS_DIR.glob("[0-9][0-9][0-9]_*.sql"))]
    numbers = [number for number, _, _ in found]
    if len(set(numbers)) != len(numbers):
        raise RuntimeError(f"Duplicate migration numbers in {MIGRATIONS_DIR}: {numbers}")
    return found


# Tables a copy leaves alone: the store's own bookkeeping and identity stay its own.
NOT_COPIED = frozenset({"schema_version", "database_identity"})


def copy_from_duckdb(source: Path | str, target: PostgresDatabase) -> dict[str, int]:
    """Every row of the DuckDB file `source` (migrated to the same version) into the empty,
    migrated store `target`; the sequences then continue after the copied ids. For demo data,
    which lib.demo builds with DuckDB's bulk SQL, and the benchmark's million. Returns the rows
    copied per table.

    Runs in one transaction with foreign keys unchecked while rows arrive in table order
    (session_replication_role: the store's user must be allowed to set it, as its owner or
    a superuser is); the rows came from a store that checked them. Each table travels as a
    CSV file in a temporary folder, streamed in blocks: no table is held in memory."""
    import tempfile

    import duckdb  # the default store's driver, always installed

    copied: dict[str, int] = {}
    with duckdb.connect(str(source), read_only=True) as duck, target._pool.connection() as conn, \
            tempfile.TemporaryDirectory(prefix="collabdesk-copy-") as folder:
        tables = [name for name in table_names(conn) if name not in NOT_COPIED]
        in_file = {name for (name,) in duck.execute(
            "SELECT table_name FROM duckdb_tables() WHERE schema_name = 'main'").fetchall()}
        with conn.transaction():
            conn.execute("SET LOCAL session_replication_role = replica")
            conn.execute(f"TRUNCATE {', '.join(tables)}")  # rows migrations made come from the file
            for table in tables:
                if table in in_file:
                    copied[table] = _copy_table(duck, conn, table, Path(folder))
            for (sequence,) in conn.execute(
                    "SELECT sequence_name FROM information_schema.sequences").fetchall():
                _continue_sequence(conn, sequence, set(tables))
        conn.execute("ANALYZE")  # the planner's statistics, for the rows that just arrived
        conn.execute(f"SELECT nextval('{GENERATION_SEQUENCE}')")  # every server reads anew
    return copied


def _copy_table(duck: Any, conn: psycopg.Connection, table: str, folder: Path) -> int:
    """One table, DuckDB -> CSV file -> PostgreSQL. DuckDB writes NULL bare and an empty text
    quoted, which PostgreSQL's CSV reads back the same way."""
    names = ", ".join(name for name, _ in columns_of(conn, table))
    text = folder / f"{table}.csv"
    rows = duck.execute(f"COPY (SELECT {names} FROM {table}) TO '{text}' (FORMAT csv,"
                        " HEADER false)").fetchone()
    with open(text, "rb") as csv, conn.cursor().copy(
        f"COPY {table} ({names}) FROM STDIN (FORMAT csv)"
    ) as copy:
        while block := csv.read(1 << 20):
            copy.write(block)
    text.unlink()
    return int(rows[0]) if rows else 0


def _continue_sequence(conn: psycopg.Connection, sequence: str, tables: set[str]) -> None:
    """`<table>_id_seq` continues after its table's highest id (a sequence of another name,
    or of a table without ids, is left alone)."""
    table = sequence.removesuffix("_id_seq")
    if table == sequence or table not in tables:
        return
    conn.execute(f"SELECT setval('{sequence}', (SELECT coalesce(max(id), 0) + 1 FROM {table}),"
                 " false)")


# --- snapshots (lib.snapshots writes them; these read the store) --------------------------

# PostgreSQL's column types as DuckDB names them, for a snapshot's Parquet files and manifest.
# Anything else is written as its text (VARCHAR).
_DUCKDB_TYPES = {
    "bigint": "BIGINT", "integer": "INTEGER", "smallint": "SMALLINT", "boolean": "BOOLEAN",
    "text": "VARCHAR", "character varying": "VARCHAR", "date": "DATE",
    "timestamp without time zone": "TIMESTAMP", "double precision": "DOUBLE", "real": "FLOAT",
    "json": "JSON", "jsonb": "JSON",
}


@contextmanager
def reading(db: PostgresDatabase) -> Iterator[psycopg.Connection]:
    """A connection inside one read-only REPEATABLE READ transaction: all it reads is one
    moment of the store, whatever the other servers commit meanwhile."""
    with db._pool.connection() as conn:
        conn.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
        try:
            conn.execute("SET LOCAL DateStyle = 'ISO, YMD'")  # the text DuckDB reads back
            yield conn
        finally:
            conn.execute("ROLLBACK")  # it only read


def table_names(conn: psycopg.Connection) -> list[str]:
    return [name for (name,) in conn.execute(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'"
        " AND table_type = 'BASE TABLE' ORDER BY table_name").fetchall()]


def columns_of(conn: psycopg.Connection, table: str) -> list[tuple[str, str]]:
    """(name, DuckDB type) of each column of `table`, in order."""
    found = conn.execute(
        "SELECT column_name, data_type, numeric_precision, numeric_scale"
        " FROM information_schema.columns WHERE table_schema = 'public' AND table_name = %s"
        " ORDER BY ordinal_position", [table]).fetchall()
    return [(name, f"DECIMAL({precision},{scale})" if kind == "numeric" and precision
             else _DUCKDB_TYPES.get(kind, "VARCHAR"))
            for name, kind, precision, scale in found]


def copy_out_csv(conn: psycopg.Connection, select: str, target: Path) -> None:
    """The rows of `select` into `target` as CSV, streamed (never all in memory): every value
    quoted, NULL left bare, so the reader can tell an empty text from a missing one."""
    with open(target, "wb") as out, conn.cursor().copy(
        f"COPY ({select}) TO STDOUT (FORMAT csv, FORCE_QUOTE *)"
    ) as copy:
        for chunk in copy:
            out.write(chunk)
