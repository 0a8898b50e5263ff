-- Who is who: the people the portal knows, the identity provider's subject each signs in as,
-- their roles and the systems those roles cover. Published on notifications.directory.
CREATE TABLE people (
    person_id    TEXT PRIMARY KEY,
    subject      TEXT UNIQUE,
    name         TEXT NOT NULL,
    email        TEXT,
    roles        TEXT[] NOT NULL DEFAULT '{}',
    systems      TEXT[] NOT NULL DEFAULT '{}',
    delegate_for TEXT[] NOT NULL DEFAULT '{}',
    active       BOOLEAN NOT NULL DEFAULT true,
    updated_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_by   TEXT
);

-- The read model, from events: each action as the actions service last described it
-- (actions.changes) and as accountability last judged it (accountability.events).
CREATE TABLE actions (
    action_id          TEXT PRIMARY KEY,
    system             TEXT,
    action_point       TEXT,
    title              TEXT,
    accountable_leader TEXT,
    due_date           DATE,
    lifecycle          TEXT,
    version            INTEGER NOT NULL DEFAULT 0,
    snapshot           JSONB,
    status             TEXT,
    status_since       TIMESTAMPTZ,
    reasons            JSONB NOT NULL DEFAULT '[]',
    escalation_id      TEXT,
    step               TEXT,
    respond_by         DATE
);
CREATE INDEX actions_by_leader ON actions (accountable_leader);
CREATE INDEX actions_by_system ON actions (system);

-- What people sent through the portal, as published (the event's id is the answer's id).
CREATE TABLE answers (
    answer_id  UUID PRIMARY KEY,
    action_id  TEXT NOT NULL,
    type       TEXT NOT NULL,
    person_id  TEXT NOT NULL,
    role       TEXT NOT NULL,
    payload    JSONB NOT NULL,
    sent_at    TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX answers_by_action ON answers (action_id, sent_at);

-- Notices sent to people (notifications.events), so each opens on its own page.
CREATE TABLE notices (
    notice_id        TEXT PRIMARY KEY,
    recipient        TEXT NOT NULL,
    channel          TEXT NOT NULL,
    about            TEXT NOT NULL,
    sent_at          TIMESTAMPTZ NOT NULL,
    acknowledged_at  TIMESTAMPTZ,
    acknowledged_by  TEXT
);
CREATE INDEX notices_by_recipient ON notices (recipient, sent_at DESC);

-- The governance clock's date (the scripted cycle runs in simulated time).
CREATE TABLE clock (
    only_row BOOLEAN PRIMARY KEY DEFAULT true CHECK (only_row),
    today    DATE NOT NULL
);
