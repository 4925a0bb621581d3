-- What users do with money. Each record that moves money names its
-- journal entry, written in the same transaction.
CREATE TABLE transfers (
    id         TEXT PRIMARY KEY,
    from_user  TEXT NOT NULL REFERENCES users (id),
    to_user    TEXT NOT NULL REFERENCES users (id),
    amount     BIGINT NOT NULL CHECK (amount > 0),
    currency   TEXT NOT NULL,
    memo       TEXT NOT NULL DEFAULT '',
    entry_id   TEXT NOT NULL UNIQUE REFERENCES journal_entries (id),
    created_at BIGINT NOT NULL
);
CREATE INDEX transfers_from ON transfers (from_user, created_at);
CREATE INDEX transfers_to ON transfers (to_user, created_at);

-- Money coming in from a funding source through a gateway. A top-up is
-- pending until the gateway has charged; the ledger entry comes with
-- "succeeded". The client's Idempotency-Key is kept so a retry finds the
-- same top-up and the gateway is never asked to charge twice.
CREATE TABLE topups (
    id             TEXT PRIMARY KEY,
    user_id        TEXT NOT NULL REFERENCES users (id),
    amount         BIGINT NOT NULL CHECK (amount > 0),
    currency       TEXT NOT NULL,
    source         TEXT NOT NULL,
    status         TEXT NOT NULL CHECK (status IN ('pending', 'succeeded', 'declined')),
    gateway_ref    TEXT NOT NULL DEFAULT '',
    decline_reason TEXT NOT NULL DEFAULT '',
    idem_key       TEXT,
    entry_id       TEXT UNIQUE REFERENCES journal_entries (id),
    created_at     BIGINT NOT NULL,
    updated_at     BIGINT NOT NULL,
    UNIQUE (user_id, idem_key)
);
CREATE INDEX topups_pending ON topups (status, created_at) WHERE status = 'pending';

-- The sandbox gateway's own book of charges: it stands for a bank outside
-- quanzi, so it remembers what it charged across restarts of quanzi.
CREATE TABLE sandbox_charges (
    ref        TEXT PRIMARY KEY,
    amount     BIGINT NOT NULL,
    created_at BIGINT NOT NULL
);
