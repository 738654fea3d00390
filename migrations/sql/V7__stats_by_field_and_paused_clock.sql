-- Statistics counted by the field (lĩnh vực) of the procedure version each case
-- was received under, and cases in progress judged as the case view judges them.
--
-- 1. The daily and monthly counters are keyed by field too: a procedure
--    republished under another field keeps two rows a day, one per field.
-- 2. "Open and overdue at the end of day E" is the sum, over the days up to E,
--    of `overdue_change`: +1 on the day a case starts to count as overdue, −1 on
--    the day it stops (finished, its due date moved later, or its clock stopped
--    before the due date's day: a paused case is judged at the moment it
--    paused). Every change is put on a day no earlier than the event that
--    causes it, so a closed period's figures never change afterwards.
--    `case_facts.overdue_from` keeps the day the case's current +1 stands on;
--    `paused_since` whether its clock is stopped.
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
    ADD COLUMN overdue_change integer NOT NULL DEFAULT 0,
    ADD PRIMARY KEY (day, unit, procedure_code, field_code);
ALTER TABLE stats_monthly
    DROP COLUMN falling_due,
    DROP COLUMN finished_and_due,
    ADD COLUMN overdue_change integer NOT NULL DEFAULT 0,
    ADD PRIMARY KEY (month, unit, procedure_code, field_code);

ALTER TABLE case_facts
    ADD COLUMN paused_since timestamptz,
    ADD COLUMN overdue_from date;

UPDATE projection_checkpoints
SET tx_id = 0, global_position = 0, events_applied = 0, updated_at = now()
WHERE name = 'case_stats';
