-- The national portal's sync (LGSP: DongBoHoSoMC, CapNhatTienDoHoSoMC): how
-- far the feed has reached the portal, the chunk sent whose outcome is not
-- known yet (an answer that never came), and each case's state there.
CREATE TABLE portal_sync (
    singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    -- Every feed record up to this one has reached the portal (or needs not).
    synced_through bigint NOT NULL DEFAULT 0,
    -- A chunk of feed records sent without a definite answer: asked about
    -- (TraCuuHoSo) before anything of it is sent again.
    in_flight_first bigint,
    in_flight_last bigint,
    -- The last failure, for administrators.
    last_error text,
    last_error_at timestamptz,
    updated_at timestamptz NOT NULL DEFAULT now()
);
INSERT INTO portal_sync DEFAULT VALUES;

CREATE TABLE portal_sync_cases (
    case_id uuid PRIMARY KEY,
    -- The code the portal knows the case by: the portal's own for dossiers
    -- filed there, else the case code.
    ma_ho_so text NOT NULL,
    -- Created on the portal (DongBoHoSoMC with isUpdating "False" accepted).
    created boolean NOT NULL DEFAULT false,
    -- The last feed record of the case that reached the portal, and when.
    synced_seq bigint NOT NULL DEFAULT 0,
    synced_at timestamptz,
    progress_entries integer NOT NULL DEFAULT 0,
    attempts integer NOT NULL DEFAULT 0,
    last_error text,
    last_error_at timestamptz
);
CREATE INDEX portal_sync_cases_failing ON portal_sync_cases (last_error_at) WHERE last_error IS NOT NULL;
CREATE UNIQUE INDEX portal_sync_cases_code ON portal_sync_cases (ma_ho_so);
