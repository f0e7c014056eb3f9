# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=sh
#
# Helpers shared by the dm-inject cases (sourced after tests/lib/common.sh).
# BusyBox dd silently drops O_DIRECT for unaligned buffers, so every I/O
# whose result matters goes through xfs_io -d.

# rd DEV SECTOR COUNT / wr DEV SECTOR COUNT: one O_DIRECT request; prints
# "." on success and "E" on failure.
rd() {
	xfs_io -d -c "pread -q -b $(($3 * 512)) $(($2 * 512)) $(($3 * 512))" "$1" > /dev/null 2>&1 &&
		echo . || echo E
}

wr() {
	xfs_io -d -c "pwrite -q -S 0x77 -b $(($3 * 512)) $(($2 * 512)) $(($3 * 512))" "$1" \
		> /dev/null 2>&1 && echo . || echo E
}

# series OP DEV N: N one-block O_DIRECT requests (rd or wr) at blocks
# 0..N-1 (sectors 0, B, 2B, ...) from one xfs_io, results joined.
series() {
	cmd=pread
	[ "$1" = wr ] && cmd="pwrite -S 0x77"
	set -- "$2" "$3" "$cmd" $((B * 512))
	i=0
	args=
	while [ "$i" -lt "$2" ]; do
		args="$args -c \"$3 -b $4 $((i * $4)) $4\""
		i=$((i + 1))
	done
	# errors (stderr) carry no offset: a request is "." if its offset is reported
	eval xfs_io -d "$args" "$1" 2> /dev/null |
		awk -v n="$2" -v bs="$4" '/^(read|wrote) / { ok[$NF / bs] = 1 }
			END { for (i = 0; i < n; i++) printf "%s", (i in ok) ? "." : "E"; print "" }'
}

# ram_md5 DEV SECTOR COUNT: md5 of what the device really holds (the page
# cache of DEV is dropped first, so writes made through dm are seen).
ram_md5() {
	blockdev --flushbufs "$1"
	dd if="$1" bs=512 skip="$2" count="$3" status=none | md5sum | cut -d' ' -f1
}

# dio_hex DEV BYTE_OFFSET LEN: the bytes an O_DIRECT read returns, as hex
# pairs one per line (LEN and BYTE_OFFSET multiples of 512).
dio_hex() {
	xfs_io -d -c "pread -v -b $3 $2 $3" "$1" |
		awk '/^[0-9a-f]+:/ { for (i = 2; i <= 17; i++) if ($i ~ /^[0-9a-f][0-9a-f]$/) print $i }'
}

# event_nr DEV: the device's dm event counter.
event_nr() {
	dmsetup info -c --noheadings -o events "$1" | tr -d ' '
}

# uptime in centiseconds
now_cs() {
	awk '{ split($1, t, "."); print t[1] * 100 + t[2] }' /proc/uptime
}

# nullb_create NAME ATTR=VALUE...: a null_blk disk /dev/NAME made through
# configfs with the given attributes (size in MiB), powered on; skips the
# case if null_blk or configfs is missing. nullb_remove NAME takes it down.
nullb_create() {
	name=$1
	shift
	modprobe null_blk nr_devices=0 2> /dev/null || skip "no null_blk"
	grep -q ' /sys/kernel/config ' /proc/mounts ||
		mount -t configfs none /sys/kernel/config || skip "no configfs"
	nb=/sys/kernel/config/nullb/$name
	mkdir "$nb" || fail "mkdir $nb"
	for a in "$@"; do
		echo "${a#*=}" > "$nb/${a%%=*}" || fail "null_blk $name: cannot set $a"
	done
	echo 1 > "$nb/power" || fail "null_blk $name: power on"
	i=0
	while [ ! -b "/dev/$name" ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
	[ -b "/dev/$name" ] || fail "/dev/$name did not appear"
}

nullb_remove() {
	[ -d "/sys/kernel/config/nullb/$1" ] || return 0
	echo 0 > "/sys/kernel/config/nullb/$1/power"
	rmdir "/sys/kernel/config/nullb/$1"
	# unloaded, so that a later "modprobe null_blk <params>" takes effect
	rmmod null_blk 2> /dev/null || true
}
