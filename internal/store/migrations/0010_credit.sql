-- The credit score the policies read (user.credit_score): 350 to 950, with
-- where it came from. Today it is imported (by an admin or an integration);
-- the credit part will compute it from explainable factors.
CREATE TABLE credit_scores (
    user_id    TEXT PRIMARY KEY REFERENCES users (id),
    score      INTEGER NOT NULL CHECK (score BETWEEN 350 AND 950),
    source     TEXT NOT NULL,
    reason     TEXT NOT NULL DEFAULT '',
    updated_at BIGINT NOT NULL
);

-- Every score a user has had, with who set it and why.
CREATE TABLE credit_score_history (
    id       TEXT PRIMARY KEY,
    user_id  TEXT NOT NULL REFERENCES users (id),
    score    INTEGER NOT NULL,
    source   TEXT NOT NULL,
    reason   TEXT NOT NULL DEFAULT '',
    actor_id TEXT REFERENCES users (id),
    at       BIGINT NOT NULL
);
CREATE INDEX credit_score_history_of ON credit_score_history (user_id, at);
