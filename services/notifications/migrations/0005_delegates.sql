-- The leaders each person may answer for as their delegate (the directory's delegate_for): a
-- delegate's explanation or recovery plan stops the asking as the leader's own does.
ALTER TABLE people ADD COLUMN IF NOT EXISTS delegate_for TEXT[] NOT NULL DEFAULT '{}';
