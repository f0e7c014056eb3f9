#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=sh
#
# Helpers of the dm-log-writes cases (tests/replay/040..049): one workload
# run the same way on the stock log-writes target and on dm-replay's
# format:log-writes, and fstests' replay-log when the run staged it
# (FSTESTS=<fstests tree> on make test).

# lw_workload DM: writes, flushes and marks one and two on /dev/mapper/DM,
# in whole 4 KiB blocks (any geometry). Sets lw_one, lw_two and lw_end:
# the md5 of its first 2048 sectors at mark one, mark two and the end.
lw_workload() {
	d=/dev/mapper/$1
	dio_write "$d" 0 16 0x11 || fail "write 1 on $1"
	dio_write "$d" 64 8 0x22 || fail "write 2 on $1"
	xfs_io -c fsync "$d" || fail "fsync on $1"
	dm_message "$1" mark one
	lw_one=$(dio_read_md5 "$d" 0 2048)
	dio_write "$d" 8 8 0x33 || fail "write 3 on $1"
	dio_write "$d" 1024 32 0x44 || fail "write 4 on $1"
	xfs_io -c fsync "$d" || fail "fsync on $1"
	dm_message "$1" mark two
	lw_two=$(dio_read_md5 "$d" 0 2048)
	dio_write "$d" 0 8 0x55 || fail "write 5 on $1"
	dio_write "$d" 2040 8 0x66 || fail "write 6 on $1"
	xfs_io -c fsync "$d" || fail "fsync on $1"
	lw_end=$(dio_read_md5 "$d" 0 2048)
}

# The entries lw_workload logs, as dmreplay list shows them (512-byte
# sectors), and the mark both targets log when the device is removed.
LW_LIST="0 0 16 write
1 64 8 write
2 0 0 flush
3 0 0 mark one
4 8 8 write
5 1024 32 write
6 0 0 flush
7 0 0 mark two
8 0 8 write
9 2040 8 write
10 0 0 flush
11 0 0 mark dm-log-writes-end"

# zero DEV: zero the first 2048 sectors of a device.
zero() {
	/usr/bin/dd if=/dev/zero of="$1" bs=64k count=16 oflag=direct status=none ||
		fail "zeroing $1"
}

# need_replay_log: skip unless the run staged fstests' replay-log.
need_replay_log() {
	command -v replay-log > /dev/null ||
		skip "no fstests replay-log in the guest: run with FSTESTS=<fstests tree> (make test FSTESTS=...) to compare with it"
}
