-- The QĐ 766 indicators the log holds the data for (onestop_domain::indicators):
-- files digitized and reusing data, electronic results, payments (online
-- among them) and ratings, counted by day like the Biểu 06 columns. A case
-- submitted online is remembered from its submission (`received` false) so
-- that what it brought counts at its receipt.
--
-- The new counters need each case's history: as for V7, the statistics are
-- emptied and their projection replays the log from the first event by itself
-- (reports are incomplete until /readyz shows it caught up; `onestop-replay
-- rebuild stats` builds them beside the live tables instead).

TRUNCATE case_facts, stats_daily, stats_monthly;

ALTER TABLE case_facts
    ADD COLUMN received boolean NOT NULL DEFAULT true,
    ADD COLUMN digitized boolean NOT NULL DEFAULT false,
    ADD COLUMN reused boolean NOT NULL DEFAULT false;

ALTER TABLE stats_daily
    ADD COLUMN digitized integer NOT NULL DEFAULT 0,
    ADD COLUMN reused integer NOT NULL DEFAULT 0,
    ADD COLUMN electronic_results integer NOT NULL DEFAULT 0,
    ADD COLUMN payments integer NOT NULL DEFAULT 0,
    ADD COLUMN payments_online integer NOT NULL DEFAULT 0,
    ADD COLUMN ratings integer NOT NULL DEFAULT 0,
    ADD COLUMN ratings_satisfied integer NOT NULL DEFAULT 0;
ALTER TABLE stats_monthly
    ADD COLUMN digitized integer NOT NULL DEFAULT 0,
    ADD COLUMN reused integer NOT NULL DEFAULT 0,
    ADD COLUMN electronic_results integer NOT NULL DEFAULT 0,
    ADD COLUMN payments integer NOT NULL DEFAULT 0,
    ADD COLUMN payments_online integer NOT NULL DEFAULT 0,
    ADD COLUMN ratings integer NOT NULL DEFAULT 0,
    ADD COLUMN ratings_satisfied integer NOT NULL DEFAULT 0;

UPDATE projection_checkpoints
SET tx_id = 0, global_position = 0, events_applied = 0, updated_at = now()
WHERE name = 'case_stats';
