-- The directory's full-text index: open, unarchived circles only, so a
-- closed circle cannot be found by any query. The text is tokenised in Go
-- (Latin words, and CJK runs as overlapping character pairs) so both
-- engines match the same way.
CREATE TABLE circle_search (
    circle_id TEXT PRIMARY KEY REFERENCES circles (id),
    body      TSVECTOR NOT NULL
);
CREATE INDEX circle_search_body ON circle_search USING GIN (body);
