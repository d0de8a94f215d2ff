#!/bin/bash
# End-to-end: attacks by someone who shares the host or holds an account (docs/security.md).
# Each case is the attack itself; it failed on 0.2.0 and must fail against the attacker now.
# On both stores; what only a store file has (--output onto the file, its hard links and WAL)
# is checked on SQLite only, and the forged seal is written with each store's own tools.
source "$(dirname "$0")/lib.sh"

as() { local tok=$1; shift; MCIDCTL_TOKEN=$tok "$M" "$@"; }
q()  { store_sql "$1"; }
# dump_table TABLE: one table's rows as SQL text
dump_table() { if on_server; then pg_dump -a -t "$1" "$MCIDCTL_DB"; else sqlite3 "$MCIDCTL_DB" ".dump $1"; fi; }
later() { date -u -d "+$1" '+%F %T'; }

fresh_env
setup_world 2>/dev/null || { bad "setup_world"; summary; exit; }

# ==== 1. confused deputy: mcidctl must not read another account's files for its caller =======
echo "== foreign files are never echoed; under sudo no file named on the command line is opened"
SECRET_FILE=$T/someone-elses-session
TOKEN_LIKE="mcs_ABCDEFGHJKMNPQRSTVWXYZ0123456789ABCDEFGHJKMNPQRSTVWX"
printf '%s\n' "$TOKEN_LIKE" >"$SECRET_FILE"
# (0.4.0 took a first line without '@' for a plain list's invalid row, exit 8; it is now refused as
# a header that names no email or mcid column: exit 2, by its line number only.)
expect_err 2 "line 1 looks like a header" "purge --from a session file --dry-run -> 2, the line by number" \
  as "$GA" purge-user --from "$SECRET_FILE" --dry-run --format json
check "the token is in neither stdout nor stderr" lacks "ABCDEFGHJKMN" "$OUT$ERR"
printf 'alice@contoso.com\n%s\n' "$TOKEN_LIKE" >"$SECRET_FILE.2"
expect 8 "purge --from a list whose second line is a token: one invalid row" \
  as "$GA" purge-user --from "$SECRET_FILE.2" --dry-run --format json
check "the invalid row is named by its line" \
  test "$(json "[(r['target'], r['outcome']) for r in d if r['outcome'] == 'invalid']" <<<"$OUT")" = "[('line 2', 'invalid')]"
check "the token is in neither stdout nor stderr" lacks "ABCDEFGHJKMN" "$OUT$ERR"
expect_err 2 'column 1 is not a known column' "user import of a session file -> 2, the column by position" as "$GA" user import "$SECRET_FILE"
check "user import: the token is not echoed" lacks "ABCDEFGHJKMN" "$OUT$ERR"
printf 'root:$6$saltsalt$hashhashhashhash:19000:0:99999:7:::\n' >"$T/shadow-like"
expect_err 2 'column 1' "registry import of a shadow-like file -> 2" as "$OP" registry import "$T/shadow-like" --kind profiles
check "registry import: the hash is not echoed" lacks 'saltsalt|hashhash' "$ERR"
# sudo as another account: SUDO_UID names the caller, who is not the account running mcidctl
SUDO=(env SUDO_UID=4242 SUDO_USER=caller)
printf 'email\nalice@contoso.com\n' >"$T/departed.csv"
expect_err 4 'sudo' "under sudo: purge --from FILE -> 4" "${SUDO[@]}" MCIDCTL_TOKEN="$GA" "$M" purge-user --from "$T/departed.csv" --dry-run
check "… the hint names stdin" has "'- < FILE'" "$ERR"
IN=$(cat "$T/departed.csv") expect 0 "under sudo: purge --from - (stdin) works" "${SUDO[@]}" MCIDCTL_TOKEN="$GA" "$M" purge-user --from - --dry-run
expect_err 4 'sudo' "under sudo: user import FILE -> 4" "${SUDO[@]}" MCIDCTL_TOKEN="$GA" "$M" user import "$SECRET_FILE"
expect_err 4 'sudo' "under sudo: registry import FILE -> 4" "${SUDO[@]}" MCIDCTL_TOKEN="$OP" "$M" registry import "$SECRET_FILE" --kind profiles
expect_err 4 'sudo' "under sudo: report --output FILE -> 4" "${SUDO[@]}" MCIDCTL_TOKEN="$GA" "$M" report users --output "$T/u.csv"
check "… no file written" test ! -e "$T/u.csv"
expect 0 "under sudo: report to stdout works" "${SUDO[@]}" MCIDCTL_TOKEN="$GA" "$M" report users --format csv
expect_err 4 'sudo' "under sudo: db backup FILE -> 4" "${SUDO[@]}" MCIDCTL_TOKEN="$OP" "$M" db backup "$T/b.db"
"${SUDO[@]}" MCIDCTL_TOKEN="$OP" "$M" db backup - >"$T/stdout-backup.db" 2>"$T/err"; RC=$?
check "under sudo: db backup - > FILE works (exit $RC)" test "$RC" = 0
expect 0 "… and the copy verifies" env MCIDCTL_DB="$T/stdout-backup.db" MCIDCTL_TOKEN="$OP" "$M" audit verify
expect 0 "SUDO_UID equal to our own uid is not sudo as another account" env SUDO_UID="$(id -u)" MCIDCTL_TOKEN="$GA" "$M" purge-user --from "$T/departed.csv" --dry-run

# ==== 2. parallel guesses stop at the lockout ==================================================
echo "== a burst of wrong passwords, then the right one"
add_user "$GA" victim@contoso.com Victim user || bad "add victim"
for i in $(seq 1 30); do
  printf 'wrong-password-%03d\n' "$i" | "$M" login victim@contoso.com --password-stdin --print-token >/dev/null 2>&1 &
done
sleep 0.03
IN=$PW_USER run "$M" login victim@contoso.com --password-stdin --print-token
RIGHT_RC=$RC RIGHT_OUT=$OUT
wait
check "the right password sent into the burst does not sign in (exit $RIGHT_RC)" test "$RIGHT_RC" = 7 -a -z "$RIGHT_OUT"
WRONG_TRIED=$(q "select count(*) from audit where action='login' and target='victim@contoso.com' and detail like 'wrong password%'")
check "at most 5 of the 31 guesses had their password checked ($WRONG_TRIED)" test "$WRONG_TRIED" -le 5 -a "$WRONG_TRIED" -ge 1
check "the account is locked" test "$(q "select case when locked_until > 0 then 1 else 0 end from users where email='victim@contoso.com'")" = 1
IN=$PW_USER expect_err 7 'locked until' "the right password afterwards: locked" "$M" login victim@contoso.com --password-stdin --print-token
IN=$PW_USER expect 0 "… and works once the lock is over" at "$(later '16 minutes')" "$M" login victim@contoso.com --password-stdin --print-token

# the same for a certification profile's sign-in inside link
add_profile 72000001 burst@outlook.com "Burst Profile" || bad "add burst profile"
for i in $(seq 1 30); do
  printf 'wrong-profile-%03d\n' "$i" | MCIDCTL_TOKEN=$PAT "$M" link --login burst@outlook.com --password-stdin >/dev/null 2>&1 &
done
sleep 0.03
IN=$PW_PROF run env MCIDCTL_TOKEN="$PAT" "$M" link --login burst@outlook.com --password-stdin
LINK_RC=$RC
wait
check "link: the right profile password sent into a burst does not link (exit $LINK_RC)" test "$LINK_RC" = 7
check "… no link was made" test "$(q "select count(*) from links where mcid=72000001")" = 0
LINK_TRIED=$(q "select count(*) from audit where action='link' and target='burst@outlook.com' and detail like 'wrong password%'")
check "link: at most 5 of the 31 profile passwords were checked ($LINK_TRIED)" test "$LINK_TRIED" -le 5 -a "$LINK_TRIED" -ge 1

# ==== 9. one answer for every account ==========================================================
echo "== no account enumeration"
for i in 1 2 3 4 5; do
  IN=wrong-password-00$i run "$M" login ghost@contoso.com --password-stdin
  IN=wrong-password-00$i run "$M" login pat@contoso.com --password-stdin
done
IN=wrong-password-006 run "$M" login ghost@contoso.com --password-stdin; E_GHOST=$ERR C_GHOST=$RC
IN=wrong-password-006 run "$M" login pat@contoso.com --password-stdin; E_PAT=$ERR C_PAT=$RC
check "an unknown account locks as a known one: same exit and message" \
  test "$C_GHOST/$(sed 's/until [^ ]*//' <<<"$E_GHOST")" = "$C_PAT/$(sed 's/until [^ ]*//' <<<"$E_PAT")"
check "… and that message says locked" has 'locked until' "$E_GHOST"
check "the unknown name's counter is kept under a digest, not the name" \
  test "$(q "select count(*) from signin_throttle")" -ge 1 -a "$(dump_table signin_throttle | grep -c ghost)" = 0
IN=$PW_USER expect_err 7 'invalid invitation code' "accept with a wrong code for an active account -> 7" "$M" user accept alice@contoso.com --code ABCD-EFGH-JKMN-PQRS --password-stdin
E_ACTIVE=$ERR
IN=$PW_USER expect_err 7 'invalid invitation code' "accept with a wrong code for an unknown account -> 7" "$M" user accept nobody@contoso.com --code ABCD-EFGH-JKMN-PQRS --password-stdin
check "accept: the same answer for both" test "$E_ACTIVE" = "$ERR"
IN=$PW_USER expect_err 2 'not an invitation code' "a malformed invitation code -> 2" "$M" user accept nobody@contoso.com --code WRONG-CODE-123 --password-stdin

# ==== 3. the invitation code is not left in /proc/PID/cmdline ===================================
echo "== the invitation code is scrubbed from the process's arguments"
CODE=$(as "$GA" user invite cmdline@contoso.com --name Cmd --format json | code_of)
mkfifo "$T/pw.fifo"
exec 7<>"$T/pw.fifo"
"$M" user accept cmdline@contoso.com --code "$CODE" --password-stdin <&7 >/dev/null 2>"$T/accept.err" &
APID=$!
# the store open: its file, or the server's socket
if on_server; then OPEN_STORE=socket; else OPEN_STORE=store.db; fi
for _ in $(seq 1 200); do ls -l /proc/$APID/fd 2>/dev/null | grep -q "$OPEN_STORE" && break; sleep 0.05; done
check "control: the accept is waiting for its password with the store open" sh -c "ls -l /proc/$APID/fd | grep -q $OPEN_STORE"
CMDLINE=$(tr '\0' ' ' </proc/$APID/cmdline 2>/dev/null)
check "the process's command line is readable (control)" has 'user accept cmdline@contoso.com' "$CMDLINE"
check "… and does not hold the code" lacks "$CODE" "$CMDLINE"
printf '%s\n' "$PW_USER" >&7
wait $APID; RC=$?
exec 7>&-
check "the accept then completes with the real code (exit $RC)" test "$RC" = 0

# ==== 4. --output cannot destroy the store or a session ============================================
if on_server; then
echo "== --output onto the session file (the store is no file here)"
printf '%s\n' "$ALICE" >"$MCIDCTL_SESSION"; chmod 600 "$MCIDCTL_SESSION"
expect_err 2 'session file' "--output onto the session file -> 2" as "$PAT" report users --output "$MCIDCTL_SESSION"
check "… the session file is intact" test "$(cat "$MCIDCTL_SESSION")" = "$ALICE"
else
echo "== --output onto the store, its side files, a hard link of it, the session file"
SIZE=$(stat -c %s "$MCIDCTL_DB")
expect_err 2 'is the store' "report users --output \$MCIDCTL_DB -> 2" as "$PAT" report users --output "$MCIDCTL_DB"
check "… the store is intact" test "$(stat -c %s "$MCIDCTL_DB")" = "$SIZE" -a "$(head -c 15 "$MCIDCTL_DB")" = "SQLite format 3"
ln "$MCIDCTL_DB" "$T/innocent-name.csv"
expect_err 2 'is the store' "--output onto a hard link of the store -> 2" as "$PAT" report users --output "$T/innocent-name.csv"
if [[ -e $MCIDCTL_DB-wal ]]; then
  expect_err 2 'is the store-wal' "--output onto the WAL -> 2" as "$PAT" report users --output "$MCIDCTL_DB-wal"
fi
printf '%s\n' "$ALICE" >"$MCIDCTL_SESSION"; chmod 600 "$MCIDCTL_SESSION"
expect_err 2 'session file' "--output onto the session file -> 2" as "$PAT" report users --output "$MCIDCTL_SESSION"
check "… the session file is intact" test "$(cat "$MCIDCTL_SESSION")" = "$ALICE"
mv "$MCIDCTL_SESSION" "$T/session.kept"
expect_err 2 'is the store|already exists' "db backup onto the store -> 2" as "$OP" db backup "$MCIDCTL_DB"
expect_err 2 'is the store' "db backup onto a hard link of the store -> 2" as "$OP" db backup "$T/innocent-name.csv"
mv "$T/session.kept" "$MCIDCTL_SESSION"
expect 0 "the store still works" as "$OP" audit verify
fi

# ==== 5. files are owner-only from their first byte; planted links are not followed ===================
echo "== backups and session files"
python3 - "$T/bulk.csv" <<'PY'
import sys
with open(sys.argv[1], "w") as f:
    f.write("mcid,login,name\n")
    for i in range(30000):
        f.write(f"{60000000 + i},bulk{i}@outlook.com,Bulk {i}\n")
PY
as "$OP" registry import "$T/bulk.csv" --kind profiles >/dev/null 2>&1 || bad "bulk profiles"
mkdir -m 755 "$T/backups"
( end=$((SECONDS + 30)); while [[ ! -e $T/backup.done && $SECONDS -lt $end ]]; do
    find "$T/backups" -mindepth 1 \( -perm -004 -o -perm -040 \) -printf '%p %m\n' 2>/dev/null; done >"$T/exposed" ) &
POLL=$!
expect 0 "db backup while a poller watches the folder" as "$OP" db backup "$T/backups/copy.db"
touch "$T/backup.done"; wait $POLL
check "no file in the backup folder was readable by others at any moment" test ! -s "$T/exposed"
check "the backup is 0600" test "$(stat -c %a "$T/backups/copy.db")" = 600
check "no temporary file or folder is left" test "$(ls -A "$T/backups")" = copy.db
echo "victim" >"$T/victim"
ln -s "$T/victim" "$MCIDCTL_SESSION.tmp"
IN=$PW_USER expect 0 "login with a symlink planted at session.tmp" "$M" login alice@contoso.com --password-stdin
check "the planted link's target is untouched" test "$(cat "$T/victim")" = victim
check "the session file is a regular 0600 file" test -f "$MCIDCTL_SESSION" -a ! -L "$MCIDCTL_SESSION" -a "$(stat -c %a "$MCIDCTL_SESSION")" = 600
chmod 644 "$MCIDCTL_SESSION"
expect 0 "a session file readable by others still works" "$M" whoami
check "… with a warning that names the mode" has 'warning: session file .* can be read by other users \(mode 644\)' "$ERR"
chmod 600 "$MCIDCTL_SESSION"

# ==== 7. the audit log does not leak across tenants ===================================================
echo "== a move between organizations, as each tenant sees it"
add_profile 70000001 mover@outlook.com "Mover" || bad "add mover profile"
add_user "$GA" mover@contoso.com Mover user || bad "add mover (Contoso)"
add_user "$GB" mover@fabrikam.se Mover user || bad "add mover (Fabrikam)"
MOVER_A=$(as_token mover@contoso.com "$PW_USER"); MOVER_B=$(as_token mover@fabrikam.se "$PW_USER")
link_as "$MOVER_A" mover@outlook.com >/dev/null 2>&1 || bad "link at Contoso"
link_as "$MOVER_B" mover@outlook.com >/dev/null 2>&1 || bad "link at Fabrikam (a move)"
expect 0 "Contoso's audit list" as "$GA" audit list --format json
check "Contoso sees the transfer row" test "$(json "sum(1 for r in d if r['action']=='transfer' and r['target']=='70000001')" <<<"$OUT")" = 1
check "… which names no Fabrikam person or organization" lacks 'fabrikam|7654321' "$OUT"
expect 0 "the operator's audit list" as "$OP" audit list --action transfer --format json
check "the operator sees from where to where" has 'from Contoso \(1234567\) to Fabrikam \(7654321\)' "$OUT"

# ==== 8. output that does not reach its destination is an error ========================================
echo "== write errors on stdout"
run sh -c "MCIDCTL_TOKEN=$GA '$M' report users --format csv > /dev/full"
check "report users > /dev/full exits 1 (exit $RC)" test "$RC" = 1
check "… saying the output failed" has '^mcidctl: error: writing the output failed' "$ERR"
run sh -c "MCIDCTL_TOKEN=$GA '$M' user invite lost@contoso.com --name Lost --format json > /dev/full"
check "user invite > /dev/full exits 1 (exit $RC)" test "$RC" = 1
check "… saying the invitation exists and how to get a new code" has 'invitation was created' "$ERR"
check "… and how to get a new code" has "hint: run 'mcidctl user resend EMAIL'" "$ERR"
expect 0 "user resend then issues a code" as "$GA" user resend lost@contoso.com --format json
# 15: a failed --output write is not 'store unavailable'
python3 -c "
print('email,name')
for i in range(1500): print(f'bulk{i}@contoso.com,Bulk User Number {i} With A Long Name')" >"$T/users.csv"
as "$GA" user import "$T/users.csv" >/dev/null 2>&1 || bad "import 1500 users"
# a 64 KiB file size limit: the store (read only here) works, the 100 KiB report cannot be written
run sh -c "ulimit -f 64; MCIDCTL_TOKEN=$GA '$M' report users --output '$T/big.csv'"
check "a --output write that fails (file size limit) exits 1, not 9 (exit $RC)" test "$RC" = 1
check "… and leaves no file" test ! -e "$T/big.csv"

# ==== departed users' data: erased after the restore window; a rehired person can be invited ===========
echo "== erasure after retention.restore, and rehiring"
add_user "$GA" leaver@contoso.com "Lee Leaver" user || bad "add leaver"
expect 0 "purge the leaver" as "$GA" purge-user leaver@contoso.com --yes
expect_err 5 'user restore' "invite again within the window -> 5, pointing to user restore" \
  at "$(later '29 days')" env MCIDCTL_TOKEN="$GA" "$M" user invite leaver@contoso.com --name "Lee Again"
check "control: the purged account still holds its data inside the window" test "$(q "select name from users where email='leaver@contoso.com'")" = "Lee Leaver"
expect 0 "any command after the window" at "$(later '31 days')" env MCIDCTL_TOKEN="$GA" "$M" whoami
check "the email and name are gone from the account row" \
  test "$(q "select count(*) from users where email='leaver@contoso.com' or name='Lee Leaver'")" = 0
check "the row stays under a pseudonym, marked erased" \
  test "$(q "select count(*) from users where email like 'erased-%@erased.invalid' and erased_at is not null and password_hash is null")" = 1
check "the erasure is in the audit, by pseudonym" test "$(q "select count(*) from audit where action='user.erase' and target like 'erased-%'")" = 1
ALIAS=$(q "select email from users where email like 'erased-%'")
check "the email is nowhere in the store any more (audit rows sealed)" test "$(store_dump | grep -ci 'leaver@contoso.com')" = 0
check "the sealed rows name the pseudonym: the person's rows still group (invite, accept, purge)" \
  test "$(q "select count(*) from audit where (actor='$ALIAS' or target='$ALIAS') and sealed is not null")" -ge 3
expect 0 "the audit chain still verifies" at "$(later '31 days')" env MCIDCTL_TOKEN="$OP" "$M" audit verify
FORGE="UPDATE audit SET sealed = replace(sealed, substr(sealed, 1, 1), 'f') WHERE sealed IS NOT NULL AND id = (SELECT min(id) FROM audit WHERE sealed IS NOT NULL)"
if on_server; then
  SEAL=$(q "select id || ' ' || sealed from audit where sealed is not null order by id limit 1")
  q "ALTER TABLE audit DISABLE TRIGGER audit_no_update; $FORGE; ALTER TABLE audit ENABLE TRIGGER audit_no_update" >/dev/null
else
  sqlite3 "$MCIDCTL_DB" ".backup '$T/sealed.db'"
  sqlite3 "$MCIDCTL_DB" "DROP TRIGGER audit_no_update; $FORGE"
fi
expect_err 9 'row [0-9]+' "a forged seal breaks the chain -> 9" at "$(later '31 days')" env MCIDCTL_TOKEN="$OP" "$M" audit verify
if on_server; then
  q "ALTER TABLE audit DISABLE TRIGGER audit_no_update; UPDATE audit SET sealed = '${SEAL#* }' WHERE id = ${SEAL%% *}; ALTER TABLE audit ENABLE TRIGGER audit_no_update" >/dev/null
else
  rm -f "$MCIDCTL_DB-wal" "$MCIDCTL_DB-shm"; cp "$T/sealed.db" "$MCIDCTL_DB"
fi
expect 0 "the seal put back, the chain verifies again (control)" at "$(later '31 days')" env MCIDCTL_TOKEN="$OP" "$M" audit verify
OUT=$(q "UPDATE audit SET detail='rewritten' WHERE sealed IS NOT NULL" 2>&1)
check "the trigger still refuses rewriting a sealed row's text without its seal" has 'append-only' "$OUT"
expect 0 "the rehired person can be invited after the window" \
  at "$(later '31 days')" env MCIDCTL_TOKEN="$GA" "$M" user invite leaver@contoso.com --name "Lee Again" --format json
check "… as a new account" test "$(q "select status||'/'||name from users where email='leaver@contoso.com'")" = "invited/Lee Again"

# an erasure that could not run yet (the store was busy or read-only) shows in db check
add_user "$GA" late@contoso.com Late user || bad "add late"
expect 0 "purge late" as "$GA" purge-user late@contoso.com --yes
q "UPDATE users SET deleted_at = deleted_at - 40*86400 WHERE email='late@contoso.com'" >/dev/null
expect_err 9 'failed its check' "db check with an overdue erasure -> 9" "$M" db check
check "… naming the retention finding" has '^retention: 1 departed user past the restore window not erased yet$' "$OUT"
check "… with a hint that fits" has 'any command that can write the store erases them' "$ERR"
expect 0 "the next command erases it" as "$GA" whoami
expect 0 "db check then passes" "$M" db check

# ==== 10-16: low ==========================================================================
echo "== input checks"
HASH=$(IN=$PW_PROF as "$OP" registry hash-password --password-stdin <<<"$PW_PROF")
printf 'mcid,login,name,password_hash\n71000001,split@outlook.com,Split,%s\n' "$HASH" >"$T/unquoted.csv"
expect_err 2 'line 2: 6 fields but the header has 4' "an unquoted Argon2 hash (extra fields) -> 2 with the line" as "$OP" registry import "$T/unquoted.csv" --kind profiles
check "… nothing imported" test "$(q "select count(*) from profiles where mcid=71000001")" = 0
expect_err 2 'cannot start with 0' "org enroll --mpn-id 01234567 -> 2" as "$OP" org enroll --mpn-id 01234567 --name Twin --admin twin@x.com
: >"$T/empty-store.db"; chmod 644 "$T/empty-store.db"
IN=$PW_OP expect 0 "init into an existing empty 0644 file" env MCIDCTL_DB="$T/empty-store.db" "$M" init --operator op@example.com --password-stdin
check "… leaves it 0600" test "$(stat -c %a "$T/empty-store.db")" = 600
mkfifo "$T/fifo.db"
run timeout 10 env MCIDCTL_DB="$T/fifo.db" MCIDCTL_TOKEN="$OP" "$M" whoami
check "a FIFO at the store path: exit 9 at once, not a hang (exit $RC)" test "$RC" = 9
check "… saying it is not a regular file" has 'not a regular file' "$ERR"
printf 'email,name\x1b]0;pwned\x07\nx@contoso.com,X\n' >"$T/hostile-header.csv"
run env MCIDCTL_TOKEN="$GA" "$M" user import "$T/hostile-header.csv"
check "a hostile CSV header: exit 2, no escape byte on the terminal (exit $RC)" test "$RC" = 2 -a "$(printf '%s' "$ERR" | grep -c $'\x1b')" = 0
printf 'email\rdeparted1@contoso.com\rdeparted2@contoso.com\r' >"$T/cr.csv"
expect 8 "purge --from with lone CR line ends: two targets, not one line" as "$GA" purge-user --from "$T/cr.csv" --dry-run --format json
check "… read as two emails" test "$(json "[r['target'] for r in d]" <<<"$OUT")" = "['departed1@contoso.com', 'departed2@contoso.com']"
# U+202E as its UTF-8 bytes: bash spells $'\u202E' as UTF-8 only in a UTF-8 locale (a fresh
# minbase chroot has none, and the check then tested a plain ASCII name).
expect_err 2 'bidirectional' "a name with U+202E -> 2" as "$GA" user invite bidi@contoso.com --name $'Evil\xe2\x80\xaegpj.exe'

echo "== a password inside a --db URI is refused before anything runs, and never echoed"
fresh_env
for uri in 'postgresql://app:Sup3rSecretPw@db.example.com/mcid' 'postgres://db.example.com/mcid?password=Sup3rSecretPw' \
           'postgresql://app:Sup3rSecretPw@db.example.com:notaport/mcid'; do
  expect_err 2 'holds a password' "--db with a password ($uri): exit 2" "$M" --db "$uri" org list
  check "the password is not echoed ($uri)" lacks 'Sup3rSecretPw' "$OUT$ERR"
  check "the hint names ~/.pgpass and a service file ($uri)" has 'pgpass.*service=' "$ERR"
done
expect_err 2 'holds a password' "--db with a password after the command: exit 2" "$M" user list --db 'postgresql://a:Sup3rSecretPw@h/d'
check "...not echoed" lacks 'Sup3rSecretPw' "$OUT$ERR"
# From the environment (not on the command line) the URI is not refused for its password, and
# still never echoed when the server cannot be reached.
MCIDCTL_DB="postgresql://app:Sup3rSecretPw@/mcid?host=$T/nosocket" expect_err 9 'cannot open the server store' \
  "a URI in MCIDCTL_DB, no server there: exit 9" "$M" org list
check "...and the password in it is not echoed" lacks 'Sup3rSecretPw' "$OUT$ERR"

summary
