# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=sh
#
# Helpers of the host cases of dmreplay (tests/tool/NNN, run by run.sh):
# file-backed logs written by dmr-mklog and file targets, no VM. A case
# runs in its own scratch directory $T with $DMREPLAY (the tool, built with
# ASan and UBSan) and $MKLOG; it exits 0 (pass) or 1 (fail, saying what it
# expected and what it got). run.sh fails a case whose tool run printed a
# sanitizer report.

# shellcheck source=tests/lib/expect.sh
. "$TOOL_TESTS/../lib/expect.sh"

# mklog FILE: a log from the description on stdin.
mklog() {
	"$MKLOG" "$1" || fail "dmr-mklog $1 failed"
}

# tool ARGS...: run dmreplay; $out, $errs and $rc hold what it said and did.
tool() {
	"$DMREPLAY" "$@" > "$T/out" 2> "$T/err"
	rc=$?
	out=$(cat "$T/out")
	errs=$(cat "$T/err")
	cat "$T/err" >> "$T/all-err"
}

# expect_tool RC ARGS...: run dmreplay, which must exit RC.
expect_tool() {
	want=$1
	shift
	tool "$@"
	[ "$rc" = "$want" ] || fail "dmreplay $*: exit $rc, expected $want; stdout '$out' stderr '$errs'"
}

# mkfile FILE BYTES [BYTE]: a file of BYTES bytes of BYTE (octal, default 0125).
mkfile() {
	head -c "$2" /dev/zero | tr '\0' "\\${3:-125}" > "$1"
}

size_of() {
	stat -c %s "$1"
}

md5_of() {
	md5sum < "$1" | cut -d' ' -f1
}

# md5_range FILE SECTOR COUNT: of COUNT 512-byte sectors from SECTOR.
md5_range() {
	dd if="$1" bs=512 skip="$2" count="$3" status=none | md5sum | cut -d' ' -f1
}

# pattern_md5 COUNT BYTE: of COUNT sectors of BYTE (octal).
pattern_md5() {
	head -c $(($1 * 512)) /dev/zero | tr '\0' "\\$2" | md5sum | cut -d' ' -f1
}

# mklw FILE: a dm-log-writes v1 log from the description on stdin (dmr-mklw).
mklw() {
	[ -x "${MKLW:-}" ] || fail "no dm-log-writes log generator (MKLW=$MKLW)"
	"$MKLW" "$1" || fail "dmr-mklw $1 failed"
}

# fill_at FILE SECTOR COUNT BYTE: COUNT 512-byte sectors of BYTE (octal) at SECTOR.
fill_at() {
	head -c $(($3 * 512)) /dev/zero | tr '\0' "\\$4" |
		dd of="$1" bs=512 seek="$2" conv=notrunc status=none
}

# rlog ARGS...: run dmtk-replay-log; $out, $errs and $rc as tool() sets them.
rlog() {
	"$RLOG" "$@" > "$T/out" 2> "$T/err"
	rc=$?
	out=$(cat "$T/out")
	errs=$(cat "$T/err")
	cat "$T/err" >> "$T/all-err"
}

# expect_rlog RC ARGS...: run dmtk-replay-log, which must exit RC.
expect_rlog() {
	want=$1
	shift
	rlog "$@"
	[ "$rc" = "$want" ] || fail "dmtk-replay-log $*: exit $rc, expected $want; stdout '$out' stderr '$errs'"
}
