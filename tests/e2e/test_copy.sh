#!/bin/bash
# End-to-end: db copy DEST and db backup of a server store (PRODUCT.md sections 4 and 7). A
# store moves SQLite -> PostgreSQL -> SQLite with every row: the same reports, the same audit
# chain (sealed rows of an erased user and rows hashed by the old rule included), sessions
# that still work; a DEST that holds a store, an existing file, a password in DEST, a
# non-operator are refused with their exit codes; an interrupted copy leaves no store. And
# Ctrl-C on a server store: exit 130, the server told to cancel at once.
# Every case needs a server: run directly, the suite starts a throwaway one
# (scripts/with-postgres.sh). Under MCIDCTL_E2E_STORE=postgres the source store is the server.
if [[ -z ${MCIDCTL_TEST_PG:-} ]]; then
  exec bash "$(dirname "$0")/../../scripts/with-postgres.sh" bash "$0" "$@"
fi
source "$(dirname "$0")/lib.sh"

# ---- helpers of this suite ------------------------------------------------------
# new_db: the URI of a new, empty database on the test server
new_db() {
  local db="copy_$$_${RANDOM}_${RANDOM}"
  psql -XAq "$MCIDCTL_TEST_PG" -c "CREATE DATABASE \"$db\"" >/dev/null || return 1
  echo "${MCIDCTL_TEST_PG/\/postgres\?/\/$db?}"
}
# views DB: every report and list the operator and Contoso's admin see, in CSV
views() {
  local db=$1
  MCIDCTL_TOKEN=$OP "$M" --db "$db" report skills --include-pending --format csv 2>/dev/null
  MCIDCTL_TOKEN=$GA "$M" --db "$db" report users --format csv 2>/dev/null
  MCIDCTL_TOKEN=$GA "$M" --db "$db" report competencies --format csv 2>/dev/null
  MCIDCTL_TOKEN=$GA "$M" --db "$db" user list --status deleted --format csv 2>/dev/null
  MCIDCTL_TOKEN=$OP "$M" --db "$db" org list --format csv 2>/dev/null
  MCIDCTL_TOKEN=$OP "$M" --db "$db" competency list --format csv 2>/dev/null
  MCIDCTL_TOKEN=$OP "$M" --db "$db" config list --format csv 2>/dev/null
}
# audit_upto DB N: the first N audit rows as the operator lists them (CSV)
audit_upto() { MCIDCTL_TOKEN=$OP "$M" --db "$1" audit list --format csv 2>/dev/null | head -n $(($2 + 1)); }
head_of() { MCIDCTL_TOKEN=$OP "$M" --db "$1" audit head --format json 2>/dev/null | json "f\"{d['rows']}:{d['hash']}\""; }

echo "== db copy: SQLite and PostgreSQL, there and back"
fresh_env
setup_world 2>/dev/null || { bad "setup_world"; summary; exit; }
add_profile 40000001 alice@outlook.com "Alice Learn" || bad "add profile alice"
add_cred 40000001 AZ-104 "Azure Administrator" certification 2024-01-10 2027-01-10 || bad "add credential alice"
add_cred 40000001 AZ-900 "Azure Fundamentals" exam 2023-05-02 || bad "add exam alice"
add_profile 40000002 bo@outlook.com "Bo Learn" || bad "add profile bo"
add_cred 40000002 AZ-104 "Azure Administrator" certification 2024-03-01 || bad "add credential bo"
add_pu alice@pu.example "Alice PU" || bad "add PU account"
link_as "$ALICE" alice@outlook.com >/dev/null 2>&1 || bad "alice links"
printf '%s\n' "$PW_PU" | MCIDCTL_TOKEN=$ALICE "$M" associate --login alice@pu.example --password-stdin >/dev/null 2>&1 ||
  bad "alice associates"
link_as "$BO" bo@outlook.com >/dev/null 2>&1 || bad "bo links"
MCIDCTL_TOKEN=$OP "$M" competency define "Azure Infra" --requires AZ-104 --individuals 1 >/dev/null 2>&1 ||
  bad "define a competency"
MCIDCTL_TOKEN=$OP "$M" config set association.limit 3 >/dev/null 2>&1 || bad "config set"
# A name that a copy could mangle: quotes, a backslash, a comma, a character outside ASCII.
add_user "$GA" "o'hara@contoso.com" 'O'"'"'Hara "Q", \N \t Zoë' user 2>/dev/null || bad "add o'hara"
add_user "$GA" carol@contoso.com Carol user 2>/dev/null || bad "add carol"
MCIDCTL_TOKEN=$GA "$M" user invite dave@contoso.com --name Dave >/dev/null 2>&1 || bad "invite dave"
# Carol is purged and, past the restore window, erased: her audit rows are sealed.
MCIDCTL_TOKEN=$GA "$M" purge-user carol@contoso.com --yes >/dev/null 2>&1 || bad "purge carol"
later=$(date -u -d '+40 days' '+%F %T')
at "$later" env MCIDCTL_TOKEN="$GA" "$M" whoami >/dev/null 2>&1 || bad "a command past the window erases carol"
check "carol's audit rows are sealed" test "$(store_sql "select count(*) from audit where sealed is not null")" -gt 0
# A failed sign-in and a lockout counter to carry over.
printf 'wrong-password-00\n' | "$M" login alice@contoso.com --password-stdin >/dev/null 2>&1
SRC=$MCIDCTL_DB
src_rows=$(head_of "$SRC"); src_rows=${src_rows%%:*}
src_views=$(views "$SRC")
check "the source shows reports to compare" test "$(wc -l <<<"$src_views")" -gt 10

PG1=$(new_db) || bad "create a database"
expect 0 "db copy into an empty database" env MCIDCTL_TOKEN="$OP" "$M" db copy "$PG1"
check "it names the database without options" has '^store copied to postgresql://[^?]*/copy_.* and verified' "$ERR$OUT"
expect 0 "the copy's audit log verifies" env MCIDCTL_TOKEN="$OP" "$M" --db "$PG1" audit verify
check "the copy's reports are the source's" test "$(views "$PG1")" == "$src_views"
check "the copy's audit rows are the source's" test "$(audit_upto "$PG1" "$src_rows")" == "$(audit_upto "$SRC" "$src_rows")"
check "the source's log records the copy" has "db\.copy.*postgresql://" "$(MCIDCTL_TOKEN=$OP "$M" audit list --action db.copy --format csv)"
expect 0 "db check passes on the copy" env MCIDCTL_TOKEN="$OP" "$M" --db "$PG1" db check
# The copy builds the indexes, keys and foreign keys after the rows: all of them must be back.
PG0=$(new_db) || bad "create a database"
printf '%s\n' "$PW_OP" | "$M" --db "$PG0" init --operator op0@example.com --password-stdin -q >/dev/null 2>&1
schema_of() { pg_dump_stable -s "$1"; }
check "the copy's schema is a new store's: every index, key and foreign key" \
  test "$(schema_of "$PG1" | sha256sum)" == "$(schema_of "$PG0" | sha256sum)"
check "control: the schema holds foreign keys and indexes to compare" \
  test "$(schema_of "$PG1" | grep -c -E 'FOREIGN KEY|CREATE (UNIQUE )?INDEX')" -gt 20
expect 0 "sessions carry over: alice's token works on the copy" env MCIDCTL_TOKEN="$ALICE" "$M" --db "$PG1" whoami
expect 0 "new rows on the copy get new ids (identities moved past the copy)" \
  env MCIDCTL_TOKEN="$OP" "$M" --db "$PG1" org enroll --mpn-id 5550001 --name Northwind --admin ga@northwind.com
expect 0 "and a new user" env MCIDCTL_TOKEN="$GA" "$M" --db "$PG1" user invite erin@contoso.com --name Erin
IN=$PW_PU expect 0 "and a new university account" \
  env MCIDCTL_TOKEN="$OP" "$M" --db "$PG1" registry add-university-account --login erin@pu.example --name "Erin PU" --password-stdin

BACK=$T/back.db
expect 0 "db copy from the server back into a new file" env MCIDCTL_TOKEN="$OP" "$M" --db "$PG1" db copy "$BACK"
expect 0 "the file opens and verifies" env MCIDCTL_TOKEN="$OP" "$M" --db "$BACK" audit verify
expect 0 "the file passes db check" env MCIDCTL_TOKEN="$OP" "$M" --db "$BACK" db check
check "the file's first rows of the log are the source's" \
  test "$(audit_upto "$BACK" "$src_rows")" == "$(audit_upto "$SRC" "$src_rows")"
check "the file holds the rows added on the server" has 'Northwind' "$(MCIDCTL_TOKEN=$OP "$M" --db "$BACK" org list --format csv)"
check "the file is owner-only" test "$(stat -c %a "$BACK")" == 600
IN=wrong-password-00 expect_err 7 '.' "a wrong password still fails on the copy" \
  "$M" --db "$BACK" login alice@contoso.com --password-stdin
check "alice's failed sign-ins carried over (2 now)" \
  test "$(sqlite3 "$BACK" "select failed_logins from users where email='alice@contoso.com'")" == 2

BK=$T/server-backup.db
expect 0 "db backup of a server store writes a SQLite file" env MCIDCTL_TOKEN="$OP" "$M" --db "$PG1" db backup "$BK"
expect 0 "which opens with --db FILE and verifies" env MCIDCTL_TOKEN="$OP" "$M" --db "$BK" audit verify
check "with the server's users" has 'erin@contoso.com' "$(MCIDCTL_TOKEN=$GA "$M" --db "$BK" user list --status invited --format csv)"

if [[ ${MCIDCTL_E2E_STORE:-} != postgres ]]; then  # the old store is a file (sqlite3 rewrites it)
  echo "== db copy: a store migrated from schema 2 keeps its old-rule audit rows verifiable"
  fresh_env
  setup_world 2>/dev/null || { bad "setup_world"; summary; exit; }
  downgrade_to_schema2 "$MCIDCTL_DB"
  expect 0 "the schema-2 store opens and verifies" env MCIDCTL_TOKEN="$OP" "$M" audit verify
  PG4=$(new_db) || bad "create a database"
  expect 0 "db copy of the migrated store" env MCIDCTL_TOKEN="$OP" "$M" db copy "$PG4"
  expect 0 "its copy verifies on the server" env MCIDCTL_TOKEN="$OP" "$M" --db "$PG4" audit verify
  from=$(sqlite3 "$MCIDCTL_DB" "select value from config where key = 'audit.rule2_from'")
  check "the old rule's rows are there (rule 2 from row $from)" test "${from:-0}" -gt 1
  check "and the copy hashes them by the old rule too" \
    test "$(psql -XAtq "$PG4" -c "select value from config where key = 'audit.rule2_from'")" == "$from"
fi

echo "== db copy: what it refuses"
PG2=$(new_db) || bad "create a database"
expect_err 4 'operator' "a Global Admin cannot copy the store" env MCIDCTL_TOKEN="$GA" "$M" db copy "$PG2"
check "and the database was left empty" test "$(psql -XAtq "$PG2" -c "select count(*) from pg_tables where schemaname='public'")" == 0
expect_err 5 'already holds an mcidctl store' "a database that holds a store is exit 5" \
  env MCIDCTL_TOKEN="$OP" "$M" db copy "$PG1"
expect_err 5 'already exists' "an existing file is exit 5" env MCIDCTL_TOKEN="$OP" "$M" db copy "$BACK"
check "and the file is unchanged" test "$(head_of "$BACK")" == "$(head_of "$BACK")"
secret='s3cret-in-the-uri'
expect_err 2 'holds a password' "a password inside DEST is refused" \
  env MCIDCTL_TOKEN="$OP" "$M" db copy "postgresql://postgres:$secret@localhost/x"
check "without echoing it" lacks "$secret" "$ERR$OUT"
psql -XAq "$PG2" -c "CREATE TABLE someone_elses (id int)" >/dev/null
expect_err 9 'other tables' "a database holding other tables is exit 9" env MCIDCTL_TOKEN="$OP" "$M" db copy "$PG2"
check "and it keeps only its own table" \
  test "$(psql -XAtq "$PG2" -c "select string_agg(tablename, ',') from pg_tables where schemaname='public'")" == someone_elses
expect_err 9 'does not exist|no such|database' "a missing database is exit 9" \
  env MCIDCTL_TOKEN="$OP" "$M" db copy "${MCIDCTL_TEST_PG/\/postgres\?/\/no_such_db_here?}"

echo "== db copy: interrupted, the database is left without a store"
fresh_env
setup_world 2>/dev/null || { bad "setup_world"; summary; exit; }
# Enough rows that the copy takes a moment: 200,000 profiles through the importer.
profiles_csv 200000 50000000 >"$T/profiles.csv"
expect 0 "import 200,000 profiles" env MCIDCTL_TOKEN="$OP" "$M" registry import "$T/profiles.csv" --kind profiles
# copy_killed SIGNAL: starts a db copy into a new database ($PG3) and sends SIGNAL once the
# server shows its COPY of the profiles (its transaction is open); up to 3 attempts. Sets RC
# and ERR of the copy; fails when the copy was never caught midway.
copy_killed() {
  local signal=$1 attempt
  for attempt in 1 2 3; do
    PG3=$(new_db) || { bad "create a database"; return 1; }
    signal_midway "$signal" "$(db_name "$PG3")" 'COPY profiles%' env MCIDCTL_TOKEN="$OP" "$M" db copy "$PG3" && return 0
  done
  bad "the copy was caught midway in 3 attempts ($signal)"
  return 1
}
# tables_left URI: the tables in the database once the server has rolled back (it notices a
# closed connection on its own time)
tables_left() {
  local left
  for _ in $(seq 100); do
    left=$(psql -XAtq "$1" -c "select count(*) from pg_tables where schemaname = 'public'" 2>/dev/null)
    [[ $left == 0 ]] && break
    sleep 0.1
  done
  echo "$left"
}

if copy_killed KILL; then
  check "SIGKILL during the COPY: exit 137 ($RC)" test "$RC" == 137
  check "and the database is left without a store" test "$(tables_left "$PG3")" == 0
  expect 0 "a second copy into it succeeds" env MCIDCTL_TOKEN="$OP" "$M" db copy "$PG3"
  expect 0 "which verifies" env MCIDCTL_TOKEN="$OP" "$M" --db "$PG3" audit verify
  SERVER_STORE=$PG3
fi
if copy_killed INT; then
  check "Ctrl-C during the COPY: exit 130 ($RC)" test "$RC" == 130
  check "saying nothing was changed" has '^mcidctl: error: interrupted; nothing was changed' "$ERR"
  check "and the database is left without a store" test "$(tables_left "$PG3")" == 0
fi

echo "== Ctrl-C on a server store ends the server's side of the command at once"
if [[ -n ${SERVER_STORE:-} ]]; then
  name=$(db_name "$SERVER_STORE")
  # Another session holds the store's write lock; a write waits for it (up to 5 s, lock_timeout).
  fifo=$T/holder
  mkfifo "$fifo"
  psql -XAq "$SERVER_STORE" <"$fifo" >/dev/null 2>&1 &
  holder=$!
  exec {hold}>"$fifo"
  echo "BEGIN; SELECT pg_advisory_xact_lock($PG_WRITE_LOCK);" >&$hold
  for _ in $(seq 500); do
    [[ -n $(psql -XAtq "$SERVER_STORE" -c "select 1 from pg_locks where locktype = 'advisory' and granted") ]] && break
    sleep 0.01
  done
  MCIDCTL_TOKEN=$OP "$M" --db "$SERVER_STORE" config set invitation.ttl 9d >"$T/int-out" 2>"$T/int-err" &
  pid=$!
  waiting=""
  for _ in $(seq 500); do
    waiting=$(psql -XAtq "$MCIDCTL_TEST_PG" -c "select pid from pg_stat_activity where datname = '$name' and application_name = 'mcidctl' and wait_event_type = 'Lock'")
    [[ -n $waiting ]] && break
    sleep 0.01
  done
  check "the write waits for the lock on the server" test -n "$waiting"
  kill -INT "$pid"
  wait "$pid"
  check "Ctrl-C: exit 130" test $? == 130
  # Without a cancel, the server would go on waiting for the lock on the closed connection's
  # behalf until lock_timeout (5 s); the cancel ends it at once.
  gone="" deadline=$(($(date +%s%N) + 3000000000))
  while (($(date +%s%N) < deadline)); do
    [[ -z $(psql -XAtq "$MCIDCTL_TEST_PG" -c "select 1 from pg_stat_activity where pid = ${waiting:-0}") ]] && { gone=1; break; }
    sleep 0.05
  done
  check "the server stopped waiting within 3 s, not at its 5 s lock timeout" test -n "$gone"
  echo "ROLLBACK;" >&$hold
  exec {hold}>&-
  wait "$holder"
  check "and nothing was changed" has '^invitation.ttl' "$(MCIDCTL_TOKEN=$OP "$M" --db "$SERVER_STORE" config get invitation.ttl 2>&1 | sed 's/^/invitation.ttl /' | grep -v ' 9d$')"
fi

summary
