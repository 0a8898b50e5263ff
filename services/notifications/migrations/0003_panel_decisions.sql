-- What the Panel's decisions need: who to tell about an action.

-- An action as its latest escalation named it: its system, its title and its accountable leader.
-- (Decisions are recorded only on items of the Panel's agenda, which reached it by escalation.)
CREATE TABLE actions (
    action_id          TEXT PRIMARY KEY,
    system             TEXT NOT NULL,
    title              TEXT NOT NULL,
    accountable_leader TEXT
);

-- The staff network leads who raised a concern about an action: the Panel's answer goes back to them.
CREATE TABLE concerns_raised (
    action_id TEXT NOT NULL,
    person_id TEXT NOT NULL,
    raised_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (action_id, person_id)
);
