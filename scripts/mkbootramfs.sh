#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Builds the small initramfs that boots the rootfs VM (make fstests): static
# busybox, the virtio modules the cloud kernel lacks built in, and
# scripts/guest/rootfs-boot as /init. Rebuilt only when the kernel ABI,
# this script or the init script changes.
#
# Usage: scripts/mkbootramfs.sh ABI OUTFILE
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
[ $# = 2 ] || { echo "usage: mkbootramfs.sh ABI OUTFILE" >&2; exit 2; }
abi=$1
outfile=$2
kroot=$top/.cache/kernel/$abi/root
[ -d "$kroot/lib/modules/$abi" ] || { echo "mkbootramfs: no modules of $abi in $kroot" >&2; exit 2; }

stamp="$abi $(cat "$0" "$top/scripts/guest/rootfs-boot" | cksum)"
[ -f "$outfile" ] && [ "$(cat "$outfile.stamp" 2> /dev/null)" = "$stamp" ] && exit 0

dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
mkdir -p "$dir/bin"
cp /bin/busybox "$dir/bin/busybox"
cp "$top/scripts/guest/rootfs-boot" "$dir/init"
chmod +x "$dir/init"
# The load order modprobe would use; paths relative to the archive's root.
for m in virtio_pci virtio_blk; do
	modprobe -d "$kroot" -S "$abi" --show-depends "$m" | awk '$1 == "insmod" { print $2 }'
done | awk '!seen[$0]++' | while read -r ko; do
	rel=${ko#"$kroot"/}
	rel=${rel#./}
	mkdir -p "$dir/$(dirname "$rel")"
	# busybox insmod reads plain modules; 6.12's are xz-compressed.
	case $rel in
	*.ko.xz) rel=${rel%.xz}; xz -dc "$ko" > "$dir/$rel" ;;
	*) cp "$ko" "$dir/$rel" ;;
	esac
	echo "$rel" >> "$dir/modules.order"
done
mkdir -p "$(dirname "$outfile")"
(cd "$dir" && find . | cpio -o -H newc --quiet) > "$outfile.tmp"
mv "$outfile.tmp" "$outfile"
echo "$stamp" > "$outfile.stamp"
