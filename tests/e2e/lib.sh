#!/bin/bash
# Shared helpers for the end-to-end suites: each suite runs the built binary ($MCIDCTL_BIN)
# on a temporary store and checks stdout, stderr and the exit code. Source it.
set -u
M=${MCIDCTL_BIN:?set MCIDCTL_BIN to the mcidctl binary}
E2E_ROOT=$(mktemp -d "${TMPDIR:-/tmp}/mcid-e2e.XXXXXX")
trap 'rm -rf "$E2E_ROOT"' EXIT
PASS=0 FAIL=0

# fresh_env: a new store, session file, XDG folders; exports the variables mcidctl reads
fresh_env() {
  T=$(mktemp -d "$E2E_ROOT/case.XXXXXX")
  export MCIDCTL_DB=$T/store.db MCIDCTL_SESSION=$T/session XDG_STATE_HOME=$T/state \
         XDG_CONFIG_HOME=$T/config XDG_DATA_HOME=$T/data HOME=$T/home NO_COLOR=1
  unset MCIDCTL_TOKEN
  mkdir -p "$HOME"
  # On the server store (MCIDCTL_E2E_STORE=postgres, under scripts/with-postgres.sh): a new
  # database per case instead of the file.
  if [[ ${MCIDCTL_E2E_STORE:-} == postgres ]]; then
    local db="e2e_$$_${T##*.}"
    db=${db,,}
    psql -XAq "${MCIDCTL_TEST_PG:?run under scripts/with-postgres.sh}" -c "CREATE DATABASE \"$db\"" >/dev/null
    export MCIDCTL_DB=${MCIDCTL_TEST_PG/\/postgres\?/\/$db?}
  fi
}

ok()  { PASS=$((PASS+1)); [[ -n ${VERBOSE:-} ]] && echo "  ok: $1"; return 0; }
bad() { FAIL=$((FAIL+1)); echo "  FAIL: $1${2:+ — $2}"; return 0; }

# run CMD...: stdin from $IN (default empty); sets RC, OUT, ERR
run() { OUT=$("$@" <<<"${IN-}" 2>"$T/err"); RC=$?; ERR=$(cat "$T/err"); }
# expect CODE NAME CMD...: runs and checks the exit code
expect() {
  local want=$1 name=$2; shift 2
  run "$@"
  if [[ $RC == "$want" ]]; then ok "$name"; else bad "$name" "exit $RC, wanted $want; stderr: ${ERR:0:300}"; fi
}
# expect_err CODE REGEX NAME CMD...: exit code and an stderr line matching REGEX (grep -E, case-insensitive)
expect_err() {
  local want=$1 re=$2 name=$3; shift 3
  run "$@"
  if [[ $RC != "$want" ]]; then bad "$name" "exit $RC, wanted $want; stderr: ${ERR:0:300}"
  elif ! grep -qiE -- "$re" <<<"$ERR"; then bad "$name" "stderr lacks /$re/: ${ERR:0:300}"
  elif ! grep -q '^mcidctl: error: ' <<<"$ERR"; then bad "$name" "stderr lacks 'mcidctl: error: ': ${ERR:0:300}"
  else ok "$name"; fi
}
# on_server: true when the case's store is a PostgreSQL database, not a SQLite file
# The server store's write lock: the pg_advisory_xact_lock key every write takes (pg_store.cpp).
PG_WRITE_LOCK=1835231589
on_server() { [[ $MCIDCTL_DB == postgres* ]]; }
# store_sql QUERY: runs SQL on the case's store, SQLite file or PostgreSQL database alike
# (columns joined by '|'), waiting out a concurrent writer as a command would; store_dump: the
# whole store as SQL text.
store_sql() {
  if on_server; then psql -XAtq "$MCIDCTL_DB" -c "$1" 2>&1; else sqlite3 -cmd ".timeout 10000" "$MCIDCTL_DB" "$1" 2>&1; fi
}
# pg_dump_stable ARGS...: pg_dump without the random \restrict key it marks each dump with
# (Debian's 15.14 on), so that two dumps of the same data compare equal.
pg_dump_stable() { pg_dump "$@" 2>&1 | grep -Ev '^\\(un)?restrict '; }
# signal_midway SIGNAL DB PATTERN CMD...: runs CMD in the background and sends it SIGNAL once the
# test server shows a statement LIKE PATTERN running in database DB (a name); sets RC and ERR of
# CMD. Returns 0 when CMD was caught that way (seen running, and it did not end on its own).
signal_midway() {
  local signal=$1 db=$2 pattern=$3 pid seen=""
  shift 3
  "$@" >/dev/null 2>"$T/midway-err" &
  pid=$!
  for _ in $(seq 400); do
    if psql -XAtq "$MCIDCTL_TEST_PG" -c "select 1 from pg_stat_activity where datname = '$db' and query like '$pattern'" |
      grep -q 1; then
      seen=1
      break
    fi
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.01
  done
  kill "-$signal" "$pid" 2>/dev/null
  wait "$pid" 2>/dev/null
  RC=$?
  ERR=$(cat "$T/midway-err")
  [[ -n $seen && $RC != 0 ]]
}
# profiles_csv N FIRST: a profiles import file of N profiles, MCIDs from FIRST on (stdout)
profiles_csv() {
  python3 -c "
import sys
n, first = int(sys.argv[1]), int(sys.argv[2])
print('mcid,login,name')
for i in range(n): print(f'{first + i},p{i}@outlook.example,Person {i}')" "$1" "$2"
}
# db_name URI: the database a postgresql:///NAME?... URI names
db_name() { sed 's|^postgresql:///\([^?]*\)?.*|\1|' <<<"$1"; }
store_dump() {
  if on_server; then pg_dump_stable "$MCIDCTL_DB"
  else sqlite3 "$MCIDCTL_DB" .dump 2>&1; fi
}
# err_shape NAME: the last run printed nothing on stdout, and on stderr exactly one
# 'mcidctl: error: ' line, first, optionally followed by a single 'hint: ' line
err_shape() {
  local n first second
  n=$(printf '%s\n' "$ERR" | grep -c '')
  first=$(printf '%s\n' "$ERR" | sed -n 1p)
  second=$(printf '%s\n' "$ERR" | sed -n 2p)
  if [[ -n $OUT ]]; then bad "$1: stdout empty" "stdout: ${OUT:0:200}"
  elif [[ $first != 'mcidctl: error: '* ]]; then bad "$1: first stderr line is the error" "stderr: ${ERR:0:300}"
  elif (( n > 2 )) || { (( n == 2 )) && [[ $second != hint:* ]]; }; then bad "$1: one error line (+ one hint)" "stderr: ${ERR:0:300}"
  else ok "$1: error shape"; fi
}
check() { local name=$1; shift; if "$@"; then ok "$name"; else bad "$name"; fi; }
has()   { grep -qiE -- "$1" <<<"$2"; }
lacks() { ! grep -qiE -- "$1" <<<"$2"; }
# json EXPR: evaluates a python expression over the JSON document on stdin bound to d
json()  { python3 -c "import json,sys; d=json.load(sys.stdin); print(eval(sys.argv[1]))" "$1"; }
# csvq EXPR: evaluates a python expression over the CSV on stdin (rows = list of dicts, header = list)
csvq()  { python3 -c "
import csv,io,sys
t=sys.stdin.buffer.read().decode('utf-8-sig')
r=list(csv.reader(io.StringIO(t,newline='')))
header=r[0] if r else []
rows=[dict(zip(header,x)) for x in r[1:]]
print(eval(sys.argv[1]))" "$1"; }

summary() {
  echo "$PASS passed, $FAIL failed"
  [[ $FAIL == 0 ]]
}

# ---- a common world ------------------------------------------------------------
PW_OP='operator-pass-0001'
PW_GA='global-admin-pass-1'
PW_USER='user-password-0001'
PW_PROF='profile-password-01'
PW_PU='university-pass-001'

as_token() { printf '%s\n' "$2" | "$M" login "$1" --password-stdin --print-token --ttl 60d 2>/dev/null | tail -n1; }
code_of()  { json "d['code']"; }
# add_user ADMIN_TOKEN EMAIL NAME ROLE: invite and accept with $PW_USER
add_user() {
  local c
  c=$(MCIDCTL_TOKEN=$1 "$M" user invite "$2" --name "$3" --role "$4" --format json | code_of) || return 1
  printf '%s\n' "$PW_USER" | "$M" user accept "$2" --code "$c" --password-stdin >/dev/null 2>&1
}
# setup_world: operator (OP); Contoso 1234567 with GA (GA), alice user (ALICE), pat partner-admin (PAT);
# Fabrikam 7654321 with GA (GB) and bo user (BO). Tokens in those variables.
setup_world() {
  printf '%s\n' "$PW_OP" | "$M" init --operator op@example.com --password-stdin >/dev/null 2>&1 || return 1
  OP=$(as_token op@example.com "$PW_OP"); [[ -n $OP ]] || return 1
  local c
  c=$(MCIDCTL_TOKEN=$OP "$M" org enroll --mpn-id 1234567 --name Contoso --admin ga@contoso.com --format json | code_of) || return 1
  printf '%s\n' "$PW_GA" | "$M" user accept ga@contoso.com --code "$c" --password-stdin >/dev/null 2>&1 || return 1
  GA=$(as_token ga@contoso.com "$PW_GA")
  c=$(MCIDCTL_TOKEN=$OP "$M" org enroll --mpn-id 7654321 --name Fabrikam --admin ga@fabrikam.com --format json | code_of) || return 1
  printf '%s\n' "$PW_GA" | "$M" user accept ga@fabrikam.com --code "$c" --password-stdin >/dev/null 2>&1 || return 1
  GB=$(as_token ga@fabrikam.com "$PW_GA")
  add_user "$GA" alice@contoso.com Alice user || return 1; ALICE=$(as_token alice@contoso.com "$PW_USER")
  add_user "$GA" pat@contoso.com Pat partner-admin || return 1; PAT=$(as_token pat@contoso.com "$PW_USER")
  add_user "$GB" bo@fabrikam.com Bo user || return 1; BO=$(as_token bo@fabrikam.com "$PW_USER")
  [[ -n $GA && -n $GB && -n $ALICE && -n $PAT && -n $BO ]]
}
add_profile() { printf '%s\n' "$PW_PROF" | MCIDCTL_TOKEN=$OP "$M" registry add-profile --mcid "$1" --login "$2" --name "$3" --password-stdin >/dev/null 2>&1; }
add_cred() { MCIDCTL_TOKEN=$OP "$M" registry add-credential --mcid "$1" --code "$2" --title "$3" --type "$4" --passed-on "$5" ${6:+--expires-on "$6"} >/dev/null 2>&1; }
add_pu() { printf '%s\n' "$PW_PU" | MCIDCTL_TOKEN=$OP "$M" registry add-university-account --login "$1" --name "$2" --password-stdin >/dev/null 2>&1; }
link_as() { local tok=$1 login=$2; shift 2; printf '%s\n' "$PW_PROF" | MCIDCTL_TOKEN=$tok "$M" link --login "$login" --password-stdin "$@"; }
# at TIME CMD...: runs CMD under faketime at an absolute time ('2027-01-05 10:00:00')
at() { local when=$1; shift; faketime -f "@$when" "$@"; }

# downgrade_to_schema2 DB: what a store written by mcidctl 0.2.0 (schema 2) looks like: schema 3's
# columns, index, trigger and switch row and schema 4's code indexes and schema 5's count_deferral gone, every audit row hashed
# by rule 1 (no position).
downgrade_to_schema2() {
  python3 - "$1" <<'PY'
import hashlib, sqlite3, sys
c = sqlite3.connect(sys.argv[1], timeout=10)
c.executescript("""
DROP TRIGGER audit_no_update; DROP TRIGGER audit_no_delete;
DROP INDEX IF EXISTS credentials_by_code; DROP INDEX IF EXISTS assessments_by_code;
DROP INDEX users_erasable;
ALTER TABLE users DROP COLUMN erased_at;
ALTER TABLE audit DROP COLUMN sealed;
DELETE FROM config WHERE key = 'audit.rule2_from';
DROP TABLE signin_throttle;
DROP TRIGGER users_count_insert; DROP TRIGGER users_count_update; DROP TRIGGER users_count_delete;
DROP TABLE org_user_counts; DROP TABLE count_deferral; DROP INDEX users_by_org_email; DROP INDEX audit_by_org_id;
CREATE INDEX audit_by_org ON audit(org_id, at);
""")
prev = ""
for (i, at, actor, org, action, target, outcome, detail, batch) in c.execute(
        "select id, at, actor, org_id, action, target, outcome, detail, batch from audit order by id").fetchall():
    canon = "\x1f".join([prev, "0", str(at), actor, "" if org is None else str(org), action, target, outcome, detail, batch])
    h = hashlib.blake2b(canon.encode(), digest_size=32).hexdigest()
    c.execute("update audit set prev_hash=?, hash=? where id=?", (prev, h, i))
    prev = h
c.executescript("""
CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
PRAGMA user_version = 2;
""")
c.commit()
PY
}
