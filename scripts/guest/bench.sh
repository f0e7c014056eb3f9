#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# The benchmark, inside the VM (DMTK_MODE=bench; tests/stack/050 runs a
# short round of it). Every configuration runs the fio jobs of
# scripts/bench/jobs.fio on the same backing devices; within each round the
# configurations follow each other job by job, so that slow drift of the
# host hits all of them alike and ratios stay meaningful. Results go to
# stdout as lines the host's scripts/bench/report.sh parses:
#   BENCH-META key=value...
#   BENCH-SKIP cfg=NAME reason...
#   BENCH-RES round=R cfg=NAME job=JOB iops=N bw_kib=N kib=N ms=N \
#             errors=N log_sectors=N drain_cs=N
#   BENCH-MEM cfg=NAME devs=K slab_kib=N percpu_kib=N free_kib=N bios=LIST
#   BENCH-MOD name=MODULE bytes=N
#
# Devices: brd ramdisks /dev/ram0 (single-device configurations),
# /dev/ram1 + /dev/ram2 (the two legs of dm-verify, its two-leg quorum,
# dm-mirror, dm-raid and the two linear devices), /dev/ram3 (data device of
# the two loggers), /dev/ram4..6 (the three legs of dm-verify quorum and of
# three-leg dm-raid raid1; kept apart so they always agree), all
# written in full first so that reads copy real pages; the loggers' log is
# a null_blk device without memory backing, large enough never to fill, so
# the log costs both loggers the same and no memory.
#
# Environment: BENCH_ROUNDS (7), BENCH_RUNTIME (fio runtime per job, "2"),
#   BENCH_CONFIGS (names to run, default all), BENCH_JOBS (jobs of
#   jobs.fio to run where they apply, default all), BENCH_MEMDEVS (devices
#   per configuration for the memory figures, 8; 0 skips them),
#   BENCH_NUMJOBS (fio jobs submitting at once, each at the job's depth;
#   default 1: for runs with more than one guest CPU), DMTK_MODULES.

ROUNDS=${BENCH_ROUNDS:-7}
RUNTIME=${BENCH_RUNTIME:-2}
MEMDEVS=${BENCH_MEMDEVS:-8}
JOBS_FILE=${DMTK:-/dmtk}/scripts/bench/jobs.fio
SECTORS=131072
# Above the 48 MiB (98304 sectors) that the fio jobs touch.
FAR=100000
export DM_DISABLE_UDEV=1

ALL_CONFIGS="raw linear flakey delay inject0 inject1 inject1k injectp1 \
linear2 verify verify_vw quorum2 quorum3 mirror raid1 raid1_3 logwrites replay"
# Names may be separated by commas (the VM runner splits --env on spaces).
CONFIGS=$(echo "${BENCH_CONFIGS:-$ALL_CONFIGS}" | tr ',' ' ')
JOBS=$(echo "${BENCH_JOBS:-rr1 rr32 rw1 rw32 sw128 rwf}" | tr ',' ' ')

uptime_cs() {
	awk '{ split($1, t, "."); print t[1] * 100 + t[2] }' /proc/uptime
}

# jobs_of CFG: the jobs that mean something for a configuration.
jobs_of() {
	case $1 in
	linear) echo "rr1 rr32 rw1 rw32 sw128 rwf" ;;
	linear2) echo "rr1 rr32" ;;
	verify_vw | mirror | raid1) echo "rw1 rw32 sw128" ;;
	logwrites | replay) echo "rw1 rw32 sw128 rwf" ;;
	*) echo "rr1 rr32 rw1 rw32 sw128" ;;
	esac
}

# table_of CFG: the table of dm device bench-CFG (one line; inject1k is
# long: 1,000 rules on sectors that no job touches).
table_of() {
	case $1 in
	linear) echo "0 $SECTORS linear /dev/ram0 0" ;;
	flakey) echo "0 $SECTORS flakey /dev/ram0 0 3600 0" ;;
	delay) echo "0 $SECTORS delay /dev/ram0 0 0" ;;
	inject0) echo "0 $SECTORS inject /dev/ram0 0" ;;
	inject1) echo "0 $SECTORS inject /dev/ram0 0 1 error:event=any,sector=$FAR" ;;
	inject1k)
		awk -v n="$SECTORS" -v far="$FAR" 'BEGIN {
			printf "0 %d inject /dev/ram0 0 1000", n
			for (i = 0; i < 1000; i++)
				printf " error:event=any,sector=%d", far + i * 31
			print ""
		}' ;;
	injectp1) echo "0 $SECTORS inject /dev/ram0 0 2 seed:1 error:event=any,probability=1" ;;
	verify) echo "0 $SECTORS verify /dev/ram1 0 /dev/ram2 0" ;;
	verify_vw) echo "0 $SECTORS verify /dev/ram1 0 /dev/ram2 0 1 verify_writes" ;;
	quorum2) echo "0 $SECTORS verify quorum 2 2 /dev/ram1 0 /dev/ram2 0" ;;
	quorum3) echo "0 $SECTORS verify quorum 2 3 /dev/ram4 0 /dev/ram5 0 /dev/ram6 0" ;;
	mirror) echo "0 $SECTORS mirror core 2 1024 nosync 2 /dev/ram1 0 /dev/ram2 0" ;;
	raid1) echo "0 $SECTORS raid raid1 4 0 region_size 1024 nosync 2 - /dev/ram1 - /dev/ram2" ;;
	raid1_3) echo "0 $SECTORS raid raid1 4 0 region_size 1024 nosync 3 - /dev/ram4 - /dev/ram5 - /dev/ram6" ;;
	logwrites) echo "0 $SECTORS log-writes /dev/ram3 /dev/nullb0" ;;
	replay) echo "0 $SECTORS replay record /dev/ram3 /dev/nullb0" ;;
	esac
}

# create CFG [NAME]: set up a configuration's dm device(s); prints the
# device(s) fio is to use. Returns non-zero with the reason on stderr.
create() {
	cfg=$1
	name=${2:-bench-$1}
	case $cfg in
	raw) echo /dev/ram0; return 0 ;;
	linear2)
		dmsetup create "$name-a" --table "0 $SECTORS linear /dev/ram1 0" || return 1
		if ! dmsetup create "$name-b" --table "0 $SECTORS linear /dev/ram2 0"; then
			dmsetup remove "$name-a"
			return 1
		fi
		echo "/dev/mapper/$name-a:/dev/mapper/$name-b"
		return 0 ;;
	esac
	table_of "$cfg" > /tmp/bench.table
	dmsetup create "$name" < /tmp/bench.table || return 1
	echo "/dev/mapper/$name"
}

destroy() {
	cfg=$1
	name=${2:-bench-$1}
	case $cfg in
	raw) ;;
	linear2) dmsetup remove "$name-a" && dmsetup remove "$name-b" ;;
	*) dmsetup remove "$name" ;;
	esac
}

# log_sectors CFG: log sectors used so far by a logger, else 0.
# dm-log-writes reports the last sector it used, dm-replay the next free one.
log_sectors() {
	case $1 in
	logwrites) dmsetup status bench-logwrites | awk '{ print $5 + 1 }' ;;
	replay) dmsetup status bench-replay | awk '{ print $6 }' ;;
	*) echo 0 ;;
	esac
}

# run_job ROUND CFG JOB: one fio run on a freshly created device.
run_job() {
	round=$1
	cfg=$2
	job=$3
	dev=$(create "$cfg") || { echo "BENCH-FAIL cfg=$cfg job=$job: create"; return 1; }
	extra=
	# dm-inject's probabilistic errors: fio counts the failed I/Os and goes on.
	[ "$cfg" = injectp1 ] && extra=--continue_on_error=io
	njobs=
	[ -n "${BENCH_NUMJOBS:-}" ] && njobs=--numjobs=$BENCH_NUMJOBS
	# shellcheck disable=SC2086
	BENCH_DEV=$dev BENCH_RUNTIME=$RUNTIME fio --section="$job" $extra $njobs \
		--output-format=terse --terse-version=3 "$JOBS_FILE" \
		> /tmp/bench.fio 2> /tmp/bench.fio.err
	rc=$?
	# dm-log-writes keeps completed writes in memory and logs them (from a
	# thread) only when a flush comes: after fio, both loggers get a flush,
	# then the wait until the log stops growing is timed; the report gives
	# IOPS with that drain time included as well.
	drain=0
	logged=0
	if [ "$cfg" = logwrites ] || [ "$cfg" = replay ]; then
		t0=$(uptime_cs)
		xfs_io -c fsync "$dev"
		logged=$(log_sectors "$cfg")
		while :; do
			sleep 0.1
			now=$(log_sectors "$cfg")
			[ "$now" = "$logged" ] && break
			logged=$now
		done
		drain=$(($(uptime_cs) - t0 - 10))
		[ $drain -lt 0 ] && drain=0
	fi
	destroy "$cfg"
	# With continue_on_error fio exits non-zero once an I/O failed: the
	# terse line is what counts.
	if ! grep -q '^3;' /tmp/bench.fio ||
		{ [ $rc != 0 ] && [ "$cfg" != injectp1 ]; }; then
		echo "BENCH-FAIL cfg=$cfg job=$job: fio rc $rc"
		sed 's/^/    | /' /tmp/bench.fio.err | head -n 5
		return 1
	fi
	# Terse v3: 5 first error, 6-9 read KiB, KiB/s, IOPS, runtime (ms);
	# 47-50 the same for writes (a job does one or the other: take the sum);
	# then one group of statistics per disk below the device, and with
	# continue_on_error the error count and the first error at the end.
	awk -F';' -v r="$round" -v c="$cfg" -v j="$job" -v l="$logged" -v d="$drain" \
		-v coe="$extra" '
		/^3;/ {
			errs = coe != "" ? $(NF - 1) : 0
			printf "BENCH-RES round=%s cfg=%s job=%s iops=%s bw_kib=%d kib=%d ms=%d errors=%d log_sectors=%s drain_cs=%d\n",
				r, c, j, $8 + $49, $7 + $48, $6 + $47, $9 + $50, errs, l, d
		}' /tmp/bench.fio
}

meminfo_kib() {
	awk -v k="$1:" '$1 == k { print $2 }' /proc/meminfo
}

bio_caches() {
	awk '/^bio-/ { print $1 }' /proc/slabinfo | sort
}

# mem_figures CFG: slab, per-cpu and free memory per device from MEMDEVS
# devices of a configuration, and the bio slab caches (their names carry
# the object size: dm core's per-request data plus the target's) that one
# device brings into being.
mem_figures() {
	cfg=$1
	[ "$cfg" = raw ] && return 0
	bio_caches > /tmp/bench.bio0
	sync
	echo 3 > /proc/sys/vm/drop_caches
	slab0=$(meminfo_kib SUnreclaim)
	pcpu0=$(meminfo_kib Percpu)
	free0=$(meminfo_kib MemFree)
	i=0
	while [ $i -lt "$MEMDEVS" ]; do
		create "$cfg" "benchmem-$cfg-$i" > /dev/null || break
		i=$((i + 1))
	done
	sync
	echo 3 > /proc/sys/vm/drop_caches
	slab1=$(meminfo_kib SUnreclaim)
	pcpu1=$(meminfo_kib Percpu)
	free1=$(meminfo_kib MemFree)
	bios=$(bio_caches | awk 'NR == FNR { old[$1] = 1; next } !old[$1]' \
		/tmp/bench.bio0 - | tr '\n' ',' | sed 's/,$//')
	n=$i
	while [ $i -gt 0 ]; do
		i=$((i - 1))
		destroy "$cfg" "benchmem-$cfg-$i"
	done
	[ "$n" -gt 0 ] || { echo "BENCH-SKIP cfg=$cfg memory: create failed"; return 0; }
	echo "BENCH-MEM cfg=$cfg devs=$n slab_kib=$((slab1 - slab0)) percpu_kib=$((pcpu1 - pcpu0)) free_kib=$((free0 - free1)) bios=${bios:--}"
}

setup() {
	# scripts/guest/init set up module autoloading and crc32c-intel.
	for m in $DMTK_MODULES dm-flakey dm-delay dm-log-writes dm-mirror dm-raid raid1 \
		crc32c-intel; do
		modprobe "$m" || echo "BENCH-WARN modprobe $m failed"
	done
	dmsetup remove_all --force > /dev/null 2>&1
	rmmod brd 2> /dev/null
	modprobe brd rd_nr=7 rd_size=$((SECTORS / 2)) max_part=0 || return 1
	rmmod null_blk 2> /dev/null
	modprobe null_blk nr_devices=1 gb=256 memory_backed=0 irqmode=0 \
		queue_mode=2 || return 1
	disks="0 1 2 3"
	# The three-leg configurations' own ramdisks, only when they run
	# (filling 192 MiB takes a while under emulation).
	case " $CONFIGS " in
	*" quorum3 "* | *" raid1_3 "*) disks="$disks 4 5 6" ;;
	esac
	for d in $disks; do
		dd if=/dev/zero of=/dev/ram$d bs=1M count=$((SECTORS / 2048)) \
			oflag=direct status=none || return 1
	done
}

teardown() {
	dmsetup remove_all --force > /dev/null 2>&1
	rmmod null_blk
}

setup || { echo "BENCH-FAIL set-up"; exit 1; }

crc=$(awk '$1 == "name" && $3 == "crc32c" { n = 1; next } n && $1 == "driver" { print $3; exit }' /proc/crypto)
echo "BENCH-META kernel=$(uname -r) fio=$(fio --version) rounds=$ROUNDS runtime=$RUNTIME cpus=$(grep -c ^processor /proc/cpuinfo) crc32c=${crc:-none}"

# A configuration that cannot be created (its module is missing or rejects
# the table) is reported once and left out, so the others still run.
configs=
for cfg in $CONFIGS; do
	case " $ALL_CONFIGS " in
	*" $cfg "*) ;;
	*) echo "BENCH-SKIP cfg=$cfg unknown configuration"; continue ;;
	esac
	if dev=$(create "$cfg" 2> /tmp/bench.err); then
		destroy "$cfg"
		configs="$configs $cfg"
	else
		echo "BENCH-SKIP cfg=$cfg $(tr '\n' ' ' < /tmp/bench.err)"
	fi
done

failures=0
start=$(uptime_cs)
round=1
while [ $round -le "$ROUNDS" ]; do
	round_start=$(uptime_cs)
	for job in $JOBS; do
		for cfg in $configs; do
			case " $(jobs_of "$cfg") " in
			*" $job "*) run_job "$round" "$cfg" "$job" || failures=$((failures + 1)) ;;
			esac
		done
	done
	echo "BENCH-ROUND round=$round secs=$((($(uptime_cs) - round_start) / 100))"
	round=$((round + 1))
done

if [ "$MEMDEVS" -gt 0 ]; then
	for cfg in $configs; do
		mem_figures "$cfg"
	done
	for m in dm_mod dm_flakey dm_delay dm_inject dm_verify dm_replay \
		dm_log_writes dm_mirror dm_region_hash dm_log dm_raid raid1 md_mod; do
		awk -v m="$m" '$1 == m { print "BENCH-MOD name=" m " bytes=" $2 }' /proc/modules
	done
fi
echo "BENCH-END secs=$((($(uptime_cs) - start) / 100)) failures=$failures"
teardown
[ $failures = 0 ]
