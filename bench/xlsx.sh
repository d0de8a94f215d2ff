#!/usr/bin/env bash
# xlsx.sh STORE: `report skills --format xlsx --output FILE` beside the same report as CSV, for
# the largest organization (1000001, ~1M rows) and, unless LARGEST_ONLY=1, for every
# organization (~5M rows, which Excel's 1,048,576 rows per sheet split over several sheets):
# wall time, peak RSS and file size. Target (issue 15): memory flat (<= 64 MB) at any size.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
open_bench_store "${1:-}"
need /usr/bin/time
OUT_DIR=$WORK/xlsx-run
mkdir -p "$OUT_DIR"
# measure LABEL TOKEN FORMAT: one run, "wall_s rss_mb bytes"
measure() {
    local file=$OUT_DIR/$1.$3 log=$OUT_DIR/$1.$3.time
    rm -f "$file"
    MCIDCTL_TOKEN=$2 /usr/bin/time -f '%e %M' -o "$log" "$MCIDCTL" --db "$STORE" -q report skills \
        --format "$3" --output "$file" || die "report skills --format $3 ($1) failed"
    read -r wall rss_kb <"$log"
    echo "$wall $(python3 -c "print(f'{$rss_kb / 1024:.1f}')") $(stat -c %s "$file")"
}
echo "## report skills: xlsx against csv (SCALE ${SCALE:-?})"
echo
table_row "scope" "format" "wall (s)" "peak RSS (MB)" "file (MB)"
table_row "---" "---" "---:" "---:" "---:"
scopes=("largest:$ADMIN_TOKEN")
[[ ${LARGEST_ONLY:-} == 1 ]] || scopes+=("all:$OPERATOR_TOKEN")
for scope in "${scopes[@]}"; do
    label=${scope%%:*} token=${scope#*:}
    for fmt in csv xlsx; do
        read -r wall rss bytes < <(measure "$label" "$token" "$fmt")
        table_row "$label" "$fmt" "$wall" "$rss" "$(python3 -c "print(f'{$bytes / 1e6:.0f}')")"
    done
done
if [[ ${LARGEST_ONLY:-} != 1 ]]; then
    echo
    echo "Sheets of the all-organizations workbook:"
    unzip -l "$OUT_DIR/all.xlsx" | awk '/xl\/worksheets\/sheet/ {print "  " $4}'
fi
rm -rf "$OUT_DIR"
