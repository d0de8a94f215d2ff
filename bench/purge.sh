#!/usr/bin/env bash
# purge.sh STORE: `purge-user --from FILE --yes` of the generator's purge-targets.csv (100,000
# emails of organization 1000001 at SCALE 1.0, shuffled), run by that organization's Global
# Admin, against the same changes written as one SQL script run by the sqlite3 shell.
#
# The baseline (purge.sql in the results folder) is a hand-written set-based script making the
# same changes in one transaction: the target emails into a temporary table (.import), their
# user ids into another, then one statement each for the competency_ends counts, the
# competency periods, links, university links, sessions, and the users rows marked deleted. It
# writes no audit rows and checks no roles: mcidctl does both (one hash-chained audit row per
# target). The state after each side is compared. Each run works on a fresh copy of STORE
# (copied and synced before the run, not timed). Medians of RUNS runs.
# Target (issue 14): ratio <= 2.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
need sqlite3 python3
store_paths "${1:-}"
[[ -f $STORE ]] || die "no store at $STORE (run bench/generate.sh first)"
TARGETS=$CSV_DIR/purge-targets.csv
[[ -f $TARGETS ]] || die "no $TARGETS (run bench/generate.sh first)"
N=$(($(wc -l <"$TARGETS") - 1))
checkpoint "$STORE"
ADMIN_TOKEN=$(admin_token)
RUN=$WORK/purge-run.db
SQL=$RESULTS/purge.sql

write_purge_sql "$SQL" "$TARGETS"

PREPARE="rm -f $RUN-wal $RUN-shm && cp --sparse=never $STORE $RUN && sync"
CMD_A="MCIDCTL_TOKEN=$ADMIN_TOKEN $MCIDCTL --db $RUN purge-user --from $TARGETS --yes --format csv -q"
CMD_B="sqlite3 $RUN < $SQL"

# Both sides must make the same changes: compare what is left.
state() {
    sqlite3 -separator ' ' "$RUN" "SELECT (SELECT count(*) FROM users WHERE status = 'deleted'),
        (SELECT count(*) FROM links), (SELECT count(*) FROM university_links), (SELECT count(*) FROM sessions),
        (SELECT count(*) FROM competency_periods), (SELECT sum(periods) FROM competency_ends)"
}
log "checking that both sides make the same changes"
bash -c "$PREPARE"
BEFORE=$(state)
bash -c "$CMD_A" >"$RESULTS/purge-results.csv"
AFTER_A=$(state)
OUTCOMES=$(tail -n +2 "$RESULTS/purge-results.csv" | cut -d, -f2 | sort | uniq -c | awk '{ printf "%s%s %s", sep, $2, $1; sep = ", " }')
bash -c "$PREPARE"
bash -c "$CMD_B"
AFTER_B=$(state)
[[ $AFTER_A == "$AFTER_B" ]] && SAME="same" || SAME="DIFFERENT"

log "timing ($N targets, $RUNS runs each)"
time_cmds purge "$PREPARE" "mcidctl=$CMD_A" "sqlite3=$CMD_B"
R=$(ratio "${MEDIAN[0]}" "${MEDIAN[1]}")

log "peak RSS"
bash -c "$PREPARE"
RSS_A=$(MCIDCTL_TOKEN=$ADMIN_TOKEN peak_rss_mb "$MCIDCTL" --db "$RUN" purge-user --from "$TARGETS" --yes --format csv -q)
bash -c "$PREPARE"
RSS_B=$(peak_rss_mb sqlite3 "$RUN" ".read $SQL")
rm -f "$RUN" "$RUN-wal" "$RUN-shm"

{
    echo "## purge-user --from FILE --yes (SCALE ${SCALE:-?})"
    echo
    echo "$N emails of organization 1000001 ($(sqlite3 "$STORE" "SELECT count(*) FROM users u JOIN orgs o ON o.id = u.org_id WHERE o.mpn_id = '1000001'") users) in a store of"
    echo "$(sqlite3 "$STORE" 'SELECT count(*) FROM users') users; a fresh, synced copy before every run (not timed); $RUNS runs each."
    echo
    echo "| | wall median (s) | min–max (s) | CPU (s) | targets/s | peak RSS (MB) |"
    echo "|---|---:|---:|---:|---:|---:|"
    table_row "mcidctl purge-user --from FILE --yes --format csv" "$(secs "${MEDIAN[0]}")" "$(span "${SPREAD[0]}")" "$(secs "${CPU[0]}")" \
        "$(python3 -c "import sys; print(f'{int(sys.argv[1]) / float(sys.argv[2]):,.0f}')" "$N" "${MEDIAN[0]}")" "$RSS_A"
    table_row "sqlite3 < purge.sql (set-based, one transaction)" "$(secs "${MEDIAN[1]}")" "$(span "${SPREAD[1]}")" "$(secs "${CPU[1]}")" \
        "$(python3 -c "import sys; print(f'{int(sys.argv[1]) / float(sys.argv[2]):,.0f}')" "$N" "${MEDIAN[1]}")" "$RSS_B"
    echo
    if [[ -n ${CPU[0]} ]]; then echo "CPU: mean user + system time. CPU ratio $(ratio "${CPU[0]}" "${CPU[1]}")."; fi
    echo "Wall ratio $R (target ≤ 2): $(verdict "$R" 2)."
    echo
    echo "mcidctl outcomes: $OUTCOMES. State (deleted users, links, university_links, sessions, competency periods,"
    echo "sum of competency_ends): before $BEFORE;"
    echo "after mcidctl $AFTER_A; after the SQL script $AFTER_B: $SAME."
    machine_info
} | tee "$RESULTS/purge.md"
