-- Generated from lib/migrations/009_login_sessions.sql by bench/scaleout/make_pg_migrations.py (sqlglot, DuckDB -> PostgreSQL).
-- The DuckDB file is the source of truth for what it means.

/* Issue 14.1: login sessions the store can end. The login cookie carries a random session id; */
/* only its SHA-256 is kept here (token_hash: a snapshot leaves *_hash columns out), with the */
/* user, the role and a fingerprint of the password hash at sign-in, and an absolute expiry that */
/* re-issuing the cookie never moves. Every page run reads the row joined to its user: a revoked, */
/* expired, disabled, demoted or re-passworded session ends there. Nothing references this table */
/* and it references nothing (a foreign key to users would stop DuckDB updating user rows' indexed */
/* columns and ALTERing users later); revoking only sets revoked_at, a column without an index. */
CREATE SEQUENCE login_sessions_id_seq START WITH 1;

CREATE TABLE login_sessions (
  id BIGINT PRIMARY KEY DEFAULT NEXTVAL('login_sessions_id_seq'),
  token_hash TEXT NOT NULL UNIQUE,
  user_id BIGINT NOT NULL,
  role TEXT NOT NULL CHECK (role IN ('admin', 'manager', 'staff', 'viewer')),
  password_hash_fingerprint TEXT NOT NULL,
  created_at TIMESTAMP NOT NULL,
  expires_at TIMESTAMP NOT NULL,
  revoked_at TIMESTAMP,
  revoked_reason TEXT,
  CHECK (expires_at > created_at)
);

CREATE INDEX login_sessions_user ON login_sessions(user_id);
