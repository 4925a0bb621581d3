-- Moderation actions. A strike is now any sanction, by kind: a warning, a
-- mute in a circle (muted_until), a ban from a circle, a platform
-- suspension of an account, or the platform shutting a circle (closing it
-- to everyone but the platform's staff; "closed" already names invite-only
-- circles, so the state is "shut"). ends_at: a ban's or suspension's end
-- (NULL: for good, or until lifted). A strike taken while upholding a
-- report case names the case: the case and its strike are one decision,
-- counted once and appealed once. revoked_at: lifted early or overturned.
ALTER TABLE strikes ADD COLUMN kind TEXT NOT NULL DEFAULT 'warning' CHECK (kind IN ('warning', 'mute', 'ban', 'suspension', 'shut'));
UPDATE strikes SET kind = 'mute' WHERE muted_until IS NOT NULL;
ALTER TABLE strikes ADD COLUMN case_id TEXT REFERENCES report_cases (id);
ALTER TABLE strikes ADD COLUMN ends_at BIGINT;
-- A suspended user cannot sign in; the refusal hands them a token for
-- their one appeal, kept here as its SHA-256.
ALTER TABLE strikes ADD COLUMN appeal_token_hash TEXT;
CREATE INDEX strikes_case ON strikes (case_id) WHERE case_id IS NOT NULL;
CREATE INDEX strikes_suspension ON strikes (user_id) WHERE kind = 'suspension' AND revoked_at IS NULL;
CREATE UNIQUE INDEX strikes_appeal_token ON strikes (appeal_token_hash) WHERE appeal_token_hash IS NOT NULL;
CREATE INDEX strikes_shut ON strikes (circle_id) WHERE kind = 'shut' AND revoked_at IS NULL;

-- A circle the platform shut: hidden from all but the platform's staff,
-- on every path, until reopened. shut_reason: the reason code.
ALTER TABLE circles ADD COLUMN shut_at BIGINT;
ALTER TABLE circles ADD COLUMN shut_reason TEXT NOT NULL DEFAULT '';
