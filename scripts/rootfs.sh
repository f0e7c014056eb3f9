#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Builds the root filesystem of the second kind of test VM: a real Debian
# userspace (bash, GNU tools, perl, xfsprogs, e2fsprogs, a compiler), for
# fstests (make fstests). Everything comes from Debian's package registry
# through mmdebstrap (installed by scripts/setup.sh's means: apt-get).
#
# The result is cached under .cache/rootfs/<key>/ where <key> is a hash of
# scripts/rootfs.packages (the package list), the suite and this recipe's
# version: the image is rebuilt only when one of them changes.
#   root/        the tree (chroot builds against the image's libraries)
#   rootfs.img   the same tree as a raw ext4 image (the VM's /dev/vda; each
#                run opens it with qemu's snapshot=on: the image stays pristine)
#   build.time   seconds the build took
# A finished build is renamed into place; concurrent callers wait on a lock.
#
# Usage: scripts/rootfs.sh [--print]
#   Prints the cache directory on stdout (nothing else there); progress on
#   stderr. --print: print the directory it would use, build nothing.
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
# DMTK_ROOTFS_PACKAGES: another list (the host checks use it).
list=${DMTK_ROOTFS_PACKAGES:-$top/scripts/rootfs.packages}
suite=bookworm
mirror=${DMTK_DEBIAN_MIRROR:-http://deb.debian.org/debian}
# Bump when the recipe below changes what the image holds.
recipe=1

packages=$(sed 's/#.*//' "$list" | tr -s ' \t\n' '\n' | sed '/^$/d' | sort -u)
key=$( { echo "recipe $recipe suite $suite"; echo "$packages"; } | sha256sum | cut -c1-16)
dir=$top/.cache/rootfs/$key

if [ "${1:-}" = --print ]; then
	echo "$dir"
	exit 0
fi
[ $# = 0 ] || { echo "rootfs.sh: unknown argument $1" >&2; exit 2; }

[ -f "$dir/rootfs.img" ] && { echo "$dir"; exit 0; }

[ "$(id -u)" = 0 ] || { echo "rootfs.sh: mmdebstrap --mode=root needs root" >&2; exit 2; }
if ! command -v mmdebstrap > /dev/null; then
	echo "rootfs: installing mmdebstrap" >&2
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
		mmdebstrap > /dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
		apt-get install -y -qq --no-install-recommends mmdebstrap > /dev/null; }
fi

mkdir -p "$top/.cache/rootfs"
exec 9> "$top/.cache/rootfs/.lock"
flock 9
[ -f "$dir/rootfs.img" ] && { echo "$dir"; exit 0; }

tmp=$dir.tmp
rm -rf "$tmp"
mkdir -p "$tmp"
start=$(date +%s)
echo "rootfs: building $suite with $(echo "$packages" | wc -l) packages into $dir (minutes)" >&2
# minbase: Essential and required only, then the list. The hooks give
# fstests what it expects of a host: a name, and its fsgqa users.
if ! mmdebstrap --mode=root --variant=minbase --quiet \
	--include="$(echo "$packages" | paste -sd, -)" \
	--customize-hook='echo dmtk-fstests > "$1/etc/hostname"' \
	--customize-hook='printf "127.0.0.1 localhost dmtk-fstests\n" > "$1/etc/hosts"' \
	--customize-hook='chroot "$1" useradd -m fsgqa' \
	--customize-hook='chroot "$1" useradd -m fsgqa2' \
	--customize-hook='chroot "$1" useradd -m 123456-fsgqa' \
	--customize-hook='rm -rf "$1"/var/cache/apt/* "$1"/var/lib/apt/lists/*' \
	"$suite" "$tmp/root" "$mirror" > "$tmp/mmdebstrap.log" 2>&1; then
	cat "$tmp/mmdebstrap.log" >&2
	exit 1
fi
# The image: the tree plus room for what a run writes (results, logs).
size_mb=$(( $(du -sm "$tmp/root" | cut -f1) * 3 / 2 + 512 ))
mkfs.ext4 -q -F -L dmtk-root -d "$tmp/root" "$tmp/rootfs.img" "${size_mb}M" >&2
echo $(( $(date +%s) - start )) > "$tmp/build.time"
mv "$tmp" "$dir"
echo "rootfs: built in $(cat "$dir/build.time") s, image $(du -h --apparent-size "$dir/rootfs.img" | cut -f1)" >&2
echo "$dir"
