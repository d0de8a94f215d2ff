#!/bin/bash
# End-to-end: link, unlink, associate, whoami and PRODUCT.md rules 1–6 (one organization at a
# time, moving companies, self-service only, two ways in, annual limit, reflection delay).
source "$(dirname "$0")/lib.sh"

# ---- helpers of this suite ------------------------------------------------------
# wj TOKEN EXPR: evaluates EXPR over `whoami --format json` of TOKEN (empty on any error)
wj() { MCIDCTL_TOKEN=$1 "$M" whoami --format json 2>/dev/null | json "$2" 2>/dev/null; }
# wj_at WHEN TOKEN EXPR: the same under faketime
wj_at() { at "$1" env MCIDCTL_TOKEN="$2" "$M" whoami --format json 2>/dev/null | json "$3" 2>/dev/null; }
# cred CODE FIELD: expression picking FIELD of the credential CODE out of whoami's credentials
cred() { echo "next(c['$2'] for c in d['credentials'] if c['code']=='$1')"; }
day()   { date -u -d "$1" +%F; }          # day '+3 days' -> YYYY-MM-DD (UTC)
stamp() { date -u -d "$1" '+%F %T'; }     # an instant for `at`
# token_at WHEN EMAIL PASSWORD: sign in under faketime (tokens from as_token last 60 days)
token_at() { printf '%s\n' "$3" | at "$1" "$M" login "$2" --password-stdin --print-token --ttl 60d 2>/dev/null | tail -n1; }
# add_pu_with PASSWORD LOGIN NAME: a Partner University account with a chosen password
add_pu_with() { printf '%s\n' "$1" | MCIDCTL_TOKEN=$OP "$M" registry add-university-account --login "$2" --name "$3" --password-stdin >/dev/null 2>&1; }
# first_line TEXT: the error line of a stderr capture
first_line() { grep -m1 '^mcidctl: error: ' <<<"$1"; }
# in_set VALUE V1 V2...: VALUE is one of the others
in_set() { local v=$1; shift; local x; for x; do [[ $v == "$x" ]] && return 0; done; return 1; }
skills_csv() { MCIDCTL_TOKEN=$1 "$M" report skills --include-pending --format csv 2>/dev/null; }

# ==== link, replace, moving companies, failures, unlink, associate ==================
echo "== link and unlink"
fresh_env
setup_world 2>/dev/null || { bad "setup_world"; summary; exit; }
add_profile 11110001 alice@outlook.com "Alice Learn"   || bad "add profile 11110001"
add_profile 11110002 alice2@outlook.com "Alice Other"  || bad "add profile 11110002"
add_cred 11110001 AZ-104 "Azure Administrator" certification 2024-03-01 || bad "add credential AZ-104"

expect_err 7 'not signed in' "link without a session" "$M" link --login alice@outlook.com --password-stdin
expect_err 2 'password' "link without a password source" env MCIDCTL_TOKEN="$ALICE" "$M" link --login alice@outlook.com

IN=$PW_PROF expect 0 "link" env MCIDCTL_TOKEN="$ALICE" "$M" link --login alice@outlook.com --password-stdin
check "whoami shows the linked MCID" test "$(wj "$ALICE" "str(d['mcid'])")" = 11110001
check "mcid and mpn_id are strings in JSON" test "$(wj "$ALICE" "isinstance(d['mcid'],str) and isinstance(d['mpn_id'],str)")" = True
used1=$(wj "$ALICE" "d['associations_used']")
check "the link counts one association" test "$used1" = 1

IN=$PW_PROF expect_err 5 '11110001' "a second MCID without --replace is a conflict naming the current MCID" \
  env MCIDCTL_TOKEN="$ALICE" "$M" link --login alice2@outlook.com --password-stdin
check "the conflict hints at unlink" has 'unlink' "$ERR"
check "the conflict hints at --replace" has '--replace' "$ERR"
check "the first link is kept after the conflict" test "$(wj "$ALICE" "str(d['mcid'])")" = 11110001

IN=$PW_PROF expect 0 "linking the same MCID again succeeds" env MCIDCTL_TOKEN="$ALICE" "$M" link --login alice@outlook.com --password-stdin
check "same MCID again says 'already linked'" has 'already linked' "$ERR"
check "same MCID again is not counted" test "$(wj "$ALICE" "d['associations_used']")" = "$used1"

IN=$PW_PROF expect 0 "link --replace" env MCIDCTL_TOKEN="$ALICE" "$M" link --login alice2@outlook.com --password-stdin --replace
check "--replace switches the linked MCID" test "$(wj "$ALICE" "str(d['mcid'])")" = 11110002
IN=$PW_PROF expect 0 "link --replace back" env MCIDCTL_TOKEN="$ALICE" "$M" link --login alice@outlook.com --password-stdin --replace
check "alice linked to 11110001 again" test "$(wj "$ALICE" "str(d['mcid'])")" = 11110001
IN=$PW_PROF expect 0 "the replaced MCID is free (another user can link it)" env MCIDCTL_TOKEN="$PAT" "$M" link --login alice2@outlook.com --password-stdin
check "pat holds 11110002" test "$(wj "$PAT" "str(d['mcid'])")" = 11110002
MCIDCTL_TOKEN=$PAT "$M" unlink >/dev/null 2>&1

echo "== moving companies (rule 2)"
out=$(skills_csv "$GA")
check "Contoso's skills report shows alice's MCID before the move" \
  test "$(csvq "any(r['mcid']=='11110001' and r['user_email']=='alice@contoso.com' for r in rows)" <<<"$out")" = True
IN=$PW_PROF expect 0 "bo of Fabrikam links alice's MCID" env MCIDCTL_TOKEN="$BO" "$M" link --login alice@outlook.com --password-stdin
check "bo holds the MCID" test "$(wj "$BO" "str(d['mcid'])")" = 11110001
check "alice's link ended" test "$(wj "$ALICE" "d['mcid']")" = None
out=$(skills_csv "$GA")
check "Contoso's skills report no longer shows the MCID" test "$(csvq "any(r['mcid']=='11110001' for r in rows)" <<<"$out")" = False
out=$(skills_csv "$GB")
check "Fabrikam's skills report shows it under bo" \
  test "$(csvq "any(r['mcid']=='11110001' and r['user_email']=='bo@fabrikam.com' and r['mpn_id']=='7654321' for r in rows)" <<<"$out")" = True
check "the audit log records a transfer" has 'transfer' "$(store_sql "select action from audit")"
check "exactly one link row for the MCID" test "$(store_sql "select count(*) from links where mcid=11110001")" = 1

echo "== profile sign-in failures and lockout"
IN=wrong-password-000 expect_err 7 'profile sign-in failed' "wrong profile password" \
  env MCIDCTL_TOKEN="$PAT" "$M" link --login alice2@outlook.com --password-stdin
e1=$(first_line "$ERR")
IN=$PW_PROF expect_err 7 'profile sign-in failed' "unknown profile login" \
  env MCIDCTL_TOKEN="$PAT" "$M" link --login nobody@outlook.com --password-stdin
e2=$(first_line "$ERR")
check "wrong password and unknown login give the same message" test -n "$e1" -a "$e1" = "$e2"
check "no link after failed sign-ins" test "$(wj "$PAT" "d['mcid']")" = None

add_profile 11110003 lock@outlook.com "Locked Out" || bad "add profile 11110003"
fails=0
for i in 1 2 3 4 5; do
  IN=wrong-password-00$i run env MCIDCTL_TOKEN="$PAT" "$M" link --login lock@outlook.com --password-stdin
  [[ $RC == 7 ]] && fails=$((fails+1))
  [[ $i == 4 ]] && check "the fourth failure does not mention a lock" lacks 'locked' "$ERR"
done
check "five wrong profile passwords each exit 7" test "$fails" = 5
check "the fifth failure says the profile is now locked, and until when" \
  has 'after 5 failures in a row lock@outlook.com is locked until [0-9]{4}-' "$ERR"
IN=$PW_PROF expect_err 7 'locked' "locked profile refuses the right password" \
  env MCIDCTL_TOKEN="$PAT" "$M" link --login lock@outlook.com --password-stdin
check "lock message worded as cli-decisions.md ('profile LOGIN is locked until INSTANT')" has 'profile lock@outlook.com is locked until [0-9]{4}-[0-9]{2}-[0-9]{2}T' "$ERR"
check "the lock message gives an instant" has '[0-9]{4}-[0-9]{2}-[0-9]{2}' "$ERR"
check "still no link after the lockout" test "$(wj "$PAT" "d['mcid']")" = None

echo "== privacy: self-service only (rule 3)"
IN=$PW_PROF expect_err 4 '.' "the operator cannot link" env MCIDCTL_TOKEN="$OP" "$M" link --login alice2@outlook.com --password-stdin
IN=$PW_PU expect_err 4 '.' "the operator cannot associate" env MCIDCTL_TOKEN="$OP" "$M" associate --login nobody@pu.example --password-stdin
expect_err 4 '.' "the operator cannot unlink" env MCIDCTL_TOKEN="$OP" "$M" unlink
IN=$PW_PROF expect_err 2 'user' "link --user (no such option) is a usage error" \
  env MCIDCTL_TOKEN="$GA" "$M" link --user alice@contoso.com --login alice2@outlook.com --password-stdin
IN=$PW_PROF expect_err 2 'user' "link --user alone is a usage error" env MCIDCTL_TOKEN="$GA" "$M" link --user x
check "nothing was linked for alice by anyone" test "$(wj "$ALICE" "d['mcid']")" = None
check "11110002 still free (no link rows)" test "$(store_sql "select count(*) from links where mcid=11110002")" = 0

echo "== unlink"
expect 0 "unlink" env MCIDCTL_TOKEN="$BO" "$M" unlink
check "whoami mcid null after unlink" test "$(wj "$BO" "d['mcid']")" = None
expect_err 3 '.' "unlink with nothing linked" env MCIDCTL_TOKEN="$BO" "$M" unlink

echo "== associate (Partner University)"
add_pu alice@pu.example "Alice PU" || bad "add PU account"
MCIDCTL_TOKEN=$OP "$M" registry add-assessment --login alice@pu.example --title "Partner Uni Basics" --code PU-100 --passed-on 2024-02-02 >/dev/null 2>&1 || bad "add assessment"
IN=wrong-password-000 expect_err 7 '.' "associate with a wrong password" env MCIDCTL_TOKEN="$ALICE" "$M" associate --login alice@pu.example --password-stdin
check "no PU access after a wrong password" test "$(wj "$ALICE" "d['university_login']")" = None
IN=$PW_PU expect 0 "associate" env MCIDCTL_TOKEN="$ALICE" "$M" associate --login alice@pu.example --password-stdin
check "whoami shows the university login" test "$(wj "$ALICE" "d['university_login']")" = alice@pu.example
check "whoami lists the assessment with source partner-university" \
  test "$(wj "$ALICE" "$(cred PU-100 source)")" = partner-university
expect 0 "unlink --university" env MCIDCTL_TOKEN="$ALICE" "$M" unlink --university
check "university_login null after unlink --university" test "$(wj "$ALICE" "d['university_login']")" = None
expect_err 3 '.' "unlink --university without PU access" env MCIDCTL_TOKEN="$ALICE" "$M" unlink --university

echo "== link --use-university-account (rule 4)"
IN=$PW_PROF expect_err 3 '.' "--use-university-account without a PU account" \
  env MCIDCTL_TOKEN="$PAT" "$M" link --use-university-account --password-stdin
add_profile 11110004 same@example.net "Pat Same" || bad "add profile 11110004"
add_cred 11110004 AZ-900 "Azure Fundamentals" exam 2023-06-01 || bad "add credential AZ-900"
add_pu_with "$PW_PROF" same@example.net "Pat Same" || bad "add PU account with the profile's password"
IN=$PW_PROF expect 0 "associate the PU account with the same sign-in" env MCIDCTL_TOKEN="$PAT" "$M" associate --login same@example.net --password-stdin
IN=wrong-password-000 expect_err 7 '.' "--use-university-account with a wrong password" \
  env MCIDCTL_TOKEN="$PAT" "$M" link --use-university-account --password-stdin
check "no link after the wrong password" test "$(wj "$PAT" "d['mcid']")" = None
IN=$PW_PROF expect 0 "--use-university-account links the same-named profile" \
  env MCIDCTL_TOKEN="$PAT" "$M" link --use-university-account --password-stdin
check "pat linked to 11110004 through the PU sign-in" test "$(wj "$PAT" "str(d['mcid'])")" = 11110004
IN=$PW_PU expect 0 "alice associates again" env MCIDCTL_TOKEN="$ALICE" "$M" associate --login alice@pu.example --password-stdin
IN=$PW_PU expect_err 3 '.' "--use-university-account with no profile of that sign-in name" \
  env MCIDCTL_TOKEN="$ALICE" "$M" link --use-university-account --password-stdin
check "alice still unlinked" test "$(wj "$ALICE" "d['mcid']")" = None

echo "== whoami"
expect 0 "whoami json" env MCIDCTL_TOKEN="$PAT" "$M" whoami --format json
w=$OUT
keys="['email','name','role','mpn_id','mcid','university_login','associations_used','association_limit','next_association_on','credentials']"
check "whoami has every key of PRODUCT.md" test "$(json "all(k in d for k in $keys)" <<<"$w")" = True
check "whoami identity fields" test "$(json "(d['email'],d['role'],d['mpn_id'],d['name'])" <<<"$w")" = "('pat@contoso.com', 'partner-admin', '1234567', 'Pat')"
check "whoami university_login" test "$(json "d['university_login']" <<<"$w")" = same@example.net
check "association_limit defaults to 5" test "$(json "d['association_limit']" <<<"$w")" = 5
check "associations_used is a positive count" test "$(json "isinstance(d['associations_used'],int) and d['associations_used']>=1" <<<"$w")" = True
check "next_association_on null under the limit" test "$(json "d['next_association_on']" <<<"$w")" = None
check "credentials is a non-empty array" test "$(json "isinstance(d['credentials'],list) and len(d['credentials'])>0" <<<"$w")" = True
check "every credential has code,title,source,state,reflected_on" \
  test "$(json "all(all(k in c for k in ['code','title','source','state','reflected_on']) for c in d['credentials'])" <<<"$w")" = True
check "AZ-900 title and source" test "$(json "($(cred AZ-900 title), $(cred AZ-900 source))" <<<"$w")" = "('Azure Fundamentals', 'learning')"
expect 0 "operator whoami json" env MCIDCTL_TOKEN="$OP" "$M" whoami --format json
check "operator whoami: role operator, mpn_id and mcid null" \
  test "$(json "(d['role'],d['mpn_id'],d['mcid'])" <<<"$OUT")" = "('operator', None, None)"
check "alice whoami: no MCID, the PU login, mpn_id 1234567" \
  test "$(wj "$ALICE" "(d['mcid'],d['university_login'],d['mpn_id'])")" = "(None, 'alice@pu.example', '1234567')"

echo "== race: two users link the same MCID at once (rule 1)"
for n in 1 2 3 4; do
  add_profile 1112000$n race$n@outlook.com "Race $n" || bad "add race profile $n"
done
race_codes_ok=0 race_one_holder=0
for n in 1 2 3 4; do
  printf '%s\n' "$PW_PROF" | MCIDCTL_TOKEN=$ALICE "$M" link --login race$n@outlook.com --password-stdin --replace >/dev/null 2>"$T/race_a" & pa=$!
  printf '%s\n' "$PW_PROF" | MCIDCTL_TOKEN=$BO "$M" link --login race$n@outlook.com --password-stdin --replace >/dev/null 2>"$T/race_b" & pb=$!
  wait $pa; ra=$?; wait $pb; rb=$?
  if in_set "$ra" 0 5 7 && in_set "$rb" 0 5 7 && [[ $ra == 0 || $rb == 0 ]]; then race_codes_ok=$((race_codes_ok+1))
  else echo "    round $n: exit codes $ra/$rb; $(cat "$T/race_a" "$T/race_b" | head -c 300)"; fi
  ma=$(wj "$ALICE" "str(d['mcid'])"); mb=$(wj "$BO" "str(d['mcid'])")
  holders=0; [[ $ma == 1112000$n ]] && holders=$((holders+1)); [[ $mb == 1112000$n ]] && holders=$((holders+1))
  links=$(store_sql "select count(*) from links where mcid=1112000$n")
  if [[ $holders == 1 && $links == 1 ]]; then race_one_holder=$((race_one_holder+1))
  else echo "    round $n: alice=$ma bo=$mb link rows=$links"; fi
done
check "race: every round exits 0/5/7 (never 1 or 9), at least one 0" test "$race_codes_ok" = 4
check "race: exactly one user holds the MCID after every round" test "$race_one_holder" = 4
check "race: no MCID linked twice, no user with two links" \
  test "$(store_sql "select case when (select count(*) from links) = (select count(distinct user_id) from links) then 1 else 0 end")" = 1

# ==== annual association limit (rule 5) and reflection delay (rule 6) ===============
echo "== reflection delay (rule 6)"
fresh_env
setup_world 2>/dev/null || { bad "setup_world (2)"; summary; exit; }
TODAY=$(day now)
add_profile 22220002 refl@outlook.com "Pat Reflect" || bad "add profile 22220002"
add_cred 22220002 OLD-1 "Older certification" certification 2024-05-01 || bad "add credential OLD-1"
add_cred 22220002 SAME-1 "Passed on the link day" exam "$TODAY" || bad "add credential SAME-1"
IN=$PW_PROF expect 0 "pat links (reflection profile)" env MCIDCTL_TOKEN="$PAT" "$M" link --login refl@outlook.com --password-stdin
R_OLD=$(day '+3 days') R_SAME=$(day '+10 days')
check "credential passed before the link day: pending" test "$(wj "$PAT" "$(cred OLD-1 state)")" = pending
check "…reflected 72h after the link ($R_OLD)" test "$(wj "$PAT" "str($(cred OLD-1 reflected_on))[:10]")" = "$R_OLD"
check "credential passed on the link day: pending" test "$(wj "$PAT" "$(cred SAME-1 state)")" = pending
check "…reflected 10 days after its passed date ($R_SAME)" test "$(wj "$PAT" "str($(cred SAME-1 reflected_on))[:10]")" = "$R_SAME"
out=$(MCIDCTL_TOKEN=$GA "$M" report skills --format csv 2>/dev/null)
check "skills report leaves pending rows out" test "$(csvq "any(r['mcid']=='22220002' for r in rows)" <<<"$out")" = False
out=$(skills_csv "$GA")
check "--include-pending shows OLD-1 pending with its date" \
  test "$(csvq "[(r['state'],r['reflected_on']) for r in rows if r['credential_code']=='OLD-1']" <<<"$out")" = "[('pending', '$R_OLD')]"

D2=$(stamp '+2 days') D4=$(stamp '+4 days') D11=$(stamp '+11 days') D13=$(stamp '+13 days')
P2=$(day '+2 days') R_NEW=$(day '+12 days')
expect 0 "operator adds a credential passed after the link (faketime +2d)" \
  at "$D2" env MCIDCTL_TOKEN="$OP" "$M" registry add-credential --mcid 22220002 --code NEW-1 --title "Passed after the link" --type exam --passed-on "$P2"
check "credential passed after the link: reflected 10 days after its passed date ($R_NEW)" \
  test "$(wj_at "$D2" "$PAT" "($(cred NEW-1 state), str($(cred NEW-1 reflected_on))[:10])")" = "('pending', '$R_NEW')"
check "+4d: OLD-1 reflected" test "$(wj_at "$D4" "$PAT" "$(cred OLD-1 state)")" = reflected
check "+4d: SAME-1 still pending" test "$(wj_at "$D4" "$PAT" "$(cred SAME-1 state)")" = pending
out=$(at "$D4" env MCIDCTL_TOKEN="$GA" "$M" report skills --format csv 2>/dev/null)
check "+4d: skills report has OLD-1 reflected and not SAME-1" \
  test "$(csvq "sorted((r['credential_code'],r['state'],r['reflected_on']) for r in rows if r['mcid']=='22220002')" <<<"$out")" = "[('OLD-1', 'reflected', '$R_OLD')]"
check "+11d: SAME-1 reflected" test "$(wj_at "$D11" "$PAT" "$(cred SAME-1 state)")" = reflected
check "+11d: NEW-1 still pending" test "$(wj_at "$D11" "$PAT" "$(cred NEW-1 state)")" = pending
check "+13d: NEW-1 reflected" test "$(wj_at "$D13" "$PAT" "$(cred NEW-1 state)")" = reflected

echo "== annual association limit (rule 5)"
expect 4 "a Global Admin cannot change the limit" env MCIDCTL_TOKEN="$GA" "$M" config set association.limit 2
expect 0 "operator sets association.limit 2" env MCIDCTL_TOKEN="$OP" "$M" config set association.limit 2
add_profile 22220001 lim@outlook.com "Alice Limit" || bad "add profile 22220001"
IN=$PW_PROF expect 0 "association 1" env MCIDCTL_TOKEN="$ALICE" "$M" link --login lim@outlook.com --password-stdin
check "whoami: 1 of 2 used, no next date" \
  test "$(wj "$ALICE" "(d['associations_used'],d['association_limit'],d['next_association_on'])")" = "(1, 2, None)"
expect 0 "unlink 1" env MCIDCTL_TOKEN="$ALICE" "$M" unlink
IN=$PW_PROF expect 0 "association 2" env MCIDCTL_TOKEN="$ALICE" "$M" link --login lim@outlook.com --password-stdin
check "whoami: 2 of 2 used" test "$(wj "$ALICE" "(d['associations_used'],d['association_limit'])")" = "(2, 2)"
next=$(wj "$ALICE" "d['next_association_on']")
check "whoami: next_association_on is a date at the limit" has '^[0-9]{4}-[0-9]{2}-[0-9]{2}$' "$next"
check "next_association_on is 365 days after the first association" in_set "$next" "$(day '+365 days')" "$(day '+366 days')"
expect 0 "unlink 2" env MCIDCTL_TOKEN="$ALICE" "$M" unlink
IN=$PW_PROF expect_err 6 'association limit.*[0-9]{4}-[0-9]{2}-[0-9]{2}' "association 3 hits the limit (exit 6 with a date)" \
  env MCIDCTL_TOKEN="$ALICE" "$M" link --login lim@outlook.com --password-stdin
check "limit message worded as cli-decisions.md" has 'association limit reached \(2 in 365 days\) for MCID [0-9]+; a new association is possible on [0-9]{4}-[0-9]{2}-[0-9]{2}' "$ERR"
check "the limit message gives whoami's next date" has "$next" "$ERR"
check "no link after hitting the limit" test "$(wj "$ALICE" "d['mcid']")" = None
IN=$PW_PROF expect_err 6 '[0-9]{4}-[0-9]{2}-[0-9]{2}' "the limit is per profile: another user hits it too" \
  env MCIDCTL_TOKEN="$PAT" "$M" link --login lim@outlook.com --password-stdin --replace
check "pat keeps the previous link" test "$(wj "$PAT" "str(d['mcid'])")" = 22220002
D366=$(stamp '+366 days')
A366=$(token_at "$D366" alice@contoso.com "$PW_USER")
check "sign in 366 days later" test -n "$A366"
IN=$PW_PROF expect 0 "366 days later linking works again" \
  at "$D366" env MCIDCTL_TOKEN="$A366" "$M" link --login lim@outlook.com --password-stdin
check "366 days later whoami shows the link, under the limit" \
  test "$(wj_at "$D366" "$A366" "(str(d['mcid']),d['associations_used'],d['next_association_on'])")" = "('22220001', 1, None)"

summary
