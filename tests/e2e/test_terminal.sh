#!/bin/bash
# End-to-end: mcidctl at a terminal (issue 8). Shell completion loaded into bash (and zsh and
# fish when installed); --help and `help` on every command, with examples; unknown commands;
# the password and purge prompts driven through tmux (send-keys, capture-pane); table layout,
# truncation and colour on a real terminal; --format output independent of the terminal; the
# settings file and its precedence (flags > environment > file).
source "$(dirname "$0")/lib.sh"

# Our own tmux server on a socket in the scratch folder: never the user's tmux.
TMUX_SOCKET=$E2E_ROOT/tmux.sock
trap 'tmux -S "$TMUX_SOCKET" kill-server >/dev/null 2>&1; rm -rf "$E2E_ROOT"' EXIT
tm() { tmux -S "$TMUX_SOCKET" -f /dev/null "$@"; }
# An idle session keeps the server up between tests (a server whose last session ends exits,
# and a session started at that moment would fail).
tm new-session -d -s keep -x 80 -y 10 "exec sleep 3600" || echo "  FAIL: tmux cannot start"

# ---- helpers of this suite ---------------------------------------------------------------------
# The system python starts faster than a version manager's shim; only the standard library is used.
PY=python3; [[ -x /usr/bin/python3 ]] && PY=/usr/bin/python3
# term_start WIDTH SNIPPET: runs the bash SNIPPET in a new tmux session WIDTH columns wide (50
# lines), with this suite's variables and without NO_COLOR (a snippet may set it). Everything the
# program writes to the terminal is recorded raw in $RAW; the snippet's output is framed by
# __BEGIN__/__END__ lines and followed by EXIT=<its exit code>. Sets S (the session) and RAW.
SESSIONS=0
term_start() {
  SESSIONS=$((SESSIONS + 1)); S=term$SESSIONS; RAW=$T/$S.raw
  local script=$T/$S.sh v
  {
    for v in PATH HOME MCIDCTL_DB MCIDCTL_SESSION XDG_STATE_HOME XDG_CONFIG_HOME XDG_DATA_HOME \
             ASAN_OPTIONS UBSAN_OPTIONS M OP GA GB ALICE PAT BO PW_OP PW_GA PW_USER; do
      [[ -n ${!v:-} ]] && printf 'export %s=%q\n' "$v" "${!v}"
    done
    echo 'unset NO_COLOR MCIDCTL_TOKEN MCIDCTL_FORMAT'
    echo 'trap : INT'         # Ctrl-C ends the program under test, not this script
    echo 'IFS= read -r _'    # wait for the Enter below: the recording has started by then
    echo 'echo __BEGIN__'
    printf '%s\n' "$2"
    echo 'rc=$?; echo __END__; echo "EXIT=$rc"; exec sleep 600'
  } >"$script"
  : >"$RAW"
  tm new-session -d -s "$S" -x "$1" -y 50 "bash --norc --noprofile $script"
  tm pipe-pane -o -t "$S" "cat >> '$RAW'"
  # pipe-pane starts its command asynchronously: the snippet starts only once tmux says the
  # pane is piped, so no early byte is lost on a busy machine
  local i
  for ((i = 0; i < 300; i++)); do
    [[ $(tm display-message -p -t "$S" '#{pane_pipe}' 2>/dev/null) == 1 ]] && break
    sleep 0.05
  done
  tm send-keys -t "$S" Enter
}
screen() { tm capture-pane -p -J -t "$S" 2>/dev/null; }
# wait_for REGEX [TENTHS]: waits (up to 30 s, or TENTHS/10 s) until the screen shows REGEX
wait_for() {
  local i
  for ((i = 0; i < ${2:-300}; i++)); do
    screen | grep -qE -- "$1" && return 0
    tm has-session -t "$S" 2>/dev/null || return 1
    sleep 0.1
  done
  return 1
}
# term_wait: waits for the snippet to end; sets TRC (its exit code, or "timeout") and SCREEN
term_wait() {
  if wait_for '^EXIT=[0-9]+'; then TRC=$(screen | sed -n 's/^EXIT=\([0-9]*\).*/\1/p' | tail -n1); else TRC=timeout; fi
  SCREEN=$(screen)
  # The screen can show the end before the recording has it (cat behind a pipe): read the
  # recording only once its own EXIT= line is in, so everything before it is too.
  local i
  for ((i = 0; i < 300; i++)); do
    grep -qa '^EXIT=[0-9]' "$RAW" && return 0
    sleep 0.05
  done
}
# screen_lines: how many screen lines the snippet's output takes (wrapped lines count twice)
screen_lines() { tm capture-pane -p -t "$S" | awk '/^__BEGIN__/{f=1;next} /^__END__/{f=0} f' | wc -l; }
term_end() { tm kill-session -t "$S" >/dev/null 2>&1; }
# raw_out: the bytes the snippet wrote to the terminal, between the frame lines (lines end \r\n)
raw_out() { awk '/^__END__\r$/ { f = 0 } f { print } /^__BEGIN__\r$/ { f = 1 }' "$RAW"; }
# strip: the snippet's terminal output without colours and \r
strip() { raw_out | tr -d '\r' | sed 's/\x1b\[[0-9;]*m//g'; }
# table_out: the same without the stderr note on what was left out (a line the terminal wraps)
table_out() { raw_out | grep -v 'left out to fit'; }
# max_width: the widest line on stdin in terminal cells (ANSI colours removed; \r\n line ends)
max_width() {
  "$PY" -c '
import re, sys, unicodedata
def cells(s):
    return sum(0 if unicodedata.combining(c) else 2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in s)
t = re.sub(r"\x1b\[[0-9;]*m", "", sys.stdin.buffer.read().decode("utf-8", "replace"))
print(max([cells(l) for l in t.replace("\r\n", "\n").split("\n")] or [0]))'
}
# aligned JSON_ROWS < TABLE: every cell starts at its header's column (in terminal cells) and
# holds the value of the matching JSON row; prints what is wrong, nothing when all is well
aligned() {
  "$PY" -c '
import json, sys, unicodedata
def cells(s):
    return sum(0 if unicodedata.combining(c) else 2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in s)
def at(line, col):  # the text from terminal column col on
    used = 0
    for i, c in enumerate(line):
        if used >= col: return line[i:]
        used += cells(c)
    return ""
lines = sys.stdin.read().rstrip("\n").split("\n")
rows = json.loads(sys.argv[1])
if not rows: sys.exit(print("no rows"))
keys = list(rows[0].keys())
if len(lines) != len(rows) + 1: print(f"{len(lines)} lines for {len(rows)} rows")
starts, pos = [], 0
for k in keys:
    i = lines[0].find(k.upper(), pos)
    if i < 0: sys.exit(print(f"header lacks {k.upper()}: {lines[0]!r}"))
    starts.append(cells(lines[0][:i])); pos = i + len(k)
for line, row in zip(lines[1:], rows):
    for n, k in enumerate(keys):
        v = "" if row[k] is None else str(row[k])
        rest = at(line, starts[n])
        if not rest.startswith(v): print(f"{k}: {v!r} not at column {starts[n]} in {line!r}"); continue
        if n + 1 < len(keys) and v and at(line, starts[n] + cells(v))[: starts[n + 1] - starts[n] - cells(v)].strip():
            print(f"{k}: no gap after {v!r} in {line!r}")' "$1"
}

# ==== (a) completion ==================================================================================
echo "== completion: bash, zsh, fish"
fresh_env
# comp WORDS...: what the bash completion offers for the command line WORDS (the last word is
# the one being completed; pass "" to complete a new word)
comp() {
  bash --norc --noprofile -c 'source <("$1" completion bash) || exit 99; shift
    COMP_WORDS=("$@"); COMP_CWORD=$((${#COMP_WORDS[@]} - 1)); COMPREPLY=()
    _mcidctl; printf "%s\n" "${COMPREPLY[@]}"' _ "$M" "$@" 2>&1 | sort -u | tr '\n' ' ' | sed 's/ $//'
}
expect 0 "completion bash exits 0" "$M" completion bash
BASH_SCRIPT=$OUT
check "bash completion is a bash script that registers _mcidctl" has '^complete -F _mcidctl mcidctl' "$BASH_SCRIPT"
check "bash completion loads without errors" bash --norc --noprofile -c 'source <("$1" completion bash) 2>"$2"; [[ ! -s $2 ]] && declare -F _mcidctl >/dev/null' _ "$M" "$T/source.err"
check "'us' completes to user" test "$(comp mcidctl us)" = "user"
check "'user inv' completes to invite" test "$(comp mcidctl user inv)" = "invite"
check "'report skills --f' completes to --format" test "$(comp mcidctl report skills --f)" = "--format"
check "'--format ' offers table json jsonl csv xlsx" test "$(comp mcidctl --format '')" = "csv json jsonl table xlsx"
check "'report skills --format ' offers the formats" test "$(comp mcidctl report skills --format '')" = "csv json jsonl table xlsx"
check "'--db x us' still completes the command" test "$(comp mcidctl --db x.db us)" = "user"
check "'user list --status ' offers the statuses" test "$(comp mcidctl user list --status '')" = "active deleted invited"
check "'user invite x --role ' offers the roles" test "$(comp mcidctl user invite x --role '')" = "global-admin partner-admin user"
check "'registry import f --kind ' offers the kinds" \
  test "$(comp mcidctl registry import f --kind '')" = "assessments credentials profiles university-accounts"
check "'purge-user --dr' completes to --dry-run" test "$(comp mcidctl purge-user --dr)" = "--dry-run"
check "'completion ' offers bash fish zsh" test "$(comp mcidctl completion '')" = "bash fish zsh"
check "'user set-role EMAIL ' offers the roles" test "$(comp mcidctl user set-role a@b.example '')" = "global-admin partner-admin user"
check "'--delimiter ' offers the separators" test "$(comp mcidctl org list --format csv --delimiter '')" = "comma semicolon tab"
check "a subcommand's help names the global options its examples use" \
  has '^Global options .*--format' "$("$M" user list --help)"
check "help says '(required)', not CLI11's 'TEXT REQUIRED'" \
  bash -c '! grep -qE "TEXT|REQUIRED" <<<"$1" && grep -q -- "--name VALUE (required)" <<<"$1"' _ "$("$M" user invite --help)"

# Every command and option that --help shows, walked from the binary itself, is offered.
TREE=$T/tree   # lines: PATH|SUBCOMMANDS|OPTIONS
: >"$TREE"
walk() {
  local path=$1 help subs opts s
  # shellcheck disable=SC2086
  help=$("$M" $path --help 2>&1) || { bad "mcidctl $path --help exits 0"; return; }
  subs=$(awk '/^Subcommands:/{f=1;next} f&&/^$/{f=0} f&&/^  [a-z]/{print $1}' <<<"$help" | tr '\n' ' ')
  opts=$(awk '/^Options:/{f=1;next} f&&/^$/{f=0} f&&/^  -/' <<<"$help" | grep -oE -- '--[a-z][a-z0-9-]*' | sort -u | tr '\n' ' ')
  printf '%s|%s|%s\n' "$path" "$subs" "$opts" >>"$TREE"
  for s in $subs; do walk "${path:+$path }$s"; done
}
walk ""
check "the command tree has every top-level command of PRODUCT.md" \
  test "$(awk -F'|' '$1==""{print $2}' "$TREE")" = "init login logout whoami org user registry competency config link unlink associate report purge-user audit db completion help "
missing=$(bash --norc --noprofile -c '
  source <("$1" completion bash)
  while IFS="|" read -r path subs opts; do
    # like gh: subcommands for a bare word, options once the word starts with "-"
    COMP_WORDS=(mcidctl $path ""); COMP_CWORD=$((${#COMP_WORDS[@]} - 1)); COMPREPLY=(); _mcidctl
    got=" ${COMPREPLY[*]} "
    for w in $subs; do [[ $got == *" $w "* ]] || echo "mcidctl $path: $w"; done
    COMP_WORDS=(mcidctl $path "-"); COMP_CWORD=$((${#COMP_WORDS[@]} - 1)); COMPREPLY=(); _mcidctl
    got=" ${COMPREPLY[*]} "
    for w in $opts; do [[ $got == *" $w "* ]] || echo "mcidctl $path: $w"; done
  done <"$2"' _ "$M" "$TREE" 2>&1)
check "bash completion offers every subcommand and option of every command ($(wc -l <"$TREE") commands)" test -z "$missing"
[[ -n $missing ]] && echo "    not offered: $(head -n 5 <<<"$missing" | tr '\n' ';')"

expect 0 "completion zsh exits 0" "$M" completion zsh
ZSH_SCRIPT=$OUT
expect 0 "completion fish exits 0" "$M" completion fish
FISH_SCRIPT=$OUT
check "zsh script is non-empty and starts with #compdef mcidctl" has '^#compdef mcidctl' "$(head -n1 <<<"$ZSH_SCRIPT")"
check "fish script is non-empty and declares completions for mcidctl" has '^complete -c mcidctl ' "$FISH_SCRIPT"
for c in init login logout whoami org user registry competency config link unlink associate report purge-user audit db completion; do
  check "zsh script mentions $c" has "(^|[ \"'])$c([ \"']|$)" "$ZSH_SCRIPT"
  check "fish script mentions $c" has "-a $c\$" "$FISH_SCRIPT"
done
expect_err 2 'bash, zsh, fish' "completion for an unknown shell: 2" "$M" completion tcsh

if command -v zsh >/dev/null; then
  check "zsh script parses (zsh -n)" zsh -n <(printf '%s\n' "$ZSH_SCRIPT")
  # Installed as share/zsh/vendor-completions/_mcidctl: the first TAB must complete.
  mkdir -p "$T/zfunc" "$T/zbin"
  printf '%s\n' "$ZSH_SCRIPT" >"$T/zfunc/_mcidctl"
  ln -s "$M" "$T/zbin/mcidctl"
  SESSIONS=$((SESSIONS + 1)); S=zsh$SESSIONS
  tm new-session -d -s "$S" -x 120 -y 20 "env -i HOME=$HOME TERM=xterm PATH=$T/zbin:/usr/bin:/bin zsh -f"
  tm send-keys -t "$S" "fpath=($T/zfunc \$fpath); autoload -U compinit && compinit -u; PS1='zsh> '; clear" Enter
  wait_for '^zsh>' || bad "zsh starts in tmux"
  tm send-keys -t "$S" 'mcidctl us' Tab
  wait_for '^zsh> mcidctl user' 50 && ok "zsh: the first TAB completes 'mcidctl us' to user (fpath install)" ||
    bad "zsh: the first TAB completes 'mcidctl us' to user (fpath install)" "screen: $(screen | grep -v '^$' | tail -n2 | tr '\n' '|')"
  tm send-keys -t "$S" C-u 'mcidctl report skills --fo' Tab
  wait_for '^zsh> mcidctl report skills --format' 50 && ok "zsh: '--fo' completes to --format" ||
    bad "zsh: '--fo' completes to --format" "screen: $(screen | grep -v '^$' | tail -n2 | tr '\n' '|')"
  term_end
else
  echo "  SKIP: zsh is not installed (zsh completion only checked as text)"
fi
if command -v fish >/dev/null; then
  fcomp() { fish --no-config -c 'source $argv[1]; complete -C $argv[2]' "$T/c.fish" "$1" 2>&1 | cut -f1 | sort -u | tr '\n' ' ' | sed 's/ $//'; }
  printf '%s\n' "$FISH_SCRIPT" >"$T/c.fish"
  check "fish script parses (fish -n)" fish --no-config -n "$T/c.fish"
  check "fish: 'mcidctl us' completes to user" test "$(fcomp 'mcidctl us')" = "user"
  check "fish: 'mcidctl user inv' completes to invite" test "$(fcomp 'mcidctl user inv')" = "invite"
  check "fish: '--format ' offers the formats" test "$(fcomp 'mcidctl --format ')" = "csv json jsonl table xlsx"
  check "fish: 'user list --status ' offers the statuses" test "$(fcomp 'mcidctl user list --status ')" = "active deleted invited"
  check "fish: 'user invite x --role ' offers the roles" test "$(fcomp 'mcidctl user invite x --role ')" = "global-admin partner-admin user"
  check "fish: 'registry import f --kind ' offers the kinds" \
    test "$(fcomp 'mcidctl registry import f --kind ')" = "assessments credentials profiles university-accounts"
  check "fish: '--ver' completes to --verbose and --version" test "$(fcomp 'mcidctl --ver')" = "--verbose --version"
  check "fish: 'report skills --f' completes to --format" test "$(fcomp 'mcidctl report skills --f')" = "--format"
  got=$(fcomp 'mcidctl org list --')
  check "fish: 'org list --' offers no option of other commands' list (got: $got)" lacks '--status|--since|--action' "$got"
else
  echo "  SKIP: fish is not installed (fish completion only checked as text)"
fi

# ==== (b) help ===========================================================================================
echo "== help: every command, examples, help COMMAND, unknown commands"
# Every example of every command runs that command and uses only options it has (one python
# run over all of them): lines "PATH|problem".
mkdir -p "$T/help"
n=0
while IFS='|' read -r path subs opts; do
  n=$((n + 1))
  # shellcheck disable=SC2086
  "$M" $path --help >"$T/help/$n.txt" 2>&1
  printf '%s|%s|%s\n' "$path" "$opts" "$T/help/$n.txt" >>"$T/help/index"
done <"$TREE"
EXAMPLE_PROBLEMS=$("$PY" -c '
import sys
glob = {"--db", "--format", "--quiet", "--verbose", "-q", "-v", "--help", "--version"}
for entry in open(sys.argv[1]).read().splitlines():
    path, opts, file = entry.split("|")
    path, opts, text = path.split(), set(opts.split()), open(file).read()
    ex = text.split("\nExamples:\n", 1)[1] if "\nExamples:\n" in text else ""
    for line in filter(None, map(str.strip, ex.split("\n"))):
        words = line.replace("$(", " ").replace(")", " ").replace("|", " | ").split()
        if "mcidctl" not in words: continue
        i = words.index("mcidctl") + 1
        while i < len(words) and words[i].startswith("-"):
            i += 2 if words[i] in ("--db", "--format") else 1
        where = " ".join(path)
        if words[i:i + len(path)] != path: print(f"{where}|not an example of this command: {line}"); continue
        for w in words[i + len(path):]:
            if w == "|": break
            if w.startswith("--") and w.split("=")[0] not in opts | glob: print(f"{where}|unknown option {w}: {line}")
' "$T/help/index")
n=0
while IFS='|' read -r path subs opts; do
  n=$((n + 1))
  OUT=$(cat "$T/help/$n.txt")
  # shellcheck disable=SC2086
  "$M" $path --help >/dev/null 2>&1; RC=$?
  [[ $RC == 0 ]] || { bad "mcidctl $path --help exits 0" "exit $RC"; continue; }
  want_usage="Usage: mcidctl${path:+ $path} "
  check "mcidctl $path --help: usage line and a one-line description" \
    test "$(grep -c -F -- "$want_usage" <<<"$OUT")" -ge 1 -a -n "$(head -n1 <<<"$OUT")"
  # shellcheck disable=SC2086
  check "mcidctl help $path prints the same help" test "$("$M" help $path 2>&1)" = "$OUT"
  [[ -z $path || -n $subs || $path == help ]] && continue   # groups list their commands
  check "mcidctl $path --help has Examples:" has '^Examples:' "$OUT"
  problems=$(grep -F -- "$path|" <<<"$EXAMPLE_PROBLEMS" | grep "^$path|" | cut -d'|' -f2-)
  check "mcidctl $path: every example runs this command with its own options" test -z "$problems"
  [[ -n $problems ]] && echo "    $problems"
done <"$TREE"
for c in link purge-user "report skills" "user invite" login; do
  # shellcheck disable=SC2086
  n=$("$M" $c --help | awk '/^Examples:/{f=1;next} f&&/^  mcidctl|mcidctl /{n++} END{print n+0}')
  check "mcidctl $c --help shows two or three worked examples (has $n)" test "$n" -ge 2
done
expect 0 "mcidctl help (no command) exits 0" "$M" help
check "mcidctl help lists every command" has 'purge-user' "$OUT"
expect 0 "mcidctl help user invite" "$M" help user invite
check "help user invite shows its usage, options and examples" \
  has 'Usage: mcidctl user invite .*email' "$OUT"
check "help user invite names --role" has '--role' "$OUT"
check "help user invite has examples" has '^Examples:' "$OUT"
expect 0 "mcidctl --help" "$M" --help
check "--help names the help command" has "mcidctl help COMMAND" "$OUT"
check "--help lists the exit codes" has '2 usage.*130 interrupted|130 interrupted' "$OUT"
expect_err 2 "did you mean 'mcidctl report'" "unknown command 'reprot': 2 and suggests report" "$M" reprot
check "the unknown word is named" has "unknown command 'reprot'" "$ERR"
expect_err 2 "did you mean 'mcidctl user invite'" "unknown subcommand 'user invit': suggests invite" "$M" user invit
expect_err 2 "report" "help reprot: 2 and suggests report" "$M" help reprot
for w in purge purg; do
  expect_err 2 "did you mean 'mcidctl purge-user'" "'$w' suggests purge-user (a prefix)" "$M" $w
done
expect_err 2 "did you mean 'mcidctl org list'" "'org lis' suggests org list" "$M" org lis
expect_err 2 "did you mean 'mcidctl --version'" "'mcidctl version' points to --version" "$M" version
expect_err 2 "unknown option '--logn' for 'mcidctl link'" "a mistyped option is named with its command" "$M" link --logn x
check "and the closest option is suggested" has "did you mean '--login'\?" "$ERR"
check "CLI11's own wording is not shown" lacks 'were not expected|was not expected' "$ERR"
expect_err 2 "unknown option '--formt' for 'mcidctl org list'" "a mistyped global option" "$M" --formt json org list
check "suggests --format" has "did you mean '--format'\?" "$ERR"
expect_err 2 "unknown option '--bogus' for 'mcidctl link'" "an option nothing is close to" "$M" link --bogus
check "points to the command's own help" has "run 'mcidctl link --help'" "$ERR"
expect_err 2 "unexpected argument 'extra' for 'mcidctl user invite'" "one argument too many" \
  "$M" user invite a@b.example extra --name X
check "says to quote values with spaces" has 'quote a value with spaces' "$ERR"
expect_err 2 "^mcidctl: error: --status needs a value$" "an option without its value" "$M" user list --status
check "no 'required TEXT missing' jargon" lacks 'TEXT' "$ERR"
check "points to user list --help" has "run 'mcidctl user list --help'" "$ERR"
expect_err 2 "email is required" "a missing argument" "$M" user invite
check "points to the subcommand's own help" has "run 'mcidctl user invite --help'" "$ERR"
expect 0 "mcidctl with no arguments prints the overview and exits 0 (as gh and az)" "$M"
check "the overview lists the commands" has 'purge-user' "$OUT"
check "and how to get a command's help" has 'mcidctl help COMMAND' "$OUT"
expect_err 2 "--bom applies to CSV output only" "--bom with the table format is an error, not ignored" \
  "$M" report skills --bom
check "and points to --format csv" has 'add --format csv' "$ERR"
expect_err 2 "skills, users, competencies" "a group without a command names its commands" "$M" report
check "the usage error writes nothing on stdout" test -z "$OUT"
expect 0 "--version" "$M" --version
check "--version prints 'mcidctl X.Y.Z'" has '^mcidctl [0-9]+\.[0-9]+\.[0-9]+$' "$OUT"

# ==== (c) prompts through tmux ===========================================================================
echo "== prompts: init asks twice, login does not echo, Ctrl-C restores the terminal"
fresh_env
# echo_state: a snippet suffix that prints whether the terminal echoes again
ECHO_STATE='rc=$?; stty -a | tr " " "\n" | grep -qx echo && echo TTY-ECHO=on || echo TTY-ECHO=off; (exit $rc)'
term_start 200 '"$M" init --operator op@example.com; '"$ECHO_STATE"
if wait_for 'password: *$'; then
  tm send-keys -t "$S" -l "$PW_OP"; tm send-keys -t "$S" Enter
  wait_for '[Rr]epeat.*: *$' && ok "init asks for the new password a second time" || bad "init asks for the new password a second time" "screen: $(screen | grep -v '^$' | tr '\n' '|')"
  tm send-keys -t "$S" -l "$PW_OP"; tm send-keys -t "$S" Enter
else
  bad "init shows a password prompt on a terminal" "screen: $(screen | grep -v '^$' | tr '\n' '|')"
fi
term_wait
check "init on a terminal: exit 0 (got $TRC)" test "$TRC" = 0
check "init: the typed password is not on the screen" lacks "$PW_OP" "$SCREEN"
check "init: the typed password was never echoed to the terminal" lacks "$PW_OP" "$(cat "$RAW")"
check "init: the terminal echoes again afterwards" has '^TTY-ECHO=on' "$SCREEN"
term_end
IN=$PW_OP expect 0 "the password typed at the init prompt signs in" "$M" login op@example.com --password-stdin --print-token
OP=$OUT

# wait_last REGEX: waits (up to 30 s) until the last non-empty line on the screen matches
wait_last() {
  local i
  for ((i = 0; i < 300; i++)); do
    screen | grep -v '^$' | tail -n1 | grep -qE -- "$1" && return 0
    sleep 0.1
  done
  return 1
}
type_line() { tm send-keys -t "$S" -l "$1"; tm send-keys -t "$S" Enter; }
# A new password is checked as soon as it is typed and asked again, three tries in all.
term_start 200 '"$M" --db "$HOME/other.db" init --operator op@example.com'
wait_last 'password: *$' && type_line "$PW_OP"
wait_last '[Rr]epeat.*: *$' && type_line "${PW_OP}x"
wait_last 'password: *$' || bad "init: after two different passwords, asks again" "screen: $(screen | grep -v '^$' | tr '\n' '|')"
check "init: two different passwords: says so, and how many tries are left" has 'do not match; try again \(2 tries left\)' "$(screen)"
type_line "short"
wait_last 'password: *$' || bad "init: a too-short password is asked again" "screen: $(screen | grep -v '^$' | tr '\n' '|')"
check "init: a too-short password is refused at once, before the repeat" \
  has 'at least 12 characters are needed; try again \(1 try left\)' "$(screen | grep -v '^$' | tail -n2 | head -n1)"
type_line "tiny"
term_wait
check "init: three failed tries: exit 2 (got $TRC)" test "$TRC" = 2
check "init: the last error is the exit's" has 'error: password: at least 12 characters' "$SCREEN"
check "init: three tries changed nothing (no store)" test ! -e "$HOME/other.db"
term_end
term_start 200 '"$M" --db "$HOME/other.db" init --operator op@example.com'
wait_last 'password: *$' && type_line "short"
wait_last 'password: *$' && type_line "$PW_OP"
wait_last '[Rr]epeat.*: *$' && type_line "$PW_OP"
term_wait
check "init: a too-short password, then a good one: exit 0 (got $TRC)" test "$TRC" = 0
term_end
IN=$PW_OP expect 0 "the second try's password signs in" "$M" --db "$HOME/other.db" login op@example.com --password-stdin

term_start 200 '"$M" login op@example.com; '"$ECHO_STATE"
wait_for 'Password: *$' || bad "login shows 'Password:' on a terminal" "screen: $(screen | grep -v '^$' | tr '\n' '|')"
tm send-keys -t "$S" -l "$PW_OP"; tm send-keys -t "$S" Enter
term_wait
check "login on a terminal: exit 0 (got $TRC)" test "$TRC" = 0
check "login: the typed password is not on the screen" lacks "$PW_OP" "$SCREEN"
check "login: the typed password was never echoed to the terminal" lacks "$PW_OP" "$(cat "$RAW")"
check "login: says who signed in" has 'signed in as op@example.com' "$SCREEN"
check "login: the terminal echoes again afterwards" has '^TTY-ECHO=on' "$SCREEN"
term_end
expect 0 "the session saved by the terminal login works" "$M" whoami --format json
check "whoami after the terminal login is the operator" test "$(json "d['email']" <<<"$OUT")" = op@example.com

# user accept without --code on a terminal: the code is asked for without echo, before the password
CODE=$(MCIDCTL_TOKEN=$OP "$M" org enroll --mpn-id 1234567 --name Contoso --admin ga@contoso.com --format json | code_of)
term_start 200 '"$M" user accept ga@contoso.com --code ABCD-EFGH-JKMN-PQRS'
term_wait
check "accept with a wrong code on a terminal: exit 7 before any password prompt (got $TRC)" \
  test "$TRC" = 7 -a -z "$(grep -i 'password' <<<"$SCREEN")"
term_end
term_start 200 '"$M" user accept ga@contoso.com'
if wait_for 'Invitation code: *$'; then
  tm send-keys -t "$S" -l "$CODE"; tm send-keys -t "$S" Enter
  wait_last 'password: *$' && type_line "too-short"
  wait_last 'password: *$' || bad "accept: a too-short password is asked again"
  check "accept: a too-short password is refused before the repeat prompt" lacks '[Rr]epeat' "$(screen)"
  type_line "$PW_GA"
  wait_last '[Rr]epeat.*: *$' && type_line "$PW_GA"
else
  bad "user accept without --code asks for the code on a terminal" "screen: $(screen | grep -v '^$' | tr '\n' '|')"
fi
term_wait
check "accept with the code typed at the prompt, a good password at the second try: exit 0 (got $TRC)" test "$TRC" = 0
check "accept: the typed code was never echoed to the terminal" lacks "$CODE" "$(cat "$RAW")"
term_end
IN=$PW_GA expect 0 "the account accepted at the prompts signs in" "$M" login ga@contoso.com --password-stdin --print-token

term_start 200 '"$M" login op@example.com'
wait_for 'Password: *$' && { tm send-keys -t "$S" -l "wrong-password-0000"; tm send-keys -t "$S" Enter; }
term_wait
check "login with a wrong password on a terminal: exit 7 (got $TRC)" test "$TRC" = 7
check "login with a wrong password: the typed text is not echoed" lacks "wrong-password-0000" "$(cat "$RAW")"
term_end

term_start 200 '"$M" login op@example.com; '"$ECHO_STATE"
wait_for 'Password: *$' && { tm send-keys -t "$S" -l "half-typed"; tm send-keys -t "$S" C-c; }
term_wait
check "Ctrl-C at the password prompt: exit 130 (got $TRC)" test "$TRC" = 130
check "Ctrl-C at the password prompt: the terminal echoes again" has '^TTY-ECHO=on' "$SCREEN"
check "Ctrl-C at the password prompt: the typed text is not echoed" lacks "half-typed" "$(cat "$RAW")"
term_end

echo "== purge-user on a terminal asks first"
fresh_env
setup_world 2>/dev/null || { bad "setup_world"; summary; exit; }
status_of() { MCIDCTL_TOKEN=$GA "$M" user show "$1" --format json 2>/dev/null | json "d['status']" 2>/dev/null; }
for answer in n "" yep y; do  # only y or yes confirm (the man page's rule): yep is a no
  term_start 200 'MCIDCTL_TOKEN=$GA "$M" purge-user alice@contoso.com pat@contoso.com nobody@contoso.com'
  if wait_for '\[y/N\] *$'; then
    check "purge prompt shows the count (2 to delete, 1 not found)" has '(^|[^0-9])2 account.*not found 1' "$(screen)"
    check "and says 'would', since nothing happened yet" has 'would purge 2' "$(screen)"
    check "and lists the targets it would purge first" \
      bash -c 'grep -q "This would purge:" <<<"$1" && grep -q "^  alice@contoso.com: account deleted" <<<"$1" && grep -q "^  pat@contoso.com: account deleted" <<<"$1"' _ "$(screen)"
    check "but not the target it would not" lacks '^  nobody@contoso.com' "$(screen)"
    [[ -n $answer ]] && tm send-keys -t "$S" -l "$answer"
    tm send-keys -t "$S" Enter
  else
    bad "purge-user without --yes on a terminal asks [y/N]" "screen: $(screen | grep -v '^$' | tr '\n' '|')"
  fi
  term_wait
  case $answer in
    y)
      check "answer y: exit 8 (one target not found; got $TRC)" test "$TRC" = 8
      check "answer y: alice and pat are purged" test "$(status_of alice@contoso.com)/$(status_of pat@contoso.com)" = deleted/deleted
      check "answer y: the result rows are shown" has 'nobody@contoso.com +not-found' "$SCREEN"
      ;;
    *)
      check "answer '${answer:-Enter}': exit 0 (got $TRC)" test "$TRC" = 0
      check "answer '${answer:-Enter}': says nothing was changed" has 'nothing was changed' "$SCREEN"
      check "answer '${answer:-Enter}': alice and pat are still active" test "$(status_of alice@contoso.com)/$(status_of pat@contoso.com)" = active/active
      ;;
  esac
  term_end
done
term_start 200 'MCIDCTL_TOKEN=$GA "$M" purge-user carol@contoso.com --dry-run'
term_wait
check "purge --dry-run on a terminal does not ask (exit 8 for not-found; got $TRC)" test "$TRC" = 8
check "purge --dry-run on a terminal: no [y/N]" lacks '\[y/N\]' "$SCREEN"
term_end
# A batch long enough for the progress line (every 500 targets): shown while it runs, blanked at the end.
seq -f 'gone%g@contoso.com' 1 1200 >"$T/many.txt"
term_start 200 'MCIDCTL_TOKEN=$GA "$M" purge-user --from "'"$T/many.txt"'" --yes --format csv >/dev/null'
term_wait
check "a batch on a terminal ends with its summary (exit 8: not found; got $TRC)" has 'not found 1,200' "$SCREEN"
check "and its progress line is cleared when done" lacks '[0-9]+/1200 \(' "$SCREEN"
term_end

# ==== (d) tables, truncation, colour ========================================================================
echo "== tables: alignment, narrow terminals, colour"
add_user "$GA" li.lei@contoso.com "李雷 Lǐ Léi" user 2>/dev/null || bad "add a user with a wide-character name"
MCIDCTL_TOKEN=$GA "$M" user invite long.name.for.the.terminal.test@contoso.com \
  --name "Bartholomew Montgomery-Fitzwilliam, Head of Partner Enablement" >/dev/null 2>&1 || bad "invite a long name"
add_user "$GA" carol@contoso.com Carol user 2>/dev/null || bad "add carol"
CAROL=$(as_token carol@contoso.com "$PW_USER")
today=$(date -u +%F)
add_profile 50000001 carol@outlook.com "Carol Learn" || bad "add profile"
add_cred 50000001 AZ-104 "Microsoft Certified: Azure Administrator Associate" certification 2024-03-01 || bad "add AZ-104"
add_cred 50000001 AZ-900 "Microsoft Certified: Azure Fundamentals" certification "$today" || bad "add AZ-900 passed today"
MCIDCTL_TOKEN=$OP "$M" competency define "Azure Administration" --requires AZ-104 --individuals 1 >/dev/null 2>&1 || bad "define competency 1"
MCIDCTL_TOKEN=$OP "$M" competency define "Azure Architecture" --requires AZ-305 --individuals 2 >/dev/null 2>&1 || bad "define competency 2"
link_as "$CAROL" carol@outlook.com >/dev/null 2>&1 || bad "carol links"

run env MCIDCTL_TOKEN="$GA" "$M" user list
TABLE=$OUT
JSON=$(MCIDCTL_TOKEN=$GA "$M" user list --format json)
problems=$(aligned "$JSON" <<<"$TABLE")
check "user list: every cell under its header, wide characters included" test -z "$problems"
[[ -n $problems ]] && echo "    $(head -n3 <<<"$problems" | tr '\n' ';')"
check "piped table is not truncated (no …)" lacks '…' "$TABLE"
check "piped table shows the long name whole" has 'Head of Partner Enablement' "$TABLE"
problems=$(MCIDCTL_TOKEN=$GA "$M" report competencies | aligned "$(MCIDCTL_TOKEN=$GA "$M" report competencies --format json)")
check "report competencies: aligned columns" test -z "$problems"
problems=$(MCIDCTL_TOKEN=$GA "$M" report skills --include-pending | aligned "$(MCIDCTL_TOKEN=$GA "$M" report skills --include-pending --format json)")
check "report skills: aligned columns" test -z "$problems"

# The same table on terminals of 200 and 60 columns.
term_start 200 'MCIDCTL_TOKEN=$GA "$M" user list'
term_wait
check "200 columns: exit 0" test "$TRC" = 0
wide=$(raw_out)
check "200 columns: the long name is whole" has 'Head of Partner Enablement' "$wide"
check "200 columns: no line wider than 200" test "$(max_width <<<"$wide")" -le 200
term_end
for cmd in "user list" "report competencies" "report skills --include-pending" "org list" "config list"; do
  term_start 60 "MCIDCTL_TOKEN=\$GA \"\$M\" $cmd"
  term_wait
  narrow=$(table_out)
  check "60 columns: $cmd exits 0 (got $TRC)" test "$TRC" = 0
  w=$(max_width <<<"$narrow")
  check "60 columns: $cmd fits (widest line $w)" test "$w" -le 60
  term_end
done
term_start 60 'MCIDCTL_TOKEN=$GA "$M" user list -q'
term_wait
narrow=$(raw_out)
check "60 columns: user list shows the longest email whole" has 'long\.name\.for\.the\.terminal\.test@contoso\.com' "$narrow"
check "60 columns: the long name does not fit and is left out" lacks 'Head of Partner Enablement' "$narrow"
check "60 columns: the header is still the first line" has '^EMAIL ' "$(tr -d '\r' <<<"$narrow" | sed 's/\x1b\[[0-9;]*m//g' | head -n1)"
check "60 columns: one screen line per user (nothing wrapped)" test "$(screen_lines)" = "$(($(json 'len(d)' <<<"$JSON") + 1))"
term_end
term_start 100 'MCIDCTL_TOKEN=$GA "$M" user list'
term_wait
narrow=$(table_out)
check "100 columns: free text shrinks first: the long name is cut with …" has 'Barthol[a-z]*…' "$narrow"
check "100 columns: while the email is whole" has 'long\.name\.for\.the\.terminal\.test@contoso\.com' "$narrow"
term_end

# Readable at 80, 120 and 200 columns (issue 15): identifiers, codes, dates and states are never
# cut, headers never; free text shrinks first; what does not fit is left out and named on stderr.
for width in 80 120 200; do
  for cmd in "report skills --include-pending" "audit list" "user list" "report users" "report competencies"; do
    term_start "$width" "MCIDCTL_TOKEN=\$GA \"\$M\" $cmd"
    term_wait
    out=$(strip)
    check "$width columns: $cmd exits 0 (got $TRC)" test "$TRC" = 0
    check "$width columns: $cmd fits (widest line $(max_width <<<"$(table_out)"))" test "$(max_width <<<"$(table_out)")" -le "$width"
    header=$(grep -m1 -E '^[A-Z_]+( +[A-Z_]+)*$' <<<"$out")
    check "$width columns: $cmd has a header line" test -n "$header"
    check "$width columns: $cmd: no header is cut" lacks '…' "$header"
    if [[ $cmd == "report skills"* ]]; then
      check "$width columns: skills: the email whole" has 'carol@contoso\.com' "$out"
      check "$width columns: skills: the codes whole" has 'AZ-104 ' "$out"
      check "$width columns: skills: the state whole" has '(pending|reflected)$' "$out"
    fi
    if [[ $cmd == "audit list" ]]; then
      if [[ $width != 80 ]]; then  # at 80 the long targets and actions leave no room for AT
        check "$width columns: audit list shows AT" has '(^| )AT( |$)' "$header"
      fi
      if [[ " $header " == *" AT "* ]]; then
        rows=$(grep -vE '^(ID|AT) |left out' <<<"$out")
        check "$width columns: audit list: every row's time whole" \
          test "$(grep -cE '(^|[0-9] +)20[0-9]{2}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z ' <<<"$rows")" = "$(grep -c . <<<"$rows")"
        check "$width columns: audit list: control, rows were shown ($(grep -c . <<<"$rows"))" test "$(grep -c . <<<"$rows")" -ge 5
      fi
    fi
    term_end
  done
done
term_start 80 'MCIDCTL_TOKEN=$GA "$M" report skills --include-pending'
term_wait
out=$(strip)
check "80 columns: skills names what it left out" has 'left out to fit 80 columns: .*credential_title' "$out"
check "... and how to see it" has '\-\-columns NAME,\.\.\. or \-\-format csv shows them' "$out"
check "... and leaves that column out of the table" lacks 'CREDENTIAL_TITLE' "$(grep -m1 '^USER_EMAIL' <<<"$out")"
check "... the note comes after the table: the header is the first line" has '^[A-Z_]+ ' "$(head -n1 <<<"$out")"
term_end
term_start 80 'MCIDCTL_TOKEN=$GA "$M" report skills --include-pending -q'
term_wait
check "80 columns: -q silences the note" lacks 'left out' "$(strip)"
term_end
term_start 80 'MCIDCTL_TOKEN=$GA "$M" report skills --include-pending --columns user_email,credential_title,passed_on'
term_wait
out=$(strip)
check "80 columns: --columns brings a left-out column back" has '^USER_EMAIL +CREDENTIAL_TITLE +PASSED_ON$' "$out"
check "... and with room, nothing is left out" lacks 'left out' "$out"
term_end
term_start 200 'MCIDCTL_TOKEN=$GA "$M" user list'
term_wait
check "200 columns: user list leaves nothing out" lacks 'left out' "$(strip)"
term_end

# --format output is the same bytes on a narrow terminal, a wide one and a pipe.
for fmt in csv json jsonl; do
  for cmd in "user list" "report skills --include-pending"; do
    # shellcheck disable=SC2086
    piped=$(MCIDCTL_TOKEN=$GA "$M" $cmd --format $fmt | "$PY" -c 'import sys; sys.stdout.buffer.write(sys.stdin.buffer.read().replace(b"\n", b"\r\n"))' | od -An -tx1)
    term_start 60 "MCIDCTL_TOKEN=\$GA \"\$M\" $cmd --format $fmt"; term_wait; at60=$(raw_out | od -An -tx1); term_end
    term_start 200 "MCIDCTL_TOKEN=\$GA \"\$M\" $cmd --format $fmt"; term_wait; at200=$(raw_out | od -An -tx1); term_end
    check "--format $fmt ($cmd): same bytes at 60 and 200 columns" test "$at60" = "$at200"
    check "--format $fmt ($cmd): same bytes on a terminal as in a pipe" test "$at60" = "$piped"
  done
done

# A workbook is not for a terminal: exit 2 before the report runs; with --output it is written.
term_start 200 'MCIDCTL_TOKEN=$GA "$M" report skills --include-pending --format xlsx'
term_wait
check "xlsx on a terminal: exit 2 (got $TRC)" test "$TRC" = 2
check "... says why" has "xlsx writes an Excel workbook, which a terminal cannot show" "$(raw_out)"
check "... and how" has "add --output FILE.xlsx .reports. or redirect stdout" "$(raw_out)"
term_end
term_start 200 'MCIDCTL_TOKEN=$GA "$M" report skills --include-pending --format xlsx --output "'"$T"'/t.xlsx"'
term_wait
check "xlsx on a terminal with --output: exit 0 (got $TRC)" test "$TRC" = 0
check "... the workbook is written (a zip)" has '^PK' "$(head -c 2 "$T/t.xlsx")"
term_end
term_start 200 'MCIDCTL_TOKEN=$GA "$M" user list --format xlsx | od -c | head -n 1'
term_wait
check "xlsx into a pipe from a terminal: exit 0 (got $TRC)" test "$TRC" = 0
check "... the pipe gets the workbook" has 'P +K' "$(raw_out)"
term_end

# Colour for states: on a terminal only, never with NO_COLOR, never in a pipe.
ESC=$'\e'
has_color() { grep -qE "$ESC\\[[0-9;]*(3[0-7]|9[0-7])m$1" <<<"$2"; }
term_start 200 'MCIDCTL_TOKEN=$GA "$M" report competencies; MCIDCTL_TOKEN=$GA "$M" report skills --include-pending'
term_wait
color=$(raw_out)
check "terminal: 'not-met' is coloured" has_color 'not-met' "$color"
check "terminal: 'pending' is coloured" has_color 'pending' "$color"
term_end
term_start 200 'MCIDCTL_TOKEN=$GA faketime -f +5d "$M" report competencies'
term_wait
check "terminal: 'met' is coloured (5 days on, AZ-104 is reflected)" has_color 'met' "$(raw_out | grep -v 'not-met')"
term_end
term_start 200 'MCIDCTL_TOKEN=$GA "$M" purge-user bo@fabrikam.com --yes'
term_wait
check "terminal: purge of another organization's user: exit 8 (got $TRC)" test "$TRC" = 8
check "terminal: 'denied' is coloured" has_color 'denied' "$(raw_out)"
term_end
term_start 200 'export NO_COLOR=1; MCIDCTL_TOKEN=$GA "$M" report competencies; MCIDCTL_TOKEN=$GA "$M" report skills --include-pending; MCIDCTL_TOKEN=$GA "$M" purge-user bo@fabrikam.com --yes'
term_wait
nocolor=$(raw_out)
check "NO_COLOR=1 on a terminal: the states are there" has 'not-met' "$nocolor"
check "NO_COLOR=1 on a terminal: no escape code at all" lacks "$ESC" "$nocolor"
term_end
piped=$(env -u NO_COLOR MCIDCTL_TOKEN="$GA" "$M" report competencies 2>&1; env -u NO_COLOR MCIDCTL_TOKEN="$GA" "$M" report skills --include-pending 2>&1)
check "piped (NO_COLOR unset): the states are there" has 'pending' "$piped"
check "piped (NO_COLOR unset): no escape code at all" lacks "$ESC" "$piped"

# ==== (e) the settings file ====================================================================================
echo "== settings file: \${XDG_CONFIG_HOME:-~/.config}/mcidctl/config, flags > environment > file"
fresh_env
unset MCIDCTL_DB MCIDCTL_FORMAT
mkdir -p "$XDG_CONFIG_HOME/mcidctl"
CONFIG=$XDG_CONFIG_HOME/mcidctl/config
FILE_DB=$T/from-file/mcidctl.db
printf '# my defaults\ndb = %s\n' "$FILE_DB" >"$CONFIG"
IN=$PW_OP expect 0 "init with only the file naming the store" "$M" init --operator op@example.com --password-stdin
check "the store was created where the file says" test -s "$FILE_DB"
check "not at the built-in default" test ! -e "$XDG_DATA_HOME/mcidctl/mcidctl.db"
OP=$(as_token op@example.com "$PW_OP")
check "sign-in works on the file's store" test -n "$OP"
MCIDCTL_TOKEN=$OP "$M" org enroll --mpn-id 1234567 --name Contoso --admin ga@contoso.com >/dev/null 2>&1 || bad "enroll on the file's store"
expect_err 9 "no store at $T/from-env.db" "MCIDCTL_DB beats the file" env MCIDCTL_DB="$T/from-env.db" "$M" db check
expect_err 9 "no store at $T/from-flag.db" "--db beats MCIDCTL_DB and the file" env MCIDCTL_DB="$T/from-env.db" "$M" --db "$T/from-flag.db" db check
expect_err 9 "no store at $T/from-flag.db" "--db after the command beats them too" env MCIDCTL_DB="$T/from-env.db" "$M" db check --db "$T/from-flag.db"
expect 0 "--db naming the file's store directly" env MCIDCTL_DB="$T/from-env.db" "$M" --db "$FILE_DB" db check

printf 'db = %s\nformat = json\n' "$FILE_DB" >"$CONFIG"
expect 0 "format = json in the file" env MCIDCTL_TOKEN="$OP" "$M" org list
check "format = json: org list prints JSON" test "$(json "d[0]['mpn_id']" <<<"$OUT" 2>&1)" = 1234567
expect 0 "MCIDCTL_FORMAT=csv beats the file" env MCIDCTL_TOKEN="$OP" MCIDCTL_FORMAT=csv "$M" org list
check "MCIDCTL_FORMAT=csv: a CSV header" has '^mpn_id,name' "$OUT"
expect 0 "--format table beats the file" env MCIDCTL_TOKEN="$OP" "$M" org list --format table
check "--format table: a table header" has '^MPN_ID +NAME' "$OUT"
expect 0 "--format jsonl beats MCIDCTL_FORMAT and the file" env MCIDCTL_TOKEN="$OP" MCIDCTL_FORMAT=csv "$M" --format jsonl org list
check "--format jsonl: one object per line" test "$(head -n1 <<<"$OUT" | json "d['mpn_id']" 2>&1)" = 1234567

# Without XDG_CONFIG_HOME the file is ~/.config/mcidctl/config.
mkdir -p "$HOME/.config/mcidctl"
printf 'format = csv\ndb = %s\n' "$FILE_DB" >"$HOME/.config/mcidctl/config"
expect 0 "~/.config/mcidctl/config when XDG_CONFIG_HOME is unset" env -u XDG_CONFIG_HOME MCIDCTL_TOKEN="$OP" "$M" org list
check "~/.config/mcidctl/config: its format (csv) is used" has '^mpn_id,name' "$OUT"
printf 'format = xml\n' >"$CONFIG"
expect_err 2 "format" "a bad format in the file: exit 2 naming the setting" env MCIDCTL_DB="$FILE_DB" MCIDCTL_TOKEN="$OP" "$M" org list

# A key mcidctl does not know is said, once, and ignored: a typo must not pass unnoticed.
printf '# mine\nformta = json\ndb = %s\njust some words\n' "$FILE_DB" >"$CONFIG"
expect 0 "a settings file with a mistyped key still works" env MCIDCTL_TOKEN="$OP" "$M" org list --format csv
check "the mistyped key is named with its line" has "^mcidctl: warning: .*/mcidctl/config line 2: unknown key 'formta' \(the keys are db and format\); it is ignored$" "$ERR"
check "a line that is not KEY = VALUE is named too" has "line 4: not KEY = VALUE" "$ERR"
check "each once, though the file is read for each key" test "$(grep -c 'line 2:' <<<"$ERR")" = 1
check "the output is unchanged" has '^mpn_id,name' "$OUT"
printf 'db = %s\n# format = json\n' "$FILE_DB" >"$CONFIG"
expect 0 "a file of known keys and comments" env MCIDCTL_TOKEN="$OP" "$M" org list
check "says nothing" test -z "$ERR"

summary
