# Shared helpers of the benchmark scripts (sourced, not run).
#
# Environment:
#   MCIDCTL   the binary (default: build/mcidctl of this checkout)
#   RUNS      timed runs per command (default 5; single.sh uses at least 20)
#   RESULTS   folder for the result tables (default: results/ beside the store)
#   BENCH_NO_HYPERFINE=1  time with our own loop even when hyperfine is installed
set -euo pipefail

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_DIR=$(cd "$BENCH_DIR/.." && pwd)
MCIDCTL=${MCIDCTL:-$REPO_DIR/build/mcidctl}
RUNS=${RUNS:-5}
# The generator's passwords (benchmark stores only: never use these anywhere else).
BENCH_OPERATOR=op@bench.example.com
BENCH_OPERATOR_PASSWORD='bench-operator-password'
BENCH_PASSWORD='bench-user-password'   # every generated user, profile and PU account
HYPERFINE_EXTRA=()                      # more hyperfine options (single.sh: -N, no shell)

# Commands below never read or write the caller's own session file.
export MCIDCTL_SESSION=/nonexistent/mcidctl-bench-session
unset MCIDCTL_TOKEN MCIDCTL_FORMAT NO_COLOR

die() { echo "bench: error: $*" >&2; exit 1; }
log() { printf '[%s] %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }

need() {
    for tool in "$@"; do
        command -v "$tool" >/dev/null || die "$tool is not installed (apt-get install -y $tool)"
    done
    [[ -x $MCIDCTL ]] || die "no mcidctl binary at $MCIDCTL (build it, or set MCIDCTL)"
    [[ -x /usr/bin/time ]] || die "/usr/bin/time is missing (apt-get install -y time)"
}

# store_paths STORE: sets STORE (absolute), WORK (its folder), CSV_DIR, RESULTS, and loads layout.env.
store_paths() {
    [[ -n ${1:-} ]] || die "name the store: $(basename "$0") STORE"
    STORE=$(realpath -m "$1")
    WORK=$(dirname "$STORE")
    CSV_DIR=$WORK/csv
    RESULTS=${RESULTS:-$WORK/results}
    mkdir -p "$RESULTS"
    if [[ -f $CSV_DIR/layout.env ]]; then
        # shellcheck disable=SC1091
        source "$CSV_DIR/layout.env"
    fi
}

# token_for EMAIL PASSWORD FILE: prints a session token for EMAIL, reusing the one saved in FILE
# while it still works (login --ttl 90d; one Argon2id verification per 90 days).
token_for() {
    local email=$1 password=$2 file=$3 token=""
    if [[ -s $file ]]; then
        token=$(<"$file")
        if MCIDCTL_TOKEN=$token "$MCIDCTL" --db "$STORE" whoami >/dev/null 2>&1; then
            printf '%s\n' "$token"
            return
        fi
    fi
    token=$(printf '%s\n' "$password" | "$MCIDCTL" --db "$STORE" login "$email" --password-stdin --print-token --ttl 90d -q)
    (umask 077 && printf '%s\n' "$token" >"$file")
    printf '%s\n' "$token"
}

operator_token() { token_for "$BENCH_OPERATOR" "$BENCH_OPERATOR_PASSWORD" "$WORK/operator.token"; }
# The Global Admin of organization 1, the largest (user 1).
admin_email() { echo "u1@o1.example.com"; }
admin_token() { token_for "$(admin_email)" "$BENCH_PASSWORD" "$WORK/admin.token"; }

# checkpoint DB: folds the WAL into the file, so that copying DB alone copies the whole store.
checkpoint() { sqlite3 "$1" 'PRAGMA wal_checkpoint(TRUNCATE);' >/dev/null; }

# open_bench_store [STORE]: the generated store, checkpointed, with ADMIN_TOKEN and OPERATOR_TOKEN set
open_bench_store() {
  need sqlite3 python3
  store_paths "${1:-}"
  [[ -f $STORE ]] || die "no store at $STORE (run bench/generate.sh first)"
  checkpoint "$STORE"
  ADMIN_TOKEN=$(admin_token)
  OPERATOR_TOKEN=$(operator_token)
}

machine_info() {
    echo
    echo "### Machine"
    echo
    echo '```'
    echo "date:        $(date -u +%FT%TZ)"
    echo "cpu:         $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')"
    echo "nproc:       $(nproc)"
    echo "kernel:      $(uname -r)"
    echo "sqlite3:     $(sqlite3 --version | cut -d' ' -f1-2)"
    echo "mcidctl:     $("$MCIDCTL" --version 2>&1 | head -1) ($(realpath "$MCIDCTL"), sha256 $(sha256sum "$MCIDCTL" | cut -c1-12))"
    if [[ -f $MCIDCTL.source ]]; then
        echo "source:      $(<"$MCIDCTL.source")"
    else
        echo "source:      checkout $(git -C "$REPO_DIR" describe --always --dirty 2>/dev/null || echo unknown) (the binary may be older)"
    fi
    if [[ -z ${BENCH_NO_HYPERFINE:-} ]] && command -v hyperfine >/dev/null; then
        echo "timing:      $(hyperfine --version)"
    else
        echo "timing:      own loop (bench/lib.sh time_cmds), medians"
    fi
    echo "load avg:    $(cut -d' ' -f1-3 /proc/loadavg) (other work on the machine adds noise)"
    echo "disk:        $(df -h --output=source,fstype,size,avail "$WORK" | tail -1)"
    echo "free -g:"
    free -g | sed 's/^/  /'
    echo '```'
}

# time_cmds NAME PREPARE LABEL=CMD...: times shell commands RUNS times each (hyperfine when
# installed, else a loop of our own), PREPARE (may be empty) running before every run; without
# PREPARE one warm-up run comes first. Sets the arrays MEDIAN and SPREAD ("min-max") of wall
# time and CPU (mean user + system time; "" without hyperfine), seconds, in the order of the
# commands. CPU time is the steadier figure when other work shares the machine. The raw figures
# go to $RESULTS/NAME.json (or NAME.txt). The own loop runs each command through `bash -c`,
# which adds a few milliseconds: prefer hyperfine for single commands.
time_cmds() {
    local name=$1 prepare=$2 spec med spread cpu
    shift 2
    MEDIAN=(); SPREAD=(); CPU=()
    if [[ -z ${BENCH_NO_HYPERFINE:-} ]] && command -v hyperfine >/dev/null; then
        local json=$RESULTS/$name.json
        local args=(--runs "$RUNS" --export-json "$json" --style basic "${HYPERFINE_EXTRA[@]}")
        if [[ -n $prepare ]]; then
            args+=(--prepare "$prepare")
        else
            args+=(--warmup 1)
        fi
        for spec in "$@"; do args+=(-n "${spec%%=*}" "${spec#*=}"); done
        hyperfine "${args[@]}" >&2
        while read -r med spread cpu; do MEDIAN+=("$med"); SPREAD+=("$spread"); CPU+=("$cpu"); done < <(python3 -c '
import json, sys
for x in json.load(open(sys.argv[1]))["results"]:
    print("{:.4f} {:.4f}-{:.4f} {:.4f}".format(x["median"], x["min"], x["max"], x["user"] + x["system"]))' "$json")
    else
        local cmd i t0 t1 times
        : >"$RESULTS/$name.txt"
        for spec in "$@"; do
            cmd=${spec#*=}
            if [[ -z $prepare ]]; then bash -c "$cmd" >/dev/null 2>&1 || die "failed: $cmd"; fi
            times=()
            for ((i = 0; i < RUNS; i++)); do
                if [[ -n $prepare ]]; then bash -c "$prepare" >/dev/null 2>&1; fi
                t0=$(date +%s%N)
                bash -c "$cmd" >/dev/null 2>&1 || die "failed: $cmd"
                t1=$(date +%s%N)
                times+=("$(((t1 - t0) / 1000))")
            done
            echo "${spec%%=*}: ${times[*]} (microseconds)" >>"$RESULTS/$name.txt"
            read -r med spread < <(printf '%s\n' "${times[@]}" | python3 -c '
import statistics, sys
t = [int(x) / 1e6 for x in sys.stdin]
print(f"{statistics.median(t):.4f} {min(t):.4f}-{max(t):.4f}")')
            MEDIAN+=("$med"); SPREAD+=("$spread"); CPU+=("")
        done
    fi
}

# secs X -> seconds with 3 decimals; ms X -> X seconds in milliseconds, 1 decimal ("" stays "")
secs() { python3 -c "import sys; print(f'{float(sys.argv[1]):.3f}' if sys.argv[1] else '')" "${1:-}"; }
ms() { python3 -c "import sys; print(f'{float(sys.argv[1]) * 1000:.1f}' if sys.argv[1] else '')" "${1:-}"; }
# span "A-B" (seconds) -> "A–B" in seconds (3 decimals); span_ms -> in milliseconds
span() { python3 -c "import sys; a, b = sys.argv[1].split('-'); print(f'{float(a):.3f}–{float(b):.3f}')" "$1"; }
span_ms() { python3 -c "import sys; a, b = sys.argv[1].split('-'); print(f'{float(a) * 1000:.1f}–{float(b) * 1000:.1f}')" "$1"; }

# ratio A B -> "1.23"
ratio() { python3 -c "import sys; print(f'{float(sys.argv[1]) / float(sys.argv[2]):.2f}' if sys.argv[1] and sys.argv[2] else '')" "${1:-}" "${2:-}"; }
# verdict RATIO TARGET -> pass|MISS
verdict() { python3 -c "import sys; print('pass' if float(sys.argv[1]) <= float(sys.argv[2]) else 'MISS')" "$1" "$2"; }

# peak_rss_mb CMD...: runs CMD once (stdout to /dev/null) and prints its peak RSS in MB.
peak_rss_mb() {
    local out
    out=$(mktemp)
    /usr/bin/time -v "$@" >/dev/null 2>"$out" || { cat "$out" >&2; rm -f "$out"; die "failed: $*"; }
    awk -F: '/Maximum resident set size/ { printf "%.1f\n", $2 / 1024 }' "$out"
    rm -f "$out"
}

# same_rows A.csv B.csv: "same (N rows)" when both CSV files hold the same rows in any order, else
# "DIFFERENT (...)" with the first difference (a baseline must give the report's rows).
same_rows() {
    python3 - "$1" "$2" <<'EOF'
import csv, sys
a, b = (sorted(tuple(r) for r in csv.reader(open(p, newline="", encoding="utf-8"))) for p in sys.argv[1:3])
print(f"same ({len(a) - 1} rows)" if a == b else f"DIFFERENT ({len(a) - 1} vs {len(b) - 1} rows; first difference: "
      f"{next(((x, y) for x, y in zip(a, b) if x != y), 'length')})")
EOF
}

# table_row CELLS...: one markdown table row.
table_row() { printf '| %s ' "$@"; echo '|'; }

# write_purge_sql OUT TARGETS: the purge baseline (purge.sh): a hand-written set-based SQL script
# that makes the changes of `purge-user --from TARGETS --yes` by organization 1000001's Global
# Admin in one transaction, for the sqlite3 shell.
write_purge_sql() {
cat >"$1" <<EOF
.timeout 5000
CREATE TEMP TABLE targets(email TEXT COLLATE NOCASE);
.import --csv --skip 1 $2 targets
BEGIN IMMEDIATE;
CREATE TEMP TABLE ids(id INTEGER PRIMARY KEY);
INSERT OR IGNORE INTO ids SELECT u.id FROM targets t CROSS JOIN users u ON u.email = t.email
 WHERE u.status <> 'deleted' AND u.org_id = (SELECT id FROM orgs WHERE mpn_id = '1000001');
CREATE TEMP TABLE gone(org_id INTEGER, competency TEXT COLLATE NOCASE, ends_at INTEGER, n INTEGER,
                       PRIMARY KEY (org_id, competency, ends_at));
INSERT INTO gone SELECT org_id, competency, ends_at, count(*) FROM competency_periods
 WHERE user_id IN ids GROUP BY 1, 2, 3;
DELETE FROM competency_ends WHERE (org_id, competency, ends_at, periods) IN (SELECT org_id, competency, ends_at, n FROM gone);
UPDATE competency_ends AS e SET periods = e.periods - g.n FROM gone g
 WHERE e.org_id = g.org_id AND e.competency = g.competency AND e.ends_at = g.ends_at;
DELETE FROM competency_periods WHERE user_id IN ids;
DELETE FROM links WHERE user_id IN ids;
DELETE FROM university_links WHERE user_id IN ids;
DELETE FROM sessions WHERE user_id IN ids;
UPDATE users SET status = 'deleted', deleted_at = unixepoch(), invite_code_hash = NULL, invite_expires_at = NULL
 WHERE id IN ids;
COMMIT;
EOF
}
