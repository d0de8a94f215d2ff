#!/usr/bin/env bash
# single.sh STORE: single commands on the big store, with a session token (MCIDCTL_TOKEN), so no
# password hashing is timed. Median of max(RUNS, 20) runs each, after a warm-up run
# (hyperfine -N: no shell between hyperfine and mcidctl).
#   whoami                       the Global Admin of organization 1000001 (linked MCID, PU account, credentials)
#   user show EMAIL              a user of organization 1000001, by that Global Admin
#   report competencies          organization 1000001 (the largest), by its Global Admin
#   report competencies --org    a typical organization (~800 users), by the operator
#   --version                    process start-up alone, for reference
# Target (issue 6): median <= 20 ms each.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
open_bench_store "${1:-}"
(( RUNS < 20 )) && RUNS=20
HYPERFINE_EXTRA=(-N)
TYPICAL=1000003
SHOW=u3@o1.example.com

A="env MCIDCTL_TOKEN=$ADMIN_TOKEN $MCIDCTL --db $STORE"
O="env MCIDCTL_TOKEN=$OPERATOR_TOKEN $MCIDCTL --db $STORE"
NAMES=("whoami (Global Admin of 1000001)" "user show $SHOW" "report competencies (1000001, $(sqlite3 "$STORE" "SELECT count(*) FROM users u JOIN orgs o ON o.id = u.org_id WHERE o.mpn_id = '1000001'") users)"
       "report competencies --org $TYPICAL ($(sqlite3 "$STORE" "SELECT count(*) FROM users u JOIN orgs o ON o.id = u.org_id WHERE o.mpn_id = '$TYPICAL'") users)" "mcidctl --version (start-up only)")
CMDS=("$A whoami" "$A user show $SHOW" "$A report competencies" "$O report competencies --org $TYPICAL" "$MCIDCTL --version")

for c in "${CMDS[@]}"; do
    bash -c "$c" >/dev/null || die "failed (exit $?): $c"
done
log "timing ($RUNS runs each)"
specs=()
for i in "${!CMDS[@]}"; do specs+=("c$i=${CMDS[$i]}"); done
time_cmds single "" "${specs[@]}"

log "peak RSS"
RSS=()
RSS+=("$(MCIDCTL_TOKEN=$ADMIN_TOKEN peak_rss_mb "$MCIDCTL" --db "$STORE" whoami)")
RSS+=("$(MCIDCTL_TOKEN=$ADMIN_TOKEN peak_rss_mb "$MCIDCTL" --db "$STORE" user show "$SHOW")")
RSS+=("$(MCIDCTL_TOKEN=$ADMIN_TOKEN peak_rss_mb "$MCIDCTL" --db "$STORE" report competencies)")
RSS+=("$(MCIDCTL_TOKEN=$OPERATOR_TOKEN peak_rss_mb "$MCIDCTL" --db "$STORE" report competencies --org "$TYPICAL")")
RSS+=("$(peak_rss_mb "$MCIDCTL" --version)")

{
    echo "## Single commands (SCALE ${SCALE:-?})"
    echo
    echo "Session token in MCIDCTL_TOKEN (no password hashing); $RUNS runs each after a warm-up run (hyperfine -N)."
    echo
    echo "| command | median (ms) | min–max (ms) | CPU (ms) | target | result | peak RSS (MB) |"
    echo "|---|---:|---:|---:|---:|---|---:|"
    for i in "${!CMDS[@]}"; do
        if (( i == ${#CMDS[@]} - 1 )); then
            table_row "${NAMES[$i]}" "$(ms "${MEDIAN[$i]}")" "$(span_ms "${SPREAD[$i]}")" "$(ms "${CPU[$i]}")" "" "" "${RSS[$i]}"
        else
            table_row "${NAMES[$i]}" "$(ms "${MEDIAN[$i]}")" "$(span_ms "${SPREAD[$i]}")" "$(ms "${CPU[$i]}")" "≤ 20" \
                "$(verdict "${MEDIAN[$i]}" 0.020)" "${RSS[$i]}"
        fi
    done
    machine_info
} | tee "$RESULTS/single.md"
