# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=sh
#
# Helpers for the fuzz cases. make test runs DMTK_FUZZ_COUNT inputs per
# target (a short run); `scripts/run-tests.sh --fuzz COUNT [SEED]` runs the
# full one (20,000 per target by default) and may fix the seed.

fuzz_count() {
	echo "${DMTK_FUZZ_COUNT:-$1}"
}

fuzz_seed() {
	echo "${DMTK_FUZZ_SEED:-$1}"
}

# fuzz_target TARGET DEFAULT_COUNT DEFAULT_SEED: runs dmtk-fuzz; the case
# fails on any finding (unspecific error, failed round trip, hang, splat).
fuzz_target() {
	dmsetup targets | grep -q "^$1 " || modprobe "dm-$1" 2> /dev/null
	dmsetup targets | grep -q "^$1 " || skip "target $1 is not available"
	out=$(dmtk-fuzz --seed "$(fuzz_seed "$3")" --count "$(fuzz_count "$2")" \
		--devices /dev/ram1,/dev/ram2,/dev/ram3 "$1" 2>&1)
	rc=$?
	printf '%s\n' "$out"
	# The figures also go to the kernel log (out/kernel.log on the host).
	printf '%s\n' "$out" | grep -E '^dmtk-fuzz: [a-z]+ [a-z_]+=' |
		while read -r l; do echo "$l" > /dev/kmsg; done
	expect_eq "dmtk-fuzz $1 exit code" 0 "$rc"
	accepted=$(printf '%s\n' "$out" | tr ' ' '\n' | sed -n 's/^accepted=//p')
	rejected=$(printf '%s\n' "$out" | tr ' ' '\n' | sed -n 's/^rejected=//p')
	# A generator that only produces garbage (or only valid lines) tests little.
	[ "${accepted:-0}" -gt 0 ] || fail "no table line was accepted"
	[ "${rejected:-0}" -gt 0 ] || fail "no table line was rejected"
	dmsetup info "fuzz-$1" > /dev/null 2>&1 && fail "fuzz-$1 was left behind"
	return 0
}
