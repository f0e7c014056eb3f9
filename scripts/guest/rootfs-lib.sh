# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# Sourced by the rootfs VM's init scripts (scripts/guest/fstests.sh,
# scripts/guest/rootfs-smoke.sh), which scripts/guest/rootfs-boot starts
# as PID 1 on the Debian image with the payload at /dmtk
# (scripts/rootfs-vm.sh copies this file to /dmtk/rootfs-lib.sh).
#
#   rootfs_guest_setup   the pseudo-filesystems, the console on /dev/ttyS0
#                        (the host's console log) and a 60 s hung-task
#                        report
#   rootfs_guest_udev    starts udev (the image has it: scripts/rootfs.packages)
#                        so that /dev/mapper/<name> are symlinks to dm-N and
#                        dmsetup waits for them; without it, libdevmapper
#                        makes the nodes itself
#   finish N             prints "DMTK-EXIT: N", the host's verdict, and
#                        powers off

rootfs_guest_setup() {
	export PATH=/dmtk/bin:/usr/sbin:/usr/bin:/sbin:/bin
	export HOME=/root LANG=C.UTF-8
	mount -t proc proc /proc
	mount -t sysfs sysfs /sys
	mountpoint -q /dev || mount -t devtmpfs devtmpfs /dev
	mkdir -p /dev/pts /dev/shm
	mount -t devpts devpts /dev/pts
	mount -t tmpfs tmpfs /dev/shm
	mount -t tmpfs tmpfs /tmp
	mount -t tmpfs tmpfs /run
	mount -t debugfs debugfs /sys/kernel/debug 2> /dev/null
	exec > /dev/ttyS0 2>&1 < /dev/null
	echo 60 > /proc/sys/kernel/hung_task_timeout_secs
}

rootfs_guest_udev() {
	if [ -x /lib/systemd/systemd-udevd ] && /lib/systemd/systemd-udevd --daemon; then
		udevadm trigger --action=add
		udevadm settle --timeout=60
		echo "rootfs-vm: udev running"
	else
		echo "rootfs-vm: no udev: libdevmapper makes the /dev/mapper nodes"
		export DM_DISABLE_UDEV=1
	fi
}

finish() {
	sync
	echo "DMTK-EXIT: $1"
	echo 1 > /proc/sys/kernel/sysrq
	echo o > /proc/sysrq-trigger
	sleep 60
}
