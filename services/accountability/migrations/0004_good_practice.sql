-- Good practice: an action's work nominated (by its leader's side or a staff network lead),
-- endorsed or declined by the Panel, and put forward for the region's awards (MIDAS). Derived
-- from governance.responses like everything here, so the replay rebuilds it.
CREATE TABLE good_practice (
    nomination_id  TEXT PRIMARY KEY,
    event_id       UUID NOT NULL,
    action_id      TEXT NOT NULL,
    what_was_done  TEXT NOT NULL,
    what_changed   TEXT NOT NULL,
    evidence       TEXT NOT NULL DEFAULT '',
    evidence_links JSONB NOT NULL DEFAULT '[]',
    nominated_by   TEXT NOT NULL,
    nominated_role TEXT NOT NULL,
    nominated_on   DATE,
    cycle_id       TEXT,
    status         TEXT NOT NULL DEFAULT 'nominated' CHECK (status IN ('nominated', 'endorsed', 'declined')),
    reviewed_by    TEXT,
    review_note    TEXT,
    reviewed_on    DATE,
    award_scheme   TEXT,
    award_status   TEXT CHECK (award_status IN ('put_forward', 'shortlisted', 'awarded', 'not_awarded')),
    award_history  JSONB NOT NULL DEFAULT '[]',  -- every step: status, note, by, on
    happened       BIGINT NOT NULL DEFAULT nextval('happened')
);
CREATE INDEX good_practice_by_action ON good_practice (action_id);
CREATE INDEX good_practice_endorsed ON good_practice (reviewed_on) WHERE status = 'endorsed';
