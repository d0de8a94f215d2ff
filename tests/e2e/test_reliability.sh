#!/bin/bash
# End-to-end: reliability of the store (issue 7, PRODUCT.md section 5). Concurrent writers on
# one store (4 processes x 200 mixed commands) and an audit log that accounts for every one of
# them; SIGKILL in the middle of a large registry import; a full disk (RLIMIT_FSIZE); a
# read-only store file and a read-only folder; a writer holding the store past the busy
# timeout; an online backup while another process writes; and what a purge leaves in the file.
source "$(dirname "$0")/lib.sh"

# ---- suite helpers ----------------------------------------------------------------
as()    { local tok=$1; shift; MCIDCTL_TOKEN=$tok "$M" "$@"; }
q()     { sqlite3 -cmd ".timeout 10000" "$MCIDCTL_DB" "$1" 2>&1; }  # waits out a concurrent mcidctl writer
dump()  { sqlite3 "${2:-$MCIDCTL_DB}" .dump >"$1" 2>&1; }
ms()    { echo $(( $(date +%s%N) / 1000000 )); }
fsize() { stat -c %s "$1" 2>/dev/null || echo 0; }
count_in() { grep -a -c -F -- "$1" "$2" 2>/dev/null || true; }
in_set() { local v=$1; shift; local x; for x; do [[ $v == "$x" ]] && return 0; done; return 1; }
# big_credentials FILE: 300,000 credentials (3,000 profiles x 100 codes) with long titles, so the
# import's transaction spills to the WAL long before it commits
big_profiles() {
  python3 -c "
import sys
with open(sys.argv[1], 'w') as f:
    f.write('mcid,login,name\n')
    for i in range(3000): f.write(f'{50000000+i},p{i}@outlook.com,Person {i}\n')" "$1"
}
big_credentials() {
  python3 -c "
import sys
pad = 'x' * 150
with open(sys.argv[1], 'w') as f:
    f.write('mcid,code,title,type,passed_on\n')
    for i in range(3000):
        for j in range(100): f.write(f'{50000000+i},C-{j},Credential {j} {pad},exam,2024-01-{1+j%28:02d}\n')" "$1"
}

# ==== concurrency: 4 processes x 200 mixed writes =======================================
echo "== concurrency: 4 processes x ${REL_OPS:=200} commands on one store"
fresh_env
setup_world 2>/dev/null || { bad "setup_world"; summary; exit; }
expect 0 "association.limit 1000 (the workers link many times)" as "$OP" config set association.limit 1000
add_user "$GA" ga2@contoso.com "GA Two" global-admin 2>/dev/null || bad "add a second Contoso Global Admin"
GA2=$(as_token ga2@contoso.com "$PW_USER")
ADMINS=("$GA" "$GA" "$GA2" "$GB")
DOMAINS=(contoso.com contoso.com contoso.com fabrikam.com)
USERS=() TARGETS=()
for i in 0 1 2 3; do
  add_user "${ADMINS[$i]}" "w$i@${DOMAINS[$i]}" "Worker $i" user 2>/dev/null || bad "add worker $i"
  add_user "${ADMINS[$i]}" "r$i@${DOMAINS[$i]}" "Role Target $i" user 2>/dev/null || bad "add role target $i"
  USERS[$i]=$(as_token "w$i@${DOMAINS[$i]}" "$PW_USER")
  TARGETS[$i]=r$i@${DOMAINS[$i]}
  add_profile "4000010$i" "own$i@outlook.com" "Own Profile $i" || bad "add profile $i"
done
add_profile 40000999 shared@outlook.com "Shared Profile" || bad "add the shared profile"
check "control: every worker has a token and GA2 exists" test -n "$GA2" -a -n "${USERS[0]}" -a -n "${USERS[3]}"

# worker I: 200 commands in cycles of 8: invite, link, config get, set-role, invite, unlink,
# config get, set-role. Three cycles in four link the profile every worker shares (it moves from
# whoever has it: a transfer, and that worker's unlink then finds nothing: 3); every fourth
# links the worker's own profile. Links verify an Argon2id password, so they are a quarter.
worker() {
  local i=$1 admin=${ADMINS[$1]} user=${USERS[$1]} d=$T/w$1 k kind rc role allowed t login which
  mkdir -p "$d"; : >"$d/log"; : >"$d/bad"
  for ((k = 0; k < REL_OPS; k++)); do
    allowed=0 t=${EPOCHREALTIME/[.,]/}
    if (( (k / 8) % 4 == 0 )); then which=own login=own$i@outlook.com; else which=shared login=shared@outlook.com; fi
    case $((k % 8)) in
      0|4) kind=invite
           MCIDCTL_TOKEN=$admin "$M" user invite "w$i-n$k@${DOMAINS[$i]}" --name "Worker $i item $k" </dev/null >"$d/out" 2>"$d/err" ;;
      1)   kind=link-$which
           printf '%s\n' "$PW_PROF" | MCIDCTL_TOKEN=$user "$M" link --login "$login" --password-stdin >"$d/out" 2>"$d/err" ;;
      2|6) kind=config-get
           MCIDCTL_TOKEN=$user "$M" config get association.limit </dev/null >"$d/out" 2>"$d/err" ;;
      3|7) kind=set-role
           if (( (k / 4) % 2 == 0 )); then role=partner-admin; else role=user; fi
           MCIDCTL_TOKEN=$admin "$M" user set-role "${TARGETS[$i]}" "$role" </dev/null >"$d/out" 2>"$d/err" ;;
      5)   kind=unlink-$which; [[ $which == shared ]] && allowed="0 3"
           MCIDCTL_TOKEN=$user "$M" unlink </dev/null >"$d/out" 2>"$d/err" ;;
    esac
    rc=$?
    echo "$kind $rc $(( (${EPOCHREALTIME/[.,]/} - t) / 1000 ))${role:+ $role}" >>"$d/log"; role=
    # shellcheck disable=SC2086
    if ! in_set "$rc" $allowed; then
      echo "$kind #$k: exit $rc: $(head -c 300 "$d/err")" >>"$d/bad"
    elif grep -qi 'locked' "$d/err"; then
      echo "$kind #$k: 'locked' on stderr: $(head -c 300 "$d/err")" >>"$d/bad"
    elif [[ $kind == config-get && $(cat "$d/out") != 1000 ]]; then
      echo "config-get #$k: printed '$(head -c 100 "$d/out")'" >>"$d/bad"
    fi
    [[ $rc == 1 || $rc == 9 ]] && echo "$kind #$k: exit $rc" >>"$d/fatal"
  done
}
a_before() { q "select count(*) from audit where action='$1'${2:+ and outcome='$2'}"; }
declare -A BASE
for a in user.invite user.set-role link unlink transfer; do BASE[$a]=$(a_before "$a" ok); done
BASE_ALL=$(q "select count(*) from audit"); BASE_DENIED=$(q "select count(*) from audit where outcome='denied'")
BASE_ASSOC=$(q "select count(*) from associations")
delta() { echo $(( $(a_before "$1" ok) - ${BASE[$1]} )); }   # ok rows of ACTION added since the start
t0=$(ms)
for i in 0 1 2 3; do worker "$i" & done
wait
echo "    (4 x $REL_OPS commands took $(( ($(ms) - t0) / 1000 )) s)"
LOGS=$(cat "$T"/w[0-3]/log)
n_ok()  { awk -v k="$1" -v r="${2:-0}" '$1==k && $2==r' <<<"$LOGS" | wc -l; }
check "every worker ran all its commands ($(wc -l <<<"$LOGS") of $((4 * REL_OPS)))" test "$(wc -l <<<"$LOGS")" = "$((4 * REL_OPS))"
BADS=$(cat "$T"/w[0-3]/bad)
if [[ -z $BADS ]]; then ok "every command exited 0 or its documented business code (unlink: 3)"
else bad "every command exited 0 or its documented business code" "$(wc -l <<<"$BADS") not: $(head -n5 <<<"$BADS")"; fi
check "no command exited 1 or 9" test ! -s "$T/w0/fatal" -a ! -s "$T/w1/fatal" -a ! -s "$T/w2/fatal" -a ! -s "$T/w3/fatal"
check "no 'database is locked' anywhere" test "$(cat "$T"/w[0-3]/bad | grep -ci 'database is locked')" = 0
INV=$(n_ok invite) SR=$(n_ok set-role) LO=$(n_ok link-own) LS=$(n_ok link-shared)
UO=$(n_ok unlink-own) US=$(n_ok unlink-shared) US3=$(n_ok unlink-shared 3) CG=$(n_ok config-get)
awk '{n[$1]++; s[$1]+=$3; if ($3>m[$1]) m[$1]=$3} END {for (k in n) printf "    (%s: %d commands, mean %d ms, max %d ms)\n", k, n[k], s[k]/n[k], m[k]}' <<<"$LOGS" | sort
echo "    (invites $INV, set-role $SR, links $LO+$LS, unlinks $UO+$US, unlinks that found the shared profile taken $US3, config get $CG)"
n_all() { awk -v k="$1" '$1==k' <<<"$LOGS" | wc -l; }
check "every invitation, role change, link and own unlink succeeded" \
  test "$INV/$SR/$LO/$LS/$UO" = "$(n_all invite)/$(n_all set-role)/$(n_all link-own)/$(n_all link-shared)/$(n_all unlink-own)"
check "every config get succeeded" test "$CG" = "$(n_all config-get)"
check "control: the shared profile moved between workers (transfers happened: $US3)" test "$US3" -ge 1
check "audit: one user.invite row per successful invitation" test "$(delta user.invite)" = "$INV"
check "audit: one user.set-role row per successful role change" test "$(delta user.set-role)" = "$SR"
check "audit: one link row per successful link" test "$(delta link)" = "$((LO + LS))"
check "audit: one unlink row per successful unlink" test "$(delta unlink)" = "$((UO + US))"
check "audit: two transfer rows (departing organization, operator) per unlink that found the shared profile taken" \
  test "$(delta transfer)" = "$((2 * US3))"
check "audit: no denied row" test "$(q "select count(*) from audit where outcome='denied'")" = "$BASE_DENIED"
check "audit: no row unaccounted for (total added = sum of the above)" \
  test "$(( $(q "select count(*) from audit") - BASE_ALL ))" = "$((INV + SR + LO + LS + UO + US + 2 * US3))"
check "state: one invited user per successful invitation" \
  test "$(q "select count(*) from users where email like 'w_-n%' and status='invited'")" = "$INV"
check "state: one association per successful link" test "$(( $(q "select count(*) from associations") - BASE_ASSOC ))" = "$((LO + LS))"
check "state: every cycle ended with an unlink, so no worker profile is linked" \
  test "$(q "select count(*) from links where mcid in (40000100,40000101,40000102,40000103,40000999)")" = 0
for i in 0 1 2 3; do
  want=$(awk '$1=="set-role" && $2==0 {r=$4} END {print r}' "$T/w$i/log")
  check "state: ${TARGETS[$i]} has the role of worker $i's last change ($want)" \
    test -n "$want" -a "$(q "select role from users where email='${TARGETS[$i]}'")" = "$want"
done
expect 0 "audit verify after the concurrent run (one unbroken chain)" as "$OP" audit verify
check "verify counts every row" has "^ok: $(q "select count(*) from audit") rows" "$OUT"
expect 0 "db check after the concurrent run" "$M" db check
check "db check says ok" test "$OUT" = ok

# ==== SIGKILL in the middle of a large registry import ====================================
# A registry import checks every row in a first pass that writes nothing, then writes chunks of
# 50,000 rows, each its own transaction (issue 14: other writers wait for one chunk at most).
# A kill leaves whole chunks or nothing, never part of one, and the same import run again
# ends with exactly what one uninterrupted run makes.
echo "== SIGKILL during a 300,000-row registry import"
fresh_env
IN=$PW_OP expect 0 "init" "$M" init --operator op@example.com --password-stdin
OP=$(as_token op@example.com "$PW_OP")
BIGCRED=$T/credentials.csv
big_profiles "$T/profiles.csv"; big_credentials "$BIGCRED"
expect 0 "import 3,000 profiles" as "$OP" registry import "$T/profiles.csv" --kind profiles
dump "$T/before.sql"
BEFORE="$(q "select count(*) from profiles")/$(q "select count(*) from credentials")/$(q "select count(*) from audit")"
AUDIT_BEFORE=$(q "select count(*) from audit")
check "control: 3,000 profiles, no credentials yet ($BEFORE)" has '^3000/0/' "$BEFORE"
# the reference: the same import, uninterrupted, into a copy of the store as it is now
sqlite3 "$MCIDCTL_DB" ".backup '$T/reference.db'"
expect 0 "reference: the import run to the end on a copy" env MCIDCTL_TOKEN="$OP" "$M" --db "$T/reference.db" registry import "$BIGCRED" --kind credentials
sqlite3 "$T/reference.db" "select * from credentials order by mcid, code" >"$T/reference.txt"
check "control: the reference holds 300,000 credentials" test "$(wc -l <"$T/reference.txt")" = 300000
# kill 1: early, while the first pass reads the rows (nothing written yet); kill 2: once a chunk
# has committed and the next one is being written
for when in early chunk; do
  # a simple command in the background: $! is mcidctl itself (env execs it), not a subshell
  env MCIDCTL_TOKEN="$OP" "$M" registry import "$BIGCRED" --kind credentials >"$T/kill.out" 2>&1 & pid=$!
  if [[ $when == early ]]; then
    sleep 0.2
  else
    for _ in $(seq 1 2000); do [[ $(q "select count(*) from credentials") != 0 ]] && break; kill -0 "$pid" 2>/dev/null || break; sleep 0.01; done
  fi
  check "kill ($when): the process to kill is mcidctl itself" test "$(cat "/proc/$pid/comm" 2>/dev/null)" = mcidctl
  if kill -9 "$pid" 2>/dev/null; then
    wait "$pid" 2>/dev/null; rc=$?
    check "kill ($when): the import was running and died of SIGKILL (exit $rc)" test "$rc" = 137
    check "kill ($when): it never said it imported" test "$(count_in imported "$T/kill.out")" = 0
  else
    wait "$pid"
    bad "kill ($when): the import finished before the kill" "$(cat "$T/kill.out")"
  fi
  expect 0 "kill ($when): db check after restart" "$M" db check
  check "kill ($when): db check says ok" test "$OUT" = ok
  N=$(q "select count(*) from credentials")
  check "kill ($when): whole chunks or nothing ($N credentials: a multiple of 50,000 below 300,000)" \
    test $((N % 50000)) = 0 -a "$N" -lt 300000
  [[ $when == chunk ]] && check "kill (chunk): at least one chunk had committed ($N)" test "$N" -ge 50000
  check "kill ($when): no audit row yet (it comes with the last chunk)" test "$(q "select count(*) from audit")" = "$AUDIT_BEFORE"
  if [[ $when == early ]]; then
    dump "$T/after.sql"
    check "kill (early): the whole store is as before (SQL dump identical)" cmp -s "$T/before.sql" "$T/after.sql"
  fi
done
expect 0 "audit verify after the kills" as "$OP" audit verify
t0=$(ms)
expect 0 "the same import run again completes it" as "$OP" registry import "$T/credentials.csv" --kind credentials
echo "    (the full import took $(( $(ms) - t0 )) ms)"
q "select * from credentials order by mcid, code" >"$T/after.txt"
check "it imported 300,000 credentials, exactly the reference's rows" cmp -s "$T/reference.txt" "$T/after.txt"
check "one audit row for the import" test "$(q "select count(*) from audit where action = 'registry.import' and target = 'credentials'")" = 1
expect 0 "audit verify after the rerun" as "$OP" audit verify

# ==== disk full: RLIMIT_FSIZE ===============================================================
echo "== disk full (ulimit -f)"
fresh_env
IN=$PW_OP expect 0 "init" "$M" init --operator op@example.com --password-stdin
OP=$(as_token op@example.com "$PW_OP")
big_profiles "$T/profiles.csv"
expect 0 "import 3,000 profiles" as "$OP" registry import "$T/profiles.csv" --kind profiles
dump "$T/before.sql"
BEFORE="$(q "select count(*) from credentials")/$(q "select count(*) from audit")"
LIMIT_KB=$(( $(fsize "$MCIDCTL_DB") / 1024 + 2048 ))   # the file may grow by 2 MB at most
# the limit applies to the subshell and what it runs; SIGXFSZ is ignored so that write() fails with EFBIG
# shellcheck disable=SC2016
expect_err 9 "$MCIDCTL_DB" "disk full: the import exits 9 naming the store" env MCIDCTL_TOKEN="$OP" \
  bash -c 'trap "" XFSZ; ulimit -f "$1"; exec "$2" registry import "$3" --kind credentials' _ "$LIMIT_KB" "$M" "$BIGCRED"
check "disk full: it says nothing was changed" has 'nothing was changed' "$ERR"
check "disk full: the message says why (disk full or I/O error)" has 'disk full|disk I/O|I/O error|no space|too large' "$ERR"
expect 0 "disk full: db check afterwards" "$M" db check
check "disk full: db check says ok" test "$OUT" = ok
check "disk full: row counts unchanged" test "$(q "select count(*) from credentials")/$(q "select count(*) from audit")" = "$BEFORE"
dump "$T/after.sql"
check "disk full: the whole store unchanged (SQL dump identical)" cmp -s "$T/before.sql" "$T/after.sql"
run env MCIDCTL_TOKEN="$OP" bash -c 'trap "" XFSZ; ulimit -f 1; exec "$1" config set association.limit 8' _ "$M"
check "file size limit of 1 KB: even a small write exits 9 (exit $RC; ${ERR:0:200})" test "$RC" = 9
check "file size limit of 1 KB: the value was not changed" test "$(as "$OP" config get association.limit 2>&1)" = 5
expect 0 "disk full: a write works again without the limit" as "$OP" config set association.limit 6
expect 0 "disk full: audit verify" as "$OP" audit verify

# ==== read-only store file and read-only folder ===============================================
echo "== read-only store"
fresh_env
setup_world 2>/dev/null || { bad "setup_world (read-only)"; summary; exit; }
# root ignores file modes: as root, the store is handed to an unprivileged account for this part
# The binary is run from a copy in this test's 0711 folder: the checkout may be where nobody
# cannot reach it (a fresh machine's /root/mcidctl, /root being 0700).
MRO=$M
if [[ $(id -u) == 0 ]]; then
  chmod 711 "$E2E_ROOT" "$T"
  NOBODY=$(id -u nobody 2>/dev/null || echo 65534)
  asu() { setpriv --reuid="$NOBODY" --regid="$NOBODY" --clear-groups -- "$@"; }
  own() { chown -R "$NOBODY:$NOBODY" "$@"; }
  MRO=$T/mcidctl; cp "$M" "$MRO"; chmod 755 "$MRO"
else
  asu() { "$@"; }
  own() { :; }
fi
users_of() { sqlite3 "$1" "select count(*) from users" 2>&1; }
for kind in file folder; do
  D=$T/ro-$kind; mkdir -p "$D"
  sqlite3 -cmd ".timeout 10000" "$MCIDCTL_DB" ".backup '$D/store.db'"
  chmod 600 "$D/store.db"; chmod 700 "$D"; own "$D"
  DB=$D/store.db
  N_USERS=$(users_of "$DB")
  if [[ $kind == file ]]; then chmod 400 "$DB"; else chmod 500 "$D"; fi
  expect 0 "read-only $kind: whoami works" asu env MCIDCTL_DB="$DB" MCIDCTL_TOKEN="$GA" "$MRO" whoami --format json
  check "read-only $kind: whoami shows the GA" test "$(json "d['email']" <<<"$OUT" 2>/dev/null)" = ga@contoso.com
  expect 0 "read-only $kind: user list works" asu env MCIDCTL_DB="$DB" MCIDCTL_TOKEN="$GA" "$MRO" user list --format json
  check "read-only $kind: user list has the Contoso users" test "$(json "sorted(u['email'] for u in d)" <<<"$OUT" 2>/dev/null)" = "['alice@contoso.com', 'ga@contoso.com', 'pat@contoso.com']"
  expect 0 "read-only $kind: audit verify works" asu env MCIDCTL_DB="$DB" MCIDCTL_TOKEN="$OP" "$MRO" audit verify
  expect_err 9 'read-only|cannot write' "read-only $kind: user invite -> 9" asu env MCIDCTL_DB="$DB" MCIDCTL_TOKEN="$GA" "$MRO" user invite ro@contoso.com --name RO
  check "read-only $kind: the message names the file" has "$DB" "$ERR"
  expect_err 9 '.' "read-only $kind: config set -> 9" asu env MCIDCTL_DB="$DB" MCIDCTL_TOKEN="$OP" "$MRO" config set association.limit 7
  chmod 700 "$D"; chmod 600 "$DB"
  expect 0 "read-only $kind: once writable again, a write works" asu env MCIDCTL_DB="$DB" MCIDCTL_TOKEN="$GA" "$MRO" user invite back@contoso.com --name Back
  added=0; [[ $RC == 0 ]] && added=1
  check "read-only $kind: no write got through while read-only (users $N_USERS + $added)" test "$(users_of "$DB")" = "$((N_USERS + added))"
done

# ==== busy: another process holds the write lock past the busy timeout ========================
echo "== busy store"
python3 -c "
import sqlite3, sys, time
c = sqlite3.connect(sys.argv[1], isolation_level=None, timeout=10)
c.execute('BEGIN IMMEDIATE'); c.execute('SELECT 1').fetchall()
open(sys.argv[2], 'w').close()
time.sleep(7)
c.execute('COMMIT')" "$MCIDCTL_DB" "$T/holding" &
HOLDER=$!
for _ in $(seq 1 100); do [[ -e $T/holding ]] && break; sleep 0.05; done
check "control: the holder has the write lock" test -e "$T/holding"
N_USERS=$(q "select count(*) from users"); N_AUDIT=$(q "select count(*) from audit")
t0=$(ms)
expect_err 9 'busy' "user invite while another process holds the write lock -> 9" as "$GA" user invite busy@contoso.com --name Busy
el=$(( $(ms) - t0 ))
check "busy: waited the 5 s busy timeout first (${el} ms)" test "$el" -ge 4500 -a "$el" -lt 6900
check "busy: says nothing was changed" has 'nothing was changed' "$ERR"
check "busy: the message names the store" has "$MCIDCTL_DB" "$ERR"
check "busy: no 'database is locked' jargon" lacks 'database is locked' "$ERR"
check "busy: nothing on stdout (no code printed for an invitation that does not exist)" test -z "$OUT"
wait "$HOLDER"
check "busy: no user and no audit row added" test "$(q "select count(*) from users")/$(q "select count(*) from audit")" = "$N_USERS/$N_AUDIT"
expect 0 "busy: the same invite once the lock is gone" as "$GA" user invite busy@contoso.com --name Busy

# ==== db backup while another process writes ==================================================
echo "== db backup while another process writes"
( for k in $(seq 1 120); do
    MCIDCTL_TOKEN=$GA "$M" user invite "bk$k@contoso.com" --name "Backup $k" >/dev/null 2>>"$T/writer.err" || echo "bk$k $?" >>"$T/writer.fail"
  done ) &
WRITER=$!
for _ in $(seq 1 200); do (( $(q "select count(*) from users where email like 'bk%'") >= 5 )) && break; sleep 0.05; done
COPY=$T/backups/copy.db; mkdir -p "$T/backups"
expect 0 "db backup while invitations are being written" as "$OP" db backup "$COPY"
check "backup: the writer was still running during the backup" kill -0 "$WRITER"
check "backup: stderr says written and verified" has 'verified' "$ERR"
wait "$WRITER"
check "backup: every concurrent write succeeded" test ! -s "$T/writer.fail"
check "backup: no 'database is locked' for the writer" test "$(count_in 'locked' "$T/writer.err")" = 0
check "backup: the copy exists, mode 0600" test -s "$COPY" -a "$(stat -c %a "$COPY" 2>/dev/null)" = 600
check "backup: no temporary or WAL files left beside the copy" test "$(ls -A "$T/backups" | tr '\n' ' ')" = "copy.db "
expect 0 "backup: db check on the copy" env MCIDCTL_DB="$COPY" "$M" db check
check "backup: the copy's db check says ok" test "$OUT" = ok
expect 0 "backup: the copy opens as a store (whoami with a session from the copy)" env MCIDCTL_DB="$COPY" MCIDCTL_TOKEN="$GA" "$M" whoami --format json
check "backup: whoami on the copy is the GA" test "$(json "d['email']" <<<"$OUT" 2>/dev/null)" = ga@contoso.com
expect 0 "backup: audit verify on the copy" env MCIDCTL_DB="$COPY" MCIDCTL_TOKEN="$OP" "$M" audit verify
C_USERS=$(sqlite3 "$COPY" "select count(*) from users where email like 'bk%'")
C_AUDIT=$(sqlite3 "$COPY" "select count(*) from audit where action='user.invite' and target like 'bk%'")
check "backup: a consistent snapshot (invited users $C_USERS = their audit rows $C_AUDIT)" test "$C_USERS" = "$C_AUDIT"
check "backup: taken while the writer was half-way ($C_USERS of 120 invitations in the copy)" test "$C_USERS" -ge 5 -a "$C_USERS" -lt 120
check "backup: the original got every write (120)" test "$(q "select count(*) from users where email like 'bk%'")" = 120
check "backup: recorded in the audit log" test "$(q "select count(*) from audit where action='db.backup'")" = 1
sum0=$(sha256sum "$COPY")
expect_err 2 'exists' "backup onto an existing file -> 2" as "$OP" db backup "$COPY"
check "backup onto an existing file: the file is untouched" test "$(sha256sum "$COPY")" = "$sum0"
check "backup onto an existing file: the hint offers --force and a dated name" has 'add --force to replace it, or date the name' "$ERR"
# --force (a nightly cron job rerun on the same day): the verified new copy replaces the old one
as "$GA" user invite after-backup@contoso.com --name After >/dev/null 2>&1
expect 0 "backup --force onto the existing file" as "$OP" db backup "$COPY" --force
check "backup --force: the file was replaced" test "$(sha256sum "$COPY")" != "$sum0"
check "backup --force: the new copy has the later write" \
  test "$(sqlite3 "$COPY" "select count(*) from users where email='after-backup@contoso.com'")" = 1
check "backup --force: still 0600, nothing left beside it" \
  test "$(stat -c %a "$COPY")/$(ls -A "$T/backups" | tr '\n' ' ')" = "600/copy.db "
expect 0 "backup --force: db check on the copy" env MCIDCTL_DB="$COPY" "$M" db check
ln -s "$COPY" "$T/backups/link.db"
expect_err 2 'not a regular file' "backup --force onto a symlink -> 2" as "$OP" db backup "$T/backups/link.db" --force
check "backup --force onto a symlink: the link and its target untouched" \
  test -L "$T/backups/link.db" -a "$(sqlite3 "$COPY" "select count(*) from users where email='after-backup@contoso.com'")" = 1
rm -f "$T/backups/link.db"
mkdir "$T/backups/dir.db"
expect_err 2 'not a regular file' "backup --force onto a folder -> 2" as "$OP" db backup "$T/backups/dir.db" --force
rmdir "$T/backups/dir.db"
expect_err 2 '.' "backup into a missing folder -> 2" as "$OP" db backup "$T/nowhere/copy.db"
expect_err 4 '.' "backup by a Global Admin -> 4" as "$GA" db backup "$T/backups/ga.db"
check "refused backups wrote nothing" test "$(ls -A "$T/backups" | tr '\n' ' ')" = "copy.db "

# ==== what a purge leaves in the file (secure_delete) ===========================================
# What this proves: the purged user's session rows are deleted and their bytes (the token's
# BLAKE2b hash, the key of the sessions table and of its index) are not left behind in the
# freed space of the store file or its WAL, i.e. the store overwrites deleted content. The
# control shows the same deletion with secure_delete off leaves the hash in the file, so the
# check can fail. The user's name is expected to stay (the account row is kept for 'user
# restore' within retention.restore), so that is checked as present.
echo "== purge and freed pages"
NAME='Zyxwvut Qqqq'
add_user "$GA" zq@contoso.com "$NAME" user 2>/dev/null || bad "add $NAME"
ZTOK=$(as_token zq@contoso.com "$PW_USER")
add_profile 40000777 zq@outlook.com "$NAME Learn" || bad "add profile"
link_as "$ZTOK" zq@outlook.com --password-stdin >/dev/null 2>&1 || bad "zq links"
HASH=$(python3 -c "import hashlib,sys; print(hashlib.blake2b(sys.argv[1].encode(), digest_size=32).hexdigest())" "$ZTOK")
check "control: the session row is keyed by the token's BLAKE2b hash" test "$(q "select count(*) from sessions where token_hash='$HASH'")" = 1
check "control: the hash is in the store file before the purge" test "$(count_in "$HASH" "$MCIDCTL_DB")" -ge 1
sqlite3 -cmd ".timeout 10000" "$MCIDCTL_DB" ".backup '$T/control.db'"
expect 0 "purge $NAME" as "$GA" purge-user zq@contoso.com --yes
check "the session rows are gone" test "$(q "select count(*) from sessions s join users u on u.id=s.user_id where u.email='zq@contoso.com'")" = 0
check "the link row is gone" test "$(q "select count(*) from links where mcid=40000777")" = 0
check "the session token hash is not left in the store file" test "$(count_in "$HASH" "$MCIDCTL_DB")" = 0
check "… nor in a WAL" test ! -e "$MCIDCTL_DB-wal" -o "$(count_in "$HASH" "$MCIDCTL_DB-wal")" = 0
check "expected: the name stays (the account row is kept for restore within 30 days)" test "$(count_in "$NAME" "$MCIDCTL_DB")" -ge 1
sqlite3 "$T/control.db" "PRAGMA secure_delete=OFF; DELETE FROM sessions WHERE token_hash='$HASH';" >/dev/null 2>&1
check "control: the copy's session row was deleted with secure_delete off" \
  test "$(sqlite3 "$T/control.db" "select count(*) from sessions where token_hash='$HASH'" 2>&1)" = 0
check "control: … and then the hash is still in that file's bytes (so the check above can fail)" test "$(count_in "$HASH" "$T/control.db")" -ge 1

summary
