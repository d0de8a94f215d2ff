#!/bin/bash
# End-to-end: the audit log (PRODUCT.md rule 11). `audit list` in every --format with its
# filters and tenant isolation; `audit verify` on a sound chain and after tampering with the
# store through sqlite3 or psql (the triggers refuse UPDATE and DELETE; with the triggers
# dropped, an edited, deleted or forged row is caught and named); denied actions are recorded;
# and no password, session token or invitation code is ever written in clear to the store, its
# WAL, or any output of a full scenario. Runs on both stores (MCIDCTL_E2E_STORE=postgres):
# SQLite only are the store migrated from schema 2 (a server store began at schema 1 with the
# position in every hash) and the search of the store file and its WAL (a server store is
# searched through pg_dump instead).
source "$(dirname "$0")/lib.sh"

# ---- suite helpers ----------------------------------------------------------------
as()     { local tok=$1; shift; MCIDCTL_TOKEN=$tok "$M" "$@"; }
# tamper SQL: runs SQL as someone with the store's own rights would (fails as the store refuses)
tamper() { store_sql "$1"; }
# epoch 'YYYY-MM-DD HH:MM:SS': seconds since 1970 (UTC), in the store's SQL
epoch() { if on_server; then echo "extract(epoch from timestamp '$1')::bigint"; else echo "strftime('%s', '$1')"; fi; }
later()  { date -u -d "+$1" '+%F %T'; }                 # a time from now, for at()
day()    { date -u -d "+$1" '+%F'; }
# ids < JSON: the ids of an audit list as one comma-separated line
ids()    { json "','.join(str(r['id']) for r in d)"; }
db_ids() {
  if on_server; then store_sql "select string_agg(id::text, ',' order by id) from audit $1"
  else store_sql "select group_concat(id, ',') from (select id from audit $1 order by id)"; fi
}
count_in() { grep -a -c -F -- "$1" "$2" 2>/dev/null || true; }   # count_in STRING FILE: matching lines
K_COLUMNS="['id', 'at', 'actor', 'mpn_id', 'action', 'target', 'outcome', 'detail', 'batch']"

# ==== audit list ======================================================================
echo "== audit list: formats, visibility, filters"
fresh_env
setup_world 2>/dev/null || { bad "setup_world"; summary; exit; }
add_profile 40000001 alice@outlook.com "Alice Learn" || bad "add profile"
link_as "$ALICE" alice@outlook.com --password-stdin >/dev/null 2>&1 || bad "alice links"
as "$GA" user invite carol@contoso.com --name Carol >/dev/null 2>&1 || bad "invite carol"
as "$GB" user invite dan@fabrikam.com --name Dan >/dev/null 2>&1 || bad "invite dan"
IN=wrong-password-123 run "$M" login bo@fabrikam.com --password-stdin   # a failed sign-in (Fabrikam)
# events ten days from now, for --since
at "$(later '10 days')" env MCIDCTL_TOKEN="$GA" "$M" user invite late1@contoso.com --name Late >/dev/null 2>&1 || bad "late invite 1"
at "$(later '10 days')" env MCIDCTL_TOKEN="$GB" "$M" user invite late2@fabrikam.com --name Late >/dev/null 2>&1 || bad "late invite 2"
CONTOSO=$(store_sql "select id from orgs where mpn_id='1234567'")
FABRIKAM=$(store_sql "select id from orgs where mpn_id='7654321'")
ALL=$(store_sql "select count(*) from audit")
check "control: the store has events of both organizations and of the operator alone" \
  test "$(store_sql "select count(distinct coalesce(org_id, 0)) from audit")" = 3

# -- the operator sees everything, in every format
expect 0 "operator: audit list --format json" as "$OP" audit list --format json
J_OP=$OUT
check "operator json: one array with every row" test "$(json "len(d)" <<<"$J_OP")" = "$ALL"
check "operator json: the same ids as the store, in order" test "$(ids <<<"$J_OP")" = "$(db_ids '')"
check "operator json: keys in the documented order" test "$(json "sorted(set(str(list(r.keys())) for r in d))" <<<"$J_OP")" = "[\"$K_COLUMNS\"]"
check "operator json: mpn_id is a string of digits or null" \
  test "$(json "all(r['mpn_id'] is None or (isinstance(r['mpn_id'], str) and r['mpn_id'].isdigit()) for r in d)" <<<"$J_OP")" = True
check "operator json: 'at' is an ISO 8601 instant" \
  test "$(json "all(__import__('re').fullmatch(r'\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ', r['at']) is not None for r in d)" <<<"$J_OP")" = True
check "operator json: the failed sign-in is there (outcome denied)" \
  test "$(json "sum(1 for r in d if r['action']=='login' and r['target']=='bo@fabrikam.com' and r['outcome']=='denied')" <<<"$J_OP")" = 1
expect 0 "operator: audit list --format jsonl" as "$OP" audit list --format jsonl
check "operator jsonl: one object per line, the same ids" \
  test "$(python3 -c "import json,sys; print(','.join(str(json.loads(l)['id']) for l in sys.stdin if l.strip()))" <<<"$OUT")" = "$(db_ids '')"
check "operator jsonl: line count = rows" test "$(printf '%s\n' "$OUT" | grep -c .)" = "$ALL"
expect 0 "operator: audit list --format csv" as "$OP" audit list --format csv
check "operator csv: header" test "$(csvq "header" <<<"$OUT")" = "$K_COLUMNS"
check "operator csv: the same ids" test "$(csvq "','.join(r['id'] for r in rows)" <<<"$OUT")" = "$(db_ids '')"
check "operator csv: CRLF line ends" \
  test "$(printf '%s\n' "$OUT" | python3 -c "import sys; b=sys.stdin.buffer.read(); print(b.count(b'\r\n') == b.count(b'\n') > 1)")" = True
expect 0 "operator: audit list (table)" as "$OP" audit list
check "operator table: a header naming the columns" has '^ID +AT +ACTOR +MPN_ID +ACTION +TARGET +OUTCOME +DETAIL +BATCH' "$(printf '%s\n' "$OUT" | head -n1)"
check "operator table: one line per row + header" test "$(printf '%s\n' "$OUT" | grep -c .)" = "$((ALL + 1))"

# -- a Global Admin sees their organization only
expect 0 "Contoso GA: audit list --format json" as "$GA" audit list --format json
check "Contoso GA: exactly the Contoso rows" test "$(ids <<<"$OUT")" = "$(db_ids "where org_id=$CONTOSO")"
check "Contoso GA: every row has mpn_id 1234567" test "$(json "sorted(set(r['mpn_id'] for r in d))" <<<"$OUT")" = "['1234567']"
check "control: the store has rows of Fabrikam and of the operator alone" \
  test "$(store_sql "select count(*) from audit where org_id=$FABRIKAM")" -ge 3 -a "$(store_sql "select count(*) from audit where org_id is null")" -ge 2
check "Contoso GA: no Fabrikam row and no operator-only row" \
  test "$(json "any(r['actor'] in ('ga@fabrikam.com','bo@fabrikam.com') or r['mpn_id'] is None for r in d)" <<<"$OUT")" = False
N_C=$(json "len(d)" <<<"$OUT")
expect 0 "Contoso GA: jsonl" as "$GA" audit list --format jsonl
check "Contoso GA jsonl: same count" test "$(printf '%s\n' "$OUT" | grep -c .)" = "$N_C"
expect 0 "Contoso GA: csv" as "$GA" audit list --format csv
check "Contoso GA csv: same ids, only 1234567" \
  test "$(csvq "(','.join(r['id'] for r in rows), sorted(set(r['mpn_id'] for r in rows)))" <<<"$OUT")" = "('$(db_ids "where org_id=$CONTOSO")', ['1234567'])"
expect 0 "Contoso GA: table" as "$GA" audit list
check "Contoso GA table: same count, no fabrikam" test "$(printf '%s\n' "$OUT" | grep -c .)/$(grep -c fabrikam <<<"$OUT")" = "$((N_C + 1))/0"
expect 0 "Fabrikam GA: audit list --format json" as "$GB" audit list --format json
check "Fabrikam GA: exactly the Fabrikam rows" test "$(ids <<<"$OUT")" = "$(db_ids "where org_id=$FABRIKAM")"
check "Fabrikam GA: sees its own failed sign-in" \
  test "$(json "sum(1 for r in d if r['action']=='login' and r['outcome']=='denied')" <<<"$OUT")" = 1
check "Fabrikam GA: no Contoso row" test "$(json "any(r['mpn_id']!='7654321' for r in d)" <<<"$OUT")" = False

# -- everybody else: 4; nobody: 7
expect_err 4 'audit' "Partner Admin: audit list -> 4" as "$PAT" audit list
check "Partner Admin: nothing on stdout" test -z "$OUT"
expect_err 4 'audit' "Partner Admin: audit list --format csv -> 4" as "$PAT" audit list --format csv
check "Partner Admin csv: not even a header" test -z "$OUT"
expect_err 4 'audit' "user: audit list -> 4" as "$ALICE" audit list --format json
check "user: nothing on stdout" test -z "$OUT"
expect_err 4 'audit' "user: audit list --format jsonl -> 4" as "$BO" audit list --format jsonl
expect_err 7 'not signed in' "no session: audit list -> 7" "$M" audit list

# -- filters (the refusals above may have added their own 'denied' rows: count again)
ALL=$(store_sql "select count(*) from audit")
expect 0 "--actor (other case)" as "$OP" audit list --actor GA@Contoso.COM --format json
check "--actor: exactly ga@contoso.com's rows" test "$(ids <<<"$OUT")" = "$(db_ids "where actor='ga@contoso.com'")"
check "--actor: control, some rows" test "$(json "len(d)" <<<"$OUT")" -ge 3
expect 0 "--action user.invite" as "$OP" audit list --action user.invite --format json
check "--action: exactly the user.invite rows" test "$(ids <<<"$OUT")" = "$(db_ids "where action='user.invite'")"
check "--action: every row is user.invite" test "$(json "sorted(set(r['action'] for r in d))" <<<"$OUT")" = "['user.invite']"
SINCE=$(day '10 days')
expect 0 "--since (10 days from now)" as "$OP" audit list --since "$SINCE" --format json
check "--since: exactly the two late invitations" \
  test "$(json "sorted(r['target'] for r in d)" <<<"$OUT")" = "['late1@contoso.com', 'late2@fabrikam.com']"
check "--since: the same rows as the store" test "$(ids <<<"$OUT")" = "$(db_ids "where at >= $(epoch "$SINCE")")"
expect 0 "--since (11 days from now): nothing" as "$OP" audit list --since "$(day '11 days')" --format json
check "--since later: an empty array" test "$(json "d" <<<"$OUT")" = "[]"
expect 0 "--since (yesterday): everything" as "$OP" audit list --since "$(day '-1 day')" --format json
check "--since yesterday: all rows" test "$(json "len(d)" <<<"$OUT")" = "$ALL"
expect 0 "Contoso GA: --since" as "$GA" audit list --since "$SINCE" --format json
check "Contoso GA --since: only its own late invitation" test "$(json "[r['target'] for r in d]" <<<"$OUT")" = "['late1@contoso.com']"
expect 0 "combined --actor --action --since" as "$OP" audit list --actor ga@fabrikam.com --action user.invite --since "$SINCE" --format csv
check "combined filters: one row" test "$(csvq "[(r['actor'], r['action'], r['target']) for r in rows]" <<<"$OUT")" = "[('ga@fabrikam.com', 'user.invite', 'late2@fabrikam.com')]"
expect 0 "Contoso GA: --actor of another organization" as "$GA" audit list --actor ga@fabrikam.com --format json
check "Contoso GA --actor ga@fabrikam.com: nothing (tenant isolation holds under filters)" test "$(json "d" <<<"$OUT")" = "[]"
expect 0 "--action that never happened" as "$OP" audit list --action no.such.action --format json
check "unknown action: an empty array" test "$(json "d" <<<"$OUT")" = "[]"
expect_err 2 '--since' "--since not a date -> 2" as "$OP" audit list --since 2026-13-01
expect_err 2 '--since' "--since in another format -> 2" as "$OP" audit list --since 24/11/2026
expect_err 2 '--actor' "--actor not an email -> 2" as "$OP" audit list --actor not-an-email
check "listing changed nothing (row count)" test "$(store_sql "select count(*) from audit")" = "$ALL"

# -- --until DATE takes the whole day: the last second of the day is in, the next midnight out
D20=$(day '20 days'); D21=$(day '21 days')
TZ=UTC at "$D20 23:59:59" env MCIDCTL_TOKEN="$GA" "$M" user invite edge1@contoso.com --name Edge >/dev/null 2>&1 || bad "an invite at the day's last second"
TZ=UTC at "$D21 00:00:00" env MCIDCTL_TOKEN="$GA" "$M" user invite edge2@contoso.com --name Edge >/dev/null 2>&1 || bad "an invite at the next midnight"
expect 0 "--since D --until D: that one day" as "$OP" audit list --since "$D20" --until "$D20" --format json
check "--until: 23:59:59 of the day is in, the next midnight is not" test "$(json "[r['target'] for r in d]" <<<"$OUT")" = "['edge1@contoso.com']"
expect 0 "--since the next day" as "$OP" audit list --since "$D21" --format json
check "the next midnight is the next day's" test "$(json "[r['target'] for r in d]" <<<"$OUT")" = "['edge2@contoso.com']"
expect 0 "--until yesterday" as "$OP" audit list --until "$(day '-1 day')" --format json
check "--until yesterday: nothing" test "$(json "d" <<<"$OUT")" = "[]"
expect 0 "--until D as a Global Admin, with --action" as "$GA" audit list --until "$D20" --action user.invite --format json
check "--until with other filters: the rows before, edge1 last" test "$(json "d[-1]['target']" <<<"$OUT")" = "edge1@contoso.com"
check "and not edge2" lacks 'edge2@' "$OUT"
expect_err 2 "--until $D20 is before --since $D21" "--until before --since -> 2" as "$OP" audit list --since "$D21" --until "$D20"
expect_err 2 '--until' "--until not a date -> 2" as "$OP" audit list --until 2026-13-01

# -- denied actions are recorded (rule 11: "every failed sign-in or denied action")
echo "== denied actions are audited"
before=$(store_sql "select count(*) from audit where outcome='denied'")
expect 4 "Partner Admin: user invite -> 4" as "$PAT" user invite eve@contoso.com --name Eve
check "the refused invitation is audited (actor pat, outcome denied)" \
  test "$(store_sql "select count(*) from audit where actor='pat@contoso.com' and outcome='denied'")" -ge 1
expect 4 "user: config set -> 4" as "$ALICE" config set association.limit 9
check "the refused config set is audited (actor alice, outcome denied)" \
  test "$(store_sql "select count(*) from audit where actor='alice@contoso.com' and outcome='denied'")" -ge 1
expect 4 "Contoso GA: another organization's user -> 4" as "$GA" user set-role bo@fabrikam.com partner-admin
check "the cross-tenant role change is audited (actor ga@contoso.com, outcome denied)" \
  test "$(store_sql "select count(*) from audit where actor='ga@contoso.com' and outcome='denied'")" -ge 1
expect 4 "Partner Admin: audit list -> 4 (again)" as "$PAT" audit list
check "three denied commands added at least three denied rows" \
  test "$(store_sql "select count(*) from audit where outcome='denied'")" -ge "$((before + 3))"
expect 8 "control: a cross-tenant purge -> 8 (denied row)" as "$GA" purge-user bo@fabrikam.com --yes
check "control: the denied purge is audited" \
  test "$(store_sql "select count(*) from audit where action='purge-user' and outcome='denied' and target='bo@fabrikam.com'")" = 1

# ==== audit verify and tampering ========================================================
echo "== audit verify"
expect_err 4 'audit' "Partner Admin: audit verify -> 4" as "$PAT" audit verify
expect_err 4 'audit' "user: audit verify -> 4" as "$ALICE" audit verify
expect_err 4 'operator' "Global Admin: audit verify -> 4 (the chain spans every organization)" as "$GA" audit verify
expect_err 4 'operator' "Global Admin: audit head -> 4" as "$GA" audit head
ALL=$(store_sql "select count(*) from audit")
expect 0 "operator: audit verify" as "$OP" audit verify
check "verify: 'ok' with the number of rows" has "^ok: $ALL rows" "$OUT"
expect 0 "operator: audit verify --format json" as "$OP" audit verify --format json
check "verify json: status ok and the row count" test "$(json "(d['status'], d['rows'])" <<<"$OUT")" = "('ok', $ALL)"
expect 0 "operator: audit head" as "$OP" audit head
HEAD=$OUT
check "audit head: ROWS:HASH with the row count" has "^$ALL:[0-9a-f]{64}\$" "$HEAD"
expect 0 "operator: audit head --format json" as "$OP" audit head --format json
check "audit head json: rows and hash, the same as the line" \
  test "$(json "'%d:%s' % (d['rows'], d['hash'])" <<<"$OUT")" = "$HEAD"
check "audit head: the hash is the last row's" test "${HEAD#*:}" = "$(store_sql "select hash from audit order by id desc limit 1")"
expect 0 "verify --expect the head just taken" as "$OP" audit verify --expect "$HEAD"
check "verify --expect: says the expected row matched" has "row $ALL as expected" "$OUT"
expect_err 2 'expect' "verify --expect garbage -> 2" as "$OP" audit verify --expect 12:zz
expect_err 2 'expect' "verify --expect without a hash -> 2" as "$OP" audit verify --expect 12
check "verify changed nothing" test "$(store_sql "select count(*) from audit")" = "$ALL"
# keep DB: a copy of the store to go back to (a file; on a server, a database made from it)
# back_to DB: the store as it was when kept (triggers and all)
if on_server; then
  ADMIN_DB=$MCIDCTL_TEST_PG
  STORE_NAME=$(psql -XAtq "$MCIDCTL_DB" -c "select current_database()")
  keep() { psql -XAq "$ADMIN_DB" -c "CREATE DATABASE ${STORE_NAME}_$1 TEMPLATE $STORE_NAME" >/dev/null; }
  back_to() {
    psql -XAq "$ADMIN_DB" -c "DROP DATABASE $STORE_NAME WITH (FORCE)" -c "CREATE DATABASE $STORE_NAME TEMPLATE ${STORE_NAME}_$1" >/dev/null
  }
  check_kept() { test "$(psql -XAtq "$ADMIN_DB" -c "select count(*) from pg_database where datname = '${STORE_NAME}_$1'")" = 1; }
else
  keep() { sqlite3 "$MCIDCTL_DB" ".backup '$T/$1.db'"; }
  back_to() { rm -f "$MCIDCTL_DB-wal" "$MCIDCTL_DB-shm"; cp "$T/$1.db" "$MCIDCTL_DB"; }
  check_kept() { test -s "$T/$1.db"; }
fi
keep pristine
check "control: pristine copy made" check_kept pristine
restore() { back_to pristine; }
MID=$((ALL / 2))

# -- the triggers refuse UPDATE and DELETE
D0=$(store_sql "select detail||'|'||hash from audit where id=$MID")
OUT=$(tamper "UPDATE audit SET detail='tampered' WHERE id=$MID"); RC=$?
check "UPDATE on audit is refused by a trigger (sqlite3/psql fails)" test "$RC" != 0
check "… with the append-only message" has 'append-only' "$OUT"
check "… and the row is unchanged" test "$(store_sql "select detail||'|'||hash from audit where id=$MID")" = "$D0"
OUT=$(tamper "UPDATE audit SET hash=prev_hash"); RC=$?
check "UPDATE of every row is refused" test "$RC" != 0
OUT=$(tamper "DELETE FROM audit WHERE id=$MID"); RC=$?
check "DELETE on audit is refused by a trigger (sqlite3/psql fails)" test "$RC" != 0
check "… with the append-only message" has 'append-only' "$OUT"
check "… and no row is gone" test "$(store_sql "select count(*) from audit")" = "$ALL"
OUT=$(tamper "DELETE FROM audit"); RC=$?
check "DELETE of the whole log is refused" test "$RC" != 0 -a "$(store_sql "select count(*) from audit")" = "$ALL"
expect 0 "verify still ok after the refused edits" as "$OP" audit verify
check "… ok with every row" has "^ok: $ALL rows" "$OUT"

# -- triggers dropped: an edited row is caught and named
if on_server; then
  drop_triggers() { store_sql "DROP TRIGGER audit_no_update ON audit; DROP TRIGGER audit_no_delete ON audit"; }
else
  drop_triggers() { store_sql "DROP TRIGGER audit_no_update; DROP TRIGGER audit_no_delete;"; }
fi
check "drop the triggers" test -z "$(drop_triggers)"
check "control: UPDATE now succeeds" test -z "$(tamper "UPDATE audit SET detail='tampered' WHERE id=$MID")"
check "control: the row was changed" test "$(store_sql "select detail from audit where id=$MID")" = tampered
expect_err 9 "row $MID([^0-9]|$)" "edited detail: verify -> 9 naming row $MID" as "$OP" audit verify
check "edited detail: the message says the log is broken" has 'broken|changed' "$ERR"
check "edited detail: nothing on stdout that says ok" lacks '^ok' "$OUT"
expect_err 9 'failed its check' "edited detail: db check -> 9" as "$OP" db check
check "db check names the audit row" has "^audit: the chain breaks at row $MID([^0-9]|$)" "$OUT"
expect_err 9 "row $MID([^0-9]|$)" "edited detail: verify --format json -> 9 as well" as "$OP" audit verify --format json

restore; drop_triggers >/dev/null
DENIED_ID=$(store_sql "select min(id) from audit where outcome='denied'")
tamper "UPDATE audit SET outcome='ok' WHERE id=$DENIED_ID" >/dev/null
expect_err 9 "row $DENIED_ID([^0-9]|$)" "a denied event rewritten as ok -> 9 naming row $DENIED_ID" as "$OP" audit verify

restore; drop_triggers >/dev/null
tamper "UPDATE audit SET at=at-86400 WHERE id=$MID" >/dev/null
expect_err 9 "row $MID([^0-9]|$)" "a back-dated event -> 9 naming row $MID" as "$OP" audit verify

restore; drop_triggers >/dev/null
LATER=$((MID + 3))
tamper "UPDATE audit SET actor='someone@else.com' WHERE id=$LATER; UPDATE audit SET target='x' WHERE id=$MID" >/dev/null
expect_err 9 "row $MID([^0-9]|$)" "two edited rows: verify names the first ($MID)" as "$OP" audit verify
check "two edited rows: the later one is not the one named" lacks "row $LATER([^0-9]|$)" "$ERR"

restore; drop_triggers >/dev/null
tamper "UPDATE audit SET hash='$(printf '%064d' 0)' WHERE id=$MID" >/dev/null
expect_err 9 "row $MID([^0-9]|$)" "a replaced hash -> 9 naming row $MID" as "$OP" audit verify

# -- a deleted middle row is caught
restore; drop_triggers >/dev/null
check "control: DELETE now succeeds" test -z "$(tamper "DELETE FROM audit WHERE id=$MID")"
check "control: one row fewer" test "$(store_sql "select count(*) from audit")" = "$((ALL - 1))"
expect_err 9 "row $MID([^0-9]|$)" "deleted middle row $MID: verify -> 9 naming row $MID as missing" as "$OP" audit verify
check "deleted row: the message says a row was removed" has 'removed|missing' "$ERR"

# -- a forged row appended by hand
restore; drop_triggers >/dev/null
NEXT=$((ALL + 1))
tamper "INSERT INTO audit(id, at, actor, org_id, action, target, outcome, detail, batch, prev_hash, hash)
  SELECT $NEXT, at, 'op@example.com', NULL, 'config.set', 'association.limit', 'ok', '9', '', hash, hash FROM audit WHERE id=$ALL" >/dev/null
check "control: the forged row is in" test "$(store_sql "select count(*) from audit")" = "$NEXT"
expect_err 9 "row $NEXT([^0-9]|$)" "forged row: verify -> 9 naming row $NEXT" as "$OP" audit verify

# -- every column of a row, tampered one at a time, breaks the chain at that row
for edit in "at=at+1" "actor='x@contoso.com'" "org_id=coalesce(org_id,0)+1" "action='user.restore'" \
            "target='someone'" "outcome='denied'" "detail=detail||'.'" "batch='b-1'" "prev_hash=hash" \
            "hash=prev_hash" "id=id+100000"; do
  restore; drop_triggers >/dev/null
  tamper "UPDATE audit SET $edit WHERE id=$MID" >/dev/null
  expect_err 9 "row $MID([^0-9]|$)" "tampered column ($edit): verify -> 9 naming row $MID" as "$OP" audit verify
done
# org_id moved: the row shows up in another tenant's list, and verify catches it
restore; drop_triggers >/dev/null
CROW=$(store_sql "select max(id) from audit where org_id=$CONTOSO")
tamper "UPDATE audit SET org_id=$FABRIKAM WHERE id=$CROW" >/dev/null
expect_err 9 "row $CROW([^0-9]|$)" "a row moved to another tenant: verify -> 9 naming row $CROW" as "$OP" audit verify

# -- a cut tail passes a plain verify, but not --expect of the head taken before
restore; drop_triggers >/dev/null
tamper "DELETE FROM audit WHERE id > $((ALL - 3))" >/dev/null
expect 0 "control: the last three rows cut, a plain verify cannot know" as "$OP" audit verify
expect_err 9 "row $((ALL - 2))([^0-9]|$).*removed" "cut tail: verify --expect the old head -> 9" as "$OP" audit verify --expect "$HEAD"
# -- the whole log deleted: refused on a store that has accounts
restore; drop_triggers >/dev/null
tamper "DELETE FROM audit" >/dev/null
expect_err 9 "row 1([^0-9]|$).*empty" "an emptied log on a store with accounts -> 9" as "$OP" audit verify
# -- the start of the log removed and the chain rebuilt from row 2 on: row 1 must be init
restore; drop_triggers >/dev/null
# (in two steps: a server checks the primary key row by row)
tamper "DELETE FROM audit WHERE id = 1; UPDATE audit SET id = -id; UPDATE audit SET id = -id - 1" >/dev/null
expect_err 9 "row 1([^0-9]|$)" "log without its init row -> 9 naming row 1" as "$OP" audit verify
# -- the chain rewritten from scratch by rule 1 (the old rule a 25-line script could forge)
restore; drop_triggers >/dev/null
# the rows, fields split by US and rows by RS, from either store; the forger prints the SQL
if on_server; then
  rows_of() { psql -XAtq -F $'\x1f' -R $'\x1e' "$MCIDCTL_DB" -c "$1"; }
else
  rows_of() { sqlite3 -separator $'\x1f' -newline $'\x1e' "$MCIDCTL_DB" "$1"; }
fi
rows_of "select id, at, actor, coalesce(cast(org_id as text), ''), action, target, outcome, detail, batch
         from audit order by id" | python3 -c '
import hashlib, sys
rows = [r.split("\x1f") for r in sys.stdin.read().split("\x1e") if r]
q = lambda v: "\x27" + v.replace("\x27", "\x27\x27") + "\x27"
prev = ""
print("DELETE FROM audit WHERE id = 3;")   # drop a row and close the gap
for (i, at, actor, org, action, target, outcome, detail, batch) in rows:
    i = int(i)
    if i == 3: continue
    new_id = i if i < 3 else i - 1
    canon = "\x1f".join([prev, "0", at, actor, org, action, target, outcome, detail, batch])
    h = hashlib.blake2b(canon.encode(), digest_size=32).hexdigest()
    print(f"UPDATE audit SET id = {new_id}, prev_hash = {q(prev)}, hash = {q(h)} WHERE id = {i};")
    prev = h
' >"$T/forge.sql"
check "control: the forger wrote an UPDATE per row" test "$(grep -c '^UPDATE' "$T/forge.sql")" = "$((ALL - 1))"
H1=$(store_sql "select hash from audit where id = 1")
tamper "$(cat "$T/forge.sql")" >/dev/null
check "control: the chain was rewritten (a row fewer, row 1's hash by rule 1, linked on)" \
  test "$(store_sql "select count(*) from audit")/$(store_sql "select count(*) from audit a join audit b on b.id = a.id + 1 where b.prev_hash <> a.hash")" = "$((ALL - 1))/0" -a \
       "$(store_sql "select hash from audit where id = 1")" != "$H1"
expect_err 9 "row [0-9]+" "a chain rewritten by the old rule -> 9" as "$OP" audit verify
expect_err 9 "row [0-9]+" "… and with --expect -> 9" as "$OP" audit verify --expect "$HEAD"

# -- the pristine copy verifies, and new writes keep the chain sound
restore
expect 0 "pristine store: verify ok" as "$OP" audit verify
check "pristine store: all rows" has "^ok: $ALL rows" "$OUT"
expect 0 "a write after the restore" as "$GA" user invite fred@contoso.com --name Fred
expect 0 "verify after the write" as "$OP" audit verify
check "verify counts the new row" has "^ok: $((ALL + 1)) rows" "$OUT"

# ==== a store from schema 2: old rows verify by the old rule, new rows by the new ===========
if ! on_server; then  # a server store began at schema 1 with the position in every hash
echo "== audit chain of a store migrated from schema 2"
restore
downgrade_to_schema2 "$MCIDCTL_DB"
check "control: the downgraded store is schema 2" test "$(store_sql 'PRAGMA user_version')" = 2
expect 0 "a schema-2 store: verify after the migration" as "$OP" audit verify
check "migrated: every old row verifies" has "^ok: $ALL rows" "$OUT"
check "migrated: schema 6 now, the switch row recorded" \
  test "$(store_sql 'PRAGMA user_version')/$(store_sql "select value from config where key='audit.rule2_from'")" = "6/$((ALL + 1))"
expect 0 "migrated: a write after the migration" as "$GA" user invite gina@contoso.com --name Gina
expect 0 "migrated: verify old and new rows" as "$OP" audit verify
check "migrated: all rows" has "^ok: $((ALL + 1)) rows" "$OUT"
sqlite3 "$MCIDCTL_DB" ".backup '$T/migrated.db'"
drop_triggers >/dev/null
sqlite3 "$MCIDCTL_DB" "UPDATE audit SET detail='tampered' WHERE id=$MID"
expect_err 9 "row $MID([^0-9]|$)" "migrated: an edited old row -> 9" as "$OP" audit verify
rm -f "$MCIDCTL_DB-wal" "$MCIDCTL_DB-shm"; cp "$T/migrated.db" "$MCIDCTL_DB"; drop_triggers >/dev/null
sqlite3 "$MCIDCTL_DB" "UPDATE audit SET detail='tampered' WHERE id=$((ALL + 1))"
expect_err 9 "row $((ALL + 1))([^0-9]|$)" "migrated: an edited new row -> 9" as "$OP" audit verify
rm -f "$MCIDCTL_DB-wal" "$MCIDCTL_DB-shm"; cp "$T/migrated.db" "$MCIDCTL_DB"; drop_triggers >/dev/null
sqlite3 "$MCIDCTL_DB" "UPDATE config SET value='999999' WHERE key='audit.rule2_from'"
expect_err 9 "row $((ALL + 1))([^0-9]|$)" "migrated: a switch row moved past the end -> 9 at the first new row" as "$OP" audit verify
fi

# ==== secrets never in clear ===============================================================
echo "== secrets: a full scenario, then the store, its WAL and every output are searched"
fresh_env
ALL_OUT=$T/all-output      # every stdout and stderr, except the one stdout that shows a secret
SECRET_OUT=$T/secret-output # those stdouts, kept apart (they must show the secret: control)
: >"$ALL_OUT"; : >"$SECRET_OUT"
PW_WRONG='Wrong-Secret-Guess-4242'
PW_OP2='operator-rotated-77'     # never used: a control that a string absent everywhere counts 0
# sc CODE CMD...: runs with $IN on stdin, keeps stdout+stderr in ALL_OUT, checks the exit code
sc() {
  local want=$1; shift
  "$@" <<<"${IN-}" >>"$ALL_OUT" 2>>"$ALL_OUT"; local rc=$?
  [[ $rc == "$want" ]] || bad "scenario: $*" "exit $rc, wanted $want"
}
# secret CMD...: runs with $IN on stdin; stdout (a secret) goes to SECRET and SECRET_OUT, stderr to ALL_OUT
secret() {
  SECRET=$("$@" <<<"${IN-}" 2>>"$ALL_OUT"); local rc=$?
  printf '%s\n' "$SECRET" >>"$SECRET_OUT"
  [[ $rc == 0 ]] || bad "scenario (secret): $*" "exit $rc"
}
code_from() { json "d['code']" <<<"$1" 2>/dev/null; }

IN=$PW_OP sc 0 "$M" init --operator op@example.com --password-stdin
# keep a connection open so that the WAL is not checkpointed away when each command ends (a
# server store has no file of its own: it is searched through pg_dump below)
if on_server; then sleep 300 & else python3 -c "
import os, sqlite3, sys, time
c = sqlite3.connect(sys.argv[1]); c.execute('select count(*) from sqlite_schema').fetchall()
t = time.time()
while not os.path.exists(sys.argv[2]) and time.time() - t < 120: time.sleep(0.05)
c.close()" "$MCIDCTL_DB" "$T/stop-holder" & fi
HOLDER=$!
sleep 0.3
IN=$PW_OP secret "$M" login op@example.com --password-stdin --print-token;              TOK_OP=$SECRET
secret env MCIDCTL_TOKEN="$TOK_OP" "$M" org enroll --mpn-id 1234567 --name Contoso --admin ga@contoso.com --format json
CODE_GA=$(code_from "$SECRET")
IN=$PW_GA sc 7 "$M" user accept ga@contoso.com --code ABCD-EFGH-JKMN-PQRS --password-stdin -v   # a wrong code
IN=$PW_GA sc 0 "$M" user accept ga@contoso.com --code "$CODE_GA" --password-stdin
IN=$PW_GA sc 0 "$M" login ga@contoso.com --password-stdin -v                              # token into the session file
TOK_GA=$(cat "$MCIDCTL_SESSION" 2>/dev/null)
check "the session file holds the token, mode 0600" test -n "$TOK_GA" -a "$(stat -c %a "$MCIDCTL_SESSION" 2>/dev/null)" = 600
secret "$M" user invite alice@contoso.com --name 'Alice Secret' --format json;             CODE_ALICE=$(code_from "$SECRET")
secret "$M" user invite carol@contoso.com --name Carol --format json;                      CODE_CAROL1=$(code_from "$SECRET")
secret "$M" user resend carol@contoso.com --format json;                                   CODE_CAROL2=$(code_from "$SECRET")
IN=$PW_USER sc 7 "$M" user accept carol@contoso.com --code "$CODE_CAROL1" --password-stdin  # the old code no longer works
IN=$PW_USER sc 0 "$M" user accept alice@contoso.com --code "$CODE_ALICE" --password-stdin
IN=$PW_WRONG sc 7 "$M" login alice@contoso.com --password-stdin                           # a failed sign-in
IN=$PW_USER secret "$M" login alice@contoso.com --password-stdin --print-token;           TOK_ALICE=$SECRET
IN=$PW_PROF sc 0 env MCIDCTL_TOKEN="$TOK_OP" "$M" registry add-profile --mcid 40000001 --login alice@outlook.com --name 'Alice Learn' --password-stdin
IN=$PW_PU sc 0 env MCIDCTL_TOKEN="$TOK_OP" "$M" registry add-university-account --login alice@pu.example --name 'Alice PU' --password-stdin
IN=$PW_PROF sc 0 env MCIDCTL_TOKEN="$TOK_OP" "$M" registry hash-password --password-stdin
sc 0 env MCIDCTL_TOKEN="$TOK_OP" "$M" registry add-credential --mcid 40000001 --code AZ-104 --title 'Azure Administrator' --type certification --passed-on 2024-01-10
IN=$PW_WRONG sc 7 env MCIDCTL_TOKEN="$TOK_ALICE" "$M" link --login alice@outlook.com --password-stdin    # wrong profile password
IN=$PW_PROF sc 0 env MCIDCTL_TOKEN="$TOK_ALICE" "$M" link --login alice@outlook.com --password-stdin -v
IN=$PW_PU sc 0 env MCIDCTL_TOKEN="$TOK_ALICE" "$M" associate --login alice@pu.example --password-stdin
sc 0 env MCIDCTL_TOKEN="$TOK_ALICE" "$M" whoami --format json
sc 0 "$M" report skills --include-pending --format csv
sc 0 "$M" report users --format json
sc 0 "$M" user list --format jsonl
sc 0 "$M" purge-user alice@contoso.com --yes --format json -v
sc 7 env MCIDCTL_TOKEN="$TOK_ALICE" "$M" whoami                                          # revoked
for f in table json jsonl csv; do sc 0 env MCIDCTL_TOKEN="$TOK_OP" "$M" audit list --format "$f"; done
sc 0 env MCIDCTL_TOKEN="$TOK_OP" "$M" audit verify
sc 0 env MCIDCTL_TOKEN="$TOK_OP" "$M" config list
sc 0 "$M" logout
check "control: three codes and three tokens were obtained" \
  test -n "$CODE_GA" -a -n "$CODE_ALICE" -a -n "$CODE_CAROL1" -a -n "$CODE_CAROL2" -a -n "$TOK_OP" -a -n "$TOK_GA" -a -n "$TOK_ALICE"
check "control: resend gave a new code" test "$CODE_CAROL1" != "$CODE_CAROL2"
check "control: the scenario's output is there (linked, purged, audit rows)" \
  test "$(count_in 'linked MCID' "$ALL_OUT")" -ge 1 -a "$(count_in 'purged 1' "$ALL_OUT")" -ge 1 -a "$(count_in 'user.invite' "$ALL_OUT")" -ge 4
check "control: the secrets' own stdout shows each code and token once" \
  test "$(count_in "$CODE_ALICE" "$SECRET_OUT")/$(count_in "$TOK_ALICE" "$SECRET_OUT")" = "1/1"
if ! on_server; then
  check "control: the WAL is kept while the holder is open" test -s "$MCIDCTL_DB-wal"
  check "control: the WAL holds the scenario's writes (alice@contoso.com)" test "$(count_in alice@contoso.com "$MCIDCTL_DB-wal")" -ge 1
  check "control: the store file holds an email written before the holder (op@example.com)" test "$(count_in op@example.com "$MCIDCTL_DB")" -ge 1
fi

# every secret, with the forms a careless implementation might store: as given, codes without
# dashes, tokens without their prefix
SECRETS=("$PW_OP" "$PW_GA" "$PW_USER" "$PW_PROF" "$PW_PU" "$PW_WRONG"
         "$CODE_GA" "$CODE_ALICE" "$CODE_CAROL1" "$CODE_CAROL2" "${CODE_ALICE//-/}" "${CODE_CAROL2//-/}"
         "$TOK_OP" "$TOK_GA" "$TOK_ALICE" "${TOK_ALICE#mcs_}" "${TOK_GA#mcs_}")
NAMES=(operator-password ga-password user-password profile-password pu-password wrong-password
       ga-code alice-code carol-code-1 carol-code-2 alice-code-undashed carol-code-2-undashed
       operator-token ga-token alice-token alice-token-body ga-token-body)
search() {  # search WHEN: every secret in the store, WAL, shm, and all output
  local i f
  for i in "${!SECRETS[@]}"; do
    local s=${SECRETS[$i]} found=""
    [[ -n $s ]] || { bad "$1: ${NAMES[$i]} is empty"; continue; }
    for f in "$MCIDCTL_DB" "$MCIDCTL_DB-wal" "$MCIDCTL_DB-shm" "$ALL_OUT"; do
      [[ -e $f ]] || continue
      [[ $(count_in "$s" "$f") == 0 ]] || found+=" ${f##*/}"
    done
    if [[ -z $found ]]; then ok "$1: ${NAMES[$i]} not in clear"; else bad "$1: ${NAMES[$i]} found in clear in:$found"; fi
  done
}
search "with the WAL"
if ! on_server; then
  check "control: a string that appears nowhere counts 0 (grep works on binary files)" \
    test "$(count_in "$PW_OP2" "$MCIDCTL_DB")$(count_in "$PW_OP2" "$MCIDCTL_DB-wal")" = 00
fi
store_dump >"$T/dump.sql"
check "control: the SQL dump has the audit log (the scenario's invitations)" test "$(count_in 'user.invite' "$T/dump.sql")" -ge 3
leaks=0; for s in "${SECRETS[@]}"; do [[ $(count_in "$s" "$T/dump.sql") == 0 ]] || leaks=$((leaks + 1)); done
check "no secret in any table (SQL dump, audit log included)" test "$leaks" = 0
touch "$T/stop-holder"
if on_server; then kill "$HOLDER" 2>/dev/null; wait "$HOLDER" 2>/dev/null; else
  wait "$HOLDER"
  check "control: after the last connection closed, the WAL was checkpointed away" test ! -s "$MCIDCTL_DB-wal"
  search "after the checkpoint"
fi
check "logout removed the session file (the one place a token may be kept)" test ! -e "$MCIDCTL_SESSION"

summary
