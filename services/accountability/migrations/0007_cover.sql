-- Cover and delegation: a leader naming someone to act for them, for one action or for all their
-- actions, from a day to a day (cover ends by itself). Derived from governance.responses.
CREATE TABLE covers (
    cover_id      TEXT PRIMARY KEY,
    event_id      UUID NOT NULL UNIQUE,
    leader        TEXT NOT NULL,
    cover         TEXT NOT NULL,
    action_id     TEXT,                 -- NULL: every action the leader is accountable for
    starts_on     DATE NOT NULL,
    ends_on       DATE NOT NULL,
    arranged_by   TEXT NOT NULL,
    arranged_role TEXT NOT NULL,
    arranged_on   DATE,
    cycle_id      TEXT,
    happened      BIGINT NOT NULL DEFAULT nextval('happened')
);
CREATE INDEX covers_by_leader ON covers (leader, starts_on);
ALTER TABLE responses ADD COLUMN acting_for TEXT;  -- the leader someone acted for, as their cover
