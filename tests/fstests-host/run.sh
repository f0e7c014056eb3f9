#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Host checks of make fstests' scripts, without a VM and without an fstests
# tree (make test runs them): run-fstests.sh's argument checking,
# fstests-overlay.sh on a small tree of helper lines written here (each
# rule, its refusals, and what the rewritten helpers hand to dmsetup), and
# fstests-table.sh. With FSTESTS=<fstests tree> in the environment the
# overlay is also applied to a copy of that tree and its helpers are run.
# Prints "ok   fstests-host/NAME" or "FAIL fstests-host/NAME" per check and
# "fstests-host-totals passed=N failed=N".
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
T=$(mktemp -d "${TMPDIR:-/tmp}/dmtk-fsthost.XXXXXX")
trap 'rm -rf "$T"' EXIT
passed=0
failed=0
ok() { echo "ok   fstests-host/$1"; passed=$((passed + 1)); }
flunk() {
	echo "FAIL fstests-host/$1"
	[ -f "$T/out" ] && sed 's/^/    | /' "$T/out" | tail -n 15
	failed=$((failed + 1))
}
# expect NAME RC PATTERN CMD...: CMD exits RC and prints a line matching PATTERN.
expect() {
	name=$1 want=$2 pat=$3
	shift 3
	"$@" > "$T/out" 2>&1
	got=$?
	if [ "$got" = "$want" ] && grep -Eq -- "$pat" "$T/out"; then
		ok "$name"
	else
		echo "expected exit $want and /$pat/, got exit $got" >> "$T/out"
		flunk "$name"
	fi
}

# A tree that passes run-fstests.sh's checks (empty files).
fake=$T/fake
mkdir -p "$fake/common" "$fake/tests/generic"
touch "$fake/check" "$fake/common/rc" "$fake/configure.ac"
for n in 034 039 040 041 056 057 059 321 322 335 336 341 342 343 455 457 482; do
	touch "$fake/tests/generic/$n"
done
run=$top/scripts/run-fstests.sh
export DMTK_FSTESTS_CHECK_ONLY=1
expect args-fstests-required 2 'FSTESTS is required' "$run"
expect args-fstests-required-make 2 'FSTESTS is required' make -s -C "$top" fstests FSTESTS=
expect args-not-a-tree 2 'not an fstests tree' "$run" --fstests "$T"
expect args-missing-dir 2 'is not a directory' "$run" --fstests "$T/none"
expect args-fstyp 2 'FSTYP takes ext4 or xfs' "$run" --fstests "$fake" --fstyp btrfs
expect args-targets 2 'TARGETS takes stock and/or kit' "$run" --fstests "$fake" --targets flakey
expect args-kernel 2 'KERNEL takes 6.12' "$run" --fstests "$fake" --kernel 5.10
expect args-test-name 2 'is not a test name' "$run" --fstests "$fake" --tests "../../etc/passwd"
expect args-test-missing 2 'generic/999 does not exist' "$run" --fstests "$fake" --tests generic/999
expect args-value-missing 2 'needs a value' "$run" --fstests
expect args-default-ext4 0 'ok: ext4 \[stock kit\] generic/034 .* generic/482$' "$run" --fstests "$fake"
expect args-default-xfs 0 'ok: xfs \[stock kit\] .*generic/482 generic/457$' "$run" --fstests "$fake" --fstyp xfs
expect args-chosen 0 'ok: ext4 \[stock\] generic/034 generic/482$' "$run" --fstests "$fake" --tests "generic/034 generic/482" --targets stock
unset DMTK_FSTESTS_CHECK_ONLY

# The overlay on helper lines of the shapes fstests uses (written here).
ov=$top/scripts/fstests-overlay.sh
mk_tree() {
	rm -rf "$1"
	mkdir -p "$1/common" "$1/tests/btrfs"
	touch "$1/check"
	cat > "$1/common/dmflakey" << 'H'
mk_flakey()
{
	local n=`blockdev --getsz $dev`
	TAB_UP="0 $n flakey $dev 0 180 0"
	TAB_DROP="0 $n flakey $dev 0 0 180 1 drop_writes"
	_dmsetup_create fl --table "$TAB_UP"
	_require_dm_target flakey
}
H
	printf 'mk_dust()\n{\n\tTAB_DUST="0 $n dust $dev 0 512"\n}\n' > "$1/common/dmdust"
	printf 'mk_delay()\n{\n\tTAB_DELAY="0 $n delay $dev 0 0"\n\tTAB_RD="0 $n delay $dev 0 10000 $dev 0 0"\n}\n' > "$1/common/dmdelay"
	cat > "$1/common/dmerror" << 'H'
mk_err()
{
	local backing_dev="$1" tag="$2" target="$3" blk_dev_size=8192
	eval export "DMERROR_${tag}TABLE=\"0 $blk_dev_size $target $backing_dev 0\""
}
H
	cat > "$1/common/dmlogwrites" << 'H'
mk_lw()
{
	_require_dm_target log-writes
	_require_test_program "log-writes/replay-log"
	TAB_LW="0 $n log-writes $dev $LOGDEV"
	$here/src/log-writes/replay-log --log $LOGDEV --find --end-mark m
}
H
	printf 'r=$here/src/log-writes/replay-log\n' > "$1/tests/btrfs/900"
}
tree=$T/tree
mk_tree "$tree"
expect overlay-applies 0 'common/dmlogwrites replay-log-path 1 lines' "$ov" "$tree"
if grep -q 'TAB_UP="$("$DMTK_DM2INJECT" 0 $n flakey $dev 0 180 0)"' "$tree/common/dmflakey" &&
	grep -q 'TAB_DROP="$("$DMTK_DM2INJECT" 0 $n flakey $dev 0 0 180 1 drop_writes)"' "$tree/common/dmflakey" &&
	grep -q '_require_dm_target inject' "$tree/common/dmflakey" &&
	grep -q 'TAB_DUST="$("$DMTK_DM2INJECT" 0 $n dust $dev 0 512)"' "$tree/common/dmdust" &&
	grep -q 'TAB_RD="$("$DMTK_DM2INJECT" 0 $n delay $dev 0 10000 $dev 0 0)"' "$tree/common/dmdelay" &&
	grep -q 'TAB_LW="0 $n replay record $dev $LOGDEV 1 format:log-writes"' "$tree/common/dmlogwrites" &&
	grep -q '_require_dm_target replay' "$tree/common/dmlogwrites" &&
	grep -q '_require_command "$DMTK_REPLAY_LOG" dmtk-replay-log' "$tree/common/dmlogwrites" &&
	grep -q '^	$DMTK_REPLAY_LOG --log $LOGDEV --find' "$tree/common/dmlogwrites" &&
	grep -q '^r=$DMTK_REPLAY_LOG$' "$tree/tests/btrfs/900" &&
	[ "$(wc -l < "$tree/.dmtk-overlay")" = 10 ]; then
	ok overlay-lines
else
	cat "$tree"/common/* "$tree/.dmtk-overlay" > "$T/out"
	flunk overlay-lines
fi

# What the rewritten helpers hand to dmsetup: the converter's line. The
# real scripts/dm2inject when this tree has it, else a recorder of its
# arguments (scripts/dm2inject's interface: START LEN TARGET ARGS...).
if [ -x "$top/scripts/dm2inject" ]; then
	DMTK_DM2INJECT=$top/scripts/dm2inject
	want_flakey=$("$DMTK_DM2INJECT" 0 8192 flakey /dev/vdd 0 180 0)
	want_err=$("$DMTK_DM2INJECT" 0 8192 error /dev/vdd 0)
else
	DMTK_DM2INJECT=$T/dm2inject-recorder
	printf '#!/bin/sh\necho "recorded $*"\n' > "$DMTK_DM2INJECT"
	chmod +x "$DMTK_DM2INJECT"
	want_flakey="recorded 0 8192 flakey /dev/vdd 0 180 0"
	want_err="recorded 0 8192 error /dev/vdd 0"
fi
export DMTK_DM2INJECT
got=$(bash -c '. "$1/common/dmflakey"; . "$1/common/dmerror"
	blockdev() { echo 8192; }
	_dmsetup_create() { echo "create $1 $3"; }
	_require_dm_target() { :; }
	dev=/dev/vdd
	mk_flakey
	mk_err /dev/vdd "" error; echo "error $DMERROR_TABLE"
	mk_err /dev/vdd LOG linear; echo "linear $DMERROR_LOGTABLE"' sh "$tree" 2>&1)
printf '%s\n' "$got" > "$T/out"
if [ "$got" = "create fl $want_flakey
error $want_err
linear 0 8192 linear /dev/vdd 0" ]; then
	ok overlay-tables-through-dm2inject
else
	echo "expected: create fl $want_flakey / error $want_err / linear 0 8192 linear /dev/vdd 0" >> "$T/out"
	flunk overlay-tables-through-dm2inject
fi

expect overlay-refuses-twice 2 'already carries the overlay' "$ov" "$tree"
mk_tree "$T/git"
mkdir "$T/git/.git"
expect overlay-refuses-checkout 2 'refusing to edit what looks like a checkout' "$ov" "$T/git"
mk_tree "$T/changed"
sed -i 's/flakey \$dev/flakey2 $dev/' "$T/changed/common/dmflakey"
expect overlay-refuses-unknown-helper 1 'rule table-to-inject matches nothing in common/dmflakey' "$ov" "$T/changed"
expect overlay-usage 2 'usage' "$ov"

# The image's cache key follows the package list: the same packages in
# another order or with comments keep it, one more package changes it.
rootfs=$top/scripts/rootfs.sh
pk=$top/scripts/rootfs.packages
{ echo "# reordered"; sed 's/#.*//' "$pk" | sed '/^$/d' | sort -r; } > "$T/reordered"
{ cat "$pk"; echo strace; } > "$T/more"
k0=$("$rootfs" --print)
k1=$(DMTK_ROOTFS_PACKAGES=$T/reordered "$rootfs" --print)
k2=$(DMTK_ROOTFS_PACKAGES=$T/more "$rootfs" --print)
echo "default $k0 reordered $k1 more $k2" > "$T/out"
if [ -n "$k0" ] && [ "$k0" = "$k1" ] && [ "$k0" != "$k2" ]; then
	ok rootfs-key-follows-package-list
else
	flunk rootfs-key-follows-package-list
fi

# The table of a run, from the guest's result lines.
printf 'noise\nFSTESTS-RESULT: stock generic/034 pass 31 20\r\nFSTESTS-RESULT: stock generic/482 notrun 12 - needs thin-pool\nFSTESTS-RESULT: kit generic/034 fail 40 -\nFSTESTS-RESULT: kit generic/482 skip 0 - no dmtk-replay-log\n' > "$T/console"
"$top/scripts/fstests-table.sh" "$T/console" ext4 6.1-x > "$T/out" 2>&1
if grep -qx '| generic/034 | pass 20 s (31 s) | fail (40 s) |' "$T/out" &&
	grep -qx '| generic/482 | notrun (12 s) | skip (0 s) |' "$T/out" &&
	grep -qx -- '- generic/482 stock: needs thin-pool' "$T/out" &&
	grep -qx -- '- generic/482 kit: no dmtk-replay-log' "$T/out"; then
	ok table
else
	flunk table
fi

# The user's fstests tree, when given: the overlay applies to a copy of it
# and its helpers hand the converter's lines to dmsetup.
if [ -n "${FSTESTS:-}" ]; then
	real=$T/fstests
	mkdir -p "$real"
	tar -C "$FSTESTS" --exclude=./.git -cf - . | tar -C "$real" -xf -
	expect fstests-overlay-applies 0 'common/dmlogwrites table-to-replay-record' "$ov" "$real"
	left=$(grep -En '"0 \$[A-Za-z_]+ (flakey|dust|delay|log-writes) ' "$real"/common/dm* ; grep -rn 'src/log-writes/replay-log' "$real/common" "$real/tests")
	syntax=$(for f in "$real"/common/dm*; do bash -n "$f" 2>&1; done)
	got=$(bash -c 'cd "$1"; seq=t; SCRATCH_DEV=/dev/vdd
		blockdev() { echo 8192; }
		_dmsetup_create() { echo "create $1 $3"; }
		. common/dmflakey; . common/dmerror; . common/dmlogwrites
		LOGWRITES_DEV=/dev/vde
		_init_flakey; _dmerror_setup_vars /dev/vdd "" error; echo "error $DMERROR_TABLE"
		SCRATCH_DEV=/dev/vdd; _log_writes_init /dev/vdd' sh "$real" 2>&1)
	printf '%s\n' "$left" "$syntax" "$got" > "$T/out"
	if [ -z "$left" ] && [ -z "$syntax" ] &&
		[ "$got" = "create flakey-test.t $want_flakey
error $want_err
create logwrites-test 0 8192 replay record /dev/vdd /dev/vde 1 format:log-writes" ]; then
		ok fstests-overlay-tables
	else
		flunk fstests-overlay-tables
	fi
else
	echo "skip fstests-host/fstests-overlay-*  (no FSTESTS=<fstests tree> given)"
fi

echo "fstests-host-totals passed=$passed failed=$failed"
[ $failed = 0 ]
