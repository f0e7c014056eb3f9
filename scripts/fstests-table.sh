#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# The side-by-side table of a make fstests run: reads the guest's
#   FSTESTS-RESULT: TARGET TEST STATUS WALL FST REASON...
# lines from the console log and prints, per test, the stock and the kit
# result with fstests' own time of the test and the wall time of its ./check (a markdown table, as docs/fstests.md keeps
# them), then the reasons of every notrun/skip/fail.
#
# Usage: scripts/fstests-table.sh CONSOLE_LOG FSTYP ABI
set -eu
[ $# = 3 ] || { echo "usage: fstests-table.sh CONSOLE_LOG FSTYP ABI" >&2; exit 2; }
[ -f "$1" ] || { echo "fstests-table: no $1" >&2; exit 2; }
tr -d '\r' < "$1" | awk -v fstyp="$2" -v abi="$3" '
$1 == "FSTESTS-RESULT:" {
	tgt = $2; t = $3
	if (!(t in seen)) { seen[t] = 1; order[n++] = t }
	res[tgt, t] = $4 ($6 == "-" ? "" : " " $6 " s") " (" $5 " s)"
	reason = ""
	for (i = 7; i <= NF; i++) reason = reason (i > 7 ? " " : "") $i
	if (reason != "") why[tgt, t] = reason
}
END {
	printf "fstests on %s, kernel %s, TCG\n\n", fstyp, abi
	printf "Per cell: result, the time fstests reports for the test, and (in\n"
	printf "parentheses) the wall time of its whole ./check run.\n\n"
	printf "| test | stock | kit |\n|---|---|---|\n"
	for (i = 0; i < n; i++) {
		t = order[i]
		s = ((("stock", t) in res) ? res["stock", t] : "-")
		k = ((("kit", t) in res) ? res["kit", t] : "-")
		printf "| %s | %s | %s |\n", t, s, k
	}
	if (n == 0) print "(no FSTESTS-RESULT lines: the guest ran nothing)"
	for (i = 0; i < n; i++) {
		t = order[i]
		if (("stock", t) in why) printf "- %s stock: %s\n", t, why["stock", t]
		if (("kit", t) in why) printf "- %s kit: %s\n", t, why["kit", t]
	}
}'
