-- Posts in circles and moments among friends, with their edits, pictures,
-- likes, comments (one level of replies) and tips; each circle's tipping
-- settings; and the server secret that signs list cursors.

ALTER TABLE circles ADD COLUMN tip_fee_bps INTEGER NOT NULL DEFAULT 0;       -- platform fee, in basis points of each tip
ALTER TABLE circles ADD COLUMN tip_min BIGINT NOT NULL DEFAULT 100;          -- ¥1.00
ALTER TABLE circles ADD COLUMN tip_max BIGINT NOT NULL DEFAULT 50000;        -- ¥500.00
ALTER TABLE circles ADD COLUMN tip_daily_cap BIGINT NOT NULL DEFAULT 200000; -- what one tipper may tip in the circle per day

CREATE TABLE posts (
    id            TEXT PRIMARY KEY,
    circle_id     TEXT REFERENCES circles (id), -- NULL: a moment, outside circles
    author_id     TEXT NOT NULL REFERENCES users (id),
    -- Who may read it: the circle's view rule ('circle'), or for a moment
    -- everyone, friends, a chosen list, or only the author.
    audience      TEXT NOT NULL CHECK (audience IN ('circle', 'public', 'friends', 'list', 'private')),
    body          TEXT NOT NULL,
    -- held: waiting for review (seen by its author and the circle's
    -- moderators only); deleted: hidden from everyone, kept for audit.
    status        TEXT NOT NULL CHECK (status IN ('published', 'held', 'rejected', 'deleted')),
    media_count   INTEGER NOT NULL DEFAULT 0,
    like_count    INTEGER NOT NULL DEFAULT 0,
    comment_count INTEGER NOT NULL DEFAULT 0,
    tip_count     INTEGER NOT NULL DEFAULT 0,
    tip_total     BIGINT NOT NULL DEFAULT 0,
    -- The "hot" order: log2 of the post's weighted interactions plus its
    -- age in half-days, so newer posts need fewer interactions to rank.
    hot           DOUBLE PRECISION NOT NULL DEFAULT 0,
    pinned_at     BIGINT,
    pinned_by     TEXT REFERENCES users (id),
    edited_at     BIGINT,
    deleted_at    BIGINT,
    deleted_by    TEXT REFERENCES users (id),
    created_at    BIGINT NOT NULL,
    updated_at    BIGINT NOT NULL
);
CREATE INDEX posts_circle_new ON posts (circle_id, id) WHERE status = 'published';
CREATE INDEX posts_circle_hot ON posts (circle_id, hot, id) WHERE status = 'published';
CREATE INDEX posts_circle_pinned ON posts (circle_id, pinned_at) WHERE pinned_at IS NOT NULL;
CREATE INDEX posts_circle_held ON posts (circle_id, id) WHERE status = 'held';
CREATE INDEX posts_author ON posts (author_id, id);

-- What a post said before each edit.
CREATE TABLE post_edits (
    post_id   TEXT NOT NULL REFERENCES posts (id),
    version   INTEGER NOT NULL,            -- 1 is the original
    body      TEXT NOT NULL,
    edited_at BIGINT NOT NULL,             -- when it was replaced
    PRIMARY KEY (post_id, version)
);

-- Who may read a moment shared with a chosen list.
CREATE TABLE post_audience (
    post_id TEXT NOT NULL REFERENCES posts (id),
    user_id TEXT NOT NULL REFERENCES users (id),
    PRIMARY KEY (post_id, user_id)
);
CREATE INDEX post_audience_user ON post_audience (user_id, post_id);

-- Moments delivered to the people who may read them, newest first: the
-- friends part of each user's home feed.
CREATE TABLE moment_inbox (
    user_id   TEXT NOT NULL REFERENCES users (id),
    post_id   TEXT NOT NULL REFERENCES posts (id),
    author_id TEXT NOT NULL REFERENCES users (id),
    PRIMARY KEY (user_id, post_id)
);

-- Uploaded pictures. The media part fills and serves them; a post links
-- up to nine of its author's own.
CREATE TABLE media (
    id          TEXT PRIMARY KEY,
    owner_id    TEXT NOT NULL REFERENCES users (id),
    post_id     TEXT REFERENCES posts (id),
    position    INTEGER NOT NULL DEFAULT 0,
    mime        TEXT NOT NULL DEFAULT '',
    width       INTEGER NOT NULL DEFAULT 0,
    height      INTEGER NOT NULL DEFAULT 0,
    bytes       BIGINT NOT NULL DEFAULT 0,
    phash       BIGINT NOT NULL DEFAULT 0,
    created_at  BIGINT NOT NULL,
    attached_at BIGINT
);
CREATE INDEX media_post ON media (post_id, position) WHERE post_id IS NOT NULL;
CREATE INDEX media_unattached ON media (created_at) WHERE post_id IS NULL;

CREATE TABLE post_likes (
    post_id    TEXT NOT NULL REFERENCES posts (id),
    user_id    TEXT NOT NULL REFERENCES users (id),
    created_at BIGINT NOT NULL,
    PRIMARY KEY (post_id, user_id)
);

CREATE TABLE comments (
    id         TEXT PRIMARY KEY,
    post_id    TEXT NOT NULL REFERENCES posts (id),
    author_id  TEXT NOT NULL REFERENCES users (id),
    parent_id  TEXT REFERENCES comments (id), -- a reply to a top-level comment
    body       TEXT NOT NULL,
    status     TEXT NOT NULL CHECK (status IN ('published', 'held', 'rejected', 'deleted')),
    reply_count INTEGER NOT NULL DEFAULT 0,
    deleted_at BIGINT,
    deleted_by TEXT REFERENCES users (id),
    created_at BIGINT NOT NULL
);
CREATE INDEX comments_post ON comments (post_id, id);
CREATE INDEX comments_author ON comments (author_id, id);

CREATE TABLE tips (
    id         TEXT PRIMARY KEY,
    post_id    TEXT NOT NULL REFERENCES posts (id),
    tipper_id  TEXT NOT NULL REFERENCES users (id),
    author_id  TEXT NOT NULL REFERENCES users (id),
    circle_id  TEXT REFERENCES circles (id),
    amount     BIGINT NOT NULL CHECK (amount > 0),
    fee        BIGINT NOT NULL DEFAULT 0 CHECK (fee >= 0),
    anonymous  BOOLEAN NOT NULL DEFAULT FALSE,
    entry_id   TEXT NOT NULL REFERENCES journal_entries (id),
    created_at BIGINT NOT NULL
);
CREATE INDEX tips_post ON tips (post_id, id);
CREATE INDEX tips_tipper_circle ON tips (tipper_id, circle_id, created_at);

-- Each tipper's total on a post, for the top tippers list.
CREATE TABLE post_tippers (
    post_id   TEXT NOT NULL REFERENCES posts (id),
    tipper_id TEXT NOT NULL REFERENCES users (id),
    total     BIGINT NOT NULL,
    tips      INTEGER NOT NULL,
    anonymous BOOLEAN NOT NULL DEFAULT FALSE, -- every tip of theirs here was anonymous
    last_at   BIGINT NOT NULL,
    PRIMARY KEY (post_id, tipper_id)
);
CREATE INDEX post_tippers_top ON post_tippers (post_id, total);

-- Server-wide secrets, made once and shared by every node.
CREATE TABLE server_secrets (
    name       TEXT PRIMARY KEY,
    value      TEXT NOT NULL,
    created_at BIGINT NOT NULL
);

-- What each tipper has tipped per circle per day ('' for moments), kept
-- with a conditional update so the daily cap holds under concurrency.
CREATE TABLE tip_daily (
    tipper_id  TEXT NOT NULL REFERENCES users (id),
    circle_key TEXT NOT NULL,
    day        BIGINT NOT NULL,            -- days since the epoch, UTC
    amount     BIGINT NOT NULL,
    PRIMARY KEY (tipper_id, circle_key, day)
);
