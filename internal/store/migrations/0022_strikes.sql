-- Strikes: a moderator's formal warning to a user, with a reason, which
-- counts against their credit standing for a year and may mute them in
-- the circle for a while (no posting or commenting there until then).
CREATE TABLE strikes (
    id          TEXT PRIMARY KEY,
    user_id     TEXT NOT NULL REFERENCES users (id),
    circle_id   TEXT REFERENCES circles (id),
    issued_by   TEXT NOT NULL REFERENCES users (id),
    reason      TEXT NOT NULL,
    note        TEXT NOT NULL DEFAULT '',
    muted_until BIGINT,
    created_at  BIGINT NOT NULL
);
CREATE INDEX strikes_user ON strikes (user_id, created_at);
CREATE INDEX strikes_circle ON strikes (circle_id, created_at);

ALTER TABLE circle_members ADD COLUMN muted_until BIGINT;
ALTER TABLE circle_members ADD COLUMN mute_reason TEXT NOT NULL DEFAULT '';
