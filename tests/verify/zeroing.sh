# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=sh
#
# Helpers for the dm-verify zeroing cases (discard and write_zeroes carried
# out as zeroing on both legs). Sourced after tests/lib/common.sh.
#
# Each case keeps a model: a spare ramdisk that receives the same pattern
# and has the same ranges zeroed directly (BLKZEROOUT on brd: the block
# layer writes zero pages, no dm-verify involved). At the end each leg is
# compared with the model in full. Piping 64 MiB through cmp or md5sum
# takes many seconds in the VM; a verify device with the model as its
# reference compares in the kernel at the speed of a read, and its status
# names the first sector that differs.

# fill DEV SECTORS BYTE: write BYTE over the first SECTORS sectors of DEV.
fill() {
	xfs_io -d -c "pwrite -q -S $3 -b 1m 0 $(($2 * 512))" "$1" || fail "filling $1 with $3"
}

# zero_range DEV MODEL START COUNT [HOW]: zero COUNT sectors from START of
# the verify device DEV by HOW (blkdiscard, the default, or fpunch, fzero,
# zeroout), and the same sectors of MODEL with BLKZEROOUT.
zero_range() {
	how=${5:-blkdiscard}
	case $how in
	blkdiscard) blkdiscard -o $(($3 * 512)) -l $(($4 * 512)) "$1" ;;
	zeroout) blkdiscard -z -o $(($3 * 512)) -l $(($4 * 512)) "$1" ;;
	fpunch | fzero) xfs_io -d -c "$how $(($3 * 512)) $(($4 * 512))" "$1" ;;
	esac || fail "$how of sectors $3+$4 through $1"
	blkdiscard -z -o $(($3 * 512)) -l $(($4 * 512)) "$2" || fail "zeroing sectors $3+$4 of $2"
}

# expect_same LABEL MODEL LEG SECTORS: the first SECTORS sectors of LEG
# hold what MODEL holds.
expect_same() {
	dmsetup create chk --table "0 $4 verify $2 0 $3 0" || fail "$1: dmsetup create chk"
	/usr/bin/dd if=/dev/mapper/chk iflag=direct bs=1M of=/dev/null status=none 2> /dev/null
	rc=$?
	set -- "$1" "$2" "$3" "$4" $(dm_status chk)
	dmsetup remove chk || fail "$1: dmsetup remove chk"
	[ $rc = 0 ] && [ "$7" = 0 ] ||
		fail "$1: $3 differs from the model $2 from sector $8 on (read status $rc)"
}

# expect_clean LABEL VERIFY_NAME: read the whole verify device (every read
# compared on both legs): no error, no mismatch recorded.
expect_clean() {
	/usr/bin/dd if="/dev/mapper/$2" iflag=direct bs=1M of=/dev/null status=none 2> /tmp/rd.err ||
		fail "$1: reading the verify device back: $(cat /tmp/rd.err)"
	set -- "$1" $(dm_status "$2")
	expect_eq "$1: mismatches (total, read, status, read-back)" "0 0 0 0" "$4 $7 $8 $9"
}
