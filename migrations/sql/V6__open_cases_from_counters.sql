-- Cases open at the start of a day are counted from the daily counters instead
-- of a GiST index over every case's open span: the index was the largest single
-- cost of keeping the statistics (every receipt, due-date move and finish
-- inserted into it), and a report only asks at day boundaries.
--
-- Open at the start of day D = received before D − finished before D.
-- Open and overdue at the start of D = due before D − finished before D with
-- its due date also before D. So each day also counts:
--   falling_due       cases whose current due date falls on it (moved while
--                     the case is open, frozen when it finishes);
--   finished_and_due  finished cases, on the later of their finishing day and
--                     their due day.
ALTER TABLE stats_daily
    ADD COLUMN falling_due      integer NOT NULL DEFAULT 0,
    ADD COLUMN finished_and_due integer NOT NULL DEFAULT 0;
ALTER TABLE stats_monthly
    ADD COLUMN falling_due      integer NOT NULL DEFAULT 0,
    ADD COLUMN finished_and_due integer NOT NULL DEFAULT 0;

-- Counters for what is already projected, from the facts (days in Vietnam's
-- time, UTC+7 all year).
INSERT INTO stats_daily AS s (day, unit, procedure_code, field_code, falling_due, finished_and_due)
SELECT day, unit, procedure_code, min(field_code), sum(falling), sum(settled)
FROM (
    SELECT (due_at AT TIME ZONE INTERVAL '+07:00')::date AS day, unit, procedure_code,
           field_code, 1 AS falling, 0 AS settled
    FROM case_facts
    UNION ALL
    SELECT (greatest(due_at, finished_at) AT TIME ZONE INTERVAL '+07:00')::date, unit,
           procedure_code, field_code, 0, 1
    FROM case_facts WHERE finished_at IS NOT NULL
) c
GROUP BY day, unit, procedure_code
ON CONFLICT (day, unit, procedure_code) DO UPDATE
    SET falling_due = EXCLUDED.falling_due, finished_and_due = EXCLUDED.finished_and_due;

INSERT INTO stats_monthly AS s (month, unit, procedure_code, field_code, falling_due, finished_and_due)
SELECT date_trunc('month', day)::date, unit, procedure_code, min(field_code),
       sum(falling_due), sum(finished_and_due)
FROM stats_daily
GROUP BY 1, unit, procedure_code
ON CONFLICT (month, unit, procedure_code) DO UPDATE
    SET falling_due = EXCLUDED.falling_due, finished_and_due = EXCLUDED.finished_and_due;

DROP INDEX case_facts_open_span;
ALTER TABLE case_facts DROP COLUMN open_span;
