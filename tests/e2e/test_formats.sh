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

summary
