-- Read models: audit trail, statistics, provincial feed (DESIGN §4.2–4.4).

-- One row per case change: the audit trail's entries and the provincial feed's
-- records at once (one write per event during a replay, not two). Numbered in
-- the order the status projection produced them, which writes them from the
-- same fold as the status view. The feed is served in the DVCQG shape (MaHoSo,
-- MaTTHC, …, QuaTrinhXuLy); ChuHoSo is filled in when served, from the
-- applicant's encrypted data, so once that is erased the feed shows nothing of
-- them.
CREATE TABLE case_changes (
    seq             bigint      PRIMARY KEY,
    global_position bigint      NOT NULL,
    case_id         uuid        NOT NULL,
    event_type      text        NOT NULL,
    actor_id        uuid,
    actor_role      text,
    actor_name      text,
    -- The unit holding the file when the action was taken (for inspectors) and
    -- after it (DonViXuLy).
    acting_unit     text        NOT NULL,
    unit            text,
    at              timestamptz NOT NULL,
    action          text        NOT NULL,
    applicant_id    uuid,
    code            text,
    procedure_code  text,
    field_code      text,
    channel         smallint,
    received_at     timestamptz,
    due_at          timestamptz,
    status          smallint,
    returned_at     timestamptz
);
-- Inspectors ask by period (and officer or unit): changes are written in log
-- order, so their times follow the table's order and a BRIN index stays tiny
-- and nearly free to maintain during a replay.
CREATE INDEX case_changes_at ON case_changes USING brin (at);

-- Delivery to the provincial data centre goes in order: everything up to
-- `delivered_through` has arrived. Every attempt is logged, with the records it
-- carried, so each record's delivery state can be told.
CREATE TABLE feed_delivery (
    id                smallint PRIMARY KEY DEFAULT 1 CHECK (id = 1),
    delivered_through bigint   NOT NULL DEFAULT 0
);
INSERT INTO feed_delivery DEFAULT VALUES;

CREATE TABLE feed_attempts (
    first_seq    bigint      NOT NULL,
    last_seq     bigint      NOT NULL,
    attempted_at timestamptz NOT NULL DEFAULT now(),
    delivered    boolean     NOT NULL,
    error        text
);
CREATE INDEX feed_attempts_last ON feed_attempts (last_seq);

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
-- Counting what is open at an instant reads the index alone.
CREATE INDEX case_facts_open_span ON case_facts USING gist (open_span)
    INCLUDE (unit, procedure_code, field_code, due_at);

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

-- The same counters by month, so a year's report sums twelve rows per group,
-- not three hundred and sixty-five.
CREATE TABLE stats_monthly (LIKE stats_daily INCLUDING DEFAULTS);
ALTER TABLE stats_monthly RENAME COLUMN day TO month;
ALTER TABLE stats_monthly ADD PRIMARY KEY (month, unit, procedure_code);
