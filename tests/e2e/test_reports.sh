#!/bin/bash
# End-to-end: competencies (rule 10) and the reports (rule 7): skills, users, competencies;
# columns, CSV (RFC 4180, CRLF, BOM, formula guard), JSON/JSONL, --output, who may run them.
source "$(dirname "$0")/lib.sh"

# ---- helpers of this suite ------------------------------------------------------
day()   { date -u -d "$1" +%F; }
stamp() { date -u -d "$1" '+%F %T'; }
SKILLS_COLS=mpn_id,organization,user_email,user_name,mcid,source,credential_type,credential_code,credential_title,passed_on,expires_on,credential_status,relevant_for,linked_on,reflected_on,state
USERS_COLS=email,name,role,status,invited_on,mcid,learning_linked_on,university_login,university_associated_on
COMP_COLS=competency,required_codes,individuals_required,individuals_qualified,status
# rep FILE TOKEN ARGS...: runs `report ARGS` as TOKEN with stdout into FILE (raw bytes); sets RC, ERR
rep() { local f=$1 tok=$2; shift 2; MCIDCTL_TOKEN=$tok "$M" report "$@" >"$f" 2>"$T/err"; RC=$?; ERR=$(cat "$T/err"); }
# rep_at WHEN FILE TOKEN ARGS...: the same under faketime
rep_at() { local w=$1 f=$2 tok=$3; shift 3; at "$w" env MCIDCTL_TOKEN="$tok" "$M" report "$@" >"$f" 2>"$T/err"; RC=$?; ERR=$(cat "$T/err"); }
# field EMAIL COLUMN [CODE] < CSV: the COLUMN of the first row of EMAIL (and credential CODE); '<none>' if no row
field() { python3 -c "
import csv,io,sys
t=sys.stdin.buffer.read().decode('utf-8-sig')
rows=list(csv.DictReader(io.StringIO(t,newline='')))
v=[r[sys.argv[2]] for r in rows if r.get('user_email',r.get('email'))==sys.argv[1] and (len(sys.argv)<4 or r['credential_code']==sys.argv[3])]
sys.stdout.write(v[0] if v else '<none>')" "$@"; }
# crlf FILE: every line ends with CRLF, the file is non-empty and ends with CRLF
crlf() { python3 -c "
import sys; b=open(sys.argv[1],'rb').read()
sys.exit(0 if b and b.endswith(b'\r\n') and b.count(b'\n')==b.count(b'\r\n') else 1)" "$1"; }
first_bytes() { head -c "$2" "$1" | od -An -tx1 | tr -d ' \n'; }
header_of() { head -n1 "$1" | tr -d '\r' | sed $'s/^\xef\xbb\xbf//'; }
nrows() { csvq "len(rows)" <"$1"; }
codes_set() { python3 -c "import re,sys; print(sorted(x for x in re.split(r'[;,\s]+',sys.argv[1]) if x))" "$1"; }
in_set() { local v=$1; shift; local x; for x; do [[ $v == "$x" ]] && return 0; done; return 1; }
# add_named TOKEN EMAIL NAME: invite (the name passed as a separate argument) and accept
add_named() {
  local c
  c=$(MCIDCTL_TOKEN=$1 "$M" user invite "$2" --name "$3" --format json 2>"$T/err" | code_of 2>/dev/null)
  [[ -n $c ]] || { bad "invite $2 with --name '$3'" "$(cat "$T/err")"; return 1; }
  printf '%s\n' "$PW_USER" | "$M" user accept "$2" --code "$c" --password-stdin >/dev/null 2>&1
}

fresh_env
setup_world 2>/dev/null || { bad "setup_world"; summary; exit; }
TODAY=$(day now) R3=$(day '+3 days') D4=$(stamp '+4 days')

echo "== competency define / list (rule 10)"
expect_err 4 '.' "a Global Admin cannot define a competency" env MCIDCTL_TOKEN="$GA" "$M" competency define "Azure Infra" --requires AZ-104,AZ-305 --individuals 2
expect_err 4 '.' "a Partner Admin cannot define a competency" env MCIDCTL_TOKEN="$PAT" "$M" competency define "Azure Infra" --requires AZ-104 --individuals 1
expect_err 4 '.' "a user cannot define a competency" env MCIDCTL_TOKEN="$ALICE" "$M" competency define "Azure Infra" --requires AZ-104 --individuals 1
expect_err 2 'individuals' "--individuals 0 is invalid" env MCIDCTL_TOKEN="$OP" "$M" competency define "Zero" --requires AZ-104 --individuals 0
expect 0 "operator defines Azure Infra" env MCIDCTL_TOKEN="$OP" "$M" competency define "Azure Infra" --requires AZ-104,AZ-305 --individuals 2
expect 0 "operator defines Cloud Basics" env MCIDCTL_TOKEN="$OP" "$M" competency define "Cloud Basics" --requires AZ-900 --individuals 1
expect 0 "operator redefines Cloud Basics" env MCIDCTL_TOKEN="$OP" "$M" competency define "Cloud Basics" --requires AZ-104,AZ-900 --individuals 2
expect 0 "operator defines Legacy" env MCIDCTL_TOKEN="$OP" "$M" competency define "Legacy" --requires AZ-900 --individuals 1
expect 0 "competency list" env MCIDCTL_TOKEN="$OP" "$M" competency list
check "competency list names all three" bash -c 'for n in "Azure Infra" "Cloud Basics" Legacy; do grep -q "$n" <<<"$1" || exit 1; done' _ "$OUT"
check "competency list shows the redefinition (AZ-104 and AZ-900 for Cloud Basics)" has 'Cloud Basics.*(AZ-104.*AZ-900|AZ-900.*AZ-104)' "$OUT"
expect 0 "competency list json" env MCIDCTL_TOKEN="$OP" "$M" competency list --format json
check "competency list json: an array of 3 (redefine replaced, not added)" test "$(json "len(d)" <<<"$OUT")" = 3
check "Zero was not created" lacks 'Zero' "$OUT"

echo "== the world's data"
add_profile 30000001 alice@outlook.com "Alice Learn" || bad "add profile alice"
add_cred 30000001 AZ-104 "Azure Administrator" certification 2024-01-10 2099-01-10 || bad "add AZ-104"
add_cred 30000001 AZ-900 "Azure Fundamentals" exam 2022-01-05 2023-01-05 || bad "add AZ-900 (expired)"
add_cred 30000001 MISC-1 'Misc, "quoted" title' exam 2024-06-01 || bad "add MISC-1"
add_pu alice@pu.example "Alice PU" || bad "add PU account"
MCIDCTL_TOKEN=$OP "$M" registry add-assessment --login alice@pu.example --title "PU Sales Assessment" --code PU-200 --passed-on 2024-04-04 >/dev/null 2>&1 || bad "add assessment"
add_profile 30000002 pat@outlook.com "Pat Learn" || bad "add profile pat"
add_cred 30000002 AZ-305 "Azure Architect" certification 2024-02-02 || bad "add AZ-305"
add_profile 30000003 bo@outlook.com "Bo Learn" || bad "add profile bo"
add_cred 30000003 AZ-104 "Azure Administrator" certification 2024-03-03 || bad "add AZ-104 for bo"

rep "$T/fab_empty.csv" "$GB" skills --include-pending --format csv
check "empty report (Fabrikam, nothing linked): exit 0" test "$RC" = 0
check "empty report CSV is the header only" test "$(cat "$T/fab_empty.csv")" = "$SKILLS_COLS"$'\r'

link_as "$ALICE" alice@outlook.com --password-stdin >/dev/null 2>&1 || bad "alice links"
printf '%s\n' "$PW_PU" | MCIDCTL_TOKEN=$ALICE "$M" associate --login alice@pu.example --password-stdin >/dev/null 2>&1 || bad "alice associates"
link_as "$PAT" pat@outlook.com --password-stdin >/dev/null 2>&1 || bad "pat links"
link_as "$BO" bo@outlook.com --password-stdin >/dev/null 2>&1 || bad "bo links"

# awkward names (formula guard and round trip through a CSV parser)
S_NAMES=('=HYPERLINK("http://x")' '+1' '@SUM(A1)' '-2' 'Lee, "Jr" Smith' 'Åsa Öberg' '李雷')
S_GUARD=(1 1 1 1 0 0 0)
for i in "${!S_NAMES[@]}"; do
  add_named "$GA" "s$i@contoso.com" "${S_NAMES[$i]}" || continue
  tok=$(as_token "s$i@contoso.com" "$PW_USER")
  add_profile "3100000$i" "s$i@outlook.com" "S $i" || bad "add profile s$i"
  add_cred "3100000$i" GEN-1 "General" exam 2024-01-01 || bad "add GEN-1 for s$i"
  link_as "$tok" "s$i@outlook.com" --password-stdin >/dev/null 2>&1 || bad "s$i links"
done
expect_err 2 'name' "a name with a newline (control character) is refused" \
  env MCIDCTL_TOKEN="$GA" "$M" user invite nl@contoso.com --name $'Line\nBreak'
expect_err 2 'title' "a credential title with a newline is refused" \
  env MCIDCTL_TOKEN="$OP" "$M" registry add-credential --mcid 30000001 --code NL-1 --title $'Two\nlines' --type exam --passed-on 2024-01-01
IN= expect 0 "an invitation left pending" env MCIDCTL_TOKEN="$GA" "$M" user invite inv@contoso.com --name "Ivy Invited"

echo "== report skills: header, CSV, pending"
rep "$T/now.csv" "$GA" skills --format csv
check "report skills exit 0" test "$RC" = 0
check "all rows pending: default report is the header only" test "$(cat "$T/now.csv")" = "$SKILLS_COLS"$'\r'
check "the day-one report says on stderr how many rows are pending and when the first appears" \
  has "^12 credentials are not reflected yet, so not in this report; the first appears on $R3\. --include-pending shows them" "$ERR"
check "and does not claim that nobody linked" lacks 'no users found' "$ERR"
rep "$T/now.json" "$GA" skills --format json
check "the pending note in every format (json)" has "^12 credentials are not reflected yet" "$ERR"
rm -f "$T/now-out.csv"
rep /dev/null "$GA" skills --format csv --output "$T/now-out.csv"
check "with --output, after the file line" has "^wrote 0 rows to .*now-out.csv"$'\n'"12 credentials are not reflected yet" "$ERR"
rep "$T/now-q.csv" "$GA" skills --format csv -q
check "-q silences it" test -z "$ERR"
rep "$T/pend.csv" "$GA" skills --include-pending --format csv
check "--include-pending: exact header" test "$(header_of "$T/pend.csv")" = "$SKILLS_COLS"
check "--include-pending: CRLF line ends" crlf "$T/pend.csv"
check "--include-pending: no BOM by default" test "$(first_bytes "$T/pend.csv" 3)" = "$(printf 'mpn' | od -An -tx1 | tr -d ' \n')"
check "--include-pending: every row pending" test "$(csvq "sorted(set(r['state'] for r in rows))" <"$T/pend.csv")" = "['pending']"
check "--include-pending: 4 rows for alice (3 learning, 1 PU), 1 pat, 7 others" \
  test "$(csvq "(sum(r['user_email']=='alice@contoso.com' for r in rows), sum(r['user_email']=='pat@contoso.com' for r in rows), len(rows))" <"$T/pend.csv")" = "(4, 1, 12)"
check "pending rows carry the expected reflection date ($R3)" \
  test "$(csvq "sorted(set(r['reflected_on'] for r in rows))" <"$T/pend.csv")" = "['$R3']"

rep_at "$D4" "$T/d4.csv" "$GA" skills --format csv
check "+4d: report skills exit 0" test "$RC" = 0
check "+4d: every row reflected, none missing" test "$(csvq "(len(rows), sorted(set(r['state'] for r in rows)))" <"$T/d4.csv")" = "(12, ['reflected'])"
f() { field alice@contoso.com "$1" "$2" <"$T/d4.csv"; }
check "AZ-104 row: mpn_id"            test "$(f mpn_id AZ-104)" = 1234567
check "AZ-104 row: organization"      test "$(f organization AZ-104)" = Contoso
check "AZ-104 row: user_name"         test "$(f user_name AZ-104)" = Alice
check "AZ-104 row: mcid"              test "$(f mcid AZ-104)" = 30000001
check "AZ-104 row: source"            test "$(f source AZ-104)" = learning
check "AZ-104 row: credential_type"   test "$(f credential_type AZ-104)" = certification
check "AZ-104 row: credential_title"  test "$(f credential_title AZ-104)" = "Azure Administrator"
check "AZ-104 row: passed_on"         test "$(f passed_on AZ-104)" = 2024-01-10
check "AZ-104 row: expires_on"        test "$(f expires_on AZ-104)" = 2099-01-10
check "AZ-104 row: credential_status" test "$(f credential_status AZ-104)" = active
check "AZ-104 row: relevant_for joins names with ;" in_set "$(f relevant_for AZ-104)" "Azure Infra;Cloud Basics" "Cloud Basics;Azure Infra"
check "AZ-104 row: linked_on"         test "$(f linked_on AZ-104)" = "$TODAY"
check "AZ-104 row: reflected_on"      test "$(f reflected_on AZ-104)" = "$R3"
check "AZ-104 row: state"             test "$(f state AZ-104)" = reflected
check "AZ-900 row: exam, expired"     test "$(f credential_type AZ-900)/$(f credential_status AZ-900)/$(f expires_on AZ-900)" = "exam/expired/2023-01-05"
check "AZ-900 row: relevant_for"      in_set "$(f relevant_for AZ-900)" "Cloud Basics;Legacy" "Legacy;Cloud Basics"
check "MISC-1 row: relevant_for empty" test "$(f relevant_for MISC-1)" = ""
check "MISC-1 row: comma and quotes in the title round-trip" test "$(f credential_title MISC-1)" = 'Misc, "quoted" title'
check "MISC-1 row: no expiry is empty" test "$(f expires_on MISC-1)" = ""
check "PU row: source partner-university" test "$(f source PU-200)" = partner-university
check "PU row: credential_type assessment" test "$(f credential_type PU-200)" = assessment
check "PU row: title, passed_on, status" test "$(f credential_title PU-200)/$(f passed_on PU-200)/$(f credential_status PU-200)" = "PU Sales Assessment/2024-04-04/active"
check "PU row: linked_on, reflected_on, state" test "$(f linked_on PU-200)/$(f reflected_on PU-200)/$(f state PU-200)" = "$TODAY/$R3/reflected"
check "pat's AZ-305 row" test "$(field pat@contoso.com mcid AZ-305 <"$T/d4.csv")/$(field pat@contoso.com relevant_for AZ-305 <"$T/d4.csv")" = "30000002/Azure Infra"
check "+4d: nothing pending, no note" lacks 'not reflected yet' "$ERR"
rep_at "$D4" "$T/d4p.csv" "$GA" skills --include-pending --format csv
check "+4d: --include-pending adds nothing once all is reflected" cmp -s "$T/d4p.csv" "$T/d4.csv"

echo "== formula guard and awkward names"
for i in "${!S_NAMES[@]}"; do
  n=${S_NAMES[$i]}
  if [[ ${S_GUARD[$i]} == 1 ]]; then want="'$n"; else want=$n; fi
  check "user_name '$n' in CSV (guard on)" test "$(field "s$i@contoso.com" user_name <"$T/pend.csv")" = "$want"
done
rep "$T/noguard.csv" "$GA" skills --include-pending --no-formula-guard --format csv
check "--no-formula-guard: exit 0" test "$RC" = 0
for i in 0 1 2 3; do
  check "--no-formula-guard leaves '${S_NAMES[$i]}'" test "$(field "s$i@contoso.com" user_name <"$T/noguard.csv")" = "${S_NAMES[$i]}"
done
check "a plain name is never guarded" test "$(field alice@contoso.com user_name <"$T/pend.csv")" = Alice
check "dates are not guarded" test "$(field alice@contoso.com passed_on AZ-104 <"$T/pend.csv")" = 2024-01-10

echo "== JSON and JSONL"
expect 0 "report skills json" env MCIDCTL_TOKEN="$GA" "$M" report skills --include-pending --format json
check "json: an array of 12 objects" test "$(json "isinstance(d,list) and len(d)" <<<"$OUT")" = 12
check "json: keys in column order" test "$(json "all(','.join(o.keys())=='$SKILLS_COLS' for o in d)" <<<"$OUT")" = True
check "json: names verbatim (no formula guard in JSON)" \
  test "$(python3 -c 'import json,sys; d=json.load(sys.stdin); print([o["user_name"] for o in d if o["user_email"]=="s0@contoso.com"][0])' <<<"$OUT")" = "${S_NAMES[0]}"
check "json: mpn_id and mcid are strings" test "$(json "all(isinstance(o['mpn_id'],str) and isinstance(o['mcid'],str) for o in d if o['source']=='learning')" <<<"$OUT")" = True
check "json: the Chinese name round-trips" test "$(json "[o['user_name'] for o in d if o['user_email']=='s6@contoso.com'][0]" <<<"$OUT")" = 李雷
expect 0 "report skills jsonl" env MCIDCTL_TOKEN="$GA" "$M" report skills --include-pending --format jsonl
check "jsonl: one object per line, 12 lines, keys in column order" \
  test "$(python3 -c "
import json,sys
ls=[l for l in sys.stdin.read().split('\n') if l.strip()]
print(len(ls)==12 and all(','.join(json.loads(l).keys())=='$SKILLS_COLS' for l in ls))" <<<"$OUT")" = True

echo "== CSV details: BOM, UTF-8, --output"
rep "$T/bom.csv" "$GA" skills --include-pending --bom --format csv
check "--bom starts with EF BB BF then the header" test "$(first_bytes "$T/bom.csv" 9)" = "efbbbf6d706e5f6964"
check "--bom: same rows as without" test "$(nrows "$T/bom.csv")" = 12
check "UTF-8 names round-trip (Åsa Öberg)" test "$(field s5@contoso.com user_name <"$T/bom.csv")" = "Åsa Öberg"
check "comma and quotes in a name round-trip" test "$(field s4@contoso.com user_name <"$T/bom.csv")" = 'Lee, "Jr" Smith'
check "the Chinese name round-trips" test "$(field s6@contoso.com user_name <"$T/bom.csv")" = 李雷
mkdir -p "$T/out"
expect 0 "--output FILE" env MCIDCTL_TOKEN="$GA" "$M" report skills --include-pending --format csv --output "$T/out/skills.csv"
check "--output prints nothing on stdout" test -z "$OUT"
check "--output writes the report" cmp -s "$T/out/skills.csv" "$T/pend.csv"
check "--output leaves no temporary file" test "$(ls -A "$T/out")" = skills.csv
run env MCIDCTL_TOKEN="$GA" "$M" report skills --include-pending --format csv --output "$T/nodir/skills.csv"
check "--output into a missing folder: exit 2 or 9 (got $RC)" in_set "$RC" 2 9
check "--output into a missing folder: an error line" has '^mcidctl: error: ' "$ERR"
check "--output into a missing folder leaves nothing" test ! -e "$T/nodir"
printf 'OLD\n' >"$T/out/keep.csv"
expect_err 3 '.' "a failed export (unknown org)" env MCIDCTL_TOKEN="$OP" "$M" report skills --org 9999999 --format csv --output "$T/out/keep.csv"
check "a failed export keeps the previous file" test "$(cat "$T/out/keep.csv")" = OLD
check "a failed export leaves no temporary file" test "$(ls -A "$T/out" | sort | tr '\n' ' ')" = "keep.csv skills.csv "

echo "== who may run reports (rule 7)"
for r in skills users competencies; do
  expect 0 "$r: Global Admin, own org" env MCIDCTL_TOKEN="$GA" "$M" report $r --format csv
  expect 0 "$r: Partner Admin, own org" env MCIDCTL_TOKEN="$PAT" "$M" report $r --format csv
  expect 0 "$r: Global Admin --org own" env MCIDCTL_TOKEN="$GA" "$M" report $r --org 1234567 --format csv
  expect_err 4 '.' "$r: a user is refused" env MCIDCTL_TOKEN="$ALICE" "$M" report $r --format csv
  check "$r: nothing on stdout when refused" test -z "$OUT"
  expect_err 4 '.' "$r: Global Admin --org of another organization" env MCIDCTL_TOKEN="$GA" "$M" report $r --org 7654321 --format csv
  expect_err 4 '.' "$r: Partner Admin --org of another organization" env MCIDCTL_TOKEN="$PAT" "$M" report $r --org 7654321 --format csv
  expect 0 "$r: operator --org 1234567" env MCIDCTL_TOKEN="$OP" "$M" report $r --org 1234567 --format csv
  expect_err 3 '.' "$r: operator --org 9999999 (unknown)" env MCIDCTL_TOKEN="$OP" "$M" report $r --org 9999999 --format csv
  expect_err 2 'org' "$r: --org abc is invalid" env MCIDCTL_TOKEN="$OP" "$M" report $r --org abc --format csv
  run env MCIDCTL_TOKEN="$OP" "$M" report $r --format csv
  check "$r: operator without --org: 0 or a usage error, never 1 (got $RC)" in_set "$RC" 0 2
  expect_err 7 '.' "$r: not signed in" "$M" report $r --format csv
done
rep "$T/op_all.csv" "$OP" skills --include-pending --format csv
if [[ $RC == 0 ]]; then
  check "operator skills without --org covers every organization" \
    test "$(csvq "sorted(set(r['mpn_id'] for r in rows))" <"$T/op_all.csv")" = "['1234567', '7654321']"
fi
rep "$T/op.csv" "$OP" skills --org 1234567 --include-pending --format csv
check "operator --org 1234567 sees the same rows as the Global Admin" cmp -s "$T/op.csv" "$T/pend.csv"

echo "== tenant isolation"
rep "$T/fab.csv" "$GB" skills --include-pending --format csv
check "Fabrikam skills: only Fabrikam rows" \
  test "$(csvq "(len(rows), sorted(set((r['mpn_id'],r['organization'],r['user_email']) for r in rows)))" <"$T/fab.csv")" = "(1, [('7654321', 'Fabrikam', 'bo@fabrikam.com')])"
check "Fabrikam skills: no Contoso text anywhere" lacks 'contoso|1234567|30000001' "$(cat "$T/fab.csv")"
rep "$T/fabu.csv" "$GB" users --format csv
check "Fabrikam users: no Contoso user" lacks 'contoso' "$(cat "$T/fabu.csv")"
check "Fabrikam users: its own two" test "$(csvq "sorted(r['email'] for r in rows)" <"$T/fabu.csv")" = "['bo@fabrikam.com', 'ga@fabrikam.com']"
check "Contoso skills: no Fabrikam row" lacks 'fabrikam|7654321|30000003' "$(cat "$T/pend.csv")"

echo "== report users"
rep "$T/users.csv" "$GA" users --format csv
check "users: exact header" test "$(header_of "$T/users.csv")" = "$USERS_COLS"
check "users: CRLF line ends" crlf "$T/users.csv"
u() { field "$1" "$2" <"$T/users.csv"; }
check "users: alice name, role, status" test "$(u alice@contoso.com name)/$(u alice@contoso.com role)/$(u alice@contoso.com status)" = "Alice/user/active"
check "users: alice invited_on" test "$(u alice@contoso.com invited_on)" = "$TODAY"
check "users: alice mcid and learning_linked_on" test "$(u alice@contoso.com mcid)/$(u alice@contoso.com learning_linked_on)" = "30000001/$TODAY"
check "users: alice university_login and university_associated_on" \
  test "$(u alice@contoso.com university_login)/$(u alice@contoso.com university_associated_on)" = "alice@pu.example/$TODAY"
check "users: Global Admin row" test "$(u ga@contoso.com role)/$(u ga@contoso.com status)/$(u ga@contoso.com mcid)" = "global-admin/active/"
check "users: Partner Admin row" test "$(u pat@contoso.com role)/$(u pat@contoso.com mcid)" = "partner-admin/30000002"
check "users: pending invitation" test "$(u inv@contoso.com status)/$(u inv@contoso.com mcid)/$(u inv@contoso.com learning_linked_on)" = "invited//"
check "users: the formula guard applies" test "$(u s1@contoso.com name)" = "'+1"
check "users: one row per user (3 + 7 + 1 invited)" test "$(nrows "$T/users.csv")" = 11
expect 0 "users json" env MCIDCTL_TOKEN="$GA" "$M" report users --format json
check "users json: keys in column order" test "$(json "all(','.join(o.keys())=='$USERS_COLS' for o in d) and len(d)==11" <<<"$OUT")" = True

echo "== report competencies"
rep "$T/comp_now.csv" "$GA" competencies --format csv
check "competencies: exact header" test "$(header_of "$T/comp_now.csv")" = "$COMP_COLS"
check "competencies: CRLF line ends" crlf "$T/comp_now.csv"
cq() { csvq "[r['$2'] for r in rows if r['competency']=='$1'][0]" <"$3"; }
check "competencies: one row per competency" test "$(csvq "sorted(r['competency'] for r in rows)" <"$T/comp_now.csv")" = "['Azure Infra', 'Cloud Basics', 'Legacy']"
check "now (all pending): Azure Infra 0 qualified, not-met" \
  test "$(cq "Azure Infra" individuals_qualified "$T/comp_now.csv")/$(cq "Azure Infra" status "$T/comp_now.csv")" = "0/not-met"
rep_at "$D4" "$T/comp.csv" "$GA" competencies --format csv
check "+4d: Azure Infra requires AZ-104 and AZ-305" test "$(codes_set "$(cq "Azure Infra" required_codes "$T/comp.csv")")" = "['AZ-104', 'AZ-305']"
check "+4d: Azure Infra 2 of 2, met" \
  test "$(cq "Azure Infra" individuals_required "$T/comp.csv")/$(cq "Azure Infra" individuals_qualified "$T/comp.csv")/$(cq "Azure Infra" status "$T/comp.csv")" = "2/2/met"
check "+4d: redefined Cloud Basics requires AZ-104 and AZ-900" test "$(codes_set "$(cq "Cloud Basics" required_codes "$T/comp.csv")")" = "['AZ-104', 'AZ-900']"
check "+4d: Cloud Basics 1 of 2 (other credentials do not count), not-met" \
  test "$(cq "Cloud Basics" individuals_required "$T/comp.csv")/$(cq "Cloud Basics" individuals_qualified "$T/comp.csv")/$(cq "Cloud Basics" status "$T/comp.csv")" = "2/1/not-met"
check "+4d: Legacy (only an expired credential) 0 of 1, not-met" \
  test "$(cq Legacy individuals_qualified "$T/comp.csv")/$(cq Legacy status "$T/comp.csv")" = "0/not-met"
rep_at "$D4" "$T/comp_fab.csv" "$GB" competencies --format csv
check "+4d: Fabrikam Azure Infra counts only bo (1, not-met)" \
  test "$(cq "Azure Infra" individuals_qualified "$T/comp_fab.csv")/$(cq "Azure Infra" status "$T/comp_fab.csv")" = "1/not-met"
expect 0 "competencies json" env MCIDCTL_TOKEN="$GA" "$M" report competencies --format json
check "competencies json: keys in column order" test "$(json "len(d)==3 and all(','.join(o.keys())=='$COMP_COLS' for o in d)" <<<"$OUT")" = True

echo "== competency status kept current: db check, db rebuild, a store from schema 1"
rep_at "$D4" "$T/comp_kept.csv" "$GA" competencies --format csv
expect 0 "db check on a sound store" env MCIDCTL_TOKEN="$GA" "$M" db check --format json
check "db check json: competency status is current" test "$(json "d['competency_status']" <<<"$OUT")" = current
check "periods are kept for the linked individuals" test "$(store_sql 'SELECT count(DISTINCT user_id) FROM competency_periods')" -ge 3
expect_err 4 'only the operator' "db rebuild by a Global Admin -> 4" env MCIDCTL_TOKEN="$GA" "$M" db rebuild
expect_err 4 'only the operator' "db rebuild by a user -> 4" env MCIDCTL_TOKEN="$ALICE" "$M" db rebuild
expect_err 7 'not signed in' "db rebuild signed out -> 7" env -u MCIDCTL_TOKEN MCIDCTL_SESSION="$T/no-session" "$M" db rebuild
expect 0 "db rebuild by the operator (json)" env MCIDCTL_TOKEN="$OP" "$M" db rebuild --format json
check "db rebuild json: status, individuals, periods" \
  test "$(json "d['status']=='ok' and d['individuals']==3 and d['periods']>=3" <<<"$OUT")" = True
expect 0 "db rebuild by the operator (table)" env MCIDCTL_TOKEN="$OP" "$M" db rebuild
check "db rebuild says what it did on stderr" has '^competency status rebuilt: 3 individuals, [0-9]+ periods$' "$ERR"
expect 0 "audit list --action db.rebuild" env MCIDCTL_TOKEN="$OP" "$M" audit list --action db.rebuild --format json
check "both rebuilds are audited, the refusals too" \
  test "$(json "sum(1 for a in d if a['outcome']=='ok')" <<<"$OUT")/$(json "sum(1 for a in d if a['outcome']=='denied')" <<<"$OUT")" = 2/2
rep_at "$D4" "$T/comp_rebuilt.csv" "$GA" competencies --format csv
check "a rebuild changes no count" cmp -s "$T/comp_kept.csv" "$T/comp_rebuilt.csv"

# kept rows removed behind mcidctl's back: db check finds it, db rebuild repairs it
ALICE_ID=$(store_sql "SELECT id FROM users WHERE email = 'alice@contoso.com'")
store_sql "DELETE FROM competency_periods WHERE user_id = $ALICE_ID;
    DELETE FROM competency_ends WHERE org_id = 1 AND ends_at = 4071686400"  # 2099-01-10
expect_err 9 'failed its check \(2 findings\)' "db check finds kept status that disagrees -> 9" at "$D4" env MCIDCTL_TOKEN="$GA" "$M" db check
check "db check: the hint is db rebuild, not a restore" has "^hint: run 'mcidctl db rebuild'" "$ERR"
check "db check names the organization, the competency and both counts" \
  has "^competency status of organization 1234567: 'Azure Infra' has 1 qualified individuals kept, 2 from the credentials$" "$OUT"
check "... for each competency that disagrees" \
  has "^competency status of organization 1234567: 'Cloud Basics' has 0 qualified individuals kept, 1 from the credentials$" "$OUT"
expect 0 "db rebuild repairs it" env MCIDCTL_TOKEN="$OP" "$M" db rebuild -q
expect 0 "db check passes again" at "$D4" env MCIDCTL_TOKEN="$GA" "$M" db check
check "db check prints ok" test "$OUT" = ok
store_sql "UPDATE competency_ends SET periods = 7 WHERE org_id = 2"
expect_err 9 'failed its check' "db check finds per-expiry counts that disagree with the periods -> 9" env MCIDCTL_TOKEN="$GA" "$M" db check
check "db check names competency_ends" has '^competency_ends: [0-9]+ rows disagree with competency_periods$' "$OUT"
expect 0 "db rebuild repairs that too" env MCIDCTL_TOKEN="$OP" "$M" db rebuild -q
expect 0 "db check passes after the second repair" env MCIDCTL_TOKEN="$GA" "$M" db check

# a job that rewrites competency status in steps and stopped part-way (killed after its first
# step) leaves its own stale mark (schema 6): reports count from the credentials, db check says
# so and names the way out, and db rebuild clears it. On both stores.
store_sql "INSERT INTO derived_stale(name) VALUES ('competency_periods/purge-b-0123456789ab')"
rep_at "$D4" "$T/comp_marked.csv" "$GA" competencies --format csv
check "a job's stale mark: the report counts from the credentials, the same report" cmp -s "$T/comp_kept.csv" "$T/comp_marked.csv"
expect 0 "db check with a job's mark standing" env MCIDCTL_TOKEN="$GA" "$M" db check --format json
check "db check json: competency status being rewritten" \
  test "$(json "d['status']+'/'+d['competency_status']" <<<"$OUT")" = "ok/being rewritten"
expect 0 "db check (table) with a job's mark standing" env MCIDCTL_TOKEN="$GA" "$M" db check
check "db check says a job rewrites it, and db rebuild if none runs" \
  has "being rewritten by 1 job .*if none is running .*run 'mcidctl db rebuild'" "$ERR"
expect 0 "db rebuild clears the marks that stood when it began" env MCIDCTL_TOKEN="$OP" "$M" db rebuild -q
check "no mark left" test "$(store_sql "SELECT count(*) FROM derived_stale")" = 0
expect 0 "db check after it" env MCIDCTL_TOKEN="$GA" "$M" db check --format json
check "db check json: competency status current again" test "$(json "d['competency_status']" <<<"$OUT")" = current

# what a store written by schema 1 looks like (schema 3 undone, the schema-2 tables gone, user_version 1):
# SQLite only, as only SQLite stores were ever written by schema 1.
if ! on_server; then
downgrade_to_schema2 "$MCIDCTL_DB"
store_sql "DROP TABLE competency_periods; DROP TABLE competency_ends; DROP TABLE derived_stale; PRAGMA user_version = 1;"
rep_at "$D4" "$T/comp_v1.csv" "$GA" competencies --format csv
check "a schema-1 store is migrated when opened (user_version 6)" test "$(store_sql 'PRAGMA user_version')" = 6
check "... and until rebuilt counts from the credentials: the same report" cmp -s "$T/comp_kept.csv" "$T/comp_v1.csv"
expect 0 "db check on the migrated store" env MCIDCTL_TOKEN="$GA" "$M" db check --format json
check "db check json: competency status not built" test "$(json "d['status']+'/'+d['competency_status']" <<<"$OUT")" = "ok/not built"
expect 0 "db check (table) on the migrated store" env MCIDCTL_TOKEN="$GA" "$M" db check
check "db check suggests db rebuild" has "run 'mcidctl db rebuild' to make them fast" "$ERR"
expect 0 "db rebuild on the migrated store" env MCIDCTL_TOKEN="$OP" "$M" db rebuild -q
expect 0 "db check after the rebuild" env MCIDCTL_TOKEN="$GA" "$M" db check --format json
check "db check json: competency status current" test "$(json "d['competency_status']" <<<"$OUT")" = current
rep_at "$D4" "$T/comp_v2.csv" "$GA" competencies --format csv
check "the rebuilt status gives the same report" cmp -s "$T/comp_kept.csv" "$T/comp_v2.csv"
fi

# rules 8 and 10 together: a purged or unlinked individual leaves competency status at once
expect 0 "purge-user pat (holds AZ-305)" env MCIDCTL_TOKEN="$GA" "$M" purge-user pat@contoso.com --yes -q
rep_at "$D4" "$T/comp_purged.csv" "$GA" competencies --format csv
check "after the purge: Azure Infra 1 of 2, not-met" \
  test "$(cq "Azure Infra" individuals_qualified "$T/comp_purged.csv")/$(cq "Azure Infra" status "$T/comp_purged.csv")" = "1/not-met"
expect 0 "alice unlinks her MCID" env MCIDCTL_TOKEN="$ALICE" "$M" unlink
rep_at "$D4" "$T/comp_unlinked.csv" "$GA" competencies --format csv
check "after the unlink: Azure Infra 0, Cloud Basics 0" \
  test "$(cq "Azure Infra" individuals_qualified "$T/comp_unlinked.csv")/$(cq "Cloud Basics" individuals_qualified "$T/comp_unlinked.csv")" = "0/0"
expect 0 "db check agrees with what was kept through purge and unlink" at "$D4" env MCIDCTL_TOKEN="$GA" "$M" db check

summary
