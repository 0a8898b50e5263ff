-- The directory: the only place contact details are kept.
CREATE TABLE people (
    person_id   TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    email       TEXT,
    webhook_url TEXT,
    roles       TEXT[] NOT NULL DEFAULT '{}',
    channels    TEXT[] NOT NULL DEFAULT '{email}',
    systems     TEXT[] NOT NULL DEFAULT '{}',
    updated_at  TIMESTAMPTZ NOT NULL
);

-- One row per message that goes (or went, or failed to go) to one person on one channel.
-- status: collecting (a group still gathering items) -> pending -> sending -> sent | failed
CREATE TABLE notices (
    notice_id        TEXT PRIMARY KEY,
    kind             TEXT NOT NULL,
    about            TEXT NOT NULL,
    recipient        TEXT NOT NULL,
    channel          TEXT NOT NULL,
    group_key        TEXT,
    status           TEXT NOT NULL,
    needs_ack        BOOLEAN NOT NULL DEFAULT false,
    reminds          TEXT REFERENCES notices (notice_id),
    issued_at        TIMESTAMPTZ NOT NULL,          -- clock time of the triggering event
    flush_at         TIMESTAMPTZ,                   -- clock time a collecting group is released
    attempts         INT NOT NULL DEFAULT 0,
    next_attempt_at  TIMESTAMPTZ NOT NULL DEFAULT now(),  -- wall clock: transient retries
    claimed_until    TIMESTAMPTZ,
    last_error       TEXT,
    sent_at          TIMESTAMPTZ,
    ack_due_at       TIMESTAMPTZ,
    next_reminder_at TIMESTAMPTZ,
    reminders_sent   INT NOT NULL DEFAULT 0,
    acknowledged_at  TIMESTAMPTZ,
    ack_closed       BOOLEAN NOT NULL DEFAULT false, -- acknowledged, resolved, or reported unacknowledged
    unack_reported_at TIMESTAMPTZ,
    created_at       TIMESTAMPTZ NOT NULL DEFAULT now()
);
-- Only one open group per person, channel and grouping.
CREATE UNIQUE INDEX notices_one_open_group ON notices (recipient, channel, group_key) WHERE status = 'collecting';
CREATE INDEX notices_due ON notices (next_attempt_at) WHERE status IN ('pending', 'sending');
CREATE INDEX notices_awaiting_ack ON notices (ack_due_at) WHERE needs_ack AND NOT ack_closed;
CREATE INDEX notices_about ON notices (about);

-- The exactly-once key: one item per (about, step, recipient, channel), whatever is redelivered.
CREATE TABLE notice_items (
    about     TEXT NOT NULL,
    step      TEXT NOT NULL,
    recipient TEXT NOT NULL,
    channel   TEXT NOT NULL,
    notice_id TEXT NOT NULL REFERENCES notices (notice_id),
    content   JSONB NOT NULL,
    added_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (about, step, recipient, channel)
);
CREATE INDEX notice_items_notice ON notice_items (notice_id);

-- Every attempt and its outcome, by person id only.
CREATE TABLE delivery_log (
    id        BIGSERIAL PRIMARY KEY,
    notice_id TEXT NOT NULL REFERENCES notices (notice_id),
    attempt   INT NOT NULL,
    channel   TEXT NOT NULL,
    recipient TEXT NOT NULL,
    outcome   TEXT NOT NULL,   -- sending | sent | transient_failure | permanent_failure | gave_up
    detail    TEXT NOT NULL DEFAULT '',
    at        TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX delivery_log_notice ON delivery_log (notice_id, id);
