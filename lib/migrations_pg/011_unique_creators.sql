-- 011 for PostgreSQL, written by hand: the end state of lib/migrations/011_unique_creators.py.
-- That migration merges the duplicate creators an existing DuckDB file holds, then adds the
-- unique key. A shared store starts empty (or is filled from a file that has had 011), so only
-- the end state is needed: the two record tables and the unique index.
--
-- The handle key must be the same expression the services compute (lib.creators.HANDLE_KEY),
-- as lib.pg_store translates it: PostgreSQL's regexps have no \p{Z}, so the Unicode space
-- separators are spelled out (lib.pg_store.UNICODE_SPACES; a test checks the two agree).

CREATE TABLE IF NOT EXISTS creator_merges (
  merged_id BIGINT PRIMARY KEY,
  survivor_id BIGINT NOT NULL,
  merged_row JSON NOT NULL,
  moved TEXT NOT NULL,
  archived INT NOT NULL,
  occurred_at TIMESTAMP NOT NULL,
  actor TEXT NOT NULL
);

CREATE TABLE IF NOT EXISTS creator_merge_archive (
  merged_id BIGINT,
  table_name TEXT NOT NULL,
  reason TEXT NOT NULL,
  row_data JSON NOT NULL
);

CREATE UNIQUE INDEX IF NOT EXISTS creators_platform_handle_key ON creators (
  platform,
  (LOWER(REGEXP_REPLACE(handle, '^[\s\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000@]+|[\s\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+$', '', 'g')))
);
