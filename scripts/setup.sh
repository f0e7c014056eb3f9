#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Installs everything dm-testkit needs, idempotently and quietly, from
# Debian's package registry only:
#   - host packages (qemu, busybox, fio, dmsetup, ...)
#   - the test kernel: Debian's cloud kernel image, fetched with
#     apt-get download and unpacked into .cache/kernel/<abi>/, and its
#     headers (installed with apt), both of the same ABI and version
#   - checkpatch.pl and its data files from linux-source-6.1
#
# Usage: scripts/setup.sh [--kernel-only] [--kernel cloud|6.12|rt]
#   --kernel  which test kernel to install (default cloud: Debian 12's own
#             6.1 cloud kernel; 6.12: the 6.12 cloud kernel of the same
#             package lists; rt: the 6.1 PREEMPT_RT kernel). --rt is the
#             same as --kernel rt.
# Prints nothing when everything is already in place.
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
cache=$top/.cache
kernel_only=0
kernel=cloud
while [ $# -gt 0 ]; do
	case $1 in
	--kernel-only) kernel_only=1 ;;
	--rt) kernel=rt ;;
	--kernel) kernel=${2:-}; shift ;;
	*) echo "setup.sh: unknown argument $1" >&2; exit 2 ;;
	esac
	shift
done
# meta: the package naming the ABI; flavour: the ABI's suffix; abi_file
# records the installed ABI under .cache/kernel/.
case $kernel in
cloud) meta=linux-image-cloud-amd64 flavour=cloud abi_name=abi ;;
6.12) meta=linux-image-6.12-cloud-amd64 flavour=cloud abi_name=abi-6.12 ;;
rt) meta=linux-image-rt-amd64 flavour=rt abi_name=abi-rt ;;
*) echo "setup.sh: unknown kernel '$kernel' (cloud, 6.12 or rt)" >&2; exit 2 ;;
esac

export DEBIAN_FRONTEND=noninteractive
updated=0
sudo=
[ "$(id -u)" = 0 ] || sudo=sudo

apt_update() {
	[ $updated = 1 ] && return
	$sudo apt-get update -qq > /dev/null
	updated=1
}

# pkg_missing PKG...: prints the packages that are not installed.
pkg_missing() {
	for p in "$@"; do
		dpkg-query -W -f='${Status}\n' "$p" 2> /dev/null |
			grep -q '^install ok installed$' || echo "$p"
	done
}

apt_install() {
	missing=$(pkg_missing "$@")
	[ -n "$missing" ] || return 0
	echo "setup: installing $(echo $missing)"
	apt_update
	# shellcheck disable=SC2086
	$sudo apt-get install -y -qq --no-install-recommends $missing > "$cache/apt.log" 2>&1 ||
		{ cat "$cache/apt.log" >&2; exit 1; }
}

mkdir -p "$cache"

if [ $kernel_only = 0 ]; then
	apt_install make gcc libc6-dev perl kmod cpio busybox-static \
		qemu-system-x86 qemu-utils fio dmsetup libdevmapper-dev xfsprogs e2fsprogs \
		util-linux coreutils diffutils sparse libaio-dev gnuplot-nox btrfs-progs \
		xz-utils
	# The host fuzzers (tests/fuzz-host, make fuzz-host): clang, libFuzzer
	# and the sanitizer runtimes; llvm-14's llvm-cov and llvm-profdata for
	# make fuzz-host-cov.
	apt_install clang-14 libclang-rt-14-dev llvm-14
fi

# The test kernel. The meta packages name the ABI; image and headers are
# taken at the same version from the same package lists.
kdir_cache=$cache/kernel
mkdir -p "$kdir_cache"
abi_file=$kdir_cache/$abi_name

resolve_abi() {
	dep=$(apt-cache depends "$meta" 2> /dev/null |
		sed -n "s/^ *Depends: linux-image-\([0-9].*-$flavour-amd64\)\$/\1/p" | head -n1)
	if [ -z "$dep" ]; then
		apt_update
		dep=$(apt-cache depends "$meta" |
			sed -n "s/^ *Depends: linux-image-\([0-9].*-$flavour-amd64\)\$/\1/p" | head -n1)
	fi
	[ -n "$dep" ] || { echo "setup: cannot resolve $meta" >&2; exit 1; }
	echo "$dep"
}

if [ -s "$abi_file" ] && [ -f "$kdir_cache/$(cat "$abi_file")/vmlinuz" ] &&
	[ -z "$(pkg_missing "linux-headers-$(cat "$abi_file")")" ]; then
	abi=$(cat "$abi_file")
else
	abi=$(resolve_abi)
	image=linux-image-$abi
	headers=linux-headers-$abi
	ver_image=$(apt-cache policy "$image" | sed -n 's/^ *Candidate: //p')
	ver_headers=$(apt-cache policy "$headers" | sed -n 's/^ *Candidate: //p')
	if [ "$ver_image" != "$ver_headers" ]; then
		echo "setup: $image $ver_image and $headers $ver_headers differ" >&2
		exit 1
	fi
	apt_install "$headers"
	if [ ! -f "$kdir_cache/$abi/vmlinuz" ]; then
		echo "setup: fetching $image $ver_image"
		tmp=$(mktemp -d)
		(cd "$tmp" && apt-get download -qq "$image=$ver_image" 2> /dev/null)
		rm -rf "$kdir_cache/$abi"
		mkdir -p "$kdir_cache/$abi"
		dpkg-deb -x "$tmp"/*.deb "$kdir_cache/$abi/root"
		cp "$kdir_cache/$abi/root/boot/vmlinuz-$abi" "$kdir_cache/$abi/vmlinuz"
		depmod -b "$kdir_cache/$abi/root" "$abi"
		rm -rf "$tmp"
	fi
	echo "$abi" > "$abi_file"
fi

[ $kernel_only = 1 ] && exit 0

# checkpatch.pl and the data files it reads, from the kernel's own source.
cp_dir=$cache/checkpatch
if [ ! -f "$cp_dir/checkpatch.pl" ]; then
	echo "setup: fetching checkpatch.pl from linux-source-6.1"
	tmp=$(mktemp -d)
	(cd "$tmp" && apt-get download -qq linux-source-6.1 2> /dev/null)
	dpkg-deb --fsys-tarfile "$tmp"/linux-source-6.1_*.deb |
		tar -xO --wildcards '*/linux-source-6.1.tar.xz' |
		tar -xJ -C "$tmp" --wildcards --strip-components=2 \
			'linux-source-6.1/scripts/checkpatch.pl' \
			'linux-source-6.1/scripts/spelling.txt' \
			'linux-source-6.1/scripts/const_structs.checkpatch'
	mkdir -p "$cp_dir"
	mv "$tmp/checkpatch.pl" "$tmp/spelling.txt" "$tmp/const_structs.checkpatch" "$cp_dir/"
	rm -rf "$tmp"
fi
