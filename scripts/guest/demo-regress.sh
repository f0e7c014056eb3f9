#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Demo of dmtk-regress (inside the VM, called by the demo): the fio job
# library through dm-verify over dm-inject on two ramdisks, once healthy
# (every job passes, exit 0) and once with a rule that corrupts reads of the
# first MiB (the run fails with exit 1, naming the job and the sector).
# Exit code 0 when both runs ended as they should.
#
# Environment: DEMO_REF, DEMO_TEST  devices (default /dev/ram0, /dev/ram1;
#              brd is loaded when they are missing).
REGRESS=${DMTK:-/dmtk}/scripts/dmtk-regress
JOBS=${DMTK:-/dmtk}/scripts/fio
ref=${DEMO_REF:-/dev/ram0}
dev=${DEMO_TEST:-/dev/ram1}
export DM_DISABLE_UDEV=1 DMTK_RUNTIME=1 DMTK_SIZE=8M
[ -b "$dev" ] || modprobe brd rd_nr=8 rd_size=65536 max_part=0
rc=0

banner() {
	echo
	echo "=== $* ==="
}

banner "dmtk-regress, healthy: the job library through verify(reference) over inject(no rules)"
echo "\$ dmtk-regress --test-dev $dev --reference-dev $ref --junit /tmp/healthy.xml"
sh "$REGRESS" --test-dev "$dev" --reference-dev "$ref" --junit /tmp/healthy.xml \
	--out /tmp/regress-healthy
st=$?
echo "(exit code $st: expected 0)"
[ $st = 0 ] || rc=1

banner "dmtk-regress, failing: a rule corrupts one byte of every read of the first MiB"
printf '# one damaged byte in every read of the first MiB\ncorrupt:event=read,sectors=0-2047\n' \
	> /tmp/corrupt.rules
cat /tmp/corrupt.rules
echo "\$ dmtk-regress --test-dev $dev --reference-dev $ref --rules /tmp/corrupt.rules --jobs randrw-verify.fio large-seq.fio --junit /tmp/corrupt.xml"
DMTK_SIZE=2M sh "$REGRESS" --test-dev "$dev" --reference-dev "$ref" --rules /tmp/corrupt.rules \
	--jobs "$JOBS/randrw-verify.fio" "$JOBS/large-seq.fio" --junit /tmp/corrupt.xml \
	--out /tmp/regress-corrupt
st=$?
echo "(exit code $st: expected 1)"
[ $st = 1 ] || rc=1
echo "JUnit failures written for CI:"
grep -o '<testcase [^>]*name="[^"]*"\|<failure message="[^"]*"' /tmp/corrupt.xml | sed 's/^/  /'
left=$(dmsetup ls | grep dmtk-regress)
[ -z "$left" ] || { echo "left-over devices: $left"; rc=1; }
exit $rc
