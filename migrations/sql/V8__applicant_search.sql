-- The blind index of applicants (onestop_domain::search): keyed hashes of
-- their ID number, phone and name words, never the values themselves. A read
-- model of the applicant streams, kept by the `applicant_search` projection;
-- an erased applicant's rows are deleted with their key's destruction.
CREATE TABLE applicant_terms (
    term bytea NOT NULL,
    applicant_id uuid NOT NULL,
    PRIMARY KEY (term, applicant_id)
);

CREATE INDEX applicant_terms_applicant ON applicant_terms (applicant_id);

-- Cases of the applicants a search finds.
CREATE INDEX IF NOT EXISTS case_status_applicant ON case_status (applicant_id);
