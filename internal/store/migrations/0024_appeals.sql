-- Appeals: the person a moderation decision concerns (a rejected post, an
-- upheld report, a strike) may appeal it once; someone other than the
-- first decider settles it. A granted appeal undoes the decision.
CREATE TABLE appeals (
    id           TEXT PRIMARY KEY,
    kind         TEXT NOT NULL CHECK (kind IN ('review', 'report', 'strike')),
    decision_id  TEXT NOT NULL,                 -- the review item, report case or strike
    user_id      TEXT NOT NULL REFERENCES users (id),
    circle_id    TEXT REFERENCES circles (id),
    first_by     TEXT REFERENCES users (id),    -- who made the decision appealed
    text         TEXT NOT NULL,
    status       TEXT NOT NULL CHECK (status IN ('pending', 'granted', 'denied')),
    note         TEXT NOT NULL DEFAULT '',
    decided_by   TEXT REFERENCES users (id),
    decided_at   BIGINT,
    created_at   BIGINT NOT NULL,
    UNIQUE (kind, decision_id)
);
CREATE INDEX appeals_pending ON appeals (created_at, id) WHERE status = 'pending';

ALTER TABLE strikes ADD COLUMN revoked_at BIGINT;
