-- mcidctl store on PostgreSQL, schema 3: a batch purge moves org_user_counts itself.
--
-- Schema 1's statement-level trigger finds whose organization or status an UPDATE changed by
-- joining the statement's old and new rows: 0.65 s of the UPDATE that marks 100,000 users
-- deleted, inside the store's write lock, while other writers wait. The purge knows the answer
-- (each account it marks deleted was invited or active, in its organization) and moves each
-- (organization, status) count once, as the SQLite store does since its schema 5. The trigger
-- stands aside while the transaction-local setting mcid.user_counts_moved is 'on', which the
-- purge sets around that one UPDATE only. Every other change of a user's organization or status
-- is counted by the trigger as before.
CREATE OR REPLACE FUNCTION org_user_counts_move() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND current_setting('mcid.user_counts_moved', true) = 'on' THEN
        RETURN NULL;  -- a batch purge moves the counts itself (PgStore::purge_users)
    END IF;
    IF TG_OP = 'INSERT' THEN
        INSERT INTO org_user_counts(org_id, status, n)
        SELECT org_id, status, count(*) FROM new_rows WHERE org_id IS NOT NULL
        GROUP BY org_id, status ORDER BY org_id, status
        ON CONFLICT (org_id, status) DO UPDATE SET n = org_user_counts.n + excluded.n;
    ELSIF TG_OP = 'DELETE' THEN
        UPDATE org_user_counts c SET n = c.n - d.k
        FROM (SELECT org_id, status, count(*) AS k FROM old_rows WHERE org_id IS NOT NULL
              GROUP BY org_id, status) d
        WHERE c.org_id = d.org_id AND c.status = d.status;
    ELSE
        UPDATE org_user_counts c SET n = c.n - d.k
        FROM (SELECT o.org_id, o.status, count(*) AS k FROM old_rows o JOIN new_rows n ON n.id = o.id
              WHERE o.org_id IS NOT NULL
                AND (o.org_id IS DISTINCT FROM n.org_id OR o.status IS DISTINCT FROM n.status)
              GROUP BY o.org_id, o.status) d
        WHERE c.org_id = d.org_id AND c.status = d.status;
        INSERT INTO org_user_counts(org_id, status, n)
        SELECT n.org_id, n.status, count(*) FROM old_rows o JOIN new_rows n ON n.id = o.id
        WHERE n.org_id IS NOT NULL
          AND (o.org_id IS DISTINCT FROM n.org_id OR o.status IS DISTINCT FROM n.status)
        GROUP BY n.org_id, n.status ORDER BY n.org_id, n.status
        ON CONFLICT (org_id, status) DO UPDATE SET n = org_user_counts.n + excluded.n;
    END IF;
    RETURN NULL;
END;
$$;
