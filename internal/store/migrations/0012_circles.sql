-- Circles: communities in categories, open (found in the directory) or
-- closed (entered by invitation only), each with a "who may" rule per
-- action, members with roles, invite codes, join requests and bans.

CREATE TABLE circle_categories (
    key        TEXT PRIMARY KEY,             -- "fitness"
    name       TEXT NOT NULL,                -- English
    name_zh    TEXT NOT NULL,                -- Chinese
    position   INTEGER NOT NULL DEFAULT 0,   -- order in the catalogue
    archived   BOOLEAN NOT NULL DEFAULT FALSE,
    created_at BIGINT NOT NULL
);

INSERT INTO circle_categories (key, name, name_zh, position, created_at) VALUES
    ('fitness', 'Fitness', '健身', 10, 0),
    ('games', 'Games', '游戏', 20, 0),
    ('finance', 'Personal finance', '理财', 30, 0),
    ('mother-baby', 'Mother & baby', '母婴', 40, 0),
    ('pets', 'Pets', '宠物', 50, 0),
    ('digital', 'Digital', '数码', 60, 0),
    ('campus', 'Campus', '校园', 70, 0),
    ('white-collar', 'White-collar', '白领', 80, 0),
    ('travel', 'Travel', '旅行', 90, 0),
    ('food', 'Food', '美食', 100, 0),
    ('reading', 'Reading', '读书', 110, 0),
    ('music', 'Music', '音乐', 120, 0),
    ('photography', 'Photography', '摄影', 130, 0),
    ('local', 'Local life', '同城', 140, 0);

CREATE TABLE circles (
    id             TEXT PRIMARY KEY,
    slug           TEXT NOT NULL UNIQUE,
    name           TEXT NOT NULL,
    description    TEXT NOT NULL DEFAULT '',
    rules_text     TEXT NOT NULL DEFAULT '',   -- the house rules, shown to members
    category       TEXT NOT NULL REFERENCES circle_categories (key),
    visibility     TEXT NOT NULL CHECK (visibility IN ('open', 'closed')),
    review         TEXT NOT NULL DEFAULT 'none' CHECK (review IN ('none', 'media', 'all')),
    join_approval  BOOLEAN NOT NULL DEFAULT FALSE, -- joining makes a request a moderator decides
    join_question  TEXT NOT NULL DEFAULT '',   -- asked of those who request to join
    policy_join    TEXT NOT NULL DEFAULT '',   -- CEL; empty: anyone may
    policy_view    TEXT NOT NULL DEFAULT '',   -- empty: anyone (open) or members (closed)
    policy_post    TEXT NOT NULL DEFAULT '',   -- empty: members may
    policy_comment TEXT NOT NULL DEFAULT '',
    policy_tip     TEXT NOT NULL DEFAULT '',
    policy_invite  TEXT NOT NULL DEFAULT '',
    owner_id       TEXT NOT NULL REFERENCES users (id),
    member_count   INTEGER NOT NULL DEFAULT 0,
    -- Trending: log2 of an activity count that halves every day, plus the
    -- days since the epoch at the last activity, so that ordering by it
    -- orders by the decayed count as of any moment.
    trend          DOUBLE PRECISION NOT NULL DEFAULT 0,
    -- Where the circle sits in the search index (SQLite: the index row's
    -- rowid), NULL when it is not listed.
    search_key     BIGINT,
    archived_at    BIGINT,
    created_at     BIGINT NOT NULL,
    updated_at     BIGINT NOT NULL
);
CREATE INDEX circles_directory ON circles (category, member_count) WHERE visibility = 'open' AND archived_at IS NULL;
CREATE INDEX circles_directory_new ON circles (created_at) WHERE visibility = 'open' AND archived_at IS NULL;
CREATE INDEX circles_directory_trend ON circles (trend) WHERE visibility = 'open' AND archived_at IS NULL;
CREATE INDEX circles_owner ON circles (owner_id);

CREATE TABLE circle_members (
    circle_id TEXT NOT NULL REFERENCES circles (id),
    user_id   TEXT NOT NULL REFERENCES users (id),
    role      TEXT NOT NULL CHECK (role IN ('member', 'moderator', 'admin', 'owner')),
    joined_at BIGINT NOT NULL,
    via       TEXT NOT NULL DEFAULT '',      -- how they came in: open, invite:<id>, request:<id>, created
    PRIMARY KEY (circle_id, user_id)
);
CREATE INDEX circle_members_user ON circle_members (user_id, joined_at);
CREATE INDEX circle_members_list ON circle_members (circle_id, joined_at, user_id);

CREATE TABLE circle_invites (
    id                TEXT PRIMARY KEY,
    circle_id         TEXT NOT NULL REFERENCES circles (id),
    code              TEXT NOT NULL UNIQUE,
    created_by        TEXT NOT NULL REFERENCES users (id),
    max_uses          INTEGER,               -- NULL: no limit
    uses              INTEGER NOT NULL DEFAULT 0,
    requires_approval BOOLEAN NOT NULL DEFAULT FALSE, -- the code lets one ask to join, not join
    expires_at        BIGINT,                -- NULL: never
    revoked_at        BIGINT,
    revoked_by        TEXT REFERENCES users (id),
    created_at        BIGINT NOT NULL,
    CHECK (max_uses IS NULL OR max_uses > 0)
);
CREATE INDEX circle_invites_of ON circle_invites (circle_id, created_at);

CREATE TABLE circle_invite_uses (
    invite_id TEXT NOT NULL REFERENCES circle_invites (id),
    user_id   TEXT NOT NULL REFERENCES users (id),
    used_at   BIGINT NOT NULL,
    PRIMARY KEY (invite_id, user_id)
);

CREATE TABLE circle_join_requests (
    id         TEXT PRIMARY KEY,
    circle_id  TEXT NOT NULL REFERENCES circles (id),
    user_id    TEXT NOT NULL REFERENCES users (id),
    answer     TEXT NOT NULL DEFAULT '',     -- to the circle's join question
    invite_id  TEXT REFERENCES circle_invites (id),
    status     TEXT NOT NULL CHECK (status IN ('pending', 'approved', 'denied', 'withdrawn')),
    reason     TEXT NOT NULL DEFAULT '',     -- given with a decision
    decided_by TEXT REFERENCES users (id),
    decided_at BIGINT,
    created_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX circle_join_requests_one_pending ON circle_join_requests (circle_id, user_id) WHERE status = 'pending';
CREATE INDEX circle_join_requests_queue ON circle_join_requests (circle_id, status, created_at, id);

CREATE TABLE circle_bans (
    circle_id  TEXT NOT NULL REFERENCES circles (id),
    user_id    TEXT NOT NULL REFERENCES users (id),
    reason     TEXT NOT NULL,
    until      BIGINT,                        -- NULL: for good
    banned_by  TEXT NOT NULL REFERENCES users (id),
    created_at BIGINT NOT NULL,
    PRIMARY KEY (circle_id, user_id)
);
