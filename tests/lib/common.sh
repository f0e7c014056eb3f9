# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=sh
#
# Helpers for the VM test cases. A case is an executable POSIX sh script
# tests/<group>/<NNN> whose second line is "# description: <one line>". It
# sources this file, does real I/O through dmsetup-created devices and exits
# 0 (pass), 1 (fail, after saying what it expected and what it got) or 77
# (skip). The runner (tests/run-guest.sh) gives every case freshly loaded,
# zeroed ramdisks /dev/ram0../dev/ram7 of $RAM_SECTORS sectors each, the
# kit's modules loaded, and clears the kernel log before it; after it, the
# runner removes every dm device and fails the case on any kernel splat.

export DM_DISABLE_UDEV=1
RAM_SECTORS=${RAM_SECTORS:-131072}
# B: 512-byte sectors per logical block of the test devices (1 on brd, 8 in
# a 4096-byte run). A case written in sectors scales its offsets, lengths
# and rule ranges by B, so it makes the same requests, block for block, on
# both geometries.
B=$(($( (blockdev --getss /dev/ram1 || echo 512) 2> /dev/null) / 512))

# shellcheck source=tests/lib/expect.sh
. "$TESTS/lib/expect.sh"

# dm_create NAME TABLE: create a device and wait for its node.
dm_create() {
	dmsetup create "$1" --table "$2" || fail "dmsetup create $1 '$2' failed"
	[ -b "/dev/mapper/$1" ] || fail "/dev/mapper/$1 is not a block device"
}

# dm_create_fails NAME TABLE ERROR_REGEX: the table must be rejected, and
# the kernel log must carry the target's specific error.
dm_create_fails() {
	dmesg -c > /dev/null
	if dmsetup create "$1" --table "$2" 2> /dev/null; then
		dmsetup remove "$1"
		fail "table '$2' was accepted; expected an error matching /$3/"
	fi
	dmsetup remove "$1" 2> /dev/null
	log=$(dmesg)
	expect_match "kernel log for rejected table '$2'" "$3" "$log"
}

# dm_message DEV MSG...: send a message, fail the case if it is refused.
# The target's reply (if any) is printed.
dm_message() {
	dev=$1
	shift
	dmsetup message "$dev" 0 "$@" || fail "message '$*' to $dev failed"
}

# dm_message_fails DEV ERROR_REGEX MSG...: the message must be refused
# with the given error in the kernel log.
dm_message_fails() {
	dev=$1
	re=$2
	shift 2
	dmesg -c > /dev/null
	if dmsetup message "$dev" 0 "$@" > /dev/null 2>&1; then
		fail "message '$*' was accepted; expected an error matching /$re/"
	fi
	log=$(dmesg)
	expect_match "kernel log for refused message '$*'" "$re" "$log"
}

# dm_status DEV / dm_table DEV: the target's own part of the line.
dm_status() {
	dmsetup status "$1" | cut -d' ' -f4-
}

dm_table() {
	dmsetup table "$1" | cut -d' ' -f4-
}

# O_DIRECT I/O in 512-byte sectors; the error text (if any) is on stderr.
# dio_write DEV SECTOR COUNT BYTE: write COUNT sectors of BYTE (0xNN).
dio_write() {
	xfs_io -d -c "pwrite -q -S $4 -b $(($3 * 512)) $(($2 * 512)) $(($3 * 512))" "$1"
}

# dio_read_md5 DEV SECTOR COUNT: md5 of the data read with O_DIRECT (on a
# 4096-byte device SECTOR and COUNT must be multiples of 8).
dio_read_md5() {
	# GNU dd by path: busybox sh runs its own dd applet first, and that one
	# silently falls back to buffered reads when O_DIRECT is refused. Byte
	# offsets and 64 KiB requests: the same reads on 512- and 4096-byte
	# devices.
	/usr/bin/dd if="$1" iflag=direct,skip_bytes,count_bytes bs=64k skip=$(($2 * 512)) \
		count=$(($3 * 512)) status=none | md5sum | cut -d' ' -f1
}

# devno DEV: "major:minor" of a block device, as dm tables print it.
devno() {
	printf '%d:%d\n' "0x$(stat -L -c %t "$1")" "0x$(stat -L -c %T "$1")"
}

# lbs DEV: the device's logical block size in bytes.
lbs() {
	blockdev --getss "$1"
}

# pattern_md5 COUNT BYTE: md5 of COUNT sectors of BYTE.
pattern_md5() {
	head -c $(($1 * 512)) /dev/zero | tr '\0' "\\$(printf '%03o' "$2")" | md5sum | cut -d' ' -f1
}

# dio_try CMD...: run an I/O command, print its stderr, return its status.
dio_try() {
	"$@" 2>&1 > /dev/null
}

# kmsg_grep REGEX: lines of this case's kernel log that match.
kmsg_grep() {
	dmesg | grep -E -- "$1"
}
