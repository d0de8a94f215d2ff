#!/usr/bin/env bash
# generate.sh STORE [SCALE]: builds a benchmark store.
#
# At SCALE 1.0 (the default): 1,000 organizations, 1,000,000 users (organization 1, MPN ID
# 1000001, is the largest with 200,000), 1,000,000 profiles (900,000 linked), 5,000,000
# credentials, 500,000 Partner University accounts (400,000 associated) with 1,000,000
# assessments. SCALE 0.01 makes a store a hundred times smaller in a few seconds. The layout is
# described in bench/gen_data.py. The CSV files are kept in csv/ beside the store (import.sh and
# purge.sh use them); the tokens of the operator and of organization 1's Global Admin in
# operator.token and admin.token.
#
# The store goes through mcidctl's own paths wherever that is reasonable:
#   init, login, org enroll (once per organization), user import --org (as the operator),
#   registry import --kind profiles|credentials|university-accounts|assessments, competency define,
#   db rebuild (after the SQL below: it computes the competency status of the SQL-written links).
# Two things are written with the sqlite3 shell instead, because the product's only way to do
# them verifies an Argon2id password per row (~0.1 s of CPU and 64 MiB each: a million of them
# would take more than a day):
#   - accepting the invitations: users get status 'active', accepted_at and the password hash
#     computed once by `mcidctl registry hash-password` (what `user accept` would store);
#   - linking and associating: rows in links, university_links and associations, as `link` and
#     `associate` would write them (users link themselves, proving the profile's password).
# Those SQL writes are not in the audit log (its hash chain stays valid: nothing is appended).
# A few sessions are added the same way, so that purging has sessions to revoke.
#
# Passwords of the generated accounts are in bench/lib.sh (benchmark stores only).
set -euo pipefail
source "$(dirname "$0")/lib.sh"
need sqlite3 python3

store_paths "${1:-}"
SCALE=${2:-1.0}
[[ -e $STORE ]] && die "$STORE exists; remove it (and $CSV_DIR) or choose another path"
mkdir -p "$WORK"
export MCIDCTL_DB=$STORE
TODAY=$(date -u +%F)

PHASES=()
phase_start() { PHASE=$1; PHASE_T0=$(date +%s.%N); log "$PHASE..."; }
phase_end() {
    local took
    took=$(python3 -c "import sys; print(f'{float(sys.argv[2]) - float(sys.argv[1]):.1f}')" "$PHASE_T0" "$(date +%s.%N)")
    PHASES+=("$PHASE|$took")
    log "$PHASE: ${took}s"
}
ALL_T0=$(date +%s.%N)

phase_start "init, operator sign-in, password hash"
printf '%s\n' "$BENCH_OPERATOR_PASSWORD" | "$MCIDCTL" init --operator "$BENCH_OPERATOR" --password-stdin -q
export MCIDCTL_TOKEN
MCIDCTL_TOKEN=$(operator_token)
HASH=$(printf '%s\n' "$BENCH_PASSWORD" | "$MCIDCTL" registry hash-password --password-stdin)
# shellcheck disable=SC2016
[[ $HASH == '$argon2id$'* ]] || die "registry hash-password printed no hash: $HASH"
phase_end

phase_start "CSV files (gen_data.py, scale $SCALE)"
python3 "$BENCH_DIR/gen_data.py" "$CSV_DIR" "$SCALE" "$HASH" "$TODAY"
# shellcheck disable=SC1091
source "$CSV_DIR/layout.env"
phase_end

phase_start "org enroll x $N_ORGS"
while IFS=$'\t' read -r org mpn admin _name _first _last; do
    "$MCIDCTL" org enroll --mpn-id "$mpn" --name "Organization $org" --admin "$admin" --format json -q >/dev/null
done <"$CSV_DIR/orgs.tsv"
phase_end

phase_start "user import --org x $N_ORGS ($N_USERS users)"
while IFS=$'\t' read -r org mpn _rest; do
    "$MCIDCTL" user import "$CSV_DIR/users/$org.csv" --org "$mpn" --format csv -q >/dev/null
done <"$CSV_DIR/orgs.tsv"
phase_end

for kind in profiles credentials university-accounts assessments; do
    phase_start "registry import --kind $kind ($(($(wc -l <"$CSV_DIR/$kind.csv") - 1)) rows)"
    "$MCIDCTL" registry import "$CSV_DIR/$kind.csv" --kind "$kind" -q
    phase_end
done

phase_start "competency define x 8"
"$MCIDCTL" competency define "Azure Infrastructure" --requires AZ-104,AZ-305,AZ-700,AZ-800 --individuals 2 -q
"$MCIDCTL" competency define "Azure Developer" --requires AZ-204,AZ-400 --individuals 2 -q
"$MCIDCTL" competency define "Security" --requires AZ-500,SC-200,SC-300,SC-400,PU-SEC --individuals 3 -q
"$MCIDCTL" competency define "Data Analytics" --requires DP-203,DP-300,DP-100,PL-300,PU-DATA-AI --individuals 2 -q
"$MCIDCTL" competency define "AI" --requires AI-102,AI-900,PU-DATA-AI --individuals 1 -q
"$MCIDCTL" competency define "Modern Work" --requires MS-102,MS-700,MD-102,PU-MW --individuals 2 -q
"$MCIDCTL" competency define "Business Applications" --requires MB-210,MB-220,MB-230,MB-300,PU-BIZAPPS --individuals 2 -q
"$MCIDCTL" competency define "Power Platform" --requires PL-100,PL-200,PL-400 --individuals 40 -q
phase_end

# See the header: what `user accept`, `link` and `associate` would write, without an Argon2id
# verification per row. User n (email u<n>@...) links profile 10000000+n when n % 10 != 0, on
# day TODAY - (30 + n % 300) between 09:00 and 17:00 UTC; PU account k belongs to user 2k-1 and
# is associated when k % 5 != 0, on that user's day. gen_data.py dates the credentials from it.
phase_start "accept, link and associate by SQL"
sqlite3 "$STORE" <<SQL
PRAGMA foreign_keys = ON;
BEGIN IMMEDIATE;
CREATE TEMP TABLE un(n INTEGER PRIMARY KEY, user_id INTEGER NOT NULL, org_id INTEGER NOT NULL, day_at INTEGER NOT NULL);
INSERT INTO un SELECT n, id, org_id, unixepoch('$TODAY') - (30 + n % 300) * 86400 + 32400 + n % 28800
  FROM (SELECT CAST(substr(email, 2, instr(email, '@') - 2) AS INTEGER) AS n, id, org_id FROM users WHERE role <> 'operator');
UPDATE users SET status = 'active', password_hash = '$HASH', accepted_at = invited_at + 60,
       invite_code_hash = NULL, invite_expires_at = NULL
 WHERE role <> 'operator' AND status = 'invited';
INSERT INTO links(mcid, user_id, org_id, linked_at)
  SELECT 10000000 + n, user_id, org_id, day_at FROM un WHERE n % 10 <> 0 ORDER BY n;
INSERT INTO associations(kind, subject, user_id, at) SELECT 'profile', mcid, user_id, linked_at FROM links ORDER BY mcid;
CREATE TEMP TABLE pu(k INTEGER PRIMARY KEY, account_id INTEGER NOT NULL);
INSERT INTO pu SELECT CAST(substr(login, 3, instr(login, '@') - 3) AS INTEGER), id FROM university_accounts;
INSERT INTO university_links(account_id, user_id, org_id, associated_at)
  SELECT pu.account_id, un.user_id, un.org_id, un.day_at FROM pu JOIN un ON un.n = 2 * pu.k - 1
   WHERE pu.k % 5 <> 0 ORDER BY pu.account_id;
INSERT INTO associations(kind, subject, user_id, at)
  SELECT 'university', account_id, user_id, associated_at FROM university_links ORDER BY account_id;
INSERT INTO sessions(token_hash, user_id, created_at, expires_at)
  SELECT lower(hex(randomblob(32))), user_id, unixepoch('now'), unixepoch('now') + 30 * 86400 FROM un WHERE n % 20 = 0;
COMMIT;
SQL
phase_end

# The links above bypassed mcidctl, so the competency status it keeps for linked individuals
# (schema 2) is built once here, as after an upgrade.
phase_start "db rebuild (competency status of the links written by SQL)"
"$MCIDCTL" db rebuild -q
phase_end

phase_start "Global Admin sign-in, checkpoint"
ADMIN_TOKEN=$(admin_token)
[[ -n $ADMIN_TOKEN ]] || die "the Global Admin of organization 1 cannot sign in"
checkpoint "$STORE"
phase_end

TOTAL=$(python3 -c "import sys; print(f'{float(sys.argv[2]) - float(sys.argv[1]):.1f}')" "$ALL_T0" "$(date +%s.%N)")
{
    echo "## Generation (SCALE $SCALE)"
    echo
    echo "| phase | seconds |"
    echo "|---|---:|"
    for p in "${PHASES[@]}"; do table_row "${p%%|*}" "${p##*|}"; done
    table_row "**total**" "**$TOTAL**"
    echo
    echo "| table | rows |"
    echo "|---|---:|"
    for t in orgs users profiles credentials university_accounts assessments links university_links associations sessions audit competency_periods competency_ends; do
        table_row "$t" "$(sqlite3 "$STORE" "SELECT count(*) FROM $t")"
    done
    echo
    echo "Store file: $(du -h --apparent-size "$STORE" | cut -f1) ($STORE)"
} | tee "$RESULTS/generate.md"
