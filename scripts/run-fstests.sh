#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# make fstests: runs fstests' own device-mapper tests from the user's
# fstests tree in the rootfs VM (a real Debian userspace, scripts/rootfs.sh)
# booted with the suite's cloud kernel, once with the stock targets
# (dm-flakey, dm-log-writes, ...) and once with the kit's (the same tree with
# scripts/fstests-overlay.sh applied to a copy), and prints fstests' output
# and a side-by-side table.
#
# Usage: scripts/run-fstests.sh --fstests PATH [--tests "generic/034 ..."]
#          [--fstyp ext4|xfs] [--targets "stock kit"] [--kernel cloud|6.12]
#          [--timeout SECS]
#   --fstests  an fstests tree (git clone of xfstests-dev; docs/fstests.md);
#              it is copied, never written to
#   --tests    tests to run (default: the dm-flakey and dm-log-writes tests
#              of docs/fstests.md that apply to the filesystem)
#   --fstyp    ext4 (default) or xfs
#   --targets  stock, kit or both (default "stock kit", one boot each, so
#              that a device one set's hang leaves held cannot fail the other)
#   --kernel   cloud (Debian 12's 6.1, default) or 6.12
#   --timeout  wall-clock limit of each boot (default 900 + 1200 per test,
#              at least the case limit plus 900)
#   --case-timeout  limit of one test (default 3600 s); a test past it is a
#              failure "timed out", and if it leaves the scratch devices
#              held the rest of that boot's tests are skipped, saying so
# fstests is built in a chroot of the image on the host (same libraries as
# the guest, native speed), cached in out/fstests/build until the tree's
# commit or local changes differ. Devices: virtio disks backed by sparse
# files in out/fstests (TEST 2 GiB, SCRATCH 4 GiB, LOGWRITES 2 GiB).
# Environment: DMTK_OUT (default out/), DMTK_SMP, DMTK_MEM (as vm.sh).
# Exit code: 0 no test failed, 1 a test failed or the VM did not finish,
# 2 usage or set-up error.
set -eu
# make fstests TARGETS=kit TESTS=...: make hands its command-line variables
# to every make below it through MAKEFLAGS, and fstests' own Makefiles use
# TARGETS (and would try to build "kit.c"). Nothing of make's reaches them.
unset MAKEFLAGS MAKEOVERRIDES MFLAGS MAKELEVEL

top=$(cd "$(dirname "$0")/.." && pwd)
fstests=
tests=
fstyp=ext4
targets="stock kit"
flavour=cloud
timeout=
case_timeout=3600

usage() {
	echo "run-fstests.sh: $*" >&2
	echo "usage: make fstests FSTESTS=<path to an fstests tree> [TESTS=\"generic/034 ...\"] [FSTYP=ext4|xfs] [TARGETS=stock|kit] [KERNEL=6.12]  (docs/fstests.md)" >&2
	exit 2
}

while [ $# -gt 0 ]; do
	[ $# -ge 2 ] || usage "$1 needs a value"
	case $1 in
	--fstests) fstests=$2 ;;
	--tests) tests=$2 ;;
	--fstyp) fstyp=$2 ;;
	--targets) targets=$2 ;;
	--kernel) flavour=$2 ;;
	--timeout) timeout=$2 ;;
	--case-timeout) case_timeout=$2 ;;
	*) usage "unknown argument $1" ;;
	esac
	shift 2
done

[ -n "$fstests" ] || usage "FSTESTS is required: the path to your fstests tree (git clone git://git.kernel.org/pub/scm/fs/xfs/xfstests-dev.git)"
[ -d "$fstests" ] || usage "FSTESTS=$fstests is not a directory"
fstests=$(cd "$fstests" && pwd)
{ [ -f "$fstests/check" ] && [ -f "$fstests/common/rc" ] && [ -f "$fstests/configure.ac" ]; } ||
	usage "FSTESTS=$fstests is not an fstests tree (no check, common/rc, configure.ac)"
case $fstyp in ext4|xfs) ;; *) usage "FSTYP takes ext4 or xfs, not '$fstyp'" ;; esac
[ -n "$targets" ] || usage "TARGETS is empty"
for t in $targets; do
	case $t in stock|kit) ;; *) usage "TARGETS takes stock and/or kit, not '$t'" ;; esac
done
case $flavour in cloud|6.1|6.12) ;; *) usage "KERNEL takes 6.12 (or cloud, the default 6.1), not '$flavour'" ;; esac
[ "$flavour" = 6.1 ] && flavour=cloud
case ${timeout:-0} in *[!0-9]*) usage "--timeout takes seconds" ;; esac
case $case_timeout in ''|*[!0-9]*|0) usage "--case-timeout takes seconds" ;; esac
[ ${#case_timeout} -le 6 ] || usage "--case-timeout is at most 999999 s"

# The default list: the issue's dm-flakey and dm-log-writes tests; 457 needs
# reflink (xfs only here); btrfs/192 needs btrfs (not offered).
if [ -z "$tests" ]; then
	tests="generic/034 generic/039 generic/040 generic/041 generic/056 generic/057
generic/059 generic/321 generic/322 generic/335 generic/336 generic/341 generic/342
generic/343 generic/455 generic/482"
	[ "$fstyp" = xfs ] && tests="$tests generic/457"
fi
for t in $tests; do
	case $t in
	*/*[!0-9a-z_-]*|..*|/*) usage "TESTS: '$t' is not a test name like generic/034" ;;
	*/*) ;;
	*) usage "TESTS: '$t' is not a test name like generic/034" ;;
	esac
	[ -f "$fstests/tests/$t" ] || usage "TESTS: $fstests/tests/$t does not exist"
done
tests=$(echo $tests)
[ "${DMTK_FSTESTS_CHECK_ONLY:-0}" = 1 ] && { echo "run-fstests: arguments ok: $fstyp [$targets] $tests"; exit 0; }

if [ -z "$timeout" ]; then
	timeout=$((900 + 1200 * $(echo $tests | wc -w)))
	[ "$timeout" -ge $((case_timeout + 900)) ] || timeout=$((case_timeout + 900))
fi

out=${DMTK_OUT:-$top/out}/fstests
mkdir -p "$out"
# shellcheck source=scripts/rootfs-vm.sh
. "$top/scripts/rootfs-vm.sh"
rootfs_vm_kernel "$flavour"
t0=$(date +%s)
rootfs_vm_image
rootfs_vm_kit

# fstests, built in a chroot of the image: its compiler and libraries are
# the guest's. Rebuilt when the tree's commit, local changes or the image
# change.
fst_id() {
	if git -C "$fstests" rev-parse HEAD > /dev/null 2>&1; then
		echo "$(git -C "$fstests" rev-parse HEAD) $(git -C "$fstests" status --porcelain | cksum)"
	else
		echo "not-git $(date +%s)"
	fi
}
stamp="$(basename "$rootfs") $fstests $(fst_id)"
build=$out/build
if [ "$(cat "$out/build.stamp" 2> /dev/null)" != "$stamp" ] || [ ! -x "$build/src/log-writes/replay-log" ]; then
	echo "run-fstests: building fstests ($fstests) in a chroot of the image"
	b0=$(date +%s)
	cdir=$rootfs/root/var/tmp/dmtk-fstests-$$
	rm -rf "$cdir" "$build" "$out/build.stamp"
	mkdir -p "$cdir"
	tar -C "$fstests" --exclude=./.git -cf - . | tar -C "$cdir" -xf -
	if ! chroot "$rootfs/root" /bin/sh -c "cd /var/tmp/dmtk-fstests-$$ && make -j$(nproc)" \
		> "$out/fstests-build.log" 2>&1; then
		tail -n 40 "$out/fstests-build.log" >&2
		rm -rf "$cdir"
		echo "run-fstests: building fstests failed (log: $out/fstests-build.log)" >&2
		exit 2
	fi
	mv "$cdir" "$build"
	echo "$stamp" > "$out/build.stamp"
	echo "run-fstests: fstests built in $(( $(date +%s) - b0 )) s"
fi

# The payload disk: modules, tools, the trees, the guest's script.
payload=$out/payload
rootfs_vm_payload "$payload"
for t in $targets; do
	cp -a "$build" "$payload/fstests-$t"
	if [ "$t" = kit ]; then
		"$top/scripts/fstests-overlay.sh" "$payload/fstests-kit" > /dev/null || exit 2
	fi
done
cp "$top/scripts/guest/fstests.sh" "$payload/fstests.sh"
echo "run-fstests: prepared in $(( $(date +%s) - t0 )) s; booting $abi (TCG) for: $tests [$targets] on $fstyp"

# One boot per target set: a stock target that hangs (a task in D state
# holding the scratch device) must not fail the kit's runs, nor the reverse.
rc=0
rm -rf "$out/results"
mkdir -p "$out/results"
for t in $targets; do
	{
		echo "FSTYP='$fstyp'"
		echo "TARGETS='$t'"
		echo "TESTS='$tests'"
		echo "CASE_TIMEOUT='$case_timeout'"
	} > "$payload/run.conf"
	rootfs_vm_mkpayload "$payload"
	rm -f "$out/test.img" "$out/scratch.img" "$out/logwrites.img" "$out/results.img"
	truncate -s 2G "$out/test.img"
	truncate -s 4G "$out/scratch.img"
	truncate -s 2G "$out/logwrites.img"
	truncate -s 256M "$out/results.img"
	echo "run-fstests: booting for the $t targets"
	rootfs_vm_boot "$timeout" fstests.sh "$out/test.img" "$out/scratch.img" \
		"$out/logwrites.img" "$out/results.img"
	[ "$vm_rc" = 0 ] || rc=1
	mv "$console" "$out/console-$t.log"
	mv "$klog" "$out/kernel-$t.log"
	tar -xf "$out/results.img" -C "$out/results" 2> /dev/null ||
		echo "run-fstests: no results archive from the $t boot"
done
for t in $targets; do cat "$out/console-$t.log"; done > "$out/console.log"
console=$out/console.log

"$top/scripts/fstests-table.sh" "$console" "$fstyp" "$abi" | tee "$out/table.md"
echo "run-fstests: fstests' own results in $out/results/<target>/; consoles $out/console-<target>.log, kernel logs $out/kernel-<target>.log"
[ "$rc" = 0 ] || exit 1
