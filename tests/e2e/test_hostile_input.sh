#!/bin/bash
# End-to-end: hostile input (issue 7). SQL-injection strings, quotes, format strings, NUL bytes
# (through files and stdin), invalid UTF-8, control characters, 1 MB lines and 10,000-character
# values in every text field on the command line and in every file input (purge-user --from,
# registry import of each kind, user import). Each one either gets a clear error with its exit
# code (2, or the documented outcome) and leaves the store exactly as it was, or is stored
# exactly and reads back the same. Never a crash (exit 1 or >= 128), never a partial write.
source "$(dirname "$0")/lib.sh"

# ---- suite helpers ----------------------------------------------------------------
as()   { local tok=$1; shift; MCIDCTL_TOKEN=$tok "$M" "$@"; }
q()    { store_sql "$1"; }                                   # either store (lib.sh)
fp()   { store_dump | sha256sum | cut -d' ' -f1; }           # the whole store
# no_ctl TEXT: no control byte but newline (no terminal escapes from hostile input)
no_ctl() { ! printf '%s' "$1" | LC_ALL=C grep -q '[[:cntrl:]]'; }
utf8_ok() { printf '%s' "$1" | python3 -c "import sys; sys.stdin.buffer.read().decode('utf-8')" 2>/dev/null; }
# refused CODE REGEX NAME CMD...: a clear error (exit CODE, 'mcidctl: error: ' + REGEX on stderr),
# nothing on stdout, no control byte echoed to stderr, and the store unchanged
refused() {
  local want=$1 re=$2 name=$3 before; shift 3
  before=$(fp)
  expect_err "$want" "$re" "$name" "$@"
  if [[ $RC != "$want" ]]; then return; fi
  local problems=""
  [[ -z $OUT ]] || problems+=" stdout not empty (${OUT:0:80});"
  no_ctl "$(tr -d '\n' <<<"$ERR")" || problems+=" control bytes echoed on stderr;"
  [[ $(fp) == "$before" ]] || problems+=" the store changed (partial write);"
  if [[ -z $problems ]]; then ok "$name: clean refusal, store unchanged"; else bad "$name:$problems"; fi
}
# same NAME WANT GOT: a stored value read back exactly
same() { if [[ $3 == "$2" ]]; then ok "$1"; else bad "$1" "got '${3:0:120}', wanted '${2:0:120}'"; fi; }
# qp SQL ARG...: one value from the store, with the arguments bound (no quoting games)
# (on PostgreSQL each ? becomes a psql variable, which psql quotes as a literal)
qp() {
  if on_server; then
    local sql=$1 i=1 vars=(); shift
    for a; do sql=${sql/\?/:\'a$i\'}; vars+=(-v "a$i=$a"); i=$((i + 1)); done
    psql -XAtq "${vars[@]}" "$MCIDCTL_DB" <<<"$sql"
  else
    python3 -c "import sqlite3,sys; r=sqlite3.connect(sys.argv[1]).execute(sys.argv[2], sys.argv[3:]).fetchone(); print('' if r is None else r[0])" "$MCIDCTL_DB" "$@"
  fi
}
in_set() { local v=$1; shift; local x; for x; do [[ $v == "$x" ]] && return 0; done; return 1; }
status_counts() { q "select status, count(*) from users group by status order by status" | tr '\n' ' '; }

# hostile but valid text: each must be stored as given and read back the same
S_DROP="x'); DROP TABLE users;--"
S_OR="' OR 1=1 --"
S_QUOTES=$'O\'Brien "The Boss", back\\slash; semi'
S_FMT='%s%n%x {} {0} {:>99999999} %%'
S_UNI='Zoë Ångström 日本語 😀'
S_LIKE='_%_ LIKE %'
HOSTILE=("$S_DROP" "$S_OR" "$S_QUOTES" "$S_FMT" "$S_UNI" "$S_LIKE")
# values a text field must refuse with 2 and the field's name
A10K=$(printf 'a%.0s' $(seq 1 10000))
BAD_NAMES=(ten-thousand invalid-utf8 overlong-utf8 surrogate escape tab newline delete empty spaces)
BAD_VALUES=("$A10K" $'ab\xc3\x28cd' $'ab\xc0\xafcd' $'ab\xed\xa0\x80cd' $'red\x1b[31m' $'a\tb' $'a\nb' $'a\x7fb' '' '   ')

fresh_env
setup_world 2>/dev/null || { bad "setup_world"; summary; exit; }
add_profile 40000001 alice@outlook.com "Alice Learn" || bad "add profile"
add_cred 40000001 AZ-104 "Azure Administrator" certification 2024-01-10 || bad "add credential"
add_pu pu@example.org "PU Account" || bad "add PU account"
BASE_STATUS=$(status_counts)

# ==== text fields on the command line: refused values ===============================
echo "== command line: refused values in every text field"
mpn=3000000
for i in "${!BAD_NAMES[@]}"; do
  n=${BAD_NAMES[$i]} v=${BAD_VALUES[$i]}
  refused 2 '--name' "user invite --name ($n) -> 2" as "$GA" user invite "bad$i@contoso.com" --name "$v"
  refused 2 '--name' "org enroll --name ($n) -> 2" as "$OP" org enroll --mpn-id $((mpn + i)) --name "$v" --admin "ga$i@neworg.com"
  IN=$PW_PROF refused 2 '--name' "registry add-profile --name ($n) -> 2" as "$OP" registry add-profile --mcid "4100000$i" --login "l$i@outlook.com" --name "$v" --password-stdin
  IN=$PW_PROF refused 2 '--login' "registry add-profile --login ($n) -> 2" as "$OP" registry add-profile --mcid "4100000$i" --login "$v" --name Name --password-stdin
  refused 2 '--title' "registry add-credential --title ($n) -> 2" as "$OP" registry add-credential --mcid 40000001 --code "X-$i" --title "$v" --type exam
  IN=$PW_PU refused 2 '--name' "registry add-university-account --name ($n) -> 2" as "$OP" registry add-university-account --login "u$i@pu.example" --name "$v" --password-stdin
  IN=$PW_PU refused 2 '--login' "registry add-university-account --login ($n) -> 2" as "$OP" registry add-university-account --login "$v" --name Name --password-stdin
  refused 2 '--title' "registry add-assessment --title ($n) -> 2" as "$OP" registry add-assessment --login pu@example.org --title "$v"
  refused 2 'name' "competency define NAME ($n) -> 2" as "$OP" competency define "$v" --requires AZ-104 --individuals 1
done
# the remaining fields: sign-in names, emails, identifiers, codes, config values, filters
for v in "$A10K" $'ab\xc3\x28cd' $'red\x1b[31m'; do
  IN=$PW_PROF refused 2 '--login' "link --login (${#v} bytes) -> 2" as "$ALICE" link --login "$v" --password-stdin
  IN=$PW_PU refused 2 '--login' "associate --login (${#v} bytes) -> 2" as "$ALICE" associate --login "$v" --password-stdin
  refused 2 '--login' "registry add-assessment --login (${#v} bytes) -> 2" as "$OP" registry add-assessment --login "$v" --title T
done
refused 2 'email' "user invite EMAIL of 10,000 characters -> 2" as "$GA" user invite "$A10K@contoso.com" --name X
refused 2 'email' "user invite EMAIL with an escape -> 2" as "$GA" user invite $'a\x1b[2J@contoso.com' --name X
refused 2 'email' "user invite EMAIL with invalid UTF-8 -> 2" as "$GA" user invite $'\xff@contoso.com' --name X
refused 2 'email' "org enroll --admin of 10,000 characters -> 2" as "$OP" org enroll --mpn-id 3999999 --name N --admin "$A10K@x.com"
IN=$PW_OP refused 2 'email' "login EMAIL of 10,000 characters -> 2" "$M" login "$A10K@example.com" --password-stdin
IN=$PW_OP refused 2 'email' "login EMAIL as an injection -> 2" "$M" login "$S_OR" --password-stdin
IN=$PW_OP expect_err 7 'sign-in failed' "login EMAIL with a quote and a comment (valid form) -> 7, not a bypass" "$M" login "op'--@example.com" --password-stdin
IN=$PW_USER refused 2 'code|email' "user accept --code of 10,000 characters -> 2" "$M" user accept x@contoso.com --code "$A10K" --password-stdin
refused 2 '--mpn-id' "org enroll --mpn-id as an injection -> 2" as "$OP" org enroll --mpn-id "1 OR 1=1" --name N --admin n@n.com
refused 2 '--mpn-id' "org enroll --mpn-id of 10,000 digits -> 2" as "$OP" org enroll --mpn-id "$(printf '1%.0s' $(seq 1 10000))" --name N --admin n@n.com
refused 2 '--mcid' "registry add-credential --mcid as an injection -> 2" as "$OP" registry add-credential --mcid "40000001 OR 1=1" --code A --title T --type exam
refused 2 '--code' "registry add-credential --code of 10,000 characters -> 2" as "$OP" registry add-credential --mcid 40000001 --code "$A10K" --title T --type exam
refused 2 '--code' "registry add-credential --code as an injection -> 2" as "$OP" registry add-credential --mcid 40000001 --code "$S_DROP" --title T --type exam
refused 2 '--passed-on' "registry add-credential --passed-on as an injection -> 2" as "$OP" registry add-credential --mcid 40000001 --code A1 --title T --type exam --passed-on "2024-01-01' OR 1=1"
refused 2 '--type' "registry add-credential --type of 10,000 characters -> 2" as "$OP" registry add-credential --mcid 40000001 --code A1 --title T --type "$A10K"
refused 2 'role' "user set-role ROLE as an injection -> 2" as "$GA" user set-role alice@contoso.com "$S_DROP"
refused 2 'key' "config set KEY as an injection -> 2" as "$OP" config set "$S_DROP" 5
refused 2 'association.limit' "config set VALUE of 10,000 characters -> 2" as "$OP" config set association.limit "$A10K"
refused 2 'association.limit' "config set VALUE as an injection -> 2" as "$OP" config set association.limit "5; DROP TABLE users"
refused 2 '--action' "audit list --action of 10,000 characters -> 2" as "$OP" audit list --action "$A10K"
refused 2 '--actor' "audit list --actor as an injection -> 2" as "$OP" audit list --actor "$S_OR"
refused 2 '--since' "audit list --since as an injection -> 2" as "$OP" audit list --since "$S_OR"
expect 0 "audit list --action as an injection: an empty list" as "$OP" audit list --action "$S_OR" --format json
check "audit list --action injection: nothing matched (not every row)" test "$(json "len(d)" <<<"$OUT" 2>/dev/null)" = 0
refused 2 '--status' "user list --status as an injection -> 2" as "$GA" user list --status "$S_OR"
IN=$PW_PROF expect_err 7 'sign-in failed' "link --login as an injection (no such profile) -> 7" as "$ALICE" link --login "$S_OR" --password-stdin
check "the injection linked nothing" test "$(q "select count(*) from links")" = 0

# ==== text fields on the command line: stored exactly ===================================
echo "== command line: hostile but valid text is stored exactly"
for i in "${!HOSTILE[@]}"; do
  s=${HOSTILE[$i]}
  expect 0 "user invite --name #$i" as "$GA" user invite "h$i@contoso.com" --name "$s" --format json
  same "user invite --name #$i reads back" "$s" "$(as "$GA" user show "h$i@contoso.com" --format json 2>/dev/null | json "d['name']" 2>/dev/null)"
  expect 0 "org enroll --name #$i" as "$OP" org enroll --mpn-id "$((4000000 + i))" --name "$s" --admin "admin$i@org$i.com" --format json
  same "org enroll --name #$i reads back" "$s" "$(as "$OP" org show "$((4000000 + i))" --format json 2>/dev/null | json "d['name']" 2>/dev/null)"
  IN=$PW_PROF expect 0 "registry add-profile --name/--login #$i" as "$OP" registry add-profile --mcid "4200000$i" --login "$s" --name "$s" --password-stdin
  same "profile login and name #$i read back" "$s|$s" "$(q "select login||'|'||name from profiles where mcid=4200000$i")"
  expect 0 "registry add-credential --title #$i" as "$OP" registry add-credential --mcid "4200000$i" --code "H-$i" --title "$s" --type exam --passed-on 2024-01-01
  same "credential title #$i reads back" "$s" "$(q "select title from credentials where mcid=4200000$i")"
  IN=$PW_PU expect 0 "registry add-university-account --login/--name #$i" as "$OP" registry add-university-account --login "pu $s" --name "$s" --password-stdin
  expect 0 "registry add-assessment --title #$i" as "$OP" registry add-assessment --login "pu $s" --title "$s"
  same "university account #$i reads back" "pu $s|$s" "$(qp "select login||'|'||name from university_accounts where login=?" "pu $s")"
  same "assessment title #$i reads back" "$s" "$(qp "select a.title from assessments a join university_accounts u on u.id=a.account_id where u.login=?" "pu $s")"
  expect 0 "competency define #$i" as "$OP" competency define "$s" --requires "H-$i" --individuals 1
done
expect 0 "competency list" as "$OP" competency list --format json
same "every hostile competency name reads back" "$(printf '%s\n' "${HOSTILE[@]}" | sort)" \
  "$(json "'\n'.join(sorted(c['competency'] for c in d))" <<<"$OUT" 2>/dev/null | grep -vx '' | sort)"
# sign-in names that look like SQL work as exact matches, and only then
IN=$PW_PROF expect 0 "link --login \"$S_OR\" (a profile with exactly that sign-in name)" as "$ALICE" link --login "$S_OR" --password-stdin
check "… linked that profile (42000001), not another" test "$(as "$ALICE" whoami --format json 2>/dev/null | json "d['mcid']" 2>/dev/null)" = 42000001
check "… whoami shows the hostile credential title" \
  test "$(as "$ALICE" whoami --format json 2>/dev/null | json "[c['title'] for c in d['credentials']]" 2>/dev/null)" = "$(python3 -c "import sys; print([sys.argv[1]])" "$S_OR")"
IN=$PW_PU expect 0 "associate --login with quotes" as "$ALICE" associate --login "pu $S_QUOTES" --password-stdin
check "… associated exactly that account" test "$(as "$ALICE" whoami --format json 2>/dev/null | json "d['university_login']" 2>/dev/null)" = "pu $S_QUOTES"
expect 0 "report skills --format csv with hostile titles" as "$GA" report skills --include-pending --format csv
check "CSV report: the hostile title survives the round trip" test "$(csvq "[r['credential_title'] for r in rows if r['mcid']=='42000001']" <<<"$OUT")" = "$(python3 -c "import sys; print([sys.argv[1]])" "$S_OR")"
expect 0 "report users --format json with hostile names" as "$GA" report users --format json
check "JSON report: every hostile name is there exactly" \
  test "$(json "sorted(r['name'] for r in d if r['email'].startswith('h'))" <<<"$OUT")" = "$(python3 -c "import sys; print(sorted(sys.argv[1:]))" "${HOSTILE[@]}")"
expect 0 "user list (table) with hostile names" as "$GA" user list
check "table: no control bytes" no_ctl "$(tr -d '\n' <<<"$OUT")"
check "the users table is still there and complete" test "$(q "select count(*) from users where email like 'h_@contoso.com'")" = "${#HOSTILE[@]}"
expect 0 "db check after the hostile writes" "$M" db check
expect 0 "audit verify after the hostile writes" as "$OP" audit verify

# ==== passwords on stdin ================================================================
echo "== passwords on stdin"
# (a shell variable cannot hold a NUL byte: these passwords come from a file)
printf 'twelve-chars\0-and-more\n' >"$T/pw-nul"; printf 'twelve-chars\n' >"$T/pw-cut"
check "control: the password file has its NUL byte" test "$(od -An -c "$T/pw-nul" | grep -c '\\0')" = 1
as "$OP" registry add-profile --mcid 43000001 --login nul@outlook.com --name Nul --password-stdin <"$T/pw-nul" >/dev/null 2>&1; RC=$?
check "a password with a NUL byte: accepted or refused with 2, no crash (exit $RC)" in_set "$RC" 0 2
if [[ $RC == 0 ]]; then
  as "$BO" link --login nul@outlook.com --password-stdin <"$T/pw-cut" >/dev/null 2>"$T/err"; RC=$?
  check "… the part before the NUL is not the password (exit $RC, wanted 7)" test "$RC" = 7
  check "… nothing linked for bo" test "$(q "select count(*) from links l join users u on u.id=l.user_id where u.email='bo@fabrikam.com'")" = 0
  as "$BO" link --login nul@outlook.com --password-stdin <"$T/pw-nul" >/dev/null 2>"$T/err"; RC=$?
  check "… the whole password with its NUL byte is (exit $RC)" test "$RC" = 0
fi
# (a 1.1 MB value cannot go through the environment: IN is set, not passed as a prefix)
IN=$(python3 -c "print('p' * 1100000)")
refused 2 'password' "a 1.1 MB password -> 2" as "$OP" registry add-profile --mcid 43000002 --login big@outlook.com --name Big --password-stdin
expect 7 "login with a 1.1 MB password -> 7" "$M" login alice@contoso.com --password-stdin
unset IN

# ==== file inputs ========================================================================
echo "== files: purge-user --from"
BASE_STATUS=$(status_counts)
F=$T/files; mkdir -p "$F"
mk() { printf "$2" "${@:3}" >"$F/$1"; }   # mk NAME FORMAT ARGS: a file, bytes from printf
python3 -c "open('$F/line-1mb.csv','w').write('email\n' + 'b'*1100000 + '@contoso.com\n')"
python3 -c "open('$F/line-under-1mb.csv','w').write('email\n' + 'b'*1000000 + '@contoso.com\n')"
mk nul.csv 'email\nalice@contoso.com\npat\0x@contoso.com\n'
mk hostile.csv 'email\n%s\n%s\n%s@contoso.com\n\xff@contoso.com\na\x1b[2J@contoso.com\n' "$S_DROP" "$S_OR" "$A10K"
refused 2 'line 3.*NUL' "--from with a NUL byte -> 2 naming line 3" as "$GA" purge-user --from "$F/nul.csv" --yes
check "… alice was not purged (the batch never started)" test "$(status_counts)" = "$BASE_STATUS"
# shellcheck disable=SC2034  # IN is read by run() in lib.sh
IN=$(cat "$F/line-1mb.csv"); refused 2 '1 MiB' "--from - with a 1.1 MB line -> 2" as "$GA" purge-user --from - --yes; unset IN
refused 2 '1 MiB' "--from with a 1.1 MB line -> 2" as "$GA" purge-user --from "$F/line-1mb.csv" --yes
before=$(fp)
expect 8 "--from with a 1 MB email (under the record limit) -> 8 invalid" as "$GA" purge-user --from "$F/line-under-1mb.csv" --yes --format json
check "… outcome invalid" test "$(json "[r['outcome'] for r in d]" <<<"$OUT" 2>/dev/null)" = "['invalid']"
check "… store unchanged" test "$(fp)" = "$before"
expect 8 "--from with injections, 10,000 characters, invalid UTF-8, escapes -> 8" as "$GA" purge-user --from "$F/hostile.csv" --yes --format json
J=$OUT
check "… every target invalid" test "$(json "[r['outcome'] for r in d]" <<<"$J" 2>/dev/null)" = "['invalid', 'invalid', 'invalid', 'invalid', 'invalid']"
check "… the JSON result is valid UTF-8 (hostile bytes are not echoed raw)" utf8_ok "$J"
check "… store unchanged" test "$(fp)" = "$before"
check "… no user changed" test "$(status_counts)" = "$BASE_STATUS"
expect 8 "the same file, table format" as "$GA" purge-user --from "$F/hostile.csv" --yes
check "… the table echoes no terminal escape" no_ctl "$(tr -d '\n' <<<"$OUT")"
check "… the summary line echoes no control byte" no_ctl "$(tr -d '\n' <<<"$ERR")"

echo "== files: registry import"
before_profiles=$(q "select count(*) from profiles")
mk p-nul.csv 'mcid,login,name\n44000001,ok1@outlook.com,Ok\n44000002,n@outlook.com,N\0L\n'
mk p-utf8.csv 'mcid,login,name\n44000001,ok1@outlook.com,Ok\n44000002,u@outlook.com,Bad\xc3\x28Name\n'
mk p-esc.csv 'mcid,login,name\n44000001,ok1@outlook.com,Ok\n44000002,e@outlook.com,"Red\x1b[31m"\n'
mk p-tab.csv 'mcid,login,name\n44000001,ok1@outlook.com,Ok\n44000002,t@outlook.com,"a\tb"\n'
mk p-newline.csv 'mcid,login,name\n44000001,ok1@outlook.com,Ok\n44000002,t@outlook.com,"two\nlines"\n'
mk p-10k-name.csv 'mcid,login,name\n44000001,ok1@outlook.com,Ok\n44000002,l@outlook.com,%s\n' "$A10K"
mk p-10k-login.csv 'mcid,login,name\n44000001,ok1@outlook.com,Ok\n44000002,%s,Name\n' "$A10K"
mk p-10k-mcid.csv 'mcid,login,name\n44000001,ok1@outlook.com,Ok\n%s,l@outlook.com,Name\n' "$(printf '4%.0s' $(seq 1 10000))"
mk p-inject-mcid.csv 'mcid,login,name\n44000001,ok1@outlook.com,Ok\n"44000002 OR 1=1",l@outlook.com,Name\n'
mk p-unquote.csv 'mcid,login,name\n44000001,ok1@outlook.com,Ok\n"44000002,l@outlook.com,Name\n'
python3 -c "open('$F/p-1mb.csv','w').write('mcid,login,name\n44000001,ok1@outlook.com,Ok\n44000002,l@outlook.com,' + 'n'*1100000 + '\n')"
python3 -c "open('$F/p-under-1mb.csv','w').write('mcid,login,name\n44000001,ok1@outlook.com,Ok\n44000002,l@outlook.com,' + 'n'*1000000 + '\n')"
for f in p-nul p-utf8 p-esc p-tab p-newline p-10k-name p-10k-login p-10k-mcid p-inject-mcid p-unquote p-1mb p-under-1mb; do
  refused 2 'line [0-9]' "registry import profiles: $f -> 2 naming the line" as "$OP" registry import "$F/$f.csv" --kind profiles
done
check "registry import: the good first rows were not imported either" test "$(q "select count(*) from profiles")" = "$before_profiles"
IN=$(cat "$F/p-10k-name.csv") refused 2 'line 3' "registry import - (stdin) with a 10,000-character name -> 2" as "$OP" registry import - --kind profiles
refused 2 'line 3.*name' "the error names line 3 and the column" as "$OP" registry import "$F/p-utf8.csv" --kind profiles
mk c-10k.csv 'mcid,code,title,type\n40000001,OK-1,Ok,exam\n40000001,OK-2,%s,exam\n' "$A10K"
mk c-nul.csv 'mcid,code,title,type\n40000001,OK-1,Ok,exam\n40000001,OK-2,T\0T,exam\n'
mk c-code.csv 'mcid,code,title,type\n40000001,OK-1,Ok,exam\n40000001,"%s",Title,exam\n' "$S_DROP"
mk c-date.csv 'mcid,code,title,type,passed_on\n40000001,OK-1,Ok,exam,2024-01-01\n40000001,OK-2,Title,exam,"%s"\n' "$S_OR"
mk ua-10k.csv 'login,name\nok@pu.example,Ok\n%s,Name\n' "$A10K"
mk as-10k.csv 'login,title\npu@example.org,Ok\npu@example.org,%s\n' "$A10K"
mk as-esc.csv 'login,title\npu@example.org,Ok\npu@example.org,"\x1b]0;pwned\x07"\n'
refused 2 'line 3' "registry import credentials: 10,000-character title -> 2" as "$OP" registry import "$F/c-10k.csv" --kind credentials
refused 2 'line 3' "registry import credentials: NUL -> 2" as "$OP" registry import "$F/c-nul.csv" --kind credentials
refused 2 'line 3' "registry import credentials: injection as a code -> 2" as "$OP" registry import "$F/c-code.csv" --kind credentials
refused 2 'line 3' "registry import credentials: injection as a date -> 2" as "$OP" registry import "$F/c-date.csv" --kind credentials
refused 2 'line 3' "registry import university-accounts: 10,000-character login -> 2" as "$OP" registry import "$F/ua-10k.csv" --kind university-accounts
refused 2 'line 3' "registry import assessments: 10,000-character title -> 2" as "$OP" registry import "$F/as-10k.csv" --kind assessments
refused 2 'line 3' "registry import assessments: an OSC escape sequence -> 2" as "$OP" registry import "$F/as-esc.csv" --kind assessments
refused 2 'column' "registry import: a 10,000-character header -> 2" as "$OP" registry import <(printf '%s,login,name\n1,2,3\n' "$A10K") --kind profiles
{ printf 'mcid,login,name\n'; for i in "${!HOSTILE[@]}"; do
    python3 -c "import csv,sys; csv.writer(sys.stdout, lineterminator='\r\n').writerow([sys.argv[1], 'file ' + sys.argv[2], sys.argv[2]])" "4500000$i" "${HOSTILE[$i]}"
  done; } >"$F/p-hostile.csv"
expect 0 "registry import profiles: hostile but valid names and logins (RFC 4180 quoting)" as "$OP" registry import "$F/p-hostile.csv" --kind profiles
for i in "${!HOSTILE[@]}"; do
  same "imported profile #$i reads back" "file ${HOSTILE[$i]}|${HOSTILE[$i]}" "$(q "select login||'|'||name from profiles where mcid=4500000$i")"
done
expect 0 "registry import the same file again (updates, no duplicates)" as "$OP" registry import "$F/p-hostile.csv" --kind profiles
check "… still one row each" test "$(q "select count(*) from profiles where mcid between 45000000 and 45000009")" = "${#HOSTILE[@]}"

echo "== files: user import"
BEFORE_USERS=$(q "select count(*) from users")
mk u-nul.csv 'email,name,role\nok1@contoso.com,Ok,user\nn@contoso.com,N\0L,user\n'
mk u-utf8.csv 'email,name,role\nok1@contoso.com,Ok,user\nu@contoso.com,Bad\xff,user\n'
mk u-esc.csv 'email,name,role\nok1@contoso.com,Ok,user\ne@contoso.com,"\x1b[2J",user\n'
mk u-10k-name.csv 'email,name,role\nok1@contoso.com,Ok,user\nl@contoso.com,%s,user\n' "$A10K"
mk u-10k-email.csv 'email,name,role\nok1@contoso.com,Ok,user\n%s@contoso.com,Name,user\n' "$A10K"
mk u-inject-email.csv 'email,name,role\nok1@contoso.com,Ok,user\n"%s",Name,user\n' "$S_DROP"
mk u-inject-role.csv 'email,name,role\nok1@contoso.com,Ok,user\nr@contoso.com,Name,"%s"\n' "$S_OR"
python3 -c "open('$F/u-1mb.csv','w').write('email,name,role\nok1@contoso.com,Ok,user\nl@contoso.com,' + 'n'*1100000 + ',user\n')"
for f in u-nul u-utf8 u-esc u-10k-name u-10k-email u-inject-email u-inject-role u-1mb; do
  refused 2 'line [0-9]' "user import: $f -> 2 naming the line" as "$GA" user import "$F/$f.csv" --format csv
done
check "user import: nobody was invited (the good first rows neither)" test "$(q "select count(*) from users")" = "$BEFORE_USERS"
IN=$(cat "$F/u-10k-name.csv") refused 2 'line 3' "user import - (stdin) with a 10,000-character name -> 2" as "$GA" user import - --format csv
{ printf 'email,name,role\n'; for i in "${!HOSTILE[@]}"; do
    python3 -c "import csv,sys; csv.writer(sys.stdout, lineterminator='\r\n').writerow([sys.argv[1], sys.argv[2], 'user'])" "imp$i@contoso.com" "${HOSTILE[$i]}"
  done; } >"$F/u-hostile.csv"
expect 0 "user import: hostile but valid names" as "$GA" user import "$F/u-hostile.csv" --format json
check "… one code per row" test "$(json "len(d)" <<<"$OUT" 2>/dev/null)" = "${#HOSTILE[@]}"
for i in "${!HOSTILE[@]}"; do
  same "imported user #$i reads back" "${HOSTILE[$i]}" "$(as "$GA" user show "imp$i@contoso.com" --format json 2>/dev/null | json "d['name']" 2>/dev/null)"
done

expect 0 "db check at the end" "$M" db check
check "db check says ok" test "$OUT" = ok
expect 0 "audit verify at the end" as "$OP" audit verify
if on_server; then TABLES="select count(*) from information_schema.tables where table_schema = 'public'"
else TABLES="select count(*) from sqlite_schema where type='table'"; fi
check "every table is still there" test "$(q "$TABLES")" -ge 14

summary
