-- Automatic screening of posts and comments: word lists (the platform's
-- and each circle's), a block list of perceptual hashes, and the
-- classifier's score of each uploaded picture. What screening held says
-- why on its review item; what it flagged opens a report case that says
-- why.

-- A phrase that blocks (refused), holds (queued for review) or flags
-- (published, with a case opened) what contains it. circle_id NULL: the
-- platform's list, applying everywhere. The phrase is stored normalized
-- (NFKC, case folded, spaces collapsed), so one phrase is listed once per
-- list; the unique index reads NULL as '' because NULLs are distinct in a
-- unique index on both engines.
CREATE TABLE screen_words (
    id         TEXT PRIMARY KEY,
    circle_id  TEXT REFERENCES circles (id),
    phrase     TEXT NOT NULL,
    action     TEXT NOT NULL CHECK (action IN ('block', 'hold', 'flag')),
    note       TEXT NOT NULL DEFAULT '',      -- why it is listed
    created_by TEXT NOT NULL REFERENCES users (id),
    created_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX screen_words_phrase ON screen_words ((COALESCE(circle_id, '')), phrase);

-- Pictures that may not be posted, by perceptual hash: a picture within a
-- few bits of a listed hash is refused.
CREATE TABLE screen_hashes (
    id         TEXT PRIMARY KEY,
    hash       BIGINT NOT NULL UNIQUE,
    label      TEXT NOT NULL DEFAULT '',      -- what it is and why it is listed
    media_id   TEXT,                          -- the picture it was taken from, if any (no reference: the picture may go, its hash stays)
    created_by TEXT NOT NULL REFERENCES users (id),
    created_at BIGINT NOT NULL
);

-- The classifier's score of a picture at upload, 0 to 1; NULL when it was
-- not scored. (Double precision: a score equal to the threshold compares
-- the same on both engines.)
ALTER TABLE media ADD COLUMN score DOUBLE PRECISION;

-- Why screening held an item: the phrases or pictures, for its reviewer.
ALTER TABLE review_items ADD COLUMN detail TEXT NOT NULL DEFAULT '';

-- Why screening opened or joined a case ('' for cases users opened).
ALTER TABLE report_cases ADD COLUMN screening TEXT NOT NULL DEFAULT '';
