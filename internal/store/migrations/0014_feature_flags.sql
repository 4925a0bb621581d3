-- Feature flags for staged ("grayscale") release: off for everyone unless
-- enabled; then on for the users in allow, off for those in deny, and
-- otherwise on for those in the segment (a rule over the user) whose stable
-- hash falls under the percentage.
CREATE TABLE feature_flags (
    key         TEXT PRIMARY KEY,
    description TEXT NOT NULL DEFAULT '',
    enabled     BOOLEAN NOT NULL DEFAULT FALSE,  -- the kill switch
    percentage  DOUBLE PRECISION NOT NULL DEFAULT 0 CHECK (percentage >= 0 AND percentage <= 100),
    allow_list  TEXT NOT NULL DEFAULT '[]',      -- JSON array of handles
    deny_list   TEXT NOT NULL DEFAULT '[]',
    segment     TEXT NOT NULL DEFAULT '',        -- a policy expression over user.*; empty: everyone
    stages      TEXT NOT NULL DEFAULT '[]',      -- JSON [{at, percentage}], in time order: the percentage from each moment on
    paused_at   BIGINT,                          -- stages stop advancing from this moment
    updated_by  TEXT REFERENCES users (id),
    created_at  BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL
);
