#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Line and branch coverage of the code under test reached by the host
# fuzzers' corpora (make fuzz-host-cov): each harness is rebuilt with
# clang's source-based coverage, runs once over its seed corpus and the
# inputs its runs kept (OUT/<name>/corpus), and llvm-cov reports the file
# it covers. Needs llvm-cov-14 and llvm-profdata-14 (package llvm-14).
#
# Usage: tests/fuzz-host/coverage.sh [-o OUT] [NAME...]
set -eu

top=$(cd "$(dirname "$0")/../.." && pwd)
here=$top/tests/fuzz-host
out=$top/out/fuzz-host
while getopts o: opt; do
	case $opt in
	o) out=$OPTARG ;;
	*) sed -n '10p' "$0" >&2; exit 2 ;;
	esac
done
shift $((OPTIND - 1))
names=${*:-"inject-rules verify-opts replay-log replay-lw dmreplay"}
cc=$(command -v clang-14 || command -v clang)
cov=$(command -v llvm-cov-14 || command -v llvm-cov) ||
	{ echo "coverage.sh: llvm-cov not found (apt-get install llvm-14)" >&2; exit 2; }
profdata=$(command -v llvm-profdata-14 || command -v llvm-profdata)
work=$out/cov
mkdir -p "$work"

for name in $names; do
	case $name in
	inject-rules) src=dm-inject/inject-rules.c; seeds=$name; libs= ;;
	verify-opts) src=dm-verify/verify-core.c; seeds=$name; libs= ;;
	replay-log) src=dm-replay/replay-log.c; seeds=$name; libs= ;;
	replay-lw) src=dm-replay/replay-lw.c; seeds=$name; libs= ;;
	dmreplay)
		# the harness includes dmreplay.c, replay-log.c and crash-gen.c;
		# the other files of the tool link as they are (the Makefile's rule)
		src="dm-replay/dmreplay.c dm-replay/dmreplay-log.c dm-replay/dmreplay-lw.c
			dm-replay/dmreplay-info.c dm-replay/dmreplay-completions.c
			dm-replay/dmreplay-replay.c dm-replay/dmreplay-io.c"; seeds=replay-log
		libs="$(cd "$top" && for f in dm-replay/dmreplay?*.c dm-replay/replay-lw.c; do
			echo "$top/$f"; done) -ldevmapper" ;;
	*) echo "coverage.sh: unknown harness $name" >&2; exit 2 ;;
	esac
	bin=$work/fuzz-$name
	# shellcheck disable=SC2086
	"$cc" -O1 -g -fsanitize=fuzzer -fprofile-instr-generate -fcoverage-mapping \
		-D_GNU_SOURCE -I"$top/include" -o "$bin" "$here/fuzz-$name.c" $libs
	dirs=$here/corpus/$seeds
	[ -d "$out/$name/corpus" ] && dirs="$dirs $out/$name/corpus"
	rm -f "$work/$name".profraw
	if [ "$name" = dmreplay ]; then
		# inputs that trip the tool's known defects abort: one process each
		# shellcheck disable=SC2086
		find $dirs -type f | while read -r f; do
			LLVM_PROFILE_FILE=$work/$name.%p.profraw "$bin" -handle_xfsz=0 "$f" \
				> /dev/null 2>&1 || true
		done
	else
		# shellcheck disable=SC2086
		LLVM_PROFILE_FILE=$work/$name.%p.profraw "$bin" -runs=0 $dirs \
			> "$work/$name.log" 2>&1 || true
	fi
	"$profdata" merge -sparse -o "$work/$name.profdata" "$work/$name".*.profraw
	rm -f "$work/$name".*.profraw
	# shellcheck disable=SC2086
	line=$(cd "$top" && "$cov" report "$bin" -instr-profile="$work/$name.profdata" $src |
		tail -n 1)
	# TOTAL regions missed cover functions missed exec lines missed cover branches missed cover
	[ "$name" = dmreplay ] && src="dm-replay/dmreplay*.c (reader, list, info, completions, replay)"
	echo "$line" | awk -v n="$name" -v s="$src" '{
		printf "%-13s %-25s lines %d/%d (%s)  branches %d/%d (%s)  regions %s\n",
			n, s, $8 - $9, $8, $10, $11 - $12, $11, $13, $4 }'
done
