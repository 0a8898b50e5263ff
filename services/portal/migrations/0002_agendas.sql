-- The Panel's agendas as accountability published them (accountability.events): a decision is
-- recorded only on an item of one.
CREATE TABLE agendas (
    meeting_id   TEXT PRIMARY KEY,
    meets_on     DATE NOT NULL,
    chair        TEXT NOT NULL,
    items        JSONB NOT NULL,
    published_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX answers_by_type ON answers (type, action_id);
