"""011 (issue 14, point 4): one creator per platform and handle, enforced by the store.

Creators become unique by (platform, handle key), the key being the handle in lower case with
surrounding whitespace (Unicode spaces too) and any leading @ removed: a unique index on
`creators` that every writer meets, not only a look-up first. Handles entering through
lib.rules.check_handle are NFKC-normalised and refused with inner spaces or invisible
characters, so the key needs no more than that (DuckDB has no NFKC function).

The duplicates already stored are merged first into the oldest creator of each key (the
survivor). DuckDB cannot do that in one transaction: an UPDATE of `collaborations.creator_id`
(an indexed column) is a delete and an insert, refused while any row references the
collaboration, and a transaction cannot drop those references itself first. So:

1. the plan (merged creator -> survivor) is kept in `creator_merge_plan`;
2. the rows that reference the merged creators' rows (events, payments, content, shipments,
   assets of their collaborations; agreements and workflow events of their applications; ...),
   found from DuckDB's catalog, are copied into `creator_merge_stage_<table>` tables and
   deleted, deepest first, one committed transaction per depth;
3. one transaction re-points every column that references `creators` (rows that would break a
   unique key are kept in `creator_merge_archive` as JSON; thread read state is merged), fills
   the survivor's empty contact fields from the merged ones, puts the staged rows back with
   their ids, and records each merge in `creator_merges` plus a `note` activity event on every
   collaboration that moved;
4. a transaction deletes the merged creators (nothing references them any more), and a last
   one creates the unique index.

Every step can run again after a crash: staged rows wait in their tables, and the plan says
whether step 3 is done.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

Cursor = Any  # a DuckDB cursor (this file is loaded by lib.db, whose types it must not import)

# The store's handle key. lib.creators.HANDLE_KEY is the same expression (a test checks it).
HANDLE_KEY = r"lower(regexp_replace({}, '^[\s\p{{Z}}@]+|[\s\p{{Z}}]+$', '', 'g'))"
PLAN = "creator_merge_plan"
STAGE = "creator_merge_stage_"
ACTOR = "migration 011"
MAX_DEPTH = 8  # of foreign-key chains below creators; the schema has 3


def apply(cur: Cursor) -> None:
    _plan(cur)
    if _count(cur, f"SELECT count(*) FROM {PLAN} WHERE NOT merged"):
        levels = _levels(cur)
        for depth in sorted(levels, reverse=True):
            if depth > 1:
                _in_transaction(cur, lambda c, d=depth: _stage(c, levels[d]))
        _in_transaction(cur, lambda c: _merge(c, levels[1]))
    _in_transaction(cur, _finish)
    _in_transaction(cur, _index)


def _in_transaction(cur: Cursor, work: Any) -> None:
    cur.execute("BEGIN TRANSACTION")
    try:
        work(cur)
        cur.execute("COMMIT")
    except BaseException:
        cur.execute("ROLLBACK")
        raise


def _count(cur: Cursor, sql: str) -> int:
    return int(cur.execute(sql).fetchone()[0])


def _plan(cur: Cursor) -> None:
    """Each duplicate creator and its survivor (the oldest of its key); kept until the end."""
    if _exists(cur, PLAN):
        return  # a run that crashed half-way: its plan holds
    key = HANDLE_KEY.format("handle")
    _in_transaction(cur, lambda c: c.execute(f"""
        CREATE TABLE {PLAN} AS
        SELECT id AS merged_id, survivor_id, false AS merged FROM (
            SELECT id, min(id) OVER (PARTITION BY platform, {key}) AS survivor_id FROM creators
        ) WHERE id <> survivor_id
    """))


# --- the catalog ---------------------------------------------------------------------------


def _foreign_keys(cur: Cursor) -> list[tuple[str, str, str, str]]:
    """(table, column, referenced table, referenced column) of every single-column foreign key
    of the main schema."""
    rows = cur.execute(
        "SELECT table_name, constraint_column_names, referenced_table, referenced_column_names"
        " FROM duckdb_constraints() WHERE constraint_type = 'FOREIGN KEY'"
        " AND schema_name = 'main' AND NOT starts_with(table_name, 'creator_merge')"
    ).fetchall()
    return [(t, cols[0], ref, ref_cols[0]) for t, cols, ref, ref_cols in rows if len(cols) == 1]


def _levels(cur: Cursor) -> dict[int, list[tuple[str, str]]]:
    """The rows that must move for the merge, by depth: depth 1 holds (table, column) of the
    columns to re-point; deeper ones (table, predicate) of the rows that reference those rows
    (and their own references), which must be out of the way while they are re-pointed."""
    keys = _foreign_keys(cur)
    levels: dict[int, list[tuple[str, str]]] = {1: []}
    for table, column, ref, _ in keys:
        if ref == "creators":
            levels[1].append((table, column))
            rows = f"{column} IN (SELECT merged_id FROM {PLAN})"
            for depth, child, predicate in _below(keys, table, rows, 2):
                levels.setdefault(depth, []).append((child, predicate))
    return levels


def _below(keys: list[tuple[str, str, str, str]], parent: str, parent_rows: str, depth: int
           ) -> Iterator[tuple[int, str, str]]:
    if depth > MAX_DEPTH:
        raise RuntimeError(f"Foreign keys below creators nest deeper than {MAX_DEPTH} tables.")
    for table, column, ref, ref_column in keys:
        if ref == parent:
            rows = f"{column} IN (SELECT {ref_column} FROM {parent} WHERE {parent_rows})"
            yield depth, table, rows
            yield from _below(keys, table, rows, depth + 1)


def _unique_keys(cur: Cursor, table: str) -> list[list[str]]:
    return [cols for (cols,) in cur.execute(
        "SELECT constraint_column_names FROM duckdb_constraints() WHERE table_name = ?"
        " AND schema_name = 'main' AND constraint_type IN ('PRIMARY KEY', 'UNIQUE')", [table]
    ).fetchall()]


def _columns(cur: Cursor, table: str) -> list[str]:
    return [name for (name,) in cur.execute(
        "SELECT column_name FROM duckdb_columns() WHERE table_name = ? AND schema_name = 'main'"
        " ORDER BY column_index", [table]).fetchall()]


# --- step 2: moving referencing rows out of the way -----------------------------------------------


def _stage(cur: Cursor, nodes: list[tuple[str, str]]) -> None:
    for table, predicate in nodes:
        stage = STAGE + table
        cur.execute(f"CREATE TABLE IF NOT EXISTS {stage} AS SELECT * FROM {table} LIMIT 0")
        cur.execute(f"INSERT INTO {stage} SELECT * FROM {table} WHERE {predicate}")
        cur.execute(f"DELETE FROM {table} WHERE {predicate}")


def _create_record_tables(cur: Cursor) -> None:
    """Where merges are recorded (in every database, merged or not, so the schema is one)."""
    cur.execute("""
        CREATE TABLE IF NOT EXISTS creator_merges (
            merged_id   BIGINT PRIMARY KEY,  -- the creator merged away (deleted afterwards)
            survivor_id BIGINT NOT NULL,     -- the creator it became (no foreign key: creators
                                             -- stays as referenced as it was)
            merged_row  JSON NOT NULL,       -- the merged creator's own row
            moved       VARCHAR NOT NULL,    -- what was re-pointed: "collaborations 2, ..."
            archived    INTEGER NOT NULL,    -- its rows kept in creator_merge_archive instead
            occurred_at TIMESTAMP NOT NULL,
            actor       VARCHAR NOT NULL
        )""")
    cur.execute("""
        CREATE TABLE IF NOT EXISTS creator_merge_archive (
            merged_id  BIGINT,           -- the creator merged away (NULL: see reason)
            table_name VARCHAR NOT NULL,
            reason     VARCHAR NOT NULL,
            row_data   JSON NOT NULL     -- the row as it was, which could not move
        )""")


# --- step 3: re-pointing, in one transaction ------------------------------------------------------


def _merge(cur: Cursor, referencing: list[tuple[str, str]]) -> None:
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None, microsecond=0)
    _create_record_tables(cur)
    _merge_thread_reads(cur)
    for table, column in referencing:
        for unique in _unique_keys(cur, table):
            if column in unique:
                _archive_conflicts(cur, table, column, [c for c in unique if c != column])
    _record(cur, referencing, now)
    moved_collabs = "creator_merge_moved_collabs"
    cur.execute(f"CREATE TEMP TABLE {moved_collabs} AS SELECT c.id, p.merged_id FROM"
                f" collaborations c JOIN {PLAN} p ON p.merged_id = c.creator_id")
    for table, column in referencing:
        cur.execute(f"UPDATE {table} SET {column} = p.survivor_id FROM {PLAN} p"
                    f" WHERE {table}.{column} = p.merged_id")
    _fill_survivors(cur)
    _restore(cur)
    _note_on_collaborations(cur, moved_collabs, now)
    cur.execute(f"DROP TABLE {moved_collabs}")
    cur.execute(f"UPDATE {PLAN} SET merged = true")


def _merge_thread_reads(cur: Cursor) -> None:
    """One person's read state of threads that become one: the lowest mark (no unread message
    is hidden by the merge), unread if any was marked so. Every row of the group gets it, so
    the one _archive_conflicts keeps holds it."""
    if not _exists(cur, "thread_reads"):
        return
    cur.execute(f"""
        UPDATE thread_reads SET last_read_id = m.last_read_id, marked_unread = m.marked_unread,
                                updated_at = m.updated_at
        FROM (SELECT coalesce(p.survivor_id, t.creator_id) AS target, t.user_id,
                     min(t.last_read_id) AS last_read_id,
                     bool_or(t.marked_unread) AS marked_unread, max(t.updated_at) AS updated_at
              FROM thread_reads t LEFT JOIN {PLAN} p ON p.merged_id = t.creator_id
              WHERE coalesce(p.survivor_id, t.creator_id) IN (SELECT survivor_id FROM {PLAN})
              GROUP BY ALL) m
        WHERE thread_reads.user_id = m.user_id
          AND (thread_reads.creator_id = m.target OR thread_reads.creator_id IN
               (SELECT merged_id FROM {PLAN} WHERE survivor_id = m.target))
    """)


def _archive_conflicts(cur: Cursor, table: str, column: str, others: list[str]) -> None:
    """Rows of merged creators that would repeat a unique key once re-pointed (the same tag
    twice, two applications to one campaign): the survivor's own row stays (else the merged
    creators' oldest), the others are deleted, kept as JSON in creator_merge_archive unless
    they held nothing more than the key (tags) or were merged (read state). Their referencing
    rows were staged, and are archived by _restore since they have nothing to go back to."""
    partition = ", ".join(["target", *others])
    not_null = " AND ".join([f"t.{c} IS NOT NULL" for c in others] or ["true"])
    doomed = f"""
        SELECT rid FROM (
            SELECT rid, target, row_number() OVER (
                PARTITION BY {partition} ORDER BY is_survivor DESC, rid) AS n
            FROM (SELECT t.rowid AS rid, coalesce(p.survivor_id, t.{column}) AS target,
                         p.merged_id IS NULL AS is_survivor, {", ".join(f"t.{c}" for c in others)
                                                             or "NULL AS nothing"}
                  FROM {table} t LEFT JOIN {PLAN} p ON p.merged_id = t.{column}
                  WHERE {not_null})
            WHERE target IN (SELECT survivor_id FROM {PLAN})
        ) WHERE n > 1"""
    if table not in ("thread_reads", "creator_tags"):
        cur.execute(f"""
            INSERT INTO creator_merge_archive
            SELECT t.{column}, '{table}', 'the survivor has a row with the same unique key',
                   to_json(t)
            FROM {table} t WHERE t.rowid IN ({doomed})
        """)
    cur.execute(f"DELETE FROM {table} WHERE rowid IN ({doomed})")


def _record(cur: Cursor, referencing: list[tuple[str, str]], now: dt.datetime) -> None:
    """One creator_merges row per merged creator: who it was, into whom, what moved."""
    counts = " || ', ' || ".join(
        f"'{table} ' || (SELECT count(*) FROM {table} WHERE {column} = c.id)"
        for table, column in sorted(referencing)
    ) or "''"
    cur.execute(f"""
        INSERT INTO creator_merges
        SELECT c.id, p.survivor_id, to_json(c), {counts},
               (SELECT count(*) FROM creator_merge_archive a WHERE a.merged_id = c.id), ?, ?
        FROM creators c JOIN {PLAN} p ON p.merged_id = c.id
        WHERE NOT p.merged
    """, [now, ACTOR])


def _fill_survivors(cur: Cursor) -> None:
    """Contact details the survivor lacks, from the merged creators (the oldest first)."""
    fields = ("email", "phone", "address", "validation_override")
    picks = ", ".join(
        f"(list(m.{f} ORDER BY m.id) FILTER (WHERE nullif(trim(m.{f}), '') IS NOT NULL))[1]"
        f" AS {f}" for f in fields
    )
    sets = ", ".join(f"{f} = coalesce(nullif(trim(creators.{f}), ''), x.{f})" for f in fields)
    cur.execute(f"""
        UPDATE creators SET {sets}
        FROM (SELECT p.survivor_id, {picks} FROM creators m JOIN {PLAN} p ON p.merged_id = m.id
              GROUP BY ALL) x
        WHERE creators.id = x.survivor_id
    """)


def _restore(cur: Cursor) -> None:
    """The staged rows back in their tables with their own ids, parents before children; a
    row whose parent was archived is archived with it."""
    staged = [name[len(STAGE):] for (name,) in cur.execute(
        "SELECT table_name FROM duckdb_tables() WHERE starts_with(table_name, ?)", [STAGE]
    ).fetchall()]
    keys = _foreign_keys(cur)
    pending = set(staged)
    while pending:
        ready = sorted(t for t in pending
                       if not any(t2 == t and ref in pending and ref != t
                                  for t2, _, ref, _ in keys))
        if not ready:
            raise RuntimeError(f"Cannot order the staged tables {sorted(pending)}.")
        for table in ready:
            _restore_table(cur, table, [(c, r, rc) for t, c, r, rc in keys if t == table])
            pending.discard(table)


def _restore_table(cur: Cursor, table: str, parents: list[tuple[str, str, str]]) -> None:
    stage = STAGE + table
    orphan = " OR ".join(
        f"(s.{column} IS NOT NULL AND s.{column} NOT IN (SELECT {ref_column} FROM {ref}))"
        for column, ref, ref_column in parents
    ) or "false"
    cur.execute(f"""
        INSERT INTO creator_merge_archive
        SELECT NULL, '{table}', 'the row it referenced was archived', to_json(s)
        FROM {stage} s WHERE {orphan}
    """)
    columns = ", ".join(_columns(cur, table))
    cur.execute(f"INSERT INTO {table} ({columns}) SELECT {columns} FROM {stage} s"
                f" WHERE NOT ({orphan})")
    cur.execute(f"DROP TABLE {stage}")


def _note_on_collaborations(cur: Cursor, moved: str, now: dt.datetime) -> None:
    """The merge on the history of every collaboration that changed creator."""
    cur.execute(f"""
        INSERT INTO activity_events (collab_id, occurred_at, actor, kind, text)
        SELECT c.id, ?, ?, 'note',
               'Duplicate creator merged: ' || (m.merged_row ->> 'name') || ' (@'
               || (m.merged_row ->> 'handle') || ', creator #' || m.merged_id
               || ') was the same ' || s.platform || ' account as ' || s.name || ' (@'
               || s.handle || ', creator #' || s.id || '), who now has this collaboration.'
        FROM {moved} c JOIN creator_merges m ON m.merged_id = c.merged_id
        JOIN creators s ON s.id = m.survivor_id
    """, [now, ACTOR])


# --- steps 4 and 5 ---------------------------------------------------------------------------


def _finish(cur: Cursor) -> None:
    """The merged creators go (nothing references them since step 3 committed); the index
    makes the store refuse any new duplicate."""
    _create_record_tables(cur)
    if _exists(cur, PLAN):
        cur.execute(f"DELETE FROM creators WHERE id IN (SELECT merged_id FROM {PLAN})")
        cur.execute(f"DROP TABLE {PLAN}")


def _index(cur: Cursor) -> None:
    """(Its own transaction: DuckDB builds an index over the rows a transaction deleted.)"""
    cur.execute(f"CREATE UNIQUE INDEX IF NOT EXISTS creators_platform_handle_key"
                f" ON creators (platform, ({HANDLE_KEY.format('handle')}))")


def _exists(cur: Cursor, table: str) -> bool:
    return bool(_count(cur, f"SELECT count(*) FROM duckdb_tables() WHERE table_name = '{table}'"))
