# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=sh
#
# Helpers of the cases that run a stock target's table line and the line
# scripts/dm2inject makes of it on the same I/O sequence (issue 15): both
# must show userspace the same errors and the same data. Sourced after
# tests/lib/common.sh and tests/inject/lib.sh.

conv=$TESTS/../scripts/dm2inject

# to_inject LINE: the converted line, or fail.
to_inject() {
	"$conv" $1 || fail "dm2inject '$1' failed"
}

# stock_ok TARGET FEATURE: whether this kernel's stock target takes the
# table (6.1's dm-flakey lacks error_reads and the random corruptions).
stock_ok() {
	dmsetup create stockprobe --table "$1" > /dev/null 2>&1 || return 1
	dmsetup remove stockprobe
}

# reset_disk: /dev/ram1 back to a known pattern (0x11) outside dm.
reset_disk() {
	dio_write /dev/ram1 0 2048 0x11 || fail "cannot fill /dev/ram1"
}

# run_seq DEV: the fixed O_DIRECT sequence; prints what userspace saw and
# what the disk then holds. k is the logical block in sectors.
run_seq() {
	k=$(($(lbs /dev/ram1) / 512))
	r1=$(dio_try dio_write "$1" 0 "$((8 * k))" 0x22 && echo ok)
	r2=$(dio_read_md5 "$1" 0 "$((8 * k))" 2> /dev/null)
	r3=$(dio_try dio_write "$1" "$((64 * k))" "$k" 0x33 && echo ok)
	r4=$(dio_read_md5 "$1" "$((64 * k))" "$k" 2> /dev/null)
	r5=$(dio_try xfs_io -d -c "pread -q 0 $((k * 512))" "$1" && echo ok)
	r6=$(dio_try blkdiscard -o $((128 * k * 512)) -l $((8 * k * 512)) "$1" && echo ok)
	disk=$(ram_md5 /dev/ram1 0 2048)
	# the device's name in error messages is not part of the result
	echo "write0[$r1] read0[$r2] write64[$r3] read64[$r4] read[$r5] discard[$r6] disk[$disk]" |
		tr '\n' ' ' | sed "s#$1#DEV#g"
	echo
}

# both_ways NAME STOCK_LINE: the sequence through the stock target and
# through its conversion, from the same disk; their outputs must agree.
both_ways() {
	inj=$(to_inject "$2")
	reset_disk
	dm_create stock "$2"
	a=$(run_seq /dev/mapper/stock)
	dmsetup remove stock
	reset_disk
	dm_create conv "$inj"
	b=$(run_seq /dev/mapper/conv)
	dmsetup remove conv
	expect_eq "$1: '$2' and '$inj'" "$a" "$b"
	echo "    $1: $a"
}
