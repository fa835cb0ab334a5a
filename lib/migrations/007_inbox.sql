-- Inbox (issue 7): e-mail details on messages, assets sent to creators, per-user read state.

-- 1. What an e-mail needs besides the message itself. ADD COLUMN only: messages is referenced
-- (by assets below). DuckDB cannot add a CHECK with a column, so channel values (email, chat,
-- other) are checked by lib/rules.py. Only these unindexed columns are ever updated.
ALTER TABLE messages ADD COLUMN channel VARCHAR;           -- NULL: a workflow notice
ALTER TABLE messages ADD COLUMN sender VARCHAR;            -- From: address
ALTER TABLE messages ADD COLUMN recipient VARCHAR;         -- To: address
ALTER TABLE messages ADD COLUMN message_id_header VARCHAR; -- the e-mail's Message-ID
ALTER TABLE messages ADD COLUMN queued_at TIMESTAMP;       -- last time it was queued to send
ALTER TABLE messages ADD COLUMN sent_at TIMESTAMP;         -- when the SMTP server accepted it
-- An incoming message's own date (an e-mail's Date:); threads and "most recent interaction"
-- use coalesce(received_at, created_at).
ALTER TABLE messages ADD COLUMN received_at TIMESTAMP;
ALTER TABLE messages ADD COLUMN attempts INTEGER DEFAULT 0; -- sending attempts so far

-- 2. Tracking links and coupon codes sent to a creator, stored on the collaboration (the weekly
-- report reads them). message_id is the e-mail that carried it (its state says whether it went).
CREATE SEQUENCE assets_id_seq START 1;
CREATE TABLE assets (
    id         BIGINT PRIMARY KEY DEFAULT nextval('assets_id_seq'),
    collab_id  BIGINT NOT NULL REFERENCES collaborations (id),
    kind       VARCHAR NOT NULL CHECK (kind IN ('tracking_link', 'coupon_code')),
    value      VARCHAR NOT NULL CHECK (length(value) BETWEEN 1 AND 2000),
    message_id BIGINT NOT NULL REFERENCES messages (id),
    created_at TIMESTAMP NOT NULL,
    created_by VARCHAR NOT NULL
);

-- 3. Per staff member and creator: the last message seen in the thread, and "marked unread".
-- Nothing references this table, and only its unindexed columns are updated (an upsert).
CREATE TABLE thread_reads (
    user_id       BIGINT NOT NULL REFERENCES users (id),
    creator_id    BIGINT NOT NULL REFERENCES creators (id),
    last_read_id  BIGINT NOT NULL DEFAULT 0,  -- messages.id; incoming ones above it are unread
    marked_unread BOOLEAN NOT NULL DEFAULT false,
    updated_at    TIMESTAMP NOT NULL,
    PRIMARY KEY (user_id, creator_id)
);
