-- The web console's sign-ins. The cookie carries a random secret; only its
-- SHA-256 is kept here, so reading this table signs no one in. A session ends
-- at sign-out, after two idle hours, or twelve hours after it began (a working
-- day), whichever comes first.
CREATE TABLE console_sessions (
    secret_hash bytea PRIMARY KEY,
    user_id     uuid NOT NULL,
    started_at  timestamptz NOT NULL DEFAULT now(),
    seen_at     timestamptz NOT NULL DEFAULT now(),
    ended_at    timestamptz
);

CREATE INDEX console_sessions_by_user ON console_sessions (user_id) WHERE ended_at IS NULL;

GRANT SELECT, INSERT, UPDATE, DELETE ON console_sessions TO onestop_app;
