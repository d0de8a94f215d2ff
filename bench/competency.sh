#!/usr/bin/env bash
# competency.sh STORE: what keeping competency status current costs, on the big store. The
# commands that recompute it, each idempotent, so they run on STORE itself:
#   db rebuild                          every linked individual's periods (900,000 at SCALE 1.0)
#   competency define (same definition) one competency's periods, for every individual
#   config set reflection.new           every period (a reflection delay moves all of them): set to
#                                       one day more, then back, so two rebuilds per run (setting
#                                       the value it already has rebuilds nothing)
# once, `registry import --kind credentials` of the generator's whole credentials.csv into STORE
# itself (a nightly re-feed: nothing changes, but every linked account's status is refreshed;
# compare with import.sh, where no profile is linked), and, for reference,
# `report competencies` for organization 1000001 counted from the
# credentials (what the report did before schema 2, and still does on a store not yet rebuilt)
# against the kept status. Medians of RUNS runs (at least 3) after a warm-up run.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
open_bench_store "${1:-}"
(( RUNS < 3 )) && RUNS=3
O="env MCIDCTL_TOKEN=$OPERATOR_TOKEN $MCIDCTL --db $STORE -q"
A="env MCIDCTL_TOKEN=$ADMIN_TOKEN $MCIDCTL --db $STORE"
DEFINITION=$(sqlite3 "$STORE" "SELECT k.name || '|' || group_concat(c.code, ',') || '|' || k.individuals
  FROM competencies k JOIN competency_codes c ON c.competency = k.name WHERE k.name = 'Azure Developer' GROUP BY k.name")
[[ -n $DEFINITION ]] || die "no competency 'Azure Developer' in $STORE (run bench/generate.sh)"
IFS='|' read -r C_NAME C_CODES C_N <<<"$DEFINITION"
REFLECTION_NEW=$($O config get reflection.new)
HYPERFINE_EXTRA=(-N)

OTHER=$(( ${REFLECTION_NEW%d} + 1 ))d
[[ $REFLECTION_NEW == *d ]] || die "reflection.new is $REFLECTION_NEW; the script expects days (NNd)"
NAMES=("db rebuild" "competency define '$C_NAME' (same definition)"
       "config set reflection.new $OTHER, then $REFLECTION_NEW again (two rebuilds)")
CMDS=("$O db rebuild" "$O competency define \"$C_NAME\" --requires $C_CODES --individuals $C_N"
      "bash -c '$O config set reflection.new $OTHER && $O config set reflection.new $REFLECTION_NEW'")
log "timing the rebuilds ($RUNS runs each)"
specs=()
for i in "${!CMDS[@]}"; do specs+=("c$i=${CMDS[$i]}"); done
time_cmds competency-rebuild "" "${specs[@]}"
R_MEDIAN=("${MEDIAN[@]}"); R_SPREAD=("${SPREAD[@]}"); R_CPU=("${CPU[@]}")
RSS_REBUILD=$(MCIDCTL_TOKEN=$OPERATOR_TOKEN peak_rss_mb "$MCIDCTL" --db "$STORE" -q db rebuild)
ROWS=$(sqlite3 "$STORE" "SELECT (SELECT count(*) FROM competency_periods) || ' periods, ' || (SELECT count(*) FROM competency_ends) || ' end rows'")

log "registry import --kind credentials into the full store (once)"
REFEED=$(mktemp)
/usr/bin/time -f "%e %U %S %M" -o "$REFEED" env MCIDCTL_TOKEN="$OPERATOR_TOKEN" "$MCIDCTL" --db "$STORE" -q \
    registry import "$CSV_DIR/credentials.csv" --kind credentials || die "the re-feed failed"
read -r REFEED_WALL REFEED_USER REFEED_SYS REFEED_KB <"$REFEED"
rm -f "$REFEED"
checkpoint "$STORE"

# The report both ways: mark the kept status stale for one run set, then rebuild.
log "report competencies: kept status, then counted from the credentials"
$A report competencies --format csv >"$RESULTS/competencies-kept.csv"
time_cmds competency-report-kept "" "kept=$A report competencies --format csv"
K_MEDIAN=${MEDIAN[0]}; K_CPU=${CPU[0]}
sqlite3 "$STORE" "INSERT OR IGNORE INTO derived_stale(name) VALUES ('competency_periods')"
$A report competencies --format csv >"$RESULTS/competencies-counted.csv"
time_cmds competency-report-counted "" "counted=$A report competencies --format csv"
C_MEDIAN=${MEDIAN[0]}; C_CPU=${CPU[0]}
$O db rebuild
SAME=no
cmp -s "$RESULTS/competencies-kept.csv" "$RESULTS/competencies-counted.csv" && SAME=yes

{
    echo "## Keeping competency status current (SCALE ${SCALE:-?})"
    echo
    echo "$RUNS runs each after a warm-up run (hyperfine -N). The store holds $ROWS."
    echo
    echo "| command | median (s) | min–max (s) | CPU (s) |"
    echo "|---|---:|---:|---:|"
    for i in "${!CMDS[@]}"; do
        table_row "${NAMES[$i]}" "$(secs "${R_MEDIAN[$i]}")" "$(span "${R_SPREAD[$i]}")" "$(secs "${R_CPU[$i]}")"
    done
    echo
    echo "Peak RSS of db rebuild: $RSS_REBUILD MB."
    echo
    echo "registry import --kind credentials of $(($(wc -l <"$CSV_DIR/credentials.csv") - 1)) rows into this store (once; every linked"
    echo "account refreshed, nothing changed): ${REFEED_WALL} s wall, $(python3 -c "import sys; print(f'{float(sys.argv[1]) + float(sys.argv[2]):.2f}')" "$REFEED_USER" "$REFEED_SYS") s CPU, peak RSS $((REFEED_KB / 1024)) MB."
    echo
    echo "| report competencies, organization 1000001 | median (ms) | CPU (ms) |"
    echo "|---|---:|---:|"
    table_row "kept status (schema 2)" "$(ms "$K_MEDIAN")" "$(ms "$K_CPU")"
    table_row "counted from the credentials (schema 1, or not yet rebuilt)" "$(ms "$C_MEDIAN")" "$(ms "$C_CPU")"
    echo
    echo "Both give the same report: $SAME."
    machine_info
} | tee "$RESULTS/competency.md"
