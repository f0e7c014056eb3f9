#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# The test command (make test): installs what is missing, builds the
# modules at W=1 and the tools with zero warnings, runs lint (checkpatch,
# sparse), the host unit tests and the VM suite, and ends with the line
# "N passed, N failed". Exit code 0 only when nothing failed.
#
# Usage: scripts/run-tests.sh [--only "CASES"] [--kernel cloud|6.12|debug|rt]
#                             [--geometry 512|4096] [--vm-only]
#                             [--torture SEED OPS] [--fuzz COUNT]
#   --only     VM cases or groups (e.g. "inject/003 verify"); skips lint and
#              unit tests, so one case can be iterated on quickly.
#   --kernel   the test kernel: cloud (Debian 12's 6.1, default), 6.12
#              (Debian's 6.12 cloud kernel), debug or rt; the build and lint
#              steps use its headers.
#   --geometry the logical block size of the cases' ramdisks (default 512).
#   --vm-only  only the VM suite (no build, lint, unit or harness steps).
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
geometry=512
vm_only=0
vm_env=
vm_timeout=1500
# Two cores run two VMs at once, each taking every other case.
shards=${DMTK_SHARDS:-$(nproc)}
[ "$shards" -le 2 ] || shards=2
while [ $# -gt 0 ]; do
	case $1 in
	--only) only=$2; shift 2 ;;
	--kernel) kernel=$2; shift 2 ;;
	--geometry) geometry=$2; shift 2 ;;
	--vm-only) vm_only=1; shift ;;
	--torture)
		only=torture
		vm_env="DMTK_TORTURE_SEED=${2:-random} DMTK_TORTURE_OPS=${3:-1000000} CASE_TIMEOUT=7200"
		vm_timeout=36000
		shift 3 ;;
	--fuzz) only=fuzz; vm_env="DMTK_FUZZ_COUNT=$2 CASE_TIMEOUT=3600"; vm_timeout=14400; shift 2 ;;
	-h|--help) sed -n '3,25s/^# \{0,1\}//p' "$0"; exit 0 ;;
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

# The tests/vm group boots nested guests under emulation (minutes each).
for item in $only; do
	case $item in
	vm|vm/*)
		case $vm_env in
		*CASE_TIMEOUT=*) ;;
		*) vm_env="$vm_env CASE_TIMEOUT=1800" ;;
		esac
		vm_timeout=$((vm_timeout * 3)) ;;
	esac
done

passed=0
failed=0
mkdir -p "$out"

pass() { echo "ok   $1"; passed=$((passed + 1)); }
flunk() { echo "FAIL $1"; failed=$((failed + 1)); }

"$top/scripts/setup.sh" || { echo "setup failed"; echo "0 passed, 1 failed"; exit 1; }
case $kernel in
cloud|debug) ;;
*) "$top/scripts/setup.sh" --kernel-only --kernel "$kernel" ||
	{ echo "setup of kernel $kernel failed"; echo "0 passed, 1 failed"; exit 1; } ;;
esac
# The headers the build and lint steps compile against.
case $kernel in
6.12|rt) abi=$(cat "$top/.cache/kernel/abi-$kernel") ;;
*) abi=$(cat "$top/.cache/kernel/abi") ;;
esac

host_steps=0
[ -z "$only" ] && [ $vm_only = 0 ] && host_steps=1

# The harness proves itself: a failing case, a kernel WARNING and a hung
# case must each be reported as a failure. Its VM boots while the host
# steps below run (one core each).
if [ $host_steps = 1 ]; then
	DMTK_OUT=$out/selftest DMTK_MODULES=" " \
		DMTK_EXTRA_MODULES="dmtk-selftest" \
		"$top/scripts/vm.sh" --mode test --kernel "$kernel" --only selftest \
		--env "CASE_TIMEOUT=5" --timeout 300 > "$out/selftest.log" 2>&1 &
	selftest_pid=$!
fi

if [ $host_steps = 1 ]; then
	# Build exactly as a user would, in a scratch copy, and count warnings.
	bsrc=$out/build-src
	rm -rf "$bsrc"
	mkdir -p "$bsrc"
	tar -C "$top" --exclude=./.git --exclude=./out --exclude=./.cache -cf - . | tar -C "$bsrc" -xf -
	if make -C "$bsrc" KDIR="/usr/src/linux-headers-$abi" all > "$out/make-all.log" 2>&1 &&
		! grep -q 'warning:' "$out/make-all.log"; then
		pass "build/make-all  (modules W=1 against $abi, and tools: no warnings)"
	else
		flunk "build/make-all  ($abi)"
		grep -E 'warning:|error:|Error' "$out/make-all.log" | head -n 40 | sed 's/^/    | /'
	fi

	lint_out=$(DMTK_ABI=$abi "$top/scripts/lint.sh")
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

	# dmreplay on the host (tests/tool/): its cases over file-backed logs
	# and targets, and a bounded fuzz run, both under ASan and UBSan.
	tool_out=$({ make -C "$top" --no-print-directory test-tool
		make -C "$top" --no-print-directory fuzz-tool COUNT=10; } 2>&1)
	echo "$tool_out" | grep -E '^(ok |FAIL|FINDING|    )'
	passed=$((passed + $(echo "$tool_out" | grep -c '^ok ')))
	failed=$((failed + $(echo "$tool_out" | grep -c '^FAIL ')))
	if ! echo "$tool_out" | grep -q ' tool/fuzz '; then
		flunk "tool/run  (the tool fuzzer did not run: see below)"
		echo "$tool_out" | tail -n 20 | sed 's/^/    | /'
	fi

	# make fstests' scripts on the host: arguments, overlay, table (no VM,
	# no fstests tree: the fstests runs themselves are make fstests only).
	fh_out=$("$top/tests/fstests-host/run.sh" 2>&1)
	echo "$fh_out" | grep -E '^(ok |FAIL|    )'
	passed=$((passed + $(echo "$fh_out" | grep -c '^ok ')))
	failed=$((failed + $(echo "$fh_out" | grep -c '^FAIL ')))
	echo "$fh_out" | grep -q '^fstests-host-totals ' ||
		flunk "fstests-host/run  (did not finish: $(echo "$fh_out" | tail -n 1))"

	wait "$selftest_pid"
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

# The VM suite, in $shards VMs at once. Each case's line is shown as its
# guest prints it; the exit code travels through a file, since a
# pipeline's is tee's.
[ "$kernel" = debug ] && shards=1
echo "vm: kernel $kernel ($abi), ${geometry}-byte ramdisks, $shards VM(s)"
{
	"$top/scripts/vm.sh" --mode test --kernel "$kernel" --only "$only" \
		--timeout "$vm_timeout" --env "$vm_env" --shards "$shards" \
		--geometry "$geometry" 2>&1
	echo $? > "$out/vm.rc"
} | tee "$out/vm.log"
vm_rc=$(cat "$out/vm.rc")
totals=$(grep -ac '^vm-totals ' "$out/vm.log")
for line in $(grep -a '^vm-totals ' "$out/vm.log" | tr ' ' '_'); do
	passed=$((passed + $(echo "$line" | sed 's/.*passed=\([0-9]*\).*/\1/')))
	failed=$((failed + $(echo "$line" | sed 's/.*failed=\([0-9]*\).*/\1/')))
done
if [ "$vm_rc" != 0 ] && { [ "$totals" -lt "$shards" ] || grep -aq '^vm: kernel splat' "$out/vm.log"; }; then
	flunk "vm/run  (a VM did not complete cleanly: see above)"
fi

echo "$passed passed, $failed failed"
[ $failed = 0 ]
