#!/usr/bin/env bash
# contention.sh STORE [PATTERN]: how long another admin's single-record write waits while a batch runs
# (issue 14: no write from another process may wait more than 1.5 s, and none may fail).
#
# For each batch, a writer loop in another process runs `user invite` (one short write: a
# Global Admin of organization 1000002 inviting a new address) back to back for as long as the
# batch runs, and records each invite's wall time. The table gives the batch's own time, how
# many invites ran, how many failed, and the slowest. An idle store is the control row. The
# batches run on a copy of STORE (copied and synced first, not timed):
#   purge-user --from purge-targets.csv --yes   (100,000 emails, one transaction by contract)
#   purge-user of the file's first 10,000 targets   (the batch size the guides advise)
#   the same purge as purge.sh's set-based SQL script (the floor for one transaction)
#   purge-user --from purge-targets.csv --dry-run
#   competency define (same definition)          (its codes' holders only)
#   db rebuild                                   (steps of 5,000 users)
#   registry import --kind credentials           (the generator's 5,000,000 rows: chunks of 50,000)
# With PATTERN (a grep -E pattern), only the batches whose name matches, and the control.
#
# contention.sh --postgres STORE [PATTERN]: the same on the server store. STORE is copied once
# (`db copy`, then VACUUM ANALYZE) into the database mcidctl_contention_template of the server
# MCIDCTL_BENCH_PG (a libpq URI of its `postgres` database, as a role that may create databases;
# without it, a throwaway cluster of scripts/with-postgres.sh, fsync off); each batch runs on a
# fresh CREATE DATABASE ... TEMPLATE copy of it. The template is kept between runs: drop it to
# copy the store again (a binary of an older schema cannot open a template a newer one made). The
# set-based SQL script is SQLite's and is left out.
set -euo pipefail
SERVER=""
if [[ ${1:-} == --postgres ]]; then
    shift
    if [[ -z ${MCIDCTL_BENCH_PG:-} ]]; then
        if [[ -z ${MCIDCTL_TEST_PG:-} ]]; then
            exec "$(dirname "$0")/../scripts/with-postgres.sh" "$0" --postgres "$@"
        fi
        MCIDCTL_BENCH_PG=$MCIDCTL_TEST_PG
    fi
    SERVER=$MCIDCTL_BENCH_PG
fi
source "$(dirname "$0")/lib.sh"
open_bench_store "${1:-}"
ONLY=${2:-}
TARGETS=$CSV_DIR/purge-targets.csv
[[ -f $TARGETS ]] || die "no $TARGETS (run bench/generate.sh first)"
RUN=$WORK/contention-run.db
LAT=$WORK/contention-latencies.txt

# A Global Admin of organization 1000002 for the writer.
WRITER_EMAIL=$(sqlite3 "$STORE" "SELECT u.email FROM users u JOIN orgs o ON o.id = u.org_id
  WHERE o.mpn_id = '1000002' AND u.role = 'global-admin' AND u.status = 'active' ORDER BY u.id LIMIT 1")
[[ -n $WRITER_EMAIL ]] || die "no active Global Admin of organization 1000002 in $STORE"
WRITER_TOKEN=$(token_for "$WRITER_EMAIL" "$BENCH_PASSWORD" "$WORK/writer.token")

fresh_copy() { rm -f "$RUN" "$RUN-wal" "$RUN-shm" && cp --sparse=never "$STORE" "$RUN" && sync; }
KIND="a store file (SQLite)"
if [[ -n $SERVER ]]; then
    need psql
    [[ $SERVER == *"/postgres?"* ]] || die "MCIDCTL_BENCH_PG must name the postgres database: postgresql:///postgres?host=..."
    db_uri() { echo "${SERVER/\/postgres\?/\/$1?}"; }
    TEMPLATE=$(db_uri mcidctl_contention_template)
    RUN=$(db_uri mcidctl_contention_run)
    if [[ -z $(psql -XAtq -d "$SERVER" -c "SELECT 1 FROM pg_database WHERE datname = 'mcidctl_contention_template'") ]]; then
        log "copying $STORE to the server (once; kept as mcidctl_contention_template)"
        psql -XAq -v ON_ERROR_STOP=1 -d "$SERVER" -c "CREATE DATABASE mcidctl_contention_template"
        MCIDCTL_TOKEN=$OPERATOR_TOKEN "$MCIDCTL" --db "$STORE" db copy "$TEMPLATE" -q ||
            { psql -XAq -d "$SERVER" -c "DROP DATABASE mcidctl_contention_template"; die "db copy failed"; }
        psql -XAq -v ON_ERROR_STOP=1 -d "$TEMPLATE" -c "VACUUM (ANALYZE)"
    fi
    KIND="the server store (PostgreSQL $(psql -XAtq -d "$SERVER" -c 'SHOW server_version'))"
    fresh_copy() {
        psql -XAq -v ON_ERROR_STOP=1 -d "$SERVER" -c "DROP DATABASE IF EXISTS mcidctl_contention_run" \
            -c "CREATE DATABASE mcidctl_contention_run TEMPLATE mcidctl_contention_template"
    }
fi

# writer_loop STOPFILE: invites until STOPFILE exists; one line per invite: "ms rc".
writer_loop() {
    local stop=$1 i=0 t0 t1 rc
    : >"$LAT"
    while [[ ! -e $stop ]]; do
        t0=$(date +%s%N)
        MCIDCTL_TOKEN=$WRITER_TOKEN "$MCIDCTL" --db "$RUN" -q user invite "contention$i-$t0@o2.example.com" \
            --name "Contention $i" >/dev/null 2>>"$WORK/contention-errors.txt" && rc=0 || rc=$?
        t1=$(date +%s%N)
        echo "$(( (t1 - t0) / 1000000 )) $rc" >>"$LAT"
        i=$((i + 1))
    done
}

ROWS=()
# measure NAME CMD: runs CMD (a shell string) on a fresh copy while the writer loop runs.
measure() {
    local name=$1 cmd=$2 stop=$WORK/contention.stop wpid t0 t1 rc
    if [[ -n $ONLY && $name != idle* ]] && ! grep -qE -- "$ONLY" <<<"$name"; then
        return
    fi
    [[ -n $SERVER && $name == set-based* ]] && return  # SQLite's script
    fresh_copy
    rm -f "$stop"
    writer_loop "$stop" &
    wpid=$!
    sleep 0.5  # the writer is running before the batch starts
    t0=$(date +%s%N)
    bash -c "$cmd" >/dev/null 2>"$WORK/contention-batch.err" && rc=0 || rc=$?
    t1=$(date +%s%N)
    sleep 0.5
    touch "$stop"
    wait "$wpid"
    [[ $rc == 0 || $rc == 8 ]] || die "$name exited $rc: $(head -c 300 "$WORK/contention-batch.err")"
    local stats
    stats=$(python3 - "$LAT" <<'PY'
import sys
rows = [tuple(map(int, l.split())) for l in open(sys.argv[1]) if l.strip()]
ms = sorted(r[0] for r in rows)
failed = sum(1 for r in rows if r[1] != 0)
print(f"{len(rows)} {failed} {ms[len(ms) // 2] if ms else 0} {ms[-1] if ms else 0}")
PY
)
    read -r n failed median worst <<<"$stats"
    ROWS+=("$(table_row "$name" "$(python3 -c "import sys; print(f'{int(sys.argv[1]) / 1e9:.2f}')" $((t1 - t0)))" \
        "$n" "$failed" "$median" "$worst" "$(python3 -c "import sys; print('pass' if int(sys.argv[1]) == 0 and int(sys.argv[2]) <= 1500 else 'MISS')" "$failed" "$worst")")")
    log "$name: $(( (t1 - t0) / 1000000 )) ms; $n writes, $failed failed, median $median ms, slowest $worst ms"
}

DEFINITION=$(sqlite3 "$STORE" "SELECT k.name || '|' || group_concat(c.code, ',') || '|' || k.individuals
  FROM competencies k JOIN competency_codes c ON c.competency = k.name WHERE k.name = 'Azure Developer' GROUP BY k.name")
IFS='|' read -r C_NAME C_CODES C_N <<<"$DEFINITION"
A="MCIDCTL_TOKEN=$ADMIN_TOKEN $MCIDCTL --db '$RUN' -q"
O="MCIDCTL_TOKEN=$OPERATOR_TOKEN $MCIDCTL --db '$RUN' -q"

measure "idle store (control: sleep 5)" "sleep 5"
measure "purge-user --from FILE --yes (100,000)" "$A purge-user --from $TARGETS --yes --format csv"
head -n 10001 "$TARGETS" >"$WORK/purge-targets-10000.csv"
measure "purge-user --from FILE --yes (10,000: the batch size the guides advise)" \
    "$A purge-user --from $WORK/purge-targets-10000.csv --yes --format csv"
write_purge_sql "$WORK/contention-purge.sql" "$TARGETS"
measure "set-based SQL script making the same purge (purge.sh's baseline)" "sqlite3 $RUN < $WORK/contention-purge.sql"
measure "purge-user --from FILE --dry-run (100,000)" "$A purge-user --from $TARGETS --dry-run --format csv"
measure "competency define (same definition)" "$O competency define '$C_NAME' --requires $C_CODES --individuals $C_N"
measure "db rebuild" "$O db rebuild"
measure "registry import --kind credentials (5,000,000)" "$O registry import $CSV_DIR/credentials.csv --kind credentials"
if [[ -n $SERVER ]]; then
    psql -XAq -d "$SERVER" -c "DROP DATABASE IF EXISTS mcidctl_contention_run"
else
    rm -f "$RUN" "$RUN-wal" "$RUN-shm"
fi

{
    echo "## Other writers during batches (SCALE ${SCALE:-?}, $KIND)"
    echo
    echo "While each batch runs, another process runs \`user invite\` back to back (a Global Admin of another"
    echo "organization) and records each one's wall time. Target (issue 14): none fails, none waits over 1.5 s."
    echo
    echo "| batch | batch wall (s) | writes during it | failed | median write (ms) | slowest write (ms) | result |"
    echo "|---|---:|---:|---:|---:|---:|---|"
    printf '%s\n' "${ROWS[@]}"
    echo
    machine_info
} | tee "$RESULTS/contention${SERVER:+-postgres}.md"
