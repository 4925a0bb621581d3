-- The directory's full-text index: open, unarchived circles only, so a
-- closed circle cannot be found by any query. The text is split into
-- terms in Go (Latin words, and CJK runs as characters and overlapping
-- pairs), so both engines match the same way. The rowid orders the index
-- by popularity: a bucket of the member count in the high bits, the
-- circle's own rowid in the low 32, so the most popular matches come first
-- without ranking every match. The index keeps no copy of the text
-- (contentless, with deletes): results are read from circles.
CREATE VIRTUAL TABLE circle_search USING fts5 (name, body, cat, content = '', contentless_delete = 1,
    tokenize = 'unicode61 remove_diacritics 2');
