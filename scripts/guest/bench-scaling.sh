#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# make bench-scaling, inside the VM (DMTK_MODE=bench-scaling): the cost of
# one request against the queue depth, for each kit target and dm-linear,
# over null_blk devices that keep the requests in flight (memory-backed,
# completed by an hrtimer, irqmode=2). Run under the instruction-count
# clock (-icount shift=0): one guest nanosecond is one guest instruction,
# and idle time passes without executing anything, so the CPU time the
# guest spent busy (elapsed minus idle and iowait, both measured to the
# centisecond by the tickless idle accounting) divided by the requests
# done is the instructions one request costs, fio's own share included
# (dm-linear's figure is that share plus dm core's).
#
# Each point gets fresh devices whose completion time grows with the queue
# depth (completion_nsec = QD x BENCH_CNSEC), so that every request waits in
# the device and QD requests stay in flight in the target (in dm-verify's
# range lock, in dm-replay's pending set), while the CPU still idles.
#
# Output lines (parsed by scripts/bench/scaling-report.sh):
#   SCALE-META key=value...
#   SCALE-RES cfg=NAME wl=WORKLOAD qd=N ios=N busy_cs=N elapsed_cs=N
#   SCALE-SKIP cfg=NAME reason...
#
# Workloads: rr (4k random reads), rw (4k random writes), ow (4k random
# writes within 64 KiB: sixteen blocks, so at depth 16 and more requests
# overlap and dm-verify orders them). All start at 1 MiB, span 24 MiB.
# Configurations: linear, verify, inject0 (no rules), inject1k (1,000
# rules, all above the I/O: the span check skips them), inject1kw (1,000
# rules below and above the I/O: every request walks them, none matches),
# replay (record, log on a null_blk device without memory).
#
# Environment: BENCH_CONFIGS, BENCH_WLS, BENCH_QDS (comma-separated),
#   BENCH_RUNTIME (guest seconds per point, default 1), BENCH_CNSEC
#   (nanoseconds of completion time per unit of depth, default 100000),
#   BENCH_NUMJOBS (fio jobs submitting at once, each at the point's depth,
#   default 1; with -smp N, N jobs measure the targets' locks under
#   contention, timed), BENCH_ROUNDS (sweeps, default 1; with the timed
#   clock, rounds give the spread).
# busy_cs is CPU time over all the guest's CPUs (CPUs x elapsed - idle).
set -u

CONFIGS=$(echo "${BENCH_CONFIGS:-linear,verify,inject0,inject1k,inject1kw,replay}" | tr ',' ' ')
WLS=$(echo "${BENCH_WLS:-rr,rw,ow}" | tr ',' ' ')
QDS=$(echo "${BENCH_QDS:-1,4,16,64,256,1024}" | tr ',' ' ')
RUNTIME=${BENCH_RUNTIME:-1}
NUMJOBS=${BENCH_NUMJOBS:-1}
ROUNDS=${BENCH_ROUNDS:-1}
CPUS=$(grep -c ^processor /proc/cpuinfo)
CNSEC=${BENCH_CNSEC:-100000}
NULLB=/sys/kernel/config/nullb
self=$(cd "$(dirname "$0")" && pwd)/$(basename "$0")
SIZE_MB=32
SECTORS=$((SIZE_MB * 2048))
export DM_DISABLE_UDEV=1

# nullb_make NAME MEMORY IRQMODE CNSEC SIZE_MB
nullb_make() {
	d=$NULLB/$1
	mkdir "$d" || return 1
	echo "$5" > "$d/size" &&
		echo 512 > "$d/blocksize" &&
		echo "$2" > "$d/memory_backed" &&
		echo "$3" > "$d/irqmode" &&
		echo "$4" > "$d/completion_nsec" &&
		echo "$CPUS" > "$d/submit_queues" &&
		echo 1024 > "$d/hw_queue_depth" &&
		echo 1 > "$d/power"
}

nullb_drop() {
	for d in "$NULLB"/sc*; do
		[ -d "$d" ] || continue
		echo 0 > "$d/power"
		rmdir "$d"
	done
}

# table_of CFG
table_of() {
	case $1 in
	linear) echo "0 $SECTORS linear /dev/sc0 0" ;;
	verify) echo "0 $SECTORS verify /dev/sc0 0 /dev/sc1 0" ;;
	inject0) echo "0 $SECTORS inject /dev/sc0 0" ;;
	inject1k)
		awk -v n="$SECTORS" 'BEGIN {
			printf "0 %d inject /dev/sc0 0 1000", n
			for (i = 0; i < 1000; i++)
				printf " error:event=any,sector=%d", 53248 + i * 11
			print ""
		}' ;;
	inject1kw)
		# 999 rules in the first MiB, one above the I/O: the span of the
		# rules covers every request, no rule matches one.
		awk -v n="$SECTORS" 'BEGIN {
			printf "0 %d inject /dev/sc0 0 1000", n
			for (i = 0; i < 999; i++)
				printf " error:event=any,sector=%d", i * 2
			printf " error:event=any,sector=%d\n", 60000
		}' ;;
	replay) echo "0 $SECTORS replay record /dev/sc0 /dev/sclog" ;;
	esac
}

fio_args() {
	case $1 in
	rr) echo "--rw=randread --offset=1m --size=24m" ;;
	rw) echo "--rw=randwrite --offset=1m --size=24m" ;;
	ow) echo "--rw=randwrite --offset=1m --size=64k" ;;
	esac
}

# uptime and idle+iowait, in centiseconds
clock_cs() {
	idle=$(awk '$1 == "cpu" { print $5 + $6 }' /proc/stat)
	up=$(awk '{ split($1, t, "."); print t[1] * 100 + t[2] }' /proc/uptime)
	echo "$up $idle"
}

# point CFG WL QD
point() {
	cfg=$1 wl=$2 qd=$3
	dmsetup remove_all --force > /dev/null 2>&1
	nullb_drop
	cn=$((qd * CNSEC))
	nullb_make sc0 1 2 "$cn" "$SIZE_MB" || { echo "SCALE-SKIP cfg=$cfg nullb"; return 1; }
	case $cfg in
	verify) nullb_make sc1 1 2 "$cn" "$SIZE_MB" || return 1 ;;
	replay) nullb_make sclog 0 0 0 65536 || return 1 ;;
	esac
	table_of "$cfg" > /tmp/scale.table
	if ! dmsetup create sc < /tmp/scale.table 2> /tmp/scale.err; then
		echo "SCALE-SKIP cfg=$cfg $(tr '\n' ' ' < /tmp/scale.err)"
		return 1
	fi
	echo "SCALE-POINT cfg=$cfg wl=$wl qd=$qd"
	batch=$qd
	[ "$batch" -gt 64 ] && batch=64
	# The clocks are read by fio around the job itself, so that its start
	# (parsing, buffers, forks) is not counted.
	# fio keeps a pre/post command's output in <job>.prerun.txt and
	# <job>.postrun.txt of the working directory.
	cd /tmp || return 1
	rm -f s.prerun.txt s.postrun.txt
	# shellcheck disable=SC2046
	timeout 300 fio --name=s --filename=/dev/mapper/sc --direct=1 --ioengine=libaio \
		--bs=4k --iodepth="$qd" --iodepth_batch_submit="$batch" \
		--iodepth_batch_complete_min=1 --runtime="$RUNTIME" --time_based=1 \
		--randrepeat=1 --norandommap=1 --invalidate=0 $(fio_args "$wl") \
		--numjobs="$NUMJOBS" --group_reporting=1 \
		--exec_prerun="/bin/sh $self --clock" --exec_postrun="/bin/sh $self --clock" \
		--output-format=terse --terse-version=3 > /tmp/scale.fio 2>&1
	rc=$?
	if [ -s s.prerun.txt ] && [ -s s.postrun.txt ]; then
		# shellcheck disable=SC2046
		set -- $(cat s.prerun.txt s.postrun.txt)
		busy=$((CPUS * ($3 - $1) - ($4 - $2)))
		elapsed=$(($3 - $1))
	else
		rc=1
	fi
	if [ $rc != 0 ]; then
		echo "SCALE-SKIP cfg=$cfg wl=$wl qd=$qd fio failed: $(tail -n 3 /tmp/scale.fio | tr '\n' ' ')"
		return 1
	fi
	awk -F';' -v c="$cfg" -v w="$wl" -v q="$qd" -v b="$busy" -v e="$elapsed" \
		-v r="$round" -v j="$NUMJOBS" '
		/^3;/ {
			ios = ($6 + $47) / 4
			printf "SCALE-RES cfg=%s wl=%s qd=%s ios=%d busy_cs=%d elapsed_cs=%d round=%d jobs=%d\n",
				c, w, q, ios, b, e, r, j
		}' /tmp/scale.fio
	dmsetup remove sc
	return 0
}

if [ "${1:-}" = --clock ]; then
	clock_cs
	exit 0
fi

for m in $DMTK_MODULES; do
	modprobe "$m" || echo "SCALE-WARN modprobe $m failed"
done
rmmod null_blk 2> /dev/null
modprobe null_blk nr_devices=0 || { echo "SCALE-FAIL null_blk"; exit 1; }
[ -d $NULLB ] || mount -t configfs none /sys/kernel/config
echo "SCALE-META kernel=$(uname -r) fio=$(fio --version) runtime=$RUNTIME cnsec=$CNSEC cpus=$CPUS jobs=$NUMJOBS rounds=$ROUNDS"

failures=0
round=1
while [ "$round" -le "$ROUNDS" ]; do
	for wl in $WLS; do
		for cfg in $CONFIGS; do
			for qd in $QDS; do
				point "$cfg" "$wl" "$qd" || failures=$((failures + 1))
			done
		done
	done
	round=$((round + 1))
done
dmsetup remove_all --force > /dev/null 2>&1
nullb_drop
echo "SCALE-END failures=$failures"
[ $failures = 0 ]
