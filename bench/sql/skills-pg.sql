-- The rows of `mcidctl report skills` in plain SQL for PostgreSQL: the baseline of
-- bench/postgres.sh, run as `COPY (this query) TO STDOUT (FORMAT csv, HEADER)` by psql (what
-- `\copy (query) to stdout csv` sends). bench/sql/skills.sql for SQLite, written for PostgreSQL 15:
-- the same joins as the server store's for_each_skill_source (src/store/pg_store.cpp), the same
-- columns in the same order (PRODUCT.md section 4), and what src/core/reports.cpp computes per
-- row done in SQL: reflection (rule 6, default delays reflection.existing = 72h = 259200 s and
-- reflection.new = 10d = 864000 s), unreflected rows left out, credential_status, relevant_for.
-- Dates are UTC. No trailing semicolon: the query goes inside COPY ( ... ).
WITH relevant(code, names) AS (
    SELECT code, string_agg(competency, ';' ORDER BY competency) FROM competency_codes GROUP BY code
), src AS (
    SELECT o.mpn_id, o.name AS organization, u.email, u.name AS user_name, l.mcid, 'learning' AS source,
           c.type AS credential_type, c.code, c.title, c.passed_on, c.expires_on, l.linked_at AS at
      FROM links l JOIN orgs o ON o.id = l.org_id JOIN users u ON u.id = l.user_id
      JOIN credentials c ON c.mcid = l.mcid
      @LEARNING_FILTER@
    UNION ALL
    SELECT o.mpn_id, o.name, u.email, u.name, NULL, 'partner-university', 'assessment', a.code, a.title,
           a.passed_on, NULL, ul.associated_at
      FROM university_links ul JOIN orgs o ON o.id = ul.org_id JOIN users u ON u.id = ul.user_id
      JOIN university_accounts ua ON ua.id = ul.account_id JOIN assessments a ON a.account_id = ul.account_id
      @UNIVERSITY_FILTER@
), timed AS (
    SELECT *, CASE WHEN passed_on IS NULL OR passed_on < to_char(to_timestamp(at) AT TIME ZONE 'UTC', 'YYYY-MM-DD')
                   THEN at + 259200
                   ELSE extract(epoch FROM passed_on::date)::bigint + 864000 END AS reflected_at
      FROM src
)
SELECT mpn_id, organization, email AS user_email, user_name, mcid, source, credential_type,
       nullif(timed.code, '') AS credential_code, title AS credential_title, passed_on, expires_on,
       CASE WHEN expires_on <> '' AND expires_on <= to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD')
            THEN 'expired' ELSE 'active' END AS credential_status,
       coalesce(r.names, '') AS relevant_for,
       to_char(to_timestamp(at) AT TIME ZONE 'UTC', 'YYYY-MM-DD') AS linked_on,
       to_char(to_timestamp(reflected_at) AT TIME ZONE 'UTC', 'YYYY-MM-DD') AS reflected_on, 'reflected' AS state
  FROM timed LEFT JOIN relevant r ON r.code = timed.code
 WHERE reflected_at <= extract(epoch FROM now())
