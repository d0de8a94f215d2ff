#!/bin/bash
# End-to-end: the registry (add-profile, add-credential, add-university-account,
# add-assessment, hash-password) and policy (config list/get/set): operator only,
# validation of MCIDs, dates, types, durations and limits, duplicates, unknown references.
source "$(dirname "$0")/lib.sh"

# ---- suite helpers ----------------------------------------------------------------
as()    { local tok=$1; shift; MCIDCTL_TOKEN=$tok "$M" "$@"; }
later() { date -d "+$1" '+%F %T'; }
day()   { date -u -d "+$1" +%F; }
j()     { json "$1" <<<"$OUT" 2>/dev/null; }
PERM='permission|denied|not allowed|only|operator'
NF='not found|unknown|no such|does not exist|no (profile|certification profile|partner university account)'
# config values as a {key: value} map from `config list --format json` (an array of
# {key|name, value} objects, or one object)
cfgmap() { python3 -c "
import json,sys
d=json.load(sys.stdin)
m=d if isinstance(d,dict) else {(o.get('key') or o.get('name')): o.get('value') for o in d}
print(eval(sys.argv[1]))" "$1" <<<"$OUT" 2>/dev/null; }
# value printed by `config get KEY` (table: the value alone or 'key: value' / 'key value')
getval() { MCIDCTL_TOKEN=$OP "$M" config get "$1" 2>/dev/null | tail -n1 | sed -E 's/^.*[[:space:]:]//'; }

fresh_env
if ! setup_world 2>/dev/null; then bad "setup_world"; summary; exit; fi
ok "setup_world"

# ---- registry add-profile -----------------------------------------------------------------------
IN=$PW_PROF expect 0 "add-profile, 6-digit MCID" as "$OP" registry add-profile --mcid 123456 --login prof6@outlook.com --name 'Six Digit' --password-stdin
IN=$PW_PROF expect 0 "add-profile, 12-digit MCID" as "$OP" registry add-profile --mcid 123456789012 --login prof12@outlook.com --name 'Twelve Digit' --password-stdin
IN=$PW_PROF expect_err 4 "$PERM" "GA cannot add a profile -> 4" as "$GA" registry add-profile --mcid 222222 --login p2@outlook.com --name P2 --password-stdin
IN=$PW_PROF expect_err 4 "$PERM" "user cannot add a profile -> 4" as "$ALICE" registry add-profile --mcid 222222 --login p2@outlook.com --name P2 --password-stdin
IN=$PW_PROF expect_err 7 'not signed in' "not signed in: add-profile -> 7" "$M" registry add-profile --mcid 222222 --login p2@outlook.com --name P2 --password-stdin
IN=$PW_PROF expect_err 2 'mcid' "MCID of 5 digits -> 2" as "$OP" registry add-profile --mcid 12345 --login p2@outlook.com --name P2 --password-stdin
IN=$PW_PROF expect_err 2 'mcid' "MCID of 13 digits -> 2" as "$OP" registry add-profile --mcid 1234567890123 --login p2@outlook.com --name P2 --password-stdin
IN=$PW_PROF expect_err 2 'mcid' "MCID with letters -> 2" as "$OP" registry add-profile --mcid 12345abc --login p2@outlook.com --name P2 --password-stdin
IN=$PW_PROF expect_err 2 'mcid' "empty MCID -> 2" as "$OP" registry add-profile --mcid '' --login p2@outlook.com --name P2 --password-stdin
IN=$PW_PROF expect_err 5 'already' "duplicate MCID -> 5" as "$OP" registry add-profile --mcid 123456 --login other@outlook.com --name Other --password-stdin
IN=$PW_PROF expect_err 5 'already' "duplicate login (other case) -> 5" as "$OP" registry add-profile --mcid 222222 --login PROF6@Outlook.COM --name Other --password-stdin
expect_err 2 'password-stdin' "add-profile without a password source -> 2" as "$OP" registry add-profile --mcid 222222 --login p2@outlook.com --name P2
IN=short-pass1 expect_err 2 '12|short|at least' "add-profile with an 11-character password -> 2" as "$OP" registry add-profile --mcid 222222 --login p2@outlook.com --name P2 --password-stdin
IN=$PW_PROF expect_err 2 'name' "add-profile with an empty name -> 2" as "$OP" registry add-profile --mcid 222222 --login p2@outlook.com --name '' --password-stdin
expect_err 3 "$NF|mcid" "refused add-profiles created no profile 222222 (credential -> 3)" as "$OP" registry add-credential --mcid 222222 --code AZ-900 --title Fundamentals --type exam --passed-on 2025-01-10

# ---- registry add-credential -------------------------------------------------------------------------
expect 0 "add-credential (certification, both dates)" as "$OP" registry add-credential --mcid 123456 --code AZ-104 --title 'Azure Administrator' --type certification --passed-on 2025-01-10 --expires-on 2026-01-10
expect 0 "add-credential (exam, no dates)" as "$OP" registry add-credential --mcid 123456 --code AZ-900 --title 'Azure Fundamentals' --type exam
expect 0 "add-credential on a leap day" as "$OP" registry add-credential --mcid 123456789012 --code AZ-305 --title 'Architect' --type certification --passed-on 2024-02-29
expect_err 3 "$NF|mcid" "add-credential for an unknown MCID -> 3" as "$OP" registry add-credential --mcid 999999 --code AZ-104 --title T --type certification --passed-on 2025-01-10
expect_err 2 'mcid' "add-credential with a 5-digit MCID -> 2" as "$OP" registry add-credential --mcid 12345 --code AZ-104 --title T --type certification
expect_err 2 'mcid' "add-credential with a 13-digit MCID -> 2" as "$OP" registry add-credential --mcid 1234567890123 --code AZ-104 --title T --type certification
expect_err 2 'type' "--type bogus -> 2" as "$OP" registry add-credential --mcid 123456 --code AZ-104 --title T --type bogus
expect_err 2 'type' "--type assessment is not a credential type for add-credential -> 2" as "$OP" registry add-credential --mcid 123456 --code AZ-104 --title T --type assessment
expect_err 2 'passed-on|passed_on' "--passed-on 2025-02-30 -> 2" as "$OP" registry add-credential --mcid 123456 --code AZ-204 --title T --type exam --passed-on 2025-02-30
expect_err 2 'passed-on|passed_on' "--passed-on 2025-1-5 -> 2" as "$OP" registry add-credential --mcid 123456 --code AZ-204 --title T --type exam --passed-on 2025-1-5
expect_err 2 'passed-on|passed_on' "--passed-on 2023-02-29 (not a leap year) -> 2" as "$OP" registry add-credential --mcid 123456 --code AZ-204 --title T --type exam --passed-on 2023-02-29
expect_err 2 'passed-on|passed_on' "--passed-on 10/01/2025 -> 2" as "$OP" registry add-credential --mcid 123456 --code AZ-204 --title T --type exam --passed-on 10/01/2025
expect_err 2 'expires-on|expires_on' "--expires-on 2025-13-01 -> 2" as "$OP" registry add-credential --mcid 123456 --code AZ-204 --title T --type exam --expires-on 2025-13-01
expect_err 2 'expires-on|expires_on' "--expires-on 2025-02-30 -> 2" as "$OP" registry add-credential --mcid 123456 --code AZ-204 --title T --type exam --expires-on 2025-02-30
expect_err 2 'code' "add-credential without --code -> 2" as "$OP" registry add-credential --mcid 123456 --title T --type exam
expect_err 2 'type' "add-credential without --type -> 2" as "$OP" registry add-credential --mcid 123456 --code AZ-204 --title T
expect_err 4 "$PERM" "GA cannot add a credential -> 4" as "$GA" registry add-credential --mcid 123456 --code AZ-204 --title T --type exam
expect_err 4 "$PERM" "user cannot add a credential -> 4" as "$ALICE" registry add-credential --mcid 123456 --code AZ-204 --title T --type exam

# ---- registry add-university-account -------------------------------------------------------------------
IN=$PW_PU expect 0 "add-university-account" as "$OP" registry add-university-account --login pu1@university.example --name 'PU One' --password-stdin
IN=$PW_PU expect_err 5 'already' "duplicate university login (other case) -> 5" as "$OP" registry add-university-account --login PU1@University.Example --name 'PU Again' --password-stdin
IN=$PW_PU expect_err 4 "$PERM" "GA cannot add a university account -> 4" as "$GA" registry add-university-account --login pu2@university.example --name 'PU Two' --password-stdin
expect_err 2 'password-stdin' "add-university-account without a password source -> 2" as "$OP" registry add-university-account --login pu2@university.example --name 'PU Two'
IN=short-pass1 expect_err 2 '12|short|at least' "add-university-account with an 11-character password -> 2" as "$OP" registry add-university-account --login pu2@university.example --name 'PU Two' --password-stdin
IN=$PW_PU expect_err 2 'name' "add-university-account with an empty name -> 2" as "$OP" registry add-university-account --login pu2@university.example --name '' --password-stdin

# ---- registry add-assessment ----------------------------------------------------------------------------
expect 0 "add-assessment with code and date" as "$OP" registry add-assessment --login pu1@university.example --title 'Sales Fundamentals' --code SF-100 --passed-on 2025-03-01
expect 0 "add-assessment without code or date" as "$OP" registry add-assessment --login pu1@university.example --title 'Technical Presales'
expect 0 "add-assessment, login in other case" as "$OP" registry add-assessment --login PU1@UNIVERSITY.EXAMPLE --title 'Another' --code AN-1
expect_err 3 "$NF|login" "add-assessment for an unknown login -> 3" as "$OP" registry add-assessment --login nobody@university.example --title T
expect_err 3 "$NF|login" "add-assessment for a refused login (pu2 never created) -> 3" as "$OP" registry add-assessment --login pu2@university.example --title T
expect_err 2 'passed-on|passed_on' "add-assessment --passed-on 2025-02-30 -> 2" as "$OP" registry add-assessment --login pu1@university.example --title T --passed-on 2025-02-30
expect_err 2 'passed-on|passed_on' "add-assessment --passed-on 2025-1-5 -> 2" as "$OP" registry add-assessment --login pu1@university.example --title T --passed-on 2025-1-5
expect_err 4 "$PERM" "GA cannot add an assessment -> 4" as "$GA" registry add-assessment --login pu1@university.example --title T
expect_err 4 "$PERM" "user cannot add an assessment -> 4" as "$ALICE" registry add-assessment --login pu1@university.example --title T

# ---- registry hash-password --------------------------------------------------------------------------------
IN='a-password-to-hash' expect 0 "hash-password" as "$OP" registry hash-password --password-stdin
H1=$OUT
check "hash-password prints an \$argon2id\$ string" has '^\$argon2id\$v=19\$m=[0-9]+,t=[0-9]+,p=[0-9]+\$[^[:space:]]+$' "$H1"
check "hash-password prints one line" test -n "$OUT" -a "$(printf '%s\n' "$OUT" | grep -c '')" = 1
check "hash-password does not echo the password" lacks 'a-password-to-hash' "$OUT$ERR"
IN='a-password-to-hash' expect 0 "hash-password again" as "$OP" registry hash-password --password-stdin
check "a fresh salt each time" test -n "$OUT" -a "$OUT" != "$H1"
expect_err 2 'password-stdin' "hash-password without a password source -> 2" as "$OP" registry hash-password
IN=short-pass1 expect_err 2 '12|short|at least' "hash-password of an 11-character password -> 2" as "$OP" registry hash-password --password-stdin
IN='a-password-to-hash' expect_err 4 "$PERM" "GA cannot use registry hash-password -> 4" as "$GA" registry hash-password --password-stdin

# registry passwords are stored hashed only
DUMP=$(store_dump)
check "control: the store dump holds the profile login" has 'prof6@outlook\.com' "$DUMP"
check "profile password not in the store" lacks "$PW_PROF" "$DUMP$(cat "$MCIDCTL_DB" "$MCIDCTL_DB-wal" 2>/dev/null | tr -d '\0')"
check "university password not in the store" lacks "$PW_PU" "$DUMP$(cat "$MCIDCTL_DB" "$MCIDCTL_DB-wal" 2>/dev/null | tr -d '\0')"

# ---- config list / get: defaults, open to every signed-in account ---------------------------------------------
expect 0 "config list (table)" as "$OP" config list
for kv in 'association\.limit 5' 'reflection\.existing 72h' 'reflection\.new 10d' 'invitation\.ttl 14d' 'retention\.restore 30d' 'session\.ttl 12h'; do
  k=${kv% *} v=${kv#* }
  check "config list: ${k//\\/} default $v" has "(^|[[:space:]])${k}[[:space:]:]+${v}([[:space:]]|$)" "$OUT"
done
expect 0 "config list --format json" as "$OP" config list --format json
check "config list json is an array of six or more objects" test "$(j "isinstance(d, list) and len(d) >= 6 and all(isinstance(o, dict) for o in d)")" = True
check "config list json: the six defaults" test "$(cfgmap "[str(m.get(k)) for k in ('association.limit','reflection.existing','reflection.new','invitation.ttl','retention.restore','session.ttl')]")" = "['5', '72h', '10d', '14d', '30d', '12h']"
expect 0 "GA may list config" as "$GA" config list
check "GA config list shows association.limit" has 'association\.limit' "$OUT"
expect 0 "user may get config" as "$ALICE" config get association.limit
check "config get prints 5" has '(^|[[:space:]:])5$' "$OUT"
expect_err 7 'not signed in' "not signed in: config list -> 7" "$M" config list
expect 0 "config get --format json" as "$OP" config get reflection.new --format json
check "config get json gives the value 10d" test "$(j "d.get('value') if isinstance(d, dict) else d")" = 10d

# ---- config set: roundtrip, validation, rights -----------------------------------------------------------------
expect 0 "config set association.limit 7" as "$OP" config set association.limit 7
check "config get association.limit -> 7" test "$(getval association.limit)" = 7
for kv in 'reflection.existing 50h' 'reflection.new 12d' 'invitation.ttl 7d' 'retention.restore 60d' 'session.ttl 1h'; do
  k=${kv% *} v=${kv#* }
  expect 0 "config set $k $v" as "$OP" config set "$k" "$v"
  check "config get $k -> $v" test "$(getval "$k")" = "$v"
done
expect 0 "config list json after the changes" as "$OP" config list --format json
check "config list json shows the new values" test "$(cfgmap "[str(m.get(k)) for k in ('association.limit','reflection.existing','reflection.new','invitation.ttl','retention.restore','session.ttl')]")" = "['7', '50h', '12d', '7d', '60d', '1h']"
expect_err 2 'key|bogus' "config set of an unknown key -> 2" as "$OP" config set bogus.key 5
expect_err 2 'key|bogus' "config get of an unknown key -> 2" as "$OP" config get bogus.key
expect_err 2 'association\.limit|limit' "association.limit 0 -> 2" as "$OP" config set association.limit 0
expect_err 2 'association\.limit|limit' "association.limit -1 -> 2" as "$OP" config set association.limit -1
expect_err 2 'association\.limit|limit' "association.limit abc -> 2" as "$OP" config set association.limit abc
expect_err 2 'association\.limit|limit' "association.limit 5d -> 2" as "$OP" config set association.limit 5d
expect_err 2 'reflection\.existing|reflection' "reflection.existing 5x -> 2" as "$OP" config set reflection.existing 5x
expect_err 2 'reflection\.new|reflection' "reflection.new 10 (no unit) -> 2" as "$OP" config set reflection.new 10
expect_err 2 'invitation\.ttl|invitation' "invitation.ttl abc -> 2" as "$OP" config set invitation.ttl abc
expect_err 2 'session\.ttl|session' "session.ttl empty -> 2" as "$OP" config set session.ttl ''
check "refused sets left association.limit at 7" test "$(getval association.limit)" = 7
check "refused sets left reflection.existing at 50h" test "$(getval reflection.existing)" = 50h
expect_err 4 "$PERM" "GA cannot set config -> 4" as "$GA" config set association.limit 9
expect_err 4 "$PERM" "user cannot set config -> 4" as "$ALICE" config set association.limit 9
check "refused GA/user sets left association.limit at 7" test "$(getval association.limit)" = 7

# ---- config takes effect -------------------------------------------------------------------------------------------
expect 0 "invite after invitation.ttl 7d" as "$GA" user invite zed@contoso.com --name Zed --format json
check "invitation expires in 7 days (invitation.ttl)" test "$(j "str(d['expires_on'])[:10]")" = "$(day '7 days')"
IN=$PW_USER expect 0 "login with session.ttl 1h" env MCIDCTL_SESSION="$T/s1h" "$M" login alice@contoso.com --password-stdin
expect 0 "session valid 50 minutes later" at "$(later '50 minutes')" env MCIDCTL_SESSION="$T/s1h" "$M" whoami
expect_err 7 'session expired' "session expired 70 minutes later (session.ttl 1h)" at "$(later '70 minutes')" env MCIDCTL_SESSION="$T/s1h" "$M" whoami

# ---- a first credentials import on a server store: one load, all or nothing ----------------------------------------
# (A store file writes every import in chunks of 50,000 rows: test_reliability kills those.)
if on_server; then
  echo "== a first credentials import on a server store is one load"
  fresh_env
  setup_world 2>/dev/null || { bad "setup_world"; summary; exit; }
  profiles_csv 40000 60000000 >"$T/profiles.csv"
  python3 -c "
print('mcid,code,title,type,passed_on,expires_on')
for i in range(40000):
    for c in ('AZ-104', 'AZ-900', 'AZ-305', 'SC-200', 'MS-700'):
        print(f'{60000000+i},{c},Title of {c},certification,2025-01-10,2027-01-10')" >"$T/credentials.csv"
  expect 0 "import 40,000 profiles" as "$OP" registry import "$T/profiles.csv" --kind profiles
  SCHEMA=$(pg_dump_stable -s "$MCIDCTL_DB")
  DB=$(db_name "$MCIDCTL_DB")
  # left_as_before: once the server has rolled the killed load back (it notices a closed
  # connection on its own time), no credentials and the schema unchanged (the keys are back)
  left_as_before() {
    for _ in $(seq 100); do
      [[ -z $(psql -XAtq "$MCIDCTL_TEST_PG" -c "select 1 from pg_stat_activity where datname = '$DB' and query like 'COPY credentials%'") ]] && break
      sleep 0.1
    done
    [[ $(store_sql "select count(*) from credentials") == 0 && $(pg_dump_stable -s "$MCIDCTL_DB") == "$SCHEMA" ]]
  }
  for signal in KILL INT; do
    caught=""
    for attempt in 1 2 3; do
      signal_midway "$signal" "$DB" 'COPY credentials%' env MCIDCTL_TOKEN="$OP" "$M" registry import "$T/credentials.csv" --kind credentials &&
        { caught=1; break; }
      # ran to its end before the signal: start again from an empty table
      store_sql "delete from credentials" >/dev/null
    done
    check "SIG$signal caught the load while the server ran its COPY" test -n "$caught"
    [[ -n $caught ]] || continue
    want=$([[ $signal == KILL ]] && echo 137 || echo 130)
    check "SIG$signal: exit $want ($RC)" test "$RC" == "$want"
    check "SIG$signal: no credentials kept, and the table's keys as a new store's" left_as_before
  done
  check "Ctrl-C says nothing was changed" has '^mcidctl: error: interrupted; .*nothing was changed' "$ERR"
  expect 0 "the same import run again" as "$OP" registry import "$T/credentials.csv" --kind credentials
  check "every row is in ($(store_sql "select count(*) from credentials"))" test "$(store_sql "select count(*) from credentials")" = 200000
  check "the schema is a new store's after the load" test "$(pg_dump_stable -s "$MCIDCTL_DB")" = "$SCHEMA"
  expect 0 "db check after the load" as "$OP" db check
  expect 0 "run again on the full table (in blocks)" as "$OP" registry import "$T/credentials.csv" --kind credentials
  check "still every row once" test "$(store_sql "select count(*) from credentials")" = 200000
fi

summary
