-- Moderation: posts (and later comments) held for a reviewer's decision;
-- users' reports on posts, comments, users and circles, collapsed into one
-- case per reported thing; and safety guards on rollout flags.

-- One held item waiting for (or given) a decision. A post held by its
-- circle's review setting gets one at creation; screening will add others.
CREATE TABLE review_items (
    id         TEXT PRIMARY KEY,
    kind       TEXT NOT NULL CHECK (kind IN ('post', 'comment')),
    target_id  TEXT NOT NULL,
    circle_id  TEXT REFERENCES circles (id),
    author_id  TEXT NOT NULL REFERENCES users (id),
    cause      TEXT NOT NULL,                 -- why it is held: circle_review, …
    status     TEXT NOT NULL CHECK (status IN ('pending', 'approved', 'rejected')),
    reason     TEXT NOT NULL DEFAULT '',      -- a rejection's reason code
    note       TEXT NOT NULL DEFAULT '',      -- the reviewer's words to the author
    decided_by TEXT REFERENCES users (id),
    decided_at BIGINT,
    created_at BIGINT NOT NULL
);
CREATE INDEX review_items_queue ON review_items (circle_id, created_at, id) WHERE status = 'pending';
CREATE INDEX review_items_pending ON review_items (created_at, id) WHERE status = 'pending';
CREATE UNIQUE INDEX review_items_target ON review_items (kind, target_id) WHERE status = 'pending';
CREATE INDEX review_items_rejected ON review_items (circle_id, decided_at) WHERE status = 'rejected';

-- A reported thing: every report on it while it is open joins one case,
-- which a moderator upholds (the thing goes) or dismisses. A thing
-- reported again after a decision opens a new case.
CREATE TABLE report_cases (
    id          TEXT PRIMARY KEY,
    kind        TEXT NOT NULL CHECK (kind IN ('post', 'comment', 'user', 'circle')),
    target_id   TEXT NOT NULL,
    circle_id   TEXT REFERENCES circles (id),  -- where it is: the post's or comment's circle, or the circle reported
    subject_id  TEXT REFERENCES users (id),    -- whose it is: the author, or the user reported
    status      TEXT NOT NULL CHECK (status IN ('open', 'upheld', 'dismissed')),
    reports     INTEGER NOT NULL DEFAULT 0,
    note        TEXT NOT NULL DEFAULT '',      -- the decider's note
    decided_by  TEXT REFERENCES users (id),
    decided_at  BIGINT,
    created_at  BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL                -- the latest report
);
CREATE UNIQUE INDEX report_cases_open ON report_cases (kind, target_id) WHERE status = 'open';
CREATE INDEX report_cases_circle ON report_cases (circle_id, created_at, id) WHERE status = 'open';
CREATE INDEX report_cases_queue ON report_cases (created_at, id) WHERE status = 'open';
CREATE INDEX report_cases_subject ON report_cases (subject_id, decided_at) WHERE status = 'upheld';

CREATE TABLE reports (
    id          TEXT PRIMARY KEY,
    case_id     TEXT NOT NULL REFERENCES report_cases (id),
    circle_id   TEXT REFERENCES circles (id),  -- the case's, for counting per circle
    reporter_id TEXT NOT NULL REFERENCES users (id),
    reason      TEXT NOT NULL,
    note        TEXT NOT NULL DEFAULT '',
    created_at  BIGINT NOT NULL,
    UNIQUE (case_id, reporter_id)
);
CREATE INDEX reports_circle ON reports (circle_id, created_at);
CREATE INDEX reports_time ON reports (created_at);

-- A flag's guard: a safety measure over the circles it covers that pauses
-- the rollout when it crosses a threshold. armed_at: counting starts here
-- (set when the guard is saved and when the flag is resumed).
ALTER TABLE feature_flags ADD COLUMN guard TEXT NOT NULL DEFAULT '';
ALTER TABLE feature_flags ADD COLUMN guard_armed_at BIGINT;
ALTER TABLE feature_flags ADD COLUMN guard_tripped TEXT NOT NULL DEFAULT '';   -- JSON: when and at what reading it paused the flag

-- Counting posts per circle in a time window, for guards.
CREATE INDEX posts_circle_created ON posts (circle_id, created_at);
