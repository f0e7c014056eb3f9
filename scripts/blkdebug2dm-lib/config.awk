# SPDX-License-Identifier: GPL-2.0
#
# blkdebug2dm: a blkdebug config file's [inject-error] and [set-state]
# sections to flat "SECTION.fN.KEY<tab>VALUE<tab>CONFIG:LINE" lines; the
# section header is SECTION.fN.@ (rules.awk checks the keys).

function fail(msg) {
	printf "blkdebug2dm: %s:%d: %s\n", config, NR, msg > "/dev/stderr"
	failed = 1
	exit 1
}
function trim(s) {
	sub(/^[ \t]+/, "", s)
	sub(/[ \t]+$/, "", s)
	return s
}
/^[ \t]*([#;].*)?$/ { next }
/^[ \t]*\[/ {
	s = trim($0)
	if (s !~ /^\[[a-z-]+\]$/)
		fail("bad section header " s)
	section = substr(s, 2, length(s) - 2)
	if (section != "inject-error" && section != "set-state")
		fail("section [" section "] is not inject-error or set-state")
	id = section ".f" (++nsec)
	printf "%s.@\t\t%s:%d\n", id, config, NR
	next
}
{
	if (section == "")
		fail("key outside a section")
	eq = index($0, "=")
	if (!eq)
		fail("expected key = \"value\"")
	key = trim(substr($0, 1, eq - 1))
	val = trim(substr($0, eq + 1))
	if (val ~ /^".*"$/)
		val = substr(val, 2, length(val) - 2)
	if (key !~ /^[a-z_-]+$/)
		fail("bad key " key)
	printf "%s.%s\t%s\t%s:%d\n", id, key, val, config, NR
}
END {
	if (failed)
		exit 1
}
