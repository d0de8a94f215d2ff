#!/usr/bin/env bash
# postgres.sh STORE: the benchmarks on the server store (PostgreSQL 15), each beside a baseline
# run on the same server in the same run (issue 12). STORE is the generated SQLite store
# (bench/generate.sh); its server copy is made by `mcidctl db copy`, which is the first benchmark.
#
#   1. db copy STORE -> an empty database     against  pg_dump | psql of that copy into another
#   2. report skills --format csv              against  psql running COPY (bench/sql/skills-pg.sql)
#      (the largest organization by its Global Admin; every organization by the operator), and
#      peak RSS at ~5M rows
#   3. whoami, user show, report competencies, org show, user list --org, audit list (single
#      commands, session tokens, hyperfine -N)
#   4. purge-user --from FILE --yes (100,000 emails)  against  a hand-written set-based SQL script
#      in one transaction; each run on a fresh copy of the database (CREATE DATABASE ... TEMPLATE)
#   5. registry import --kind credentials (5,000,000 rows) into a store holding the profiles
#      against  psql \copy of the same file into a plain table
#
# Targets (issue 12): copy <= 2x pg_dump | psql; report <= 1.5x COPY, peak RSS <= 64 MB; single
# commands median <= 20 ms; purge <= 2x the SQL script; import <= 3x \copy.
#
# The server: MCIDCTL_BENCH_PG, a libpq URI of a server's `postgres` database as a role that may
# create databases (postgresql:///postgres?host=...). Without it the script runs itself under
# scripts/with-postgres.sh: a throwaway cluster on a unix socket with fsync off (both sides of
# every comparison run on it alike). It creates and drops databases named mcidbench_*.
#   RUNS         timed runs of each report, purge and single command (default 5; single >= 20)
#   COPY_RUNS    runs of the copy and its baseline (default 1: a few minutes each at SCALE 1.0)
#   IMPORT_RUNS  runs of the import and its baseline (default 1)
set -euo pipefail
source "$(dirname "$0")/lib.sh"
if [[ -z ${MCIDCTL_BENCH_PG:-} ]]; then
    if [[ -z ${MCIDCTL_TEST_PG:-} ]]; then
        exec "$REPO_DIR/scripts/with-postgres.sh" "$0" "$@"
    fi
    MCIDCTL_BENCH_PG=$MCIDCTL_TEST_PG
fi
need psql pg_dump sqlite3 python3
open_bench_store "${1:-}"
COPY_RUNS=${COPY_RUNS:-1}
IMPORT_RUNS=${IMPORT_RUNS:-1}
SERVER=$MCIDCTL_BENCH_PG
[[ $SERVER == *"/postgres?"* ]] || die "MCIDCTL_BENCH_PG must name the postgres database: postgresql:///postgres?host=..."

db_uri() { echo "${SERVER/\/postgres\?/\/$1?}"; }
admin_sql() { psql -XAtq -v ON_ERROR_STOP=1 -d "$SERVER" -c "$1"; }
# recreate_cmd NAME [TEMPLATE]: the shell command that makes an empty database (or a file copy of
# TEMPLATE) named NAME, dropping one of that name first (for hyperfine --prepare, and run here)
recreate_cmd() {
    local c="psql -XAtq -v ON_ERROR_STOP=1 -d '$SERVER' -c 'DROP DATABASE IF EXISTS $1 WITH (FORCE)' -c 'CREATE DATABASE $1"
    [[ -n ${2:-} ]] && c+=" TEMPLATE $2 STRATEGY FILE_COPY"
    echo "$c'"
}
recreate() { bash -c "$(recreate_cmd "$@")" >/dev/null; }
# once NAME CMD: runs the shell command CMD once; prints "wall cpu peak_rss_mb"
once() {
    local out
    out=$(mktemp)
    /usr/bin/time -f '%e %U %S %M' -o "$out" bash -c "$2" >/dev/null 2>"$RESULTS/$1.err" || {
        cat "$RESULTS/$1.err" >&2; die "failed: $2"; }
    awk '{ printf "%.3f %.3f %.1f\n", $1, $2 + $3, $4 / 1024 }' "$out"
    rm -f "$out"
}
# best_of N NAME CMD [PREPARE]: the run with the median wall time of N runs of `once`
best_of() {
    local n=$1 name=$2 cmd=$3 prepare=${4:-} i runs=()
    for ((i = 0; i < n; i++)); do
        [[ -n $prepare ]] && bash -c "$prepare" >/dev/null
        runs+=("$(once "$name" "$cmd")")
    done
    printf '%s\n' "${runs[@]}" | sort -n | awk '{ a[NR] = $0 } END { print a[int((NR + 1) / 2)] }'
}
PGB=$(db_uri mcidbench)
# counts URI|FILE LAST: the row counts of the tables that hold the data, and the hash of audit row
# LAST (the source gets its db.copy row after the copy: rows past LAST are left out)
counts() {
    local q="SELECT (SELECT count(*) FROM users) || ' ' || (SELECT count(*) FROM credentials) || ' ' ||
        (SELECT count(*) FROM links) || ' ' || (SELECT count(*) FROM associations) || ' ' ||
        (SELECT count(*) FROM audit WHERE id <= $2) || ' ' || (SELECT count(*) FROM competency_periods) || ' ' ||
        (SELECT count(*) FROM sessions) || ' ' || (SELECT substr(hash, 1, 12) FROM audit WHERE id = $2)"
    if [[ $1 == postgres* ]]; then psql -XAtq -d "$1" -c "$q"; else sqlite3 "$1" "$q"; fi
}

# ---- 1. db copy ----------------------------------------------------------------------------------
log "1. db copy of $STORE into a new database ($COPY_RUNS run(s)), then pg_dump | psql of it"
read -r COPY_WALL COPY_CPU COPY_RSS < <(best_of "$COPY_RUNS" copy \
    "MCIDCTL_TOKEN=$OPERATOR_TOKEN $MCIDCTL --db $STORE db copy '$PGB' -q" "$(recreate_cmd mcidbench)")
DUMPED=$(db_uri mcidbench_dump)
read -r DUMP_WALL DUMP_CPU DUMP_RSS < <(best_of "$COPY_RUNS" dump \
    "set -o pipefail; pg_dump -d '$PGB' | psql -XAq -v ON_ERROR_STOP=1 -d '$DUMPED'" "$(recreate_cmd mcidbench_dump)")
admin_sql "DROP DATABASE mcidbench_dump" >/dev/null
LAST=$(psql -XAtq -d "$PGB" -c "SELECT max(id) FROM audit")
COUNTS_SQLITE=$(counts "$STORE" "$LAST"); COUNTS_PG=$(counts "$PGB" "$LAST")
[[ $COUNTS_SQLITE == "$COUNTS_PG" ]] && COPY_SAME=same || COPY_SAME=DIFFERENT
log "copy: ${COPY_WALL}s, pg_dump | psql: ${DUMP_WALL}s; rows $COPY_SAME"
psql -XAq -d "$PGB" -c "VACUUM (ANALYZE)"  # as an operator would after a bulk load (autovacuum would, later)
read -r VERIFY_WALL VERIFY_CPU VERIFY_RSS < <(once verify "MCIDCTL_TOKEN=$OPERATOR_TOKEN $MCIDCTL --db '$PGB' audit verify")
AUDIT_ROWS=$(psql -XAtq -d "$PGB" -c "SELECT count(*) FROM audit")

# ---- 2. report skills ----------------------------------------------------------------------------
log "2. report skills --format csv"
org_id() { psql -XAtq -d "$PGB" -c "SELECT id FROM orgs WHERE mpn_id = '$1'"; }
query_file() {  # query_file NAME [ORG_ID]: the baseline as a psql script; prints its path
    local file=$RESULTS/pg-skills-$1.sql filter_l="" filter_u=""
    [[ -n ${2:-} ]] && { filter_l="WHERE l.org_id = $2"; filter_u="WHERE ul.org_id = $2"; }
    { echo "COPY ("
      sed "s/@LEARNING_FILTER@/$filter_l/; s/@UNIVERSITY_FILTER@/$filter_u/" "$BENCH_DIR/sql/skills-pg.sql" | grep -v '^--'
      echo ") TO STDOUT (FORMAT csv, HEADER);"; } >"$file"
    echo "$file"
}
joins_file() {  # the report's two statements verbatim (pg_store.cpp), raw columns: a lower bound
    local file=$RESULTS/pg-joins-$1.sql where_l="" where_u=""
    [[ -n ${2:-} ]] && { where_l=" WHERE l.org_id = $2"; where_u=" WHERE ul.org_id = $2"; }
    cat >"$file" <<EOF
COPY (SELECT o.mpn_id, o.name, u.email, u.name, l.mcid, '', c.type, c.code, c.title, c.passed_on, c.expires_on, l.linked_at FROM links l JOIN orgs o ON o.id = l.org_id JOIN users u ON u.id = l.user_id JOIN credentials c ON c.mcid = l.mcid$where_l) TO STDOUT (FORMAT csv);
COPY (SELECT o.mpn_id, o.name, u.email, u.name, ul.account_id, ua.login, 'assessment', a.code, a.title, a.passed_on, NULL, ul.associated_at FROM university_links ul JOIN orgs o ON o.id = ul.org_id JOIN users u ON u.id = ul.user_id JOIN university_accounts ua ON ua.id = ul.account_id JOIN assessments a ON a.account_id = ul.account_id$where_u) TO STDOUT (FORMAT csv);
EOF
    echo "$file"
}
Q_LARGEST=$(query_file largest "$(org_id 1000001)"); Q_SMALL=$(query_file small "$(org_id 1000002)"); Q_ALL=$(query_file all)
J_LARGEST=$(joins_file largest "$(org_id 1000001)"); J_ALL=$(joins_file all)
psql_cmd() { echo "psql -XAq -v ON_ERROR_STOP=1 -d '$PGB' -f $1"; }
CMD_LARGEST="MCIDCTL_TOKEN=$ADMIN_TOKEN $MCIDCTL --db '$PGB' report skills --format csv"
CMD_ALL="MCIDCTL_TOKEN=$OPERATOR_TOKEN $MCIDCTL --db '$PGB' report skills --format csv"
rows() { bash -c "$1" | wc -l; }
ROWS_LARGEST_A=$(($(rows "$CMD_LARGEST") - 1)); ROWS_LARGEST_B=$(($(rows "$(psql_cmd "$Q_LARGEST")") - 1))
ROWS_ALL_A=$(($(rows "$CMD_ALL") - 1)); ROWS_ALL_B=$(($(rows "$(psql_cmd "$Q_ALL")") - 1))
ROWS_LARGEST_J=$(rows "$(psql_cmd "$J_LARGEST")"); ROWS_ALL_J=$(rows "$(psql_cmd "$J_ALL")")
A=$RESULTS/pg-skills-small.mcidctl.csv; B=$RESULTS/pg-skills-small.psql.csv
MCIDCTL_TOKEN=$OPERATOR_TOKEN "$MCIDCTL" --db "$PGB" report skills --org 1000002 --format csv --no-formula-guard >"$A"
bash -c "$(psql_cmd "$Q_SMALL")" >"$B"
SAME=$(same_rows "$A" "$B")
log "baseline check: $SAME"
time_cmds pg-skills-largest "" "mcidctl=$CMD_LARGEST" "psql=$(psql_cmd "$Q_LARGEST")" "joins=$(psql_cmd "$J_LARGEST")"
L=("${MEDIAN[@]}"); LS=("${SPREAD[@]}"); LC=("${CPU[@]}")
time_cmds pg-skills-all "" "mcidctl=$CMD_ALL" "psql=$(psql_cmd "$Q_ALL")" "joins=$(psql_cmd "$J_ALL")"
G=("${MEDIAN[@]}"); GS=("${SPREAD[@]}"); GC=("${CPU[@]}")
RSS_ALL=$(MCIDCTL_TOKEN=$OPERATOR_TOKEN peak_rss_mb "$MCIDCTL" --db "$PGB" report skills --format csv)
RSS_ALL_B=$(peak_rss_mb psql -XAq -d "$PGB" -f "$Q_ALL")
RSS_LARGEST_JSON=$(MCIDCTL_TOKEN=$ADMIN_TOKEN peak_rss_mb "$MCIDCTL" --db "$PGB" report skills --format json)

# ---- 3. single commands --------------------------------------------------------------------------
log "3. single commands"
TYPICAL=1000003
SHOW=u3@o1.example.com
TYPICAL_GA=$(psql -XAtq -d "$PGB" -c "SELECT u.email FROM users u JOIN orgs o ON o.id = u.org_id
  WHERE o.mpn_id = '$TYPICAL' AND u.role = 'global-admin' AND u.status = 'active' ORDER BY u.id LIMIT 1")
TYPICAL_TOKEN=$(STORE=$PGB token_for "$TYPICAL_GA" "$BENCH_PASSWORD" "$WORK/pg-typical-admin.token")
TYPICAL_TOKEN_SQLITE=$(STORE=$STORE token_for "$TYPICAL_GA" "$BENCH_PASSWORD" "$WORK/typical-admin.token")
TYPICAL_AUDIT=$(psql -XAtq -d "$PGB" -c "SELECT count(*) FROM audit a JOIN orgs o ON o.id = a.org_id WHERE o.mpn_id = '$TYPICAL'")
SINGLE_NAMES=("whoami (Global Admin of 1000001)" "user show $SHOW" "report competencies (1000001)"
    "report competencies --org $TYPICAL" "org show 1000001" "user list --org $TYPICAL --format jsonl"
    "audit list (Global Admin of $TYPICAL, $TYPICAL_AUDIT rows)")
# single_cmds DB TYPICAL_TOKEN: sets CMDS, the commands above on one store (no spaces in a word:
# hyperfine -N splits them on whitespace)
single_cmds() {
    local a="env MCIDCTL_TOKEN=$ADMIN_TOKEN $MCIDCTL --db $1" o="env MCIDCTL_TOKEN=$OPERATOR_TOKEN $MCIDCTL --db $1"
    local t="env MCIDCTL_TOKEN=$2 $MCIDCTL --db $1"
    CMDS=("$a whoami" "$a user show $SHOW" "$a report competencies" "$o report competencies --org $TYPICAL"
          "$a org show 1000001" "$o user list --org $TYPICAL --format jsonl" "$t audit list --format jsonl")
}
single_cmds "$PGB" "$TYPICAL_TOKEN"; SINGLE_CMDS=("${CMDS[@]}")
single_cmds "$STORE" "$TYPICAL_TOKEN_SQLITE"; SINGLE_SQLITE=("${CMDS[@]}")  # the same on SQLite, side by side
for c in "${SINGLE_CMDS[@]}" "${SINGLE_SQLITE[@]}"; do
    read -ra words <<<"$c"
    "${words[@]}" >/dev/null || die "failed (exit $?): $c"
done
SAVED_RUNS=$RUNS
SINGLE_RUNS=$((RUNS < 20 ? 20 : RUNS))
RUNS=$SINGLE_RUNS
HYPERFINE_EXTRA=(-N)
specs=()
for i in "${!SINGLE_CMDS[@]}"; do specs+=("pg$i=${SINGLE_CMDS[$i]}" "sqlite$i=${SINGLE_SQLITE[$i]}"); done
time_cmds pg-single "" "${specs[@]}"
S=("${MEDIAN[@]}"); SS=("${SPREAD[@]}")
HYPERFINE_EXTRA=()
RUNS=$SAVED_RUNS

# ---- 4. purge ------------------------------------------------------------------------------------
TARGETS=$CSV_DIR/purge-targets.csv
N=$(($(wc -l <"$TARGETS") - 1))
log "4. purge-user of $N targets ($RUNS runs, a fresh database copy before each)"
RUN_DB=$(db_uri mcidbench_run)
PURGE_SQL=$RESULTS/pg-purge.sql
cat >"$PURGE_SQL" <<EOF
\\set ON_ERROR_STOP on
BEGIN;
CREATE TEMP TABLE targets(email text);
\\copy targets FROM '$TARGETS' (FORMAT csv, HEADER)
CREATE TEMP TABLE ids(id bigint PRIMARY KEY);
INSERT INTO ids SELECT u.id FROM targets t JOIN users u ON lower(u.email) = lower(t.email)
 WHERE u.status <> 'deleted' AND u.org_id = (SELECT id FROM orgs WHERE mpn_id = '1000001') ON CONFLICT DO NOTHING;
ANALYZE ids;
CREATE TEMP TABLE gone AS SELECT org_id, competency, ends_at, count(*) AS n FROM competency_periods
 WHERE user_id IN (SELECT id FROM ids) GROUP BY 1, 2, 3;
DELETE FROM competency_ends e USING gone g
 WHERE e.org_id = g.org_id AND e.competency = g.competency AND e.ends_at = g.ends_at AND e.periods = g.n;
UPDATE competency_ends e SET periods = e.periods - g.n FROM gone g
 WHERE e.org_id = g.org_id AND e.competency = g.competency AND e.ends_at = g.ends_at;
DELETE FROM competency_periods WHERE user_id IN (SELECT id FROM ids);
DELETE FROM links WHERE user_id IN (SELECT id FROM ids);
DELETE FROM university_links WHERE user_id IN (SELECT id FROM ids);
DELETE FROM sessions WHERE user_id IN (SELECT id FROM ids);
UPDATE users SET status = 'deleted', deleted_at = extract(epoch FROM now())::bigint, invite_code_hash = NULL,
       invite_expires_at = NULL
 WHERE id IN (SELECT id FROM ids);
COMMIT;
EOF
purge_state() {
    psql -XAtq -F ' ' -d "$RUN_DB" -c "SELECT (SELECT count(*) FROM users WHERE status = 'deleted'),
        (SELECT count(*) FROM links), (SELECT count(*) FROM university_links), (SELECT count(*) FROM sessions),
        (SELECT count(*) FROM competency_periods), (SELECT sum(periods) FROM competency_ends),
        (SELECT sum(n) FROM org_user_counts WHERE status = 'deleted')"
}
PREPARE=$(recreate_cmd mcidbench_run mcidbench)
CMD_A="MCIDCTL_TOKEN=$ADMIN_TOKEN $MCIDCTL --db '$RUN_DB' purge-user --from $TARGETS --yes --format csv -q"
CMD_B="psql -XAq -d '$RUN_DB' -f $PURGE_SQL"
bash -c "$PREPARE" >/dev/null
PURGE_BEFORE=$(purge_state)
bash -c "$CMD_A" >"$RESULTS/pg-purge-results.csv"
PURGE_AFTER_A=$(purge_state)
PURGE_OUTCOMES=$(tail -n +2 "$RESULTS/pg-purge-results.csv" | cut -d, -f2 | sort | uniq -c | awk '{ printf "%s%s %s", sep, $2, $1; sep = ", " }')
bash -c "$PREPARE" >/dev/null
bash -c "$CMD_B"
PURGE_AFTER_B=$(purge_state)
[[ $PURGE_AFTER_A == "$PURGE_AFTER_B" ]] && PURGE_SAME=same || PURGE_SAME=DIFFERENT
log "purge state: $PURGE_SAME"
time_cmds pg-purge "$PREPARE" "mcidctl=$CMD_A" "psql=$CMD_B"
P=("${MEDIAN[@]}"); PS=("${SPREAD[@]}"); PC=("${CPU[@]}")
bash -c "$PREPARE" >/dev/null
PURGE_RSS=$(MCIDCTL_TOKEN=$ADMIN_TOKEN peak_rss_mb "$MCIDCTL" --db "$RUN_DB" purge-user --from "$TARGETS" --yes --format csv -q)
admin_sql "DROP DATABASE mcidbench_run" >/dev/null

# ---- 5. registry import --------------------------------------------------------------------------
CSV=$CSV_DIR/credentials.csv
IMPORT_ROWS=$(($(wc -l <"$CSV") - 1))
log "5. registry import --kind credentials of $IMPORT_ROWS rows ($IMPORT_RUNS run(s))"
BASE_DB=$(db_uri mcidbench_import_base)
recreate mcidbench_import_base
printf '%s\n' "$BENCH_OPERATOR_PASSWORD" | "$MCIDCTL" --db "$BASE_DB" init --operator "$BENCH_OPERATOR" --password-stdin -q
IMPORT_TOKEN=$(printf '%s\n' "$BENCH_OPERATOR_PASSWORD" |
    "$MCIDCTL" --db "$BASE_DB" login "$BENCH_OPERATOR" --password-stdin --print-token --ttl 1d -q)
MCIDCTL_TOKEN=$IMPORT_TOKEN "$MCIDCTL" --db "$BASE_DB" registry import "$CSV_DIR/profiles.csv" --kind profiles -q
psql -XAq -d "$BASE_DB" -c "VACUUM (ANALYZE)"
IMPORT_PREPARE=$(recreate_cmd mcidbench_run mcidbench_import_base)
read -r IMP_A_WALL IMP_A_CPU IMP_A_RSS < <(best_of "$IMPORT_RUNS" import \
    "MCIDCTL_TOKEN=$IMPORT_TOKEN $MCIDCTL --db '$RUN_DB' registry import $CSV --kind credentials -q" "$IMPORT_PREPARE")
IMPORTED_A=$(psql -XAtq -d "$RUN_DB" -c "SELECT count(*) FROM credentials")
read -r IMP_B_WALL IMP_B_CPU IMP_B_RSS < <(best_of "$IMPORT_RUNS" import-copy \
    "psql -XAq -v ON_ERROR_STOP=1 -d '$RUN_DB' -c 'CREATE TABLE plain_credentials(mcid text, code text, title text, type text, passed_on text, expires_on text)' -c \"\\\\copy plain_credentials FROM '$CSV' (FORMAT csv, HEADER)\"" \
    "$IMPORT_PREPARE")
IMPORTED_B=$(psql -XAtq -d "$RUN_DB" -c "SELECT count(*) FROM plain_credentials")
admin_sql "DROP DATABASE mcidbench_run" >/dev/null
admin_sql "DROP DATABASE mcidbench_import_base" >/dev/null

# ---- results -------------------------------------------------------------------------------------
RC=$(ratio "$COPY_WALL" "$DUMP_WALL"); R1=$(ratio "${L[0]}" "${L[1]}"); R2=$(ratio "${G[0]}" "${G[1]}")
RP=$(ratio "${P[0]}" "${P[1]}"); RI=$(ratio "$IMP_A_WALL" "$IMP_B_WALL")
{
    echo "## The server store: PostgreSQL $(psql -XAtq -d "$SERVER" -c 'SHOW server_version' | cut -d' ' -f1) (SCALE ${SCALE:-?})"
    echo
    echo "Server: $(psql -XAtq -d "$SERVER" -c "SELECT 'shared_buffers ' || current_setting('shared_buffers') || ', fsync ' ||
        current_setting('fsync') || ', synchronous_commit ' || current_setting('synchronous_commit') || ', work_mem ' ||
        current_setting('work_mem')"), unix socket, same machine. Each ratio is mcidctl / its baseline."
    echo
    echo "### 1. db copy (the SQLite store into an empty database)"
    echo
    echo "| | wall (s) | CPU (s) | peak RSS (MB) |"
    echo "|---|---:|---:|---:|"
    table_row "mcidctl db copy (median of $COPY_RUNS)" "$COPY_WALL" "$COPY_CPU" "$COPY_RSS"
    table_row "pg_dump \| psql of that copy into another database" "$DUMP_WALL" "$DUMP_CPU (pg_dump + psql, not the server)" "$DUMP_RSS"
    echo
    echo "Ratio $RC (target ≤ 2): $(verdict "$RC" 2). Rows (users, credentials, links, associations, audit up to"
    echo "row $LAST, competency periods, sessions) and row $LAST's hash: SQLite $COUNTS_SQLITE, server $COUNTS_PG: $COPY_SAME."
    echo "\`audit verify\` of the copy ($AUDIT_ROWS rows): ${VERIFY_WALL} s."
    echo
    echo "### 2. report skills --format csv"
    echo
    echo "| case | command | rows | wall (s) | CPU (s) | wall ratio |"
    echo "|---|---|---:|---:|---:|---:|"
    pg_case() {  # LABEL ROWS_A ROWS_B ROWS_J then 3 medians, 3 spreads, 3 CPUs
        local label=$1 ra=$2 rb=$3 rj=$4
        shift 4
        local m=("$1" "$2" "$3") s=("$4" "$5" "$6") c=("$7" "$8" "$9")
        table_row "$label" "mcidctl report skills --format csv" "$ra" "$(secs "${m[0]}") ($(span "${s[0]}"))" "$(secs "${c[0]}")" ""
        table_row "" "psql, COPY (skills-pg.sql) TO STDOUT" "$rb" "$(secs "${m[1]}") ($(span "${s[1]}"))" "$(secs "${c[1]}")" \
            "**$(ratio "${m[0]}" "${m[1]}")**"
        table_row "" "psql, COPY of the report's joins only" "$rj" "$(secs "${m[2]}") ($(span "${s[2]}"))" "$(secs "${c[2]}")" \
            "$(ratio "${m[0]}" "${m[2]}")"
    }
    pg_case "largest organization (1000001), its Global Admin" "$ROWS_LARGEST_A" "$ROWS_LARGEST_B" "$ROWS_LARGEST_J" \
        "${L[@]}" "${LS[@]}" "${LC[@]}"
    pg_case "all organizations, operator" "$ROWS_ALL_A" "$ROWS_ALL_B" "$ROWS_ALL_J" "${G[@]}" "${GS[@]}" "${GC[@]}"
    echo
    echo "$RUNS runs each after a warm-up run; CPU is the client's (mcidctl or psql), not the server's."
    echo "Target ≤ 1.5: largest organization $R1 $(verdict "$R1" 1.5), all organizations $R2 $(verdict "$R2" 1.5)."
    echo "Baseline check on organization 1000002 (CSV parsed, rows sorted, formula guard off): $SAME."
    echo "Peak RSS, all organizations ($ROWS_ALL_A rows): mcidctl $RSS_ALL MB ($(python3 -c "import sys; print('pass' if float(sys.argv[1]) <= 64 else 'MISS')" "$RSS_ALL") ≤ 64 MB),"
    echo "psql $RSS_ALL_B MB; the largest organization as JSON: $RSS_LARGEST_JSON MB."
    echo
    echo "### 3. Single commands (median of $SINGLE_RUNS runs, hyperfine -N)"
    echo
    echo "| command | server store (ms) | min–max (ms) | SQLite store (ms) | target ≤ 20 ms |"
    echo "|---|---:|---:|---:|---|"
    for i in "${!SINGLE_NAMES[@]}"; do
        table_row "${SINGLE_NAMES[$i]}" "$(ms "${S[$((2 * i))]}")" "$(span_ms "${SS[$((2 * i))]}")" "$(ms "${S[$((2 * i + 1))]}")" \
            "$(verdict "${S[$((2 * i))]}" 0.020)"
    done
    echo
    echo "### 4. purge-user --from FILE --yes ($N targets)"
    echo
    echo "| | wall median (s) | min–max (s) | CPU (s) | peak RSS (MB) |"
    echo "|---|---:|---:|---:|---:|"
    table_row "mcidctl purge-user --from FILE --yes --format csv" "$(secs "${P[0]}")" "$(span "${PS[0]}")" "$(secs "${PC[0]}")" "$PURGE_RSS"
    table_row "psql -f pg-purge.sql (set-based, one transaction)" "$(secs "${P[1]}")" "$(span "${PS[1]}")" "$(secs "${PC[1]}")" ""
    echo
    echo "Ratio $RP (target ≤ 2): $(verdict "$RP" 2). mcidctl outcomes: $PURGE_OUTCOMES. State (deleted users,"
    echo "links, university links, sessions, competency periods, sum of competency_ends, deleted in org_user_counts):"
    echo "before $PURGE_BEFORE; after mcidctl $PURGE_AFTER_A; after the script $PURGE_AFTER_B: $PURGE_SAME."
    echo
    echo "### 5. registry import --kind credentials ($IMPORT_ROWS rows, into a store holding the profiles)"
    echo
    echo "| | wall (s) | CPU (s) | peak RSS (MB) | rows stored |"
    echo "|---|---:|---:|---:|---:|"
    table_row "mcidctl registry import (median of $IMPORT_RUNS)" "$IMP_A_WALL" "$IMP_A_CPU" "$IMP_A_RSS" "$IMPORTED_A"
    table_row "psql \\copy into a plain table" "$IMP_B_WALL" "$IMP_B_CPU" "$IMP_B_RSS" "$IMPORTED_B"
    echo
    echo "Ratio $RI (target ≤ 3): $(verdict "$RI" 3)."
    machine_info
} | tee "$RESULTS/postgres.md"
