#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Runs the host fuzzers (make fuzz-host; a short run in make test): each
# libFuzzer harness of tests/fuzz-host/ for SECONDS seconds, one at a time
# (-jobs=1: the build machines are shared), starting from its seed corpus
# and dictionary, then the blkdebug2dm property test for the same time.
# Prints one "ok   fuzz-host/<name>" or "FAIL fuzz-host/<name>" line per
# harness with its exec count and libFuzzer's coverage figures (cov: edges,
# ft: features); a finding fails it and its input is kept under
# OUT/<name>/ (crash-*, leak-*, timeout-*, oom-*). New inputs the fuzzer
# finds go to OUT/<name>/corpus, not into the repository.
#
# Usage: tests/fuzz-host/run.sh [-t SECONDS] [-o OUT] [-s SEED] [NAME...]
#   -t  seconds per harness (default 60)
#   -o  output directory (default out/fuzz-host)
#   -s  seed of libFuzzer and of the property test (default: the time)
# The binaries must be built first (make fuzz-host-build): out/fuzz-host/bin,
# or FUZZ_BIN.
set -u

top=$(cd "$(dirname "$0")/../.." && pwd)
here=$top/tests/fuzz-host
secs=60
out=$top/out/fuzz-host
seed=$(date +%s)
while getopts t:o:s: opt; do
	case $opt in
	t) secs=$OPTARG ;;
	o) out=$OPTARG ;;
	s) seed=$OPTARG ;;
	*) sed -n '14,19s/^# \{0,1\}//p' "$0" >&2; exit 2 ;;
	esac
done
shift $((OPTIND - 1))
names=${*:-"inject-rules verify-opts replay-log replay-lw dmreplay blkdebug2dm"}
bin=${FUZZ_BIN:-$top/out/fuzz-host/bin}
failed=0

# Largest input of each harness: a table of words, an option list, a log.
max_len() {
	case $1 in
	replay-log|replay-lw|dmreplay) echo 20480 ;;
	*) echo 4096 ;;
	esac
}

for name in $names; do
	dir=$out/$name
	mkdir -p "$dir/corpus"
	if [ "$name" = blkdebug2dm ]; then
		# The converter is a shell script: seeded configs, batches of 100
		# until the time is up.
		end=$(($(date +%s) + secs))
		s=$seed
		total=0
		bad=0
		: > "$dir/prop.log"
		while :; do
			"$bin/blkdebug-prop" "$top/scripts/blkdebug2dm" "$s" 100 "$dir" \
				>> "$dir/prop.log" 2>&1 || bad=1
			total=$((total + 100))
			s=$((s + 1))
			[ $bad = 0 ] && [ "$(date +%s)" -lt $end ] || break
		done
		if [ $bad = 0 ]; then
			echo "ok   fuzz-host/$name  ($total configs, seeds $seed..$((s - 1)))"
		else
			echo "FAIL fuzz-host/$name  (seed $((s - 1)), configs kept in $dir)"
			grep -A3 '^FAIL' "$dir/prop.log" | head -n 20 | sed 's/^/    | /'
			failed=$((failed + 1))
		fi
		continue
	fi
	dict=
	[ -f "$here/$name.dict" ] && dict=-dict=$here/$name.dict
	corpus=$here/corpus/$name
	extra=
	if [ "$name" = dmreplay ]; then
		# the tool reads logs: the decoders' seeds and dictionary
		corpus="$here/corpus/replay-log $here/corpus/replay-lw"
		dict=-dict=$here/replay-log.dict
		extra=-handle_xfsz=0
	fi
	rm -f "$dir"/crash-* "$dir"/leak-* "$dir"/timeout-* "$dir"/oom-*
	"$bin/fuzz-$name" -max_total_time="$secs" -seed="$seed" -timeout=10 \
		-rss_limit_mb=2048 -max_len="$(max_len "$name")" -print_final_stats=1 \
		-artifact_prefix="$dir/" $dict $extra "$dir/corpus" $corpus \
		> "$dir/fuzz.log" 2>&1
	rc=$?
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$dir/fuzz.log" | tail -n 1)
	cov=$(grep -Eo 'cov: [0-9]+ ft: [0-9]+' "$dir/fuzz.log" | tail -n 1)
	artifact=$(ls "$dir"/crash-* "$dir"/leak-* "$dir"/timeout-* "$dir"/oom-* 2> /dev/null |
		head -n 1)
	if [ $rc = 0 ] && [ -z "$artifact" ]; then
		echo "ok   fuzz-host/$name  (${execs:-?} execs in ${secs}s, ${cov:-no coverage line})"
	else
		echo "FAIL fuzz-host/$name  (rc $rc, input ${artifact:-none}, log $dir/fuzz.log)"
		grep -E 'invariant broken|ERROR: |SUMMARY|runtime error|#[0-6] 0x[0-9a-f]+ in ' \
			"$dir/fuzz.log" | grep -v 'in fuzzer::' | head -n 15 | sed 's/^/    | /'
		failed=$((failed + 1))
	fi
done
[ $failed = 0 ]
