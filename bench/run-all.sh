#!/usr/bin/env bash
# run-all.sh [STORE] [SCALE]: generates the store (or reuses it when it exists) and runs the
# benchmarks: report.sh, import.sh, purge.sh, single.sh, competency.sh, contention.sh.
#
#   bench/run-all.sh                                  # /tmp/mcidctl-bench/store.db at SCALE 1.0
#   bench/run-all.sh /tmp/small/store.db 0.01         # a small store, in seconds
#   RUNS=10 MCIDCTL=/opt/mcidctl bench/run-all.sh     # more runs; another binary
#
# The binary is copied beside the store first (mcidctl-under-test), so that a rebuild during the
# run cannot mix two binaries in one set of figures. Results: results/ beside the store, one
# markdown file per benchmark and ALL.md with all of them.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
need sqlite3 python3
STORE_ARG=${1:-/tmp/mcidctl-bench/store.db}
SCALE_ARG=${2:-1.0}
store_paths "$STORE_ARG"
mkdir -p "$WORK"
cp "$MCIDCTL" "$WORK/mcidctl-under-test"
echo "binary copied $(date -u +%FT%TZ) from $MCIDCTL (built $(date -u -r "$MCIDCTL" +%FT%TZ)); checkout then: $(git -C "$REPO_DIR" describe --always --dirty 2>/dev/null || echo unknown)" \
    >"$WORK/mcidctl-under-test.source"
export MCIDCTL=$WORK/mcidctl-under-test RESULTS RUNS

if [[ -f $STORE ]]; then
    log "reusing $STORE (remove it, and $CSV_DIR, to generate a new one)"
else
    "$BENCH_DIR/generate.sh" "$STORE" "$SCALE_ARG"
fi
for b in report import purge single competency contention; do
    log "== $b"
    "$BENCH_DIR/$b.sh" "$STORE"
done
{
    for f in generate report import purge single competency contention; do
        [[ -f $RESULTS/$f.md ]] && { cat "$RESULTS/$f.md"; echo; }
    done
} >"$RESULTS/ALL.md"
log "done: $RESULTS/ALL.md"
