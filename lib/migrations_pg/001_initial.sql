-- Generated from lib/migrations/001_initial.sql by bench/scaleout/make_pg_migrations.py (sqlglot, DuckDB -> PostgreSQL).
-- The DuckDB file is the source of truth for what it means.

/* Collabdesk schema, version 1: users, the campaign side, creators, collaborations and their history. */
CREATE SEQUENCE users_id_seq START WITH 1;

CREATE TABLE users (
  id BIGINT PRIMARY KEY DEFAULT NEXTVAL('users_id_seq'),
  username TEXT NOT NULL UNIQUE,
  name TEXT NOT NULL,
  email TEXT NOT NULL DEFAULT '',
  role TEXT NOT NULL CHECK (role IN ('admin', 'manager', 'staff', 'viewer')),
  password_hash TEXT NOT NULL,
  disabled BOOLEAN NOT NULL DEFAULT FALSE,
  failed_logins INT NOT NULL DEFAULT 0 CHECK (failed_logins >= 0),
  locked_until TIMESTAMP,
  created_at TIMESTAMP NOT NULL
);

CREATE SEQUENCE clients_id_seq START WITH 1;

CREATE TABLE clients (
  id BIGINT PRIMARY KEY DEFAULT NEXTVAL('clients_id_seq'),
  name TEXT NOT NULL UNIQUE
);

CREATE SEQUENCE campaigns_id_seq START WITH 1;

CREATE TABLE campaigns (
  id BIGINT PRIMARY KEY DEFAULT NEXTVAL('campaigns_id_seq'),
  client_id BIGINT NOT NULL REFERENCES clients (
    id
  ),
  name TEXT NOT NULL,
  owner_id BIGINT REFERENCES users (
    id
  ),
  start_date DATE NOT NULL,
  end_date DATE NOT NULL,
  budget DECIMAL(14, 2) NOT NULL CHECK (budget >= 0),
  currency TEXT NOT NULL DEFAULT 'EUR',
  created_at TIMESTAMP NOT NULL,
  CHECK (end_date >= start_date)
);

CREATE SEQUENCE creators_id_seq START WITH 1;

CREATE TABLE creators (
  id BIGINT PRIMARY KEY DEFAULT NEXTVAL('creators_id_seq'),
  name TEXT NOT NULL,
  handle TEXT NOT NULL,
  platform TEXT NOT NULL,
  email TEXT,
  phone TEXT,
  address TEXT,
  followers BIGINT NOT NULL DEFAULT 0 CHECK (followers >= 0),
  engagement_rate DOUBLE PRECISION NOT NULL DEFAULT 0 CHECK (engagement_rate >= 0),
  validation_override /* NULL: the badge is computed by lib.rules.creator_validation; otherwise staff set it by hand. */ TEXT CHECK (validation_override IN ('verified', 'needs_review', 'flagged')),
  created_at TIMESTAMP NOT NULL
);

CREATE TABLE creator_tags (
  creator_id BIGINT NOT NULL REFERENCES creators (
    id
  ),
  tag TEXT NOT NULL CHECK (LENGTH(tag) BETWEEN 1 AND 40),
  PRIMARY KEY (creator_id, tag)
);

CREATE SEQUENCE collaborations_id_seq START WITH 1;

CREATE TABLE collaborations (
  id BIGINT PRIMARY KEY DEFAULT NEXTVAL('collaborations_id_seq'),
  campaign_id BIGINT NOT NULL REFERENCES campaigns (
    id
  ),
  creator_id BIGINT NOT NULL REFERENCES creators (
    id
  ),
  status TEXT NOT NULL CHECK (status IN ('pending', 'negotiating', 'fulfilling', 'completed', 'cancelled')),
  deliverables TEXT NOT NULL DEFAULT '',
  compensation DECIMAL(12, 2) NOT NULL DEFAULT 0 CHECK (compensation >= 0),
  currency TEXT NOT NULL DEFAULT 'EUR',
  start_date DATE,
  due_date DATE,
  conditions TEXT NOT NULL DEFAULT '',
  cancel_reason TEXT,
  version INT NOT NULL DEFAULT 1 CHECK (version >= 1),
  created_at TIMESTAMP NOT NULL,
  updated_at TIMESTAMP NOT NULL,
  CHECK (due_date IS NULL OR start_date IS NULL OR due_date >= start_date),
  CHECK (status <> 'cancelled' OR NOT cancel_reason IS NULL)
);

CREATE SEQUENCE activity_events_id_seq START WITH 1;

CREATE TABLE activity_events (
  id BIGINT PRIMARY KEY DEFAULT NEXTVAL('activity_events_id_seq'),
  collab_id BIGINT NOT NULL REFERENCES collaborations (
    id
  ),
  occurred_at TIMESTAMP NOT NULL,
  actor TEXT NOT NULL,
  kind TEXT NOT NULL CHECK (kind IN (
    'created',
    'status_changed',
    'payment',
    'content_delivered',
    'note',
    'delivery_changed',
    'terms_changed'
  )),
  from_status TEXT,
  to_status TEXT,
  amount DECIMAL(12, 2),
  currency TEXT,
  text TEXT
);

CREATE SEQUENCE payments_id_seq START WITH 1;

CREATE TABLE payments (
  id BIGINT PRIMARY KEY DEFAULT NEXTVAL('payments_id_seq'),
  collab_id BIGINT NOT NULL REFERENCES collaborations (
    id
  ),
  amount DECIMAL(12, 2) NOT NULL CHECK (amount > 0),
  currency TEXT NOT NULL,
  paid_on DATE NOT NULL,
  reference TEXT NOT NULL DEFAULT '',
  created_at TIMESTAMP NOT NULL,
  created_by TEXT NOT NULL
);

CREATE SEQUENCE content_items_id_seq START WITH 1;

CREATE TABLE content_items (
  id BIGINT PRIMARY KEY DEFAULT NEXTVAL('content_items_id_seq'),
  collab_id BIGINT NOT NULL REFERENCES collaborations (
    id
  ),
  url TEXT NOT NULL,
  kind TEXT NOT NULL CHECK (kind IN ('post', 'story', 'reel', 'video', 'short', 'other')),
  delivered_on DATE NOT NULL,
  created_at TIMESTAMP NOT NULL,
  created_by TEXT NOT NULL
);

CREATE SEQUENCE shipments_id_seq START WITH 1;

CREATE TABLE shipments (
  id BIGINT PRIMARY KEY DEFAULT NEXTVAL('shipments_id_seq'),
  collab_id BIGINT NOT NULL REFERENCES collaborations (
    id
  ),
  item TEXT NOT NULL,
  carrier TEXT NOT NULL DEFAULT '',
  tracking_number TEXT NOT NULL DEFAULT '',
  address TEXT NOT NULL DEFAULT '',
  status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'in_transit', 'delivered', 'exception')),
  exception_reason TEXT,
  shipped_on DATE,
  delivered_on DATE,
  status_changed_at TIMESTAMP NOT NULL,
  created_at TIMESTAMP NOT NULL
);
