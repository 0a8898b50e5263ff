-- The accountability service's state. All of it is derived from the input topics and can be
-- rebuilt from them (python -m services.accountability.replay).

-- The service's time: the latest clock tick. Time never runs backwards.
CREATE TABLE clock (
    id       SMALLINT PRIMARY KEY DEFAULT 1 CHECK (id = 1),
    now      TIMESTAMPTZ,
    today    DATE,
    cycle_id TEXT
);
INSERT INTO clock (id) VALUES (1);

-- The order things happened in, across an action's history (status changes, steps,
-- answers, decisions): only compared as an order, never as values.
CREATE SEQUENCE happened;

-- The latest snapshot of every action and its verdict.
CREATE TABLE actions (
    action_id          TEXT PRIMARY KEY,
    system             TEXT NOT NULL,
    action_point       TEXT NOT NULL,
    title              TEXT NOT NULL,
    accountable_leader TEXT NOT NULL,
    lifecycle          TEXT NOT NULL,
    version            INTEGER NOT NULL,
    snapshot           JSONB NOT NULL,
    status             TEXT,
    reasons            JSONB NOT NULL DEFAULT '[]',
    signature          JSONB NOT NULL DEFAULT '[]',
    status_seq         INTEGER NOT NULL DEFAULT 0,
    status_since       DATE,
    judged_on          DATE  -- the clock's date it was last judged on (the rules work in days)
);
CREATE INDEX actions_by_system ON actions (system, action_point);

CREATE TABLE status_changes (
    action_id TEXT NOT NULL,
    seq       INTEGER NOT NULL,
    status    TEXT NOT NULL,
    previous  TEXT,
    reasons   JSONB NOT NULL,
    on_date   DATE,
    cycle_id  TEXT,
    event_id  UUID NOT NULL UNIQUE,
    happened  BIGINT NOT NULL DEFAULT nextval('happened'),
    PRIMARY KEY (action_id, seq)
);

CREATE TABLE responses (
    event_id    UUID PRIMARY KEY,
    action_id   TEXT NOT NULL,
    kind        TEXT NOT NULL CHECK (kind IN ('explanation', 'recovery_plan')),
    from_person TEXT NOT NULL,
    text        TEXT NOT NULL,
    recover_by  DATE,
    received_on DATE,
    cycle_id    TEXT,
    happened    BIGINT NOT NULL DEFAULT nextval('happened')
);
CREATE INDEX responses_by_action ON responses (action_id);

CREATE TABLE decisions (
    decision_id TEXT PRIMARY KEY,
    event_id    UUID NOT NULL,
    meeting_id  TEXT NOT NULL,
    action_id   TEXT NOT NULL,
    kind        TEXT NOT NULL,
    note        TEXT NOT NULL,
    due_date    DATE,
    recorded_on DATE,
    cycle_id    TEXT,
    happened    BIGINT NOT NULL DEFAULT nextval('happened')
);
CREATE INDEX decisions_by_action ON decisions (action_id);

-- One row per episode of the ladder; at most one open episode per action.
CREATE TABLE escalations (
    escalation_id TEXT PRIMARY KEY,
    action_id     TEXT NOT NULL,
    episode       INTEGER NOT NULL,
    step          TEXT,
    step_on       DATE NOT NULL,
    respond_by    DATE,
    paused_until  DATE,
    hurry_by      DATE,
    best_percent  DOUBLE PRECISION NOT NULL,
    seq           INTEGER NOT NULL,
    opened_on     DATE NOT NULL,
    resolved_on   DATE,
    UNIQUE (action_id, episode)
);
CREATE UNIQUE INDEX escalations_one_open_per_action ON escalations (action_id) WHERE resolved_on IS NULL;

-- Every step is taken once: the n-th event of an episode exists once, and an episode is
-- raised once and resolved once, whatever redelivery, replay or second instance tries.
CREATE TABLE escalation_events (
    escalation_id TEXT NOT NULL REFERENCES escalations,
    seq           INTEGER NOT NULL,
    kind          TEXT NOT NULL CHECK (kind IN ('raised', 'stepped', 'resolved')),
    step          TEXT,
    previous_step TEXT,
    on_date       DATE NOT NULL,
    respond_by    DATE,
    reasons       JSONB NOT NULL,
    cycle_id      TEXT,
    event_id      UUID NOT NULL UNIQUE,
    happened      BIGINT NOT NULL DEFAULT nextval('happened'),
    PRIMARY KEY (escalation_id, seq)
);
CREATE UNIQUE INDEX escalation_raised_and_resolved_once ON escalation_events (escalation_id, kind)
    WHERE kind <> 'stepped';

CREATE TABLE cycles (
    cycle_id            TEXT PRIMARY KEY,
    opens_on            DATE NOT NULL,
    submission_deadline DATE NOT NULL,
    closes_on           DATE NOT NULL,
    meeting_on          DATE NOT NULL,
    agenda_on           DATE NOT NULL,
    opened_on           DATE NOT NULL,
    closed_on           DATE,
    summary             JSONB
);

-- How each action fared in each cycle: the worst status it had, and its status at close.
CREATE TABLE action_cycles (
    action_id    TEXT NOT NULL,
    cycle_id     TEXT NOT NULL REFERENCES cycles,
    worst_status TEXT NOT NULL,
    final_status TEXT,
    PRIMARY KEY (action_id, cycle_id)
);

CREATE TABLE reminders (
    cycle_id    TEXT NOT NULL REFERENCES cycles,
    system      TEXT NOT NULL,
    days_before INTEGER NOT NULL,
    due_on      DATE NOT NULL,
    recipients  JSONB NOT NULL,
    event_id    UUID NOT NULL UNIQUE,
    PRIMARY KEY (cycle_id, system, days_before)
);

CREATE TABLE agendas (
    meeting_id   TEXT PRIMARY KEY,
    cycle_id     TEXT NOT NULL REFERENCES cycles,
    meets_on     DATE NOT NULL,
    published_on DATE NOT NULL,
    agenda       JSONB NOT NULL,
    event_id     UUID NOT NULL UNIQUE
);
