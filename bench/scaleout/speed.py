"""The collaborations list page (first view: no filter, newest first, page 1 of 50 rows, with
the total and each row's validation facts) on each candidate, beside the local file.

    python bench/scaleout/speed.py load ENGINE DATA_DIR SIZE   (once: copy the data in)
    python bench/scaleout/speed.py run ENGINE DATA_DIR SIZE    (one warm-up, RUNS timed runs)

DATA_DIR holds what build.py wrote: the DuckDB 2.0 file, its Parquet export and the page's
SQL exactly as lib.collaborations builds it. Engines: duckdb-file (DuckDB 2.0 on the file),
duckdb-postgres (DuckDB 1.4.4 planning the same SQL over PostgreSQL), postgres (PostgreSQL
running the page in its own SQL, translated by hand: sqlglot refuses EXCLUDE), quack-adbc
(the same SQL sent to a DuckDB 1.5.5 Quack server holding a copy of the data). Prints the
median and the spread in seconds, and the page's first id and total, to check they agree.
"""

from __future__ import annotations

import json
import re
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import engines

RUNS = 5
TABLES = ("collaborations", "creators", "campaigns", "campaign_ownership", "clients")

# The page in PostgreSQL's SQL: the same steps, with the columns spelled out (no EXCLUDE),
# a row of facts as JSON (no struct_pack), and PostgreSQL's regexp syntax (same pattern).
POSTGRES_PAGE = r"""
WITH hits AS MATERIALIZED (SELECT c.id, c.updated_at AS sort_key FROM collaborations c),
page AS (SELECT id, sort_key FROM hits ORDER BY sort_key DESC, id DESC LIMIT %s OFFSET %s),
shown AS (SELECT p.sort_key, c.id, cr.name AS creator, cr.handle, cr.platform, c.creator_id,
          ca.name AS campaign, cl.name AS client, c.status,
          c.compensation::float8 AS compensation, c.currency, c.due_date, c.created_at,
          c.updated_at, c.version
          FROM collaborations c JOIN creators cr ON cr.id = c.creator_id
          JOIN campaigns ca ON ca.id = c.campaign_id
          JOIN campaign_ownership co ON co.campaign_id = ca.id
          JOIN clients cl ON cl.id = co.client_id JOIN page p ON p.id = c.id),
chosen AS (SELECT * FROM creators WHERE id IN (SELECT creator_id FROM shown)),
shared AS (SELECT DISTINCT p.id FROM chosen p JOIN creators o
           ON lower(o.handle) = lower(p.handle) AND o.platform <> p.platform
           AND lower(regexp_replace(trim(o.name), '\s+', ' ', 'g'))
               <> lower(regexp_replace(trim(p.name), '\s+', ' ', 'g'))),
facts AS (SELECT p.id, p.email, p.phone, p.address, p.followers, p.engagement_rate,
          p.validation_override, s.id IS NOT NULL AS handle_shared
          FROM chosen p LEFT JOIN shared s ON s.id = p.id)
SELECT shown.id, shown.creator, shown.handle, shown.platform, shown.creator_id, shown.campaign,
       shown.client, shown.status, shown.compensation, shown.currency, shown.due_date,
       shown.created_at, shown.updated_at, shown.version,
       (SELECT count(*) FROM hits) AS total, row_to_json(f) AS facts
FROM shown JOIN facts f ON f.id = shown.creator_id
ORDER BY shown.sort_key DESC, shown.id DESC
"""


def pg_dsn(size: int) -> str:
    return re.sub(r"dbname=\S+", f"dbname=bench{size}", engines.PG_DSN)


def load(engine: str, data: Path, size: int) -> None:
    parquet = data / f"parquet-{size}"
    if engine == "postgres":  # through DuckDB 1.4.4's postgres extension (venv144)
        import duckdb
        import psycopg

        with psycopg.connect(engines.PG_DSN, autocommit=True) as admin:
            admin.execute(f"DROP DATABASE IF EXISTS bench{size}")
            admin.execute(f"CREATE DATABASE bench{size}")
        conn = duckdb.connect(config={"allow_unsigned_extensions": "true",
                                      "autoinstall_known_extensions": "false"})
        conn.execute(f"LOAD '{engines.site_extension('postgres_scanner')}'")
        conn.execute(f"ATTACH '{pg_dsn(size)}' AS pg (TYPE postgres)")
        for table in TABLES:
            conn.execute(f"CREATE TABLE pg.{table} AS"
                         f" SELECT * FROM read_parquet('{parquet}/{table}.parquet')")
        with psycopg.connect(pg_dsn(size), autocommit=True) as pg:
            for table in TABLES:
                key = "campaign_id" if table == "campaign_ownership" else "id"
                pg.execute(f"ALTER TABLE {table} ADD PRIMARY KEY ({key})")
            pg.execute("CREATE INDEX ON collaborations (updated_at)")
            pg.execute("CREATE INDEX ON creators (lower(handle))")
            pg.execute("ANALYZE")
    elif engine == "quack-adbc":  # a DuckDB 1.5.5 file for the Quack server (venv155)
        import duckdb

        target = data / f"quack-{size}.duckdb"
        target.unlink(missing_ok=True)
        conn = duckdb.connect(str(target))
        conn.execute(f"IMPORT DATABASE '{parquet}'")
        conn.execute("CHECKPOINT")
        conn.close()
    print(f"loaded {engine} at {size}")


def runner(engine: str, data: Path, size: int):
    page = json.loads((data / "list_page.json").read_text())
    sql, params = page["sql"], page["params"]
    if engine == "duckdb-file":
        import duckdb

        conn = duckdb.connect(str(data / f"collabdesk-{size}.duckdb"), read_only=True)
        return lambda: conn.execute(sql, params).fetchall()
    if engine == "duckdb-postgres":
        import duckdb

        conn = duckdb.connect(config={"allow_unsigned_extensions": "true",
                                      "autoinstall_known_extensions": "false"})
        conn.execute(f"LOAD '{engines.site_extension('postgres_scanner')}'")
        conn.execute(f"ATTACH '{pg_dsn(size)}' AS pg (TYPE postgres, READ_ONLY)")
        conn.execute("USE pg")
        return lambda: conn.execute(sql, params).fetchall()
    if engine == "postgres":
        import psycopg

        pg = psycopg.connect(pg_dsn(size))
        return lambda: pg.execute(POSTGRES_PAGE, params).fetchall()
    if engine == "quack-adbc":
        db = engines.connect("quack-adbc")
        return lambda: db.run(sql, params)
    raise SystemExit(f"unknown engine {engine}")


def run(engine: str, data: Path, size: int) -> None:
    page = runner(engine, data, size)
    rows = page()  # warm-up, and the answer to compare
    times = []
    for _ in range(RUNS):
        started = time.perf_counter()
        page()
        times.append(time.perf_counter() - started)
    total_column = 14  # after the 14 shown columns
    print(f"{engine} at {size:,}: median {statistics.median(times):.3f} s"
          f" (min {min(times):.3f}, max {max(times):.3f}); first id {rows[0][0]},"
          f" total {rows[0][total_column]}, {len(rows)} rows", flush=True)


if __name__ == "__main__":
    action, name, folder, count = sys.argv[1:5]
    (load if action == "load" else run)(name, Path(folder), int(count))
