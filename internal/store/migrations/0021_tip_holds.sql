-- Money follows moderation: a tip stays held for its author for the
-- circle's tip_hold_hours before it can be spent, and a post removed
-- meanwhile has its held tips refunded to their tippers (one reversing
-- entry each). Tips made before this stay as they were: released.
ALTER TABLE circles ADD COLUMN tip_hold_hours INTEGER NOT NULL DEFAULT 24;
ALTER TABLE tips ADD COLUMN status TEXT NOT NULL DEFAULT 'released' CHECK (status IN ('held', 'released', 'refunded'));
ALTER TABLE tips ADD COLUMN release_at BIGINT;                                  -- when a held tip becomes the author's to spend
ALTER TABLE tips ADD COLUMN settled_entry_id TEXT REFERENCES journal_entries (id); -- the release or the refund
CREATE INDEX tips_held_due ON tips (release_at) WHERE status = 'held';
