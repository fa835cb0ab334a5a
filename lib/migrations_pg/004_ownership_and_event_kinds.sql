-- Generated from lib/migrations/004_ownership_and_event_kinds.sql by bench/scaleout/make_pg_migrations.py (sqlglot, DuckDB -> PostgreSQL).
-- The DuckDB file is the source of truth for what it means.

/* 1. A campaign's client and owner become editable. */
/* DuckDB runs an UPDATE of a foreign-key column as delete + insert, and refuses the delete while */
/* collaborations point at the campaign; it cannot drop or rename those columns either. So the */
/* current client and owner live in campaign_ownership, a table nothing references, where an */
/* update is allowed. campaigns.client_id / owner_id stay as they were at creation (read them */
/* only through campaign_ownership: see docs/architecture.md). */
CREATE TABLE campaign_ownership (
  campaign_id BIGINT PRIMARY KEY REFERENCES campaigns (
    id
  ),
  client_id BIGINT NOT NULL REFERENCES clients (
    id
  ),
  owner_id BIGINT REFERENCES users (
    id
  )
);

INSERT INTO campaign_ownership
SELECT
  id,
  client_id,
  owner_id
FROM campaigns;

/* 2. New activity-event kinds for content approval, shipments and assets sent to a creator. */
/* DuckDB cannot change a CHECK in place; nothing references activity_events, so the table is */
/* rebuilt with the wider list (ids and their sequence are kept). The RENAME below left a stale */
/* name behind in DuckDB's catalog; 008 repairs it (never rename a table with a foreign key). */
CREATE TABLE activity_events_new (
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
    'terms_changed',
    'content_submitted',
    'content_reviewed',
    'shipment_created',
    'asset_sent'
  )),
  from_status TEXT,
  to_status TEXT,
  amount DECIMAL(12, 2),
  currency TEXT,
  text TEXT
);

INSERT INTO activity_events_new
SELECT
  *
FROM activity_events;

DROP TABLE activity_events;

ALTER TABLE activity_events_new
RENAME TO activity_events;
