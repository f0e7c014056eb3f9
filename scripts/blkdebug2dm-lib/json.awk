# SPDX-License-Identifier: GPL-2.0
#
# blkdebug2dm: a JSON object (a json:{...} filename, a -blockdev argument or
# a blockdev-add's arguments) to flat "KEY<tab>VALUE<tab>ORIGIN" lines, as
# QEMU flattens it: objects give "a.b", arrays "a.0". Strings are
# unescaped, numbers and true/false kept as written; a "file" or "filename"
# string "blkdebug:C:I" becomes the driver, config and x-image keys.

function fail(msg) {
	printf "blkdebug2dm: %s: JSON at character %d: %s\n", origin, pos, msg > "/dev/stderr"
	failed = 1
	exit 1
}
function ws() {
	while (pos <= len && index(" \t\r\n", substr(s, pos, 1)))
		pos++
}
function expect(c) {
	ws()
	if (substr(s, pos, 1) != c)
		fail("expected " c)
	pos++
}
function put(k, v,   c, p) {
	if (v ~ /\t/)
		fail(k " holds a tab")
	if (v ~ /^blkdebug:/ && (k == "file" || k ~ /\.file$/ || k == "filename" || k ~ /\.filename$/)) {
		p = k
		if (p ~ /filename$/)
			sub(/filename$/, "", p)
		else
			p = p "."
		v = substr(v, 10)
		c = index(v, ":")
		if (!c)
			fail("blkdebug requires both config file and image path")
		put(p "driver", "blkdebug")
		if (c > 1)
			put(p "config", substr(v, 1, c - 1))
		put(p "x-image", substr(v, c + 1))
		return
	}
	printf "%s\t%s\t%s: %s\n", k, v, origin, k
}
function str(   out, c, h) {
	expect("\"")
	out = ""
	while (pos <= len) {
		c = substr(s, pos, 1)
		if (c == "\"") {
			pos++
			return out
		}
		if (c == "\\") {
			c = substr(s, pos + 1, 1)
			pos += 2
			if (c == "n")
				out = out "\n"
			else if (c == "t")
				out = out "\t"
			else if (c == "\"" || c == "\\" || c == "/")
				out = out c
			else if (c == "u") {
				h = tolower(substr(s, pos, 4))
				if (h !~ /^00[0-7][0-9a-f]$/)
					fail("\\u" h " is not an ASCII character")
				out = out sprintf("%c", index("0123456789abcdef", substr(h, 3, 1)) * 16 - 16 + \
					index("0123456789abcdef", substr(h, 4, 1)) - 1)
				pos += 4
			} else
				fail("bad escape \\" c)
			continue
		}
		out = out c
		pos++
	}
	fail("unterminated string")
}
function value(path,   c, k, i, v) {
	ws()
	c = substr(s, pos, 1)
	if (c == "{") {
		pos++
		ws()
		if (substr(s, pos, 1) == "}") {
			pos++
			return
		}
		for (;;) {
			ws()
			k = str()
			if (k == "" || k ~ /\./)
				fail("key \"" k "\"")
			expect(":")
			value(path == "" ? k : path "." k)
			ws()
			c = substr(s, pos++, 1)
			if (c == "}")
				return
			if (c != ",")
				fail("expected , or }")
		}
	}
	if (c == "[") {
		pos++
		ws()
		if (substr(s, pos, 1) == "]") {
			pos++
			return
		}
		for (i = 0; ; i++) {
			value(path "." i)
			ws()
			c = substr(s, pos++, 1)
			if (c == "]")
				return
			if (c != ",")
				fail("expected , or ]")
		}
	}
	if (c == "\"") {
		v = str()
		put(path, v)
		return
	}
	v = substr(s, pos)
	if (match(v, /^(-?[0-9]+(\.[0-9]+)?([eE][-+]?[0-9]+)?|true|false|null)/)) {
		v = substr(v, 1, RLENGTH)
		pos += RLENGTH
		if (v != "null")
			put(path, v)
		return
	}
	fail("unexpected " (c == "" ? "end" : c))
}
{ s = s (NR > 1 ? "\n" : "") $0 }
END {
	if (failed)
		exit 1
	sub(/^[ \t\r\n]+/, "", s)
	if (s ~ /^-blockdev[ \t]/)
		sub(/^-blockdev[ \t]+/, "", s)
	if (s ~ /^'.*'[ \t\r\n]*$/) {
		sub(/^'/, "", s)
		sub(/'[ \t\r\n]*$/, "", s)
	}
	sub(/^json:/, "", s)
	len = length(s)
	pos = 1
	ws()
	if (substr(s, pos, 1) != "{")
		fail("not a JSON object")
	value("")
	ws()
	if (pos <= len)
		fail("text after the object")
}
