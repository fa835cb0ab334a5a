-- Generated from lib/migrations/006_shipment_version.sql by bench/scaleout/make_pg_migrations.py (sqlglot, DuckDB -> PostgreSQL).
-- The DuckDB file is the source of truth for what it means.

ALTER TABLE shipments
ADD COLUMN version INT DEFAULT 1 /* Issue 6, deliveries: a version per shipment, so that a batch preview (or an imported sheet) */ /* can tell when someone changed the shipment between the preview and the confirm; the status */ /* time alone has whole seconds and misses tracking-number edits. Nothing references shipments, */ /* so updating its rows is always allowed; ADD COLUMN is the one change DuckDB makes in place. */ /* (DuckDB adds no NOT NULL or CHECK with ADD COLUMN: the services always write version + 1.) */;

UPDATE shipments SET version = 1
WHERE
  version IS NULL;
