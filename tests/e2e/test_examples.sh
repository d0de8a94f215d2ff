#!/bin/bash
# End-to-end: the scripts in examples/ run as documented, on temporary stores: quickstart.sh
# (the README's demo), offboard-departed.sh and nightly-skills-report.sh (cron jobs: exit codes,
# the files they write, atomic output, nothing left behind on failure), and the sample CSV feeds
# in examples/data.
source "$(dirname "$0")/lib.sh"
EX=$(cd "$(dirname "$0")/../../examples" && pwd)
DATA=$EX/data
SKILLS_HEADER='mpn_id,organization,user_email,user_name,mcid,source,credential_type,credential_code,credential_title,passed_on,expires_on,credential_status,relevant_for,linked_on,reflected_on,state'

# ex SCRIPT ARGS...: runs examples/SCRIPT with MCIDCTL pointing at the binary; sets RC, OUT, ERR
ex() { local s=$1; shift; run env MCIDCTL="$M" bash "$EX/$s" "$@"; }
mode_of() { stat -c %a "$1" 2>/dev/null; }
# crlf FILE: every line of FILE ends with CRLF
crlf() { [[ -s $1 ]] && ! grep -qv $'\r$' "$1"; }
status_of() { MCIDCTL_TOKEN=$GA "$M" user show "$1" --format json 2>/dev/null | json "d['status']" 2>/dev/null; }
# leftovers DIR: hidden temporary files left in DIR
leftovers() { find "$1" -mindepth 1 -maxdepth 1 -name '.*' 2>/dev/null; }

# ==== quickstart.sh ============================================================================
# The demo makes a store file of its own (and skills.csv beside it): on the server store's run
# it is left to the SQLite run; the cron scripts and the sample feeds below run on both.
if [[ ${MCIDCTL_E2E_STORE:-} != postgres ]]; then
echo "== examples/quickstart.sh"
fresh_env
QS=$T/demo/mcidctl.db
MCIDCTL_DB=$QS ex quickstart.sh
check "quickstart exits 0" test "$RC" = 0
[[ $RC == 0 ]] || echo "    stderr: ${ERR: -400}"
QS_OUT=$OUT QS_ERR=$ERR
check "quickstart creates the store where MCIDCTL_DB says" test -s "$QS"
expect 0 "the store passes db check" env MCIDCTL_DB="$QS" "$M" db check
SKILLS=$T/demo/skills.csv
check "quickstart writes skills.csv beside the store" test -s "$SKILLS"
check "skills.csv is owner-only (0600)" test "$(mode_of "$SKILLS")" = 600
check "skills.csv has the skills report header" test "$(head -n1 "$SKILLS" | tr -d '\r')" = "$SKILLS_HEADER"
check "skills.csv is CSV with CRLF line ends" crlf "$SKILLS"
check "skills.csv: Alice's three credentials, all pending (reflection delay)" \
  test "$(csvq "sorted((r['user_email'], r['credential_code'], r['state']) for r in rows)" <"$SKILLS")" = \
  "[('alice@contoso.com', 'AZ-104', 'pending'), ('alice@contoso.com', 'AZ-305', 'pending'), ('alice@contoso.com', 'PU-AZ-INFRA', 'pending')]"
check "skills.csv: Bob moved to Fabrikam and is not in Contoso's report" lacks 'bob@' "$(cat "$SKILLS")"
check "quickstart prints the report at the end" has '^1234567,Contoso,alice@contoso.com' "$QS_OUT"
check "quickstart ends with 'Done'" has '^==> Done' "$(tail -n1 <<<"$QS_OUT")"
check "quickstart keeps its session away from the user's (no file in XDG_STATE_HOME)" test ! -e "$XDG_STATE_HOME/mcidctl/session"
check "quickstart never echoes a password" lacks 'demo-password' "$QS_OUT$QS_ERR"
# The store's story, as the operator sees it.
OP=$(MCIDCTL_DB=$QS as_token op@example.com operator-demo-password)
QSGA=$(MCIDCTL_DB=$QS as_token ga@fabrikam.com admin-demo-password)
run env MCIDCTL_DB="$QS" MCIDCTL_TOKEN="$OP" "$M" org list --format json
check "two organizations enrolled" test "$(json "sorted(o['mpn_id'] for o in d)" <<<"$OUT" 2>&1)" = "['1234567', '7654321']"
run env MCIDCTL_DB="$QS" MCIDCTL_TOKEN="$OP" "$M" competency list --format json
check "the competency is defined" has 'Azure Infrastructure' "$OUT"
run env MCIDCTL_DB="$QS" MCIDCTL_TOKEN="$QSGA" faketime -f +4d "$M" report skills --format json
check "Fabrikam's report has Bob's AZ-104 once reflected (4 days on)" \
  test "$(json "[(r['user_email'], r['credential_code'], r['state']) for r in d]" <<<"$OUT" 2>&1)" = "[('bob@fabrikam.com', 'AZ-104', 'reflected')]"
before=$(stat -c '%Y %s' "$SKILLS" "$QS"; md5sum <"$SKILLS")
MCIDCTL_DB=$QS ex quickstart.sh
check "quickstart on an existing store stops (exit 5) instead of mixing demos" test "$RC" = 5
check "quickstart on an existing store says why" has 'already exists' "$ERR"
check "quickstart on an existing store leaves it and its report alone" test "$(stat -c '%Y %s' "$SKILLS" "$QS"; md5sum <"$SKILLS")" = "$before"

# Without MCIDCTL_DB (as scripts/dev.sh demo runs it): a new store in a temporary folder.
mkdir -p "$T/tmp"
run env -u MCIDCTL_DB TMPDIR="$T/tmp" MCIDCTL="$M" bash "$EX/quickstart.sh"
check "quickstart without MCIDCTL_DB exits 0" test "$RC" = 0
made=$(find "$T/tmp" -name mcidctl.db)
check "quickstart without MCIDCTL_DB makes its store under TMPDIR" test -n "$made"
check "and its skills.csv beside it" test -s "$(dirname -- "$made")/skills.csv"
check "and names both at the end" has "Store: $made" "$OUT"
check "nothing at the default store path" test ! -e "$XDG_DATA_HOME/mcidctl/mcidctl.db"
fi

# ==== the sample feeds in examples/data ==============================================================
echo "== examples/data: the sample CSV feeds load"
fresh_env
setup_world 2>/dev/null || { bad "setup_world"; summary; exit; }
expect 0 "registry import data/profiles.csv" env MCIDCTL_TOKEN="$OP" "$M" registry import "$DATA/profiles.csv" --kind profiles
expect 0 "registry import data/credentials.csv" env MCIDCTL_TOKEN="$OP" "$M" registry import "$DATA/credentials.csv" --kind credentials
run env MCIDCTL_TOKEN="$OP" "$M" registry import "$DATA/credentials.csv" --kind credentials
check "importing credentials.csv again does not fail or duplicate" test "$RC" = 0
expect 0 "user import data/users.csv" env MCIDCTL_TOKEN="$GA" "$M" user import "$DATA/users.csv" --format csv
check "user import prints one code per row" test "$(csvq "len([r for r in rows if r['code']])" <<<"$OUT")" = 4
check "the accented name came through" has 'Åsa Öberg' "$(MCIDCTL_TOKEN=$GA "$M" user show asa.oberg@contoso.com)"
check "asa is invited as a partner-admin" test "$(MCIDCTL_TOKEN=$GA "$M" user show asa.oberg@contoso.com --format json | json "d['role']+'/'+d['status']")" = partner-admin/invited
expect 8 "purge-user --dry-run --from data/hr-departed.csv reads the HR export (exit 8: bob is unknown)" env MCIDCTL_TOKEN="$GA" "$M" purge-user --from "$DATA/hr-departed.csv" --dry-run --format json
check "hr-departed.csv: three targets, bob unknown here" \
  test "$(json "sorted((r['target'], r['outcome']) for r in d)" <<<"$OUT")" = "[('bob@contoso.com', 'not-found'), ('carol@contoso.com', 'purged'), ('dave@contoso.com', 'purged')]"

# ==== offboard-departed.sh =============================================================================
echo "== examples/offboard-departed.sh"
# The world above: Contoso has carol and dave (invited from users.csv); bob joins too.
add_user "$GA" bob@contoso.com "Bob Berg" user 2>/dev/null || bad "add bob"
add_profile 60000001 bob@outlook.com "Bob Learn" || bad "add bob's profile"
link_as "$(as_token bob@contoso.com "$PW_USER")" bob@outlook.com >/dev/null 2>&1 || bad "bob links"
mkdir -p "$T/out"
RES=$T/out/results.csv

ex offboard-departed.sh
check "offboard: no arguments: exit 2 with usage" test "$RC" = 2
check "offboard: usage names the arguments" has 'usage: .*HR_EXPORT' "$ERR"
MCIDCTL_TOKEN=$GA ex offboard-departed.sh "$T/missing.csv" "$RES"
check "offboard: unreadable HR file: exit 2" test "$RC" = 2
MCIDCTL_TOKEN=$GA ex offboard-departed.sh "$DATA/hr-departed.csv" "$T/no-such-dir/results.csv"
check "offboard: results folder missing: exit 2" test "$RC" = 2
ex offboard-departed.sh "$DATA/hr-departed.csv" "$RES"
check "offboard: without MCIDCTL_TOKEN: exit 2" test "$RC" = 2
check "offboard: says how to make a token" has 'MCIDCTL_TOKEN is not set' "$ERR"
check "offboard: refused runs write no results" test ! -e "$RES"

MCIDCTL_TOKEN=$GA DRY_RUN=1 ex offboard-departed.sh "$DATA/hr-departed.csv" "$RES"
check "offboard DRY_RUN=1: exit 0" test "$RC" = 0
check "offboard DRY_RUN=1: says nothing was changed" has 'dry run: nothing was changed' "$ERR"
check "offboard DRY_RUN=1: bob, carol and dave unchanged" \
  test "$(status_of bob@contoso.com)/$(status_of carol@contoso.com)/$(status_of dave@contoso.com)" = active/invited/invited

MCIDCTL_TOKEN=$GA ex offboard-departed.sh "$DATA/hr-departed.csv" "$RES"
check "offboard: exit 0 when everyone is purged" test "$RC" = 0
check "offboard: one log line on stderr" test "$(grep -c . <<<"$ERR")" = 1
check "offboard: the log line says what was done" has 'offboard-departed: done: purged 3' "$ERR"
check "offboard: writes the results file" test -s "$RES"
check "offboard: results are owner-only (0600)" test "$(mode_of "$RES")" = 600
check "offboard: results header target,outcome,detail" test "$(head -n1 "$RES" | tr -d '\r')" = "target,outcome,detail"
check "offboard: a results row per person, all purged" \
  test "$(csvq "sorted((r['target'], r['outcome']) for r in rows)" <"$RES")" = "[('bob@contoso.com', 'purged'), ('carol@contoso.com', 'purged'), ('dave@contoso.com', 'purged')]"
check "offboard: bob, carol and dave are deleted" \
  test "$(status_of bob@contoso.com)/$(status_of carol@contoso.com)/$(status_of dave@contoso.com)" = deleted/deleted/deleted
check "offboard: bob's MCID link ended" lacks 'bob@contoso.com' "$(MCIDCTL_TOKEN=$GA "$M" report skills --include-pending --format csv)"
check "offboard: no temporary file left in the results folder" test -z "$(leftovers "$T/out")"

MCIDCTL_TOKEN=$GA ex offboard-departed.sh "$DATA/hr-departed.csv" "$RES"
check "offboard again on the same export: exit 0" test "$RC" = 0
check "offboard again: everyone already-deleted" \
  test "$(csvq "sorted(set(r['outcome'] for r in rows))" <"$RES")" = "['already-deleted']"

printf 'email\nalice@contoso.com\nnobody@contoso.com\nbo@fabrikam.com\n' >"$T/hr2.csv"
MCIDCTL_TOKEN=$GA ex offboard-departed.sh "$T/hr2.csv" "$RES"
check "offboard with unknown and other-organization people: exit 8" test "$RC" = 8
check "offboard partial: the log line says partial" has 'partial \(exit 8\)' "$ERR"
check "offboard partial: results say purged / not-found / denied" \
  test "$(csvq "sorted((r['target'], r['outcome']) for r in rows)" <"$RES")" = "[('alice@contoso.com', 'purged'), ('bo@fabrikam.com', 'denied'), ('nobody@contoso.com', 'not-found')]"

printf 'carol@contoso.com\n' >"$T/hr3.txt"
cp "$RES" "$T/results.before"
MCIDCTL_TOKEN=$PAT ex offboard-departed.sh "$T/hr3.txt" "$RES"
check "offboard as a Partner Admin: exit 4" test "$RC" = 4
check "offboard refused: the previous results file is untouched" cmp -s "$RES" "$T/results.before"
MCIDCTL_TOKEN=not-a-token ex offboard-departed.sh "$T/hr3.txt" "$RES"
check "offboard with a bad token: exit 7" test "$RC" = 7
check "offboard with a bad token: says how to renew it" has 'renew MCIDCTL_TOKEN' "$ERR"
check "offboard with a bad token: the previous results file is untouched" cmp -s "$RES" "$T/results.before"
check "offboard failures leave no temporary file" test -z "$(leftovers "$T/out")"

# Default results name, in the current folder.
mkdir -p "$T/cwd"
(cd "$T/cwd" && MCIDCTL_TOKEN=$GA DRY_RUN=1 MCIDCTL="$M" bash "$EX/offboard-departed.sh" "$T/hr3.txt" 2>/dev/null)
check "offboard without RESULTS: purge-results-YYYY-MM-DD.csv in the current folder" test -s "$T/cwd/purge-results-$(date +%F).csv"

# ==== nightly-skills-report.sh ===========================================================================
echo "== examples/nightly-skills-report.sh"
fresh_env
setup_world 2>/dev/null || { bad "setup_world"; summary; exit; }
add_profile 70000001 alice@outlook.com "Alice Learn" || bad "add alice's profile"
add_cred 70000001 AZ-104 "Azure Administrator" certification 2024-01-10 || bad "add AZ-104"
add_profile 70000002 bo@outlook.com "Bo Learn" || bad "add bo's profile"
add_cred 70000002 AZ-305 "Azure Architect" certification 2024-02-10 || bad "add AZ-305"
link_as "$ALICE" alice@outlook.com >/dev/null 2>&1 || bad "alice links"
link_as "$BO" bo@outlook.com >/dev/null 2>&1 || bad "bo links"
# The job runs a few days later, when the credentials are reflected (everything under faketime,
# the script's `date` included). Tokens made by hand with --ttl, as the script says.
LATER=+5d
day() { faketime -f "$LATER" date -d "$1" +%F; }
REP=$T/reports
mkdir -p "$REP"
nightly() { run env MCIDCTL="$M" faketime -f "$LATER" bash "$EX/nightly-skills-report.sh" "$@"; }

nightly
check "nightly: no arguments: exit 2" test "$RC" = 2
MCIDCTL_TOKEN=$GA nightly "$REP" 0
check "nightly: KEEP_DAYS 0: exit 2" test "$RC" = 2
MCIDCTL_TOKEN=$GA nightly "$T/none"
check "nightly: missing folder: exit 2" test "$RC" = 2
nightly "$REP"
check "nightly: without MCIDCTL_TOKEN: exit 2" test "$RC" = 2
check "nightly: refused runs write nothing" test -z "$(ls -A "$REP")"

# Reports of earlier days, and a file that is not a report.
touch "$REP/skills-$(day '40 days ago').csv" "$REP/skills-$(day '30 days ago').csv" \
      "$REP/skills-$(day '29 days ago').csv" "$REP/skills-$(day '1 day ago').csv" "$REP/notes.txt"
TODAY=$REP/skills-$(day today).csv
MCIDCTL_TOKEN=$GA nightly "$REP"
check "nightly: exit 0" test "$RC" = 0
[[ $RC == 0 ]] || echo "    stderr: $ERR"
check "nightly: one log line on stderr" test "$(grep -c . <<<"$ERR")" = 1
check "nightly: writes skills-DATE.csv for the day it runs" test -s "$TODAY"
check "nightly: the report is owner-only (0600)" test "$(mode_of "$TODAY")" = 600
check "nightly: the report starts with a UTF-8 BOM (for Excel)" test "$(head -c3 "$TODAY" | od -An -tx1 | tr -d ' ')" = efbbbf
check "nightly: the skills header, CRLF lines" test "$(head -n1 "$TODAY" | tr -d '\r' | sed 's/^\xef\xbb\xbf//')" = "$SKILLS_HEADER"
check "nightly: CRLF line ends" crlf "$TODAY"
check "nightly: Contoso's reflected row only (alice, AZ-104)" \
  test "$(csvq "[(r['user_email'], r['credential_code'], r['state']) for r in rows]" <"$TODAY")" = "[('alice@contoso.com', 'AZ-104', 'reflected')]"
check "nightly: with the default 30 days, the 40- and 30-day-old reports are removed" \
  test ! -e "$REP/skills-$(day '40 days ago').csv" -a ! -e "$REP/skills-$(day '30 days ago').csv"
check "nightly: the 29-day-old and yesterday's reports are kept" \
  test -e "$REP/skills-$(day '29 days ago').csv" -a -e "$REP/skills-$(day '1 day ago').csv"
check "nightly: other files are left alone" test -e "$REP/notes.txt"
check "nightly: the log says what was written and removed" has "done: .*skills-$(day today)\\.csv.*removed 2" "$ERR"
check "nightly: no temporary file left" test -z "$(leftovers "$REP")"

MCIDCTL_TOKEN=$GA nightly "$REP" 1
check "nightly KEEP_DAYS=1: exit 0" test "$RC" = 0
check "nightly KEEP_DAYS=1: only today's report is left" test "$(cd "$REP" && ls skills-*.csv)" = "skills-$(day today).csv"

# A failed run keeps what is there and writes nothing half-way.
cp "$TODAY" "$T/today.before"
touch "$REP/skills-$(day '90 days ago').csv"
MCIDCTL_TOKEN=not-a-token nightly "$REP" 1
check "nightly with a bad token: exit 7" test "$RC" = 7
check "nightly with a bad token: says how to renew it" has 'renew MCIDCTL_TOKEN' "$ERR"
check "nightly failed: today's earlier report is untouched" cmp -s "$TODAY" "$T/today.before"
check "nightly failed: old reports are not removed" test -e "$REP/skills-$(day '90 days ago').csv"
check "nightly failed: no temporary file left" test -z "$(leftovers "$REP")"
rm -f "$REP"/skills-*.csv
MCIDCTL_TOKEN=$ALICE nightly "$REP"
check "nightly as a plain user: exit 4" test "$RC" = 4
check "nightly refused: no report file" test -z "$(ls "$REP"/skills-*.csv 2>/dev/null)"

# The operator: every organization, or one with ORG.
MCIDCTL_TOKEN=$OP nightly "$REP"
check "nightly as the operator: exit 0" test "$RC" = 0
check "nightly as the operator: both organizations" \
  test "$(csvq "sorted(set(r['mpn_id'] for r in rows))" <"$TODAY")" = "['1234567', '7654321']"
MCIDCTL_TOKEN=$OP ORG=7654321 nightly "$REP"
check "nightly as the operator with ORG: exit 0" test "$RC" = 0
check "nightly as the operator with ORG: that organization only" \
  test "$(csvq "[(r['mpn_id'], r['user_email']) for r in rows]" <"$TODAY")" = "[('7654321', 'bo@fabrikam.com')]"
MCIDCTL_TOKEN=$PAT nightly "$REP/"
check "nightly as a Partner Admin, folder with a trailing slash: exit 0" test "$RC" = 0
check "nightly as a Partner Admin: Contoso's report" test "$(csvq "sorted(set(r['mpn_id'] for r in rows))" <"$TODAY")" = "['1234567']"

summary
