-- Phone numbers left at the kiosk for an SMS when a ticket's turn nears.
-- Personal data kept out of the log on purpose: a number is only needed for
-- the day, so the server deletes the rows of earlier days, and an erasure
-- has nothing to reach in the log.
CREATE TABLE queue_contacts (
    unit text NOT NULL,
    day date NOT NULL,
    number text NOT NULL,
    phone text NOT NULL,
    state text NOT NULL DEFAULT 'waiting' CHECK (state IN ('waiting', 'sending', 'sent', 'passed', 'given_up')),
    attempts integer NOT NULL DEFAULT 0,
    leased_until timestamptz,
    sent_at timestamptz,
    last_error text,
    PRIMARY KEY (unit, day, number)
);

CREATE INDEX queue_contacts_open ON queue_contacts (day) WHERE state IN ('waiting', 'sending');
