-- Collabdesk schema, version 1: users, the campaign side, creators, collaborations and their history.
CREATE SEQUENCE users_id_seq START 1;
CREATE TABLE users (
    id            BIGINT PRIMARY KEY DEFAULT nextval('users_id_seq'),
    username      VARCHAR NOT NULL UNIQUE,
    name          VARCHAR NOT NULL,
    email         VARCHAR NOT NULL DEFAULT '',
    role          VARCHAR NOT NULL CHECK (role IN ('admin', 'manager', 'staff', 'viewer')),
    password_hash VARCHAR NOT NULL,
    disabled      BOOLEAN NOT NULL DEFAULT false,
    failed_logins INTEGER NOT NULL DEFAULT 0 CHECK (failed_logins >= 0),
    locked_until  TIMESTAMP,
    created_at    TIMESTAMP NOT NULL
);

CREATE SEQUENCE clients_id_seq START 1;
CREATE TABLE clients (
    id   BIGINT PRIMARY KEY DEFAULT nextval('clients_id_seq'),
    name VARCHAR NOT NULL UNIQUE
);

CREATE SEQUENCE campaigns_id_seq START 1;
CREATE TABLE campaigns (
    id         BIGINT PRIMARY KEY DEFAULT nextval('campaigns_id_seq'),
    client_id  BIGINT NOT NULL REFERENCES clients (id),
    name       VARCHAR NOT NULL,
    owner_id   BIGINT REFERENCES users (id),
    start_date DATE NOT NULL,
    end_date   DATE NOT NULL,
    budget     DECIMAL(14, 2) NOT NULL CHECK (budget >= 0),
    currency   VARCHAR NOT NULL DEFAULT 'EUR',
    created_at TIMESTAMP NOT NULL,
    CHECK (end_date >= start_date)
);

CREATE SEQUENCE creators_id_seq START 1;
CREATE TABLE creators (
    id                  BIGINT PRIMARY KEY DEFAULT nextval('creators_id_seq'),
    name                VARCHAR NOT NULL,
    handle              VARCHAR NOT NULL,
    platform            VARCHAR NOT NULL,
    email               VARCHAR,
    phone               VARCHAR,
    address             VARCHAR,
    followers           BIGINT NOT NULL DEFAULT 0 CHECK (followers >= 0),
    engagement_rate     DOUBLE NOT NULL DEFAULT 0 CHECK (engagement_rate >= 0),
    -- NULL: the badge is computed by lib.rules.creator_validation; otherwise staff set it by hand.
    validation_override VARCHAR CHECK (validation_override IN ('verified', 'needs_review', 'flagged')),
    created_at          TIMESTAMP NOT NULL
);

CREATE TABLE creator_tags (
    creator_id BIGINT NOT NULL REFERENCES creators (id),
    tag        VARCHAR NOT NULL CHECK (length(tag) BETWEEN 1 AND 40),
    PRIMARY KEY (creator_id, tag)
);

CREATE SEQUENCE collaborations_id_seq START 1;
CREATE TABLE collaborations (
    id            BIGINT PRIMARY KEY DEFAULT nextval('collaborations_id_seq'),
    campaign_id   BIGINT NOT NULL REFERENCES campaigns (id),
    creator_id    BIGINT NOT NULL REFERENCES creators (id),
    status        VARCHAR NOT NULL
                  CHECK (status IN ('pending', 'negotiating', 'fulfilling', 'completed', 'cancelled')),
    deliverables  VARCHAR NOT NULL DEFAULT '',
    compensation  DECIMAL(12, 2) NOT NULL DEFAULT 0 CHECK (compensation >= 0),
    currency      VARCHAR NOT NULL DEFAULT 'EUR',
    start_date    DATE,
    due_date      DATE,
    conditions    VARCHAR NOT NULL DEFAULT '',
    cancel_reason VARCHAR,
    version       INTEGER NOT NULL DEFAULT 1 CHECK (version >= 1),
    created_at    TIMESTAMP NOT NULL,
    updated_at    TIMESTAMP NOT NULL,
    CHECK (due_date IS NULL OR start_date IS NULL OR due_date >= start_date),
    CHECK (status <> 'cancelled' OR cancel_reason IS NOT NULL)
);

CREATE SEQUENCE activity_events_id_seq START 1;
CREATE TABLE activity_events (
    id          BIGINT PRIMARY KEY DEFAULT nextval('activity_events_id_seq'),
    collab_id   BIGINT NOT NULL REFERENCES collaborations (id),
    occurred_at TIMESTAMP NOT NULL,
    actor       VARCHAR NOT NULL,
    kind        VARCHAR NOT NULL CHECK (kind IN ('created', 'status_changed', 'payment',
                    'content_delivered', 'note', 'delivery_changed', 'terms_changed')),
    from_status VARCHAR,
    to_status   VARCHAR,
    amount      DECIMAL(12, 2),
    currency    VARCHAR,
    text        VARCHAR
);

CREATE SEQUENCE payments_id_seq START 1;
CREATE TABLE payments (
    id         BIGINT PRIMARY KEY DEFAULT nextval('payments_id_seq'),
    collab_id  BIGINT NOT NULL REFERENCES collaborations (id),
    amount     DECIMAL(12, 2) NOT NULL CHECK (amount > 0),
    currency   VARCHAR NOT NULL,
    paid_on    DATE NOT NULL,
    reference  VARCHAR NOT NULL DEFAULT '',
    created_at TIMESTAMP NOT NULL,
    created_by VARCHAR NOT NULL
);

CREATE SEQUENCE content_items_id_seq START 1;
CREATE TABLE content_items (
    id           BIGINT PRIMARY KEY DEFAULT nextval('content_items_id_seq'),
    collab_id    BIGINT NOT NULL REFERENCES collaborations (id),
    url          VARCHAR NOT NULL,
    kind         VARCHAR NOT NULL CHECK (kind IN ('post', 'story', 'reel', 'video', 'short', 'other')),
    delivered_on DATE NOT NULL,
    created_at   TIMESTAMP NOT NULL,
    created_by   VARCHAR NOT NULL
);

CREATE SEQUENCE shipments_id_seq START 1;
CREATE TABLE shipments (
    id                BIGINT PRIMARY KEY DEFAULT nextval('shipments_id_seq'),
    collab_id         BIGINT NOT NULL REFERENCES collaborations (id),
    item              VARCHAR NOT NULL,
    carrier           VARCHAR NOT NULL DEFAULT '',
    tracking_number   VARCHAR NOT NULL DEFAULT '',
    address           VARCHAR NOT NULL DEFAULT '',
    status            VARCHAR NOT NULL DEFAULT 'pending'
                      CHECK (status IN ('pending', 'in_transit', 'delivered', 'exception')),
    exception_reason  VARCHAR,
    shipped_on        DATE,
    delivered_on      DATE,
    status_changed_at TIMESTAMP NOT NULL,
    created_at        TIMESTAMP NOT NULL
);
