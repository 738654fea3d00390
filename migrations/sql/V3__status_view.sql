-- Read side (DESIGN §4): projection checkpoints and the live status view.

-- Where each projection stands in the log. A runner takes its row with
-- FOR UPDATE SKIP LOCKED and updates it in the same transaction as the read
-- model, so a batch is applied once, by one runner, or not at all.
CREATE TABLE projection_checkpoints (
    name            text        PRIMARY KEY,
    tx_id           bigint      NOT NULL DEFAULT 0,
    global_position bigint      NOT NULL DEFAULT 0,
    events_applied  bigint      NOT NULL DEFAULT 0,
    updated_at      timestamptz NOT NULL DEFAULT now()
);

-- One row per case: where it is, who holds it, its deadlines.
CREATE TABLE case_status (
    case_id            uuid        PRIMARY KEY,
    code               text        UNIQUE,
    lookup_secret_hash text,
    procedure_code     text        NOT NULL,
    procedure_version  integer     NOT NULL,
    field_code         text        NOT NULL,
    receiving_unit     text        NOT NULL,
    current_unit       text        NOT NULL,
    current_step       integer,
    holder_role        text,
    assignee           uuid,
    status             smallint    NOT NULL,
    channel            text        NOT NULL,
    applicant_id       uuid,
    -- When the file came in: submitted online, or received at the desk.
    filed_at           timestamptz NOT NULL,
    submitted_at       timestamptz,
    received_at        timestamptz,
    due_at             timestamptz,
    step_due_at        timestamptz,
    paused_since       timestamptz,
    finished_at        timestamptz,
    outcome            text,
    punctuality        text,
    returned_at        timestamptz,
    handover_pending   boolean     NOT NULL,
    version            bigint      NOT NULL,
    last_event_at      timestamptz NOT NULL,
    -- The folded case (postcard, behind a format byte), so the next batch
    -- continues the fold where it stopped.
    state              bytea       NOT NULL
);

-- Work queues: what is at a unit, by status and urgency.
CREATE INDEX case_status_queue ON case_status (current_unit, status, due_at);
-- An officer's own queue.
CREATE INDEX case_status_assignee ON case_status (assignee, due_at) WHERE finished_at IS NULL;
-- Overdue lists.
CREATE INDEX case_status_open_due ON case_status (due_at)
    WHERE finished_at IS NULL AND received_at IS NOT NULL;
-- Listing newest first, with a cursor.
CREATE INDEX case_status_listing ON case_status (filed_at DESC, case_id DESC);
CREATE INDEX case_status_receiving ON case_status (receiving_unit, received_at DESC);
