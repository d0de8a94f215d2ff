-- A batch purge marks thousands of users deleted in one UPDATE. The per-row trigger kept
-- org_user_counts by two statements per row (a quarter of a second for 100,000 users, inside
-- the write lock); the purge now adjusts each (organization, status) count once, set-wise, and
-- while count_deferral holds its one row, which it does only inside that purge's transaction,
-- the per-row trigger stands aside. Every other change of a user's organization or status is
-- counted by the trigger as before.
CREATE TABLE count_deferral (
    only INTEGER PRIMARY KEY CHECK (only = 1)
);
DROP TRIGGER users_count_update;
CREATE TRIGGER users_count_update AFTER UPDATE OF org_id, status ON users
WHEN (old.org_id IS NOT new.org_id OR old.status IS NOT new.status)
     AND NOT EXISTS (SELECT 1 FROM count_deferral)
BEGIN
    UPDATE org_user_counts SET n = n - 1 WHERE org_id = old.org_id AND status = old.status;
    INSERT INTO org_user_counts(org_id, status, n) SELECT new.org_id, new.status, 1 WHERE new.org_id IS NOT NULL
    ON CONFLICT(org_id, status) DO UPDATE SET n = n + 1;
END;
