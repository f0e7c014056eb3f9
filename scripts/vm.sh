#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Boots the throwaway test VM: builds the kit's modules against the test
# kernel's headers and its tools (in a private copy of the tree under OUT),
# packs the initramfs, runs qemu and propagates the guest's result.
#
# Usage: scripts/vm.sh --mode test|demo|bench|shell [options]
#   --only "LIST"     test cases or groups to run (test mode)
#   --timeout SECS    wall-clock limit for the whole VM (default 900)
#   --kernel KERNEL   cloud (default: Debian 12's 6.1), 6.12, debug or rt
#   --env "K=V ..."   extra variables for the guest's run.conf
#   --shards N        test mode: boot N VMs at once, each running every Nth
#                     case (default 1); their lines are shown as they come
#   --geometry BYTES  logical block size of the cases' /dev/ram0..7: 512
#                     (brd, default) or 4096 (memory-backed null_blk devices
#                     of the same names and size)
# Environment:
#   DMTK_OUT      work directory (default out/)
#   DMTK_MODULES  the kit's modules to build and load (default all three)
#   DMTK_EXTRA_MODULES  modules (paths without .ko) built and packed, not loaded
#   DMTK_KVM=1    use KVM instead of software emulation (real hosts only)
#   DMTK_ICOUNT=1 deterministic instruction-count clock (benchmarks)
#   DMTK_SMP      guest CPUs (default 1: far less timing noise under TCG)
#   DMTK_MEM      guest memory in MiB (default 2048)
#   FSTESTS       an fstests tree: its src/log-writes/replay-log is built
#                 (static) and staged for the comparison cases; without it
#                 they skip
# Exit code: the guest's (0 when every case passed); 1 when the guest
# crashed, hung or logged a kernel splat; 2 on set-up failure.
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
out=${DMTK_OUT:-$top/out}
modules=${DMTK_MODULES:-dm-inject dm-verify dm-replay}
mode=test
only=
timeout=900
flavour=cloud
extra_env=
shards=1
geometry=512

while [ $# -gt 0 ]; do
	case $1 in
	--mode) mode=$2; shift 2 ;;
	--only) only=$2; shift 2 ;;
	--timeout) timeout=$2; shift 2 ;;
	--kernel) flavour=$2; shift 2 ;;
	--env) extra_env=$2; shift 2 ;;
	--shards) shards=$2; shift 2 ;;
	--geometry) geometry=$2; shift 2 ;;
	-h|--help) sed -n '3,28s/^# \{0,1\}//p' "$0"; exit 0 ;;
	*) echo "vm.sh: unknown argument $1" >&2; exit 2 ;;
	esac
done

case $geometry in
512|4096) ;;
*) echo "vm.sh: --geometry takes 512 or 4096" >&2; exit 2 ;;
esac
case $shards in
[1-8]) ;;
*) echo "vm.sh: --shards takes 1 to 8" >&2; exit 2 ;;
esac
[ "$mode" = test ] || shards=1

case $flavour in
cloud) "$top/scripts/setup.sh" --kernel-only || exit 2
	abi=$(cat "$top/.cache/kernel/abi") ;;
6.12|rt) "$top/scripts/setup.sh" --kernel-only --kernel "$flavour" || exit 2
	abi=$(cat "$top/.cache/kernel/abi-$flavour") ;;
debug) "$top/scripts/debug-kernel.sh" || exit 2
	abi=$(cat "$top/.cache/kernel/abi-debug") ;;
*) echo "vm.sh: unknown kernel flavour $flavour" >&2; exit 2 ;;
esac
kdir=/usr/src/linux-headers-$abi
[ -d "$top/.cache/kernel/$abi/build" ] && kdir=$top/.cache/kernel/$abi/build

# A private copy keeps kbuild's products out of the work tree and lets
# several runs (different DMTK_OUT) build side by side.
src=$out/src
mkdir -p "$src"
tar -C "$top" --exclude=./.git --exclude=./out --exclude=./.cache -cf - . | tar -C "$src" -xf -

extra_modules=${DMTK_EXTRA_MODULES:-}
objs=
for m in $modules $extra_modules; do objs="$objs $m.o"; done
echo "vm: building$objs against $abi"
# No modules at all (DMTK_MODULES=" "): an empty DMTK_OBJS would build all.
if [ -n "$objs" ] &&
	! make -C "$kdir" M="$src" W=1 DMTK_OBJS="$objs" modules > "$out/build.log" 2>&1; then
	cat "$out/build.log" >&2
	exit 2
fi
if ! make -C "$src" --no-print-directory tools > "$out/tools.log" 2>&1; then
	cat "$out/tools.log" >&2
	exit 2
fi

staging=$out/staging
rm -rf "$staging"
mkdir -p "$staging/ko" "$staging/bin"
for m in $modules $extra_modules; do cp "$src/$m.ko" "$staging/ko/"; done
for t in dm-replay/dmreplay dm-replay/dmtk-replay-log tests/torture/dmtk-torture tests/fuzz/dmtk-fuzz; do
	[ -x "$src/$t" ] && cp "$src/$t" "$staging/bin/"
done
# fstests' replay-log for the comparison cases, built statically from the
# fstests tree FSTESTS names (never part of the kit); without it they skip.
if [ -n "${FSTESTS:-}" ]; then
	lw_src=$FSTESTS/src/log-writes
	if ! gcc -O2 -static -o "$out/replay-log" "$lw_src/replay-log.c" "$lw_src/log-writes.c" \
		> "$out/replay-log.log" 2>&1; then
		echo "vm: cannot build fstests' replay-log from $lw_src:" >&2
		cat "$out/replay-log.log" >&2
		exit 2
	fi
	cp "$out/replay-log" "$staging/bin/replay-log"
	echo "vm: staged fstests' replay-log from $FSTESTS"
fi
# A link: the runner finds its fio job library next to its real path.
ln -s ../scripts/dmtk-regress "$staging/bin/dmtk-regress"
{
	echo "DMTK_MODE='$mode'"
	echo "DMTK_ONLY='$only'"
	echo "DMTK_MODULES='$modules'"
	echo "DMTK_KERNEL='$flavour'"
	for kv in $extra_env; do echo "export $kv"; done
} > "$staging/run.conf"
# The tests/vm group runs QEMU guests in the VM: its archive joins the
# initramfs only when that group is asked for.
nested=0
for item in $only; do
	case $item in vm|vm/*) nested=1 ;; esac
done
DMTK_NESTED=$nested "$top/scripts/mkinitramfs.sh" "$abi" "$out/initramfs-$abi" "$staging" || exit 2

accel="-accel tcg -cpu max"
[ "${DMTK_KVM:-0}" = 1 ] && accel="-accel kvm -cpu host"
icount=
[ "${DMTK_ICOUNT:-0}" = 1 ] && icount="-icount shift=0,sleep=off"

stdin=/dev/null
[ "$mode" = shell ] && stdin=/dev/stdin
SPLAT='BUG:|WARNING:|Oops|general protection|kernel BUG|list_add corruption|list_del corruption|hung task|blocked for more than|refcount_t|UBSAN|soft lockup|rcu.*stall|KASAN|unreferenced object'

# boot SHARD: one VM; the guest reads its shard and geometry from the
# kernel command line. Its console goes to console[-SHARD].log, its kernel
# log to kernel[-SHARD].log.
boot() {
	sfx=
	[ "$shards" = 1 ] || sfx=-$1
	console=$out/console$sfx.log
	klog=$out/kernel$sfx.log
	rm -f "$console" "$klog"
	# shellcheck disable=SC2086
	timeout --foreground -k 10 "$timeout" qemu-system-x86_64 -machine q35 $accel $icount \
		-smp "${DMTK_SMP:-1}" -m "${DMTK_MEM:-2048}" \
		-kernel "$top/.cache/kernel/$abi/vmlinuz" \
		-initrd "$out/initramfs-$abi/initramfs.cpio" \
		-append "console=ttyS1 loglevel=5 panic=-1 no_timer_check rdinit=/init dmtk.shard=$1/$shards dmtk.geometry=$geometry" \
		-display none -no-reboot -nic none -monitor none \
		-serial stdio -serial "file:$klog" < "$stdin" | show "$console"
	qemu_rc=$?

	rc=$(sed -n 's/^DMTK-EXIT: \([0-9]*\).*/\1/p' "$console" | tail -n 1)
	if [ -z "$rc" ]; then
		echo "vm: the guest did not finish (crash, panic or the ${timeout}s limit; qemu rc $qemu_rc)"
		echo "vm: last kernel log lines ($klog):"
		tail -n 40 "$klog" | sed 's/^/    ! /'
		rc=1
	fi

	# Safety net: the whole kernel log, whatever the guest itself saw.
	if grep -Eq "$SPLAT" "$klog"; then
		echo "vm: kernel splat in $klog:"
		awk -v re="$SPLAT" '/dmtk: start / { test = $NF } $0 ~ re { print "    ! [" (test ? test : "boot") "] " $0 }' "$klog" | head -n 40
		[ "$rc" = 0 ] && rc=1
	fi
	echo "$rc" > "$out/vm-rc-$1"
}

# show FILE: stdin to stdout and FILE. One VM: as it comes (the shell
# mode's prompts have no newline). Several: a whole line a write.
show() {
	if [ "$shards" = 1 ]; then
		tee "$1"
		return
	fi
	while IFS= read -r line; do
		printf '%s\n' "$line"
		printf '%s\n' "$line" >> "$1"
	done
}

rm -f "$out"/vm-rc-*
if [ "$shards" = 1 ]; then
	boot 1 # in the foreground: the shell mode's VM reads this terminal
else
	i=1
	while [ $i -le "$shards" ]; do
		boot $i &
		i=$((i + 1))
	done
	wait
fi
rc=0
i=1
while [ $i -le "$shards" ]; do
	r=$(cat "$out/vm-rc-$i" 2> /dev/null || echo 1)
	[ "$r" = 0 ] || rc=$r
	i=$((i + 1))
done
exit "$rc"
