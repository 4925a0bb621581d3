-- Collect: a payee asks for an amount; payers pay it by id or by its short
-- code (what a QR image encodes). A single-use request closes when paid.
CREATE TABLE payment_requests (
    id         TEXT PRIMARY KEY,
    code       TEXT NOT NULL UNIQUE,
    payee_id   TEXT NOT NULL REFERENCES users (id),
    amount     BIGINT NOT NULL CHECK (amount > 0),
    currency   TEXT NOT NULL,
    memo       TEXT NOT NULL DEFAULT '',
    single_use BOOLEAN NOT NULL,
    status     TEXT NOT NULL CHECK (status IN ('open', 'paid', 'cancelled')),
    expires_at BIGINT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX payment_requests_payee ON payment_requests (payee_id, created_at);

CREATE TABLE payment_request_payments (
    id          TEXT PRIMARY KEY,
    request_id  TEXT NOT NULL REFERENCES payment_requests (id),
    payer_id    TEXT NOT NULL REFERENCES users (id),
    transfer_id TEXT NOT NULL UNIQUE REFERENCES transfers (id),
    created_at  BIGINT NOT NULL
);
CREATE INDEX payment_request_payments_of ON payment_request_payments (request_id, created_at);
