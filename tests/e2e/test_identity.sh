#!/bin/bash
# End-to-end: init, login, logout, whoami — password input, sessions (file, MCIDCTL_TOKEN,
# --print-token, --ttl, expiry, revocation), uniform sign-in failures, lockout, audit of
# failed sign-ins, and secrets never leaking into the store or the output.
source "$(dirname "$0")/lib.sh"

# ---- suite helpers ----------------------------------------------------------------
as()    { local tok=$1; shift; MCIDCTL_TOKEN=$tok "$M" "$@"; }
mode()  { stat -c %a "$1" 2>/dev/null; }
later() { date -d "+$1" '+%F %T'; }          # a time from now, for at()
# every run's stdout and stderr is kept in one transcript, to look for leaked secrets
eval "lib_$(declare -f run)"
run() { lib_run "$@"; printf '%s\n%s\n' "$OUT" "$ERR" >>"$E2E_ROOT/transcript"; }
count_in() { grep -aoF -- "$1" "$2" 2>/dev/null | wc -l; }   # count_in STRING FILE
first_line() { printf '%s\n' "$1" | sed -n 1p; }

SIGNIN='sign-in failed'
PW_SHORT='short-pass1'            # 11 characters
PW_12='twelve-chars'              # exactly 12 characters
PW_WRONG='wrong-password-123'

# ---- init: where the password comes from, and its length ------------------------------
fresh_env
expect_err 2 'password-stdin' "init without --password-stdin and no terminal -> 2" "$M" init --operator op@example.com
IN=$PW_SHORT expect_err 2 '12|short|at least' "init with an 11-character password -> 2" "$M" init --operator op@example.com --password-stdin
expect_err 2 'password' "init with empty stdin -> 2" "$M" init --operator op@example.com --password-stdin
IN=$PW_OP expect 0 "init after the refused attempts (nothing half-created)" "$M" init --operator op@example.com --password-stdin

# ---- not signed in ------------------------------------------------------------------------
expect_err 7 'not signed in' "whoami without a session -> 7" "$M" whoami
check "not signed in: hint names 'mcidctl login'" has 'mcidctl login' "$ERR"
check "not signed in: stdout empty" test -z "$OUT"

# ---- login ----------------------------------------------------------------------------------
IN=$PW_OP expect_err 2 'password-stdin' "login without --password-stdin and no terminal -> 2" "$M" login op@example.com
check "refused login wrote no session file" test ! -e "$MCIDCTL_SESSION"
IN=$PW_WRONG expect_err 7 "$SIGNIN" "login with a wrong password -> 7" "$M" login op@example.com --password-stdin
MSG_WRONG=$(first_line "$ERR")
IN=$PW_OP expect_err 7 "$SIGNIN" "login of an unknown account -> 7" "$M" login nobody@example.com --password-stdin
check "unknown account: same message as a wrong password" test -n "$MSG_WRONG" -a "$(first_line "$ERR")" = "$MSG_WRONG"
check "sign-in failure message does not name the account" lacks 'nobody@example' "$ERR"
check "no session file after failed logins" test ! -e "$MCIDCTL_SESSION"

IN=$PW_OP expect 0 "login with --password-stdin" "$M" login op@example.com --password-stdin
check "login: nothing on stdout" test -z "$OUT"
check "login: 'signed in as EMAIL (ROLE) until INSTANT' on stderr" has 'signed in as op@example\.com \(operator\) until [0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}Z' "$ERR"
check "session file written" test -s "$MCIDCTL_SESSION"
check "session file mode 0600" test "$(mode "$MCIDCTL_SESSION")" = 600
expect 0 "whoami with the session file" "$M" whoami
check "whoami shows the operator" has 'op@example\.com' "$OUT"
expect 0 "whoami --format json" "$M" whoami --format json
check "whoami json: email, role operator, mpn_id and mcid null" test "$(json "(d['email'], d['role'], d['mpn_id'], d['mcid'], d['university_login'])" <<<"$OUT" 2>/dev/null)" = "('op@example.com', 'operator', None, None, None)"
IN=$PW_OP$'\n''second line is ignored' expect 0 "only the first line of stdin is the password" "$M" login op@example.com --password-stdin
IN=$PW_OP expect 0 "email is case-insensitive at login" "$M" login OP@Example.COM --password-stdin
IN=$PW_OP expect 0 "login -q" "$M" login op@example.com --password-stdin -q
check "login -q: nothing on stderr" test -z "$ERR"

# ---- an invited (not yet accepted) account cannot sign in; accept password rules -------------
OPTOK=$(as_token op@example.com "$PW_OP")
expect 0 "org enroll (for an invited account)" as "$OPTOK" org enroll --mpn-id 1234567 --name Contoso --admin ga@contoso.com --format json
CODE_GA=$(json "d['code']" <<<"$OUT" 2>/dev/null)
check "invitation code printed" test -n "$CODE_GA"
IN=$PW_GA expect_err 7 "$SIGNIN" "login of an invited account -> 7" "$M" login ga@contoso.com --password-stdin
check "invited account: same message as a wrong password" test -n "$MSG_WRONG" -a "$(first_line "$ERR")" = "$MSG_WRONG"
expect_err 2 'password-stdin' "accept without --password-stdin and no terminal -> 2" "$M" user accept ga@contoso.com --code "$CODE_GA"
IN=$PW_SHORT expect_err 2 '12|short|at least' "accept with an 11-character password -> 2" "$M" user accept ga@contoso.com --code "$CODE_GA" --password-stdin
IN=$PW_12 expect 0 "accept with a 12-character password" "$M" user accept ga@contoso.com --code "$CODE_GA" --password-stdin

# ---- --print-token and MCIDCTL_TOKEN ----------------------------------------------------------
rm -f "$MCIDCTL_SESSION"
IN=$PW_12 expect 0 "login --print-token" "$M" login ga@contoso.com --password-stdin --print-token
GATOK=$OUT
check "--print-token: exactly one line" test -n "$OUT" -a "$(printf '%s\n' "$OUT" | grep -c '')" = 1
check "--print-token: one word, not empty" has '^[^[:space:]]{16,}$' "$GATOK"
check "--print-token: the token is not on stderr" lacks "$GATOK" "$ERR"
check "--print-token: no session file at \$MCIDCTL_SESSION" test ! -e "$MCIDCTL_SESSION"
check "--print-token: no session file at the XDG default" test ! -e "$XDG_STATE_HOME/mcidctl/session"
IN=$PW_OP expect 0 "operator login to the session file" "$M" login op@example.com --password-stdin
expect 0 "MCIDCTL_TOKEN overrides the session file" env MCIDCTL_TOKEN="$GATOK" "$M" whoami --format json
check "MCIDCTL_TOKEN: whoami is the GA" test "$(json "(d['email'], d['role'], d['mpn_id'])" <<<"$OUT" 2>/dev/null)" = "('ga@contoso.com', 'global-admin', '1234567')"
expect 0 "without MCIDCTL_TOKEN the session file is used" "$M" whoami --format json
check "session file: whoami is the operator" test "$(json "d['email']" <<<"$OUT" 2>/dev/null)" = op@example.com
expect_err 7 'not signed in|session|token' "a bogus MCIDCTL_TOKEN -> 7 (no fallback to the file)" env MCIDCTL_TOKEN=bogus-token-value "$M" whoami

# ---- default session location ------------------------------------------------------------------
(
  unset MCIDCTL_SESSION
  IN=$PW_OP expect 0 "login to the XDG_STATE_HOME default" "$M" login op@example.com --password-stdin
  check "session at \$XDG_STATE_HOME/mcidctl/session" test -s "$XDG_STATE_HOME/mcidctl/session"
  check "default session file mode 0600" test "$(mode "$XDG_STATE_HOME/mcidctl/session")" = 600
  expect 0 "whoami with the default session file" "$M" whoami
  expect 0 "logout (default session file)" "$M" logout
  check "logout deleted the default session file" test ! -e "$XDG_STATE_HOME/mcidctl/session"
  echo "$PASS $FAIL" >"$T/sub.counts"
)
read -r PASS FAIL <"$T/sub.counts"

# ---- --ttl ----------------------------------------------------------------------------------------
IN=$PW_12 expect_err 2 '--ttl' "--ttl 91d -> 2" "$M" login ga@contoso.com --password-stdin --print-token --ttl 91d
check "--ttl 91d: no token printed" test -z "$OUT"
IN=$PW_12 expect_err 2 '--ttl' "--ttl 5x -> 2" "$M" login ga@contoso.com --password-stdin --print-token --ttl 5x
IN=$PW_12 expect_err 2 '--ttl' "--ttl=-1h -> 2" "$M" login ga@contoso.com --password-stdin --print-token --ttl=-1h
IN=$PW_12 expect_err 2 '--ttl' "--ttl abc -> 2" "$M" login ga@contoso.com --password-stdin --print-token --ttl abc
IN=$PW_12 expect_err 2 '--ttl' "--ttl 10 (no unit) -> 2" "$M" login ga@contoso.com --password-stdin --print-token --ttl 10
IN=$PW_12 expect 0 "--ttl 90d (the maximum) is accepted" "$M" login ga@contoso.com --password-stdin --print-token --ttl 90d
TOK90=$OUT
expect 0 "90d token valid 89 days later" at "$(later '89 days')" env MCIDCTL_TOKEN="$TOK90" "$M" whoami
expect_err 7 'session expired' "90d token expired 91 days later" at "$(later '91 days')" env MCIDCTL_TOKEN="$TOK90" "$M" whoami

SHORT_SESSION=$T/short-session
IN=$PW_12 expect 0 "login --ttl 10m" env MCIDCTL_SESSION="$SHORT_SESSION" "$M" login ga@contoso.com --password-stdin --ttl 10m
expect 0 "10m session valid 9 minutes later" at "$(later '9 minutes')" env MCIDCTL_SESSION="$SHORT_SESSION" "$M" whoami
expect_err 7 'session expired' "10m session expired 11 minutes later" at "$(later '11 minutes')" env MCIDCTL_SESSION="$SHORT_SESSION" "$M" whoami
check "expired session: hint names 'mcidctl login'" has 'mcidctl login' "$ERR"
# default lifetime: session.ttl 12h
expect 0 "default session valid 11 hours later" at "$(later '11 hours')" "$M" whoami
expect_err 7 'session expired' "default session (12h) expired 13 hours later" at "$(later '13 hours')" "$M" whoami

# ---- logout ----------------------------------------------------------------------------------------
cp "$MCIDCTL_SESSION" "$T/session.bak"
expect 0 "logout" "$M" logout
check "logout deleted the session file" test ! -e "$MCIDCTL_SESSION"
expect_err 7 'not signed in' "whoami after logout -> 7" "$M" whoami
cp "$T/session.bak" "$MCIDCTL_SESSION"
expect_err 7 'expired|revoked' "a copy of the logged-out session is revoked in the store -> 7" "$M" whoami
rm -f "$MCIDCTL_SESSION"
expect 0 "logout again is idempotent" "$M" logout

# ---- lockout ------------------------------------------------------------------------------------------
for i in 1 2 3 4; do
  IN=$PW_WRONG expect_err 7 "$SIGNIN" "GA wrong password #$i -> 7" "$M" login ga@contoso.com --password-stdin --print-token
done
IN=$PW_12 expect 0 "a correct password after 4 failures works (not locked)" "$M" login ga@contoso.com --password-stdin --print-token
IN=$PW_WRONG expect_err 7 "$SIGNIN" "success reset the count: next failure is a plain failure" "$M" login ga@contoso.com --password-stdin --print-token
IN=$PW_12 expect 0 "correct password again" "$M" login ga@contoso.com --password-stdin --print-token
for i in 1 2 3 4 5; do
  IN=$PW_WRONG expect 7 "GA wrong password in a row #$i -> 7" "$M" login ga@contoso.com --password-stdin --print-token
done
IN=$PW_12 expect_err 7 'locked until' "6th attempt with the correct password -> 7 locked" "$M" login ga@contoso.com --password-stdin --print-token
check "locked: no token printed" test -z "$OUT"
check "locked: message gives an instant" has 'locked until [0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}Z' "$ERR"
IN=$PW_12 expect_err 7 'locked until' "still locked 14 minutes later" at "$(later '14 minutes')" "$M" login ga@contoso.com --password-stdin --print-token
IN=$PW_12 expect 0 "correct password works 16 minutes later" at "$(later '16 minutes')" "$M" login ga@contoso.com --password-stdin --print-token
expect 0 "GA token from before the lockout still works" env MCIDCTL_TOKEN="$GATOK" "$M" whoami

# ---- audit of failed sign-ins ---------------------------------------------------------------------------
AUD=$(store_sql 'select action, outcome from audit')
NFAIL=$(printf '%s\n' "$AUD" | grep -iE 'login|sign' | grep -viE '\|(ok|success|succeeded)$' | grep -c '')
check "audit has >= 10 failed sign-in rows ($NFAIL)" test "$NFAIL" -ge 10
NOK=$(printf '%s\n' "$AUD" | grep -iE 'login|sign' | grep -ciE '\|(ok|success|succeeded)$')
check "audit also records successful sign-ins ($NOK)" test "$NOK" -ge 1

# ---- secrets never in the store, nor in output other than printed once --------------------------------------
DUMP=$T/dump.sql; store_dump >"$DUMP"
STORE_FILES=("$DUMP"); [[ -f $MCIDCTL_DB ]] && STORE_FILES+=("$MCIDCTL_DB"); [[ -e $MCIDCTL_DB-wal ]] && STORE_FILES+=("$MCIDCTL_DB-wal")
check "control: the store dump contains the GA email" test "$(count_in ga@contoso.com "$DUMP")" -ge 1
SESSION_WORDS=$(grep -ahoE '[A-Za-z0-9_+/=.-]{20,}' "$T/session.bak" "$SHORT_SESSION" 2>/dev/null | grep -v '^/' | sort -u)
check "control: session files hold token material" test -n "$SESSION_WORDS"
leaks=()
for s in "$PW_OP" "$PW_12" "$PW_WRONG" "$PW_SHORT" "$GATOK" "$TOK90" "$OPTOK" "$CODE_GA" $SESSION_WORDS; do
  for f in "${STORE_FILES[@]}"; do
    [[ $(count_in "$s" "$f") == 0 ]] || leaks+=("${s:0:12}… in ${f##*/}")
  done
done
check "no password, token or code in the store (${leaks[*]:-none})" test ${#leaks[@]} = 0
TR=$E2E_ROOT/transcript
check "control: transcript recorded" test "$(count_in ga@contoso.com "$TR")" -ge 1
for s in "$PW_OP" "$PW_12" "$PW_WRONG" "$PW_SHORT" "$OPTOK"; do
  check "secret ${s:0:6}… never in stdout/stderr" test -n "$s" -a "$(count_in "$s" "$TR")" = 0
done
check "GA token appears once (its --print-token)" test "$(count_in "$GATOK" "$TR")" = 1
check "90d token appears once (its --print-token)" test "$(count_in "$TOK90" "$TR")" = 1
check "invitation code appears once (org enroll)" test "$(count_in "$CODE_GA" "$TR")" = 1

summary
