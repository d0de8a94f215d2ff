-- mcidctl store, schema 4: the holders of a credential or assessment code, found without
-- reading every link. `competency define` recomputes the status of the competency's holders
-- only (0.3.0 read all 900,000 links of a SCALE 1.0 store even for a code nobody holds).
--
-- Both indexes are partial (code <> ''), so only a query that says `code <> ''` can use them.
-- A full one was chosen by SQLite for the operator's all-organizations skills report (a scan of
-- the index plus a primary-key lookup per credential: 4x slower than scanning the table), and
-- no query of mcidctl runs ANALYZE statistics to tell it otherwise.
CREATE INDEX credentials_by_code ON credentials(code) WHERE code <> '';
CREATE INDEX assessments_by_code ON assessments(code) WHERE code <> '';
