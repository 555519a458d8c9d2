#!/usr/bin/env bash
# trx-summary.sh DIR : prints "N passed, N failed, N skipped" from the TRX files in DIR; exit 1 when none.
set -euo pipefail
dir="${1:?results directory}"
shopt -s nullglob
files=("$dir"/*.trx)
[ ${#files[@]} -gt 0 ] || { echo "no TRX files in $dir" >&2; exit 1; }
outcomes=$(cat "${files[@]}" | tr '\n' ' ' | grep -o '<UnitTestResult [^>]*>' | grep -o ' outcome="[A-Za-z]*"' | sed 's/.*="\(.*\)"/\1/' || true)
passed=$(grep -cx 'Passed' <<<"$outcomes" || true)
failed=$(grep -cxE 'Failed|Error|Timeout|Aborted' <<<"$outcomes" || true)
skipped=$(grep -cxE 'NotExecuted|Inconclusive|NotRunnable' <<<"$outcomes" || true)
echo "${passed:-0} passed, ${failed:-0} failed, ${skipped:-0} skipped"
