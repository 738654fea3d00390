-- State the write side keeps beside the log.

-- Case codes {unit}-{yyMMdd}-{NNNN}: the counter row is incremented in the same
-- transaction as the CaseReceived append, so a failed append leaves no gap and two
-- receipts never share a number (the row lock orders them).
CREATE TABLE case_code_counters (
    unit_code  text     NOT NULL,
    day        date     NOT NULL,
    last_value smallint NOT NULL CHECK (last_value BETWEEN 1 AND 9999),
    PRIMARY KEY (unit_code, day)
);

-- Idempotency-Key: the first response to a keyed request, replayed to its retries.
CREATE TABLE idempotency_keys (
    user_id       uuid        NOT NULL,
    key           text        NOT NULL CHECK (octet_length(key) BETWEEN 1 AND 200),
    request_hash  bytea       NOT NULL,
    status        smallint    NOT NULL,
    response      jsonb       NOT NULL,
    etag          text,
    location      text,
    created_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (user_id, key)
);
CREATE INDEX idempotency_keys_created ON idempotency_keys (created_at);

-- One key per applicant for their personal data (Decree 13/2023/NĐ-CP). The data
-- itself is encrypted in the log; destroying the key (key = NULL) erases it
-- everywhere without touching history.
CREATE TABLE applicant_keys (
    applicant_id uuid        PRIMARY KEY,
    key          bytea       CHECK (key IS NULL OR octet_length(key) = 32),
    created_at   timestamptz NOT NULL DEFAULT now(),
    destroyed_at timestamptz,
    CHECK ((key IS NULL) = (destroyed_at IS NOT NULL))
);

GRANT SELECT, INSERT, UPDATE, DELETE ON case_code_counters, idempotency_keys, applicant_keys
    TO onestop_app;

-- Readiness checks that every migration was applied.
GRANT SELECT ON refinery_schema_history TO onestop_app;
