-- mcidctl store, schema 3: an anchored audit chain and the erasure of departed users' data.
--
-- Audit rows written from this schema on are hashed by rule 2 (core/audit.cpp): the hash covers
-- the row's position (its id) and a digest of each text field, and row 1 must be the `init` row.
-- Rows already in the log keep rule 1 and are verified by it, up to the switch row recorded here
-- (1 for a new store, so every row of a new store is rule 2).
INSERT INTO config(key, value)
SELECT 'audit.rule2_from', CAST(coalesce(max(id), 0) + 1 AS TEXT) FROM audit;

-- A rule-2 row whose text named a person whose data was erased keeps the digests of the original
-- fields here (JSON), so the chain still verifies after the text was replaced by a pseudonym.
ALTER TABLE audit ADD COLUMN sealed TEXT;

-- Only sealing may change a row: it replaces actor, target or detail by text naming a
-- pseudonym and records the original digests once (a row naming two erased people is sealed twice, the digests kept from the
-- first); every other column stays. Deletes stay refused.
DROP TRIGGER audit_no_update;
CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit
WHEN NOT (new.sealed IS NOT NULL AND (old.sealed IS NULL OR new.sealed = old.sealed)
          AND (new.actor = old.actor OR new.actor LIKE 'erased-%@erased.invalid')
          AND (new.target = old.target OR new.target LIKE 'erased-%@erased.invalid')
          AND (new.detail = old.detail OR new.detail LIKE '%erased-%@erased.invalid%')
          AND new.id = old.id AND new.at = old.at
          AND new.org_id IS old.org_id AND new.action = old.action AND new.outcome = old.outcome
          AND new.batch = old.batch AND new.prev_hash = old.prev_hash AND new.hash = old.hash)
BEGIN
    SELECT RAISE(ABORT, 'the audit log is append-only');
END;

-- Personal data of a purged account is erased once the restore window has passed.
ALTER TABLE users ADD COLUMN erased_at INTEGER;
CREATE INDEX users_erasable ON users(deleted_at) WHERE status = 'deleted' AND erased_at IS NULL;

-- Failed sign-ins for names that have no account (keyed by a digest of kind and name), counted
-- and locked like an account's own, so an unknown name answers exactly as a known one.
CREATE TABLE signin_throttle (
    subject      TEXT PRIMARY KEY,
    failed       INTEGER NOT NULL,
    locked_until INTEGER NOT NULL
) WITHOUT ROWID;

-- Queries that serve one organization read only its rows, already in order: `user list` of an
-- organization by email, a Global Admin's `audit list` by position.
CREATE INDEX users_by_org_email ON users(org_id, email);
-- (org_id, id) replaces (org_id, at): with it, a filter on time made SQLite sort the rows.
CREATE INDEX audit_by_org_id ON audit(org_id, id);
DROP INDEX audit_by_org;

-- Users per organization and status, kept by triggers in the transaction of each change, so that
-- `org show` counts an organization of any size in one read.
CREATE TABLE org_user_counts (
    org_id INTEGER NOT NULL,
    status TEXT NOT NULL,
    n      INTEGER NOT NULL,
    PRIMARY KEY (org_id, status)
) WITHOUT ROWID;
INSERT INTO org_user_counts(org_id, status, n)
SELECT org_id, status, count(*) FROM users WHERE org_id IS NOT NULL GROUP BY org_id, status;
CREATE TRIGGER users_count_insert AFTER INSERT ON users WHEN new.org_id IS NOT NULL
BEGIN
    INSERT INTO org_user_counts(org_id, status, n) VALUES (new.org_id, new.status, 1)
    ON CONFLICT(org_id, status) DO UPDATE SET n = n + 1;
END;
CREATE TRIGGER users_count_update AFTER UPDATE OF org_id, status ON users
WHEN old.org_id IS NOT new.org_id OR old.status IS NOT new.status
BEGIN
    UPDATE org_user_counts SET n = n - 1 WHERE org_id = old.org_id AND status = old.status;
    INSERT INTO org_user_counts(org_id, status, n) SELECT new.org_id, new.status, 1 WHERE new.org_id IS NOT NULL
    ON CONFLICT(org_id, status) DO UPDATE SET n = n + 1;
END;
CREATE TRIGGER users_count_delete AFTER DELETE ON users WHEN old.org_id IS NOT NULL
BEGIN
    UPDATE org_user_counts SET n = n - 1 WHERE org_id = old.org_id AND status = old.status;
END;
