#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# make rootfs-smoke: builds the rootfs VM's Debian image (scripts/rootfs.sh,
# cached) and boots it once with the kit, so that the image recipe and the
# boot path of make fstests do not rot between fstests runs. .ci/run runs
# it after make test. The guest (scripts/guest/rootfs-smoke.sh) loads the
# kit's modules through the image's own modprobe and works each target over
# a virtio disk with the image's tools: an injected errno reaches dd
# O_DIRECT, verify reads its mirror back, replay records a write that the
# kit's dmreplay lists and replays, and dm2inject's converted flakey line
# loads. Prints "ok   rootfs/smoke" or "FAIL rootfs/smoke" with the reason.
#
# Usage: scripts/rootfs-smoke.sh [--kernel cloud|6.12]
# Environment: DMTK_OUT (default out/), DMTK_SMP, DMTK_MEM (as vm.sh).
# Exit code: 0 passed, 1 failed, 2 set-up error.
set -eu
unset MAKEFLAGS MAKEOVERRIDES MFLAGS MAKELEVEL

top=$(cd "$(dirname "$0")/.." && pwd)
flavour=cloud
while [ $# -gt 0 ]; do
	case $1:${2:-} in
	--kernel:cloud|--kernel:6.1) flavour=cloud ;;
	--kernel:6.12) flavour=6.12 ;;
	*) echo "usage: scripts/rootfs-smoke.sh [--kernel cloud|6.12]" >&2; exit 2 ;;
	esac
	shift 2
done

out=${DMTK_OUT:-$top/out}/rootfs-smoke
mkdir -p "$out"
# shellcheck source=scripts/rootfs-vm.sh
. "$top/scripts/rootfs-vm.sh"
t0=$(date +%s)
rootfs_vm_kernel "$flavour"
rootfs_vm_image
rootfs_vm_kit
payload=$out/payload
rootfs_vm_payload "$payload"
cp "$top/scripts/guest/rootfs-smoke.sh" "$payload/smoke.sh"
rootfs_vm_mkpayload "$payload"
rm -f "$out/data0.img" "$out/data1.img"
truncate -s 64M "$out/data0.img"
truncate -s 64M "$out/data1.img"
echo "rootfs-smoke: prepared in $(( $(date +%s) - t0 )) s; booting $abi (TCG)"
rootfs_vm_boot 900 smoke.sh "$out/data0.img" "$out/data1.img"
if [ "$vm_rc" = 0 ]; then
	echo "ok   rootfs/smoke  $(( $(date +%s) - t0 )) s  (image, kit modules, inject, verify, replay, dm2inject on $abi)"
	exit 0
fi
echo "FAIL rootfs/smoke  (console: $out/console.log, kernel log: $out/kernel.log)"
grep -a '^rootfs-smoke: FAIL' "$out/console.log" | sed 's/^/    | /'
exit 1
