#!/bin/bash
# End-to-end: the per-command man pages (mcidctl-purge-user(1), ...) that the build writes from
# the command definitions (tools/gen_man.cpp) agree with --help: one page per command, every
# option and argument of the command's --help in its page, with the fixed values it takes.
source "$(dirname "$0")/lib.sh"
fresh_env
MAN_DIR=${MCIDCTL_MAN_DIR:-$(dirname "$M")/man/commands}
check "the build wrote the per-command pages ($MAN_DIR)" test -d "$MAN_DIR"
# page PATH: the rendered page of command PATH ("user list"), as plain text
page() {
  local f="$MAN_DIR/mcidctl-${1// /-}.1"
  [[ -f $f.gz ]] && f=$f.gz
  [[ -f $f ]] || return 1
  MANWIDTH=200 man -l "$f" 2>/dev/null | col -b
}
# leaves PATH...: every command under PATH that has no subcommands, from --help
leaves() {
  local path=$1 subs
  # shellcheck disable=SC2086
  subs=$("$M" $path --help 2>/dev/null | awk '/^Subcommands:/ { f = 1; next } f && /^  [a-z]/ { print $1 } f && /^$/ { exit }')
  if [[ -z $subs ]]; then
    echo "$path"
    return
  fi
  local s
  for s in $subs; do leaves "${path:+$path }$s"; done
}
command -v man >/dev/null 2>&1 || { apt-get install -y -qq man-db bsdextrautils >/dev/null 2>&1 || true; }
mapfile -t COMMANDS < <(leaves "")
check "control: --help lists the commands (${#COMMANDS[@]})" test "${#COMMANDS[@]}" -ge 40
PAGES=$(find "$MAN_DIR" -name 'mcidctl-*.1*' | wc -l)
check "one page per command (${PAGES} pages, ${#COMMANDS[@]} commands)" test "$PAGES" = "${#COMMANDS[@]}"
missing=() options_missing=()
for c in "${COMMANDS[@]}"; do
  text=$(page "$c") || { missing+=("$c"); continue; }
  # shellcheck disable=SC2086
  help=$("$M" $c --help 2>/dev/null)
  grep -q "^NAME" <<<"$text" && grep -q "mcidctl-${c// /-} - " <<<"$text" || missing+=("$c (NAME)")
  for opt in $(awk '/^Options:/ { f = 1; next } /^$/ { f = 0 } f' <<<"$help" | grep -oE -- '--[a-z][a-z-]*' | sort -u); do
    [[ $opt == --help ]] && continue
    grep -qF -- "$opt" <<<"$text" || options_missing+=("$c $opt")
  done
  for arg in $(awk '/^Positionals:/ { f = 1; next } /^$/ { f = 0 } f { print $1 }' <<<"$help"); do
    grep -qiE "^ +${arg}( |$)" <<<"$text" || options_missing+=("$c ${arg}")
  done
done
check "every command has its page, named (${missing[*]:-none missing})" test "${#missing[@]}" = 0
check "every option and argument of --help is in the page (${options_missing[*]:-none missing})" test "${#options_missing[@]}" = 0
text=$(page "purge-user")
check "purge-user's page: the synopsis" has 'mcidctl purge-user \[OPTIONS\] \[EMAIL\]\.\.\.' "$text"
check "purge-user's page: --from with its help text" has 'CSV with an email or mcid column' "$text"
check "purge-user's page: a flag says what it is" has 'Type: flag' "$text"
check "purge-user's page: the examples of --help" has 'mcidctl purge-user --from departed.csv --dry-run' "$text"
check "purge-user's page: points to mcidctl(1)" has 'mcidctl\(1\)' "$text"
text=$(page "user set-role")
check "user set-role's page: the roles it takes" has 'one of: user, partner-admin, global-admin' "$text"
text=$(page "registry import")
check "registry import's page: --kind's values" has 'one of: profiles, credentials, university-accounts, assessments' "$text"
check "registry import's page: --kind is required" has 'Type: text; required' "$text"
text=$(page "db backup")
check "db backup's page: --force" has '\-\-force' "$text"
summary
