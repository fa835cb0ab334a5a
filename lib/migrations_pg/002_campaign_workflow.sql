-- Generated from lib/migrations/002_campaign_workflow.sql by bench/scaleout/make_pg_migrations.py (sqlglot, DuckDB -> PostgreSQL).
-- The DuckDB file is the source of truth for what it means.

ALTER TABLE campaigns
ADD COLUMN brief TEXT DEFAULT '' /* Campaign workflow: applications, agreements with a signing window, one start per campaign, */ /* and the message history every creator thread reads. DuckDB cannot add a column with a CHECK, */ /* so campaigns.status values are checked by lib/rules.py (draft, open, closed, running, finished). */;

ALTER TABLE campaigns
ADD COLUMN status TEXT DEFAULT 'draft';

ALTER TABLE campaigns
ADD COLUMN closed_at TIMESTAMP;

ALTER TABLE campaigns
ADD COLUMN started_at TIMESTAMP;

/* set once, by "start collaborations" */;

ALTER TABLE campaigns
ADD COLUMN version INT DEFAULT 1;

/* Campaigns that already have collaborations were started before this workflow existed. */
UPDATE campaigns SET status = CASE WHEN end_date < CURRENT_DATE THEN 'finished' ELSE 'running' END, started_at = created_at, closed_at = created_at
WHERE
  id IN (
    SELECT DISTINCT
      campaign_id
    FROM collaborations
  );

CREATE SEQUENCE applications_id_seq START WITH 1;

CREATE TABLE applications (
  id BIGINT PRIMARY KEY DEFAULT NEXTVAL('applications_id_seq'),
  campaign_id BIGINT NOT NULL REFERENCES campaigns (
    id
  ),
  creator_id BIGINT NOT NULL REFERENCES creators (
    id
  ),
  source TEXT NOT NULL CHECK (source IN ('applied', 'invited')),
  stage TEXT NOT NULL DEFAULT 'applied' CHECK (stage IN ('applied', 'selected', 'declined')),
  pitch TEXT NOT NULL DEFAULT '',
  version INT NOT NULL DEFAULT 1 CHECK (version >= 1),
  created_at TIMESTAMP NOT NULL,
  updated_at TIMESTAMP NOT NULL,
  UNIQUE (
    campaign_id,
    creator_id
  )
);

/* One agreement per application: a declined or expired one is final for that creator. */
/* "Expired" is not stored: it is outcome IS NULL and now > deadline, computed where it is read. */
CREATE SEQUENCE agreements_id_seq START WITH 1;

CREATE TABLE agreements (
  id BIGINT PRIMARY KEY DEFAULT NEXTVAL('agreements_id_seq'),
  application_id BIGINT NOT NULL UNIQUE REFERENCES applications (
    id
  ),
  deliverables TEXT NOT NULL,
  compensation DECIMAL(12, 2) NOT NULL CHECK (compensation >= 0),
  currency TEXT NOT NULL,
  start_date DATE,
  due_date DATE,
  conditions TEXT NOT NULL DEFAULT '',
  sent_at TIMESTAMP NOT NULL,
  deadline TIMESTAMP NOT NULL,
  sent_by TEXT NOT NULL,
  outcome TEXT CHECK (outcome IN ('accepted', 'declined')),
  responded_at TIMESTAMP,
  CHECK (deadline = sent_at + INTERVAL '3 DAY'),
  CHECK ((
    outcome IS NULL
  ) = (
    responded_at IS NULL
  ))
);

/* What happened in a campaign's workflow (the collaborations' own history is activity_events). */
CREATE SEQUENCE campaign_events_id_seq START WITH 1;

CREATE TABLE campaign_events (
  id BIGINT PRIMARY KEY DEFAULT NEXTVAL('campaign_events_id_seq'),
  campaign_id BIGINT NOT NULL REFERENCES campaigns (
    id
  ),
  application_id BIGINT REFERENCES applications (
    id
  ),
  occurred_at TIMESTAMP NOT NULL,
  actor TEXT NOT NULL,
  kind TEXT NOT NULL CHECK (kind IN (
    'campaign_created',
    'campaign_edited',
    'campaign_status',
    'applied',
    'invited',
    'stage_changed',
    'agreement_sent',
    'agreement_accepted',
    'agreement_declined',
    'collaborations_started'
  )),
  from_value TEXT,
  to_value TEXT,
  text TEXT
);

/* Every message to or from a creator: workflow notices now, the inbox's e-mails later. */
CREATE SEQUENCE messages_id_seq START WITH 1;

CREATE TABLE messages (
  id BIGINT PRIMARY KEY DEFAULT NEXTVAL('messages_id_seq'),
  creator_id BIGINT NOT NULL REFERENCES creators (
    id
  ),
  campaign_id BIGINT REFERENCES campaigns (
    id
  ),
  direction TEXT NOT NULL CHECK (direction IN ('out', 'in')),
  kind TEXT NOT NULL CHECK (kind IN ('message', 'agreement_sent', 'congratulations', 'not_selected', 'asset')),
  subject TEXT NOT NULL DEFAULT '',
  body TEXT NOT NULL DEFAULT '',
  state TEXT NOT NULL DEFAULT 'recorded' CHECK (state IN ('recorded', 'queued', 'sent', 'failed')),
  error TEXT,
  created_at TIMESTAMP NOT NULL,
  created_by TEXT NOT NULL
);
