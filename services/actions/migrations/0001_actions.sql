-- The current state of every action, one row each, rebuilt at will from action_events.
CREATE TABLE actions (
    action_id    TEXT PRIMARY KEY,
    system       TEXT NOT NULL,
    action_point TEXT NOT NULL,
    lifecycle    TEXT NOT NULL,
    version      INTEGER NOT NULL,
    snapshot     JSONB NOT NULL,
    updated_at   TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX actions_by_system ON actions (system, action_point);

-- The audit trail: every event a system posted, accepted or refused, with who sent it
-- (the system whose topic it came on), where it sat in Kafka and when it was received.
CREATE TABLE action_events (
    seq          BIGSERIAL PRIMARY KEY,
    event_id     UUID NOT NULL UNIQUE,
    action_id    TEXT NOT NULL,
    sender       TEXT NOT NULL,
    type         TEXT NOT NULL,
    occurred_at  TIMESTAMPTZ NOT NULL,
    received_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    topic        TEXT NOT NULL,
    kafka_partition INTEGER,
    kafka_offset BIGINT,
    outcome      TEXT NOT NULL CHECK (outcome IN ('accepted', 'refused')),
    code         TEXT,
    reason       TEXT,
    security     BOOLEAN NOT NULL DEFAULT false,
    changed      TEXT[] NOT NULL DEFAULT '{}',
    payload      JSONB NOT NULL
);
CREATE INDEX action_events_by_action ON action_events (action_id, seq);
CREATE INDEX action_events_security ON action_events (seq) WHERE security;
