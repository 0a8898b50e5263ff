-- The Panel's agenda arrives in parts (agenda.published, each part bounded); the chair's notice is
-- composed once every part of the meeting's agenda is in, so the chair gets one agenda, whole.
CREATE TABLE agenda_parts (
    meeting_id TEXT    NOT NULL,
    part       INTEGER NOT NULL,
    parts      INTEGER NOT NULL,
    items      JSONB   NOT NULL,
    PRIMARY KEY (meeting_id, part)
);
