#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Runs the host cases of dmreplay (tests/tool/NNN) and prints one
# "ok   tool/NNN  description" or "FAIL tool/NNN ..." line each, then
# "tool-totals passed=N failed=N skipped=N" (a case exits 77 to skip, its
# last line saying why).
# Usage: tests/tool/run.sh DMREPLAY MKLOG [CASES...]
set -u
here=$(cd "$(dirname "$0")" && pwd)
DMREPLAY=$1
MKLOG=$2
shift 2
TOOL_TESTS=$here
export DMREPLAY MKLOG TOOL_TESTS
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
passed=0
failed=0
skipped=0
cases=$*
[ -n "$cases" ] || cases=$(cd "$here" && ls | grep -E '^[0-9]{3}$')
for c in $cases; do
	T=$(mktemp -d "${TMPDIR:-/tmp}/dmr-tool.XXXXXX")
	export T
	desc=$(sed -n 's/^# description: //p' "$here/$c")
	(cd "$T" && sh "$here/$c") > "$T/case.log" 2>&1
	st=$?
	if [ $st = 0 ] && grep -Eq 'Sanitizer|runtime error:' "$T/all-err" 2> /dev/null; then
		echo "    FAIL: a sanitizer report:" >> "$T/case.log"
		grep -E -A12 'Sanitizer|runtime error:' "$T/all-err" | head -n 30 >> "$T/case.log"
		st=1
	fi
	if [ $st = 77 ]; then
		echo "skip tool/$c  $desc: $(tail -n 1 "$T/case.log")"
		skipped=$((skipped + 1))
	elif [ $st = 0 ]; then
		echo "ok   tool/$c  $desc"
		passed=$((passed + 1))
	else
		echo "FAIL tool/$c  $desc"
		sed 's/^/    | /' "$T/case.log" | tail -n 30
		failed=$((failed + 1))
	fi
	rm -rf "$T"
done
echo "tool-totals passed=$passed failed=$failed skipped=$skipped"
[ $failed = 0 ]
