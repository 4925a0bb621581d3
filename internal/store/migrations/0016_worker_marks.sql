-- How far background workers have read the append-only records they
-- follow (the journal, decisions): a worker resumes from its mark.
CREATE TABLE worker_marks (
    name       TEXT PRIMARY KEY,
    mark       BIGINT NOT NULL,   -- a time, in microseconds
    updated_at BIGINT NOT NULL
);
