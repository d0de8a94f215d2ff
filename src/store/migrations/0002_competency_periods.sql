-- mcidctl store, schema 2: competency status kept current (rule 10), so that `report
-- competencies` reads a few hundred rows instead of every credential of the organization.
--
-- competency_periods holds, for every linked individual and competency, the periods in which the
-- individual qualifies: [starts_at, ends_at) in Unix seconds, where starts_at is when a required
-- credential is reflected (rule 6) and ends_at when it expires (9223372036854775807: never).
-- A user's periods for one competency never overlap, so at any instant T the organization's
-- count is
--     (periods with ends_at > T) - (periods with starts_at > T).
-- The first term is read from competency_ends, one row per (organization, competency, end
-- instant) with the number of periods that end then; ends fall on midnights, so it has a row per
-- expiry day. SqliteStore writes both tables together (no triggers: a rebuild clears them whole).
-- The second counts periods that have not started yet: the credentials of the last few days.
--
-- The core rewrites a user's periods whenever their links or credentials change, rebuilds a
-- competency's when it is defined again, and all of them when a reflection delay changes. The
-- rows are derived data: `mcidctl db rebuild` recomputes them from the tables above.
CREATE TABLE competency_periods (
    user_id    INTEGER NOT NULL REFERENCES users(id),
    competency TEXT NOT NULL COLLATE NOCASE,
    org_id     INTEGER NOT NULL REFERENCES orgs(id),
    starts_at  INTEGER NOT NULL,
    ends_at    INTEGER NOT NULL,
    CHECK (starts_at < ends_at),
    PRIMARY KEY (user_id, competency, starts_at)
) WITHOUT ROWID;
CREATE INDEX competency_periods_by_start ON competency_periods(org_id, competency, starts_at);

CREATE TABLE competency_ends (
    org_id     INTEGER NOT NULL,
    competency TEXT NOT NULL COLLATE NOCASE,
    ends_at    INTEGER NOT NULL,
    periods    INTEGER NOT NULL CHECK (periods > 0),
    PRIMARY KEY (org_id, competency, ends_at)
) WITHOUT ROWID;

-- Derived data that must be recomputed before it is used. A store migrated from schema 1 has
-- none yet: until `mcidctl db rebuild` (or the first competency or reflection change) fills the
-- periods, reports compute competency status from the credentials directly.
CREATE TABLE derived_stale (
    name TEXT PRIMARY KEY
) WITHOUT ROWID;
INSERT INTO derived_stale(name) SELECT 'competency_periods' WHERE EXISTS (SELECT 1 FROM competencies);
