-- Notices the notifications service reported delivered (notice.sent): a notice.unacknowledged
-- counts on the ladder only for one of these, so nobody climbs for a message they never got.
CREATE TABLE delivered_notices (
    notice_id TEXT PRIMARY KEY,
    about     TEXT NOT NULL
);
