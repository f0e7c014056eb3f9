# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=sh
#
# Helpers for the quorum-mode cases (tests/verify/040..049).

# q_event DEV: the device's dm event counter.
q_event() {
	dmsetup info "$1" | awk '/Event number/ {print $3}'
}

# q_legs DEV...: "<dev> 0" for each device, as a quorum line lists legs.
q_legs() {
	for d in "$@"; do printf ' %s 0' "$d"; done
}

# q_table THRESHOLD DEV... [-- OPT...]: a whole quorum table line.
q_table() {
	t=$1
	shift
	legs=
	n=0
	while [ $# -gt 0 ] && [ "$1" != -- ]; do
		legs="$legs $1 0"
		n=$((n + 1))
		shift
	done
	opts=
	if [ "${1:-}" = -- ]; then
		shift
		opts=" $# $*"
	fi
	echo "0 $RAM_SECTORS verify quorum $t $n$legs$opts"
}
