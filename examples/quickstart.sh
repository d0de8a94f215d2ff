#!/usr/bin/env bash
# quickstart.sh: the whole mcidctl story on a demo store, from an empty store to a skills
# report for Excel. Read it top to bottom: each step is one thing a real person would do.
#
#   examples/quickstart.sh                                   # new store in a temporary folder
#   MCIDCTL=build/mcidctl examples/quickstart.sh             # a binary that is not on PATH
#   MCIDCTL_DB=/tmp/demo/mcidctl.db examples/quickstart.sh   # a store path of your choice
#
# MCIDCTL_DB must name a store that does not exist yet (else: exit 5). The skills report is
# written beside it (skills.csv) and printed at the end. Needs bash, GNU date and python3 (to
# read JSON).
set -euo pipefail

MCIDCTL=${MCIDCTL:-mcidctl}
if [[ -z ${MCIDCTL_DB:-} ]]; then
    MCIDCTL_DB=$(mktemp -d "${TMPDIR:-/tmp}/mcidctl-quickstart.XXXXXX")/mcidctl.db
fi
export MCIDCTL_DB
if [[ -e $MCIDCTL_DB ]]; then
    # A second run would find its organizations and users already there: start afresh instead.
    echo "quickstart: $MCIDCTL_DB already exists; name a new store or leave MCIDCTL_DB unset" >&2
    exit 5
fi
STORE_DIR=$(dirname -- "$MCIDCTL_DB")
# Keep the demo away from your own session: every command below gets its identity from
# $MCIDCTL_TOKEN, and nothing falls back to a session file in your home directory.
export MCIDCTL_SESSION="$STORE_DIR/session"
unset MCIDCTL_TOKEN

# Demo passwords. Real ones come from a prompt; scripts pipe them in with --password-stdin
# (never as an argument, where `ps` would show them). At least 12 characters each.
OPERATOR_PASSWORD='operator-demo-password'
ADMIN_PASSWORD='admin-demo-password'
USER_PASSWORD='user-demo-password'
ALICE_LEARNING_PASSWORD='alice-learning-password'
BOB_LEARNING_PASSWORD='bob-learning-password'
ALICE_PU_PASSWORD='alice-university-password'

step() { printf '\n==> %s\n' "$*"; }
# Say up front where the demo's files go, and how to remove them.
printf 'quickstart: a demo store in %s (the store, its session and skills.csv; remove the folder when done)\n' "$STORE_DIR"
# json_field KEY: print one field of the JSON object on stdin (when mcidctl failed instead, it
# has said why on stderr, and this fails quietly so that set -e stops the script)
json_field() {
    python3 -c '
import json, sys
try:
    print(json.load(sys.stdin)[sys.argv[1]])
except (ValueError, KeyError, TypeError):
    sys.exit(1)' "$1"
}
# days_ago N / days_ahead N: a date relative to today, as YYYY-MM-DD (UTC)
days_ago() { date -u -d "$1 days ago" +%F; }
days_ahead() { date -u -d "$1 days" +%F; }
# login_token EMAIL PASSWORD: sign in and print a session token (nothing is saved)
login_token() { printf '%s\n' "$2" | "$MCIDCTL" login "$1" --password-stdin --print-token; }
# accept EMAIL CODE PASSWORD: accept an invitation and choose a password (no sign-in needed)
accept() { printf '%s\n' "$3" | "$MCIDCTL" user accept "$1" --code "$2" --password-stdin; }

step "Create the store, with op@example.com as its operator ($MCIDCTL_DB)"
printf '%s\n' "$OPERATOR_PASSWORD" |
    "$MCIDCTL" init --operator op@example.com --password-stdin

step "Sign in as the operator; the token goes into MCIDCTL_TOKEN for the commands that follow"
OPERATOR_TOKEN=$(login_token op@example.com "$OPERATOR_PASSWORD")
export MCIDCTL_TOKEN=$OPERATOR_TOKEN

step "Enroll two partner organizations; each gets a first Global Admin, invited by code"
# With --format json the invitation is one object {email, code, expires_on}; the code is
# shown this once. In real life the operator sends it to the admin.
CONTOSO_CODE=$("$MCIDCTL" org enroll --mpn-id 1234567 --name Contoso \
    --admin ga@contoso.com --format json | json_field code)
FABRIKAM_CODE=$("$MCIDCTL" org enroll --mpn-id 7654321 --name Fabrikam \
    --admin ga@fabrikam.com --format json | json_field code)
"$MCIDCTL" org list

step "Load the registry: two certification profiles with their credentials"
# This is the certification provider's data: who holds which certification. Each profile
# has its own sign-in name and password, which only its owner knows.
printf '%s\n' "$ALICE_LEARNING_PASSWORD" |
    "$MCIDCTL" registry add-profile --mcid 10000001 --login alice.learning@example.org \
        --name "Alice Martin" --password-stdin
printf '%s\n' "$BOB_LEARNING_PASSWORD" |
    "$MCIDCTL" registry add-profile --mcid 10000002 --login bob.learning@example.org \
        --name "Bob Berg" --password-stdin
# One credential passed long before today (reflected 72 hours after the link), one passed
# today (reflected 10 days after its passed date): see rule 6 in docs/user-guide.md.
"$MCIDCTL" registry add-credential --mcid 10000001 --code AZ-104 \
    --title "Microsoft Certified: Azure Administrator Associate" --type certification \
    --passed-on "$(days_ago 200)" --expires-on "$(days_ahead 165)"
"$MCIDCTL" registry add-credential --mcid 10000001 --code AZ-305 \
    --title "Designing Microsoft Azure Infrastructure Solutions" --type exam \
    --passed-on "$(days_ago 0)"
"$MCIDCTL" registry add-credential --mcid 10000002 --code AZ-104 \
    --title "Microsoft Certified: Azure Administrator Associate" --type certification \
    --passed-on "$(days_ago 90)" --expires-on "$(days_ahead 275)"

step "Load the registry: a Partner University account with one assessment"
printf '%s\n' "$ALICE_PU_PASSWORD" |
    "$MCIDCTL" registry add-university-account --login alice.pu@example.org \
        --name "Alice Martin" --password-stdin
"$MCIDCTL" registry add-assessment --login alice.pu@example.org \
    --title "Azure Infrastructure technical assessment" --code PU-AZ-INFRA \
    --passed-on "$(days_ago 30)"

step "Define a competency: met when 2 people hold AZ-104 or AZ-305"
"$MCIDCTL" competency define "Azure Infrastructure" --requires AZ-104,AZ-305 --individuals 2
"$MCIDCTL" competency list

step "The Global Admins accept their invitations and sign in"
accept ga@contoso.com "$CONTOSO_CODE" "$ADMIN_PASSWORD"
accept ga@fabrikam.com "$FABRIKAM_CODE" "$ADMIN_PASSWORD"
CONTOSO_ADMIN_TOKEN=$(login_token ga@contoso.com "$ADMIN_PASSWORD")
FABRIKAM_ADMIN_TOKEN=$(login_token ga@fabrikam.com "$ADMIN_PASSWORD")

step "Contoso's Global Admin invites Alice and Bob; Fabrikam's invites Bob's new account"
export MCIDCTL_TOKEN=$CONTOSO_ADMIN_TOKEN
ALICE_CODE=$("$MCIDCTL" user invite alice@contoso.com --name "Alice Martin" \
    --format json | json_field code)
BOB_CONTOSO_CODE=$("$MCIDCTL" user invite bob@contoso.com --name "Bob Berg" \
    --format json | json_field code)
export MCIDCTL_TOKEN=$FABRIKAM_ADMIN_TOKEN
BOB_FABRIKAM_CODE=$("$MCIDCTL" user invite bob@fabrikam.com --name "Bob Berg" \
    --format json | json_field code)

step "Each person accepts their invitation and signs in"
accept alice@contoso.com "$ALICE_CODE" "$USER_PASSWORD"
accept bob@contoso.com "$BOB_CONTOSO_CODE" "$USER_PASSWORD"
accept bob@fabrikam.com "$BOB_FABRIKAM_CODE" "$USER_PASSWORD"
ALICE_TOKEN=$(login_token alice@contoso.com "$USER_PASSWORD")
BOB_CONTOSO_TOKEN=$(login_token bob@contoso.com "$USER_PASSWORD")
BOB_FABRIKAM_TOKEN=$(login_token bob@fabrikam.com "$USER_PASSWORD")

step "Alice links her certification profile to Contoso"
# Only Alice can do this, signed in as herself, with her profile's own password.
export MCIDCTL_TOKEN=$ALICE_TOKEN
printf '%s\n' "$ALICE_LEARNING_PASSWORD" |
    "$MCIDCTL" link --login alice.learning@example.org --password-stdin

step "Alice gets Partner University access with her Partner University account"
printf '%s\n' "$ALICE_PU_PASSWORD" |
    "$MCIDCTL" associate --login alice.pu@example.org --password-stdin

step "Bob links his profile to Contoso"
export MCIDCTL_TOKEN=$BOB_CONTOSO_TOKEN
printf '%s\n' "$BOB_LEARNING_PASSWORD" |
    "$MCIDCTL" link --login bob.learning@example.org --password-stdin

step "Bob moves to Fabrikam and links the same profile from his new account"
# The Contoso link ends by itself (a transfer in the audit log): nobody at Contoso needs to
# do anything, and Bob does not need his old account.
export MCIDCTL_TOKEN=$BOB_FABRIKAM_TOKEN
printf '%s\n' "$BOB_LEARNING_PASSWORD" |
    "$MCIDCTL" link --login bob.learning@example.org --password-stdin
"$MCIDCTL" whoami

step "Alice checks her status: linked MCID, Partner University account, pending credentials"
export MCIDCTL_TOKEN=$ALICE_TOKEN
"$MCIDCTL" whoami

step "Contoso's Global Admin writes the skills report for Excel"
# Credentials are still pending (reflection delay), so --include-pending shows them with
# their expected reflected_on date. Bob no longer appears: his profile moved to Fabrikam.
# --output writes a temporary file and renames it into place when the report is complete.
export MCIDCTL_TOKEN=$CONTOSO_ADMIN_TOKEN
SKILLS_CSV="$STORE_DIR/skills.csv"
"$MCIDCTL" report skills --include-pending --format csv --output "$SKILLS_CSV"
cat -- "$SKILLS_CSV"

step "Done. Store: $MCIDCTL_DB  Report: $SKILLS_CSV"
