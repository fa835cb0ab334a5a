-- Generated from lib/migrations/010_audit_admin_guard_identity.sql by bench/scaleout/make_pg_migrations.py (sqlglot, DuckDB -> PostgreSQL).
-- The DuckDB file is the source of truth for what it means.

/* 010 (issue 14): the audit trail of account and reviewer-link actions, the guard row every */
/* change that can remove an admin claims first, and the database's own random identity. */
/* Who acted (a username, 'cli' for the command line; NULL when nobody is signed in), whom */
/* it concerns (a username, the name typed at a failed sign-in, or a reviewer's address), */
/* what, when, and a short detail. Never a password or a token. Nothing references it, so a */
/* later migration can rebuild it to widen the CHECK. */
CREATE SEQUENCE audit_events_id_seq START WITH 1;

CREATE TABLE audit_events (
  id BIGINT PRIMARY KEY DEFAULT NEXTVAL('audit_events_id_seq'),
  occurred_at TIMESTAMP NOT NULL,
  actor TEXT,
  subject TEXT,
  kind TEXT NOT NULL CHECK (kind IN (
    'signed_in',
    'sign_in_failed',
    'locked_out',
    'password_changed',
    'password_reset',
    'role_changed',
    'disabled',
    'enabled',
    'user_created',
    'reviewer_invited',
    'reviewer_link_resent',
    'reviewer_link_regenerated',
    'reviewer_removed'
  )),
  detail TEXT
);

/* One row. DuckDB runs transactions under snapshot isolation and has no SELECT ... FOR */
/* UPDATE: two admins demoting each other both count two admins. Bumping `seq` first makes */
/* any two such changes write the same row, so one of them is retried on a fresh snapshot. */
CREATE TABLE admin_guard (
  id INT PRIMARY KEY CHECK (id = 1),
  seq BIGINT NOT NULL
);

INSERT INTO admin_guard
VALUES
  (1, 0);

/* Made once, here; written into every snapshot.json and into the sidecar file */
/* <database>.id (lib.db), so a snapshot of another database is never read as this one's. */
CREATE TABLE database_identity (
  id TEXT NOT NULL
);

INSERT INTO database_identity
SELECT
  REPLACE(CAST(GEN_RANDOM_UUID() AS TEXT), '-', '');
