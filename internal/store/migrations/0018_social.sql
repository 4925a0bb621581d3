-- The social graph and direct messages: friend requests and friendships,
-- follows, blocks, conversations with their messages, and each user's
-- message settings.
--
-- A pair of users appears in a few places with its ids ordered (user_lo <
-- user_hi), so that a unique index can hold one row per pair whichever of
-- the two acted first.

CREATE TABLE friend_requests (
    id         TEXT PRIMARY KEY,
    from_user  TEXT NOT NULL REFERENCES users (id),
    to_user    TEXT NOT NULL REFERENCES users (id),
    user_lo    TEXT NOT NULL,                 -- the smaller of from_user and to_user
    user_hi    TEXT NOT NULL,                 -- the larger
    message    TEXT NOT NULL DEFAULT '',
    status     TEXT NOT NULL CHECK (status IN ('pending', 'accepted', 'declined', 'cancelled')),
    decided_at BIGINT,
    created_at BIGINT NOT NULL,
    CHECK (from_user <> to_user),
    CHECK (user_lo < user_hi)
);
-- At most one request pending between two people, in either direction.
CREATE UNIQUE INDEX friend_requests_one_pending ON friend_requests (user_lo, user_hi) WHERE status = 'pending';
CREATE INDEX friend_requests_incoming ON friend_requests (to_user, status, created_at, id);
CREATE INDEX friend_requests_outgoing ON friend_requests (from_user, status, created_at, id);

-- A friendship is two rows, one for each side, so that "my friends" is
-- one index range.
CREATE TABLE friendships (
    user_id    TEXT NOT NULL REFERENCES users (id),
    friend_id  TEXT NOT NULL REFERENCES users (id),
    created_at BIGINT NOT NULL,
    PRIMARY KEY (user_id, friend_id),
    CHECK (user_id <> friend_id)
);
CREATE INDEX friendships_list ON friendships (user_id, created_at, friend_id);

CREATE TABLE follows (
    follower_id TEXT NOT NULL REFERENCES users (id),
    followee_id TEXT NOT NULL REFERENCES users (id),
    created_at  BIGINT NOT NULL,
    PRIMARY KEY (follower_id, followee_id),
    CHECK (follower_id <> followee_id)
);
CREATE INDEX follows_following ON follows (follower_id, created_at, followee_id);
CREATE INDEX follows_followers ON follows (followee_id, created_at, follower_id);

CREATE TABLE blocks (
    blocker_id TEXT NOT NULL REFERENCES users (id),
    blocked_id TEXT NOT NULL REFERENCES users (id),
    created_at BIGINT NOT NULL,
    PRIMARY KEY (blocker_id, blocked_id),
    CHECK (blocker_id <> blocked_id)
);
CREATE INDEX blocks_list ON blocks (blocker_id, created_at, blocked_id);
CREATE INDEX blocks_against ON blocks (blocked_id, blocker_id);

-- A conversation between two people; its messages are numbered 1, 2, 3 …
-- (last_seq is the latest), which orders them exactly and makes a
-- participant's unread count last_seq - read_seq.
CREATE TABLE conversations (
    id         TEXT PRIMARY KEY,
    user_lo    TEXT NOT NULL REFERENCES users (id),
    user_hi    TEXT NOT NULL REFERENCES users (id),
    last_seq   BIGINT NOT NULL DEFAULT 0,
    last_at    BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    CHECK (user_lo < user_hi)
);
CREATE UNIQUE INDEX conversations_pair ON conversations (user_lo, user_hi);

-- Each participant's side of a conversation: which box it sits in for
-- them, how far they have read, and (copied from the conversation, for the
-- list's index) when it last changed.
CREATE TABLE conversation_members (
    conversation_id TEXT NOT NULL REFERENCES conversations (id),
    user_id         TEXT NOT NULL REFERENCES users (id),
    other_id        TEXT NOT NULL REFERENCES users (id),
    box             TEXT NOT NULL CHECK (box IN ('inbox', 'requests', 'declined')),
    read_seq        BIGINT NOT NULL DEFAULT 0,
    last_at         BIGINT NOT NULL,
    PRIMARY KEY (conversation_id, user_id)
);
CREATE INDEX conversation_members_box ON conversation_members (user_id, box, last_at, conversation_id);

CREATE TABLE messages (
    conversation_id TEXT NOT NULL REFERENCES conversations (id),
    seq             BIGINT NOT NULL,
    id              TEXT NOT NULL UNIQUE,
    sender_id       TEXT NOT NULL REFERENCES users (id),
    body            TEXT NOT NULL,
    created_at      BIGINT NOT NULL,
    PRIMARY KEY (conversation_id, seq)
);

-- Who may message a user; no row means the defaults.
CREATE TABLE social_settings (
    user_id                 TEXT PRIMARY KEY REFERENCES users (id),
    messages_from_strangers BOOLEAN NOT NULL DEFAULT TRUE,
    updated_at              BIGINT NOT NULL
);
