#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# The test command (make test): installs what is missing, builds the
# modules at W=1 and the tools with zero warnings, runs lint (checkpatch,
# sparse), the host unit tests and the VM suite, and ends with the line
# "N passed, N failed". Exit code 0 only when nothing failed.
#
# Usage: scripts/run-tests.sh [--only "CASES"] [--kernel cloud|debug|rt]
#                             [--torture SEED OPS] [--fuzz COUNT]
#   --only     VM cases or groups (e.g. "inject/003 verify"); skips lint and
#              unit tests, so one case can be iterated on quickly.
#   --torture  the long torture run (make torture): only the torture cases,
#              OPS requests each (default 1000000), SEED "" for a random one.
#   --fuzz     the full fuzz run: only the fuzz cases, COUNT inputs per target.
# Environment: DMTK_OUT, DMTK_MODULES, DMTK_KVM (see scripts/vm.sh).
set -u

top=$(cd "$(dirname "$0")/.." && pwd)
out=${DMTK_OUT:-$top/out}
export DMTK_OUT=$out
only=
kernel=cloud
vm_env=
vm_timeout=1500
while [ $# -gt 0 ]; do
	case $1 in
	--only) only=$2; shift 2 ;;
	--kernel) kernel=$2; shift 2 ;;
	--torture)
		only=torture
		vm_env="DMTK_TORTURE_SEED=${2:-random} DMTK_TORTURE_OPS=${3:-1000000} CASE_TIMEOUT=7200"
		vm_timeout=36000
		shift 3 ;;
	--fuzz) only=fuzz; vm_env="DMTK_FUZZ_COUNT=$2 CASE_TIMEOUT=3600"; vm_timeout=14400; shift 2 ;;
	-h|--help) sed -n '3,18s/^# \{0,1\}//p' "$0"; exit 0 ;;
	*) echo "run-tests.sh: unknown argument $1" >&2; exit 2 ;;
	esac
done

# The debug kernel (KASAN, lockdep, kmemleak) runs the cases 5 to 8 times
# slower: the limits that hold on the cloud kernel would cut it short.
if [ "$kernel" = debug ]; then
	case $vm_env in
	*CASE_TIMEOUT=*) ;;
	*) vm_env="$vm_env CASE_TIMEOUT=600" ;;
	esac
	vm_timeout=$((vm_timeout * 4))
fi

passed=0
failed=0
mkdir -p "$out"

pass() { echo "ok   $1"; passed=$((passed + 1)); }
flunk() { echo "FAIL $1"; failed=$((failed + 1)); }

"$top/scripts/setup.sh" || { echo "setup failed"; echo "0 passed, 1 failed"; exit 1; }

if [ -z "$only" ]; then
	# Build exactly as a user would, in a scratch copy, and count warnings.
	abi=$(cat "$top/.cache/kernel/abi")
	bsrc=$out/build-src
	rm -rf "$bsrc"
	mkdir -p "$bsrc"
	tar -C "$top" --exclude=./.git --exclude=./out --exclude=./.cache -cf - . | tar -C "$bsrc" -xf -
	if make -C "$bsrc" KDIR="/usr/src/linux-headers-$abi" all > "$out/make-all.log" 2>&1 &&
		! grep -q 'warning:' "$out/make-all.log"; then
		pass "build/make-all  (modules W=1 and tools: no warnings)"
	else
		flunk "build/make-all"
		grep -E 'warning:|error:|Error' "$out/make-all.log" | head -n 40 | sed 's/^/    | /'
	fi

	lint_out=$("$top/scripts/lint.sh")
	echo "$lint_out"
	passed=$((passed + $(echo "$lint_out" | grep -c '^ok ')))
	failed=$((failed + $(echo "$lint_out" | grep -c '^FAIL ')))

	# Host unit tests of the kernel-free logic.
	if make -C "$top" --no-print-directory unit-build > "$out/unit-build.log" 2>&1; then
		for t in "$top"/tests/unit/test-*; do
			case $t in *.c|*.h) continue ;; esac
			[ -x "$t" ] || continue
			"$t" > "$out/unit.log" 2>&1
			cat "$out/unit.log"
			line=$(grep '^unit-totals ' "$out/unit.log")
			if [ -z "$line" ]; then
				flunk "unit/$(basename "$t") (crashed before its summary)"
				continue
			fi
			p=$(echo "$line" | sed 's/.*passed=\([0-9]*\).*/\1/')
			f=$(echo "$line" | sed 's/.*failed=\([0-9]*\).*/\1/')
			passed=$((passed + p))
			failed=$((failed + f))
		done
	else
		flunk "unit/build"
		sed 's/^/    | /' "$out/unit-build.log" | tail -n 30
	fi

	# Host fuzzers (tests/fuzz-host): each harness a few seconds, from its
	# seed corpus; make fuzz-host runs them longer.
	if make -C "$top" --no-print-directory fuzz-host-build > "$out/fuzz-host-build.log" 2>&1 &&
		! grep -q 'warning:' "$out/fuzz-host-build.log"; then
		fuzz_out=$("$top/tests/fuzz-host/run.sh" -t 5 -o "$out/fuzz-host")
		echo "$fuzz_out"
		passed=$((passed + $(echo "$fuzz_out" | grep -c '^ok ')))
		failed=$((failed + $(echo "$fuzz_out" | grep -c '^FAIL ')))
	else
		flunk "fuzz-host/build"
		grep -E 'warning:|error:' "$out/fuzz-host-build.log" | head -n 20 | sed 's/^/    | /'
	fi
fi

# The harness proves itself: a failing case, a kernel WARNING and a hung
# case must each be reported as a failure.
if [ -z "$only" ]; then
	DMTK_OUT=$out/selftest DMTK_MODULES=" " \
		DMTK_EXTRA_MODULES="dmtk-selftest" \
		"$top/scripts/vm.sh" --mode test --only selftest --env "CASE_TIMEOUT=5" \
		--timeout 300 > "$out/selftest.log" 2>&1
	st_rc=$?
	check_selftest() {
		if [ $st_rc != 0 ] && grep -Eq "$2" "$out/selftest.log"; then
			pass "harness/$1"
		else
			flunk "harness/$1  (expected /$2/ in $out/selftest.log, rc $st_rc)"
			sed 's/^/    | /' "$out/selftest.log" | tail -n 30
		fi
	}
	check_selftest failing-case-fails "^FAIL selftest/001 "
	check_selftest kernel-warning-fails "^FAIL selftest/002 "
	check_selftest kernel-warning-named "! .*deliberate warning"
	check_selftest hung-case-fails "timed out after 5s"
fi

# The VM suite.
"$top/scripts/vm.sh" --mode test --kernel "$kernel" --only "$only" --timeout "$vm_timeout" \
	--env "$vm_env" > "$out/vm.log" 2>&1
vm_rc=$?
cat "$out/vm.log"
line=$(grep '^vm-totals ' "$out/vm.log" | tail -n 1)
if [ -n "$line" ]; then
	passed=$((passed + $(echo "$line" | sed 's/.*passed=\([0-9]*\).*/\1/')))
	failed=$((failed + $(echo "$line" | sed 's/.*failed=\([0-9]*\).*/\1/')))
fi
if [ $vm_rc != 0 ] && { [ -z "$line" ] || grep -q '^vm: kernel splat' "$out/vm.log"; }; then
	flunk "vm/run  (the VM did not complete cleanly: see above)"
fi

echo "$passed passed, $failed failed"
[ $failed = 0 ]
