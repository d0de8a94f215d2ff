#!/usr/bin/env bash
# import.sh STORE: `registry import --kind credentials` of the generator's credentials.csv
# (5,000,000 rows at SCALE 1.0) against `sqlite3 .import --csv` of the same file into a plain table.
#
# Both run on a fresh copy of a store that holds only the operator and the profiles
# (import-base.db beside STORE, built once with `mcidctl init` and `registry import --kind
# profiles`), copied before every run (not timed). Medians of RUNS runs (hyperfine --prepare).
# Also peak RSS of both (the import streams: memory must not grow with the file).
# Target (issue 6): ratio <= 3 (mcidctl validates every row; .import does not).
set -euo pipefail
source "$(dirname "$0")/lib.sh"
need sqlite3 python3
store_paths "${1:-}"
CSV=$CSV_DIR/credentials.csv
[[ -f $CSV && -f $CSV_DIR/profiles.csv ]] || die "no $CSV (run bench/generate.sh first)"
ROWS=$(($(wc -l <"$CSV") - 1))
BASE=$WORK/import-base.db
RUN=$WORK/import-run.db
TOKEN_FILE=$WORK/import-operator.token

if [[ ! -f $BASE || $BASE -ot $CSV_DIR/profiles.csv ]]; then
    log "building $BASE (init + registry import --kind profiles)"
    rm -f "$BASE" "$BASE-wal" "$BASE-shm" "$TOKEN_FILE"
    printf '%s\n' "$BENCH_OPERATOR_PASSWORD" | "$MCIDCTL" --db "$BASE" init --operator "$BENCH_OPERATOR" --password-stdin -q
    token=$(printf '%s\n' "$BENCH_OPERATOR_PASSWORD" |
        "$MCIDCTL" --db "$BASE" login "$BENCH_OPERATOR" --password-stdin --print-token --ttl 90d -q)
    (umask 077 && echo "$token" >"$TOKEN_FILE")
    MCIDCTL_TOKEN=$token "$MCIDCTL" --db "$BASE" registry import "$CSV_DIR/profiles.csv" --kind profiles -q
    checkpoint "$BASE"
fi
TOKEN=$(<"$TOKEN_FILE")
MCIDCTL_TOKEN=$TOKEN "$MCIDCTL" --db "$BASE" whoami >/dev/null 2>&1 ||
    die "the operator session of $BASE has expired: remove $BASE and run again"

PREPARE="rm -f $RUN-wal $RUN-shm && cp --sparse=never $BASE $RUN"
CMD_A="MCIDCTL_TOKEN=$TOKEN $MCIDCTL --db $RUN registry import $CSV --kind credentials -q"
CMD_B="sqlite3 $RUN \".import --csv $CSV plain_credentials\""

# Both sides must load every row.
log "checking row counts"
bash -c "$PREPARE"; bash -c "$CMD_A"
COUNT_A=$(sqlite3 "$RUN" "SELECT count(*) FROM credentials")
bash -c "$PREPARE"; bash -c "$CMD_B"
COUNT_B=$(sqlite3 "$RUN" "SELECT count(*) FROM plain_credentials")

log "timing ($ROWS rows, $RUNS runs each)"
time_cmds import "$PREPARE" "mcidctl=$CMD_A" "sqlite3=$CMD_B"
R=$(ratio "${MEDIAN[0]}" "${MEDIAN[1]}")

log "peak RSS"
bash -c "$PREPARE"
RSS_A=$(MCIDCTL_TOKEN=$TOKEN peak_rss_mb "$MCIDCTL" --db "$RUN" registry import "$CSV" --kind credentials -q)
bash -c "$PREPARE"
RSS_B=$(peak_rss_mb sqlite3 "$RUN" ".import --csv $CSV plain_credentials")
rm -f "$RUN" "$RUN-wal" "$RUN-shm"

{
    echo "## registry import --kind credentials (SCALE ${SCALE:-?})"
    echo
    echo "$ROWS rows ($(du -h --apparent-size "$CSV" | cut -f1) of CSV) into a store holding $(sqlite3 "$BASE" 'SELECT count(*) FROM profiles') profiles;"
    echo "a fresh copy of the store before every run (not timed). $RUNS runs each (hyperfine --prepare)."
    echo
    echo "| | rows loaded | wall median (s) | min–max (s) | CPU (s) | rows/s | peak RSS (MB) |"
    echo "|---|---:|---:|---:|---:|---:|---:|"
    table_row "mcidctl registry import --kind credentials" "$COUNT_A" "$(secs "${MEDIAN[0]}")" "$(span "${SPREAD[0]}")" "$(secs "${CPU[0]}")" \
        "$(python3 -c "import sys; print(f'{int(sys.argv[1]) / float(sys.argv[2]):,.0f}')" "$ROWS" "${MEDIAN[0]}")" "$RSS_A"
    table_row "sqlite3 .import --csv (plain table)" "$COUNT_B" "$(secs "${MEDIAN[1]}")" "$(span "${SPREAD[1]}")" "$(secs "${CPU[1]}")" \
        "$(python3 -c "import sys; print(f'{int(sys.argv[1]) / float(sys.argv[2]):,.0f}')" "$ROWS" "${MEDIAN[1]}")" "$RSS_B"
    echo
    if [[ -n ${CPU[0]} ]]; then echo "CPU: mean user + system time. CPU ratio $(ratio "${CPU[0]}" "${CPU[1]}")."; fi
    echo "Wall ratio $R (target ≤ 3): $(verdict "$R" 3)."
    machine_info
} | tee "$RESULTS/import.md"
