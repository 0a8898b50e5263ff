-- Reported and verified: a Panel decision may verify, dispute or withdraw its verification of
-- an action's status or of a milestone reached, with the evidence it checked. The status it
-- verified is kept: once the status changes, the verification no longer covers it.
ALTER TABLE decisions ADD COLUMN milestone_id TEXT;
ALTER TABLE decisions ADD COLUMN evidence_links JSONB NOT NULL DEFAULT '[]';
ALTER TABLE decisions ADD COLUMN verified_status TEXT;
