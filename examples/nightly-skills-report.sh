#!/usr/bin/env bash
# nightly-skills-report.sh: write today's skills report for Excel into a folder and keep the
# last N days of them. Made for cron: no prompts, one log line on stderr, a meaningful exit
# code, and never a half-written report.
#
# usage: nightly-skills-report.sh OUT_DIR [KEEP_DAYS]
#
#   OUT_DIR    folder for the reports, named skills-YYYY-MM-DD.csv (must exist)
#   KEEP_DAYS  how many days of reports to keep, today's included (default 30)
#
# Environment:
#   MCIDCTL_TOKEN  required: a session of a Global Admin or Partner Admin of the organization
#                  (or of the operator, with ORG), made once by hand:
#                    (umask 077; mcidctl login pa@contoso.com --ttl 90d --print-token \
#                        > /etc/mcidctl-jobs/pa.token)
#                  (the token is a password for 90 days: a file only this account can read)
#                  and read in the crontab line: MCIDCTL_TOKEN=$(cat /etc/mcidctl-jobs/pa.token)
#   ORG            MPN ID of one organization, for the operator's session only; without it the
#                  operator's report covers every organization
#   MCIDCTL        the mcidctl binary (default: mcidctl on PATH)
#   MCIDCTL_DB     the store (default: mcidctl's own default)
#
# Exit status: 0 when today's report was written, else mcidctl's exit code (see
# docs/user-guide.md) or 2 for a usage error. Old reports are removed only after a success.
set -euo pipefail
umask 077 # reports name people: readable by this account only

MCIDCTL=${MCIDCTL:-mcidctl}
PROG=nightly-skills-report

log() { printf '%s %s: %s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$PROG" "$*" >&2; }

if [[ $# -lt 1 || $# -gt 2 ]]; then
    echo "usage: $PROG OUT_DIR [KEEP_DAYS]" >&2
    exit 2
fi
out_dir=${1%/}
out_dir=${out_dir:-/}
keep_days=${2:-30}

if [[ ! $keep_days =~ ^[1-9][0-9]*$ ]]; then
    log "error: KEEP_DAYS must be a whole number of days, 1 or more (got '$keep_days')"
    exit 2
fi
if [[ ! -d $out_dir || ! -w $out_dir ]]; then
    log "error: cannot write to folder $out_dir"
    exit 2
fi
if [[ -z ${MCIDCTL_TOKEN:-} ]]; then
    log "error: MCIDCTL_TOKEN is not set (make one with: mcidctl login EMAIL --ttl 90d --print-token)"
    exit 2
fi

out="$out_dir/skills-$(date +%F).csv"
# --bom so that Excel reads UTF-8 names correctly; the formula guard is on by default.
# --output writes a temporary file and renames it into place only when the report is
# complete: a failure leaves yesterday's files and no partial one.
args=(report skills --format csv --bom --output "$out")
if [[ -n ${ORG:-} ]]; then
    args+=(--org "$ORG")
fi

# Exit 9 "store is busy": another mcidctl held the store for over 5 seconds. Try again.
attempt=1
err=$(mktemp)
trap 'rm -f -- "$err"' EXIT
while :; do
    rc=0
    "$MCIDCTL" "${args[@]}" 2>"$err" || rc=$?
    if [[ $rc == 9 && $attempt -lt 5 ]] && grep -qi 'busy' "$err"; then
        log "store busy, retrying in $((attempt * 15)) s (attempt $attempt)"
        sleep $((attempt * 15))
        attempt=$((attempt + 1))
        continue
    fi
    break
done

if [[ $rc != 0 ]]; then
    messages=$(tr '\n' ' ' <"$err")
    hint=""
    [[ $rc == 7 ]] && hint="; renew MCIDCTL_TOKEN with 'mcidctl login EMAIL --ttl 90d --print-token'"
    log "error (exit $rc): ${messages% }$hint"
    exit "$rc"
fi

# Keep the last KEEP_DAYS days: remove reports whose date in the name is older. The names
# sort as dates, so a string comparison is a date comparison.
cutoff=$(date -d "$((keep_days - 1)) days ago" +%F)
removed=0
for f in "$out_dir"/skills-[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9].csv; do
    [[ -e $f ]] || continue
    day=${f##*/skills-}
    day=${day%.csv}
    if [[ $day < $cutoff ]]; then
        rm -f -- "$f"
        removed=$((removed + 1))
    fi
done

lines=$(wc -l <"$out")
log "done: $out ($lines lines with the header); removed $removed report(s) older than $cutoff"
