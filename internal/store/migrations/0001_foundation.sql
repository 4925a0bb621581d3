-- Foundation: accounts, sessions, login throttling, verified attributes,
-- idempotency keys and the audit log.
--
-- One schema for SQLite and PostgreSQL: ids are TEXT (time-ordered, made in
-- Go), times are BIGINT microseconds since the Unix epoch in UTC.

CREATE TABLE users (
    id            TEXT PRIMARY KEY,
    handle        TEXT NOT NULL UNIQUE,   -- lower case; the canonical form
    display_name  TEXT NOT NULL,
    password_hash TEXT NOT NULL,          -- PHC string: algorithm, parameters, salt, hash
    role          TEXT NOT NULL CHECK (role IN ('user', 'reviewer', 'admin')),
    status        TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'disabled')),
    created_at    BIGINT NOT NULL,
    updated_at    BIGINT NOT NULL
);

-- A session is known only by the SHA-256 of its token.
CREATE TABLE sessions (
    token_hash   TEXT PRIMARY KEY,
    user_id      TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at   BIGINT NOT NULL,
    last_seen_at BIGINT NOT NULL,
    expires_at   BIGINT NOT NULL,          -- absolute expiry
    client_addr  TEXT NOT NULL DEFAULT '',
    user_agent   TEXT NOT NULL DEFAULT ''
);
CREATE INDEX sessions_user ON sessions (user_id);
CREATE INDEX sessions_expiry ON sessions (expires_at);

-- Failed-login counters, one row per throttled key (a handle, a client
-- address, or both together).
CREATE TABLE login_throttle (
    throttle_key  TEXT PRIMARY KEY,
    window_start  BIGINT NOT NULL,
    failures      INTEGER NOT NULL,
    blocked_until BIGINT NOT NULL DEFAULT 0
);

-- Client addresses a user has logged in from: a lock on the account after a
-- flood of failures does not apply to them, so an attacker cannot keep the
-- real user out.
CREATE TABLE known_clients (
    user_id       TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    client        TEXT NOT NULL,
    last_login_at BIGINT NOT NULL,
    PRIMARY KEY (user_id, client)
);

CREATE TABLE verifications (
    id         TEXT PRIMARY KEY,
    user_id    TEXT NOT NULL REFERENCES users (id),
    kind       TEXT NOT NULL,
    value      TEXT NOT NULL,
    evidence   TEXT NOT NULL DEFAULT '',
    status     TEXT NOT NULL CHECK (status IN ('pending', 'approved', 'rejected', 'revoked', 'superseded', 'withdrawn')),
    reason     TEXT NOT NULL DEFAULT '',
    decided_by TEXT REFERENCES users (id),
    decided_at BIGINT,
    expires_at BIGINT,
    created_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX verifications_one_pending ON verifications (user_id, kind) WHERE status = 'pending';
CREATE INDEX verifications_user ON verifications (user_id, status);
CREATE INDEX verifications_queue ON verifications (status, created_at, id);

-- Every step of a verification's life: who did what, when, and why.
CREATE TABLE verification_events (
    id              TEXT PRIMARY KEY,
    verification_id TEXT NOT NULL REFERENCES verifications (id),
    action          TEXT NOT NULL,
    actor_id        TEXT REFERENCES users (id),
    reason          TEXT NOT NULL DEFAULT '',
    at              BIGINT NOT NULL
);
CREATE INDEX verification_events_of ON verification_events (verification_id, at);

-- Responses to money-moving requests, replayed for retries with the same
-- Idempotency-Key. A key is scoped to its caller.
CREATE TABLE idempotency_keys (
    scope        TEXT NOT NULL,
    idem_key     TEXT NOT NULL,
    request_hash TEXT NOT NULL,
    claim        TEXT NOT NULL,      -- the attempt that holds a running key
    state        TEXT NOT NULL CHECK (state IN ('running', 'done')),
    locked_until BIGINT NOT NULL,
    status       INTEGER NOT NULL DEFAULT 0,
    content_type TEXT NOT NULL DEFAULT '',
    body         TEXT NOT NULL DEFAULT '',
    created_at   BIGINT NOT NULL,
    expires_at   BIGINT NOT NULL,
    PRIMARY KEY (scope, idem_key)
);
CREATE INDEX idempotency_expiry ON idempotency_keys (expires_at);

-- What operators and reviewers did.
CREATE TABLE audit_log (
    id          TEXT PRIMARY KEY,
    actor_id    TEXT REFERENCES users (id),
    action      TEXT NOT NULL,
    target_type TEXT NOT NULL,
    target_id   TEXT NOT NULL,
    detail      TEXT NOT NULL DEFAULT '{}',  -- JSON
    at          BIGINT NOT NULL
);
CREATE INDEX audit_log_target ON audit_log (target_type, target_id, at);
CREATE INDEX audit_log_at ON audit_log (at, id);
