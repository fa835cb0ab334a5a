-- Generated from lib/migrations/003_campaign_workflow_seq.sql by bench/scaleout/make_pg_migrations.py (sqlglot, DuckDB -> PostgreSQL).
-- The DuckDB file is the source of truth for what it means.

ALTER TABLE campaigns
ADD COLUMN workflow_seq BIGINT DEFAULT 0 /* Every campaign-workflow write (applications, stages, agreements, the start) bumps this counter */ /* on its campaign's row first. Two such writes on one campaign then conflict in DuckDB, and */ /* Database.write retries the loser on a fresh snapshot, where it sees what the winner did: */ /* DuckDB has no SELECT ... FOR UPDATE, and an UPDATE that changes nothing claims nothing. */ /* It is not `version`, which guards the campaign's own fields against stale edits. */;
