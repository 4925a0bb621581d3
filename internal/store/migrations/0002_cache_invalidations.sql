-- Changes that make cached data stale (a session ended, a user disabled, a
-- verification decided), written in the same transaction as the change.
-- Every node polls this table and drops what it has cached for the keys.
CREATE TABLE cache_invalidations (
    id        TEXT PRIMARY KEY,
    cache_key TEXT NOT NULL,   -- "user:<id>" or "session:<token hash>"
    at        BIGINT NOT NULL
);
CREATE INDEX cache_invalidations_at ON cache_invalidations (at);
