-- The blind index again, one row per applicant holding all their terms, under
-- a GIN index. A name search asks for applicants holding every term of the
-- name (`terms @> …`); GIN intersects the terms' posting lists inside the
-- index, rarest first, where the table of one row per term made a search read
-- every applicant of a common family name (a third of a province is Nguyễn).
-- The index is a read model of the applicant streams: emptied here, it is
-- caught up again from the first event by the `applicant_search` projection
-- (it reads the applicant streams only).
DROP TABLE applicant_terms;

CREATE TABLE applicant_terms (
    applicant_id uuid PRIMARY KEY,
    terms bytea[] NOT NULL
);

CREATE INDEX applicant_terms_terms ON applicant_terms USING gin (terms);

UPDATE projection_checkpoints
SET tx_id = 0, global_position = 0, events_applied = 0, updated_at = now()
WHERE name = 'applicant_search';
