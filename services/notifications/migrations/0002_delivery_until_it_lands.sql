-- Delivery keeps trying while an outage lasts; a permanent refusal is kept as 'failed' until an
-- operator re-sends it (cli.py: notices resend). Acknowledgement grace counts from delivery.

-- The clock time this service last saw (governance.clock): a notice's grace and reminders start
-- at delivery, in clock time (the later of the notice's own time and this).
CREATE TABLE seen_clock (
    only_row BOOLEAN PRIMARY KEY DEFAULT true CHECK (only_row),
    now      TIMESTAMPTZ NOT NULL
);

-- Until a notice is delivered, nothing waits for its acknowledgement.
UPDATE notices SET ack_due_at = NULL, next_reminder_at = NULL WHERE status <> 'sent' AND needs_ack;

CREATE INDEX notices_failed ON notices (created_at) WHERE status = 'failed';
