# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=sh
#
# The assertions every case uses, in the VM (tests/lib/common.sh) and on
# the host (tests/tool/lib.sh): a failed one says what it expected and what
# it got and ends the case with exit 1; skip ends it with 77.

fail() {
	echo "    FAIL: $*" >&2
	exit 1
}

skip() {
	echo "    SKIP: $*" >&2
	exit 77
}

# expect_eq LABEL EXPECTED GOT
expect_eq() {
	[ "$2" = "$3" ] || fail "$1: expected '$2', got '$3'"
}

# expect_match LABEL EXTENDED_REGEX STRING
expect_match() {
	printf '%s\n' "$3" | grep -Eq -- "$2" || fail "$1: expected to match /$2/, got '$3'"
}

# expect_no_match LABEL EXTENDED_REGEX STRING
expect_no_match() {
	if printf '%s\n' "$3" | grep -Eq -- "$2"; then
		fail "$1: expected no match for /$2/, got '$3'"
	fi
}
