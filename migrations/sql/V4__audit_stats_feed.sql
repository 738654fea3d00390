-- Read models: audit trail, statistics, provincial feed (DESIGN §4.2–4.4).

-- One row per case event, for inspectors' queries by officer, unit and period.
-- Written by the status projection, from the same fold.
CREATE TABLE audit_entries (
    global_position bigint      PRIMARY KEY,
    case_id         uuid        NOT NULL,
    event_type      text        NOT NULL,
    actor_id        uuid,
    actor_role      text,
    -- The unit holding the file when the action was taken.
    unit            text        NOT NULL,
    at              timestamptz NOT NULL
);
CREATE INDEX audit_entries_actor ON audit_entries (actor_id, at);
CREATE INDEX audit_entries_unit ON audit_entries (unit, at);

-- The provincial feed: one record per case change, numbered in the order the
-- projection produced them. Written by the status projection; served in the
-- DVCQG shape (MaHoSo, MaTTHC, …, QuaTrinhXuLy). ChuHoSo is filled in when the
-- record is served, from the applicant's encrypted data: once that is erased,
-- the feed shows nothing of them.
CREATE TABLE feed_records (
    seq             bigint      PRIMARY KEY,
    global_position bigint      NOT NULL UNIQUE,
    case_id         uuid        NOT NULL,
    applicant_id    uuid,
    code            text,
    procedure_code  text,
    field_code      text,
    channel         smallint,
    received_at     timestamptz,
    due_at          timestamptz,
    status          smallint,
    returned_at     timestamptz,
    unit            text,
    actor_name      text,
    actor_role      text,
    at              timestamptz NOT NULL,
    action          text        NOT NULL,
    attempts        integer     NOT NULL DEFAULT 0,
    delivered_at    timestamptz,
    last_error      text
);
CREATE INDEX feed_records_undelivered ON feed_records (seq) WHERE delivered_at IS NULL;

-- Statistics: per-case facts and daily counters, kept by the stats projection.
CREATE TABLE case_facts (
    case_id        uuid        PRIMARY KEY,
    unit           text        NOT NULL,
    procedure_code text        NOT NULL,
    field_code     text        NOT NULL,
    online         boolean     NOT NULL,
    received_at    timestamptz NOT NULL,
    due_at         timestamptz NOT NULL,
    finished_at    timestamptz,
    outcome        text,
    punctuality    text,
    -- [received, finished): "in progress at T" is a containment test.
    open_span      tstzrange   GENERATED ALWAYS AS (tstzrange(received_at, finished_at, '[)')) STORED
);
CREATE INDEX case_facts_open_span ON case_facts USING gist (open_span);

CREATE TABLE stats_daily (
    day              date    NOT NULL,
    unit             text    NOT NULL,
    procedure_code   text    NOT NULL,
    field_code       text    NOT NULL,
    received_online  integer NOT NULL DEFAULT 0,
    received_offline integer NOT NULL DEFAULT 0,
    resolved_early   integer NOT NULL DEFAULT 0,
    resolved_on_time integer NOT NULL DEFAULT 0,
    resolved_late    integer NOT NULL DEFAULT 0,
    returned         integer NOT NULL DEFAULT 0,
    withdrawn        integer NOT NULL DEFAULT 0,
    stopped          integer NOT NULL DEFAULT 0,
    PRIMARY KEY (day, unit, procedure_code)
);
