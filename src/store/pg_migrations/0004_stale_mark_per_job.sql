-- mcidctl store on PostgreSQL, schema 4: one stale mark per job on the competency periods, as
-- the SQLite store's schema 6 (see src/store/migrations/0006_stale_mark_per_job.sql).
--
-- derived_stale held one row, 'competency_periods', shared by every job that rewrites periods in
-- steps, with config 'derived.rebuild' naming the latest: a job that started later and ended
-- sooner cleared the mark while the other was halfway. Now each job has a row of its own,
-- 'competency_periods/<job>', and clears only that one; the row without a job goes only at the
-- end of a full rebuild.
DELETE FROM config WHERE key = 'derived.rebuild';
