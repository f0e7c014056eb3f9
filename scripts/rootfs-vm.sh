# shellcheck shell=sh disable=SC2154
# SPDX-License-Identifier: GPL-2.0
#
# Sourced by the scripts that boot the rootfs VM (scripts/run-fstests.sh,
# scripts/rootfs-smoke.sh): the Debian image of scripts/rootfs.sh booted with
# a suite cloud kernel through scripts/mkbootramfs.sh's initramfs, the kit's
# modules and tools on a payload disk (/dmtk in the guest), the caller's
# disks after it. The caller sets top (the repository) and out (its work
# directory) and uses, in order:
#   rootfs_vm_kernel FLAVOUR   cloud|6.12: fetches the kernel; sets abi, kroot
#   rootfs_vm_image            builds or finds the image; sets rootfs
#   rootfs_vm_kit              builds the kit's modules and tools against abi
#                              in a private copy; sets src
#   rootfs_vm_payload DIR      fills DIR with the kernel's and the kit's
#                              modules (lib/modules) and tools (bin)
#   rootfs_vm_mkpayload DIR    DIR as the ext4 payload image $out/payload.img
#   rootfs_vm_boot TIMEOUT INIT DISK...
#                              boots with the image (/dev/vda, snapshot=on),
#                              the payload (/dev/vdb) and DISK... (/dev/vdc
#                              on), runs /dmtk/INIT as PID 1; console in
#                              $out/console.log, kernel log (loglevel 7:
#                              hung-task stacks) in $out/kernel.log; sets vm_rc:
#                              the guest's "DMTK-EXIT: N", 1 when it did not finish or
#                              the kernel log has a splat.

rootfs_vm_kernel() {
	case $1 in
	cloud) "$top/scripts/setup.sh" --kernel-only || exit 2
		abi=$(cat "$top/.cache/kernel/abi") ;;
	*) "$top/scripts/setup.sh" --kernel-only --kernel "$1" || exit 2
		abi=$(cat "$top/.cache/kernel/abi-$1") ;;
	esac
	kroot=$top/.cache/kernel/$abi/root
}

rootfs_vm_image() {
	rootfs=$("$top/scripts/rootfs.sh") || exit 2
	echo "rootfs-vm: image $rootfs/rootfs.img ($(du -sh "$rootfs/rootfs.img" | cut -f1) used)"
}

rootfs_vm_kit() {
	src=$out/src
	rm -rf "$src"
	mkdir -p "$src"
	tar -C "$top" --exclude=./.git --exclude=./out --exclude=./.cache -cf - . | tar -C "$src" -xf -
	echo "rootfs-vm: building the kit's modules against $abi"
	if ! make -C "/usr/src/linux-headers-$abi" M="$src" W=1 \
		DMTK_OBJS="dm-inject.o dm-verify.o dm-replay.o" modules > "$out/build.log" 2>&1 ||
		! make -C "$src" --no-print-directory tools >> "$out/build.log" 2>&1; then
		cat "$out/build.log" >&2
		exit 2
	fi
}

rootfs_vm_payload() {
	rm -rf "$1"
	mkdir -p "$1/lib/modules" "$1/bin"
	cp -a "$kroot/lib/modules/$abi" "$1/lib/modules/"
	mkdir -p "$1/lib/modules/$abi/extra"
	cp "$src"/dm-inject.ko "$src"/dm-verify.ko "$src"/dm-replay.ko "$1/lib/modules/$abi/extra/"
	cp "$top/scripts/guest/rootfs-lib.sh" "$1/rootfs-lib.sh"
	depmod -b "$1" "$abi"
	cp "$src/dm-replay/dmreplay" "$top/scripts/dm2inject" "$1/bin/"
	rl=$(find "$src" -name dmtk-replay-log -type f -perm -u+x | head -n1)
	[ -n "$rl" ] && cp "$rl" "$1/bin/"
	return 0
}

rootfs_vm_mkpayload() {
	size_mb=$(( $(du -sm "$1" | cut -f1) * 5 / 4 + 256 ))
	rm -f "$out/payload.img"
	mkfs.ext4 -q -F -L dmtk-payload -d "$1" "$out/payload.img" "${size_mb}M" > /dev/null
	"$top/scripts/mkbootramfs.sh" "$abi" "$out/boot-$abi.cpio" || exit 2
}

rootfs_vm_boot() {
	vm_timeout=$1
	vm_init=$2
	shift 2
	accel="-accel tcg -cpu max"
	[ "${DMTK_KVM:-0}" = 1 ] && accel="-accel kvm -cpu host"
	drives="-drive file=$rootfs/rootfs.img,format=raw,if=virtio,cache=unsafe,snapshot=on"
	for d in "$out/payload.img" "$@"; do
		drives="$drives -drive file=$d,format=raw,if=virtio,cache=unsafe"
	done
	console=$out/console.log
	klog=$out/kernel.log
	rm -f "$console" "$klog"
	b0=$(date +%s)
	# shellcheck disable=SC2086
	timeout --foreground -k 10 "$vm_timeout" qemu-system-x86_64 -machine q35 $accel \
		-smp "${DMTK_SMP:-1}" -m "${DMTK_MEM:-2048}" \
		-kernel "$top/.cache/kernel/$abi/vmlinuz" -initrd "$out/boot-$abi.cpio" \
		-append "console=ttyS1 loglevel=7 panic=-1 no_timer_check rdinit=/init dmtk.init=$vm_init" \
		$drives -display none -no-reboot -nic none -monitor none \
		-serial stdio -serial "file:$klog" < /dev/null | tee "$console"
	echo "rootfs-vm: the VM ran $(( $(date +%s) - b0 )) s"

	vm_rc=$(sed -n 's/^DMTK-EXIT: \([0-9]*\).*/\1/p' "$console" | tail -n 1)
	if [ -z "$vm_rc" ]; then
		echo "rootfs-vm: the guest did not finish (crash, panic or the ${vm_timeout}s limit)"
		tail -n 40 "$klog" | sed 's/^/    ! /'
		vm_rc=1
	fi
	splat='BUG:|WARNING:|Oops|general protection|kernel BUG|list_add corruption|list_del corruption|hung task|blocked for more than|refcount_t|UBSAN|soft lockup|rcu.*stall|KASAN|unreferenced object'
	if grep -Eaq "$splat" "$klog"; then
		echo "rootfs-vm: kernel splat in $klog:"
		grep -Ea "$splat" "$klog" | head -n 20 | sed 's/^/    ! /'
		vm_rc=1
	fi
}
