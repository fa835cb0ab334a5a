-- Generated from lib/migrations/005_feedback.sql by bench/scaleout/make_pg_migrations.py (sqlglot, DuckDB -> PostgreSQL).
-- The DuckDB file is the source of truth for what it means.

ALTER TABLE content_items
ADD COLUMN approval TEXT DEFAULT 'approved' /* Feedback (issue 5): outside reviewers with a personal link, their feedback on a campaign's */ /* creators and content items, staff replies and internal notes, notifications, and content */ /* approval on content_items. */ /* The DuckDB traps shape this schema (see docs/architecture.md, "Feedback"): */ /* * an UPDATE of an indexed column of a referenced row is refused, so the link tokens live in */ /*   reviewer_tokens, which nothing references: a new link inserts a row, a revoked one is */ /*   deleted; */ /* * a transaction cannot delete a row whose children it deleted itself (the foreign-key index */ /*   still sees them), so removing a reviewer keeps the reviewers row (removed_at set) and the */ /*   tables deleted along with feedback (feedback_replies, notifications) name it without a */ /*   foreign key; the services check those ids. */ /* 1. Content approval on the existing content_items (ADD COLUMN only: DuckDB cannot alter a */ /* referenced table otherwise, and feedback references it below). A submission for approval */ /* starts as 'pending' (lib.feedback.submit_content writes it so). Every other row is content */ /* that was delivered (published): the rows already here, and those written by code that knows */ /* nothing of approval (Record content on a collaboration, the demo data). They count as */ /* approved, which is why the column's default is 'approved' and not 'pending': a default of */ /* 'pending' would put every delivered post in the reviewers' queue. */;

ALTER TABLE content_items
ADD COLUMN caption TEXT DEFAULT '';

ALTER TABLE content_items
ADD COLUMN version INT DEFAULT 1;

ALTER TABLE content_items
ADD COLUMN previous_id BIGINT;

/* the version this one replaces */;

ALTER TABLE content_items
ADD COLUMN reviewed_at TIMESTAMP;

ALTER TABLE content_items
ADD COLUMN reviewed_by TEXT;

/* 2. Reviewers: one row per invitation of an address to a campaign. A removed reviewer keeps */
/* the row (removed_at set, every link deleted, all feedback deleted); active reviewers are */
/* those with removed_at IS NULL. write_seq is bumped by every write on the reviewer's data, so */
/* a removal and a concurrent write conflict in DuckDB and one of them is retried. */
CREATE SEQUENCE reviewers_id_seq START WITH 1;

CREATE TABLE reviewers (
  id BIGINT PRIMARY KEY DEFAULT NEXTVAL('reviewers_id_seq'),
  campaign_id BIGINT NOT NULL REFERENCES campaigns (
    id
  ),
  email TEXT NOT NULL CHECK (LENGTH(email) BETWEEN 3 AND 254),
  invited_at TIMESTAMP NOT NULL,
  invited_by TEXT NOT NULL,
  last_visit_at TIMESTAMP,
  link_sent_at TIMESTAMP, /* the last time a link was mailed (or shown to copy) */
  removed_at TIMESTAMP,
  removed_by TEXT,
  write_seq BIGINT NOT NULL DEFAULT 0,
  CHECK ((
    removed_at IS NULL
  ) = (
    removed_by IS NULL
  ))
);

/* The links: only the SHA-256 of each token (secrets.token_urlsafe(32)) is kept. A reviewer */
/* may hold several live links ("re-send" adds one); "regenerate" and removal delete them all. */
CREATE TABLE reviewer_tokens (
  token_hash TEXT PRIMARY KEY CHECK (LENGTH(token_hash) = 64),
  reviewer_id BIGINT NOT NULL REFERENCES reviewers (
    id
  ),
  created_at TIMESTAMP NOT NULL,
  created_by TEXT NOT NULL
);

/* 3. Feedback on a creator or on a content item of the campaign (exactly one of them). */
CREATE SEQUENCE feedback_id_seq START WITH 1;

CREATE TABLE feedback (
  id BIGINT PRIMARY KEY DEFAULT NEXTVAL('feedback_id_seq'),
  campaign_id BIGINT NOT NULL REFERENCES campaigns (
    id
  ),
  reviewer_id BIGINT NOT NULL REFERENCES reviewers (
    id
  ),
  creator_id BIGINT REFERENCES creators (
    id
  ),
  content_item_id BIGINT REFERENCES content_items (
    id
  ),
  body TEXT NOT NULL DEFAULT '',
  verdict TEXT CHECK (verdict IN ('approve', 'decline')),
  created_at TIMESTAMP NOT NULL,
  CHECK ((
    creator_id IS NULL
  ) <> (
    content_item_id IS NULL
  )),
  CHECK (NOT verdict IS NULL OR LENGTH(body) > 0)
);

/* Staff answers in a feedback thread: a reply the reviewer sees, or an internal note that no */
/* reviewer ever sees. No foreign key to feedback (see the top): lib/feedback.py checks it. */
CREATE SEQUENCE feedback_replies_id_seq START WITH 1;

CREATE TABLE feedback_replies (
  id BIGINT PRIMARY KEY DEFAULT NEXTVAL('feedback_replies_id_seq'),
  feedback_id BIGINT NOT NULL,
  kind TEXT NOT NULL CHECK (kind IN ('reply', 'internal_note')),
  author TEXT NOT NULL, /* the staff user's username */
  body TEXT NOT NULL CHECK (LENGTH(body) > 0),
  created_at TIMESTAMP NOT NULL
);

/* 4. Notifications per staff user (the campaign owner hears of each new piece of feedback). */
/* feedback_id has no foreign key (see the top): a removed reviewer's notifications go too. */
CREATE SEQUENCE notifications_id_seq START WITH 1;

CREATE TABLE notifications (
  id BIGINT PRIMARY KEY DEFAULT NEXTVAL('notifications_id_seq'),
  user_id BIGINT NOT NULL REFERENCES users (
    id
  ),
  kind TEXT NOT NULL CHECK (kind IN ('feedback')),
  campaign_id BIGINT REFERENCES campaigns (
    id
  ),
  feedback_id BIGINT,
  text TEXT NOT NULL,
  created_at TIMESTAMP NOT NULL,
  read_at TIMESTAMP
);

/* 5. What happened to a campaign's reviewers (campaign_events has a fixed list of kinds). */
CREATE SEQUENCE reviewer_events_id_seq START WITH 1;

CREATE TABLE reviewer_events (
  id BIGINT PRIMARY KEY DEFAULT NEXTVAL('reviewer_events_id_seq'),
  campaign_id BIGINT NOT NULL REFERENCES campaigns (
    id
  ),
  reviewer_id BIGINT NOT NULL REFERENCES reviewers (
    id
  ),
  occurred_at TIMESTAMP NOT NULL,
  actor TEXT NOT NULL,
  kind TEXT NOT NULL CHECK (kind IN (
    'invited',
    'link_resent',
    'link_regenerated',
    'removed',
    'mail_sent',
    'mail_failed'
  )),
  text TEXT
);
