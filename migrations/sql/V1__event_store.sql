-- The event log (DESIGN §2): one append-only table for every stream.

-- The role the application works as. It may read and append events, nothing more:
-- even a bug, or a stolen connection, cannot rewrite history through it.
DO $$
BEGIN
    CREATE ROLE onestop_app NOLOGIN;
EXCEPTION
    WHEN duplicate_object OR unique_violation THEN NULL; -- roles are cluster-wide
END
$$;

CREATE TABLE events (
    global_position bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    stream_id       text        NOT NULL CHECK (octet_length(stream_id) BETWEEN 1 AND 200),
    stream_version  bigint      NOT NULL CHECK (stream_version >= 1),
    event_id        uuid        NOT NULL UNIQUE,
    event_type      text        NOT NULL CHECK (octet_length(event_type) BETWEEN 1 AND 200),
    schema_version  integer     NOT NULL CHECK (schema_version >= 1),
    -- `json`, not `jsonb`: the stored text is exactly the canonical text that was
    -- hashed, and reading it back costs no re-rendering (jsonb would be re-rendered
    -- on every read: twice the server time of a full replay). `payload->>'field'`
    -- still works for ad-hoc queries; read models index what they need.
    payload         json        NOT NULL CHECK (json_typeof(payload) = 'object'),
    metadata        json        NOT NULL CHECK (json_typeof(metadata) = 'object'),
    recorded_at     timestamptz NOT NULL,
    -- The writing transaction: readers order by (tx_id, global_position) and stop below
    -- the oldest running transaction, so an event that commits late is never skipped.
    tx_id           xid8        NOT NULL DEFAULT pg_current_xact_id(),
    prev_hash       bytea       CHECK (octet_length(prev_hash) = 32),
    hash            bytea       NOT NULL CHECK (octet_length(hash) = 32),
    UNIQUE (stream_id, stream_version),
    -- The first event of a stream has no predecessor; every later one names it.
    CHECK ((stream_version = 1) = (prev_hash IS NULL))
);

CREATE INDEX events_tx_order ON events (tx_id, global_position);
CREATE INDEX events_type ON events (event_type, global_position);

COMMENT ON TABLE events IS
    'Append-only event log. UPDATE, DELETE and TRUNCATE are refused by trigger and by grants.';

-- History is only ever appended to.
CREATE FUNCTION events_refuse_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the event log is append-only: % on events is not allowed', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END
$$;

CREATE TRIGGER events_no_update_or_delete
    BEFORE UPDATE OR DELETE ON events
    FOR EACH ROW EXECUTE FUNCTION events_refuse_change();

CREATE TRIGGER events_no_truncate
    BEFORE TRUNCATE ON events
    FOR EACH STATEMENT EXECUTE FUNCTION events_refuse_change();

-- Subscribers are woken by a NOTIFY on channel `onestop_events` that the appending
-- process sends after its commit, coalesced (see store/src/notify.rs). It is not
-- sent from a trigger: a NOTIFY inside the writing transaction takes a lock that
-- serialises every notifying commit of the cluster, which halved concurrent
-- append throughput when measured.

REVOKE ALL ON events FROM PUBLIC;
GRANT SELECT, INSERT ON events TO onestop_app;
GRANT USAGE ON SCHEMA public TO onestop_app;

-- Read models created by later migrations are the application's to maintain.
ALTER DEFAULT PRIVILEGES IN SCHEMA public
    GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO onestop_app;
ALTER DEFAULT PRIVILEGES IN SCHEMA public
    GRANT USAGE, SELECT ON SEQUENCES TO onestop_app;
