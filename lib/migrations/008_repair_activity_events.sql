-- Repair after 004. DuckDB keeps, on a referenced table, the name of each table whose foreign
-- key points at it, and ALTER TABLE ... RENAME does not update that name: after 004 renamed
-- activity_events_new to activity_events, collaborations still named "activity_events_new", so
-- a DELETE on collaborations (or an UPDATE ... RETURNING) failed with "Table with name
-- activity_events_new does not exist". Dropping a table under the stale name clears the stale
-- entry; activity_events is then created again under its own name, with the same rows and ids.
CREATE TEMP TABLE activity_events_copy AS SELECT * FROM activity_events;
DROP TABLE activity_events;
CREATE TABLE activity_events_new (
    id          BIGINT PRIMARY KEY DEFAULT nextval('activity_events_id_seq'),
    collab_id   BIGINT NOT NULL REFERENCES collaborations (id),
    occurred_at TIMESTAMP NOT NULL,
    actor       VARCHAR NOT NULL,
    kind        VARCHAR NOT NULL CHECK (kind IN ('created', 'status_changed', 'payment',
                    'content_delivered', 'note', 'delivery_changed', 'terms_changed',
                    'content_submitted', 'content_reviewed', 'shipment_created', 'asset_sent')),
    from_status VARCHAR,
    to_status   VARCHAR,
    amount      DECIMAL(12, 2),
    currency    VARCHAR,
    text        VARCHAR
);
DROP TABLE activity_events_new;
CREATE TABLE activity_events (
    id          BIGINT PRIMARY KEY DEFAULT nextval('activity_events_id_seq'),
    collab_id   BIGINT NOT NULL REFERENCES collaborations (id),
    occurred_at TIMESTAMP NOT NULL,
    actor       VARCHAR NOT NULL,
    kind        VARCHAR NOT NULL CHECK (kind IN ('created', 'status_changed', 'payment',
                    'content_delivered', 'note', 'delivery_changed', 'terms_changed',
                    'content_submitted', 'content_reviewed', 'shipment_created', 'asset_sent')),
    from_status VARCHAR,
    to_status   VARCHAR,
    amount      DECIMAL(12, 2),
    currency    VARCHAR,
    text        VARCHAR
);
INSERT INTO activity_events SELECT * FROM activity_events_copy;
DROP TABLE activity_events_copy;
