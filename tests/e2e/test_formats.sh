#!/bin/bash
# End-to-end: output for people in other locales and for scripts that want less (issue 15):
# --delimiter for CSV, --columns on every list, report and object, and input files separated by
# ',', ';' or tab (the header line decides) for purge-user --from, user import and registry import.
source "$(dirname "$0")/lib.sh"

# ---- --delimiter ------------------------------------------------------------------
fresh_env
setup_world || { echo "setup failed"; exit 1; }
MCIDCTL_TOKEN=$OP "$M" org enroll --mpn-id 5555555 --name 'Lind, Berg & Co' --admin ga@lind.se -q >/dev/null

expect 0 "org list --delimiter ';'" env MCIDCTL_TOKEN=$OP "$M" org list --format csv --delimiter ';'
check "';' separates the fields; a comma inside a cell is not quoted" \
  has '^5555555;Lind, Berg & Co;[0-9-]+.$' "$OUT"
check "';' header" has '^mpn_id;name;enrolled_on.$' "$OUT"
IN="" expect 0 "--delimiter semicolon (the word)" env MCIDCTL_TOKEN=$OP "$M" org list --format csv --delimiter semicolon
check "the word works as ';'" has '^mpn_id;name;enrolled_on' "$OUT"
expect 0 "--delimiter tab" env MCIDCTL_TOKEN=$OP "$M" org list --format csv --delimiter tab
check "tab separates the fields" has $'^5555555\tLind, Berg & Co\t' "$OUT"
MCIDCTL_TOKEN=$OP "$M" org enroll --mpn-id 6666666 --name 'Semi;colon' --admin ga@semi.se -q >/dev/null
expect 0 "a cell holding the delimiter" env MCIDCTL_TOKEN=$OP "$M" org list --format csv --delimiter ';'
check "is quoted" has '^6666666;"Semi;colon";' "$OUT"
expect 0 "the default stays ','" env MCIDCTL_TOKEN=$OP "$M" org list --format csv
check "commas by default, the comma cell quoted" has '^5555555,"Lind, Berg & Co",' "$OUT"
check "and the ';' cell not" has '^6666666,Semi;colon,' "$OUT"
expect 0 "--delimiter before the command (global)" env MCIDCTL_TOKEN=$OP "$M" --delimiter ';' --format csv org list
check "applies" has '^mpn_id;name' "$OUT"

# The report through --output, as Swedish Excel opens it.
rm -f "$T/skills.csv"
expect 0 "report skills --output --delimiter ';' --bom" \
  env MCIDCTL_TOKEN=$GA "$M" report skills --format csv --delimiter ';' --bom --include-pending --output "$T/skills.csv"
check "the file's header is ';'-separated after the BOM" \
  python3 -c "import sys; b=open(sys.argv[1],'rb').read(); sys.exit(0 if b.startswith(b'\xef\xbb\xbfmpn_id;organization;user_email;') else 1)" "$T/skills.csv"

expect_err 2 "--delimiter applies to CSV output only" "--delimiter with the table format" \
  env MCIDCTL_TOKEN=$OP "$M" org list --delimiter ';'
expect_err 2 "--delimiter applies to CSV" "--delimiter with json" \
  env MCIDCTL_TOKEN=$OP "$M" org list --format json --delimiter ';'
expect_err 2 "--delimiter: '\|' is not one of" "an unknown delimiter" \
  env MCIDCTL_TOKEN=$OP "$M" org list --format csv --delimiter '|'
check "names the choices" has "';' or tab" "$ERR"
# A refused option changes nothing: the invitation is not created.
expect_err 2 "--delimiter applies to CSV" "a write command with a bad --delimiter" \
  env MCIDCTL_TOKEN=$GA "$M" user invite new@contoso.com --name New --delimiter ';'
expect 0 "list after it" env MCIDCTL_TOKEN=$GA "$M" user list --format csv
check "no user was invited" lacks 'new@contoso.com' "$OUT"

# ---- --columns --------------------------------------------------------------------
expect 0 "user list --columns name,email" env MCIDCTL_TOKEN=$GA "$M" user list --format csv --columns name,email
check "only those, in that order" has '^name,email.$' "$(head -n1 <<<"$OUT")"
check "rows follow the columns" has '^Alice,alice@contoso.com.$' "$OUT"
expect 0 "--columns in any case, with spaces" env MCIDCTL_TOKEN=$GA "$M" user list --format json --columns 'EMAIL, status'
check "json objects have exactly the chosen keys" \
  test "$(json "sorted({k for o in d for k in o})" <<<"$OUT")" == "['email', 'status']"
expect 0 "jsonl" env MCIDCTL_TOKEN=$GA "$M" user list --format jsonl --columns role
check "jsonl: one key per line" has '^\{"role":"user"\}$' "$OUT"
expect 0 "table" env MCIDCTL_TOKEN=$GA "$M" user list --columns status,email
check "the table's header" has '^STATUS +EMAIL$' "$(head -n1 <<<"$OUT")"
expect 0 "audit list --columns action,outcome" env MCIDCTL_TOKEN=$GA "$M" audit list --format csv --columns action,outcome
check "audit rows with two columns" has '^user\.invite,ok.$' "$OUT"
expect 0 "report users --columns" env MCIDCTL_TOKEN=$GA "$M" report users --format csv --columns email
check "report users: the header" test "$(head -n1 <<<"$OUT" | tr -d '\r')" == "email"
expect 0 "report competencies --columns" env MCIDCTL_TOKEN=$GA "$M" report competencies --format csv --columns status,competency
check "report competencies: the header" test "$(head -n1 <<<"$OUT" | tr -d '\r')" == "status,competency"
expect 0 "org show --columns (an object)" env MCIDCTL_TOKEN=$OP "$M" org show 1234567 --format json --columns name,mpn_id
check "the object has the chosen keys in order" test "$(json "list(d)" <<<"$OUT")" == "['name', 'mpn_id']"
expect 0 "whoami --columns email on a table" env MCIDCTL_TOKEN=$ALICE "$M" whoami --columns email
check "one line, no credentials section" test "$OUT" == "email: alice@contoso.com"

expect_err 2 "--columns: unknown column 'emial'" "an unknown column" \
  env MCIDCTL_TOKEN=$GA "$M" user list --columns emial
check "lists the valid columns" has 'valid columns here: email, name, role, status' "$ERR"
check "prints no rows" test -z "$OUT"
expect_err 2 "--columns: empty column name" "an empty name" env MCIDCTL_TOKEN=$GA "$M" user list --columns email,
# Writing commands check the columns before they change anything.
IN="" expect_err 2 "unknown column 'code'" "purge-user with an unknown column" \
  env MCIDCTL_TOKEN=$GA "$M" purge-user alice@contoso.com --yes --columns target,code
expect 0 "alice is still there" env MCIDCTL_TOKEN=$GA "$M" user show alice@contoso.com --format json --columns status
check "still active" test "$(json "d['status']" <<<"$OUT")" == "active"
printf 'email,name\nnew1@contoso.com,New One\n' >"$T/new.csv"
expect_err 2 "unknown column 'name'.*" "user import with an unknown column" \
  env MCIDCTL_TOKEN=$GA "$M" user import "$T/new.csv" --columns name
check "valid columns of the invitations" has 'email, code, expires_on' "$ERR"
expect 0 "user list after it" env MCIDCTL_TOKEN=$GA "$M" user list --format csv
check "nobody was invited" lacks 'new1@contoso.com' "$OUT"
expect 0 "user import --columns email,code" env MCIDCTL_TOKEN=$GA "$M" user import "$T/new.csv" --format csv --columns code,email
check "the codes, in the chosen order" has '^[A-Z0-9]{4}(-[A-Z0-9]{4}){3},new1@contoso.com.$' "$OUT"

# ---- input files: ',', ';' or tab, as the header line decides ----------------------
printf 'Email;Namn\r\n bo@fabrikam.com ;Bo, the user\r\n' >"$T/leavers-semicolon.csv"
expect 0 "purge-user --from a ';' file (Swedish Excel)" \
  env MCIDCTL_TOKEN=$GB "$M" purge-user --from "$T/leavers-semicolon.csv" --yes --format csv
check "the email column is found and bo purged" has '^bo@fabrikam.com,purged,' "$OUT"
printf 'name\temail\nPat\tpat@contoso.com\n' >"$T/leavers-tab.txt"
expect 0 "purge-user --from a tab-separated file (-y for --yes)" \
  env MCIDCTL_TOKEN=$GA "$M" purge-user --from "$T/leavers-tab.txt" -y --format csv
check "pat purged" has '^pat@contoso.com,purged,' "$OUT"
printf 'email;name;role\r\nsemi@contoso.com;Berg, Eva;partner-admin\r\n' >"$T/hires.csv"
IN=$(cat "$T/hires.csv") expect 0 "user import of a ';' file from stdin" env MCIDCTL_TOKEN=$GA "$M" user import - --format json
IN="" expect 0 "the user's name keeps its comma" env MCIDCTL_TOKEN=$GA "$M" user show semi@contoso.com --format json
check "name and role read from their columns" \
  test "$(json "d['name'] + '|' + d['role']" <<<"$OUT")" == "Berg, Eva|partner-admin"
printf 'mcid\tlogin\tname\n40000001\tp1@learn.example.org\tProfile, One\n' >"$T/profiles.tsv"
expect 0 "registry import of a tab-separated file" \
  env MCIDCTL_TOKEN=$OP "$M" registry import "$T/profiles.tsv" --kind profiles
printf 'mcid;code;title;type;passed_on\n40000001;AZ-900;Azure Fundamentals, 2024;certification;2024-05-01\n' >"$T/creds.csv"
expect 0 "registry import of a ';' credentials file (of the profile imported from the tab file)" \
  env MCIDCTL_TOKEN=$OP "$M" registry import "$T/creds.csv" --kind credentials
printf 'mcid;code;title;type;passed_on\n40000001;AZ-900,extra;T;certification;2024-05-01;x\n' >"$T/bad.csv"
expect_err 2 "line 2" "a ';' file with a bad row names its line" \
  env MCIDCTL_TOKEN=$OP "$M" registry import "$T/bad.csv" --kind credentials

# ---- --format xlsx ------------------------------------------------------------------
# Read back with openpyxl (python3-openpyxl, Debian's, for the system python: a version
# manager's python may lack it).
XPY=python3; [[ -x /usr/bin/python3 ]] && XPY=/usr/bin/python3
# xlsxq FILE EXPR: prints EXPR with wb (the workbook), ws (its first sheet) and rows (the first
# sheet's rows as lists of cell values, the header first).
xlsxq() {
  "$XPY" -c 'import sys, openpyxl, datetime
wb = openpyxl.load_workbook(sys.argv[1]); ws = wb.worksheets[0]
rows = [[c.value for c in r] for r in ws.iter_rows()]
print(eval(sys.argv[2]))' "$@"
}
add_profile 123456789012 carol@outlook.com "Carol Learner" || bad "add a profile with a 12-digit MCID"
add_cred 123456789012 AZ-900 '=HYPERLINK("http://evil.example/","click")' exam 2023-06-01 2026-06-01 ||
  bad "add a credential whose title looks like a formula"
link_as "$ALICE" carol@outlook.com >/dev/null 2>&1 || bad "alice links the profile"
MCIDCTL_TOKEN=$GA "$M" user invite carol@contoso.com --name '=1+2 Carol' --role user -q >/dev/null
expect 0 "report skills --format xlsx --output" \
  env MCIDCTL_TOKEN=$GA "$M" report skills --include-pending --format xlsx --output "$T/skills.xlsx"
check "says how many rows went to the file" has "wrote [0-9]+ rows to .*skills.xlsx" "$ERR"
check "one sheet, named after the report" test "$(xlsxq "$T/skills.xlsx" 'wb.sheetnames')" = "['skills']"
check "the header row: the report's columns" \
  test "$(xlsxq "$T/skills.xlsx" '",".join(rows[0])')" = "mpn_id,organization,user_email,user_name,mcid,source,credential_type,credential_code,credential_title,passed_on,expires_on,credential_status,relevant_for,linked_on,reflected_on,state"
check "the header is bold" test "$(xlsxq "$T/skills.xlsx" 'all(c.font.b for c in ws[1])')" = True
check "the header is frozen" test "$(xlsxq "$T/skills.xlsx" 'ws.freeze_panes')" = A2
check "an autofilter over every row and column" \
  test "$(xlsxq "$T/skills.xlsx" 'ws.auto_filter.ref == "A1:P%d" % len(rows)')" = True
check "the columns are fitted to the data (user_email wider than the default)" \
  test "$(xlsxq "$T/skills.xlsx" 'ws.column_dimensions["C"].width > 13')" = True
# rows of the report as CSV says them, to compare
MCIDCTL_TOKEN=$GA "$M" report skills --include-pending --format csv >"$T/skills.csv"
check "as many rows as the CSV" \
  test "$(xlsxq "$T/skills.xlsx" 'len(rows)')" = "$(wc -l <"$T/skills.csv")"
XR='[r for r in rows if r[4] == "123456789012"][0]'
check "the 12-digit MCID is text, not a number" test "$(xlsxq "$T/skills.xlsx" "type($XR[4]).__name__")" = str
check "the MPN ID is text" test "$(xlsxq "$T/skills.xlsx" "repr($XR[0])")" = "'1234567'"
check "passed_on is an Excel date" \
  test "$(xlsxq "$T/skills.xlsx" "$XR[9] == datetime.datetime(2023, 6, 1)")" = True
check "expires_on and linked_on are dates" \
  test "$(xlsxq "$T/skills.xlsx" "all(isinstance(v, datetime.datetime) for v in ($XR[10], $XR[13], $XR[14]))")" = True
check "dates are shown as yyyy-mm-dd" \
  test "$(xlsxq "$T/skills.xlsx" '[c for c in ws["J"] if c.row > 1][0].number_format')" = yyyy-mm-dd
check "a title that looks like a formula is a string, unguarded" \
  test "$(xlsxq "$T/skills.xlsx" "$XR[8]")" = '=HYPERLINK("http://evil.example/","click")'
check "the workbook holds no formula at all" \
  test "$(xlsxq "$T/skills.xlsx" 'sum(c.data_type == "f" for r in ws.iter_rows() for c in r)')" = 0
MCIDCTL_TOKEN=$GA "$M" report skills --include-pending --format xlsx >"$T/piped.xlsx"
check "report skills --format xlsx into a pipe: exit 0" test $? = 0
check "the same rows through stdout" test "$(xlsxq "$T/piped.xlsx" 'rows')" = "$(xlsxq "$T/skills.xlsx" 'rows')"
MCIDCTL_TOKEN=$GA "$M" user list --format xlsx --columns name,email,invited_on >"$T/users.xlsx"
check "user list: a sheet named after it, --columns chosen" \
  test "$(xlsxq "$T/users.xlsx" '(wb.sheetnames, rows[0])')" = "(['user list'], ['name', 'email', 'invited_on'])"
check "a name starting with = is text" \
  test "$(xlsxq "$T/users.xlsx" '[r[0] for r in rows if r[1] == "carol@contoso.com"][0]')" = '=1+2 Carol'
MCIDCTL_TOKEN=$GA "$M" audit list --format xlsx >"$T/audit.xlsx"
check "audit list: at is a date and time, id a number" \
  test "$(xlsxq "$T/audit.xlsx" '(type(rows[1][1]).__name__, type(rows[1][0]).__name__, ws["B2"].number_format)')" = \
       "('datetime', 'int', 'yyyy-mm-dd hh:mm:ss')"
MCIDCTL_TOKEN=$GA "$M" org show 1234567 --format xlsx >"$T/org.xlsx"
check "an object (org show) is one row" test "$(xlsxq "$T/org.xlsx" 'len(rows)')" = 2
rm -f "$T/none.xlsx"
expect_err 2 "--bom applies to CSV output only" "--bom with xlsx" \
  env MCIDCTL_TOKEN=$GA "$M" report skills --format xlsx --bom --output "$T/none.xlsx"
expect_err 2 "--delimiter applies to CSV" "--delimiter with xlsx" \
  env MCIDCTL_TOKEN=$GA "$M" report skills --format xlsx --delimiter ';' --output "$T/none.xlsx"
expect_err 2 "--columns: unknown column 'nope'" "--columns with xlsx, an unknown name" \
  env MCIDCTL_TOKEN=$GA "$M" report skills --format xlsx --columns nope --output "$T/none.xlsx"
check "no file was left by the refusals" test ! -e "$T/none.xlsx"

# libxlsxwriter is loaded when a workbook is written (src/cli/xlsx.cpp), not at every start.
LIBS=$(MCIDCTL_TOKEN=$GA LD_DEBUG=libs "$M" org show 1234567 --format json 2>&1 >/dev/null)
check "control: the loader's trace is read (libsqlite3 started)" has 'calling init: .*/libsqlite3\.so' "$LIBS"
check "a command that writes no workbook does not load libxlsxwriter" lacks 'libxlsxwriter' "$LIBS"
LIBS=$(MCIDCTL_TOKEN=$GA LD_DEBUG=libs "$M" org show 1234567 --format xlsx 2>&1 >/dev/null)
check "--format xlsx loads it" has 'calling init: .*/libxlsxwriter\.so\.4' "$LIBS"
# Without libxlsxwriter: an empty file of its name first on the library path, which dlopen
# cannot load.
mkdir -p "$T/nolibs" && : >"$T/nolibs/libxlsxwriter.so.4"
expect_err 1 '--format xlsx needs libxlsxwriter \(Debian package libxlsxwriter4\)' "no libxlsxwriter -> 1" \
  env LD_LIBRARY_PATH="$T/nolibs" MCIDCTL_TOKEN=$GA "$M" report skills --format xlsx --output "$T/none.xlsx"
err_shape "no libxlsxwriter"
check "… with the package to install, or CSV" has '^hint: install it \(apt-get install libxlsxwriter4\), or use --format csv' "$ERR"
check "… and no file is left" test ! -e "$T/none.xlsx"

summary
