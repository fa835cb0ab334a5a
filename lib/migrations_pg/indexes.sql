-- PostgreSQL's own indexes, beside the numbered migrations (which mirror lib/migrations/ one
-- for one, so schema_version means the same on either store). DuckDB scans a column in
-- milliseconds and needs none of these; PostgreSQL reads rows, and without them a lookup of
-- one creator's or one campaign's rows reads every collaboration (measured in bench/shared.py:
-- the inbox of one campaign took 8 s): the foreign keys and the statuses the services look
-- up by. Applied at every start (IF NOT EXISTS), under the migration lock.
CREATE INDEX IF NOT EXISTS collaborations_campaign ON collaborations (campaign_id);
CREATE INDEX IF NOT EXISTS collaborations_creator ON collaborations (creator_id);
CREATE INDEX IF NOT EXISTS activity_events_collab ON activity_events (collab_id);
CREATE INDEX IF NOT EXISTS payments_collab ON payments (collab_id);
CREATE INDEX IF NOT EXISTS content_items_collab ON content_items (collab_id);
CREATE INDEX IF NOT EXISTS shipments_collab ON shipments (collab_id);
CREATE INDEX IF NOT EXISTS shipments_status ON shipments (status, status_changed_at);
CREATE INDEX IF NOT EXISTS messages_creator ON messages (creator_id);
CREATE INDEX IF NOT EXISTS campaigns_client ON campaigns (client_id);
CREATE INDEX IF NOT EXISTS applications_creator ON applications (creator_id);
CREATE INDEX IF NOT EXISTS thread_reads_creator ON thread_reads (creator_id);
