#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Runs the VM test cases (inside the guest). Each case gets freshly loaded,
# zeroed brd ramdisks and a cleared kernel log; afterwards every dm device is
# removed and the case fails if the kernel log shows a splat. Prints one
# line per case and a totals line for the host runner.
#
# Environment: DMTK_ONLY     cases ("inject/003") or groups ("inject"), or all
#              DMTK_MODULES  the kit's modules to load
#              CASE_TIMEOUT  seconds per case (default 120)
#              DMTK_SHARD    I/N: run the Ith of every N cases (default 1/1)
#              DMTK_GEOMETRY 512 (brd ramdisks, default) or 4096: /dev/ram0..7
#                            are then memory-backed null_blk devices of the
#                            same names and size with 4096-byte logical
#                            blocks; a case whose header says
#                            "# geometry: 512 <why>" is skipped there.

TESTS=${TESTS:-/dmtk/tests}
export TESTS
CASE_TIMEOUT=${CASE_TIMEOUT:-120}
DMTK_SHARD=${DMTK_SHARD:-1/1}
DMTK_GEOMETRY=${DMTK_GEOMETRY:-512}
shard_i=${DMTK_SHARD%/*}
shard_n=${DMTK_SHARD#*/}
SPLAT='BUG:|WARNING:|Oops|general protection|kernel BUG|list_add corruption|list_del corruption|hung task|blocked for more than|refcount_t|UBSAN|soft lockup|rcu.*stall|KASAN|unreferenced object|Call Trace'
passed=0
failed=0
skipped=0
failed_names=

list_cases() {
	if [ -z "$DMTK_ONLY" ]; then
		for dir in "$TESTS"/*/; do
			group=$(basename "$dir")
			# The harness self-test fails on purpose; it runs on its own.
			# tool/ holds host cases of dmreplay (make test-tool).
			# vm/ boots nested guests: make test T=vm (docs/testing.md).
			case $group in selftest|tool|vm) continue ;; esac
			for c in "$dir"[0-9][0-9][0-9]; do
				[ -f "$c" ] && echo "$group/$(basename "$c")"
			done
		done
		return
	fi
	for item in $DMTK_ONLY; do
		if [ -d "$TESTS/$item" ]; then
			for c in "$TESTS/$item"/[0-9][0-9][0-9]; do
				[ -f "$c" ] && echo "$item/$(basename "$c")"
			done
		elif [ -f "$TESTS/$item" ]; then
			echo "$item"
		else
			echo "no such case or group: $item" >&2
			echo "missing/$item"
		fi
	done
}

# sharded LIST: every shard_n-th line of LIST, from the shard_i-th.
sharded() {
	awk -v i="$shard_i" -v n="$shard_n" '(NR - i) % n == 0'
}

NULLB=/sys/kernel/config/nullb

reset_ramdisks() {
	timeout 30 dmsetup remove_all --force > /dev/null 2>&1
	if [ "$DMTK_GEOMETRY" = 512 ]; then
		rmmod brd 2> /dev/null
		modprobe brd rd_nr=8 rd_size=65536 max_part=0
		return
	fi
	# Memory-backed null_blk named ram0..ram7 (a configfs device is named
	# after its directory); a new device starts zeroed, as brd does.
	for d in "$NULLB"/ram*; do
		[ -d "$d" ] || continue
		echo 0 > "$d/power"
		rmdir "$d"
	done
	for i in 0 1 2 3 4 5 6 7; do
		d=$NULLB/ram$i
		mkdir "$d" && echo 64 > "$d/size" && echo "$DMTK_GEOMETRY" > "$d/blocksize" &&
			echo 1 > "$d/memory_backed" && echo 1 > "$d/power" ||
			echo "run-guest: cannot create $d" >&2
	done
}

if [ "$DMTK_GEOMETRY" != 512 ]; then
	# brd must stay out: opening a missing block-major-1 device (a table
	# naming 1:N) would autoload it, and its ram0.. would clash with ours.
	mkdir -p /etc/modprobe.d
	echo "install brd /bin/false" > /etc/modprobe.d/dmtk-geometry.conf
	# null_blk pulls in configfs (a module), which makes /sys/kernel/config.
	modprobe null_blk nr_devices=0
	grep -q ' /sys/kernel/config ' /proc/mounts ||
		mount -t configfs configfs /sys/kernel/config
fi

uptime_cs() {
	awk '{ split($1, t, "."); print t[1] * 100 + t[2] }' /proc/uptime
}

record() {
	status=$1
	name=$2
	secs=$3
	desc=$4
	printf '%-4s %-14s %6ss  %s\n' "$status" "$name" "$secs" "$desc"
}

for m in $DMTK_MODULES; do
	modprobe "$m" || { echo "FAIL modprobe $m"; failed=$((failed + 1)); }
done

for name in $(list_cases | sharded); do
	case=$TESTS/$name
	if [ ! -f "$case" ]; then
		record FAIL "$name" 0 "no such case"
		failed=$((failed + 1))
		failed_names="$failed_names $name"
		continue
	fi
	desc=$(sed -n '2s/^# description: //p' "$case")
	needs=$(sed -n '3,6s/^# geometry: //p' "$case")
	if [ -n "$needs" ] && [ "${needs%% *}" != "$DMTK_GEOMETRY" ]; then
		record skip "$name" 0 "$desc"
		echo "    SKIP: geometry ${needs%% *} only:${needs#"${needs%% *}"}"
		skipped=$((skipped + 1))
		continue
	fi
	reset_ramdisks
	dmesg -c > /dev/null
	echo "dmtk: start $name" > /dev/kmsg
	start=$(uptime_cs)
	(cd /tmp && timeout -s KILL "$CASE_TIMEOUT" sh "$case") > /tmp/case.out 2>&1
	rc=$?
	end=$(uptime_cs)
	timeout 30 dmsetup remove_all --force > /tmp/case.cleanup 2>&1
	echo "dmtk: end $name" > /dev/kmsg
	dmesg -c > /tmp/case.kmsg
	# The kit's repeatable log lines are rate-limited per call site (10 per
	# 5 s): after a case that printed many, let the window pass so the next
	# case's lines are not suppressed.
	if [ "$(grep -cE 'device-mapper: (verify|inject|replay):' /tmp/case.kmsg)" -ge 10 ]; then
		sleep 5
	fi
	secs=$(awk -v d=$((end - start)) 'BEGIN { printf "%.1f", d / 100 }')
	splat=$(grep -E "$SPLAT" /tmp/case.kmsg)
	if [ $rc = 137 ]; then
		echo "    FAIL: timed out after ${CASE_TIMEOUT}s" >> /tmp/case.out
	fi
	if [ $rc = 77 ] && [ -z "$splat" ]; then
		record skip "$name" "$secs" "$desc"
		sed 's/^/    /' /tmp/case.out | tail -n 5
		skipped=$((skipped + 1))
	elif [ $rc = 0 ] && [ -z "$splat" ]; then
		record ok "$name" "$secs" "$desc"
		passed=$((passed + 1))
	else
		record FAIL "$name" "$secs" "$desc"
		tail -n 40 /tmp/case.out | sed 's/^/    | /'
		if [ -n "$splat" ]; then
			echo "    kernel log of $name:"
			grep -E -B2 -A12 "$SPLAT" /tmp/case.kmsg | head -n 30 | sed 's/^/    ! /'
		fi
		failed=$((failed + 1))
		failed_names="$failed_names $name"
	fi
done

# The kit's modules must unload cleanly: no leaked references.
reset_ramdisks
for m in $DMTK_MODULES; do
	mod=$(echo "$m" | tr - _)
	if grep -q "^$mod " /proc/modules && ! rmmod "$m"; then
		record FAIL "unload/$m" 0 "rmmod $m after the suite"
		failed=$((failed + 1))
		failed_names="$failed_names unload/$m"
	fi
done
# Debug kernel: a kmemleak scan; leaks with dm code in their backtrace fail.
if [ -w /sys/kernel/debug/kmemleak ]; then
	echo scan > /sys/kernel/debug/kmemleak
	cat /sys/kernel/debug/kmemleak > /tmp/kmemleak
	if grep -q 'dm_\|dmtk' /tmp/kmemleak; then
		record FAIL "kmemleak" 0 "leaks from device-mapper code"
		head -n 40 /tmp/kmemleak | sed 's/^/    ! /'
		failed=$((failed + 1))
		failed_names="$failed_names kmemleak"
	fi
fi
splat=$(dmesg | grep -E "$SPLAT")
if [ -n "$splat" ]; then
	record FAIL "kernel-log" 0 "kernel log after the suite"
	echo "$splat" | head -n 40 | sed 's/^/    ! /'
	failed=$((failed + 1))
fi

[ -n "$failed_names" ] && echo "failed:$failed_names"
echo "vm-totals passed=$passed failed=$failed skipped=$skipped"
[ $failed = 0 ]
