-- Every plan an action has had: its baseline (the first plan seen, never overwritten) and each
-- re-baseline request (a later snapshot whose plan differs, with the sender's reason), with the
-- Panel's decision on it. The plan in force is the latest approved request, else the baseline.
-- Derived from the input topics like everything here, and rebuilt by the replay.
CREATE TABLE plans (
    action_id     TEXT NOT NULL,
    n             INTEGER NOT NULL,          -- 1: the baseline, then each request in turn
    kind          TEXT NOT NULL CHECK (kind IN ('baseline', 'request')),
    plan          JSONB NOT NULL,
    reason        TEXT,
    version       INTEGER NOT NULL,          -- the snapshot that posted it
    posted_on     DATE,                      -- the clock's date when it arrived
    state         TEXT NOT NULL CHECK (state IN ('in_force', 'pending', 'approved', 'refused', 'superseded')),
    decision_id   TEXT,
    decided_on    DATE,
    decided_by    TEXT,
    decided_role  TEXT,
    cycle_id      TEXT,
    happened      BIGINT NOT NULL DEFAULT nextval('happened'),
    PRIMARY KEY (action_id, n)
);
