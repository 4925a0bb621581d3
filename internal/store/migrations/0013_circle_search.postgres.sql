-- The directory's full-text index: open, unarchived circles only, so a
-- closed circle cannot be found by any query. The text is split into
-- terms in Go (Latin words, and CJK runs as characters and overlapping
-- pairs), so both engines match the same way. Matches are ordered by a
-- bucket of the member count, then newest first.
CREATE TABLE circle_search (
    circle_id TEXT PRIMARY KEY REFERENCES circles (id),
    bucket    INTEGER NOT NULL,
    cat       TEXT NOT NULL,
    name      TSVECTOR NOT NULL,
    body      TSVECTOR NOT NULL
);
CREATE INDEX circle_search_name ON circle_search USING GIN (name);
CREATE INDEX circle_search_body ON circle_search USING GIN (body);
