-- The directory's full-text index: open, unarchived circles only, so a
-- closed circle cannot be found by any query. The text is tokenised in Go
-- (Latin words, and CJK runs as overlapping character pairs) so both
-- engines match the same way; rowid is the circle's rowid.
CREATE VIRTUAL TABLE circle_search USING fts5 (body, tokenize = 'unicode61 remove_diacritics 2');
