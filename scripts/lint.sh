#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# checkpatch.pl --strict and sparse (C=2) on the kit's kernel sources.
# Prints one "ok"/"FAIL" line per check; exits non-zero on any finding.
set -u

top=$(cd "$(dirname "$0")/.." && pwd)
out=${DMTK_OUT:-$top/out}
"$top/scripts/setup.sh" || exit 2
abi=${DMTK_ABI:-$(cat "$top/.cache/kernel/abi")}
rc=0

# Kernel sources: everything Kbuild compiles, and the headers they include.
kernel_files=$(cd "$top" && {
	sed -n 's/^dm-[a-z]*-y *:= *//p' Kbuild | tr ' ' '\n' | sed -n 's/\.o$/.c/p'
	ls dm-*/*.h include/*.h 2> /dev/null
} | sort -u)

mkdir -p "$out"
(cd "$top" && perl .cache/checkpatch/checkpatch.pl --no-tree --strict --quiet \
	-f $kernel_files) > "$out/checkpatch.log" 2>&1
if [ -s "$out/checkpatch.log" ]; then
	echo "FAIL lint/checkpatch"
	sed 's/^/    | /' "$out/checkpatch.log" | head -n 60
	rc=1
else
	echo "ok   lint/checkpatch  ($(echo "$kernel_files" | wc -l) files)"
fi

src=$out/lint-src
mkdir -p "$src"
tar -C "$top" --exclude=./.git --exclude=./out --exclude=./.cache -cf - . | tar -C "$src" -xf -
objs=
for m in ${DMTK_MODULES:-dm-inject dm-verify dm-replay}; do objs="$objs $m.o"; done
make -C "/usr/src/linux-headers-$abi" M="$src" C=2 W=1 DMTK_OBJS="$objs" modules \
	> "$out/sparse.log" 2>&1
build_rc=$?
findings=$(grep -E '(warning|error):' "$out/sparse.log")
if [ $build_rc != 0 ] || [ -n "$findings" ]; then
	echo "FAIL lint/sparse-w1"
	grep -E '(warning|error)' "$out/sparse.log" | sed 's/^/    | /' | head -n 60
	rc=1
else
	echo "ok   lint/sparse-w1  (C=2 W=1: no warnings)"
fi
exit $rc
