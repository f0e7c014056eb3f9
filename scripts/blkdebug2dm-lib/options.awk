# SPDX-License-Identifier: GPL-2.0
#
# blkdebug2dm: QEMU option strings (-drive / -blockdev key=value lists,
# blkdebug:CONFIG:IMAGE filenames) to flat "KEY<tab>VALUE<tab>ORIGIN" lines.
# A "file=blkdebug:C:I" value becomes file.driver, file.config, file.x-image.

function fail(msg) {
	printf "blkdebug2dm: %s: %s\n", origin, msg > "/dev/stderr"
	failed = 1
	exit 1
}
function put(k, v) {
	if (v ~ /\t/)
		fail("option " k " holds a tab")
	printf "%s\t%s\t%s\n", k, v, (origin == "option" ? "" : origin ": ") "option " k
}
# blkdebug:CONFIG:IMAGE under prefix p
function filename(p, v,   c) {
	v = substr(v, 10)
	c = index(v, ":")
	if (!c)
		fail("blkdebug requires both config file and image path")
	put(p "driver", "blkdebug")
	if (c > 1)
		put(p "config", substr(v, 1, c - 1))
	put(p "x-image", substr(v, c + 1))
}
{ s = s (NR > 1 ? " " : "") $0 }
END {
	if (failed)
		exit 1
	sub(/^[ \t]+/, "", s)
	sub(/[ \t]+$/, "", s)
	if (s ~ /^-(drive|blockdev)[ \t]/) {
		sub(/^-[a-z]+[ \t]+/, "", s)
	}
	# a quoted option string, as written on a shell command line
	if (s ~ /^'.*'$/ || s ~ /^".*"$/)
		s = substr(s, 2, length(s) - 2)
	if (s ~ /^blkdebug:/) {
		filename("", s)
		exit 0
	}
	n = 0
	item = ""
	# split on commas; ",," is a literal comma
	for (i = 1; i <= length(s); i++) {
		ch = substr(s, i, 1)
		if (ch == "," && substr(s, i + 1, 1) == ",") {
			item = item ","
			i++
		} else if (ch == ",") {
			items[++n] = item
			item = ""
		} else {
			item = item ch
		}
	}
	items[++n] = item
	for (i = 1; i <= n; i++) {
		eq = index(items[i], "=")
		if (!eq)
			fail("\"" items[i] "\" is not key=value")
		k = substr(items[i], 1, eq - 1)
		v = substr(items[i], eq + 1)
		if (k == "")
			fail("\"" items[i] "\" has no key")
		if (v ~ /^blkdebug:/ && (k == "file" || k ~ /\.file$/)) {
			filename(k ".", v)
		} else if (v ~ /^blkdebug:/ && (k == "filename" || k ~ /\.filename$/)) {
			sub(/filename$/, "", k)
			filename(k, v)
		} else {
			put(k, v)
		}
	}
}
