-- Generated from lib/migrations/008_repair_activity_events.sql by bench/scaleout/make_pg_migrations.py (sqlglot, DuckDB -> PostgreSQL).
-- The DuckDB file is the source of truth for what it means.

/* Repair after 004. DuckDB keeps, on a referenced table, the name of each table whose foreign */
/* key points at it, and ALTER TABLE ... RENAME does not update that name: after 004 renamed */
/* activity_events_new to activity_events, collaborations still named "activity_events_new", so */
/* a DELETE on collaborations (or an UPDATE ... RETURNING) failed with "Table with name */
/* activity_events_new does not exist". Dropping a table under the stale name clears the stale */
/* entry; activity_events is then created again under its own name, with the same rows and ids. */
CREATE TEMPORARY TABLE activity_events_copy AS
SELECT
  *
FROM activity_events;

DROP TABLE activity_events;

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

DROP TABLE activity_events_new;

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

INSERT INTO activity_events
SELECT
  *
FROM activity_events_copy;

DROP TABLE activity_events_copy;
