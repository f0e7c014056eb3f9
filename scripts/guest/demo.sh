#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# The guest side of make demo: each target at work on brd ramdisks, with
# the commands shown as they run. Every step checks its own outcome (a
# command that must succeed, one that must fail with a given error, output
# that must show a given value); the demo exits non-zero and says which
# step differed, so it cannot silently rot.
export DM_DISABLE_UDEV=1
failed=0

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
# must CMD: CMD succeeds; its output is shown.
must() {
	step "$@"
	[ $rc = 0 ] || { echo "  (demo step failed)"; failed=1; }
}
# step CMD: show CMD, run it, show its output; $out and $rc hold them.
step() {
	printf '$ %s\n' "$*"
	out=$(sh -c "$*" 2>&1)
	rc=$?
	[ -n "$out" ] && echo "$out" | sed 's/^/  /'
}
# says REGEX: the last step's output matches REGEX.
says() {
	printf '%s\n' "$out" | grep -Eq -- "$1"
}
# shows REGEX CMD: CMD succeeds and its output matches REGEX.
shows() {
	re=$1
	shift
	step "$@"
	if [ $rc != 0 ] || ! says "$re"; then
		echo "  (demo step differed: expected success and output matching /$re/, got exit $rc)"
		failed=1
	fi
}
# fails REGEX CMD: CMD fails and says REGEX (the injected error).
fails() {
	re=$1
	shift
	step "$@"
	if [ $rc = 0 ] && ! says "$re"; then
		echo "  (demo step differed: expected the error /$re/)"
		failed=1
	elif ! says "$re"; then
		echo "  (demo step differed: failed, but without /$re/)"
		failed=1
	fi
}

modprobe brd rd_nr=8 rd_size=65536 max_part=0
for m in dm-inject dm-verify dm-replay; do modprobe $m; done

say "The kit's targets, registered with the kernel"
must "dmsetup targets | grep -E '^(verify|inject|replay) '"

say "dm-inject: reads fail with ENOSPC, writes succeed (blkdebug's first example)"
must "dmsetup create faulty --table '0 131072 inject /dev/ram1 0 1 error:event=read,errno=28'"
must "xfs_io -d -c 'pwrite -q 0 4096' /dev/mapper/faulty && echo write ok"
fails 'No space left on device' "xfs_io -d -c 'pread -q 0 4096' /dev/mapper/faulty"
shows ' 1:1$' "dmsetup status faulty"
must "dmsetup remove faulty"

say "dm-inject: a state machine makes exactly the second write fail with EIO"
must "dmsetup create faulty --table '0 131072 inject /dev/ram1 0 2 state:event=write,state=1,new_state=2 error:event=write,state=2,errno=5,once'"
shows 'write 1 ok' "xfs_io -d -c 'pwrite -q 0 4096' /dev/mapper/faulty && echo write 1 ok"
fails 'Input/output error' "xfs_io -d -c 'pwrite -q 0 4096' /dev/mapper/faulty && echo write 2 ok"
shows 'write 3 ok' "xfs_io -d -c 'pwrite -q 0 4096' /dev/mapper/faulty && echo write 3 ok"
must "dmsetup status faulty"
must "dmsetup remove faulty"

say "dm-verify: the reference's sector 0 is 0xcd, the test device's is zero"
must "xfs_io -d -c 'pwrite -q -S 0xcd 0 512' /dev/ram2"
must "dmsetup create checked --table '0 131072 verify /dev/ram2 0 /dev/ram3 0'"
fails 'Input/output error' "dd if=/dev/mapper/checked of=/dev/null iflag=direct bs=4096 count=1"
must "dmsetup status checked"
shows 'contents mismatch' "dmesg | grep -m1 'contents mismatch'"
must "dmsetup remove checked"

say "dm-verify over dm-inject: silent corruption under a healthy-looking device is caught"
must "dmsetup create corrupting --table '0 131072 inject /dev/ram5 0 1 corrupt:event=read,sector=64,mode=flip'"
must "dmsetup create checked --table '0 131072 verify /dev/ram4 0 /dev/mapper/corrupting 0 1 on_mismatch:log'"
must "xfs_io -d -c 'pwrite -q -S 0x5a 0 1M' /dev/mapper/checked"
must "dd if=/dev/mapper/checked of=/dev/null iflag=direct bs=64k count=16 status=none && echo read completed"
must "dmsetup status checked"
must "dmsetup remove checked"
must "dmsetup remove corrupting"

say "dm-replay: record writes, mark a point, rebuild the device as it was there"
must "dmsetup create rec --table '0 131072 replay record /dev/ram6 /dev/ram7'"
must "xfs_io -d -c 'pwrite -q -S 0xaa 0 64k' /dev/mapper/rec"
must "dmsetup message rec 0 mark m1"
must "xfs_io -d -c 'pwrite -q -S 0xbb 0 64k' -c fsync /dev/mapper/rec"
must "dmsetup status rec"
must "dmsetup remove rec"
must "dmreplay list /dev/ram7"
must "dmreplay replay /dev/ram7 /dev/ram0 --to-mark m1"
# O_DIRECT reads whole sectors: 512 bytes, of which the first line shows 16.
shows '^00000000: +(aa ){16}' "xfs_io -d -c 'pread -v 0 512' /dev/ram0 | head -n 1"

if [ -x /dmtk/scripts/guest/demo-regress.sh ] || [ -f /dmtk/scripts/guest/demo-regress.sh ]; then
	say "dmtk-regress: a fio regression run, healthy and then with a corrupting rule"
	sh /dmtk/scripts/guest/demo-regress.sh || failed=1
fi

say "done"
exit $failed
