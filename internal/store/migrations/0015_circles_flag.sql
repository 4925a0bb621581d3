-- Circles are released through a flag, on for everyone by default: an
-- operator can stage them (a percentage, lists, a segment) or switch them
-- off without a deploy.
INSERT INTO feature_flags (key, description, enabled, percentage, created_at, updated_at)
VALUES ('circles', 'Circles: communities with rules', TRUE, 100, 0, 0);
