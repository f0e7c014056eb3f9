#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# PID 1 of the rootfs VM (make fstests), started by scripts/guest/rootfs-boot
# on the Debian image with the run's payload at /dmtk:
#   /dmtk/run.conf        what to run (written by scripts/run-fstests.sh)
#   /dmtk/lib/modules     the cloud kernel's modules plus the kit's (extra/)
#   /dmtk/bin             the kit's tools (dmreplay, dm2inject, dmtk-replay-log)
#   /dmtk/fstests-stock   the user's fstests, built in a chroot of the image
#   /dmtk/fstests-kit     the same with scripts/fstests-overlay.sh applied
# Devices: /dev/vdc TEST_DEV, /dev/vdd SCRATCH_DEV, /dev/vde LOGWRITES_DEV,
# /dev/vdf receives a tar of the results for the host.
# Runs each test once per target with fstests' own ./check, shows check's
# output, and prints one line per test for the host's table:
#   FSTESTS-RESULT: TARGET TEST pass|fail|notrun|skip WALL FST REASON
# WALL: seconds of the whole ./check run (start-up, mounts, the checks
# after the test); FST: the test's own time as check reports it, or "-".
# then "DMTK-EXIT: N" (0 when no test failed) and powers off.
set -u
# shellcheck source=scripts/guest/rootfs-lib.sh
. /dmtk/rootfs-lib.sh
rootfs_guest_setup
hostname dmtk-fstests

# shellcheck disable=SC1091
. /dmtk/run.conf
echo "fstests-vm: $(uname -r), booted in $(cut -d' ' -f1 /proc/uptime) s"
echo 0 > /proc/sys/kernel/panic_on_oops

# The kernel's modules come with the payload (one image serves every kernel).
mkdir -p /lib/modules
mount --bind /dmtk/lib/modules /lib/modules
rootfs_guest_udev
modprobe dm-mod
modprobe loop
[ "$FSTYP" = xfs ] && modprobe xfs
for m in dm-inject dm-replay dm-verify; do
	modprobe "$m" || echo "fstests-vm: the kit's $m did not load"
done

export DMTK_DM2INJECT=/dmtk/bin/dm2inject DMTK_REPLAY_LOG=/dmtk/bin/dmtk-replay-log
# kit_gap TEST: why the kit cannot run TEST yet (empty: it can).
kit_gap() {
	local t=/dmtk/fstests-kit/tests/$1
	if grep -Eq 'common/dm(flakey|dust|delay|error)' "$t" && [ ! -x "$DMTK_DM2INJECT" ]; then
		echo "no scripts/dm2inject in this kit (issue 15, branch stockinject)"
	elif grep -q 'common/dmlogwrites' "$t"; then
		if [ ! -x "$DMTK_REPLAY_LOG" ]; then
			echo "no dmtk-replay-log in this kit (issue 15, branch logwrites)"
		elif [ -n "$LOGWRITES_FORMAT_GAP" ]; then
			echo "$LOGWRITES_FORMAT_GAP"
		fi
	fi
}

# Does the kit's replay target take format:log-writes? One small try.
LOGWRITES_FORMAT_GAP=
case " $TARGETS " in
*" kit "*)
	sz=$(blockdev --getsz /dev/vde)
	if ! dmsetup create dmtk-probe --table "0 $sz replay record /dev/vdd /dev/vde 1 format:log-writes" 2> /tmp/probe.err; then
		LOGWRITES_FORMAT_GAP="replay record does not take format:log-writes here ($(head -n1 /tmp/probe.err))"
	else
		dmsetup remove dmtk-probe
	fi
	;;
esac

mkdir -p /mnt/test /mnt/scratch /dmtk/results
cat > /tmp/local.config << EOC
export FSTYP=$FSTYP
export TEST_DEV=/dev/vdc
export TEST_DIR=/mnt/test
export SCRATCH_DEV=/dev/vdd
export SCRATCH_MNT=/mnt/scratch
export LOGWRITES_DEV=/dev/vde
EOC

# release_devices TEST: after TEST timed out, kill what it left running,
# unmount and remove its device-mapper devices. Prints why the VM cannot go
# on (a device still held, typically by a task in D state), or nothing.
release_devices() {
	local left
	pkill -KILL -f "fsstress|fsx|replay-log|xfs_io|dmsetup" 2> /dev/null
	sleep 2
	umount -l /mnt/scratch 2> /dev/null
	for d in $(dmsetup ls 2> /dev/null | awk '$1 != "No" { print $1 }'); do
		dmsetup remove --force "$d" > /dev/null 2>&1
	done
	left=$(dmsetup ls 2> /dev/null | awk '$1 != "No" { printf "%s ", $1 }')
	if [ -n "$left" ]; then
		echo "device-mapper devices $left still held after $1 timed out"
	# O_EXCL, as mkfs checks ("apparently in use by the system")
	elif ! perl -MFcntl -e 'sysopen(my $f, "/dev/vdd", O_RDONLY | O_EXCL) or exit 1'; then
		echo "/dev/vdd still in use after $1 timed out"
	fi
}

failed=0
for target in $TARGETS; do
	tree=/dmtk/fstests-$target
	cp /tmp/local.config "$tree/local.config"
	echo "RESULT_BASE=/dmtk/results/$target" >> "$tree/local.config"
	echo "=== fstests, $target targets, $FSTYP, $(uname -r)"
	case $FSTYP in
	xfs) mkfs.xfs -f -q /dev/vdc ;;
	*) mkfs.ext4 -F -q /dev/vdc ;;
	esac
	[ "$target" = kit ] && cat "$tree/.dmtk-overlay"
	stuck=
	for t in $TESTS; do
		if [ -n "$stuck" ]; then
			echo "FSTESTS-RESULT: $target $t skip 0 - not run: $stuck"
			continue
		fi
		if [ ! -f "$tree/tests/$t" ]; then
			echo "FSTESTS-RESULT: $target $t skip 0 - no such test in this fstests tree"
			continue
		fi
		gap=
		[ "$target" = kit ] && gap=$(kit_gap "$t")
		if [ -n "$gap" ]; then
			echo "fstests-vm: $t with the kit skipped: $gap"
			echo "FSTESTS-RESULT: $target $t skip 0 - $gap"
			continue
		fi
		start=$(date +%s)
		(cd "$tree" && timeout -k 30 "${CASE_TIMEOUT:-3600}" ./check "$t") > /tmp/check.log 2>&1
		rc=$?
		secs=$(( $(date +%s) - start ))
		cat /tmp/check.log
		reason=
		if grep -q "^Not run: .*$t" /tmp/check.log; then
			status=notrun
			reason=$(grep -m1 "^$t.*\[not run\]" /tmp/check.log | sed 's/.*\[not run\] *//')
		elif grep -q "^Passed all 1 tests" /tmp/check.log && [ $rc = 0 ]; then
			status=pass
		else
			status=fail
			failed=$((failed + 1))
			# timeout's TERM (124), or its KILL 30 s later (137)
			if [ $rc = 124 ] || [ $rc = 137 ]; then
				reason="timed out after ${CASE_TIMEOUT:-3600} s"
				stuck=$(release_devices "$t")
			fi
			bad=/dmtk/results/$target/$t.out.bad
			[ -f "$bad" ] && diff -u "$tree/tests/$t.out" "$bad" | head -n 40 | sed 's/^/    | /'
		fi
		fst=$(sed -n "s|^$t  *\([0-9][0-9]*\)s\$|\1|p" /tmp/check.log | tail -n 1)
		echo "FSTESTS-RESULT: $target $t $status $secs ${fst:--} $reason"
	done
	rm -f "$tree/local.config"
done

(cd /dmtk/results && tar -cf /dev/vdf .) || echo "fstests-vm: cannot write the results to /dev/vdf"
finish "$failed"
