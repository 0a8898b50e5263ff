-- What each progress update said, as it said it (action.changed's narrative): the Board's report shows
-- what was stopping an action's progress when it slipped, not only the latest update's words.
CREATE TABLE narratives (
    action_id         TEXT    NOT NULL,
    version           INTEGER NOT NULL,  -- the snapshot's version that first carried these words
    cycle_id          TEXT,              -- NULL: told before the first cycle opened
    told_on           DATE,              -- the governance day it arrived (NULL before the clock's first tick)
    working           TEXT    NOT NULL,
    stopping_progress TEXT    NOT NULL,
    not_working       TEXT    NOT NULL,
    happened          BIGINT  NOT NULL DEFAULT nextval('happened'),
    PRIMARY KEY (action_id, version)
);
CREATE INDEX narratives_by_cycle ON narratives (cycle_id, action_id);
