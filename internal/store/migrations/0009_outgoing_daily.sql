-- Money each user sent per UTC day, kept in the same transaction as each
-- payment, so checking the daily limit is one row, however busy the day.
CREATE TABLE outgoing_daily (
    user_id TEXT NOT NULL REFERENCES users (id),
    day     BIGINT NOT NULL,  -- days since the Unix epoch, UTC
    amount  BIGINT NOT NULL CHECK (amount >= 0),
    PRIMARY KEY (user_id, day)
);
