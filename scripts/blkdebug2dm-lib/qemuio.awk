# SPDX-License-Identifier: GPL-2.0
#
# blkdebug2dm -c: a qemu-io command script (one command a line, "-c" and
# quotes allowed) to a sh script of dmsetup messages on an inject device,
# run as "sh OUT DM-NAME". blkdebug's breakpoints are dm-inject break rules
# (they fire once: "once"); resume, remove_break and wait_break are the
# messages and a wait on dmsetup status's held tags. I/O commands become
# O_DIRECT xfs_io (aio_* in the background), discard blkdiscard.

function fail(msg) {
	printf "blkdebug2dm: %s:%d: %s\n", script, NR, msg > "/dev/stderr"
	failed = 1
	exit 1
}
function bytes(v,   u, m) {
	if (v !~ /^[0-9]+[bBkKmMgGtT]?$/ || length(v) > 15)
		fail("\"" v "\" is not an offset or length")
	u = substr(v, length(v))
	m = 1
	if (u !~ /[0-9]/) {
		v = substr(v, 1, length(v) - 1)
		m = u ~ /[kK]/ ? 1024 : u ~ /[mM]/ ? 1048576 : u ~ /[gG]/ ? 1073741824 : \
			u ~ /[tT]/ ? 1099511627776 : 1
	}
	return sprintf("%.0f", v * m)
}
function tag(t) {
	if (t !~ /^[A-Za-z0-9_.-]+$/ || length(t) > 31)
		fail("tag \"" t "\": dm-inject takes 1 to 31 of A-Za-z0-9_.-")
	return t
}
BEGIN {
	ev["read_aio"] = "read"; ev["write_aio"] = "write"
	ev["flush_to_disk"] = "flush"; ev["flush_to_os"] = "flush"
	ev["pwritev"] = "write"; ev["pwritev_zero"] = "write_zeroes"
	split("read write flush discard write_zeroes any", own, " ")
	for (i in own)
		ev[own[i]] = own[i]
	out[++n] = "#!/bin/sh"
	out[++n] = "# From the qemu-io script " script " by blkdebug2dm -c. Usage: sh THIS DM-NAME"
	out[++n] = "dm=${1:?usage: sh $0 DM-NAME}"
	out[++n] = "dev=/dev/mapper/$dm"
	out[++n] = "# wait_break TAG: until a request is held with TAG (dmsetup status), 60 s at most"
	out[++n] = "wait_break() {"
	out[++n] = "\ti=0"
	out[++n] = "\tuntil dmsetup status \"$dm\" | awk -v t=\"$1\" '{ for (i = 7; i <= NF; i++) if ($i == t) f = 1 } END { exit !f }'; do"
	out[++n] = "\t\ti=$((i + 1))"
	out[++n] = "\t\t[ $i -le 600 ] || { echo \"wait_break $1: nothing held\" >&2; return 1; }"
	out[++n] = "\t\tsleep 0.1"
	out[++n] = "\tdone"
	out[++n] = "}"
}
{
	line = $0
	sub(/^[ \t]+/, "", line)
	sub(/[ \t]+$/, "", line)
	if (line == "" || line ~ /^#/)
		next
	sub(/^-c[ \t]+/, "", line)
	if (line ~ /^".*"$/ || line ~ /^'.*'$/)
		line = substr(line, 2, length(line) - 2)
	nf = split(line, w, " ")
	c = w[1]
	pat = "0xcd"
	zero = 0
	j = 2
	while (j <= nf && w[j] ~ /^-/) {
		if (w[j] == "-P" && j < nf) {
			pat = w[j + 1]
			if (pat !~ /^(0x[0-9a-fA-F]+|[0-9]+)$/)
				fail("pattern " pat)
			j += 2
		} else if (w[j] == "-z") {
			zero = 1
			j++
		} else if (w[j] == "-q" || w[j] == "-u") {
			j++
		} else {
			fail(c ": option " w[j] " has no xfs_io counterpart")
		}
	}
	a1 = w[j]
	a2 = w[j + 1]
	if (c == "break") {
		if (nf != 3)
			fail("break EVENT TAG")
		if (!(a1 in ev))
			fail("event \"" a1 "\" has no block-layer equivalent (break)")
		out[++n] = "dmsetup message \"$dm\" 0 add break:event=" ev[a1] ",once,tag=" tag(a2) " > /dev/null"
	} else if (c == "resume" || c == "remove_break") {
		if (nf != 2)
			fail(c " TAG")
		out[++n] = "dmsetup message \"$dm\" 0 " c " " tag(a1)
	} else if (c == "wait_break") {
		if (nf != 2)
			fail("wait_break TAG")
		out[++n] = "wait_break " tag(a1)
	} else if (c ~ /^(aio_)?(write|read)$/) {
		if (j + 1 != nf)
			fail(c " [-P PATTERN] OFFSET LENGTH")
		bg = c ~ /^aio_/ ? " &" : ""
		if (c ~ /write/)
			cmd = zero ? "fzero " bytes(a1) " " bytes(a2) : "pwrite -q -S " pat " " bytes(a1) " " bytes(a2)
		else
			cmd = "pread -q " bytes(a1) " " bytes(a2)
		out[++n] = "xfs_io -d -c \"" cmd "\" \"$dev\"" bg
	} else if (c ~ /^(aio_)?discard$/) {
		if (j + 1 != nf)
			fail(c " OFFSET LENGTH")
		out[++n] = "blkdiscard -o " bytes(a1) " -l " bytes(a2) " \"$dev\"" (c ~ /^aio_/ ? " &" : "")
	} else if (c == "aio_flush") {
		out[++n] = "wait"
		out[++n] = "xfs_io -c fsync \"$dev\""
	} else if (c == "flush") {
		out[++n] = "xfs_io -c fsync \"$dev\""
	} else {
		fail("qemu-io command \"" c "\" has no dm-inject counterpart")
	}
}
END {
	if (failed)
		exit 1
	out[++n] = "wait"
	for (i = 1; i <= n; i++)
		print out[i]
}
