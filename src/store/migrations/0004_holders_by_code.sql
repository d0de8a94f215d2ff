-- mcidctl store, schema 4: the holders of a credential or assessment code, found without
-- reading every link. `competency define` recomputes the status of the competency's holders
-- only (0.3.0 read all 900,000 links of a SCALE 1.0 store even for a code nobody holds).
CREATE INDEX credentials_by_code ON credentials(code);
CREATE INDEX assessments_by_code ON assessments(code) WHERE code <> '';
