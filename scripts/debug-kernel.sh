#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Builds the debug test kernel (make test KERNEL=debug) from Debian's
# linux-source-6.1 and caches it outside git:
#   .cache/kernel/abi-debug                      the kernel release name
#   .cache/kernel/<abi>/vmlinuz                  the kernel
#   .cache/kernel/<abi>/root/lib/modules/<abi>/  its modules
#   .cache/kernel/<abi>/build                    the tree, usable as KDIR
# The config starts from the cloud kernel's, keeps only the modules the
# VM loads (localmodconfig), and turns on KASAN, lockdep (PROVE_LOCKING),
# DEBUG_ATOMIC_SLEEP, DEBUG_OBJECTS, kmemleak and UBSAN. Prints nothing when
# the cached kernel matches this script; a build takes long (see
# docs/testing.md for the measured time), its log is in .cache/debug-build/.
#
# Usage: scripts/debug-kernel.sh [-j JOBS]
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
cache=$top/.cache
work=$cache/debug-build
jobs=$(nproc)
[ "${1:-}" = -j ] && jobs=$2

"$top/scripts/setup.sh" --kernel-only
cloud_abi=$(cat "$cache/kernel/abi")
base_config=$cache/kernel/$cloud_abi/root/boot/config-$cloud_abi
stamp="$(cksum < "$0") $cloud_abi"

if [ -s "$cache/kernel/abi-debug" ]; then
	abi=$(cat "$cache/kernel/abi-debug")
	if [ -f "$cache/kernel/$abi/vmlinuz" ] &&
		[ "$(cat "$cache/kernel/$abi/stamp" 2> /dev/null)" = "$stamp" ]; then
		exit 0
	fi
fi

# The kernel's own build dependencies, from Debian's registry.
missing=
for p in flex bison libelf-dev libssl-dev bc; do
	dpkg-query -W -f='${Status}\n' "$p" 2> /dev/null | grep -q '^install ok installed$' ||
		missing="$missing $p"
done
if [ -n "$missing" ]; then
	echo "debug-kernel: installing$missing"
	sudo=
	[ "$(id -u)" = 0 ] || sudo=sudo
	# shellcheck disable=SC2086
	$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
		--no-install-recommends $missing > /dev/null
fi

mkdir -p "$work"
src=$work/linux-source-6.1
if [ ! -f "$src/Makefile" ]; then
	echo "debug-kernel: fetching and unpacking linux-source-6.1"
	if ! ls "$work"/linux-source-6.1_*.deb > /dev/null 2>&1; then
		(cd "$work" && apt-get download -qq linux-source-6.1)
	fi
	rm -rf "$src"
	dpkg-deb --fsys-tarfile "$work"/linux-source-6.1_*.deb |
		tar -xO --wildcards '*/linux-source-6.1.tar.xz' | tar -xJ -C "$work"
fi

# The modules the VM loads (scripts/mkinitramfs.sh, tests); localmodconfig
# turns every other module off.
lsmod_file=$work/lsmod
{
	echo "Module Size Used by"
	for m in dm_mod brd null_blk loop dm_flakey dm_delay dm_log_writes dm_mirror \
		dm_region_hash dm_log dm_raid raid1 raid456 md_mod dm_bufio libcrc32c \
		crc32c_intel crc32c_generic dm_snapshot dm_zero dm_dust; do
		echo "$m 16384 0"
	done
} > "$lsmod_file"

cd "$src"
cp "$base_config" .config
cfg() { scripts/config --file .config "$@"; }
# Debian signs its modules with keys that are not in the source package.
cfg --set-str SYSTEM_TRUSTED_KEYS "" --set-str SYSTEM_REVOCATION_KEYS "" \
	--disable MODULE_SIG_ALL --disable MODULE_SIG_FORCE
# No debug info: it triples the build time and the VM does not need it.
cfg --disable DEBUG_INFO_DWARF5 --disable DEBUG_INFO_DWARF4 \
	--disable DEBUG_INFO_DWARF_TOOLCHAIN_DEFAULT --disable DEBUG_INFO_BTF \
	--enable DEBUG_INFO_NONE
cfg --set-str LOCALVERSION "-dmtk-debug" --disable LOCALVERSION_AUTO
make -s olddefconfig
LSMOD=$lsmod_file make -s localmodconfig < /dev/null > "$work/localmodconfig.log" 2>&1
# The debug options.
cfg --enable KASAN --enable KASAN_GENERIC --enable KASAN_INLINE \
	--enable PROVE_LOCKING --enable DEBUG_LOCKDEP --enable DEBUG_ATOMIC_SLEEP \
	--enable DEBUG_OBJECTS --enable DEBUG_OBJECTS_FREE --enable DEBUG_OBJECTS_TIMERS \
	--enable DEBUG_OBJECTS_WORK --enable DEBUG_OBJECTS_RCU_HEAD \
	--enable DEBUG_OBJECTS_PERCPU_COUNTER --set-val DEBUG_OBJECTS_ENABLE_DEFAULT 1 \
	--enable DEBUG_KMEMLEAK --set-val DEBUG_KMEMLEAK_MEM_POOL_SIZE 16000 \
	--disable DEBUG_KMEMLEAK_DEFAULT_OFF --enable DEBUG_KMEMLEAK_AUTO_SCAN \
	--enable UBSAN --enable UBSAN_BOUNDS --enable UBSAN_SHIFT --enable UBSAN_DIV_ZERO \
	--enable UBSAN_BOOL --enable UBSAN_ENUM --disable UBSAN_TRAP \
	--enable DEBUG_LIST --enable DEBUG_SG --enable DEBUG_PAGEALLOC \
	--enable DETECT_HUNG_TASK --enable SOFTLOCKUP_DETECTOR
# What the kit's tests need, as modules or built in.
for m in BLK_DEV_DM BLK_DEV_RAM BLK_DEV_NULL_BLK BLK_DEV_LOOP DM_FLAKEY DM_DELAY \
	DM_LOG_WRITES DM_MIRROR DM_RAID MD_RAID1 LIBCRC32C CRYPTO_CRC32C_INTEL; do
	cfg --module "$m"
done
cfg --enable DEVTMPFS --enable BLK_DEV_INITRD --enable SERIAL_8250 --enable SERIAL_8250_CONSOLE
make -s olddefconfig
for opt in KASAN PROVE_LOCKING DEBUG_ATOMIC_SLEEP DEBUG_OBJECTS DEBUG_KMEMLEAK UBSAN BLK_DEV_DM; do
	grep -Eq "^CONFIG_$opt=[ym]" .config ||
		{ echo "debug-kernel: CONFIG_$opt did not stick" >&2; exit 1; }
done

abi=$(make -s kernelrelease)
echo "debug-kernel: building $abi with $jobs jobs (log: $work/build.log)"
start=$(date +%s)
if ! make -j"$jobs" bzImage modules > "$work/build.log" 2>&1; then
	tail -n 30 "$work/build.log" >&2
	exit 1
fi
echo "debug-kernel: built in $(($(date +%s) - start)) s"

dest=$cache/kernel/$abi
rm -rf "$dest"
mkdir -p "$dest/root"
make -s modules_install INSTALL_MOD_PATH="$dest/root" INSTALL_MOD_STRIP=1 \
	DEPMOD=/sbin/depmod > /dev/null
rm -f "$dest/root/lib/modules/$abi/build" "$dest/root/lib/modules/$abi/source"
cp arch/x86/boot/bzImage "$dest/vmlinuz"
cp .config "$dest/config"
# External modules build against the tree itself.
ln -s "$src" "$dest/build"
echo "$stamp" > "$dest/stamp"
echo "$abi" > "$cache/kernel/abi-debug"
