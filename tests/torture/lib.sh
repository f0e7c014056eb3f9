# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=sh
#
# Helpers for the torture cases: dmtk-torture over a dm-verify stack whose
# reference leg is /dev/ram0 and whose test leg is the stack under test.
# `make torture SEED=... OPS=...` passes DMTK_TORTURE_SEED, DMTK_TORTURE_OPS
# and DMTK_TORTURE_THREADS through to the guest; a case without them runs its
# short make-test version with a fixed seed.

TORTURE_SEED=${DMTK_TORTURE_SEED:-}
TORTURE_THREADS=${DMTK_TORTURE_THREADS:-16}

# torture_ops DEFAULT: the number of requests for this run.
torture_ops() {
	echo "${DMTK_TORTURE_OPS:-$1}"
}

# torture_seed DEFAULT: the seed for this run (make torture may set it;
# "random" asks for a fresh one, printed by the tool).
torture_seed() {
	case $TORTURE_SEED in
	'') echo "$1" ;;
	random) od -An -N4 -tu4 /dev/urandom | tr -d ' ' ;;
	*) echo "$TORTURE_SEED" ;;
	esac
}

need_target() {
	dmsetup targets | grep -q "^$1 " || modprobe "dm-$1" 2> /dev/null ||
		skip "target $1 is not available"
	dmsetup targets | grep -q "^$1 " || skip "target $1 is not available"
}

# verify_field DEV N: field N (1-based) of dm-verify's own status.
verify_field() {
	dm_status "$1" | awk -v n="$2" '{ print $n }'
}

# run_torture ARGS...: runs the tool, keeps its output in $TORTURE_OUT and
# its exit code in $TORTURE_RC, and echoes the output.
run_torture() {
	TORTURE_OUT=$(dmtk-torture "$@" 2>&1)
	TORTURE_RC=$?
	printf '%s\n' "$TORTURE_OUT"
	# The figures also go to the kernel log (out/kernel.log on the host).
	printf '%s\n' "$TORTURE_OUT" | grep -E '^dmtk-torture: (seed|done|stream)' |
		while read -r l; do echo "$l" > /dev/kmsg; done
}

# torture_value KEY: KEY=value from the tool's output.
torture_value() {
	printf '%s\n' "$TORTURE_OUT" | tr ' ' '\n' | sed -n "s/^$1=//p" | tail -n 1
}

# healthy_run TEST_LEG_DEV NAME OPS SEED [TOOL_ARGS...]: dm-verify with
# on_mismatch:error over ram0 and the given test leg; the run must finish
# without an I/O error, dm-verify must count zero mismatches, and both legs
# must hold the same data afterwards.
healthy_run() {
	leg=$1
	name=$2
	ops=$3
	seed=$4
	shift 4
	dm_create "$name" "0 $RAM_SECTORS verify /dev/ram0 0 $leg 0 1 on_mismatch:error"
	run_torture --seed "$seed" --ops "$ops" --threads "$TORTURE_THREADS" "$@" \
		"/dev/mapper/$name"
	expect_eq "dmtk-torture exit code (seed $seed)" 0 "$TORTURE_RC"
	status=$(dm_status "$name")
	echo "verify status: $status"
	expect_eq "dm-verify mismatches (seed $seed)" 0 "$(verify_field "$name" 3)"
	expect_eq "dm-verify first mismatch (seed $seed)" - "$(verify_field "$name" 4)"
	reads=$(verify_field "$name" 1)
	[ "$reads" -ge "$(torture_value reads)" ] ||
		fail "dm-verify counted $reads reads, the tool did $(torture_value reads)"
	dmsetup remove "$name" || fail "remove $name"
}

# dm's rate limit for kernel log lines is shared by all targets (10 lines
# per 5 s): a case that compares logged lines first lets the previous
# case's window run out.
dm_log_window() {
	sleep 5
}
