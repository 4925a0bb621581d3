-- Payment PINs: six digits, hashed with argon2id like passwords. Five wrong
-- tries lock the PIN until it is reset with the account password.
CREATE TABLE payment_pins (
    user_id    TEXT PRIMARY KEY REFERENCES users (id),
    pin_hash   TEXT NOT NULL,
    failures   INTEGER NOT NULL DEFAULT 0,
    locked     BOOLEAN NOT NULL DEFAULT FALSE,
    updated_at BIGINT NOT NULL
);
