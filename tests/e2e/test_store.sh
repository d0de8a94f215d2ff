#!/bin/bash
# End-to-end: the store (location, creation modes, refusal of foreign/newer files, WAL, busy
# timeout) and the global command-line surface (--version, --help, parse errors, option
# placement, NO_COLOR, shape of error output).
source "$(dirname "$0")/lib.sh"

# ---- suite helpers ----------------------------------------------------------------
as()    { local tok=$1; shift; MCIDCTL_TOKEN=$tok "$M" "$@"; }
mode()  { stat -c %a "$1" 2>/dev/null; }
sum()   { sha256sum "$1" | cut -d' ' -f1; }
no_esc() { ! printf '%s' "$1" | LC_ALL=C grep -q $'\x1b'; }

# ---- default location: XDG_DATA_HOME ----------------------------------------------
fresh_env
unset MCIDCTL_DB
IN=$PW_OP expect 0 "init at the XDG_DATA_HOME default" "$M" init --operator op@example.com --password-stdin
check "store created at \$XDG_DATA_HOME/mcidctl/mcidctl.db" test -f "$XDG_DATA_HOME/mcidctl/mcidctl.db"
check "store file mode 0600" test "$(mode "$XDG_DATA_HOME/mcidctl/mcidctl.db")" = 600
check "new store folder mode 0700" test "$(mode "$XDG_DATA_HOME/mcidctl")" = 700
check "new parent folder (XDG_DATA_HOME) mode 0700" test "$(mode "$XDG_DATA_HOME")" = 700
check "no store at \$HOME/.local/share when XDG_DATA_HOME is set" test ! -e "$HOME/.local/share/mcidctl/mcidctl.db"
IN=$PW_OP expect 0 "login finds the default store" "$M" login op@example.com --password-stdin
expect 0 "whoami on the default store" "$M" whoami
check "whoami names the operator" has 'op@example\.com' "$OUT"
IN=$PW_OP expect_err 5 'already initialized' "init twice -> 5" "$M" init --operator op2@example.com --password-stdin
check "init twice names the store path" has "$XDG_DATA_HOME/mcidctl/mcidctl.db" "$ERR"
err_shape "init twice"
IN=short expect_err 2 'at least 12 characters' "init with a too-short password -> 2" \
  "$M" --db "$T/never.db" init --operator x@example.com --password-stdin
check "... and no store file is left behind" test ! -e "$T/never.db"
check "user_version set by the migrations" test "$(sqlite3 "$XDG_DATA_HOME/mcidctl/mcidctl.db" 'PRAGMA user_version')" -ge 1
check "journal_mode is wal" test "$(sqlite3 "$XDG_DATA_HOME/mcidctl/mcidctl.db" 'PRAGMA journal_mode')" = wal

# ---- default location: ~/.local/share -----------------------------------------------
fresh_env
unset MCIDCTL_DB XDG_DATA_HOME
IN=$PW_OP expect 0 "init at the ~/.local/share default" "$M" init --operator op@example.com --password-stdin
check "store created at ~/.local/share/mcidctl/mcidctl.db" test -f "$HOME/.local/share/mcidctl/mcidctl.db"
check "store file mode 0600 (home default)" test "$(mode "$HOME/.local/share/mcidctl/mcidctl.db")" = 600
check "new store folder mode 0700 (home default)" test "$(mode "$HOME/.local/share/mcidctl")" = 700
check "no store at \$T/data" test ! -e "$T/data/mcidctl/mcidctl.db"

# ---- MCIDCTL_DB and --db ------------------------------------------------------------
fresh_env
IN=$PW_OP expect 0 "init at \$MCIDCTL_DB" "$M" init --operator op@example.com --password-stdin
check "store created at \$MCIDCTL_DB" test -f "$MCIDCTL_DB"
check "\$MCIDCTL_DB store mode 0600" test "$(mode "$MCIDCTL_DB")" = 600
check "nothing at the XDG default when \$MCIDCTL_DB is set" test ! -e "$XDG_DATA_HOME/mcidctl/mcidctl.db"
OTHER=$T/nested/deeper/other.db
IN=$PW_OP expect 0 "init with --db in new nested folders" "$M" --db "$OTHER" init --operator other@example.com --password-stdin
check "--db store created" test -f "$OTHER"
check "--db store mode 0600" test "$(mode "$OTHER")" = 600
check "--db new folder mode 0700" test "$(mode "$T/nested/deeper")" = 700
check "--db new parent folder mode 0700" test "$(mode "$T/nested")" = 700
IN=$PW_OP expect 0 "--db wins over \$MCIDCTL_DB (other operator exists there)" "$M" login other@example.com --password-stdin --print-token --db "$OTHER"
IN=$PW_OP expect 7 "... and that operator is not in the \$MCIDCTL_DB store" "$M" login other@example.com --password-stdin --print-token
OP=$(as_token op@example.com "$PW_OP")
check "operator token" test -n "$OP"
OP2=$(printf '%s\n' "$PW_OP" | "$M" --db "$OTHER" login other@example.com --password-stdin --print-token 2>/dev/null | tail -n1)

# global options after the command
expect 0 "global options after the command" env MCIDCTL_DB="$T/nowhere.db" MCIDCTL_TOKEN="$OP2" "$M" whoami --format json --db "$OTHER"
check "options after the command: --db and --format honoured" test "$(json "d['email']" <<<"$OUT" 2>/dev/null)" = other@example.com
check "\$MCIDCTL_DB path was not created" test ! -e "$T/nowhere.db"
expect 0 "global options before the command" env MCIDCTL_DB="$T/nowhere.db" MCIDCTL_TOKEN="$OP2" "$M" --db "$OTHER" --format json whoami
check "options before the command: --db and --format honoured" test "$(json "d['email']" <<<"$OUT" 2>/dev/null)" = other@example.com
expect 0 "--format and --db twice: the last one wins" env MCIDCTL_TOKEN="$OP2" "$M" --format table --db "$T/nowhere.db" whoami --format json --db "$OTHER"
check "the last --format (json) and --db (the other store) were used" test "$(json "d['email']" <<<"$OUT" 2>/dev/null)" = other@example.com
check "the first --db was never created" test ! -e "$T/nowhere.db"
expect 0 "-q after the command" as "$OP" config list -q
check "-q: nothing on stderr" test -z "$ERR"
expect 0 "-v after the command" as "$OP" config list -v
check "-v names the store path" has "$MCIDCTL_DB" "$ERR"

# ---- missing store ---------------------------------------------------------------------
fresh_env
expect_err 9 'no store' "whoami on a missing store -> 9" "$M" whoami
check "missing store: hint to run mcidctl init" has 'mcidctl init' "$ERR"
check "missing store: message names the path" has "$MCIDCTL_DB" "$ERR"
err_shape "missing store"
IN=$PW_OP expect_err 9 'no store' "login on a missing store -> 9" "$M" login op@example.com --password-stdin
check "login on a missing store: hint mentions init" has 'init' "$ERR"
expect_err 9 'no store' "config list with a token on a missing store -> 9" as not-a-real-token config list
check "a command other than init did not create a store" test ! -e "$MCIDCTL_DB"
check "... nor its -wal/-shm files" test -z "$(ls -A "$T" | grep '^store\.db')"

# ---- a file that is not SQLite ----------------------------------------------------------
fresh_env
JUNK=$T/junk.db
{ printf 'This is not a database, just some text.\n'; head -c 3000 /dev/urandom; } >"$JUNK"
chmod 600 "$JUNK"; BEFORE=$(sum "$JUNK"); cp "$JUNK" "$T/junk.orig"
IN=$PW_OP expect_err 9 'not an mcidctl store' "login on a text file -> 9" "$M" login op@example.com --password-stdin --db "$JUNK"
check "message names the path" has "$JUNK" "$ERR"
err_shape "not a store"
expect_err 9 'not an mcidctl store' "whoami on a text file -> 9" env MCIDCTL_TOKEN=x "$M" whoami --db "$JUNK"
IN=$PW_OP expect_err 9 'not an mcidctl store' "init on a text file -> 9" "$M" init --operator op@example.com --password-stdin --db "$JUNK"
check "text file byte-identical afterwards (cmp)" cmp -s "$JUNK" "$T/junk.orig"
check "text file sha256 unchanged" test "$(sum "$JUNK")" = "$BEFORE"

# ---- a foreign SQLite database ----------------------------------------------------------
FOREIGN=$T/foreign.db
sqlite3 "$FOREIGN" "CREATE TABLE customers(id INTEGER PRIMARY KEY, name TEXT); INSERT INTO customers(name) VALUES ('Ada'),('Linus');"
BEFORE=$(sum "$FOREIGN"); cp "$FOREIGN" "$T/foreign.orig"
IN=$PW_OP expect_err 9 'not an mcidctl store' "login on a foreign SQLite db -> 9" "$M" login op@example.com --password-stdin --db "$FOREIGN"
err_shape "foreign db"
expect_err 9 'not an mcidctl store' "config list on a foreign SQLite db -> 9" env MCIDCTL_TOKEN=x "$M" config list --db "$FOREIGN"
IN=$PW_OP expect_err 9 'not an mcidctl store' "init on a foreign SQLite db -> 9" "$M" --db "$FOREIGN" init --operator op@example.com --password-stdin
check "foreign db byte-identical afterwards (cmp)" cmp -s "$FOREIGN" "$T/foreign.orig"
check "foreign db sha256 unchanged" test "$(sum "$FOREIGN")" = "$BEFORE"
check "foreign db still in rollback-journal mode" test "$(sqlite3 "$FOREIGN" 'PRAGMA journal_mode')" = delete
check "foreign db has no mcidctl tables added" test "$(sqlite3 "$FOREIGN" "select count(*) from sqlite_master where type='table'")" = 1

# ---- a store from a newer mcidctl ---------------------------------------------------------
fresh_env
IN=$PW_OP expect 0 "init for the newer-schema case" "$M" init --operator op@example.com --password-stdin
OP=$(as_token op@example.com "$PW_OP")
sqlite3 "$MCIDCTL_DB" 'PRAGMA user_version=999'
expect_err 9 'newer' "whoami on a newer schema -> 9" as "$OP" whoami
check "newer schema: message names version 999" has '999' "$ERR"
err_shape "newer schema"
IN=$PW_OP expect_err 9 'newer' "login on a newer schema -> 9" "$M" login op@example.com --password-stdin
expect_err 9 'newer' "config set on a newer schema -> 9" as "$OP" config set association.limit 7
check "newer schema left as is (user_version 999)" test "$(sqlite3 "$MCIDCTL_DB" 'PRAGMA user_version')" = 999

# ---- busy past the timeout: exit 9, nothing changed -----------------------------------------
fresh_env
IN=$PW_OP expect 0 "init for the busy case" "$M" init --operator op@example.com --password-stdin
OP=$(as_token op@example.com "$PW_OP")
{ printf 'BEGIN IMMEDIATE;\nSELECT 1;\n'; sleep 8; printf 'COMMIT;\n'; } | sqlite3 "$MCIDCTL_DB" >/dev/null 2>&1 &
HOLDER=$!
sleep 0.5
START=$(date +%s%N)
expect_err 9 'busy' "write while another process holds the write lock -> 9" as "$OP" config set association.limit 7
ELAPSED=$(( ($(date +%s%N) - START) / 1000000 ))
check "busy: waited about the 5 s timeout (${ELAPSED} ms)" test "$ELAPSED" -ge 4500 -a "$ELAPSED" -lt 7500
check "busy: says nothing was changed" has 'nothing was changed' "$ERR"
wait "$HOLDER"
expect 0 "config get after the lock is gone" as "$OP" config get association.limit
check "busy: value unchanged (5)" has '(^|[[:space:]:])5$' "$OUT"

# ---- --version, --help, parse errors ---------------------------------------------------------
fresh_env
expect 0 "--version (no store needed)" "$M" --version
check "--version prints a version number" has '[0-9]+\.[0-9]+' "$OUT"
expect 0 "--help (no store needed)" "$M" --help
check "--help lists commands" has 'login' "$OUT"
check "--help lists registry and purge-user" bash -c 'grep -q registry <<<"$1" && grep -q purge-user <<<"$1"' _ "$OUT"
expect 0 "user --help" "$M" user --help
check "user --help lists invite" has 'invite' "$OUT"
check "help/version created no store" test ! -e "$MCIDCTL_DB"
expect_err 2 'frobnicate' "unknown command -> 2" "$M" frobnicate
err_shape "unknown command"
expect_err 2 'frobnicate' "unknown option after the command -> 2" "$M" whoami --frobnicate
err_shape "unknown option"
expect_err 2 'frobnicate' "unknown option before the command -> 2" "$M" --frobnicate whoami
expect_err 2 'frobnicate' "unknown subcommand of a group -> 2" "$M" user frobnicate
expect_err 2 'format' "--format xml -> 2" "$M" --format xml whoami
err_shape "--format invalid"
expect_err 2 'format' "--format yaml after the command -> 2" "$M" whoami --format yaml
expect_err 2 'db' "--db without a value -> 2" "$M" whoami --db
check "parse errors created no store" test ! -e "$MCIDCTL_DB"

# ---- NO_COLOR: no escape bytes, also on a terminal ---------------------------------------------
fresh_env
IN=$PW_OP expect 0 "init for the NO_COLOR case" "$M" init --operator op@example.com --password-stdin
OP=$(as_token op@example.com "$PW_OP")
export NO_COLOR=1
expect 0 "config list (NO_COLOR)" as "$OP" config list
check "control: config list printed the keys" has 'association\.limit' "$OUT"
check "config list: no ESC byte" no_esc "$OUT$ERR"
expect 7 "not signed in (NO_COLOR)" "$M" whoami
check "control: the error was printed" has 'mcidctl: error: ' "$ERR"
check "error: no ESC byte" no_esc "$OUT$ERR"
err_shape "not signed in"
PTY=$(MCIDCTL_TOKEN=$OP script -qec "'$M' config list" /dev/null 2>&1)
check "pty: config list printed something" has 'association\.limit' "$PTY"
check "pty: config list has no ESC byte under NO_COLOR" no_esc "$PTY"
PTY=$(script -qec "'$M' whoami" /dev/null 2>&1)
check "pty: error printed" has 'mcidctl: error: ' "$PTY"
check "pty: error has no ESC byte under NO_COLOR" no_esc "$PTY"
PTY=$(script -qec "'$M' --help" /dev/null 2>&1)
check "pty: help has no ESC byte under NO_COLOR" no_esc "$PTY"

echo "== a PostgreSQL URI is never opened or created as a file"
fresh_env
cd "$T"
IN=$PW_OP expect_err 9 'cannot open the server store: .*no such file' "init --db postgresql:///mcid, no server there: exit 9" \
  "$M" --db "postgresql:///mcid?host=$T/nosocket" init --operator op@example.com --password-stdin
check "no file or folder named after the URI was made" test -z "$(ls -A "$T" | grep -i postgres)"
MCIDCTL_DB="postgres:///mcid?host=$T/nosocket" expect_err 9 'cannot open the server store' \
  "a postgres:// URI in MCIDCTL_DB, no server there: exit 9" "$M" org list
check "...on one line" test "$(grep -c 'mcidctl: error' <<<"$ERR")" = 1
cd - >/dev/null

summary
