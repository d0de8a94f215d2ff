-- mcidctl store, schema 1. Instants are Unix seconds (UTC); dates are 'YYYY-MM-DD' text.
CREATE TABLE config (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
) WITHOUT ROWID;

CREATE TABLE orgs (
    id         INTEGER PRIMARY KEY,
    mpn_id     TEXT NOT NULL UNIQUE,
    name       TEXT NOT NULL,
    created_at INTEGER NOT NULL
);

CREATE TABLE users (
    id                INTEGER PRIMARY KEY,
    email             TEXT NOT NULL UNIQUE COLLATE NOCASE,
    name              TEXT NOT NULL,
    role              TEXT NOT NULL CHECK (role IN ('operator', 'global-admin', 'partner-admin', 'user')),
    org_id            INTEGER REFERENCES orgs(id),
    status            TEXT NOT NULL CHECK (status IN ('invited', 'active', 'deleted')),
    password_hash     TEXT,
    invite_code_hash  TEXT,
    invited_at        INTEGER NOT NULL,
    invite_expires_at INTEGER,
    accepted_at       INTEGER,
    deleted_at        INTEGER,
    failed_logins     INTEGER NOT NULL DEFAULT 0,
    locked_until      INTEGER NOT NULL DEFAULT 0,
    CHECK ((role = 'operator') = (org_id IS NULL))
);
CREATE INDEX users_by_org ON users(org_id, status, role);

CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY,
    user_id    INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX sessions_by_user ON sessions(user_id);

-- The registry: data that belongs to the certification provider.
CREATE TABLE profiles (
    mcid          INTEGER PRIMARY KEY,
    login         TEXT NOT NULL UNIQUE COLLATE NOCASE,
    name          TEXT NOT NULL,
    password_hash TEXT,
    failed_logins INTEGER NOT NULL DEFAULT 0,
    locked_until  INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE credentials (
    mcid       INTEGER NOT NULL REFERENCES profiles(mcid),
    code       TEXT NOT NULL,
    title      TEXT NOT NULL,
    type       TEXT NOT NULL CHECK (type IN ('certification', 'exam')),
    passed_on  TEXT,
    expires_on TEXT,
    PRIMARY KEY (mcid, code)
) WITHOUT ROWID;

CREATE TABLE university_accounts (
    id            INTEGER PRIMARY KEY,
    login         TEXT NOT NULL UNIQUE COLLATE NOCASE,
    name          TEXT NOT NULL,
    password_hash TEXT,
    failed_logins INTEGER NOT NULL DEFAULT 0,
    locked_until  INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE assessments (
    account_id INTEGER NOT NULL REFERENCES university_accounts(id),
    title      TEXT NOT NULL,
    code       TEXT NOT NULL DEFAULT '',
    passed_on  TEXT,
    PRIMARY KEY (account_id, title)
) WITHOUT ROWID;

-- Current links (rule 1: one organization and one user per MCID, one MCID per user).
CREATE TABLE links (
    mcid      INTEGER PRIMARY KEY REFERENCES profiles(mcid),
    user_id   INTEGER NOT NULL UNIQUE REFERENCES users(id),
    org_id    INTEGER NOT NULL REFERENCES orgs(id),
    linked_at INTEGER NOT NULL
);
CREATE INDEX links_by_org ON links(org_id, mcid);

CREATE TABLE university_links (
    account_id    INTEGER PRIMARY KEY REFERENCES university_accounts(id),
    user_id       INTEGER NOT NULL UNIQUE REFERENCES users(id),
    org_id        INTEGER NOT NULL REFERENCES orgs(id),
    associated_at INTEGER NOT NULL
);
CREATE INDEX university_links_by_org ON university_links(org_id, account_id);

-- Every association ever made, for the annual limit (rule 5).
CREATE TABLE associations (
    id      INTEGER PRIMARY KEY,
    kind    TEXT NOT NULL CHECK (kind IN ('profile', 'university')),
    subject INTEGER NOT NULL,
    user_id INTEGER NOT NULL,
    at      INTEGER NOT NULL
);
CREATE INDEX associations_by_subject ON associations(kind, subject, at);
CREATE INDEX associations_by_user ON associations(user_id, kind, at);

CREATE TABLE competencies (
    name        TEXT PRIMARY KEY COLLATE NOCASE,
    individuals INTEGER NOT NULL CHECK (individuals >= 1)
) WITHOUT ROWID;

CREATE TABLE competency_codes (
    competency TEXT NOT NULL REFERENCES competencies(name) ON DELETE CASCADE,
    code       TEXT NOT NULL,
    PRIMARY KEY (competency, code)
) WITHOUT ROWID;
CREATE INDEX competency_codes_by_code ON competency_codes(code);

-- The audit log: append-only, each row's hash covers the previous hash and the row (rule 11).
CREATE TABLE audit (
    id        INTEGER PRIMARY KEY,
    at        INTEGER NOT NULL,
    actor     TEXT NOT NULL,
    org_id    INTEGER,
    action    TEXT NOT NULL,
    target    TEXT NOT NULL,
    outcome   TEXT NOT NULL,
    detail    TEXT NOT NULL,
    batch     TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    hash      TEXT NOT NULL
);
CREATE INDEX audit_by_org ON audit(org_id, at);
CREATE INDEX audit_by_at ON audit(at);

CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit
BEGIN
    SELECT RAISE(ABORT, 'the audit log is append-only');
END;
CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit
BEGIN
    SELECT RAISE(ABORT, 'the audit log is append-only');
END;
