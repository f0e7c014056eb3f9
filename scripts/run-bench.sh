#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# make bench: boots the test VM twice, once timed and once with the
# instruction-count clock, runs scripts/guest/bench.sh in each (every
# configuration side by side, interleaved within each round), then writes
# docs/benchmarks.md and docs/benchmarks.png from the two console logs.
#
# Usage: scripts/run-bench.sh [options]
#   --rounds N          timed rounds (default 7)
#   --runtime SECS      fio runtime per job in the timed run (default 2)
#   --icount-rounds N   icount rounds (default 3; they repeat to 0.1 %)
#   --icount-runtime S  guest seconds per job under icount (default 1)
#   --configs LIST      comma-separated configurations (default all)
#   --smp N             guest CPUs, and N fio jobs submitting at once, each
#                       at the job's depth (default 1; timed figures only:
#                       icount does not model contention)
#   --no-timed, --no-icount   leave one run out
#   --report-only       redo the document from the kept logs
#   --doc DIR           where benchmarks.md/png go (default docs/)
# Environment: DMTK_OUT (logs go to $DMTK_OUT/bench), DMTK_MODULES,
#   DMTK_MEM (default 3072 here), as for scripts/vm.sh.
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
out=${DMTK_OUT:-$top/out}
rounds=7
runtime=2
irounds=3
iruntime=1
configs=
timed=1
icount=1
report_only=0
doc=$top/docs
smp=1

while [ $# -gt 0 ]; do
	case $1 in
	--rounds) rounds=$2; shift 2 ;;
	--runtime) runtime=$2; shift 2 ;;
	--icount-rounds) irounds=$2; shift 2 ;;
	--icount-runtime) iruntime=$2; shift 2 ;;
	--configs) configs=$2; shift 2 ;;
	--no-timed) timed=0; shift ;;
	--no-icount) icount=0; shift ;;
	--report-only) report_only=1; shift ;;
	--doc) doc=$2; shift 2 ;;
	--smp) smp=$2; shift 2 ;;
	-h|--help) sed -n '3,24s/^# \{0,1\}//p' "$0"; exit 0 ;;
	*) echo "run-bench.sh: unknown argument $1" >&2; exit 2 ;;
	esac
done

logs=$out/bench
mkdir -p "$logs" "$doc"
case $smp in
[1-8]) ;;
*) echo "run-bench.sh: --smp takes 1 to 8" >&2; exit 2 ;;
esac
export DMTK_OUT="$out" DMTK_SMP="$smp" DMTK_MEM="${DMTK_MEM:-3072}"

# run NAME ICOUNT ROUNDS RUNTIME MEMDEVS: one VM boot; its console log is
# kept as $logs/NAME.log.
run() {
	env="BENCH_ROUNDS=$3 BENCH_RUNTIME=$4 BENCH_MEMDEVS=$5"
	[ -n "$configs" ] && env="$env BENCH_CONFIGS=$configs"
	[ "$smp" -gt 1 ] && env="$env BENCH_NUMJOBS=$smp"
	echo "bench: $1 run ($3 rounds, $4 s per job)"
	head=$(git -C "$top" rev-parse --short HEAD 2> /dev/null || echo unknown)
	# Progress only; the whole console log is kept.
	DMTK_ICOUNT=$2 "$top/scripts/vm.sh" --mode bench --timeout 7200 --env "$env" |
		grep --line-buffered -E '^BENCH-(ROUND|SKIP|FAIL|END)|^vm:|^DMTK-EXIT' || true
	cp "$out/console.log" "$logs/$1.log"
	# What was measured: the commit, and a digest of the module sources as
	# built (the work tree may differ from the commit).
	sums=$(cd "$out/src" && cat Kbuild dm-*/*.[ch] include/*.h 2> /dev/null | md5sum | cut -c1-12)
	# The host's load (other VMs) is what spreads the timed figures.
	load=$(awk '{ print $3 }' /proc/loadavg)
	echo "BENCH-HOST commit=$head sources=$sums load15=$load cpus=$(nproc)" >> "$logs/$1.log"
	grep -q '^DMTK-EXIT: 0' "$logs/$1.log" || {
		echo "bench: the $1 run failed (see $logs/$1.log, $out/kernel.log)" >&2
		return 1
	}
}

status=0
if [ $report_only = 0 ]; then
	rm -f "$logs/timed.log" "$logs/icount.log"
	# Memory figures do not depend on the clock: the timed run takes them.
	[ $timed = 1 ] && { run timed 0 "$rounds" "$runtime" 8 || status=1; }
	[ $icount = 1 ] && { run icount 1 "$irounds" "$iruntime" 0 || status=1; }
fi
t=$logs/timed.log
i=$logs/icount.log
[ -f "$t" ] || t=-
[ -f "$i" ] || i=-
if [ "$t" = - ] && [ "$i" = - ]; then
	echo "bench: no results" >&2
	exit 1
fi
"$top/scripts/bench/report.sh" "$t" "$i" "$doc/benchmarks.md" "$doc/benchmarks.png"
sed -n '/^### Targets/,/^The dm-flakey/p' "$doc/benchmarks.md"
exit $status
