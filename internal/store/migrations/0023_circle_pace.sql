-- A circle's pace: slow mode (the least time between one member's posts
-- or comments there) and how many posts one member may make there a day.
-- 0: no limit. Moderators are not held to either.
ALTER TABLE circles ADD COLUMN slow_mode_seconds INTEGER NOT NULL DEFAULT 0;
ALTER TABLE circles ADD COLUMN posts_per_day INTEGER NOT NULL DEFAULT 0;
