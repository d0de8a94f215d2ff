#!/bin/bash
# End-to-end: organizations (enroll, list, show) and users (invite, accept, resend,
# update-email, set-role, list, show): roles, validation, conflicts, invitation expiry,
# and tenant isolation.
source "$(dirname "$0")/lib.sh"

# ---- suite helpers ----------------------------------------------------------------
as()    { local tok=$1; shift; MCIDCTL_TOKEN=$tok "$M" "$@"; }
later() { date -d "+$1" '+%F %T'; }          # a time from now, for at()
day()   { date -u -d "+$1" +%F; }            # a UTC date from now
j()     { json "$1" <<<"$OUT" 2>/dev/null; } # evaluate over the last run's stdout
PERM='permission|denied|not allowed|only|operator|admin|organization'
NF='not found|unknown|no such|does not exist|no user|no organization'

fresh_env
if ! setup_world 2>/dev/null; then bad "setup_world"; summary; exit; fi
ok "setup_world"

# ---- org enroll: who, validation, conflicts ---------------------------------------------
expect_err 4 "$PERM" "GA cannot enroll an organization -> 4" as "$GA" org enroll --mpn-id 2222222 --name X --admin x@x.example
expect_err 4 "$PERM" "user cannot enroll an organization -> 4" as "$ALICE" org enroll --mpn-id 2222222 --name X --admin x@x.example
expect_err 7 'not signed in' "not signed in: org enroll -> 7" "$M" org enroll --mpn-id 2222222 --name X --admin x@x.example
expect_err 2 'mpn' "mpn-id of 5 digits -> 2" as "$OP" org enroll --mpn-id 12345 --name X --admin x@x.example
expect_err 2 'mpn' "mpn-id of 11 digits -> 2" as "$OP" org enroll --mpn-id 12345678901 --name X --admin x@x.example
expect_err 2 'mpn' "mpn-id with letters -> 2" as "$OP" org enroll --mpn-id 12a4567 --name X --admin x@x.example
expect_err 2 'mpn' "mpn-id with a sign -> 2" as "$OP" org enroll --mpn-id +1234567 --name X --admin x@x.example
expect_err 2 'mpn' "mpn-id missing -> 2" as "$OP" org enroll --name X --admin x@x.example
expect_err 5 'already' "mpn-id already enrolled -> 5" as "$OP" org enroll --mpn-id 1234567 --name Again --admin again@contoso.com
expect_err 2 'email|admin' "invalid admin email -> 2" as "$OP" org enroll --mpn-id 3333333 --name Z --admin not-an-email
expect_err 2 'name' "empty organization name -> 2" as "$OP" org enroll --mpn-id 3333333 --name '' --admin z@z.example
expect_err 5 'already|in use|exists' "admin email already used (other case) -> 5" as "$OP" org enroll --mpn-id 3333333 --name Z --admin ALICE@contoso.com
expect_err 3 "$NF" "refused enrollments created no organization" as "$OP" org show 3333333

# ---- org list / org show -----------------------------------------------------------------
expect 0 "operator: org list --format json" as "$OP" org list --format json
check "operator sees both organizations" test "$(j "sorted((o['mpn_id'], o['name']) for o in d)")" = "[('1234567', 'Contoso'), ('7654321', 'Fabrikam')]"
expect 0 "GA: org list --format json" as "$GA" org list --format json
check "Contoso GA sees only Contoso" test "$(j "[(o['mpn_id'], o['name']) for o in d]")" = "[('1234567', 'Contoso')]"
expect 0 "Fabrikam GA: org list" as "$GB" org list --format json
check "Fabrikam GA sees only Fabrikam" test "$(j "[o['mpn_id'] for o in d]")" = "['7654321']"
expect 0 "user: org list" as "$ALICE" org list --format json
check "user sees only their own organization" test "$(j "[o['mpn_id'] for o in d]")" = "['1234567']"
expect 0 "operator: org show 1234567" as "$OP" org show 1234567 --format json
check "org show json: mpn_id string and name" test "$(j "(d['mpn_id'], d['name'])")" = "('1234567', 'Contoso')"
expect 0 "GA: org show own organization" as "$GA" org show 1234567
check "org show table names Contoso" has 'Contoso' "$OUT"
expect_err 4 "$PERM" "GA: org show another organization -> 4" as "$GA" org show 7654321
expect_err 3 "$NF" "org show unknown -> 3" as "$OP" org show 9999999

# ---- org enroll: success, output, boundaries ---------------------------------------------
expect 0 "enroll a 6-digit MPN ID" as "$OP" org enroll --mpn-id 123456 --name 'Six Digits' --admin admin@six.example --format json
check "enroll json has email, code, expires_on" test "$(j "sorted(k for k in d if k in ('email','code','expires_on'))")" = "['code', 'email', 'expires_on']"
check "enroll json: email is the admin's" test "$(j "d['email']")" = admin@six.example
check "enroll json: a code" test -n "$(j "d['code'] or ''")"
check "enroll json: expires_on in 14 days" test "$(j "str(d['expires_on'])[:10]")" = "$(day '14 days')"
expect 0 "enroll a 10-digit MPN ID" as "$OP" org enroll --mpn-id 1234567890 --name 'Ten Digits' --admin admin@ten.example
expect 0 "org list after two more enrollments" as "$OP" org list --format json
check "operator now sees 4 organizations" test "$(j "len(d)")" = 4
expect 0 "new organization's admin is a pending global-admin" as "$OP" user show admin@six.example --format json
check "... role global-admin, status invited" test "$(j "(d['role'], d['status'])")" = "('global-admin', 'invited')"

# ---- user invite ------------------------------------------------------------------------------
expect 0 "GA invites carol (json)" as "$GA" user invite carol@contoso.com --name Carol --format json
check "invite json has email, code, expires_on" test "$(j "sorted(k for k in d if k in ('email','code','expires_on'))")" = "['code', 'email', 'expires_on']"
check "invite json: email" test "$(j "d['email']")" = carol@contoso.com
check "invite json: expires_on in 14 days" test "$(j "str(d['expires_on'])[:10]")" = "$(day '14 days')"
CODE_CAROL=$(j "d['code']")
expect 0 "user show carol" as "$GA" user show carol@contoso.com --format json
check "default role user, status invited" test "$(j "(d['email'], d['name'], d['role'], d['status'])")" = "('carol@contoso.com', 'Carol', 'user', 'invited')"
expect 0 "GA invites pam as partner-admin" as "$GA" user invite pam@contoso.com --name Pam --role partner-admin
expect 0 "user show pam" as "$GA" user show pam@contoso.com --format json
check "pam: role partner-admin" test "$(j "d['role']")" = partner-admin
expect_err 5 'already' "invite ALICE@Contoso.com (existing, other case) -> 5" as "$GA" user invite ALICE@Contoso.com --name Alice2
expect_err 5 'already' "invite a pending email again -> 5" as "$GA" user invite carol@contoso.com --name Carol
expect_err 5 'already' "invite an email used in another organization -> 5" as "$GA" user invite Bo@Fabrikam.com --name Bo
expect_err 5 'already' "invite the operator's email -> 5" as "$GA" user invite op@example.com --name Op
expect_err 2 'email' "invalid email -> 2" as "$GA" user invite not-an-email --name X
expect_err 2 'email' "email without a domain -> 2" as "$GA" user invite x@ --name X
expect_err 2 'email' "email over 254 characters -> 2" as "$GA" user invite "$(printf 'a%.0s' {1..250})@contoso.com" --name X
expect_err 2 'role' "invite --role bogus -> 2" as "$GA" user invite x@contoso.com --name X --role bogus
expect_err 2 'name' "invite with an empty name -> 2" as "$GA" user invite x@contoso.com --name ''
expect_err 2 'name' "invite with a control character in the name -> 2" as "$GA" user invite x@contoso.com --name $'Bad\x01Name'
expect_err 4 "$PERM" "user cannot invite -> 4" as "$ALICE" user invite x@contoso.com --name X
expect_err 4 "$PERM" "partner-admin cannot invite -> 4" as "$PAT" user invite x@contoso.com --name X
expect_err 4 "$PERM" "Fabrikam GA cannot invite into Contoso (--org 1234567) -> 4" as "$GB" user invite x@contoso.com --name X --org 1234567
expect_err 3 "$NF" "x@contoso.com was not created by the refused invites" as "$GA" user show x@contoso.com
expect 0 "operator invites into Contoso with --org" as "$OP" user invite oscar@contoso.com --name Oscar --org 1234567
expect 0 "Contoso GA sees oscar" as "$GA" user show oscar@contoso.com --format json
check "oscar is an invited user" test "$(j "(d['role'], d['status'])")" = "('user', 'invited')"

# ---- user accept ------------------------------------------------------------------------------
IN=$PW_USER expect_err 2 'not an invitation code' "accept with a malformed code -> 2" "$M" user accept carol@contoso.com --code WRONG-CODE-123 --password-stdin
IN=$PW_USER expect_err 7 'invalid invitation code' "accept with a wrong code -> 7" "$M" user accept carol@contoso.com --code ABCD-EFGH-JKMN-PQRS --password-stdin
IN=$PW_USER expect_err 7 'invalid|code' "accept carol with another invitation's code -> 7" "$M" user accept pam@contoso.com --code "$CODE_CAROL" --password-stdin
IN=$PW_USER expect 0 "accept carol with her code (no sign-in needed)" "$M" user accept carol@contoso.com --code "$CODE_CAROL" --password-stdin
IN=$PW_USER expect_err 7 'invalid invitation code' "accept twice -> 7, as for any account without that pending invitation (no enumeration)" "$M" user accept carol@contoso.com --code "$CODE_CAROL" --password-stdin
expect 0 "carol is active" as "$GA" user show carol@contoso.com --format json
check "carol status active" test "$(j "d['status']")" = active
expect 0 "GA invites dave" as "$GA" user invite dave@contoso.com --name Dave --format json
CODE_DAVE=$(j "d['code']")
IN=$PW_USER expect_err 7 'expired' "accept 15 days later -> 7 expired" at "$(later '15 days')" "$M" user accept dave@contoso.com --code "$CODE_DAVE" --password-stdin
check "expired: names the expiry date" has "$(day '14 days')" "$ERR"
check "expired: hint to ask for a resend" has 'resend' "$ERR"
IN=$PW_USER expect 0 "accept 13 days later works" at "$(later '13 days')" "$M" user accept dave@contoso.com --code "$CODE_DAVE" --password-stdin

# ---- user resend ------------------------------------------------------------------------------
expect 0 "GA invites erin" as "$GA" user invite erin@contoso.com --name Erin --format json
CODE1=$(j "d['code']")
expect 0 "resend erin (json)" as "$GA" user resend erin@contoso.com --format json
check "resend json has email, code, expires_on" test "$(j "sorted(k for k in d if k in ('email','code','expires_on'))")" = "['code', 'email', 'expires_on']"
CODE2=$(j "d['code']")
check "resend issued a new code" test -n "$CODE2" -a "$CODE2" != "$CODE1"
IN=$PW_USER expect_err 7 'invalid|code' "old code after resend -> 7" "$M" user accept erin@contoso.com --code "$CODE1" --password-stdin
IN=$PW_USER expect 0 "new code after resend works" "$M" user accept erin@contoso.com --code "$CODE2" --password-stdin
expect_err 5 'pending|invit|active' "resend for an active user -> 5" as "$GA" user resend alice@contoso.com
expect_err 3 "$NF" "resend for an unknown email -> 3" as "$GA" user resend nobody@contoso.com
expect 0 "GA invites gina" as "$GA" user invite gina@contoso.com --name Gina
expect_err 4 "$PERM" "user cannot resend -> 4" as "$ALICE" user resend gina@contoso.com
expect_err 4 "$PERM" "Fabrikam GA cannot resend a Contoso invitation -> 4" as "$GB" user resend gina@contoso.com
expect 0 "resend 10 days later" at "$(later '10 days')" env MCIDCTL_TOKEN="$GA" "$M" user resend gina@contoso.com --format json
check "resend restarts the 14 days" test "$(j "str(d['expires_on'])[:10]")" = "$(day '24 days')"

# ---- user update-email ----------------------------------------------------------------------------
expect 0 "GA invites frank" as "$GA" user invite frank@contoso.com --name Frank
expect 0 "update-email of a pending invitation" as "$GA" user update-email frank@contoso.com frank2@contoso.com
expect 0 "user show new email" as "$GA" user show frank2@contoso.com --format json
check "frank2: invited, name kept" test "$(j "(d['email'], d['name'], d['status'])")" = "('frank2@contoso.com', 'Frank', 'invited')"
expect_err 3 "$NF" "old email is gone -> 3" as "$GA" user show frank@contoso.com
expect_err 5 'pending|invit|active' "update-email of an active user -> 5" as "$GA" user update-email alice@contoso.com alice2@contoso.com
expect_err 5 'already|in use|taken|exists' "update-email to a taken email -> 5" as "$GA" user update-email frank2@contoso.com pat@contoso.com
expect_err 5 'already|in use|taken|exists' "update-email to a taken email, other case -> 5" as "$GA" user update-email frank2@contoso.com PAT@CONTOSO.COM
expect_err 5 'already|in use|taken|exists' "update-email to another organization's email -> 5" as "$GA" user update-email frank2@contoso.com bo@fabrikam.com
expect_err 2 'email' "update-email to an invalid email -> 2" as "$GA" user update-email frank2@contoso.com not-an-email
expect_err 3 "$NF" "update-email of an unknown email -> 3" as "$GA" user update-email nobody@contoso.com n2@contoso.com
expect_err 4 "$PERM" "user cannot update-email -> 4" as "$ALICE" user update-email frank2@contoso.com f3@contoso.com
expect_err 4 "$PERM" "Fabrikam GA cannot update a Contoso invitation -> 4" as "$GB" user update-email frank2@contoso.com f3@contoso.com
expect 0 "frank2 unchanged after refusals" as "$GA" user show frank2@contoso.com --format json
check "frank2 still frank2" test "$(j "d['email']")" = frank2@contoso.com

# ---- user set-role ------------------------------------------------------------------------------------
expect 0 "GA sets alice partner-admin" as "$GA" user set-role alice@contoso.com partner-admin
expect 0 "user show alice" as "$GA" user show alice@contoso.com --format json
check "alice is partner-admin" test "$(j "d['role']")" = partner-admin
expect 0 "GA sets alice back to user" as "$GA" user set-role ALICE@contoso.com user
expect 0 "user show alice again" as "$GA" user show alice@contoso.com --format json
check "alice is user again" test "$(j "d['role']")" = user
expect_err 4 "$PERM" "partner-admin cannot set roles -> 4" as "$PAT" user set-role alice@contoso.com partner-admin
expect_err 4 "$PERM" "user cannot set roles -> 4" as "$ALICE" user set-role alice@contoso.com global-admin
expect_err 4 "$PERM" "Fabrikam GA cannot set a Contoso role -> 4" as "$GB" user set-role alice@contoso.com partner-admin
expect_err 3 "$NF" "set-role of an unknown email -> 3" as "$GA" user set-role nobody@contoso.com user
expect_err 2 'role' "set-role to a bogus role -> 2" as "$GA" user set-role alice@contoso.com bogus
expect_err 5 'last' "the last Global Admin cannot demote themself -> 5" as "$GA" user set-role ga@contoso.com user
expect 0 "ga still global-admin" as "$GA" user show ga@contoso.com --format json
check "ga role unchanged" test "$(j "d['role']")" = global-admin
expect 0 "alice still user after refusals" as "$GA" user show alice@contoso.com --format json
check "alice role unchanged by refused set-role" test "$(j "d['role']")" = user

# ---- user rename, org enroll --admin-name ----------------------------------------------------------------
expect 0 "GA renames alice" as "$GA" user rename ALICE@contoso.com 'Alice Lind-Berg'
check "the message names the new name" has "alice@contoso.com is now named 'Alice Lind-Berg'" "$ERR"
expect 0 "user show alice" as "$GA" user show alice@contoso.com --format json
check "alice's name changed" test "$(j "d['name']")" = "Alice Lind-Berg"
expect 0 "the audit log has the rename" as "$GA" audit list --action user.rename --format json
check "with the old and new name" test "$(j "[(o['target'], o['detail']) for o in d]")" = "[('alice@contoso.com', \"'Alice' -> 'Alice Lind-Berg'\")]"
expect 0 "the same name again changes nothing" as "$GA" user rename alice@contoso.com 'Alice Lind-Berg'
expect 0 "audit list after it" as "$GA" audit list --action user.rename --format json
check "and is not audited again" test "$(j "len(d)")" = 1
expect_err 4 "$PERM" "partner-admin cannot rename -> 4" as "$PAT" user rename alice@contoso.com X
expect_err 4 "$PERM" "a user cannot rename -> 4" as "$ALICE" user rename alice@contoso.com X
expect_err 4 "$PERM" "Fabrikam GA cannot rename a Contoso user -> 4" as "$GB" user rename alice@contoso.com X
expect_err 3 "$NF" "rename of an unknown email -> 3" as "$GA" user rename nobody@contoso.com X
expect_err 2 'name' "an empty name -> 2" as "$GA" user rename alice@contoso.com ''
expect_err 2 'name' "a name with a control character -> 2" as "$GA" user rename alice@contoso.com $'A\x1b[31mB'
expect 0 "alice's name unchanged by refusals" as "$GA" user show alice@contoso.com --format json
check "still Alice Lind-Berg" test "$(j "d['name']")" = "Alice Lind-Berg"
expect 0 "GA renames alice back" as "$GA" user rename alice@contoso.com Alice
expect 0 "operator enrolls with --admin-name" as "$OP" org enroll --mpn-id 4444444 --name Northwind --admin gita@northwind.example --admin-name 'Gita Amin' --format json
expect 0 "the admin's invitation carries the name" as "$OP" user list --org 4444444 --format json
check "named Gita Amin, not 'gita'" test "$(j "[o['name'] for o in d]")" = "['Gita Amin']"
expect 0 "without --admin-name" as "$OP" org enroll --mpn-id 4444445 --name Northwind2 --admin kim@northwind2.example --format json
expect 0 "the default name" as "$OP" user list --org 4444445 --format json
check "is the part before '@'" test "$(j "[o['name'] for o in d]")" = "['kim']"
expect_err 2 'admin-name' "an empty --admin-name -> 2" as "$OP" org enroll --mpn-id 4444446 --name N3 --admin a@n3.example --admin-name ''

# ---- user list -------------------------------------------------------------------------------------------
expect 0 "GA: user list --format json" as "$GA" user list --format json
check "user list: every object has email, name, role, status" test "$(j "all(all(k in o for k in ('email','name','role','status')) for o in d)")" = True
check "user list: Contoso users present" test "$(j "all(e in [o['email'] for o in d] for e in ('ga@contoso.com','alice@contoso.com','pat@contoso.com','carol@contoso.com'))")" = True
check "tenant isolation: Contoso GA sees no other organization's users" test "$(j "[o['email'] for o in d if not o['email'].endswith('@contoso.com')]")" = "[]"
N_ALL=$(j "len(d)")
expect 0 "GA: user list --format jsonl" as "$GA" user list --format jsonl
check "jsonl: one object per line, same count" test "$(python3 -c 'import json,sys; print(sum(isinstance(json.loads(l),dict) for l in sys.stdin if l.strip()))' <<<"$OUT" 2>/dev/null)" = "$N_ALL"
expect 0 "GA: user list --format csv" as "$GA" user list --format csv
check "csv header has email,name,role,status" test "$(csvq "all(k in header for k in ('email','name','role','status'))" <<<"$OUT")" = True
expect 0 "GA: user list --status invited" as "$GA" user list --status invited --format json
check "--status invited: only invited, not empty" test "$(j "len(d)>0 and all(o['status']=='invited' for o in d)")" = True
check "--status invited: gina listed, alice not" test "$(j "('gina@contoso.com' in [o['email'] for o in d], 'alice@contoso.com' in [o['email'] for o in d])")" = "(True, False)"
check "--status invited: age_days, invited_on, expires_on" test "$(j "all(all(k in o for k in ('age_days','invited_on','expires_on')) for o in d)")" = True
check "--status invited: fresh invitation is 0 days old, invited today" test "$(j "[(o['age_days'], str(o['invited_on'])[:10]) for o in d if o['email']=='frank2@contoso.com']")" = "[(0, '$(day '0 days')')]"
expect 0 "user list --status invited 3 days later" at "$(later '3 days')" env MCIDCTL_TOKEN="$GA" "$M" user list --status invited --format json
check "age_days is 3 three days later" test "$(j "[o['age_days'] for o in d if o['email']=='frank2@contoso.com']")" = "[3]"
expect 0 "GA: user list --status invited (table)" as "$GA" user list --status invited
check "table shows an age column" has 'age' "$OUT"
check "table lists gina" has 'gina@contoso\.com' "$OUT"
expect 0 "GA: user list --status active" as "$GA" user list --status active --format json
check "--status active: only active, alice included" test "$(j "all(o['status']=='active' for o in d) and 'alice@contoso.com' in [o['email'] for o in d]")" = True
expect 0 "GA: user list --role partner-admin" as "$GA" user list --role partner-admin --format json
check "--role partner-admin: only partner-admins, pat included" test "$(j "all(o['role']=='partner-admin' for o in d) and 'pat@contoso.com' in [o['email'] for o in d]")" = True
expect_err 2 'status' "user list --status bogus -> 2" as "$GA" user list --status bogus
expect_err 2 'role' "user list --role bogus -> 2" as "$GA" user list --role bogus
expect 0 "partner-admin may list users" as "$PAT" user list --format json
check "partner-admin sees Contoso only" test "$(j "len(d)>0 and all(o['email'].endswith('@contoso.com') for o in d)")" = True
expect_err 4 "$PERM" "user cannot list users -> 4" as "$ALICE" user list
expect 0 "Fabrikam GA: user list" as "$GB" user list --format json
check "tenant isolation: Fabrikam GA sees bo and no Contoso user" test "$(j "'bo@fabrikam.com' in [o['email'] for o in d] and not any('contoso' in o['email'] for o in d)")" = True
expect 0 "operator: user list --org 1234567" as "$OP" user list --org 1234567 --format json
check "operator --org narrows to Contoso" test "$(j "len(d)>0 and all(o['email'].endswith('@contoso.com') for o in d)")" = True

# ---- user show -----------------------------------------------------------------------------------------------
expect 0 "user show, email in other case" as "$GA" user show ALICE@CONTOSO.COM --format json
check "user show json: email, name, role, status" test "$(j "(d['email'], d['name'], d['role'], d['status'])")" = "('alice@contoso.com', 'Alice', 'user', 'active')"
expect 0 "partner-admin may show a user" as "$PAT" user show alice@contoso.com
check "user show table names alice" has 'alice@contoso\.com' "$OUT"
expect_err 4 'not a user of your organization' "user show another organization's user -> 4" as "$GA" user show bo@fabrikam.com
expect_err 4 'not a user of your organization' "Fabrikam GA: user show a Contoso user -> 4" as "$GB" user show alice@contoso.com
expect_err 3 "$NF" "user show unknown -> 3" as "$GA" user show nobody@contoso.com
expect_err 4 "$PERM" "user cannot show another user -> 4" as "$ALICE" user show pat@contoso.com

# ---- last Global Admin, with a second one ----------------------------------------------------------------------
expect 0 "GA promotes pat to global-admin" as "$GA" user set-role pat@contoso.com global-admin
expect 0 "with two Global Admins, ga may step down" as "$GA" user set-role ga@contoso.com user
PAT2=$(as_token pat@contoso.com "$PW_USER")
expect_err 5 'last' "now pat is the last Global Admin and cannot step down -> 5" as "$PAT2" user set-role pat@contoso.com partner-admin
expect_err 4 "$PERM" "ga, now a user, cannot set roles -> 4" as "$GA" user set-role alice@contoso.com partner-admin

summary
