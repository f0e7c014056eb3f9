#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Points a COPY of an fstests tree at the kit (make fstests TARGETS=kit).
# It rewrites fstests' device-mapper helpers in place, in that copy only:
#   common/dmflakey, common/dmdust, common/dmdelay: every table assigned as
#       VAR="0 $SIZE flakey|dust|delay ARGS" becomes
#       VAR="$("$DMTK_DM2INJECT" 0 $SIZE flakey|dust|delay ARGS)"
#       (scripts/dm2inject prints the equivalent "0 SIZE inject ..." line);
#       their _require_dm_target flakey|dust|delay asks for inject.
#   common/dmerror: when the helper builds its "error" table, the table is
#       rebuilt through "$DMTK_DM2INJECT" (its linear table is left alone).
#   common/dmlogwrites: "log-writes DATA LOG" tables become
#       "replay record DATA LOG 1 format:log-writes", _require_dm_target
#       log-writes asks for replay, and every call of fstests' replay-log
#       ($here/src/log-writes/replay-log, also in tests/) calls
#       "$DMTK_REPLAY_LOG" (the kit's dmtk-replay-log) instead.
# DMTK_DM2INJECT and DMTK_REPLAY_LOG are set by whoever runs the copy
# (scripts/guest/fstests.sh). Each rule must match where it is expected:
# an fstests version whose helpers no longer match is refused, never run
# half-converted. The user's tree is never touched: a tree with a .git
# directory is refused (run-fstests.sh copies without it).
#
# Usage: scripts/fstests-overlay.sh TREE
#   Prints one line per rule ("overlay: FILE RULE N lines") and writes the
#   same lines to TREE/.dmtk-overlay. Exit 0 applied, 1 a rule did not
#   apply, 2 usage.
set -eu

[ $# = 1 ] || { echo "usage: fstests-overlay.sh TREE" >&2; exit 2; }
tree=$1
[ -d "$tree/common" ] && [ -f "$tree/check" ] ||
	{ echo "fstests-overlay: $tree is not an fstests tree (no check, common/)" >&2; exit 2; }
[ ! -e "$tree/.git" ] ||
	{ echo "fstests-overlay: $tree has .git: refusing to edit what looks like a checkout; give a copy" >&2; exit 2; }
[ ! -e "$tree/.dmtk-overlay" ] ||
	{ echo "fstests-overlay: $tree already carries the overlay" >&2; exit 2; }

log=$(mktemp)
trap 'rm -f "$log"' EXIT

# rule FILE NAME MATCH SED [DONE]: applies the sed expression to FILE,
# which must have at least one line matching MATCH (grep -E) before. After
# it, no line matches MATCH; or, when DONE is given, as many lines match
# DONE as matched MATCH (rules that add a line beside the original).
rule() {
	f=$tree/$1
	[ -f "$f" ] || { echo "fstests-overlay: $1 missing" >&2; exit 1; }
	n=$(grep -Ec -- "$3" "$f" || true)
	if [ "$n" = 0 ]; then
		echo "fstests-overlay: rule $2 matches nothing in $1: this fstests version's helper differs" >&2
		exit 1
	fi
	sed -E -i -e "$4" "$f"
	if [ $# -ge 5 ]; then
		done_n=$(grep -Ec -- "$5" "$f" || true)
		left=$((n - done_n))
	else
		left=$(grep -Ec -- "$3" "$f" || true)
	fi
	if [ "$left" != 0 ]; then
		echo "fstests-overlay: rule $2 left $left line(s) unconverted in $1" >&2
		exit 1
	fi
	echo "overlay: $1 $2 $n lines" | tee -a "$log"
}

stock_table='^[[:space:]]*[A-Za-z_]+="0 \$[A-Za-z_]+ (flakey|dust|delay) [^"]*"[[:space:]]*$'
to_inject='s/^([[:space:]]*)([A-Za-z_]+)="(0 \$[A-Za-z_]+ (flakey|dust|delay) [^"]*)"[[:space:]]*$/\1\2="$("$DMTK_DM2INJECT" \3)"/'
for f in dmflakey dmdust dmdelay; do
	rule "common/$f" table-to-inject "$stock_table" "$to_inject"
done
rule common/dmflakey require-inject '_require_dm_target flakey' \
	's/_require_dm_target flakey/_require_dm_target inject/'

# dmerror builds its tables with eval; the error one is rebuilt after it.
rule common/dmerror error-table-to-inject \
	'^[[:space:]]*eval export "DMERROR_\$\{tag\}TABLE=.*\$target \$backing_dev 0' \
	'/^[[:space:]]*eval export "DMERROR_\$\{tag\}TABLE=/a\
	[ "$target" != error ] || export "DMERROR_${tag}TABLE=$("$DMTK_DM2INJECT" 0 "$blk_dev_size" error "$backing_dev" 0)"' \
	'^[[:space:]]*\[ "\$target" != error \] \|\| export "DMERROR_\$\{tag\}TABLE=\$\("\$DMTK_DM2INJECT" '

rule common/dmlogwrites table-to-replay-record \
	' log-writes \$[A-Za-z_]+ \$[A-Za-z_]+"' \
	's/ log-writes (\$[A-Za-z_]+) (\$[A-Za-z_]+)"/ replay record \1 \2 1 format:log-writes"/'
rule common/dmlogwrites require-replay '_require_dm_target log-writes' \
	's/_require_dm_target log-writes/_require_dm_target replay/'
rule common/dmlogwrites require-replay-log '_require_test_program "log-writes/replay-log"' \
	's|_require_test_program "log-writes/replay-log"|_require_command "$DMTK_REPLAY_LOG" dmtk-replay-log|'
rule common/dmlogwrites replay-log-path '\$here/src/log-writes/replay-log' \
	's|\$here/src/log-writes/replay-log|$DMTK_REPLAY_LOG|g'
# Tests that call replay-log themselves (btrfs/192 in the versions tried).
for t in $(cd "$tree" && grep -rl '\$here/src/log-writes/replay-log' tests || true); do
	rule "$t" replay-log-path '\$here/src/log-writes/replay-log' \
		's|\$here/src/log-writes/replay-log|$DMTK_REPLAY_LOG|g'
done

cp "$log" "$tree/.dmtk-overlay"
