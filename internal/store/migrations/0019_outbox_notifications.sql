-- The transactional outbox: an event is written in the transaction whose
-- change it announces, and a relay publishes it after commit (in-process,
-- or through NATS JetStream to every node) and deletes it. A row is
-- claimed for a while (claimed_until) by the relay publishing it, so the
-- relays of several nodes share the work without publishing twice.
CREATE TABLE outbox (
    id            TEXT PRIMARY KEY,           -- store.NewID: orders rows by time
    subject       TEXT NOT NULL,              -- "notify.<user>", "circle.<id>.post" …
    data          TEXT NOT NULL,              -- JSON
    created_at    BIGINT NOT NULL,
    claimed_until BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX outbox_pending ON outbox (created_at, id);

-- Each user's notifications, numbered 1, 2, 3 … per user in the order
-- their transactions commit (the number is taken from notify_state, whose
-- row stays locked until commit): a live stream resumes after a number and
-- misses nothing.
CREATE TABLE notifications (
    user_id      TEXT NOT NULL REFERENCES users (id),
    seq          BIGINT NOT NULL,
    id           TEXT NOT NULL UNIQUE,
    kind         TEXT NOT NULL,
    actor_id     TEXT REFERENCES users (id),
    circle_id    TEXT REFERENCES circles (id),
    -- The circle's content is in it: shown only while the recipient may
    -- still see a closed circle (a member, not banned).
    members_only BOOLEAN NOT NULL DEFAULT FALSE,
    post_id      TEXT,
    comment_id   TEXT,
    amount       BIGINT NOT NULL DEFAULT 0,
    text         TEXT NOT NULL DEFAULT '',
    read_at      BIGINT,
    created_at   BIGINT NOT NULL,
    PRIMARY KEY (user_id, seq)
);
CREATE INDEX notifications_unread ON notifications (user_id, seq) WHERE read_at IS NULL;

-- Per user: the last notification number given out and how many are
-- unread.
CREATE TABLE notify_state (
    user_id    TEXT PRIMARY KEY REFERENCES users (id),
    last_seq   BIGINT NOT NULL DEFAULT 0,
    unread     BIGINT NOT NULL DEFAULT 0,
    updated_at BIGINT NOT NULL
);

-- Circles a user hears nothing from.
CREATE TABLE notify_mutes (
    user_id    TEXT NOT NULL REFERENCES users (id),
    circle_id  TEXT NOT NULL REFERENCES circles (id),
    created_at BIGINT NOT NULL,
    PRIMARY KEY (user_id, circle_id)
);
