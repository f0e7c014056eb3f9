#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# PID 1 of the rootfs VM for make rootfs-smoke (scripts/rootfs-smoke.sh),
# started by scripts/guest/rootfs-boot on the Debian image with the payload
# at /dmtk (modules in /dmtk/lib/modules, tools in /dmtk/bin). Devices:
# /dev/vdc and /dev/vdd, 64 MiB each. Each step prints
# "rootfs-smoke: ok STEP" or "rootfs-smoke: FAIL STEP: why"; then
# "DMTK-EXIT: N" (N steps failed) and powers off.
set -u
# shellcheck source=scripts/guest/rootfs-lib.sh
. /dmtk/rootfs-lib.sh
rootfs_guest_setup

failed=0
ok() { echo "rootfs-smoke: ok $1"; }
bad() { echo "rootfs-smoke: FAIL $1"; failed=$((failed + 1)); }
echo "rootfs-smoke: $(uname -r), booted in $(cut -d' ' -f1 /proc/uptime) s"

mkdir -p /lib/modules
mount --bind /dmtk/lib/modules /lib/modules
rootfs_guest_udev
for m in dm-mod dm-inject dm-verify dm-replay; do
	if modprobe "$m"; then ok "modprobe $m"; else bad "modprobe $m: refused"; fi
done
[ "$failed" = 0 ] || finish "$failed"
sz=$(blockdev --getsz /dev/vdc)

# dm-inject: a read error on 8 sectors reaches O_DIRECT dd; the rest reads.
if dmsetup create smoke-inj --table "0 $sz inject /dev/vdc 0 1 error:event=read,sectors=8-15,errno=5"; then
	if dd if=/dev/mapper/smoke-inj of=/dev/null bs=4096 skip=1 count=1 iflag=direct 2> /tmp/dd.err; then
		bad "inject: the read of sectors 8-15 succeeded"
	elif ! grep -q 'Input/output error' /tmp/dd.err; then
		bad "inject: dd failed otherwise: $(cat /tmp/dd.err)"
	elif ! dd if=/dev/mapper/smoke-inj of=/dev/null bs=4096 count=1 iflag=direct 2> /dev/null; then
		bad "inject: the read of sectors 0-7 failed"
	else
		ok "inject: EIO on the rule's sectors, data elsewhere"
	fi
	# fstests finds /sys/fs/<fs>/dm-N through this symlink (_short_dev)
	case $(readlink -f /dev/mapper/smoke-inj) in
	/dev/dm-[0-9]*) ok "udev: /dev/mapper/smoke-inj is a symlink to $(readlink -f /dev/mapper/smoke-inj)" ;;
	*) bad "udev: /dev/mapper/smoke-inj is not a symlink to /dev/dm-N" ;;
	esac
	dmsetup remove smoke-inj || bad "inject: remove"
else
	bad "inject: table refused"
fi

# dm-verify: a write lands on both legs and reads back through the mirror.
if dmsetup create smoke-ver --table "0 $sz verify /dev/vdc 0 /dev/vdd 0"; then
	head -c 1048576 /dev/urandom > /tmp/pat
	dd if=/tmp/pat of=/dev/mapper/smoke-ver bs=1M count=1 oflag=direct 2> /dev/null
	if ! cmp -n 1048576 /tmp/pat /dev/mapper/smoke-ver; then
		bad "verify: read-back differs"
	elif ! cmp -n 1048576 /dev/vdc /dev/vdd; then
		bad "verify: the legs differ"
	elif ! dmsetup status smoke-ver | grep -q ' verify '; then
		bad "verify: status: $(dmsetup status smoke-ver)"
	else
		ok "verify: both legs written, read back, status"
	fi
	dmsetup remove smoke-ver || bad "verify: remove"
else
	bad "verify: table refused"
fi

# dm-replay: record a marked write on vdc into a log on vdd, replay it to
# the mark onto a zeroed vdc with the kit's dmreplay.
dd if=/dev/zero of=/dev/vdd bs=1M count=1 oflag=direct 2> /dev/null
if dmsetup create smoke-rec --table "0 $sz replay record /dev/vdc /dev/vdd"; then
	dd if=/tmp/pat of=/dev/mapper/smoke-rec bs=64k count=1 seek=3 oflag=direct 2> /dev/null
	dmsetup message smoke-rec 0 mark m1 || bad "replay: mark"
	dmsetup remove smoke-rec || bad "replay: remove"
	dd if=/dev/zero of=/dev/vdc bs=1M count=1 oflag=direct 2> /dev/null
	if ! dmreplay list /dev/vdd > /tmp/list 2>&1 || ! grep -q m1 /tmp/list; then
		bad "replay: dmreplay list: $(head -n 5 /tmp/list)"
	elif ! dmreplay replay /dev/vdd /dev/vdc --to-mark m1 > /tmp/rep 2>&1; then
		bad "replay: dmreplay replay: $(head -n 5 /tmp/rep)"
	elif ! cmp -n 65536 -i 0:196608 /tmp/pat /dev/vdc; then
		bad "replay: the replayed block differs"
	else
		ok "replay: recorded, listed, replayed to its mark"
	fi
else
	bad "replay: table refused"
fi

# dm2inject: dm-flakey's always-up line converts and loads.
if line=$(echo "0 $sz flakey /dev/vdc 0 180 0" | dm2inject) &&
	dmsetup create smoke-fl --table "$line"; then
	ok "dm2inject: converted flakey table loads"
	dmsetup remove smoke-fl || bad "dm2inject: remove"
else
	bad "dm2inject: flakey line"
fi
finish "$failed"
