#!/bin/bash
# End-to-end: what only a server store can meet on opening (PRODUCT.md section 7, issue 12). An
# unreachable server, a missing database, a role the server refuses and a store of a newer schema
# are exit 9 with the server's reason on one line, nothing touched; a store of an older schema is
# brought to the current one by the first command that opens it; libpq is loaded by a server
# store alone, and its absence is exit 9 too. (A store file's counterparts:
# test_store.sh.) Every case needs a server: run directly, the suite starts a throwaway one.
if [[ -z ${MCIDCTL_TEST_PG:-} ]]; then
  exec bash "$(dirname "$0")/../../scripts/with-postgres.sh" bash "$0" "$@"
fi
source "$(dirname "$0")/lib.sh"
export MCIDCTL_E2E_STORE=postgres  # fresh_env: a new database per case

echo "== the server or the database cannot be reached"
fresh_env
setup_world 2>/dev/null || { bad "setup_world"; summary; exit; }
expect_err 9 'cannot open the server store: .*No such file or directory' "no server on that socket -> 9" \
  env MCIDCTL_TOKEN="$OP" "$M" --db "postgresql:///mcid?host=$T/no-server-here" whoami
err_shape "no server"
expect_err 9 'database "no_such_db" does not exist' "a missing database -> 9" \
  env MCIDCTL_TOKEN="$OP" "$M" --db "${MCIDCTL_TEST_PG/\/postgres\?/\/no_such_db?}" whoami
err_shape "missing database"
expect_err 9 'role "nobody_here" does not exist' "a role the server refuses -> 9" \
  env MCIDCTL_TOKEN="$OP" "$M" --db "${MCIDCTL_DB/user=postgres/user=nobody_here}" whoami
err_shape "refused role"
expect 0 "the store itself opens (control)" env MCIDCTL_TOKEN="$OP" "$M" whoami

echo "== libpq is loaded for a server store only; without it a server store is exit 9"
LIBS=$(env MCIDCTL_TOKEN="$OP" LD_DEBUG=libs "$M" whoami 2>&1 >/dev/null)
check "a command on a server store loads libpq" has 'calling init: .*/libpq\.so\.5' "$LIBS"
LIBS=$(LD_DEBUG=libs "$M" --db "$T/file-store.db" init --operator op@example.com --password-stdin \
  <<<"operator-pass-0001" 2>&1 >/dev/null)
check "control: init of a store file ran (its loader trace is read)" has 'calling init: .*/libsqlite3\.so' "$LIBS"
check "a command on a store file does not load libpq (3 ms of every start)" lacks 'libpq' "$LIBS"
# Without libpq: an empty file of its name first on the library path, which dlopen cannot load
# (a mount namespace would need a mount point at /, which a chroot does not have).
mkdir -p "$T/nolibs" && : >"$T/nolibs/libpq.so.5"
expect_err 9 'the server store needs libpq \(Debian package libpq5\): .*libpq\.so\.5' "no libpq -> 9" \
  env LD_LIBRARY_PATH="$T/nolibs" MCIDCTL_TOKEN="$OP" "$M" whoami
err_shape "no libpq"
check "… with the package to install" has '^hint: install it: apt-get install libpq5' "$ERR"
expect 0 "the same command with libpq (control)" env MCIDCTL_TOKEN="$OP" "$M" whoami

echo "== a store of a newer schema is refused and left as it is"
store_sql "INSERT INTO mcidctl_schema(version, name) VALUES (999, 'from the future')" >/dev/null
DUMP=$(pg_dump_stable "$MCIDCTL_DB")
expect_err 9 'schema 999, newer than this mcidctl knows' "whoami on a newer schema -> 9" env MCIDCTL_TOKEN="$OP" "$M" whoami
err_shape "newer schema"
check "… with the hint to upgrade" has '^hint: upgrade mcidctl' "$ERR"
expect_err 9 'newer' "config set on a newer schema -> 9" env MCIDCTL_TOKEN="$OP" "$M" config set association.limit 7
check "the store is left as it was" test "$(pg_dump_stable "$MCIDCTL_DB")" = "$DUMP"
store_sql "DELETE FROM mcidctl_schema WHERE version = 999" >/dev/null

echo "== a store of schema 1 is upgraded by the first command"
SCHEMA=$(pg_dump_stable -s "$MCIDCTL_DB")
# What schema 1 had where later migrations changed it: the periods' index without the name in it
# (0002), and the user counts' trigger function as 0001 wrote it (0003).
MIGRATIONS=$(dirname "$0")/../../src/store/pg_migrations
COUNTS_V1=$(sed -n '/^CREATE FUNCTION org_user_counts_move/,/^\$\$;/p' "$MIGRATIONS/0001_initial.sql" |
  sed '1s/^CREATE FUNCTION/CREATE OR REPLACE FUNCTION/')
store_sql "DROP INDEX competency_periods_by_start;
  CREATE INDEX competency_periods_by_start ON competency_periods(org_id, lower(competency), starts_at);
  $COUNTS_V1
  DELETE FROM mcidctl_schema WHERE version > 1" >/dev/null
check "control: schema 1's counts function is in place" lacks 'mcid.user_counts_moved' "$(pg_dump_stable -s "$MCIDCTL_DB")"
check "control: the schema-1 store differs from a new one" test "$(pg_dump_stable -s "$MCIDCTL_DB")" != "$SCHEMA"
expect 0 "db check, the first command on it" env MCIDCTL_TOKEN="$OP" "$M" db check
check "its schema is now a new store's" test "$(pg_dump_stable -s "$MCIDCTL_DB")" = "$SCHEMA"
LATEST=$(find "$MIGRATIONS" -name '[0-9]*.sql' | wc -l)
check "at version $LATEST, the last migration's" test "$(store_sql "select max(version) from mcidctl_schema")" = "$LATEST"
expect 0 "a write after the upgrade" env MCIDCTL_TOKEN="$GA" "$M" user invite nia@contoso.com --name Nia
expect 0 "the audit log verifies" env MCIDCTL_TOKEN="$OP" "$M" audit verify

summary
