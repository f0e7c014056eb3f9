#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# make bench-scaling: how the cost of a request grows. Boots the test VM
# once under the instruction-count clock and runs
# scripts/guest/bench-scaling.sh (per-request cost against queue depth),
# runs the host-side curves (scripts/bench/scaling-host.sh: dm-verify's
# range lock and dm-inject's rule matching against their sizes, dmreplay's
# verbs against the log's length), then fits and plots every curve
# (scripts/bench/scaling-report.sh) into docs/benchmarks-scaling.md and
# docs/scaling-*.png; scripts/bench/report.sh appends that section to
# docs/benchmarks.md.
#
# Usage: scripts/run-bench-scaling.sh [options]
#   --configs LIST   VM configurations (default all, see bench-scaling.sh)
#   --wls LIST       workloads rr,rw,ow (default all)
#   --qds LIST       queue depths (default 1,4,16,64,256,1024)
#   --runtime S      guest seconds per point (default 1)
#   --no-vm, --no-host   leave one part out (the kept results are reused)
#   --report-only    redo the document from the kept results
#   --doc DIR        where the document and plots go (default docs/)
# Environment: DMTK_OUT (results in $DMTK_OUT/bench), DMTK_KERNEL (6.1 or
#   6.12), as for scripts/vm.sh.
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
out=${DMTK_OUT:-$top/out}
env=
vm=1
host=1
doc=$top/docs

while [ $# -gt 0 ]; do
	case $1 in
	--configs) env="$env BENCH_CONFIGS=$2"; shift 2 ;;
	--wls) env="$env BENCH_WLS=$2"; shift 2 ;;
	--qds) env="$env BENCH_QDS=$2"; shift 2 ;;
	--runtime) env="$env BENCH_RUNTIME=$2"; shift 2 ;;
	--no-vm) vm=0; shift ;;
	--no-host) host=0; shift ;;
	--report-only) vm=0; host=0; shift ;;
	--doc) doc=$2; shift 2 ;;
	-h|--help) sed -n '3,24s/^# \{0,1\}//p' "$0"; exit 0 ;;
	*) echo "run-bench-scaling.sh: unknown argument $1" >&2; exit 2 ;;
	esac
done

logs=$out/bench
mkdir -p "$logs" "$doc"
export DMTK_OUT="$out" DMTK_SMP=1 DMTK_MEM="${DMTK_MEM:-3072}"
status=0

if [ $vm = 1 ]; then
	echo "bench-scaling: VM run under the instruction-count clock"
	kernel=
	[ -n "${DMTK_KERNEL:-}" ] && kernel="--kernel $DMTK_KERNEL"
	# shellcheck disable=SC2086
	DMTK_ICOUNT=1 "$top/scripts/vm.sh" --mode bench-scaling --timeout 7200 $kernel \
		--env "$env" | grep --line-buffered -E '^SCALE-|^vm:|^DMTK-EXIT' || true
	cp "$out/console.log" "$logs/scaling-vm.log"
	head=$(git -C "$top" rev-parse --short HEAD 2> /dev/null || echo unknown)
	sums=$(cd "$out/src" && cat Kbuild dm-*/*.[ch] include/*.h 2> /dev/null | md5sum | cut -c1-12)
	echo "SCALE-HOST commit=$head sources=$sums" >> "$logs/scaling-vm.log"
	grep -q '^DMTK-EXIT: 0' "$logs/scaling-vm.log" || {
		echo "bench-scaling: the VM run failed (see $logs/scaling-vm.log)" >&2
		status=1
	}
fi
if [ $host = 1 ]; then
	echo "bench-scaling: host curves"
	"$top/scripts/bench/scaling-host.sh" > "$logs/scaling-host.log" || status=1
fi
"$top/scripts/bench/scaling-report.sh" "$logs/scaling-vm.log" "$logs/scaling-host.log" "$doc"
exit $status
