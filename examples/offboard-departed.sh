#!/usr/bin/env bash
# offboard-departed.sh: remove the people an HR export lists as departed, and keep a results
# file. Made for cron: no prompts, one log line on stderr, a meaningful exit code.
#
# usage: offboard-departed.sh HR_EXPORT.csv [RESULTS.csv]
#
#   HR_EXPORT.csv  a CSV with an `email` column (any case; other columns are ignored), or a
#                  plain list of one email per line. See examples/data/hr-departed.csv.
#   RESULTS.csv    where to write one row per person: target,outcome,detail
#                  (default: purge-results-YYYY-MM-DD.csv in the current folder)
#
# Environment:
#   MCIDCTL_TOKEN  required: a session of a Global Admin of the organization, made once by hand:
#                    (umask 077; mcidctl login ga@contoso.com --ttl 90d --print-token \
#                        > /etc/mcidctl-jobs/ga.token)
#                  (the token is a password for 90 days: a file only this account can read)
#                  and read in the crontab line: MCIDCTL_TOKEN=$(cat /etc/mcidctl-jobs/ga.token)
#   MCIDCTL        the mcidctl binary (default: mcidctl on PATH)
#   MCIDCTL_DB     the store (default: mcidctl's own default)
#   DRY_RUN=1      report what would happen and change nothing
#
# Exit status:
#   0  every listed person is purged or was already deleted; results written
#   8  some rows were not done (not-found, denied, invalid); results written, read them
#   other  mcidctl's exit code (see docs/user-guide.md); no results file, nothing changed
#
# Running it again on the same export is safe: people already removed come out
# `already-deleted`.
set -euo pipefail
umask 077 # the results name people: readable by this account only

MCIDCTL=${MCIDCTL:-mcidctl}
PROG=offboard-departed

log() { printf '%s %s: %s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$PROG" "$*" >&2; }

if [[ $# -lt 1 || $# -gt 2 ]]; then
    echo "usage: $PROG HR_EXPORT.csv [RESULTS.csv]" >&2
    exit 2
fi
hr_file=$1
results=${2:-purge-results-$(date +%F).csv}
results_dir=$(dirname -- "$results")

if [[ ! -r $hr_file ]]; then
    log "error: cannot read $hr_file"
    exit 2
fi
if [[ ! -d $results_dir || ! -w $results_dir ]]; then
    log "error: cannot write to folder $results_dir"
    exit 2
fi
# Without a token mcidctl would fall back to whatever session file this account has.
if [[ -z ${MCIDCTL_TOKEN:-} ]]; then
    log "error: MCIDCTL_TOKEN is not set (make one with: mcidctl login EMAIL --ttl 90d --print-token)"
    exit 2
fi

# purge-user has no --output: write stdout to a temporary file beside the results file and
# rename it into place at the end, so that RESULTS.csv is never half-written.
tmp=$(mktemp "$results_dir/.${results##*/}.XXXXXX")
err=$(mktemp)
trap 'rm -f -- "$tmp" "$err"' EXIT

args=(purge-user --from "$hr_file" --format csv)
if [[ ${DRY_RUN:-0} == 1 ]]; then
    args+=(--dry-run)
else
    args+=(--yes) # no terminal under cron: --yes confirms
fi

# The batch is one transaction. Exit 9 "store is busy" means another mcidctl held the store
# for more than 5 seconds and nothing was changed, so running again is safe.
attempt=1
while :; do
    rc=0
    "$MCIDCTL" "${args[@]}" >"$tmp" 2>"$err" || rc=$?
    if [[ $rc == 9 && $attempt -lt 5 ]] && grep -qi 'busy' "$err"; then
        log "store busy, retrying in $((attempt * 15)) s (attempt $attempt)"
        sleep $((attempt * 15))
        attempt=$((attempt + 1))
        continue
    fi
    break
done

# mcidctl's stderr holds its summary ("purged 3, not found 1") or its error and hint.
messages=$(tr '\n' ' ' <"$err")
messages=${messages% }

case $rc in
    0 | 8)
        mv -f -- "$tmp" "$results"
        if [[ $rc == 0 ]]; then
            log "done: $messages; results in $results"
        else
            log "partial (exit 8): $messages; see the rows that are not purged in $results"
        fi
        exit "$rc"
        ;;
    7)
        log "error (exit 7): $messages; renew MCIDCTL_TOKEN with 'mcidctl login EMAIL --ttl 90d --print-token'"
        exit 7
        ;;
    *)
        log "error (exit $rc): $messages"
        exit "$rc"
        ;;
esac
