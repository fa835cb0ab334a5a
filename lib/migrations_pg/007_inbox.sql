-- Generated from lib/migrations/007_inbox.sql by bench/scaleout/make_pg_migrations.py (sqlglot, DuckDB -> PostgreSQL).
-- The DuckDB file is the source of truth for what it means.

ALTER TABLE messages
ADD COLUMN channel TEXT /* Inbox (issue 7): e-mail details on messages, assets sent to creators, per-user read state. */ /* 1. What an e-mail needs besides the message itself. ADD COLUMN only: messages is referenced */ /* (by assets below). DuckDB cannot add a CHECK with a column, so channel values (email, chat, */ /* other) are checked by lib/rules.py. Only these unindexed columns are ever updated. */;

/* NULL: a workflow notice */;

ALTER TABLE messages
ADD COLUMN sender TEXT;

/* From: address */;

ALTER TABLE messages
ADD COLUMN recipient TEXT;

/* To: address */;

ALTER TABLE messages
ADD COLUMN message_id_header TEXT;

/* the e-mail's Message-ID */;

ALTER TABLE messages
ADD COLUMN queued_at TIMESTAMP;

/* last time it was queued to send */;

ALTER TABLE messages
ADD COLUMN sent_at TIMESTAMP;

/* when the SMTP server accepted it */;

ALTER TABLE messages
ADD COLUMN received_at TIMESTAMP /* An incoming message's own date (an e-mail's Date:); threads and "most recent interaction" */ /* use coalesce(received_at, created_at). */;

ALTER TABLE messages
ADD COLUMN attempts INT DEFAULT 0;

/* sending attempts so far */;

/* 2. Tracking links and coupon codes sent to a creator, stored on the collaboration (the weekly */
/* report reads them). message_id is the e-mail that carried it (its state says whether it went). */
CREATE SEQUENCE assets_id_seq START WITH 1;

CREATE TABLE assets (
  id BIGINT PRIMARY KEY DEFAULT NEXTVAL('assets_id_seq'),
  collab_id BIGINT NOT NULL REFERENCES collaborations (
    id
  ),
  kind TEXT NOT NULL CHECK (kind IN ('tracking_link', 'coupon_code')),
  value TEXT NOT NULL CHECK (LENGTH(value) BETWEEN 1 AND 2000),
  message_id BIGINT NOT NULL REFERENCES messages (
    id
  ),
  created_at TIMESTAMP NOT NULL,
  created_by TEXT NOT NULL
);

/* 3. Per staff member and creator: the last message seen in the thread, and "marked unread". */
/* Nothing references this table, and only its unindexed columns are updated (an upsert). */
CREATE TABLE thread_reads (
  user_id BIGINT NOT NULL REFERENCES users (
    id
  ),
  creator_id BIGINT NOT NULL REFERENCES creators (
    id
  ),
  last_read_id BIGINT NOT NULL DEFAULT 0, /* messages.id; incoming ones above it are unread */
  marked_unread BOOLEAN NOT NULL DEFAULT FALSE,
  updated_at TIMESTAMP NOT NULL,
  PRIMARY KEY (user_id, creator_id)
);
