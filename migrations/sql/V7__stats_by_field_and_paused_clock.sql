-- Statistics counted by the field (lĩnh vực) of the procedure version each case
-- was received under, and cases in progress judged as the case view judges them.
--
-- 1. The daily and monthly counters are keyed by field too: a procedure
--    republished under another field keeps two rows a day, one per field.
-- 2. "Open and overdue at the end of day E" is the sum, over the days up to E,
--    of two counters: `overdue_by_due_date`, +1 on the due date's day of a case
--    open and running (late from that day's end; −1 there if it finishes,
--    pauses or has its due date moved first), and `overdue_by_event`, ±1 on the
--    day of an event that makes a case overdue, or no longer, at once (finished,
--    paused or resumed past its due date's day: a paused case is judged at the
--    moment it paused). Asked during a day, a report adds that day's
--    `overdue_by_event` only: files due today are not late yet. Every change is
--    put on a day no earlier than the event that causes it, so a closed
--    period's figures never change afterwards. `case_facts.overdue_from` keeps
--    the day the case's current +1 stands on, `overdue_at_once` which counter
--    it is in, `paused_since` whether its clock is stopped.
--
-- The new counters need each case's history, which SQL alone cannot replay:
-- the statistics are emptied and their projection starts again from the first
-- event (the live runner catches up by itself; reports are incomplete until it
-- has). Nothing else is touched.

ALTER TABLE stats_daily DROP CONSTRAINT stats_daily_pkey;
ALTER TABLE stats_monthly DROP CONSTRAINT stats_monthly_pkey;

TRUNCATE case_facts, stats_daily, stats_monthly;

ALTER TABLE stats_daily
    DROP COLUMN falling_due,
    DROP COLUMN finished_and_due,
    ADD COLUMN overdue_by_due_date integer NOT NULL DEFAULT 0,
    ADD COLUMN overdue_by_event integer NOT NULL DEFAULT 0,
    ADD PRIMARY KEY (day, unit, procedure_code, field_code);
ALTER TABLE stats_monthly
    DROP COLUMN falling_due,
    DROP COLUMN finished_and_due,
    ADD COLUMN overdue_by_due_date integer NOT NULL DEFAULT 0,
    ADD COLUMN overdue_by_event integer NOT NULL DEFAULT 0,
    ADD PRIMARY KEY (month, unit, procedure_code, field_code);

ALTER TABLE case_facts
    ADD COLUMN paused_since timestamptz,
    ADD COLUMN overdue_from date,
    ADD COLUMN overdue_at_once boolean NOT NULL DEFAULT false;

UPDATE projection_checkpoints
SET tx_id = 0, global_position = 0, events_applied = 0, updated_at = now()
WHERE name = 'case_stats';
