-- The ledger: accounts with their current balances, and an append-only
-- journal of entries made of postings in integer minor units. Every entry's
-- postings sum to zero, so the balances of all accounts together always sum
-- to zero: money is only ever moved, never made or lost.
CREATE TABLE ledger_accounts (
    id              TEXT PRIMARY KEY,
    kind            TEXT NOT NULL CHECK (kind IN ('wallet', 'funding', 'fees', 'withdrawals', 'suspense')),
    user_id         TEXT UNIQUE REFERENCES users (id),
    currency        TEXT NOT NULL,
    available       BIGINT NOT NULL DEFAULT 0,
    held            BIGINT NOT NULL DEFAULT 0,
    -- Only system accounts that stand for the outside world may go below
    -- zero (the funding source's balance is minus what came in).
    may_go_negative BOOLEAN NOT NULL DEFAULT FALSE,
    created_at      BIGINT NOT NULL,
    CHECK (may_go_negative OR (available >= 0 AND held >= 0)),
    CHECK ((kind = 'wallet') = (user_id IS NOT NULL))
);

INSERT INTO ledger_accounts (id, kind, currency, may_go_negative, created_at) VALUES
    ('sys_funding', 'funding', 'CNY', TRUE, 0),
    ('sys_fees', 'fees', 'CNY', FALSE, 0),
    ('sys_withdrawals', 'withdrawals', 'CNY', FALSE, 0),
    ('sys_suspense', 'suspense', 'CNY', TRUE, 0);

CREATE TABLE journal_entries (
    id         TEXT PRIMARY KEY,
    kind       TEXT NOT NULL,
    memo       TEXT NOT NULL DEFAULT '',
    reverses   TEXT UNIQUE REFERENCES journal_entries (id), -- an entry is reversed at most once
    created_at BIGINT NOT NULL
);
CREATE INDEX journal_entries_at ON journal_entries (created_at, id);

CREATE TABLE postings (
    entry_id   TEXT NOT NULL REFERENCES journal_entries (id),
    n          INTEGER NOT NULL,
    account_id TEXT NOT NULL REFERENCES ledger_accounts (id),
    bucket     TEXT NOT NULL CHECK (bucket IN ('available', 'held')),
    amount     BIGINT NOT NULL CHECK (amount <> 0),
    PRIMARY KEY (entry_id, n)
);
CREATE INDEX postings_account ON postings (account_id, entry_id);
