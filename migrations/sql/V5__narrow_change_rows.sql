-- A case's code, procedure, field, channel and applicant are set when it is
-- filed or received and never change after: the feed takes them from the case
-- row when it serves a record instead of every change row repeating them (a
-- replay writes one change row per event, so their width is its cost).
ALTER TABLE case_changes
    DROP COLUMN applicant_id,
    DROP COLUMN code,
    DROP COLUMN procedure_code,
    DROP COLUMN field_code,
    DROP COLUMN channel;
