-- People acting on actions through the portal, each checked against this service's own state.
-- Like everything here, derived from the input topics (the directory included) and rebuilt by
-- the replay.

-- Who is who, as far as the right to act goes: roles, systems and the leaders a person may act
-- for as their delegate, from notifications.directory. No names, no contact details.
CREATE TABLE people (
    person_id    TEXT PRIMARY KEY,
    roles        TEXT[] NOT NULL DEFAULT '{}',
    systems      TEXT[] NOT NULL DEFAULT '{}',
    delegate_for TEXT[] NOT NULL DEFAULT '{}',
    updated_at   TIMESTAMPTZ NOT NULL  -- the directory event's time: newest wins
);

-- Every answer now names the role its sender acted in; a recovery plan keeps its dated steps.
ALTER TABLE responses ADD COLUMN acting_role TEXT;
ALTER TABLE responses ADD COLUMN steps JSONB;

-- Who recorded a decision, and the earlier decision on the item it replaces (which then no
-- longer counts: its date is no longer tracked).
ALTER TABLE decisions ADD COLUMN acting_person TEXT;
ALTER TABLE decisions ADD COLUMN acting_role TEXT;
ALTER TABLE decisions ADD COLUMN replaces TEXT;
ALTER TABLE decisions ADD COLUMN replaced_by TEXT;
CREATE INDEX decisions_by_item ON decisions (meeting_id, action_id);

-- A leader asking for more time, or contesting the flag: kept in the action's history.
CREATE TABLE requests (
    event_id         UUID PRIMARY KEY,
    action_id        TEXT NOT NULL,
    kind             TEXT NOT NULL CHECK (kind IN ('extension_request', 'flag_contest')),
    from_person      TEXT NOT NULL,
    acting_role      TEXT NOT NULL,
    reason           TEXT NOT NULL,
    new_due_date     DATE,
    contested_status TEXT,
    received_on      DATE,
    cycle_id         TEXT,
    happened         BIGINT NOT NULL DEFAULT nextval('happened')
);
CREATE INDEX requests_by_action ON requests (action_id);

-- What a staff network raised about an action: a concern, a challenge, or support.
CREATE TABLE concerns (
    event_id    UUID PRIMARY KEY,
    action_id   TEXT NOT NULL,
    kind        TEXT NOT NULL,
    text        TEXT NOT NULL,
    from_person TEXT NOT NULL,
    acting_role TEXT NOT NULL,
    raised_on   DATE,
    cycle_id    TEXT,
    happened    BIGINT NOT NULL DEFAULT nextval('happened')
);
CREATE INDEX concerns_by_action ON concerns (action_id);

-- What the People Board agreed, tracked by its follow-up date like a Panel decision's date.
CREATE TABLE consequences (
    consequence_id TEXT PRIMARY KEY,
    event_id       UUID NOT NULL,
    action_id      TEXT NOT NULL,
    consequence    TEXT NOT NULL,
    owner          TEXT NOT NULL,
    follow_up_by   DATE NOT NULL,
    acting_person  TEXT NOT NULL,
    acting_role    TEXT NOT NULL,
    agreed_on      DATE,
    cycle_id       TEXT,
    happened       BIGINT NOT NULL DEFAULT nextval('happened')
);
CREATE INDEX consequences_by_action ON consequences (action_id);

-- Every act refused for want of the right, with the reason: it changed nothing else.
CREATE TABLE security_events (
    event_id      UUID PRIMARY KEY,
    type          TEXT NOT NULL,
    action_id     TEXT NOT NULL,
    acting_person TEXT,
    acting_role   TEXT,
    code          TEXT NOT NULL,
    reason        TEXT NOT NULL,
    on_date       DATE,
    cycle_id      TEXT
);
