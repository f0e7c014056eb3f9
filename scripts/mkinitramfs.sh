#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Builds the test VM's initramfs as two concatenated cpio archives:
#   base.cpio   busybox, the userspace programs the tests need with their
#               shared libraries, and the stock kernel modules (cached: it is
#               rebuilt only when missing)
#   kit.cpio    the kit's modules, tools, tests, guest scripts and run.conf
#   nested.cpio with DMTK_NESTED=1 (the tests/vm group): qemu-system-x86_64
#               and its firmware, and the nested guest's kernel (the same)
#               and initramfs under /dmtk/nested (cached like base.cpio)
#
# Usage: scripts/mkinitramfs.sh ABI OUTDIR KIT_STAGING_DIR
#   KIT_STAGING_DIR holds: ko/*.ko, bin/*, run.conf
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
abi=$1
out=$2
staging=$3
kroot=$top/.cache/kernel/$abi/root

# Userspace programs for the guest (busybox supplies the rest).
programs="dmsetup fio xfs_io mke2fs e2fsck blockdev blkdiscard losetup dd cmp
timeout kmod stat sync blkzone mkfs.btrfs qemu-io"

# Stock modules, with their dependencies resolved by modprobe.
stock_modules="dm-mod brd null_blk loop dm-flakey dm-delay dm-log-writes
dm-mirror dm-raid raid1 libcrc32c crc32c-intel ext4 btrfs"

copy_with_libs() {
	dest=$1
	bin=$2
	mkdir -p "$dest$(dirname "$bin")"
	cp -L "$bin" "$dest$bin"
	ldd "$bin" 2> /dev/null | awk '/=> \// { print $3 } /^\t\/[^ ]+ \(/ { print $1 }' |
		while read -r lib; do
			[ -e "$dest$lib" ] && continue
			mkdir -p "$dest$(dirname "$lib")"
			cp -L "$lib" "$dest$lib"
		done
}

build_base() {
	base=$out/base
	rm -rf "$base"
	mkdir -p "$base/bin" "$base/sbin" "$base/usr/bin" "$base/usr/sbin" \
		"$base/lib/modules/$abi" "$base/etc"
	cp /bin/busybox "$base/bin/busybox"
	# dash is /bin/sh, as on Debian: busybox's sh would run its own dd,
	# timeout, stat, ... applets ahead of the real programs on PATH.
	copy_with_libs "$base" "$(command -v dash)"
	cp -L "$(command -v dash)" "$base/bin/sh"
	for p in $programs; do
		path=$(command -v "$p" || true)
		[ -n "$path" ] || path=$(PATH=/usr/sbin:/sbin:$PATH command -v "$p" || true)
		[ -n "$path" ] || { echo "mkinitramfs: $p not found" >&2; exit 1; }
		copy_with_libs "$base" "$path"
	done
	# usrmerge: keep the programs reachable under /usr/bin and /usr/sbin.
	for tool in modprobe insmod rmmod lsmod modinfo depmod; do
		ln -sf /usr/bin/kmod "$base/usr/sbin/$tool"
	done
	ln -sf mke2fs "$base/usr/sbin/mkfs.ext4"
	ln -sf e2fsck "$base/usr/sbin/fsck.ext4"
	# lib64 loader path as the programs expect it.
	[ -e "$base/lib64" ] || ln -s lib "$base/lib64" 2> /dev/null || true

	for m in $stock_modules; do
		modprobe -d "$kroot" -S "$abi" --show-depends "$m" |
			awk '$1 == "insmod" { print $2 }'
	done | sort -u | while read -r ko; do
		rel=${ko#"$kroot"}
		mkdir -p "$base$(dirname "$rel")"
		cp "$ko" "$base$rel"
	done
	cp "$kroot/lib/modules/$abi/modules.builtin" \
		"$kroot/lib/modules/$abi/modules.builtin.modinfo" \
		"$kroot/lib/modules/$abi/modules.order" "$base/lib/modules/$abi/"
	echo "root:x:0:0:root:/root:/bin/sh" > "$base/etc/passwd"
	echo "root:x:0:" > "$base/etc/group"
	(cd "$base" && find . | cpio -o -H newc --quiet) > "$out/base.cpio.tmp"
	mv "$out/base.cpio.tmp" "$out/base.cpio"
}

mkdir -p "$out"
stamp="$abi $(cat "$0" | cksum)"
if [ ! -f "$out/base.cpio" ] || [ "$(cat "$out/base.stamp" 2> /dev/null)" != "$stamp" ]; then
	build_base
	echo "$stamp" > "$out/base.stamp"
fi

# The kit's part: its modules join the stock ones, and depmod sees both.
kit=$out/kit
rm -rf "$kit"
mkdir -p "$kit/lib/modules/$abi/extra" "$kit/dmtk/bin"
cp "$staging"/ko/*.ko "$kit/lib/modules/$abi/extra/" 2> /dev/null || true
cp -r "$staging"/bin/. "$kit/dmtk/bin/" 2> /dev/null || true
for b in "$kit"/dmtk/bin/*; do
	[ -f "$b" ] || continue
	ldd "$b" 2> /dev/null | awk '/=> \// { print $3 }' | while read -r lib; do
		[ -e "$out/base$lib" ] && continue
		mkdir -p "$kit$(dirname "$lib")"
		cp -L "$lib" "$kit$lib"
	done
done
cp -r "$top/tests" "$kit/dmtk/tests"
cp -r "$top/scripts" "$kit/dmtk/scripts"
cp "$staging/run.conf" "$kit/dmtk/run.conf"
cp "$top/scripts/guest/init" "$kit/init"
chmod +x "$kit/init"
# depmod over the union of both archives' modules.
depdir=$out/depmod
rm -rf "$depdir"
mkdir -p "$depdir/lib/modules"
cp -r "$out/base/lib/modules/$abi" "$depdir/lib/modules/"
mkdir -p "$depdir/lib/modules/$abi/extra"
cp "$kit/lib/modules/$abi/extra/"*.ko "$depdir/lib/modules/$abi/extra/" 2> /dev/null || true
depmod -b "$depdir" "$abi"
for f in "$depdir/lib/modules/$abi"/modules.*; do
	cp "$f" "$kit/lib/modules/$abi/"
done
(cd "$kit" && find . | cpio -o -H newc --quiet) > "$out/kit.cpio"

# The nested guest of tests/vm: QEMU in the test VM, its firmware in one
# directory (-L), the same kernel and a busybox initramfs holding the
# virtio-blk modules (decompressed: busybox insmod takes plain .ko).
build_nested() {
	nested=$out/nested
	rm -rf "$nested"
	copy_with_libs "$nested" "$(command -v qemu-system-x86_64)"
	# TCG is a loadable module of Debian's QEMU
	for m in /usr/lib/x86_64-linux-gnu/qemu/accel-tcg-x86_64.so; do
		copy_with_libs "$nested" "$m"
	done
	fw=$nested/dmtk/nested/fw
	mkdir -p "$fw"
	for f in /usr/share/seabios/bios-256k.bin /usr/share/qemu/linuxboot_dma.bin \
		/usr/share/qemu/kvmvapic.bin /usr/share/qemu/qboot.rom; do
		cp -L "$f" "$fw/"
	done
	cp "$top/.cache/kernel/$abi/vmlinuz" "$nested/dmtk/nested/vmlinuz"
	g=$out/nested-guest
	rm -rf "$g"
	mkdir -p "$g/bin" "$g/lib/nested"
	cp /bin/busybox "$g/bin/busybox"
	cp "$top/scripts/guest/nested-init" "$g/init"
	chmod +x "$g/init"
	modprobe -d "$kroot" -S "$abi" --show-depends virtio_blk |
		awk '$1 == "insmod" { print $2 }' > "$g/mods"
	modprobe -d "$kroot" -S "$abi" --show-depends virtio_pci |
		awk '$1 == "insmod" { print $2 }' >> "$g/mods"
	n=0
	awk '!seen[$0]++' "$g/mods" | while read -r ko; do
		n=$((n + 1))
		dest=$g/lib/nested/$(printf %02d $n)-$(basename "$ko" | sed 's/\.ko.*//').ko
		case $ko in
		*.xz) xz -dc "$ko" > "$dest" ;;
		*.zst) zstd -qdc "$ko" > "$dest" ;;
		*) cp "$ko" "$dest" ;;
		esac
	done
	rm "$g/mods"
	(cd "$g" && find . | cpio -o -H newc --quiet) > "$nested/dmtk/nested/initrd.cpio"
	(cd "$nested" && find . | cpio -o -H newc --quiet) > "$out/nested.cpio.tmp"
	mv "$out/nested.cpio.tmp" "$out/nested.cpio"
}

if [ "${DMTK_NESTED:-0}" = 1 ]; then
	nstamp="$abi $(cat "$0" "$top/scripts/guest/nested-init" | cksum)"
	if [ ! -f "$out/nested.cpio" ] || [ "$(cat "$out/nested.stamp" 2> /dev/null)" != "$nstamp" ]; then
		build_nested
		echo "$nstamp" > "$out/nested.stamp"
	fi
	cat "$out/base.cpio" "$out/kit.cpio" "$out/nested.cpio" > "$out/initramfs.cpio"
else
	cat "$out/base.cpio" "$out/kit.cpio" > "$out/initramfs.cpio"
fi
