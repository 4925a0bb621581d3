-- Money leaving for a bank account. The amount is held in the user's wallet
-- at once (available → held); the gateway's report then settles it (the
-- money leaves) or reverses it (the hold returns to available, exactly).
CREATE TABLE withdrawals (
    id           TEXT PRIMARY KEY,
    user_id      TEXT NOT NULL REFERENCES users (id),
    amount       BIGINT NOT NULL CHECK (amount > 0),
    currency     TEXT NOT NULL,
    destination  TEXT NOT NULL,
    status       TEXT NOT NULL CHECK (status IN ('pending', 'settled', 'reversed')),
    reason       TEXT NOT NULL DEFAULT '',
    hold_entry   TEXT NOT NULL UNIQUE REFERENCES journal_entries (id),
    final_entry  TEXT UNIQUE REFERENCES journal_entries (id),
    decided_by   TEXT REFERENCES users (id),
    created_at   BIGINT NOT NULL,
    updated_at   BIGINT NOT NULL
);
CREATE INDEX withdrawals_user ON withdrawals (user_id, created_at);
CREATE INDEX withdrawals_pending ON withdrawals (status, created_at) WHERE status = 'pending';
