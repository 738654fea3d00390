-- The queue tickets' read model (DESIGN §4.7), kept by the `queue` projection
-- from the streams `queue-<unit>-<yyyymmdd>`: one row per ticket and one per
-- visit to a counter (a call, until the ticket is finished, marked absent or
-- transferred), from which the waiting and service times are counted.

CREATE TABLE queue_tickets (
    unit text NOT NULL,
    day date NOT NULL,
    number text NOT NULL,
    -- The group the ticket was taken in (a transfer does not change it).
    group_code text NOT NULL,
    -- The group whose queue it is in now.
    current_group text NOT NULL,
    priority text,
    booking text,
    taken_at timestamptz NOT NULL,
    -- Since when it waits: taken, returned after being absent, or transferred.
    queued_at timestamptz NOT NULL,
    state text NOT NULL CHECK (state IN ('waiting', 'called', 'absent', 'finished')),
    visits smallint NOT NULL DEFAULT 0,
    cases uuid[] NOT NULL DEFAULT '{}',
    PRIMARY KEY (unit, day, number)
);

CREATE TABLE queue_visits (
    unit text NOT NULL,
    day date NOT NULL,
    number text NOT NULL,
    visit smallint NOT NULL,
    -- The group it was called from.
    group_code text NOT NULL,
    counter smallint NOT NULL,
    officer uuid NOT NULL,
    queued_at timestamptz NOT NULL,
    called_at timestamptz NOT NULL,
    ended_at timestamptz,
    outcome text NOT NULL CHECK (outcome IN ('open', 'finished', 'absent', 'transferred')),
    PRIMARY KEY (unit, day, number, visit)
);
