-- The notices outbox (DESIGN §4.6), kept by the `notices` projection and
-- drained by the server's senders. Nothing here is personal data: the phone
-- number, e-mail and name are opened from the applicant's sealed record only
-- to send, so an erasure leaves nothing of the applicant behind.

-- The channels each applicant chose, with consent, at receipt.
CREATE TABLE notice_choices (
    applicant_id uuid PRIMARY KEY,
    channels text[] NOT NULL
);

-- What notices of a case need from its first event: whose it is, its code,
-- where it was received (where to bring supplements and collect results).
CREATE TABLE notice_cases (
    case_id uuid PRIMARY KEY,
    applicant_id uuid NOT NULL,
    code text,
    unit text NOT NULL,
    procedure_code text NOT NULL
);

-- One row per notice: (event, channel) for applicants' notices, (case, kind,
-- day, channel) for officers' reminders. The id, derived from that key, is
-- what the gateway receives as the idempotency key.
CREATE TABLE notices (
    id uuid PRIMARY KEY,
    case_id uuid NOT NULL,
    applicant_id uuid,
    officer_id uuid,
    kind text NOT NULL,
    channel text NOT NULL,
    params jsonb NOT NULL,
    event_position bigint,
    created_at timestamptz NOT NULL,
    state text NOT NULL DEFAULT 'pending'
        CHECK (state IN ('pending', 'sent', 'failed', 'given_up', 'dropped')),
    attempts integer NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL,
    leased_until timestamptz,
    last_attempt_at timestamptz,
    last_error text,
    sent_at timestamptz,
    CHECK ((applicant_id IS NULL) <> (officer_id IS NULL))
);

CREATE INDEX notices_due ON notices (next_attempt_at) WHERE state IN ('pending', 'failed');
CREATE INDEX notices_case ON notices (case_id, created_at);
CREATE INDEX notices_open_by_applicant ON notices (applicant_id) WHERE state IN ('pending', 'failed');
